/**
 * The common error answers of the token routes are made by `KeypebbleError.answer` (no stack
 * captured): each must answer byte for byte what the same `new KeypebbleError` answered.
 */

import assert from "node:assert/strict";
import { type ErrorCode, KeypebbleError } from "../errors.ts";
import { rateLimitHeaders } from "../limits/mod.ts";
import { responseForError } from "./responses.ts";

const CASES: [ErrorCode, string, Record<string, string> | undefined][] = [
  ["unauthorized", "Authentication is required", {
    "www-authenticate": 'Basic realm="keypebble", charset="UTF-8"',
  }],
  ["unauthorized", "Malformed Basic credentials", undefined],
  ["invalid_client", "Client authentication failed", {
    "WWW-Authenticate": 'Basic realm="keypebble"',
  }],
  ["invalid_json", "The request body is not valid JSON", undefined],
  ["invalid_body", "The request body is not valid UTF-8", undefined],
  ["payload_too_large", "The request body is larger than 65536 bytes", undefined],
  ["unsupported_media_type", 'Content-Type must be "application/json"', undefined],
  ["invalid_claims", 'Claim "sub" must be a string', undefined],
  ["forbidden", 'Caller "alice" may not issue tokens for another subject', undefined],
  [
    "rate_limited",
    "Too many requests from this address; slow down",
    rateLimitHeaders({
      allowed: false,
      limit: 3,
      remaining: 0,
      resetSeconds: 42,
      retryAfterSeconds: 42,
    }),
  ],
  ["locked_out", "Too many failed sign-in attempts; try again later", { "retry-after": "300" }],
  ["store_unavailable", "The store is unavailable", undefined],
  ["invalid_key", "Key file names /etc/secret", undefined],
];

async function _bytes(res: Response): Promise<string> {
  return JSON.stringify([res.status, [...res.headers], await res.text()]);
}

for (const [code, message, headers] of CASES) {
  Deno.test(`KeypebbleError.answer(${code}) answers what new KeypebbleError(${code}) answered`, async () => {
    const opts = headers === undefined ? undefined : { headers };
    const thrown = new KeypebbleError(code, message, opts);
    const built = KeypebbleError.answer(code, message, opts);
    assert.ok(built instanceof KeypebbleError && built instanceof Error);
    assert.equal(built.name, thrown.name);
    assert.equal(built.message, thrown.message);
    assert.equal(built.code, thrown.code);
    assert.equal(built.status, thrown.status);
    assert.deepEqual(built.headers, thrown.headers);
    assert.equal(String(built), String(thrown));
    assert.equal(await _bytes(responseForError(built)), await _bytes(responseForError(thrown)));
  });
}

Deno.test("KeypebbleError.answer is caught like a thrown KeypebbleError through async frames", async () => {
  const deep = async () => {
    await Promise.resolve();
    throw KeypebbleError.answer("forbidden", "No");
  };
  await assert.rejects(async () => await deep(), (e) => {
    assert.ok(e instanceof KeypebbleError);
    assert.equal(e.code, "forbidden");
    assert.equal(e.status, 403);
    return true;
  });
});

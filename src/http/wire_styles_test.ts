import assert from "node:assert/strict";
import { KeypebbleError } from "../errors.ts";
import { KEYGUARD_STATUS, styledError } from "./wire_styles.ts";

async function body(res: Response): Promise<Record<string, unknown>> {
  return await res.json();
}

Deno.test("styledError(keyguard) answers keyguard's statuses with detail beside error and message", async () => {
  const cases: [KeypebbleError, number][] = [
    [KeypebbleError.answer("invalid_request", '"name" is required'), 422],
    [KeypebbleError.answer("invalid_json", "The request body is not valid JSON"), 422],
    [KeypebbleError.answer("conflict", 'Organisation "Acme" already exists'), 400],
    [
      KeypebbleError.answer("unauthorized", "The API key is not valid", { refused: "api_key" }),
      403,
    ],
    [KeypebbleError.answer("unauthorized", "An API key is required"), 401],
    [KeypebbleError.answer("not_found", "No such key"), 404],
    [KeypebbleError.answer("forbidden", "Not allowed"), 403],
    [KeypebbleError.answer("locked_out", "Later", { headers: { "retry-after": "9" } }), 429],
  ];
  for (const [e, status] of cases) {
    const res = styledError("keyguard", e);
    assert.equal(res.status, status, e.code);
    assert.deepEqual(await body(res), { error: e.code, message: e.message, detail: e.message });
    for (const [k, v] of Object.entries(e.headers)) assert.equal(res.headers.get(k), v);
  }
  // Only client errors are remapped, and never to a 5xx.
  for (const s of Object.values(KEYGUARD_STATUS)) assert.ok(s! >= 400 && s! < 500);
});

Deno.test("styledError(keyguard_middleware) keeps our statuses and adds detail; keypebble adds none", async () => {
  const e = KeypebbleError.answer("unauthorized", "The API key is not valid", {
    refused: "api_key",
  });
  const mw = styledError("keyguard_middleware", e);
  assert.equal(mw.status, 401);
  assert.equal((await body(mw)).detail, "The API key is not valid");
  const kp = styledError("keypebble", KeypebbleError.answer("invalid_request", "x"));
  assert.equal(kp.status, 400);
  assert.deepEqual(await body(kp), { error: "invalid_request", message: "x" });
});

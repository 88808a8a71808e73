/**
 * The Fernet spec's published vectors (testdata/, from github.com/fernet/spec): every generate
 * entry reproduces its token, every verify entry gives its message, every invalid entry is
 * refused. Plus the rules kept as tests: the HMAC is checked before any decryption, tokens from
 * the future beyond the skew are refused, any key of a set verifies.
 */

import assert from "node:assert/strict";
import { isKeypebbleError } from "../errors.ts";
import {
  fernetDecrypt,
  fernetEncrypt,
  importFernetKey,
  MAX_CLOCK_SKEW_SECONDS,
  newFernetKeyText,
} from "./token.ts";

interface Vector {
  token: string;
  now: string;
  secret: string;
  src?: string;
  iv?: number[];
  ttl_sec?: number;
  desc?: string;
}

async function vectors(name: string): Promise<Vector[]> {
  return JSON.parse(await Deno.readTextFile(new URL(`./testdata/${name}`, import.meta.url)));
}

const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const text = new TextEncoder();

Deno.test("Fernet spec generate.json: the same key, time, IV and message give the published token", async () => {
  const list = await vectors("generate.json");
  assert.ok(list.length > 0);
  for (const v of list) {
    const key = await importFernetKey(v.secret, "spec");
    const token = await fernetEncrypt(
      key,
      text.encode(v.src),
      seconds(v.now),
      new Uint8Array(v.iv!),
    );
    assert.equal(token, v.token);
  }
});

Deno.test("Fernet spec verify.json: each token verifies within its TTL and gives the message", async () => {
  const list = await vectors("verify.json");
  assert.ok(list.length > 0);
  for (const v of list) {
    const key = await importFernetKey(v.secret, "spec");
    const { message } = await fernetDecrypt(v.token, [key], {
      now: seconds(v.now),
      ttlSeconds: v.ttl_sec,
    });
    assert.equal(new TextDecoder().decode(message), v.src);
  }
});

Deno.test("Fernet spec invalid.json: every token is refused, with the reason's code", async () => {
  const list = await vectors("invalid.json");
  assert.ok(list.length >= 8);
  const expected: Record<string, string> = {
    "far-future TS (unacceptable clock skew)": "token_not_yet_valid",
    "expired TTL": "token_expired",
  };
  for (const v of list) {
    const key = await importFernetKey(v.secret, "spec");
    await assert.rejects(
      fernetDecrypt(v.token, [key], { now: seconds(v.now), ttlSeconds: v.ttl_sec }),
      (e) => {
        assert.ok(isKeypebbleError(e), `${v.desc}: ${e}`);
        assert.equal(e.code, expected[v.desc!] ?? "invalid_token", v.desc);
        return true;
      },
      v.desc,
    );
  }
});

Deno.test("Fernet: a token whose HMAC does not match is never decrypted", async () => {
  const key = await importFernetKey(newFernetKeyText(), "k");
  const now = 1_800_000_000;
  const token = await fernetEncrypt(key, text.encode("secret message"), now);
  const subtle = crypto.subtle;
  const original = subtle.decrypt;
  let calls = 0;
  // deno-lint-ignore no-explicit-any
  (subtle as any).decrypt = function (...args: Parameters<SubtleCrypto["decrypt"]>) {
    calls++;
    return original.apply(subtle, args);
  };
  try {
    const raw = atob(token.replaceAll("-", "+").replaceAll("_", "/"));
    const bytes = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    for (const at of [9, 25, bytes.length - 40, bytes.length - 1]) {
      const b = bytes.slice();
      b[at] ^= 1;
      const t = btoa(String.fromCharCode(...b)).replaceAll("+", "-").replaceAll("/", "_");
      await assert.rejects(
        fernetDecrypt(t, [key], { now }),
        (e) => isKeypebbleError(e) && e.code === "invalid_token",
      );
    }
    assert.equal(calls, 0);
    await fernetDecrypt(token, [key], { now });
    assert.equal(calls, 1);
  } finally {
    // deno-lint-ignore no-explicit-any
    (subtle as any).decrypt = original;
  }
});

Deno.test("Fernet: the TTL counts from the embedded timestamp; the future is allowed only within the skew", async () => {
  const key = await importFernetKey(newFernetKeyText(), "k");
  const t0 = 1_800_000_000;
  const token = await fernetEncrypt(key, text.encode("m"), t0);
  await fernetDecrypt(token, [key], { now: t0 + 300, ttlSeconds: 300 });
  await assert.rejects(
    fernetDecrypt(token, [key], { now: t0 + 301, ttlSeconds: 300 }),
    (e) => isKeypebbleError(e) && e.code === "token_expired",
  );
  await fernetDecrypt(token, [key], { now: t0 - MAX_CLOCK_SKEW_SECONDS });
  await assert.rejects(
    fernetDecrypt(token, [key], { now: t0 - MAX_CLOCK_SKEW_SECONDS - 1 }),
    (e) => isKeypebbleError(e) && e.code === "token_not_yet_valid",
  );
});

Deno.test("Fernet: any key of the set verifies; a key outside it does not; keys are 32 bytes", async () => {
  const a = await importFernetKey(newFernetKeyText(), "1");
  const b = await importFernetKey(newFernetKeyText(), "2");
  const c = await importFernetKey(newFernetKeyText(), "3");
  const now = 1_800_000_000;
  const token = await fernetEncrypt(a, text.encode("m"), now);
  assert.equal((await fernetDecrypt(token, [b, a], { now })).key.id, "1");
  await assert.rejects(
    fernetDecrypt(token, [b, c], { now }),
    (e) => isKeypebbleError(e) && e.code === "invalid_token",
  );
  await assert.rejects(
    importFernetKey("c2hvcnQ=", "x"),
    (e) => isKeypebbleError(e) && e.code === "invalid_key",
  );
  await assert.rejects(
    importFernetKey("not base64 at all", "x"),
    (e) => isKeypebbleError(e) && e.code === "invalid_key",
  );
  // Unpadded, standard-alphabet and over-long tokens are refused
  await assert.rejects(fernetDecrypt(token.replace(/=+$/, ""), [a], { now }));
  await assert.rejects(fernetDecrypt("A".repeat(40000), [a], { now }));
});

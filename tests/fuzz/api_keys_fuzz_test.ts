/**
 * A seeded fuzzer over the API key routes (`/forward-auth`, `/oauth2/token`, `/admin/*`) with a
 * real SQLite store: random and mutated keys (valid ones with flipped characters, other prefixes,
 * whitespace, huge, control characters), random scopes, bodies and methods. Every answer is
 * below 500 and every non-2xx answer is JSON with a string `error`; a mutated key never passes.
 *
 * Replay: `FUZZ_SEED=<seed> FUZZ_KEY_CASES=<n> deno task test:fuzz`.
 */

import assert from "node:assert/strict";
import { makeKeyInstance } from "../helpers/api_keys.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x5eed_0012) >>> 0;
const CASES = Number(Deno.env.get("FUZZ_KEY_CASES") ?? 5000);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test(`api key fuzz: ${CASES} seeded cases never 5xx, errors are JSON, mutated keys never pass (FUZZ_SEED=${SEED})`, async () => {
  const kp = await makeKeyInstance();
  try {
    await kp.svc.createOrg("acme");
    const { key, raw } = await kp.svc.createKey({ orgName: "acme", label: "f", scopes: ["read"] });
    const admin = await kp.svc.createKey({ orgName: "acme", label: "a", scopes: ["admin"] });
    const r = rng(SEED);
    const int = (n: number) => Math.floor(r() * n);
    const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)];
    const mutate = (k: string): string => {
      switch (int(7)) {
        case 0: {
          const i = int(k.length);
          const c = k[i] === "A" ? "B" : "A";
          return k.slice(0, i) + c + k.slice(i + 1);
        }
        case 1:
          return k.slice(0, int(k.length));
        case 2:
          return k + pick(["A", "=", "\t", "%00", "é"]);
        case 3:
          return pick(["kg_live_", "kp_test_", "KP_LIVE_", "kp-live-", ""]) + k.slice(8);
        case 4:
          return k.replace(/./, "\u0001");
        case 5:
          return k.repeat(1 + int(40));
        default:
          return String.fromCharCode(...Array.from({ length: int(80) }, () => 32 + int(95)));
      }
    };
    const paths = [
      "/forward-auth",
      "/forward-auth?scope=read",
      "/forward-auth?scope=%00",
      "/oauth2/token",
      "/admin/orgs",
      "/admin/keys",
      `/admin/keys/${key.id}`,
      "/admin/keys/%2e%2e",
      `/admin/keys/${key.id}/roll`,
      "/admin/orgs/acme/suspend",
      "/admin/blocks",
      "/admin/blocks/address/1.2.3.4",
      "/admin/stats",
    ];
    const bodies = [
      "",
      "{}",
      '{"name": 1}',
      '{"org_name":"acme","label":"x","scopes":"read"}',
      '{"org_name":"acme","label":"x","rate_limit_per_minute":-1}',
      '{"kind":"address","value":"","seconds":0}',
      "grant_type=client_credentials&client_id=x&client_secret=y",
      `grant_type=client_credentials&client_id=${key.id}&client_secret=${
        encodeURIComponent(raw)
      }&scope=admin`,
      "[".repeat(100),
      "\uffff",
    ];
    for (let i = 0; i < CASES; i++) {
      const presented = r() < 0.15 ? raw : mutate(raw);
      const headers = new Headers();
      const put = (n: string, v: string) => {
        try {
          headers.set(n, v);
        } catch { /* not a valid header value: the client could not send it either */ }
      };
      const where = int(4);
      if (where === 0) put("x-api-key", presented);
      else if (where === 1) put("authorization", `Bearer ${presented}`);
      else if (where === 2) put("x-admin-key", r() < 0.3 ? admin.raw : presented);
      if (r() < 0.3) put("x-required-scope", pick(["read", "write", "", "a b", "x".repeat(300)]));
      put(
        "content-type",
        pick(["application/json", "application/x-www-form-urlencoded", "text/plain"]),
      );
      const method = pick(["GET", "POST", "DELETE", "PUT"]);
      const body = method === "GET" ? undefined : pick(bodies);
      const path = pick(paths);
      let res: Response;
      try {
        res = await kp.fetch(
          path,
          { method, headers, ...(body === undefined ? {} : { body }) },
          `10.0.${int(4)}.${int(250)}`,
        );
      } catch (e) {
        throw new Error(`case ${i}: the handler threw: ${e}`);
      }
      assert.ok(res.status < 500, `case ${i}: ${method} ${path} answered ${res.status}`);
      const text = await res.text();
      if (res.status >= 300) {
        const j = JSON.parse(text);
        assert.equal(typeof j.error, "string", `case ${i}`);
        assert.ok(!text.includes(raw), `case ${i}: the key is echoed`);
      }
      // What actually went out: HTTP strips surrounding whitespace from field values (RFC 9110
      // §5.5), so a key with a trailing tab arrives as the key itself.
      const sent = where === 0
        ? headers.get("x-api-key")
        : headers.get("authorization")?.replace(/^Bearer /, "");
      if (sent !== raw && where < 2 && path.startsWith("/forward-auth")) {
        assert.notEqual(res.status, 200, `case ${i}: a mutated key passed`);
      }
      if (i % 500 === 499) kp.advance(60_000); // new limit windows, lockouts expire
    }
  } finally {
    await kp.close();
  }
});

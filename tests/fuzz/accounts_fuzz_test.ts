/**
 * A seeded fuzzer over the account, pico-auth and OAuth2 routes (issue 13), on an in-process
 * server with a store: random methods, paths (with real and made-up ids), bodies (JSON of every
 * shape, bare strings, broken JSON, forms, huge and deep values), content types and tokens (valid
 * access and refresh tokens, mutated). Invariants: the handler never throws, never answers 5xx,
 * and every non-2xx answer is JSON with a string `error`.
 *
 * Replay: `FUZZ_SEED=<seed> FUZZ_CASES=<n> deno task test:fuzz`.
 */

import assert from "node:assert/strict";
import { bearer, makeAccountInstance } from "../helpers/accounts.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x13ac_c0de) >>> 0;
const STATUS = new Map<number, number>();
const CASES = Math.min(Number(Deno.env.get("FUZZ_CASES") ?? 4000), 20_000);

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}

Deno.test("fuzz: account, pico-auth and OAuth2 routes never fail with 5xx or a non-JSON error", async () => {
  const kp = await makeAccountInstance();
  try {
    const admin = await kp.user("fuzz-admin@example.com", { role: "superadmin" });
    const viewer = await kp.user("fuzz-viewer@example.com");
    const group = await (await kp.postJson("/api/v1/groups", { name: "g" }, bearer(admin.access)))
      .json();
    const ids = [admin.id, viewer.id, group.id, "nope", "%00", "..", "x".repeat(300)];
    const paths = [
      "/api/v1/auth/register",
      "/api/v1/auth/login",
      "/api/v1/auth/refresh",
      "/api/v1/auth/me",
      "/api/v1/auth/me/password",
      "/api/v1/auth/jwks",
      "/api/v1/auth/users",
      "/api/v1/auth/users/registration",
      "/api/v1/auth/users/{id}/role",
      "/api/v1/auth/users/{id}/password",
      "/api/v1/auth/service-tokens",
      "/api/v1/auth/service-tokens/validate",
      "/api/v1/auth/service-tokens/{id}",
      "/api/v1/groups",
      "/api/v1/groups/{id}",
      "/api/v1/groups/{id}/members",
      "/api/v1/groups/{id}/members/{id}",
      "/oauth2/token",
      "/oauth2/introspect",
      "/oauth2/revoke",
      "/admin/keys",
      "/.well-known/openid-configuration",
    ];
    const tokens = [admin.access, viewer.access, admin.refresh, viewer.refresh, "", "a.b.c"];
    const values: unknown[] = [
      null,
      true,
      0,
      -1,
      1e308,
      "",
      "x",
      "ü@ñ.example",
      "a".repeat(5000),
      [],
      {},
      admin.id,
      "superadmin",
      "viewer",
      "$2b$04$" + "a".repeat(53),
    ];
    const keys = [
      "email",
      "username",
      "password",
      "display_name",
      "refresh_token",
      "role",
      "org_id",
      "old_password",
      "new_password",
      "enabled",
      "name",
      "description",
      "user_id",
      "token",
      "password_hash",
      "__proto__",
    ];
    const grants = [
      "password",
      "refresh_token",
      "client_credentials",
      "urn:ietf:params:oauth:grant-type:token-exchange",
      "implicit",
      "",
    ];
    for (let i = 0; i < CASES; i++) {
      const r = rng((SEED ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0);
      const method = r.pick(["GET", "POST", "PUT", "DELETE", "PATCH"]);
      const path = r.pick(paths).replace(/\{id\}/g, () => encodeURIComponent(r.pick(ids)));
      const headers: Record<string, string> = {};
      const tok = r.pick(tokens);
      if (r.next() < 0.6) {
        headers.authorization = r.next() < 0.8
          ? `Bearer ${r.next() < 0.3 ? tok.slice(0, r.int(tok.length + 1)) + "x" : tok}`
          : `Basic ${btoa("ci:" + tok.slice(0, 20))}`;
      }
      let body: string | undefined;
      const shape = r.int(6);
      if (shape === 0) {
        headers["content-type"] = "application/json";
        const o: Record<string, unknown> = {};
        for (let k = r.int(5); k > 0; k--) o[r.pick(keys)] = r.pick(values);
        body = JSON.stringify(o);
      } else if (shape === 1) {
        headers["content-type"] = "application/json";
        body = JSON.stringify(r.pick([...values, tok]));
      } else if (shape === 2) {
        headers["content-type"] = r.pick(["application/json", "text/plain", ""]);
        body = r.pick(["{", "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", "\u0000", "null"]);
      } else if (shape === 3) {
        headers["content-type"] = "application/x-www-form-urlencoded";
        const f = new URLSearchParams();
        f.set("grant_type", r.pick(grants));
        for (let k = r.int(4); k > 0; k--) {
          f.append(
            r.pick(["username", "password", "refresh_token", "subject_token", "token", "scope"]),
            String(r.pick([...values, tok])),
          );
        }
        body = f.toString();
      }
      const init: RequestInit = { method, headers };
      if (body !== undefined && method !== "GET") init.body = body;
      const res = await kp.fetch(path, init, `10.${r.int(4)}.0.${r.int(200)}`);
      assert.ok(res.status < 500, `case ${i}: ${method} ${path} → ${res.status}`);
      const text = await res.text();
      STATUS.set(res.status, (STATUS.get(res.status) ?? 0) + 1);
      if (res.status >= 300) {
        const parsed = JSON.parse(text);
        assert.equal(typeof parsed.error, "string", `case ${i}: ${text.slice(0, 200)}`);
      }
      if (i % 500 === 0) kp.advance(60_000);
    }
    // The cases reach past the front door: successes and refusals of several kinds.
    assert.ok([200, 201].some((c) => (STATUS.get(c) ?? 0) > 0), JSON.stringify([...STATUS]));
    for (const c of [400, 401, 403, 404, 415]) {
      assert.ok((STATUS.get(c) ?? 0) > 0, `no ${c} in ${JSON.stringify([...STATUS])}`);
    }
  } finally {
    await kp.close();
  }
});

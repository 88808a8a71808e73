/**
 * Issue 19 "done when": a relying party that verifies as pico-auth's client library does
 * (issuer, the `pico-bot` audience, RS256 through the JWKS, the `role` claim) accepts Keypebble's
 * account tokens from a pico-auth user's config and enforces their roles; tokens a caller shapes
 * (`/auth`) or another kind's cannot pass for an account's there.
 *
 * The relying party is Python with PyJWT (Debian python3-jwt), checking what pico-client-auth's
 * TokenValidator checks (tests/e2e/python/pico_client_rp.py).
 */

import assert from "node:assert/strict";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { REPO_ROOT, startServer } from "../helpers/process.ts";

const PASSWORD = "rp-admin-password-1";

Deno.test("a pico-auth relying party (PyJWT, RS256 via JWKS, aud pico-bot, role) accepts account tokens and enforces roles", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_rp_" });
  try {
    await Deno.writeTextFile(`${dir}/signing.pem`, await generateKeyPem("RS256"), { mode: 0o600 });
    await Deno.writeTextFile(
      `${dir}/kp.yaml`,
      `issuer: https://auth.pico.test
rs256_private_key_path: signing.pem
audience: pico-bot
store:
  url: sqlite:kp.db
  pepper_path: pepper
accounts:
  audience: pico-bot
  registration: open
`,
    );
    const server = await startServer(`${dir}/kp.yaml`, {
      env: { KEYPEBBLE_ADMIN_PASSWORD: PASSWORD },
    });
    try {
      const post = async (path: string, body: unknown, token?: string) => {
        const r = await fetch(`${server.url}${path}`, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
          },
          body: JSON.stringify(body),
        });
        return { status: r.status, body: await r.json().catch(() => ({})) };
      };
      const admin = await post("/api/v1/auth/login", { username: "admin", password: PASSWORD });
      assert.equal(admin.status, 200, JSON.stringify(admin.body));
      // The bootstrap admin must change its password first; then it is a superadmin.
      const changed = await post("/api/v1/auth/me/password", {
        old_password: PASSWORD,
        new_password: "rp-admin-password-2",
      }, admin.body.access_token);
      assert.equal(changed.status, 200);
      const again = await post("/api/v1/auth/login", {
        username: "admin",
        password: "rp-admin-password-2",
      });
      const superToken = again.body.access_token;
      await post("/api/v1/auth/register", {
        email: "viewer@pico.test",
        password: "viewer-password-1",
        display_name: "V",
      });
      const viewer = await post("/api/v1/auth/login", {
        email: "viewer@pico.test",
        password: "viewer-password-1",
      });
      const viewerToken = viewer.body.access_token;
      // What a caller can shape: an /auth token claiming the role (aud pico-bot is refused, so it
      // carries no audience the relying party accepts).
      const shaped = await post("/auth", { sub: "intruder", role: "superadmin" });
      assert.equal(shaped.status, 200);
      const forged = await post("/auth", { aud: "pico-bot", role: "superadmin" });
      assert.equal(forged.status, 403, "no /auth token for the accounts' audience");

      const child = new Deno.Command("/usr/bin/python3", {
        args: [
          `${REPO_ROOT}tests/e2e/python/pico_client_rp.py`,
          `${server.url}/api/v1/auth/jwks`,
          "https://auth.pico.test",
          "pico-bot",
        ],
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const w = child.stdin.getWriter();
      const cases: [string, string][] = [
        ["superadmin", superToken],
        ["viewer", superToken],
        ["viewer", viewerToken],
        ["org_admin", viewerToken],
        ["viewer", shaped.body.token],
      ];
      await w.write(new TextEncoder().encode(cases.map(([r, t]) => `${r} ${t}\n`).join("")));
      await w.close();
      const out = await child.output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const verdicts = new TextDecoder().decode(out.stdout).trim().split("\n").map((l) =>
        JSON.parse(l)
      );
      assert.deepEqual(verdicts.map((v) => v.ok), [true, true, true, false, false]);
      assert.equal(verdicts[0].role, "superadmin");
      assert.equal(verdicts[3].why, "role", "a viewer is refused where org_admin is needed");
      assert.equal(verdicts[4].why, "MissingRequiredClaimError", "a shaped token has no aud");
    } finally {
      await server.stop();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

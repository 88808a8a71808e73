/**
 * `deno task start` on a fresh clone: the exact command and permissions of the task, run in a
 * copy of the repository that has no key yet. It must generate the key (0600, with a loud
 * warning), serve /healthz, and issue RS256 tokens that an independent JWT library verifies
 * through the JWKS. Runs from source whatever KEYPEBBLE_BIN says: it is the source task under test.
 */

import assert from "node:assert/strict";
// A test-only import, kept out of deno.json so the import map lists only runtime dependencies.
// deno-lint-ignore no-import-prefix
import { createLocalJWKSet, jwtVerify } from "npm:jose@5.9.6";
import { collectLines, freePort, REPO_ROOT } from "../helpers/process.ts";

Deno.test({
  name: "deno task start serves example-config.yaml and issues verifiable RS256 tokens",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp-start-" });
  try {
    for (const f of ["deno.json", "deno.lock", "example-config.yaml"]) {
      await Deno.copyFile(`${REPO_ROOT}${f}`, `${dir}/${f}`);
    }
    await new Deno.Command("cp", { args: ["-R", `${REPO_ROOT}src`, `${dir}/src`] }).output();
    // The task is a command, or {command, dependencies} (it first builds the console's assets).
    const start = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`)).tasks.start as
      | string
      | { command: string };
    const task = typeof start === "string" ? start : start.command;
    assert.doesNotMatch(task, /\s-A\b|--allow-all/, "start must not grant everything");
    const [cmd, ...args] = task.split(/\s+/);
    assert.equal(cmd, "deno");
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args,
      cwd: dir,
      env: { KEYPEBBLE_PORT: String(port) },
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    const { lines, done } = collectLines(child);
    const base = `http://127.0.0.1:${port}`;
    try {
      let healthy = false;
      for (let i = 0; i < 300 && !healthy; i++) {
        try {
          const r = await fetch(`${base}/healthz`);
          healthy = r.ok;
          await r.body?.cancel();
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.ok(healthy, `not healthy:\n${lines.join("\n")}`);

      const key = await Deno.stat(`${dir}/keys/jwt_signing.key`);
      assert.equal(key.mode! & 0o777, 0o600);
      const warning = lines.map((l) => JSON.parse(l)).find((l) => l.event === "key_generated");
      assert.equal(warning?.level, "warn");

      const res = await fetch(`${base}/auth`, {
        method: "POST",
        body: JSON.stringify({ sub: "edge-7", edge_id: "e7", exp: 1, iss: "evil", nope: 1 }),
      });
      assert.equal(res.status, 200);
      const { token } = await res.json();
      const jwks = await (await fetch(`${base}/.well-known/jwks.json`)).json();
      const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
        issuer: "https://keypebble.local",
        audience: "keypebble-edge",
        algorithms: ["RS256"],
      });
      assert.equal(protectedHeader.alg, "RS256");
      assert.equal(protectedHeader.kid, jwks.keys[0].kid);
      assert.equal(payload.sub, "edge-7");
      assert.equal(payload.edge_id, "e7");
      assert.equal(payload.nope, undefined, "not in allowed_custom_claims");
      assert.notEqual(payload.exp, 1);
      assert.equal((payload.exp as number) - (payload.iat as number), 3600);
    } finally {
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0);
      await done;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The SPIFFE example of docs/spiffe.md, end to end against the real server (or the compiled binary with
 * KEYPEBBLE_BIN): three services, orders and billing with their own files and an edge sensor
 * that asks the server; provision, serve the bundle, mint, verify, rotate with overlap under
 * traffic, revoke, remove, restart. Tokens are also checked with npm jose (test-only) against the
 * published bundles, and the services' module is run under Bun as well.
 */

import assert from "node:assert/strict";
// npm jose is test-only: an independent JWT library to check our tokens against.
// deno-lint-ignore no-import-prefix
import { createLocalJWKSet, jwtVerify } from "npm:jose@5.9.6";
import { Identity, SvidError } from "../../src/spiffe/identity.ts";
import { REPO_ROOT, runKeypebble, type RunningServer, startServer } from "../helpers/process.ts";

const TD = "edge.example";
const ORDERS = `spiffe://${TD}/orders`;
const BILLING = `spiffe://${TD}/billing`;
const SENSOR = `spiffe://${TD}/sensors/t-1`;

async function kp(cwd: string, ...args: string[]): Promise<string> {
  const r = await runKeypebble(args, { cwd });
  assert.equal(r.code, 0, `keypebble ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function envOf(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2)));
}

async function spiffeBundle(server: RunningServer) {
  const res = await fetch(`${server.url}/spiffe/v1/bundle`);
  assert.equal(res.status, 200);
  return await res.json();
}

function jwksOf(keys: Record<string, unknown>[]) {
  // jose selects only keys whose `use` is absent or "sig"; SPIFFE marks them "jwt-svid".
  return createLocalJWKSet({ keys: keys.map(({ use: _u, ...k }) => k) as never });
}

async function verifyAt(server: RunningServer, token: string, audience: string) {
  const res = await fetch(`${server.url}/spiffe/v1/verify`, {
    method: "POST",
    body: JSON.stringify({ token, audience }),
  });
  return { status: res.status, body: await res.json() };
}

/** Wait until the server has picked up the root's latest bundle (it polls once a second). */
async function waitForSequence(server: RunningServer, atLeast: number): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const b = await spiffeBundle(server);
    if (b.spiffe_sequence >= atLeast) return b.spiffe_sequence;
    if (Date.now() > deadline) throw new Error(`sequence stuck at ${b.spiffe_sequence}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test("docs/spiffe.md example: provision, serve, mint, verify, rotate, revoke, restart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_spiffe_e2e_" });
  let server: RunningServer | undefined;
  try {
    // 1. Provision the root and two services that mint their own SVIDs.
    await kp(dir, "spiffe", "init", "--root", "spiffe", "--trust-domain", TD);
    await kp(dir, "spiffe", "add-service", "--root", "spiffe", "orders");
    await kp(dir, "spiffe", "add-service", "--root", "spiffe", "billing");
    // 2. Serve it; the sensor asks the server for its SVIDs with a password.
    const hash = (await runKeypebble(["hash-password"], { stdin: "sensor-password-1" })).stdout
      .trim();
    await Deno.writeTextFile(
      `${dir}/policy.yaml`,
      `users:\n  sensor-t1:\n    password_hash: "${hash}"\n    spiffe_ids: ["spiffe://${TD}/sensors/t-1"]\n`,
    );
    await Deno.writeTextFile(
      `${dir}/keypebble.yaml`,
      `issuer: "https://keypebble.edge.example"\nhs256_secret_path: secret\npolicy_path: policy.yaml\nspiffe:\n  trust_domain: ${TD}\n  root: spiffe\n`,
    );
    await Deno.writeTextFile(`${dir}/secret`, crypto.randomUUID() + crypto.randomUUID());
    server = await startServer("keypebble.yaml", { cwd: dir });
    const seq0 = (await spiffeBundle(server)).spiffe_sequence;

    // 3. Mint: orders and billing from their files (service-env), the sensor centrally.
    const orders = await Identity.fromEnv(
      envOf(await kp(dir, "spiffe", "service-env", "--root", "spiffe", "orders")),
      { reloadIntervalMs: 0 },
    );
    const billing = await Identity.fromEnv(
      envOf(await kp(dir, "spiffe", "service-env", "--root", "spiffe", "billing")),
      {
        reloadIntervalMs: 0,
      },
    );
    const toBilling = await orders.token(BILLING);
    const asked = await fetch(`${server.url}/spiffe/v1/svid`, {
      method: "POST",
      headers: { authorization: `Basic ${btoa("sensor-t1:sensor-password-1")}` },
      body: JSON.stringify({ spiffe_id: SENSOR, audience: ORDERS }),
    });
    assert.equal(asked.status, 200);
    const sensorToken = (await asked.json()).svid as string;

    // 4. Verify, four ways: the receiving service, the CLI, the server, and jose.
    assert.equal((await billing.verify(toBilling)).spiffeId, ORDERS);
    assert.equal((await orders.verify(sensorToken)).spiffeId, SENSOR);
    await kp(
      dir,
      "spiffe",
      "verify",
      "--bundle",
      "spiffe/bundle.json",
      "--audience",
      ORDERS,
      sensorToken,
    );
    assert.equal((await verifyAt(server, toBilling, BILLING)).status, 200);
    const spiffe = await spiffeBundle(server);
    assert.ok(spiffe.spiffe_sequence > seq0, "binding the sensor changed the bundle");
    assert.equal(
      (await jwtVerify(sensorToken, jwksOf(spiffe.keys), {
        audience: ORDERS,
        algorithms: ["ES256"],
      })).payload.sub,
      SENSOR,
    );
    const doc = await (await fetch(`${server.url}/spiffe/v1/spiffile-bundle`)).json();
    await jwtVerify(toBilling, jwksOf(doc.identities[ORDERS].keys), {
      audience: BILLING,
      algorithms: ["ES256"],
    });
    // …and refusals: wrong audience, another identity's keys
    await assert.rejects(
      jwtVerify(sensorToken, jwksOf(spiffe.keys), { audience: BILLING, algorithms: ["ES256"] }),
    );
    await assert.rejects(
      jwtVerify(toBilling, jwksOf(doc.identities[BILLING].keys), {
        audience: BILLING,
        algorithms: ["ES256"],
      }),
    );
    const wrong = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      "spiffe/bundle.json",
      "--audience",
      BILLING,
      sensorToken,
    ], { cwd: dir });
    assert.equal(wrong.code, 1);
    assert.equal((await verifyAt(server, toBilling, ORDERS)).body.error, "invalid_token");

    // 5. Rotate orders under traffic: old and new tokens verify throughout the overlap.
    let stop = false;
    let checks = 0;
    const traffic = (async () => {
      while (!stop) {
        const r = await verifyAt(server!, toBilling, BILLING);
        assert.equal(r.status, 200, JSON.stringify(r.body));
        await billing.verify(toBilling);
        checks++;
        // Paced: flat out, one keep-alive connection would exceed a worker's share of the
        // per-address limit (600/min split over `serve --workers`, docs/operations.md "Workers").
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const rotated = await kp(dir, "spiffe", "rotate-service", "--root", "spiffe", "orders");
    const seq1 = Number(/spiffe_sequence=(\d+)/.exec(rotated)![1]);
    await waitForSequence(server, seq1);
    const orders2 = await Identity.fromEnv(
      envOf(await kp(dir, "spiffe", "service-env", "--root", "spiffe", "orders")),
    );
    const fresh = await orders2.token(BILLING);
    assert.equal((await verifyAt(server, fresh, BILLING)).status, 200);
    await billing.verify(fresh);
    stop = true;
    await traffic;
    assert.ok(checks > 0);

    // 6. Revoke the old key: old tokens stop, new ones still pass.
    const revoked = await kp(
      dir,
      "spiffe",
      "rotate-service",
      "--root",
      "spiffe",
      "orders",
      "--revoke-old",
    );
    const seq2 = Number(/spiffe_sequence=(\d+)/.exec(revoked)![1]);
    assert.ok(seq2 > seq1);
    await waitForSequence(server, seq2);
    assert.equal((await verifyAt(server, toBilling, BILLING)).body.error, "invalid_token");
    await assert.rejects(
      billing.verify(toBilling),
      (e) => e instanceof SvidError && e.code === "invalid_token",
    );
    await billing.verify(fresh);

    // Restart: the sequence survives, and the next change moves it further.
    assert.equal(await server.stop(), 0);
    server = await startServer("keypebble.yaml", { cwd: dir });
    assert.equal((await spiffeBundle(server)).spiffe_sequence, seq2);
    assert.equal((await verifyAt(server, fresh, BILLING)).status, 200);

    // 7. Remove billing's caller: its identity is unknown from now on.
    const removed = await kp(dir, "spiffe", "remove-service", "--root", "spiffe", "orders");
    const seq3 = Number(/spiffe_sequence=(\d+)/.exec(removed)![1]);
    assert.ok(seq3 > seq2);
    await waitForSequence(server, seq3);
    assert.equal((await verifyAt(server, fresh, BILLING)).body.error, "unknown_identity");
    await assert.rejects(
      billing.verify(fresh),
      (e) => e instanceof SvidError && e.code === "unknown_identity",
    );
  } finally {
    await server?.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the services' module runs under Bun: a token minted there verifies here", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_spiffe_bun_" });
  try {
    await kp(dir, "spiffe", "init", "--root", "root", "--trust-domain", TD);
    await kp(dir, "spiffe", "add-service", "--root", "root", "orders");
    await kp(dir, "spiffe", "add-service", "--root", "root", "billing");
    const script = `${dir}/mint.ts`;
    await Deno.writeTextFile(
      script,
      `import { Identity } from "${REPO_ROOT}src/spiffe/identity.ts";\n` +
        `const me = await Identity.fromEnv();\nconsole.log(await me.token("${BILLING}"));\n`,
    );
    const env = envOf(await kp(dir, "spiffe", "service-env", "--root", "root", "orders"));
    const child = new Deno.Command("bun", {
      args: ["run", script],
      env,
      stdout: "piped",
      stderr: "piped",
    });
    const out = await child.output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const token = new TextDecoder().decode(out.stdout).trim();
    const billing = await Identity.fromEnv(
      envOf(await kp(dir, "spiffe", "service-env", "--root", "root", "billing")),
    );
    assert.equal((await billing.verify(token)).spiffeId, ORDERS);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

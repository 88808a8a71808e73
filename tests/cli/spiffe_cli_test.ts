/**
 * `keypebble spiffe …` as real processes: concurrent add-service runs, a process killed between
 * the key write and the bundle write, bad input that must change nothing, service-env output,
 * and `spiffe verify` exit codes (the conformance fixtures' token included).
 */

import assert from "node:assert/strict";
import { collectLines, keypebbleCommand, runKeypebble } from "../helpers/process.ts";
import fixtures from "../../src/spiffe/testdata/conformance_fixtures.json" with { type: "json" };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "kp_spiffe_cli_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else out[p] = await Deno.readTextFile(p);
    }
  };
  await walk(dir);
  return out;
}

async function bundleOf(root: string) {
  return JSON.parse(await Deno.readTextFile(`${root}/bundle.json`));
}

/** The root is consistent: a valid bundle whose every key belongs to a complete service key. */
async function assertConsistent(root: string): Promise<void> {
  const b = await bundleOf(root);
  assert.equal(b.spiffile_version, 1);
  for (const name of Object.keys(await snapshot(root))) {
    assert.ok(!name.includes(".tmp-"), `left a temp file: ${name}`);
    if (name.endsWith(".pem")) {
      assert.match(
        await Deno.readTextFile(name),
        /^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/,
      );
    }
  }
  assert.ok(
    !Object.keys(await snapshot(root)).some((n) => n.endsWith("/.lock")),
    "lock left behind",
  );
}

Deno.test("spiffe add-service: concurrent runs all land in the bundle, none lost", async () => {
  await withDir(async (dir) => {
    const root = `${dir}/root`;
    assert.equal(
      (await runKeypebble(["spiffe", "init", "--root", root, "--trust-domain", "edge.example"]))
        .code,
      0,
    );
    const names = ["orders", "billing", "sensors/t-1", "sensors/t-2", "orders", "billing"];
    const results = await Promise.all(
      names.map((n) => runKeypebble(["spiffe", "add-service", "--root", root, n])),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const b = await bundleOf(root);
    assert.deepEqual(Object.keys(b.identities).sort(), [
      "spiffe://edge.example/billing",
      "spiffe://edge.example/orders",
      "spiffe://edge.example/sensors/t-1",
      "spiffe://edge.example/sensors/t-2",
    ]);
    for (const id of Object.keys(b.identities)) assert.equal(b.identities[id].keys.length, 1, id);
    // init (1) + four real additions; the two repeats changed nothing
    assert.equal(b.spiffe_sequence, 5);
    await assertConsistent(root);
  });
});

Deno.test("spiffe add-service killed between the key write and the bundle write leaves a consistent root; a re-run completes it", async () => {
  await withDir(async (dir) => {
    const root = `${dir}/root`;
    await runKeypebble(["spiffe", "init", "--root", root, "--trust-domain", "edge.example"]);
    const before = await Deno.readTextFile(`${root}/bundle.json`);
    const { cmd, prefix } = keypebbleCommand();
    const child = new Deno.Command(cmd, {
      args: [...prefix, "spiffe", "add-service", "--root", root, "orders"],
      env: { KEYPEBBLE_SPIFFE_PAUSE_AFTER_KEY: "60" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const { lines, done } = collectLines(child);
    const deadline = Date.now() + 20_000;
    while (!lines.some((l) => l.includes("paused after the key write"))) {
      if (Date.now() > deadline) throw new Error(`never paused: ${lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    child.kill("SIGKILL");
    await child.status;
    await done;
    // The bundle is untouched and valid; the key file is complete; the lock is stale.
    assert.equal(await Deno.readTextFile(`${root}/bundle.json`), before);
    assert.match(
      await Deno.readTextFile(`${root}/services/orders/key.pem`),
      /END PRIVATE KEY-----\n$/,
    );
    const again = await runKeypebble(["spiffe", "add-service", "--root", root, "orders"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^added spiffe:\/\/edge\.example\/orders kid=/);
    const b = await bundleOf(root);
    assert.equal(b.identities["spiffe://edge.example/orders"].keys.length, 1);
    await assertConsistent(root);
  });
});

Deno.test("spiffe commands refuse bad input with a clear error and change nothing", async () => {
  await withDir(async (dir) => {
    const root = `${dir}/root`;
    await runKeypebble(["spiffe", "init", "--root", root, "--trust-domain", "edge.example"]);
    await runKeypebble(["spiffe", "add-service", "--root", root, "orders"]);
    const before = await snapshot(root);
    for (
      const bad of [".", "..", "../escape", "a/./b", "a//b", "a/", "/abs", "", "bad~name", "sp ace"]
    ) {
      const r = await runKeypebble(["spiffe", "add-service", "--root", root, bad]);
      assert.equal(r.code, 2, bad);
      assert.match(r.stderr, /error \(invalid_spiffe_id\): Invalid service name/, bad);
    }
    for (const sub of ["rotate-service", "remove-service", "service-env"]) {
      const r = await runKeypebble(["spiffe", sub, "--root", root, "../orders"]);
      assert.equal(r.code, 2, sub);
    }
    assert.match(
      (await runKeypebble(["spiffe", "rotate-service", "--root", root, "ghost"])).stderr,
      /does not exist/,
    );
    assert.match(
      (await runKeypebble(["spiffe", "init", "--root", root, "--trust-domain", "other.example"]))
        .stderr,
      /already the root of trust domain "edge\.example"/,
    );
    assert.equal(
      (await runKeypebble(["spiffe", "init", "--root", root, "--trust-domain", "Upper.Case"])).code,
      2,
    );
    assert.equal((await runKeypebble(["spiffe", "frobnicate", "--root", root])).code, 2);
    assert.equal(
      (await runKeypebble(["spiffe", "add-service", "--root", root, "--trust-domain", "x", "a"]))
        .code,
      2,
    );
    assert.deepEqual(await snapshot(root), before);
    // An existing directory that is not a spiffile root
    const foreign = `${dir}/foreign`;
    await Deno.mkdir(foreign);
    await Deno.writeTextFile(`${foreign}/data.txt`, "keep me");
    const r = await runKeypebble([
      "spiffe",
      "init",
      "--root",
      foreign,
      "--trust-domain",
      "edge.example",
    ]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /is not empty and is not a spiffile root/);
    const r2 = await runKeypebble(["spiffe", "add-service", "--root", foreign, "orders"]);
    assert.match(r2.stderr, /is not a spiffile root/);
    assert.deepEqual(await snapshot(foreign), { [`${foreign}/data.txt`]: "keep me" });
  });
});

Deno.test("spiffe service-env prints the three PROFILE §1.1 variables as KEY=VALUE lines", async () => {
  await withDir(async (dir) => {
    const root = `${dir}/root`;
    await runKeypebble(["spiffe", "init", "--root", root, "--trust-domain", "edge.example"]);
    await runKeypebble(["spiffe", "add-service", "--root", root, "sensors/t-1"]);
    const r = await runKeypebble(["spiffe", "service-env", "--root", root, "sensors/t-1"]);
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      `SPIFFILE_ID_FILE=${root}/services/sensors/t-1/id\nSPIFFILE_KEY_FILE=${root}/services/sensors/t-1/key.pem\nSPIFFILE_BUNDLE_FILE=${root}/bundle.json\n`,
    );
    const mode = (await Deno.stat(`${root}/services/sensors/t-1/key.pem`)).mode! & 0o777;
    assert.equal(mode, 0o600);
  });
});

Deno.test("spiffe verify exits 0 for the conformance token and 1 with a code for refused ones", async () => {
  await withDir(async (dir) => {
    const bundle = `${dir}/bundle.json`;
    await Deno.writeTextFile(bundle, JSON.stringify(fixtures.bundle));
    // The fixture token expires in 2035: valid today.
    const ok = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      bundle,
      "--audience",
      "spiffe://example.org/billing",
      fixtures.token_orders_to_billing_exp_2035,
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).spiffe_id, "spiffe://example.org/orders");
    const aud = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      bundle,
      "--audience",
      "spiffe://example.org/orders",
      fixtures.token_orders_to_billing_exp_2035,
    ]);
    assert.equal(aud.code, 1);
    assert.match(aud.stderr, /^invalid \(invalid_token\): Token audience/);
    const multi = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      bundle,
      "--audience",
      "spiffe://example.org/billing",
      fixtures.token_orders_to_billing_multi_aud_exp_2035,
    ]);
    assert.equal(multi.code, 1);
    assert.match(multi.stderr, /single string/);
    // The orders identity removed from the bundle
    const { ["spiffe://example.org/orders"]: _gone, ...rest } = fixtures.bundle.identities;
    await Deno.writeTextFile(bundle, JSON.stringify({ ...fixtures.bundle, identities: rest }));
    const unknown = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      bundle,
      "--audience",
      "spiffe://example.org/billing",
      "-",
    ], { stdin: fixtures.token_orders_to_billing_exp_2035 + "\n" });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^invalid \(unknown_identity\)/);
    await Deno.writeTextFile(bundle, JSON.stringify({ ...fixtures.bundle, spiffile_version: 2 }));
    const badBundle = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      bundle,
      "--audience",
      "spiffe://example.org/billing",
      "x.y.z",
    ]);
    // As spiffile's tools: a bundle of an unknown version does not verify the token (exit 1);
    // exit 2 is for "could not run".
    assert.equal(badBundle.code, 1);
    assert.match(badBundle.stderr, /^invalid \(invalid_bundle\).*spiffile_version/);
    const missing = await runKeypebble([
      "spiffe",
      "verify",
      "--bundle",
      `${bundle}.missing`,
      "--audience",
      "spiffe://example.org/billing",
      "x.y.z",
    ]);
    assert.equal(missing.code, 2);
  });
});

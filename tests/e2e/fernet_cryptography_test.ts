/**
 * Our Fernet tokens against Python's `cryptography.fernet` (Debian python3-cryptography), through
 * the real program (or the compiled binary with KEYPEBBLE_BIN), both directions:
 *
 * - `keypebble issue --format fernet` and a server kind with `format: fernet` → Python's
 *   MultiFernet (the repository's keys) decrypts them, within the TTL, to the documented JSON;
 * - Python's tokens made with the primary, a secondary or the staged key → `keypebble verify`
 *   accepts them; with a key outside the repository, too old, or too far in the future it
 *   refuses (exit 1) with the reason;
 * - a rotation with `keypebble fernet rotate` keeps earlier tokens readable.
 */

import assert from "node:assert/strict";
import { REPO_ROOT, run, runKeypebble, startServer } from "../helpers/process.ts";

const PYTHON = "/usr/bin/python3";
const PEER = `${REPO_ROOT}tests/e2e/python/fernet_peer.py`;

type Json = Record<string, unknown>;

async function peer(ops: Json[]): Promise<Json[]> {
  const r = await run(PYTHON, [PEER], { stdin: JSON.stringify({ ops }) });
  return JSON.parse(r.stdout).results;
}

async function setup(): Promise<
  { dir: string; config: string; keys: () => Promise<Record<string, string>> }
> {
  const dir = await Deno.makeTempDir({ prefix: "kp_fernet_e2e_" });
  for (
    const args of [
      ["keygen", "--alg", "ES256", "--out", `${dir}/sign.pem`],
      ["fernet", "setup", "--dir", `${dir}/fernet`],
    ]
  ) {
    const r = await runKeypebble(args);
    assert.equal(r.code, 0, r.stderr);
  }
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    `issuer: https://kp.example
audience: edge-api
keys:
  - path: sign.pem
fernet: {keys_dir: fernet, ttl_seconds: 600}
profiles:
  command: {format: fernet}
`,
  );
  const keys = async () => {
    const out: Record<string, string> = {};
    for await (const e of Deno.readDir(`${dir}/fernet`)) {
      if (/^\d+$/.test(e.name)) {
        out[e.name] = (await Deno.readTextFile(`${dir}/fernet/${e.name}`)).trim();
      }
    }
    return out;
  };
  return { dir, config, keys };
}

Deno.test("Python's MultiFernet reads keypebble's Fernet tokens (CLI and server) as the documented JSON", async () => {
  const s = await setup();
  try {
    const issued = await runKeypebble([
      "issue",
      "--config",
      s.config,
      "--format",
      "fernet",
      "--claims",
      '{"sub":"edge-4"}',
    ]);
    assert.equal(issued.code, 0, issued.stderr);
    const server = await startServer(s.config);
    let serverToken: string;
    try {
      const res = await fetch(`${server.url}/command/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ target: "edge-1", command: "uptime" }),
      });
      assert.equal(res.status, 200);
      serverToken = (await res.json()).token;
    } finally {
      assert.equal(await server.stop(), 0);
    }
    const keys = Object.values(await s.keys());
    const [cli, srv, tooOld] = await peer([
      { op: "decrypt", token: issued.stdout.trim(), keys, ttl: 600 },
      { op: "decrypt", token: serverToken, keys, ttl: 600 },
      {
        op: "decrypt",
        token: serverToken,
        keys,
        ttl: 60,
        now: Math.floor(Date.now() / 1000) + 3600,
      },
    ]);
    const a = JSON.parse(cli.message as string);
    assert.equal(a.typ, "JWT");
    assert.equal(a.sub, "edge-4");
    assert.equal(a.aud, "edge-api");
    assert.equal(a.iss, "https://kp.example");
    assert.equal(Object.keys(a)[0], "typ", "the kind's typ comes first");
    const b = JSON.parse(srv.message as string);
    assert.equal(b.typ, "kp-command+jwt");
    assert.equal(b.command, "uptime");
    assert.equal(b.aud, "edge-1");
    assert.equal(tooOld.error, "InvalidToken");
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("keypebble verify reads Python's Fernet tokens made with any repository key, and refuses the rest", async () => {
  const s = await setup();
  try {
    const now = Math.floor(Date.now() / 1000);
    const claims = (extra: Json = {}) =>
      JSON.stringify({
        typ: "JWT",
        iss: "https://kp.example",
        sub: "py",
        iat: now,
        exp: now + 300,
        ...extra,
      });
    const keys = await s.keys();
    const made = await peer([
      { op: "encrypt", key: keys["1"], message: claims() }, // primary
      { op: "encrypt", key: keys["0"], message: claims() }, // staged: accepted before it signs
      { op: "encrypt", key: "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", message: claims() }, // not ours
      { op: "encrypt", key: keys["1"], message: claims(), at: now - 700 }, // older than the TTL
      { op: "encrypt", key: keys["1"], message: claims(), at: now + 300 }, // from the future
      { op: "encrypt", key: keys["1"], message: claims({ iss: "https://evil.example" }) },
      { op: "encrypt", key: keys["1"], message: claims({ exp: now - 120 }) }, // claims expired
      { op: "encrypt", key: keys["1"], message: "not json" },
    ]);
    for (const i of [0, 1]) {
      const r = await runKeypebble(["verify", "--config", s.config, made[i].token as string]);
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.format, "fernet");
      assert.equal(out.key, i === 0 ? "1" : "0");
      assert.equal(out.claims.sub, "py");
    }
    const refused: [number, RegExp][] = [
      [2, /invalid_token/],
      [3, /token_expired/],
      [4, /token_not_yet_valid/],
      [5, /invalid_issuer/],
      [6, /token_expired/],
      [7, /invalid_token/],
    ];
    for (const [i, re] of refused) {
      const r = await runKeypebble(["verify", "--config", s.config, made[i].token as string]);
      assert.equal(r.code, 1, `case ${i}: ${r.stdout}`);
      assert.match(r.stderr, re, `case ${i}`);
    }
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("after keypebble fernet rotate, earlier tokens still verify and Python reads the new ones", async () => {
  const s = await setup();
  try {
    const before = (await runKeypebble(["issue", "--config", s.config, "--format", "fernet"]))
      .stdout.trim();
    const rot = await runKeypebble(["fernet", "rotate", "--dir", `${s.dir}/fernet`]);
    assert.equal(rot.code, 0, rot.stderr);
    const after = (await runKeypebble(["issue", "--config", s.config, "--format", "fernet"])).stdout
      .trim();
    const v = await runKeypebble(["verify", "--config", s.config, before]);
    assert.equal(v.code, 0, v.stderr);
    assert.equal(JSON.parse(v.stdout).key, "1", "verified by the now secondary key");
    const v2 = await runKeypebble(["verify", "--config", s.config, after]);
    assert.equal(
      JSON.parse(v2.stdout).key,
      "2",
      "signed by the new primary, the former staged key",
    );
    const keys = await s.keys();
    const [onlyNew, onlyOld] = await peer([
      { op: "decrypt", token: after, keys: [keys["2"]], ttl: 600 },
      { op: "decrypt", token: after, keys: [keys["1"]], ttl: 600 },
    ]);
    assert.equal(JSON.parse(onlyNew.message as string).iss, "https://kp.example");
    assert.equal(onlyOld.error, "InvalidToken");
  } finally {
    await Deno.remove(s.dir, { recursive: true });
  }
});

Deno.test("a running server picks up a rotation on SIGHUP: new tokens use the new primary, older ones still verify", async () => {
  const s = await setup();
  const server = await startServer(s.config);
  try {
    const mintOne = async () => {
      const res = await fetch(`${server.url}/command/token`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ target: "edge-1", command: "uptime" }),
      });
      assert.equal(res.status, 200);
      return (await res.json()).token as string;
    };
    const before = await mintOne();
    assert.equal((await runKeypebble(["fernet", "rotate", "--dir", `${s.dir}/fernet`])).code, 0);
    server.signal("SIGHUP");
    const deadline = Date.now() + 10_000;
    while ((await (await fetch(`${server.url}/healthz`)).json()).generation < 2) {
      if (Date.now() > deadline) throw new Error(`no reload:\n${server.lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const after = await mintOne();
    const keys = await s.keys();
    const [newOnly, oldOnly] = await peer([
      { op: "decrypt", token: after, keys: [keys["2"]], ttl: 600 },
      { op: "decrypt", token: before, keys: [keys["1"]], ttl: 600 },
    ]);
    assert.equal(
      JSON.parse(newOnly.message as string).typ,
      "kp-command+jwt",
      String(newOnly.error),
    );
    assert.equal(
      JSON.parse(oldOnly.message as string).typ,
      "kp-command+jwt",
      String(oldOnly.error),
    );
    const v = await runKeypebble(["verify", "--config", s.config, before]);
    assert.equal(v.code, 0, v.stderr);
  } finally {
    assert.equal(await server.stop(), 0);
    await Deno.remove(s.dir, { recursive: true });
  }
});

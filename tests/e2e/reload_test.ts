/**
 * Reload against a running server under continuous load: a broken config, key or policy keeps the
 * old runtime serving and says why (log line and /healthz); a good one switches atomically. Not a
 * single request may fail along the way. Also the `watch: true` poller.
 */

import assert from "node:assert/strict";
import { runKeypebble, type RunningServer, startServer } from "../helpers/process.ts";

const GOOD_POLICY = 'users:\n  alice:\n    repos: ["alice/*"]\n    actions: ["pull"]\n';

function headerAndClaims(token: string): { kid: unknown; alg: unknown; iss: unknown } {
  const dec = (s: string) =>
    JSON.parse(
      atob(s.replaceAll("-", "+").replaceAll("_", "/").padEnd(Math.ceil(s.length / 4) * 4, "=")),
    );
  const [h, p] = token.split(".");
  return { ...dec(h), ...dec(p) };
}

function config(issuer: string, keyEntry: string, extra = ""): string {
  return `issuer: "${issuer}"
policy_path: policy.yaml
rate_limit:
  per_address: false
  per_principal: false
keys:
${keyEntry}${extra}`;
}

interface Health {
  generation: number;
  last_reload: { outcome: string; at?: string; error?: string };
}

async function health(server: RunningServer): Promise<Health> {
  return await (await fetch(`${server.url}/healthz`)).json();
}

function reloadLines(server: RunningServer): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const l of server.lines) {
    try {
      const o = JSON.parse(l);
      if (o.event === "reload") out.push(o);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** SIGHUP and wait for the next `reload` log line; returns it. */
async function hup(server: RunningServer): Promise<Record<string, unknown>> {
  const before = reloadLines(server).length;
  server.signal("SIGHUP");
  const deadline = Date.now() + 10_000;
  for (;;) {
    const lines = reloadLines(server);
    if (lines.length > before) return lines[before];
    if (Date.now() > deadline) throw new Error(`no reload line:\n${server.lines.join("\n")}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Requests sent back to back until stopped; every response is recorded. */
function loadLoop(server: RunningServer): {
  stop(): Promise<{ total: number; failures: string[]; issuers: Set<unknown> }>;
} {
  let running = true;
  const failures: string[] = [];
  const issuers = new Set<unknown>();
  let total = 0;
  const worker = async () => {
    while (running) {
      try {
        const res = await fetch(`${server.url}/auth`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"sub":"loop"}',
        });
        const text = await res.text();
        total++;
        if (res.status !== 200) failures.push(`${res.status} ${text}`);
        else issuers.add(headerAndClaims(JSON.parse(text).token).iss);
        const j = await fetch(`${server.url}/.well-known/jwks.json`);
        await j.body?.cancel();
        total++;
        if (j.status !== 200) failures.push(`jwks ${j.status}`);
      } catch (e) {
        failures.push(String(e));
      }
    }
  };
  const workers = [worker(), worker(), worker()];
  return {
    async stop() {
      running = false;
      await Promise.all(workers);
      return { total, failures, issuers };
    },
  };
}

async function issue(server: RunningServer): Promise<{ kid: unknown; alg: unknown; iss: unknown }> {
  const res = await fetch(`${server.url}/auth`, { method: "POST", body: "{}" });
  assert.equal(res.status, 200);
  return headerAndClaims((await res.json()).token);
}

Deno.test("reload: broken configs keep the old runtime, a good one swaps atomically, no request fails", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_reload_" });
  const a = await runKeypebble(["keygen", "--alg", "ES256", "--out", `${dir}/a.pem`]);
  const b = await runKeypebble(["keygen", "--alg", "EdDSA", "--out", `${dir}/b.pem`]);
  const kidA = a.stdout.trim();
  const kidB = b.stdout.trim();
  const path = `${dir}/config.yaml`;
  const good1 = config("https://one.test", "  - path: a.pem\n");
  await Deno.writeTextFile(path, good1);
  await Deno.writeTextFile(`${dir}/policy.yaml`, GOOD_POLICY);
  const server = await startServer(path);
  const loop = loadLoop(server);
  let result: Awaited<ReturnType<ReturnType<typeof loadLoop>["stop"]>>;
  try {
    const first = await issue(server);
    assert.equal(first.kid, kidA);
    assert.equal(first.iss, "https://one.test");
    const broken: [string, () => Promise<void>, RegExp][] = [
      [
        "bad YAML",
        () => Deno.writeTextFile(path, 'issuer: "unterminated\nkeys: [\n'),
        /not valid YAML/,
      ],
      [
        "5-byte HS256 secret",
        () =>
          Deno.writeTextFile(path, config("https://two.test", "  - secret: abcde\n    kid: h1\n")),
        /keys\[0\].*5 bytes.*at least 32/,
      ],
      [
        "missing key file",
        () => Deno.writeTextFile(path, config("https://two.test", "  - path: missing.pem\n")),
        /keys\[0\]: cannot read the key file: the file does not exist/,
      ],
      [
        "bad policy",
        async () => {
          await Deno.writeTextFile(path, good1.replace("one.test", "two.test"));
          await Deno.writeTextFile(`${dir}/policy.yaml`, "users:\n  alice:\n    repoz: [x]\n");
        },
        /policy\.yaml.*repoz/,
      ],
    ];
    for (const [what, breakIt, reason] of broken) {
      await breakIt();
      const line = await hup(server);
      assert.equal(line.outcome, "failure", what);
      assert.equal(line.level, "error", what);
      assert.match(String(line.message), reason, what);
      assert.match(String(line.message), /still serving generation 1/, what);
      const h = await health(server);
      assert.equal(h.generation, 1, what);
      assert.equal(h.last_reload.outcome, "failure", what);
      // /healthz is public: a code and the field, never the message or a path.
      assert.equal(h.last_reload.error, "reload_failed", what);
      assert.ok(!JSON.stringify(h.last_reload).includes(dir), what);
      const t = await issue(server);
      assert.equal(t.kid, kidA, what);
      assert.equal(t.iss, "https://one.test", what);
    }
    // No secret ever reaches the log.
    assert.ok(!server.lines.some((l) => l.includes("abcde")), "the refused secret is not logged");

    // A good config: new issuer and a new signing key, in one step.
    await Deno.writeTextFile(`${dir}/policy.yaml`, GOOD_POLICY);
    await Deno.writeTextFile(
      path,
      config("https://two.test", "  - path: b.pem\n  - path: a.pem\n"),
    );
    const ok = await hup(server);
    assert.equal(ok.outcome, "success");
    assert.equal(ok.generation, 2);
    const h = await health(server);
    assert.equal(h.generation, 2);
    assert.equal(h.last_reload.outcome, "success");
    for (let i = 0; i < 5; i++) {
      const t = await issue(server);
      assert.equal(t.kid, kidB);
      assert.equal(t.alg, "EdDSA");
      assert.equal(t.iss, "https://two.test");
    }
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    result = await loop.stop();
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
  const { total, failures, issuers } = result;
  assert.deepEqual(failures, [], `no request failed (of ${total})`);
  assert.ok(total > 50, `the loop kept sending (${total})`);
  // Every token was from generation 1 or 2, never a mix.
  assert.deepEqual([...issuers].sort(), ["https://one.test", "https://two.test"]);
});

Deno.test("reload: watch: true picks up a changed config file without a signal", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_watch_" });
  await Deno.writeTextFile(`${dir}/hmac.txt`, "watch-hmac-secret-0123456789abcdefghijklmn\n");
  await Deno.writeTextFile(`${dir}/policy.yaml`, GOOD_POLICY);
  const path = `${dir}/config.yaml`;
  const entry = "  - secret_path: hmac.txt\n    kid: w1\n";
  await Deno.writeTextFile(path, config("https://watch-one.test", entry, "watch: true\n"));
  const server = await startServer(path);
  try {
    assert.equal((await issue(server)).iss, "https://watch-one.test");
    // Let the poller take its first snapshot, then change the file (mtime moves on).
    await new Promise((r) => setTimeout(r, 1200));
    await Deno.writeTextFile(path, config("https://watch-two.test", entry, "watch: true\n"));
    const deadline = Date.now() + 10_000;
    while ((await health(server)).generation !== 2) {
      if (Date.now() > deadline) throw new Error(`no reload:\n${server.lines.join("\n")}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const line = reloadLines(server).at(-1)!;
    assert.equal(line.outcome, "success");
    assert.equal(line.trigger, "file_change");
    assert.equal((await issue(server)).iss, "https://watch-two.test");
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * Soak run (not part of CI): a bounded number of mixed requests against a real Keypebble server
 * on loopback, with ~64 concurrent keep-alive clients, reporting unexpected statuses, 5xx,
 * connection errors and the server's resident memory (VmRSS) over the run.
 *
 * ```sh
 * deno task soak                                   # 1 000 000 requests, concurrency 64
 * SOAK_REQUESTS=200000 SOAK_CONCURRENCY=32 deno task soak
 * ```
 *
 * Environment: `SOAK_REQUESTS` (default 1 000 000), `SOAK_CONCURRENCY` (64), `SOAK_MAX_SECONDS`
 * (1800: the run stops there whatever the count). Exit 1 when any request failed or answered a
 * status its kind does not expect. Traffic goes to 127.0.0.1 only.
 */

import { hashPassword } from "../../src/identity/mod.ts";
import { startServer } from "../helpers/process.ts";

const TOTAL = Number(Deno.env.get("SOAK_REQUESTS") ?? 1_000_000);
const CONCURRENCY = Number(Deno.env.get("SOAK_CONCURRENCY") ?? 64);
const MAX_SECONDS = Number(Deno.env.get("SOAK_MAX_SECONDS") ?? 1800);

interface Kind {
  readonly name: string;
  /** Relative weight in the mix. */
  readonly weight: number;
  readonly expect: number;
  make(base: string): [string, RequestInit];
}

function _basic(user: string, password: string): string {
  return "Basic " + btoa(`${user}:${password}`);
}

const FORM = { "content-type": "application/x-www-form-urlencoded" };

const KINDS: readonly Kind[] = [
  { name: "healthz", weight: 10, expect: 200, make: (b) => [`${b}/healthz`, {}] },
  {
    name: "auth",
    weight: 20,
    expect: 200,
    make: (b) => [`${b}/auth`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ sub: "edge-1", scope: "read" }),
    }],
  },
  {
    name: "registry",
    weight: 20,
    expect: 200,
    make: (b) => [`${b}/v2/token?service=registry.test&scope=repository:alice/app:pull,push`, {
      headers: { authorization: _basic("alice", "alice-pw") },
    }],
  },
  {
    name: "registry_bad_password",
    weight: 5,
    expect: 401,
    make: (b) => [`${b}/v2/token?service=registry.test`, {
      headers: { authorization: _basic("alice", "wrong") },
    }],
  },
  {
    name: "password_grant",
    weight: 5,
    expect: 200,
    make: (b) => [`${b}/v2/token`, {
      method: "POST",
      headers: FORM,
      body: "grant_type=password&username=alice&password=alice-pw&client_id=soak" +
        "&service=registry.test&scope=repository:alice/app:pull",
    }],
  },
  {
    name: "command",
    weight: 10,
    expect: 200,
    make: (b) => [`${b}/command/token`, {
      method: "POST",
      body: JSON.stringify({ target: "host-1", command: "uptime" }),
    }],
  },
  {
    name: "ksa",
    weight: 5,
    expect: 201,
    make: (
      b,
    ) => [`${b}/apis/authentication.k8s.io/v1/namespaces/ci/serviceaccounts/builder/token`, {
      method: "POST",
      body: JSON.stringify({ spec: { audiences: ["api"] } }),
    }],
  },
  { name: "jwks", weight: 5, expect: 200, make: (b) => [`${b}/.well-known/jwks.json`, {}] },
  {
    name: "bad_json",
    weight: 5,
    expect: 400,
    make: (b) => [`${b}/auth`, { method: "POST", body: '{"sub": ' }],
  },
  {
    name: "not_found",
    weight: 5,
    expect: 404,
    make: (b) => [`${b}/nothing/${Math.floor(Math.random() * 1e9)}`, {}],
  },
  {
    name: "bad_scope",
    weight: 5,
    expect: 400,
    make: (b) => [`${b}/v2/token?scope=repository:a/../b:pull`, {
      headers: { authorization: _basic("alice", "alice-pw") },
    }],
  },
  { name: "metrics", weight: 1, expect: 200, make: (b) => [`${b}/metrics`, {}] },
];

const TABLE: Kind[] = KINDS.flatMap((k) => Array<Kind>(k.weight).fill(k));

/** Run a small tool and return its stdout ("" when it fails). */
async function _tool(cmd: string, args: string[]): Promise<string> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "null" }).output();
    return out.success ? new TextDecoder().decode(out.stdout) : "";
  } catch {
    return "";
  }
}

/**
 * The server child's pid: the process whose command line has our config and port. Found with
 * pgrep, and /proc read with cat, because Deno asks for --allow-all to read /proc directly.
 */
async function _serverPid(port: number, config: string): Promise<number | undefined> {
  const out = await _tool("pgrep", ["-f", `serve --config ${config} --port ${port}`]);
  const pids = out.split("\n").filter((l) => /^\d+$/.test(l)).map(Number);
  return pids.length === 0 ? undefined : Math.max(...pids);
}

async function _rssKiB(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const m = (await _tool("cat", [`/proc/${pid}/status`])).match(/^VmRSS:\s+(\d+) kB/m);
  return m === null ? undefined : Number(m[1]);
}

function _mib(kib: number | undefined): string {
  return kib === undefined ? "?" : `${(kib / 1024).toFixed(1)} MiB`;
}

async function main(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "kp-soak-" });
  const config = `${dir}/config.yaml`;
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16))
    .join("");
  await Deno.writeTextFile(
    config,
    `issuer: "https://soak.test"
audience: "registry.test"
hs256_secret: "${secret}"
policy_path: policy.yaml
log_level: warn
rate_limit: { per_address: null, per_principal: null }
lockout: { enabled: false }
`,
  );
  const hash = await hashPassword("alice-pw", { iterations: 1000 });
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    `users:\n  alice:\n    password_hash: "${hash}"\n    repos: ["alice/*"]\n    actions: ["pull", "push"]\n`,
  );
  const server = await startServer(config, { timeoutMs: 30_000 });
  const pid = await _serverPid(server.port, config);
  console.log(
    `soak: ${TOTAL} requests, concurrency ${CONCURRENCY}, server ${server.url} pid ${pid}`,
  );

  const byKind = new Map<string, { n: number; unexpected: number }>();
  const statuses = new Map<number, number>();
  let sent = 0;
  let done = 0;
  let fiveXX = 0;
  let unexpected = 0;
  let connErrors = 0;
  const samples: string[] = [];
  const firstErrors: string[] = [];
  const deadline = Date.now() + MAX_SECONDS * 1000;

  // Warm up, then take the starting RSS
  for (let i = 0; i < 2000; i++) {
    const [url, init] = TABLE[i % TABLE.length].make(server.url);
    await (await fetch(url, init)).body?.cancel();
  }
  const rssStart = await _rssKiB(pid);
  let rssMax = rssStart ?? 0;
  const started = performance.now();

  const worker = async (w: number) => {
    let x = (Math.imul(w + 1, 0x9e3779b9) | 1) >>> 0;
    while (sent < TOTAL && Date.now() < deadline) {
      sent++;
      // xorshift32: a fixed, reproducible mix per worker
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      const kind = TABLE[x % TABLE.length];
      const [url, init] = kind.make(server.url);
      const k = byKind.get(kind.name) ?? { n: 0, unexpected: 0 };
      byKind.set(kind.name, k);
      k.n++;
      try {
        const res = await fetch(url, init);
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) fiveXX++;
        if (res.status !== kind.expect) {
          unexpected++;
          k.unexpected++;
          if (firstErrors.length < 10) firstErrors.push(`${kind.name}: ${res.status}`);
        }
      } catch (e) {
        connErrors++;
        if (firstErrors.length < 10) firstErrors.push(`${kind.name}: ${String(e).slice(0, 200)}`);
      }
      done++;
      if (done % 100_000 === 0) {
        const rss = await _rssKiB(pid);
        if (rss !== undefined && rss > rssMax) rssMax = rss;
        const secs = (performance.now() - started) / 1000;
        const line = `${done} done in ${secs.toFixed(0)} s (${(done / secs).toFixed(0)} req/s), ` +
          `server RSS ${
            _mib(rss)
          }, unexpected ${unexpected}, 5xx ${fiveXX}, conn errors ${connErrors}`;
        samples.push(line);
        console.log(line);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const secs = (performance.now() - started) / 1000;
  const rssEnd = await _rssKiB(pid);
  const health = await fetch(`${server.url}/healthz`);
  const healthy = health.ok;
  await health.body?.cancel();
  const code = await server.stop();
  const serverErrors = server.lines.filter((l) => l.includes('"level":"error"'));
  await Deno.remove(dir, { recursive: true });

  console.log("\n== soak report ==");
  console.log(`requests: ${done} in ${secs.toFixed(1)} s (${(done / secs).toFixed(0)} req/s)`);
  console.log(`statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  for (const [name, k] of byKind) console.log(`  ${name}: ${k.n} (unexpected ${k.unexpected})`);
  console.log(
    `unexpected statuses: ${unexpected}, 5xx: ${fiveXX}, connection errors: ${connErrors}`,
  );
  if (firstErrors.length > 0) console.log(`first errors:\n  ${firstErrors.join("\n  ")}`);
  console.log(
    `server RSS: start ${_mib(rssStart)}, end ${_mib(rssEnd)}, max sampled ${_mib(rssMax)}`,
  );
  console.log(`server healthy at the end: ${healthy}; exit code after SIGTERM: ${code}`);
  console.log(`server error log lines: ${serverErrors.length}`);
  for (const l of serverErrors.slice(0, 5)) console.log(`  ${l}`);
  const failed = unexpected + fiveXX + connErrors + serverErrors.length > 0 || !healthy ||
    done < TOTAL;
  console.log(failed ? "soak: FAILED" : "soak: ok");
  return failed ? 1 : 0;
}

if (import.meta.main) Deno.exit(await main());

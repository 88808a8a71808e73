/**
 * Forward-auth benchmark (issue 12), separate from `bench/run.ts`:
 *
 * 1. Key checks per second with a warm cache, in process (`ApiKeyService.check`).
 * 2. `GET /forward-auth` with a valid key through the handler, in process.
 * 3. `GET /forward-auth` over loopback with `wrk`, against the bare echo server
 *    (`bench/forward_auth_baseline.ts`) measured in the same run on the same runtime, on Deno (source)
 *    and, when `dist/keypebble` exists, the Bun binary.
 *
 *   deno task bench:forward-auth [--duration=5]
 */

import { ApiKeyService } from "../src/apikeys/service.ts";
import { createHandler, createServices } from "../src/app/mod.ts";
import { createLogger } from "../src/log/mod.ts";
import { openDenoSqlite } from "../src/platform/sqlite_deno.ts";
import { buildRuntime, FileMissingError } from "../src/runtime/mod.ts";
import { parseConfig } from "../src/config/mod.ts";
import { openStore } from "../src/store/mod.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const DURATION = Number(
  Deno.args.find((a) => a.startsWith("--duration="))?.split("=")[1] ?? 5,
);

function rate(n: number, ms: number): number {
  return Math.round((n / ms) * 1000);
}

// 1 and 2: in process --------------------------------------------------------------------------
const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
const svc = new ApiKeyService({
  store,
  pepper: new TextEncoder().encode("p".repeat(40)),
  config: {
    url: "sqlite::memory:",
    pepperPath: "-",
    cacheSeconds: 5,
    keyPrefix: "kp_live_",
    acceptedPrefixes: ["kp_live_"],
    tokenTtlSeconds: 900,
  },
});
await svc.createOrg("bench");
const { raw } = await svc.createKey({ orgName: "bench", label: "b", scopes: ["read"] });
await svc.check(raw);
let n = 0;
let t0 = performance.now();
while (performance.now() - t0 < 2000) {
  for (let i = 0; i < 1000; i++) {
    const c = await svc.check(raw);
    if (!c.ok) throw new Error("the key was refused");
  }
  n += 1000;
}
const checksPerSec = rate(n, performance.now() - t0);

const config = parseConfig('issuer: "https://kp.bench"\nhs256_secret_path: /s\n', "/bench.yaml");
const rt = await buildRuntime(config, {
  readTextFile: (p) =>
    p === "/s" ? Promise.resolve("s".repeat(40)) : Promise.reject(new FileMissingError(p)),
  writePrivateFile: () => Promise.reject(new Error("read-only")),
}, { generation: 1 });
const handler = createHandler(createServices({
  runtime: () => rt,
  config,
  logger: createLogger({ level: "warn", write: () => {}, now: () => new Date() }),
  runtimeName: "bench",
  apiKeys: svc,
}));
const req = () => new Request("http://kp/forward-auth", { headers: { "x-api-key": raw } });
n = 0;
t0 = performance.now();
while (performance.now() - t0 < 2000) {
  for (let i = 0; i < 500; i++) await handler(req(), { remoteAddr: "10.0.0.1" });
  n += 500;
}
const handlerPerSec = rate(n, performance.now() - t0);
await svc.close();
await store.close();

// 3: over loopback with wrk ---------------------------------------------------------------------
async function wrk(url: string, headers: string[]): Promise<number> {
  const args = ["-t1", "-c32", `-d${DURATION}s`, ...headers.flatMap((h) => ["-H", h]), url];
  const out = await new Deno.Command("wrk", { args, stdout: "piped", stderr: "null" }).output();
  const m = /Requests\/sec:\s+([\d.]+)/.exec(new TextDecoder().decode(out.stdout));
  return m ? Math.round(Number(m[1])) : 0;
}

async function waitFor(url: string, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(url, { headers });
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`${url} did not answer`);
}

function port(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const p = (l.addr as Deno.NetAddr).port;
  l.close();
  return p;
}

const rows: string[][] = [];
const hasWrk = (await new Deno.Command("sh", { args: ["-c", "command -v wrk"] }).output()).success;
if (hasWrk) {
  const dir = await Deno.makeTempDir({ prefix: "kp-bench-fwd-" });
  try {
    await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
    const cfg = `${dir}/kp.yaml`;
    await Deno.writeTextFile(
      cfg,
      'issuer: "https://kp.bench"\nhs256_secret_path: secret\nstore: {url: "sqlite:kp.db"}\nlog_level: warn\nrate_limit: {per_address: {requests: 10000000, window_seconds: 1}}\n',
    );
    const cli = (bin: string[], args: string[]) =>
      new Deno.Command(bin[0], {
        args: [...bin.slice(1), ...args],
        stdout: "piped",
        stderr: "piped",
      })
        .output();
    const denoBin = [Deno.execPath(), "run", "--allow-all", `${ROOT}src/main.ts`];
    await cli(denoBin, ["org", "create", "--config", cfg, "bench"]);
    const out = await cli(denoBin, [
      "key",
      "create",
      "--config",
      cfg,
      "--org",
      "bench",
      "--label",
      "wrk",
      "--json",
    ]);
    const key = JSON.parse(new TextDecoder().decode(out.stdout)).key as string;
    const runtimes: [string, string[], string[]][] = [
      [
        "deno",
        denoBin,
        [
          Deno.execPath(),
          "run",
          "--unstable-net",
          "--allow-net",
          `${ROOT}bench/forward_auth_baseline.ts`,
        ],
      ],
    ];
    try {
      await Deno.stat(`${ROOT}dist/keypebble`);
      runtimes.push([
        "bun",
        [`${ROOT}dist/keypebble`],
        ["bun", `${ROOT}bench/forward_auth_baseline.ts`],
      ]);
    } catch { /* no Bun binary built */ }
    for (const [name, bin, echo] of runtimes) {
      const bp = port();
      const base = new Deno.Command(echo[0], {
        args: [...echo.slice(1), String(bp)],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitFor(`http://127.0.0.1:${bp}/`);
      const baseline = await wrk(`http://127.0.0.1:${bp}/`, [`X-API-Key: ${key}`]);
      base.kill("SIGTERM");
      await base.status;
      const kp = port();
      const srv = new Deno.Command(bin[0], {
        args: [...bin.slice(1), "serve", "--config", cfg, "--port", String(kp)],
        stdout: "null",
        stderr: "null",
      }).spawn();
      await waitFor(`http://127.0.0.1:${kp}/healthz`);
      const fwd = await wrk(`http://127.0.0.1:${kp}/forward-auth`, [`X-API-Key: ${key}`]);
      srv.kill("SIGTERM");
      await srv.status;
      rows.push([name, String(fwd), String(baseline), (fwd / Math.max(1, baseline)).toFixed(2)]);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

console.log(`key checks (warm cache, in process): ${checksPerSec}/s`);
console.log(`GET /forward-auth through the handler, in process: ${handlerPerSec}/s`);
if (rows.length > 0) {
  console.log("\nruntime  forward-auth req/s  echo baseline req/s  ratio");
  for (const r of rows) {
    console.log(`${r[0].padEnd(8)} ${r[1].padStart(18)} ${r[2].padStart(20)} ${r[3].padStart(6)}`);
  }
} else {
  console.log("wrk not found: loopback figures skipped");
}

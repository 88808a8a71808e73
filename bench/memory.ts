/**
 * Where the resident memory of the Bun binary goes (issue 15: ≤ 60 MB after 100,000 requests).
 * For `--workers 1` and `--workers 2`, Keypebble's binary and a bare compiled `Bun.serve` with the
 * same threads (`bench/bare_bun_workers.ts`) alternate: idle, then POST /auth with wrk until at
 * least 100,000 requests, read at once (as `deno task bench` does) and again 3 s later. Each read
 * splits VmRSS into RssAnon (heaps: JavaScript, allocator, stacks) and RssFile (pages of the
 * binary itself). Medians of the rounds; the bare server is the floor any Bun program of this
 * shape pays on this machine.
 *
 *   deno task compile:bun && deno task bench:memory [--rounds=3] [--workers=1,2]
 */

import { AUTH_BODY, hs256ConfigYaml, POST_AUTH_LUA } from "./fixture.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const flags = new Map<string, string>();
for (const a of Deno.args) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m) flags.set(m[1], m[2] ?? "true");
}
const ROUNDS = Number(flags.get("rounds") ?? 3);
const WORKERS = (flags.get("workers") ?? "1,2").split(",").map(Number);
const BIN = `${ROOT}dist/keypebble`;

interface Mem {
  vmRss: number;
  anon: number;
  file: number;
}

async function run(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** VmRSS, RssAnon and RssFile in MB (/proc read with cat: Deno wants --allow-all for /proc). */
async function mem(pid: number): Promise<Mem> {
  const s = await run("cat", [`/proc/${pid}/status`]);
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  const mb = (k: string) => Math.round(kb(k) / 102.4) / 10;
  return { vmRss: mb("VmRSS"), anon: mb("RssAnon"), file: mb("RssFile") };
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = l.addr as Deno.NetAddr;
  l.close();
  return port;
}

async function waitUp(url: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    try {
      const r = await fetch(url, { method: "POST", body: AUTH_BODY });
      await r.body?.cancel();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  throw new Error(`${url} did not come up`);
}

/** One server: idle, after ≥ 100,000 POST /auth, 3 s later. */
async function measure(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  port: number,
  lua: string,
  cwd: string,
): Promise<{ idle: Mem; after: Mem; later: Mem; requests: number }> {
  const child = new Deno.Command(cmd, { args, env, cwd, stdout: "null", stderr: "null" }).spawn();
  try {
    const url = `http://127.0.0.1:${port}/auth`;
    await waitUp(url);
    await new Promise((r) => setTimeout(r, 1000));
    const idle = await mem(child.pid);
    let requests = 0;
    while (requests < 100_000) {
      const out = await run("wrk", ["-t1", "-c32", "-d5s", "-s", lua, url]);
      requests += Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    }
    const after = await mem(child.pid);
    await new Promise((r) => setTimeout(r, 3000));
    return { idle, after, later: await mem(child.pid), requests };
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "keypebble-memory-" });
  try {
    const secret = Array.from(
      crypto.getRandomValues(new Uint8Array(32)),
      (b) => b.toString(16).padStart(2, "0"),
    ).join("");
    await Deno.writeTextFile(`${dir}/hs.secret`, secret);
    await Deno.writeTextFile(`${dir}/hs256.yaml`, hs256ConfigYaml("hs.secret"));
    const lua = `${dir}/post.lua`;
    await Deno.writeTextFile(lua, POST_AUTH_LUA);
    const bare = `${dir}/bare_bun_workers`;
    await run("bun", [
      "build",
      "--compile",
      `${ROOT}bench/bare_bun_workers.ts`,
      "--outfile",
      bare,
    ]);
    const rows: string[] = [];
    for (const w of WORKERS) {
      const ours: Awaited<ReturnType<typeof measure>>[] = [];
      const floor: Awaited<ReturnType<typeof measure>>[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const p1 = freePort();
        ours.push(
          await measure(
            BIN,
            [
              "serve",
              "--config",
              "hs256.yaml",
              "--host",
              "127.0.0.1",
              "--port",
              String(p1),
              "--workers",
              String(w),
            ],
            {},
            p1,
            lua,
            dir,
          ),
        );
        const p2 = freePort();
        floor.push(
          await measure(bare, [], { BARE_PORT: String(p2), BARE_WORKERS: String(w) }, p2, lua, dir),
        );
        console.error(`workers ${w}, round ${r + 1}/${ROUNDS} done`);
      }
      for (const [name, xs] of [["keypebble", ours], ["bare Bun.serve", floor]] as const) {
        const f = (k: "idle" | "after" | "later") => {
          const m = (q: keyof Mem) => median(xs.map((x) => x[k][q])).toFixed(1);
          return `${m("vmRss")} (anon ${m("anon")}, file ${m("file")})`;
        };
        rows.push(
          `| ${name.padEnd(14)} | ${w} | ${f("idle")} | ${f("after")} | ${f("later")} | ${
            median(xs.map((x) => x.requests))
          } |`,
        );
      }
    }
    console.log(
      `VmRSS in MB, medians of ${ROUNDS} rounds; load average ${
        (await run("cat", ["/proc/loadavg"])).split(" ").slice(0, 3).join(" ")
      }`,
    );
    console.log("| server | workers | idle | after the requests | 3 s later | requests |");
    console.log("| --- | --- | --- | --- | --- | --- |");
    for (const r of rows) console.log(r);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) await main();

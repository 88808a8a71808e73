/**
 * Drives the in-process handler in a loop so a CPU profile or a heap figure shows where one kind
 * of request spends its time and memory, with no socket in the way:
 *
 *   deno run --allow-env --cpu-prof --cpu-prof-dir=/tmp/kp-prof bench/profile_handler.ts auth 100000
 *   deno run --allow-env bench/profile_handler.ts healthz 100000 --memory
 *
 * Kinds: `auth` (POST /auth HS256), `healthz`, `notfound` (a 404), `error` (a 400 from /auth),
 * `unauthorized` (a 401 from /auth: malformed Basic credentials),
 * `echo` (the bare echo's own work, as in layers_bench.ts), or `all`: every kind in turn, best of
 * seven interleaved rounds in CPU time, with its ratio to the echo measured in the same run (the machine is shared,
 * so only same-run ratios compare across runs).
 *
 *   deno run --allow-env bench/profile_handler.ts all 20000
 *
 * With `--memory` it prints `Deno.memoryUsage()` every tenth of the run, after a GC when
 * `--v8-flags=--expose-gc` is given, so growth per request can be read off.
 */

import { argv, cpuUsage, exit, memoryUsage } from "node:process";
import { makeTestHandler } from "../tests/helpers/handler.ts";
import { AUTH_BODY, hs256ConfigYaml } from "./fixture.ts";

const INFO = { remoteAddr: "127.0.0.1" };

const kp = await makeTestHandler({
  configYaml: hs256ConfigYaml("secret"),
  files: { secret: "0123456789abcdef0123456789abcdef-bench" },
});

const REQUESTS: Record<string, () => Request> = {
  auth: () =>
    new Request("http://kp/auth", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: AUTH_BODY,
    }),
  healthz: () => new Request("http://kp/healthz"),
  notfound: () => new Request("http://kp/nope"),
  error: () =>
    new Request("http://kp/auth", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "[1]",
    }),
  unauthorized: () =>
    new Request("http://kp/auth", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Basic !!!!" },
      body: AUTH_BODY,
    }),
};

/** The bare echo's work: what a request costs a runtime with no Keypebble in it. */
async function echo(): Promise<void> {
  const req = new Request("http://kp/auth", { method: "POST", body: AUTH_BODY });
  const body = JSON.parse(await req.text());
  await new Response(JSON.stringify({ token: "x".repeat(300), claims: body }), {
    headers: { "content-type": "application/json" },
  }).text();
}

/**
 * CPU microseconds (user + system, this process) per request of `kind` over `count` requests.
 * CPU time rather than wall time: other work on a shared machine delays us but does not bill us.
 */
async function measure(kind: string, count: number): Promise<number> {
  const make = REQUESTS[kind];
  const before = cpuUsage();
  for (let i = 0; i < count; i++) {
    if (make === undefined) await echo();
    else await (await kp.handler(make(), INFO)).arrayBuffer();
  }
  const used = cpuUsage(before);
  return (used.user + used.system) / count;
}

// Runs under Deno and under Bun (`bun bench/profile_handler.ts all 20000`): Node's process API only.
const ARGS = argv.slice(2);
const [kind = "auth", countText = "100000"] = ARGS;
const count = Number(countText);
if (kind === "all") {
  // Rounds interleave the kinds so a burst of load elsewhere hits them alike; best round wins.
  const kinds = ["echo", ...Object.keys(REQUESTS)];
  const best = new Map(kinds.map((k) => [k, Infinity]));
  for (let round = 0; round < 7; round++) {
    for (const k of kinds) best.set(k, Math.min(best.get(k)!, await measure(k, count)));
  }
  const echoUs = best.get("echo")!;
  for (const k of kinds) {
    const us = best.get(k)!;
    console.log(`${k}\t${us.toFixed(1)} µs CPU\techo/handler ${(echoUs / us).toFixed(2)}`);
  }
  exit(0);
}
const make = REQUESTS[kind];
if (make === undefined && kind !== "echo") {
  throw new Error(`Unknown kind "${kind}"; use all, echo, ${Object.keys(REQUESTS)}`);
}
const memory = ARGS.includes("--memory");
const gc = (globalThis as { gc?: () => void }).gc;

function report(done: number): void {
  gc?.();
  const m = memoryUsage();
  const mb = (n: number) => (n / 1048576).toFixed(1);
  console.log(
    `${done}\trss ${mb(m.rss)} MB\theap ${mb(m.heapUsed)} of ${mb(m.heapTotal)} MB\texternal ${
      mb(m.external)
    } MB`,
  );
}

if (memory) report(0);
const started = performance.now();
for (let i = 1; i <= count; i++) {
  if (make === undefined) await echo();
  else await (await kp.handler(make(), INFO)).arrayBuffer();
  // Yield to the event loop now and then, as a server does between requests: Deno frees the
  // native half of a Response from a FinalizationRegistry callback, which runs as a task.
  if (i % 1000 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
  if (memory && i % (count / 10) === 0) report(i);
}
const us = ((performance.now() - started) * 1000 / count).toFixed(1);
console.log(`${kind}: ${count} requests, ${us} µs each`);

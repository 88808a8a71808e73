/**
 * Two source trees' handlers, in process, in one run: the CPU time one request of a kind costs in
 * each, measured in alternating blocks of 500 requests (so both see the same machine), after a
 * warm-up. What a change does to a path, without a socket or the machine's noise between runs:
 *
 *   git worktree add /tmp/kp-base main
 *   deno run -A bench/ab_trees.ts v2|auth|cmd [ROUNDS=40] [TREE_A=/tmp/kp-base] [TREE_B=.]
 *
 * Kinds: `v2` (GET /v2/token HS256 with Basic and a policy), `auth` (POST /auth HS256), `cmd`
 * (POST /command/token). Prints each tree's CPU µs per request and B/A.
 */

import { cpuUsage } from "node:process";
import { resolve } from "node:path";
import { AUTH_BODY, hs256ConfigYaml } from "./fixture.ts";

const [kind = "v2", roundsArg = "40", treeA = "/tmp/kp-base", treeB = "."] = Deno.args;
const INFO = { remoteAddr: "127.0.0.1" };
const BASIC = `Basic ${btoa("alice:bench-password")}`;
const REQUESTS: Record<string, () => Request> = {
  v2: () =>
    new Request("http://kp/v2/token?service=registry&scope=repository:alice/app:pull,push", {
      headers: { authorization: BASIC },
    }),
  auth: () =>
    new Request("http://kp/auth", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: AUTH_BODY,
    }),
  cmd: () =>
    new Request("http://kp/command/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ user: "ops", target: "edge-7", command: "uptime", ttl_seconds: 300 }),
    }),
};
if (REQUESTS[kind] === undefined) throw new Error(`kind: one of ${Object.keys(REQUESTS)}`);

/** One request of `kind` against a handler built from `tree`'s own code. */
async function make(tree: string): Promise<() => Promise<void>> {
  const root = resolve(tree);
  const helpers = await import(`${root}/tests/helpers/handler.ts`);
  const hash = await helpers.cheapHash("bench-password");
  const kp = await helpers.makeTestHandler({
    configYaml: hs256ConfigYaml("secret", ['services: ["registry"]', 'policy_path: "policy.yaml"']),
    files: {
      secret: "0123456789abcdef0123456789abcdef-bench",
      "policy.yaml": `users:\n  alice:\n    password_hash: "${hash}"\n` +
        '    repos: ["alice/*"]\n    actions: ["pull", "push"]\n',
    },
  });
  return async () => {
    const r: Response = await kp.handler(REQUESTS[kind](), INFO);
    if (r.status >= 300) throw new Error(`${tree}: ${r.status} ${await r.text()}`);
    await r.arrayBuffer();
    kp.logLines.length = 0;
  };
}

const runs = [await make(treeA), await make(treeB)];
for (let i = 0; i < 3000; i++) for (const run of runs) await run();
const BLOCK = 500;
const rounds = Number(roundsArg);
const total = [0, 0];
for (let r = 0; r < rounds; r++) {
  for (const [i, run] of runs.entries()) {
    const u0 = cpuUsage();
    for (let n = 0; n < BLOCK; n++) await run();
    const u = cpuUsage(u0);
    total[i] += u.user + u.system;
  }
}
const [a, b] = total.map((t) => t / (BLOCK * rounds));
console.log(
  `${kind}: A ${a.toFixed(1)} µs, B ${b.toFixed(1)} µs of CPU a request; B/A ${(b / a).toFixed(3)}`,
);

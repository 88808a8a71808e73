/**
 * Round 3 of the speed work (issue 21): the endpoints that run on every request of someone else's
 * traffic, each against a bare echo on the same runtime doing the same I/O (`bench/baseline_echo.ts`:
 * reads and parses the same body, answers a JSON body of the same size with the same headers), and
 * optionally against another build (`--before=TREE`, e.g. a worktree of the commit before the
 * trust work), all in ONE run, alternating rounds (echo, ours, before, echo, ...), medians of the
 * rounds. Deno (source) and the Bun binary (`deno task compile:bun`; for `--before`, that tree's
 * own `dist/keypebble`), one and two workers (two workers against two echo processes on one port,
 * wrk -t2).
 *
 *   deno task bench:per-request [--only=deno,bun] [--workers=1,2] [--rounds=3] [--duration=3]
 *                               [--rows=REGEX] [--before=/tmp/kp-004] [--json=FILE]
 *                               [--audit-tokens=false]
 *
 * `--audit-tokens=false` sets `store.audit_tokens: false` in the build under test only: with
 * `--before=$PWD` (this tree, defaults) the rows compare token events stored and not.
 *
 *   git worktree add /tmp/kp-004 004ddb8 && (cd /tmp/kp-004 && bash scripts/compile_bun.sh)
 *
 * The fixture (one per build, made with that build's own CLI): HS256, a SQLite store with an API
 * key that has a per-minute limit of its own (so every forward-auth makes a limit decision) and a
 * key holding `introspect`, the per-address limit on, the registry policy (Basic), accounts (a
 * bootstrap admin whose refresh tokens rotate), and a SPIFFE root (SVIDs are ES256). The rows:
 * forward-auth accepting and refusing (an unknown key; the refusals come from ever-changing client
 * addresses behind a trusted proxy, so the lockout counts them without locking), introspection,
 * client_credentials, GET /v2/token HS256 with Basic, /command/token and the Kubernetes
 * TokenRequest (anonymous, as round 2 measured them), POST /auth, JWKS, the three refresh paths
 * (the registry's stateless refresh token; account refresh tokens rotated at /oauth2/token and at
 * pico-auth's /api/v1/auth/refresh, each response's new token fed to a later request from a pool
 * kept across rounds), SVID issuance, and /healthz.
 */

import {
  type Build,
  cli,
  fmt,
  loadAverage,
  log,
  luaFor,
  median,
  type Proc,
  procCpu,
  ROOT,
  sh,
  startEcho,
  startKeypebble,
  wrk,
  type WrkResult,
} from "./harness.ts";
import { AUTH_BODY } from "./fixture.ts";

const flags = new Map<string, string>();
for (const a of Deno.args) {
  const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
  if (m) flags.set(m[1], m[2] ?? "true");
}
const ROUNDS = Number(flags.get("rounds") ?? 3);
const DURATION = Number(flags.get("duration") ?? 3);
const RUNTIMES = (flags.get("only") ?? "deno,bun").split(",") as ("deno" | "bun")[];
const WORKERS = (flags.get("workers") ?? "1,2").split(",").map(Number);
const ROWS = new RegExp(flags.get("rows") ?? ".", "i");
const BEFORE = flags.get("before");
/** `--audit-tokens=false`: the build under test keeps token events out of its store. */
const AUDIT_TOKENS = flags.get("audit-tokens") !== "false";

const TD = "bench.example";
const ADMIN = { email: "admin@bench.example", password: "bench-admin-password-1" };
const BASIC = `Basic ${btoa("alice:bench-password")}`;
const GATEWAY = `Basic ${btoa("gateway:bench-password")}`;
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
/** Refresh token chains: one per connection (and per wrk thread). */
const POOL = 32;

/** What a row sends. */
interface Row {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly headers?: readonly string[];
  readonly status?: number;
  /** Text the probe's answer must hold (an introspection that says the token is active). */
  readonly expect?: string;
  readonly target?: number;
  /** A Lua script of its own (refresh pools, changing addresses); its arguments. */
  readonly script?: (fx: Fixture, pool: string) => { file: string; args: string[] };
  /** A pool of account refresh tokens (login once, rotated from then on). */
  readonly pool?: "account";
}

/** A build's fixture: its directory, config, key and tokens. */
interface Fixture {
  readonly build: Build;
  readonly dir: string;
  readonly config: string;
  readonly key: string;
  readonly keyId: string;
  readonly introspector: string;
  readonly introspectorId: string;
  /** Set once a server runs: an `api` access token, a registry refresh token. */
  accessToken: string;
  registryRefresh: string;
}

function rows(fx: Fixture): Row[] {
  const client = `Basic ${btoa(`${fx.keyId}:${fx.key}`)}`;
  const introspector = `Basic ${btoa(`${fx.introspectorId}:${fx.introspector}`)}`;
  return [
    {
      name: "GET /forward-auth, accept (API key with a limit)",
      method: "GET",
      path: "/forward-auth",
      headers: [`X-API-Key: ${fx.key}`],
      target: 0.8,
    },
    {
      name: "GET /forward-auth, reject (unknown key)",
      method: "GET",
      path: "/forward-auth",
      // The probe's request; the load comes from reject.lua (a new client address each time).
      headers: [`X-API-Key: kp_live_${"Q".repeat(43)}`, "X-Forwarded-For: 10.255.255.254"],
      status: 401,
      target: 0.8,
      script: (f: Fixture) => ({ file: `${f.dir}/reject.lua`, args: [] }),
    },
    {
      name: "POST /oauth2/introspect (an api token)",
      method: "POST",
      path: "/oauth2/introspect",
      body: `token=${fx.accessToken}`,
      contentType: FORM,
      headers: [`Authorization: ${introspector}`],
      expect: '"active":true',
      target: 0.5,
    },
    {
      name: "POST /oauth2/token client_credentials",
      method: "POST",
      path: "/oauth2/token",
      body: "grant_type=client_credentials",
      contentType: FORM,
      headers: [`Authorization: ${client}`],
      target: 0.5,
    },
    {
      name: "GET /v2/token HS256 (Basic)",
      method: "GET",
      path: "/v2/token?service=registry&scope=repository:alice/app:pull,push",
      headers: [`Authorization: ${BASIC}`],
      target: 0.5,
    },
    {
      name: "POST /command/token",
      method: "POST",
      path: "/command/token",
      body: JSON.stringify({
        user: "ops",
        target: "edge-7",
        command: "systemctl restart app",
        ttl_seconds: 300,
      }),
      contentType: JSON_TYPE,
      target: 0.6,
    },
    {
      name: "POST Kubernetes TokenRequest",
      method: "POST",
      path: "/api/v1/namespaces/ci/serviceaccounts/builder/token",
      body: JSON.stringify({
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { audiences: ["vault"], expirationSeconds: 3600 },
      }),
      contentType: JSON_TYPE,
      status: 201,
      target: 0.6,
    },
    {
      name: "POST /auth HS256",
      method: "POST",
      path: "/auth",
      body: AUTH_BODY,
      contentType: JSON_TYPE,
    },
    { name: "GET /.well-known/jwks.json", method: "GET", path: "/.well-known/jwks.json" },
    {
      name: "POST /v2/token refresh_token (registry)",
      method: "POST",
      path: "/v2/token",
      body:
        `grant_type=refresh_token&service=registry&client_id=bench&refresh_token=${fx.registryRefresh}` +
        "&scope=repository:alice/app:pull",
      contentType: FORM,
    },
    {
      name: "POST /oauth2/token refresh_token (account, rotated)",
      method: "POST",
      path: "/oauth2/token",
      contentType: FORM,
      pool: "account",
      script: (f: Fixture, pool: string) => ({
        file: `${f.dir}/refresh.lua`,
        args: ["/oauth2/token", "grant_type=refresh_token&refresh_token=", "", pool, FORM],
      }),
    },
    {
      name: "POST /api/v1/auth/refresh (pico-auth, rotated)",
      method: "POST",
      path: "/api/v1/auth/refresh",
      contentType: JSON_TYPE,
      pool: "account",
      script: (f: Fixture, pool: string) => ({
        file: `${f.dir}/refresh.lua`,
        args: ["/api/v1/auth/refresh", '{"refresh_token":"', '"}', pool, JSON_TYPE],
      }),
    },
    {
      name: "POST /spiffe/v1/svid (ES256)",
      method: "POST",
      path: "/spiffe/v1/svid",
      body: JSON.stringify({
        spiffe_id: `spiffe://${TD}/sensors/t-1`,
        audience: `spiffe://${TD}/orders`,
      }),
      contentType: JSON_TYPE,
      headers: [`Authorization: ${GATEWAY}`],
    },
    { name: "GET /healthz", method: "GET", path: "/healthz" },
  ].filter((r) => ROWS.test(r.name)) as Row[];
}

/**
 * Refresh: one connection per wrk thread, each thread with its own token chain (a refresh token
 * is single-use): it sends its token, and keeps the one the answer carries. At the end each
 * thread's latest token is written back to the pool file (`done`), to be checked before the next
 * run (bench/per_request.ts `preparePool`).
 */
const REFRESH_LUA = `local threads = {}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("id", count)
  table.insert(threads, thread)
end
function init(args)
  path = args[1]; prefix = args[2]; suffix = args[3]; poolfile = args[4]; ctype = args[5]
  local i = 0
  for line in io.lines(poolfile) do
    if line ~= "" then
      i = i + 1
      if i == id then token = line end
    end
  end
  token = token or "none"
end
function request()
  return wrk.format("POST", path, {["Content-Type"] = ctype}, prefix .. token .. suffix)
end
function response(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then token = t end
end
function done(summary, latency, requests)
  local f = io.open(threads[1]:get("poolfile"), "w")
  for _, th in ipairs(threads) do f:write(th:get("token") .. "\\n") end
  f:close()
end
`;

/** Reject: an unknown key from a different client address each time (behind a trusted proxy). */
const REJECT_LUA = `local n = 0
function request()
  n = n + 1
  local a = n % 1048576
  return wrk.format("GET", "/forward-auth", {
    ["X-API-Key"] = "kp_live_QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ",
    ["X-Forwarded-For"] = "10." .. (a >> 16) .. "." .. ((a >> 8) & 255) .. "." .. (a & 255),
  })
end
`;

async function fixture(build: Build): Promise<Fixture> {
  const dir = await Deno.makeTempDir({ prefix: `kp-bench-${build.name.replace(/\W+/g, "-")}-` });
  const hash = (await cli(build, ["hash-password"], dir, "bench-password")).stdout.trim();
  await Deno.writeTextFile(`${dir}/hs.secret`, "s".repeat(48));
  await Deno.writeTextFile(`${dir}/admin-password`, ADMIN.password);
  await Deno.writeTextFile(
    `${dir}/policy.yaml`,
    `users:\n  alice:\n    password_hash: "${hash}"\n    repos: ["alice/*"]\n` +
      `    actions: ["pull", "push"]\n  gateway:\n    password_hash: "${hash}"\n` +
      `    spiffe_ids: ["spiffe://${TD}/sensors/*"]\n`,
  );
  await cli(build, ["spiffe", "init", "--root", "root", "--trust-domain", TD], dir);
  await cli(build, ["spiffe", "add-service", "--root", "root", "orders"], dir);
  const config = `${dir}/kp.yaml`;
  await Deno.writeTextFile(
    config,
    [
      'issuer: "https://keypebble.bench"',
      'audience: "bench"',
      'services: ["registry"]',
      'hs256_secret_path: "hs.secret"',
      'kid: "hs-1"',
      'policy_path: "policy.yaml"',
      "service: { host: 127.0.0.1 }",
      // The per-address limit on (every request makes a limit decision), far above the load.
      "rate_limit: { per_address: { requests: 10000000, window_seconds: 60 }, per_principal: false }",
      'trusted_proxies: ["127.0.0.1/32"]',
      'log_level: "error"',
      build.name.startsWith("ours") && !AUDIT_TOKENS
        ? 'store: { url: "sqlite:kp.db", audit_tokens: false }'
        : 'store: { url: "sqlite:kp.db" }',
      `accounts: { admin_email: "${ADMIN.email}", admin_password_path: admin-password }`,
      `spiffe: { trust_domain: ${TD}, root: root }`,
      "static_claims:",
      '  scope: "controller:read controller:write"',
      'allowed_custom_claims: ["sub", "edge_id", "roles"]',
      "",
    ].join("\n"),
  );
  await cli(build, ["org", "create", "--config", config, "bench"], dir);
  const make = async (label: string, scope: string, limit?: number) =>
    JSON.parse(
      (await cli(build, [
        "key",
        "create",
        "--config",
        config,
        "--org",
        "bench",
        "--label",
        label,
        "--scope",
        scope,
        ...(limit === undefined ? [] : ["--rate-limit", String(limit)]),
        "--json",
      ], dir)).stdout,
    ) as { id: string; key: string };
  const key = await make("bench", "read", 1_000_000_000);
  // A limit of its own far above the load (a key's default limit would answer 429s).
  const introspector = await make("introspector", "introspect", 1_000_000_000);
  await Deno.writeTextFile(`${dir}/refresh.lua`, REFRESH_LUA);
  await Deno.writeTextFile(`${dir}/reject.lua`, REJECT_LUA);
  return {
    build,
    dir,
    config,
    key: key.key,
    keyId: key.id,
    introspector: introspector.key,
    introspectorId: introspector.id,
    accessToken: "",
    registryRefresh: "",
  };
}

/** The tokens the rows present, fetched from a running server. */
async function tokens(fx: Fixture, port: number): Promise<void> {
  const base = `http://127.0.0.1:${port}`;
  const client = `Basic ${btoa(`${fx.keyId}:${fx.key}`)}`;
  const cc = await fetch(`${base}/oauth2/token`, {
    method: "POST",
    headers: { authorization: client, "content-type": FORM },
    body: "grant_type=client_credentials",
  });
  fx.accessToken = (await cc.json()).access_token;
  const reg = await fetch(`${base}/v2/token`, {
    method: "POST",
    headers: { "content-type": FORM },
    body: "grant_type=password&service=registry&client_id=bench&access_type=offline" +
      "&username=alice&password=bench-password&scope=repository:alice/app:pull",
  });
  const rj = await reg.json();
  if (typeof rj.refresh_token !== "string") {
    throw new Error(`no registry refresh token: ${JSON.stringify(rj)}`);
  }
  fx.registryRefresh = rj.refresh_token;
}

/**
 * Make the pool `POOL` live refresh tokens: each one left by the last run is refreshed once (the
 * one a thread sent as wrk stopped may have been used already; within the retry window that
 * answers its successor, else it is gone), and every token that fails is replaced by a login.
 */
async function preparePool(fx: Fixture, port: number): Promise<string> {
  const file = `${fx.dir}/pool.txt`;
  let have: string[] = [];
  try {
    have = (await Deno.readTextFile(file)).split("\n").filter((l) => l !== "" && l !== "none");
  } catch {
    // none yet
  }
  const base = `http://127.0.0.1:${port}`;
  const post = async (path: string, body: unknown): Promise<string | undefined> => {
    const r = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": JSON_TYPE },
      body: JSON.stringify(body),
    });
    const j = await r.json().catch(() => ({}));
    return typeof j.refresh_token === "string" ? j.refresh_token : undefined;
  };
  const live: string[] = [];
  for (const t of have.slice(0, POOL)) {
    const next = await post("/api/v1/auth/refresh", { refresh_token: t });
    if (next !== undefined) live.push(next);
  }
  while (live.length < POOL) {
    const t = await post("/api/v1/auth/login", ADMIN);
    if (t === undefined) throw new Error("the admin cannot log in");
    live.push(t);
  }
  await Deno.writeTextFile(file, live.join("\n") + "\n");
  return file;
}

interface Figure {
  runtime: string;
  workers: number;
  row: string;
  target?: number;
  echo: number[];
  ours: number[];
  before?: number[];
  /** CPU µs per request of the serving process(es), per round. */
  echoCpu: number[];
  oursCpu: number[];
  beforeCpu?: number[];
  oursP99?: number;
  skipped?: string;
}

/** Headers the runtime writes itself (the echo's runtime writes them too). */
const RUNTIME_HEADERS = new Set(["date", "content-length", "transfer-encoding", "connection"]);

async function probe(
  url: string,
  r: Row,
): Promise<{ status: number; bytes: number; text: string; headers: [string, string][] }> {
  const res = await fetch(url, {
    method: r.method,
    headers: Object.fromEntries([
      ...(r.contentType ? [["content-type", r.contentType]] : []),
      ...(r.headers ?? []).map((
        h,
      ) => [h.slice(0, h.indexOf(":")), h.slice(h.indexOf(":") + 1).trim()]),
    ]),
    ...(r.body === undefined ? {} : { body: r.body }),
  });
  const text = await res.text();
  const headers = [...res.headers].filter(([n]) => !RUNTIME_HEADERS.has(n));
  return { status: res.status, bytes: new TextEncoder().encode(text).length, text, headers };
}

async function measureRow(
  runtime: "deno" | "bun",
  workers: number,
  r: Row,
  targets: { fx: Fixture; srv: Proc; label: "ours" | "before" }[],
): Promise<Figure> {
  const fig: Figure = {
    runtime,
    workers,
    row: r.name,
    ...(r.target === undefined ? {} : { target: r.target }),
    echo: [],
    ours: [],
    echoCpu: [],
    oursCpu: [],
  };
  const want = r.status ?? 200;
  const scripts = new Map<string, { file: string; args: string[] }>();
  let bytes = 0;
  let headers: [string, string][] | undefined;
  for (const t of targets) {
    const rr = rows(t.fx).find((x) => x.name === r.name)!;
    let script: { file: string; args: string[] };
    if (rr.script !== undefined) {
      script = rr.script(t.fx, `${t.fx.dir}/pool.txt`);
    } else {
      script = { file: `${t.fx.dir}/row.${t.label}.${r.name.replace(/\W+/g, "_")}.lua`, args: [] };
      await Deno.writeTextFile(script.file, luaFor(rr));
    }
    scripts.set(t.label, script);
    // What the endpoint answers, for the echo to answer the same: one request as the load sends.
    let shape: Row = rr;
    if (rr.pool === "account") {
      const pool = await preparePool(t.fx, t.srv.port);
      const token = (await Deno.readTextFile(pool)).split("\n")[0];
      shape = {
        ...rr,
        body: rr.contentType === FORM
          ? `grant_type=refresh_token&refresh_token=${token}`
          : JSON.stringify({ refresh_token: token }),
      };
    }
    const p = await probe(`http://127.0.0.1:${t.srv.port}${rr.path}`, shape);
    if (p.status !== want || (rr.expect !== undefined && !p.text.includes(rr.expect))) {
      return { ...fig, skipped: `${t.label} answered ${p.status}: ${p.text.slice(0, 120)}` };
    }
    if (t.label === "ours") {
      bytes = p.bytes;
      headers = p.headers;
    }
  }
  const echo = await startEcho(runtime, { responseBytes: bytes, headers: headers! }, workers);
  // The echo gets the same requests (its answer does not depend on them).
  const echoScript = scripts.get("ours")!;
  // A refresh chain per connection needs a wrk thread per connection (the echo gets the same).
  const threads = r.pool === "account" ? POOL : workers;
  const run = async (
    srv: Proc,
    s: { file: string; args: string[] },
    t?: { fx: Fixture },
    seconds = DURATION,
  ): Promise<WrkResult & { cpuUs: number }> => {
    if (r.pool === "account" && t !== undefined) await preparePool(t.fx, srv.port);
    const c0 = await procCpu(srv);
    const w = await wrk(`http://127.0.0.1:${srv.port}${r.path}`, {
      seconds,
      script: s.file,
      scriptArgs: s.args,
      threads,
    });
    return { ...w, cpuUs: (await procCpu(srv) - c0) / Math.max(1, w.requests) * 1e6 };
  };
  try {
    // Warm-up: two seconds each (credential caches, JIT, the bundle's first mapping).
    for (const t of targets) await run(t.srv, scripts.get(t.label)!, t, 2);
    for (let round = 0; round < ROUNDS; round++) {
      const e = await run(
        echo,
        echoScript.args.length > 0
          ? { file: `${targets[0].fx.dir}/echo.lua`, args: [] }
          : echoScript,
      );
      fig.echo.push(e.rps);
      fig.echoCpu.push(e.cpuUs);
      for (const t of targets) {
        const w = await run(t.srv, scripts.get(t.label)!, t);
        const bad = want === 200 ? w.non2xx : 0;
        if (bad > w.requests * 0.01 || w.errors > 0) {
          // Refusals are not the row's work: the figure would be wrong, so the row has none.
          const why = `${t.label}: ${w.non2xx} non-2xx, ${w.errors} socket errors`;
          log(`${runtime} ${r.name}: ${why}`);
          return { ...fig, skipped: why };
        }
        (t.label === "ours" ? fig.ours : (fig.before ??= [])).push(w.rps);
        (t.label === "ours" ? fig.oursCpu : (fig.beforeCpu ??= [])).push(w.cpuUs);
        if (t.label === "ours") fig.oursP99 = w.p99Ms;
      }
    }
  } finally {
    await echo.stop();
  }
  return fig;
}

async function main(): Promise<void> {
  const results: Figure[] = [];
  const loads: string[] = [`start ${await loadAverage()}`];
  for (const runtime of RUNTIMES) {
    const ours: Build = { name: `ours-${runtime}`, runtime, root: ROOT };
    const builds = [ours];
    if (BEFORE !== undefined) {
      builds.push({
        name: `before-${runtime}`,
        runtime,
        root: BEFORE.endsWith("/") ? BEFORE : `${BEFORE}/`,
      });
    }
    if (runtime === "bun") {
      for (const b of builds) {
        try {
          await Deno.stat(`${b.root}dist/keypebble`);
        } catch {
          log(`building ${b.root}dist/keypebble`);
          await sh("bash", [`${b.root}scripts/compile_bun.sh`], { cwd: b.root });
        }
      }
    }
    const fixtures = [];
    for (const b of builds) fixtures.push(await fixture(b));
    try {
      for (const workers of WORKERS) {
        log(`${runtime}, ${workers} worker(s): starting ${builds.map((b) => b.name).join(", ")}`);
        const servers: Proc[] = [];
        for (const fx of fixtures) servers.push(await startKeypebble(fx.build, fx.config, workers));
        try {
          for (const [i, fx] of fixtures.entries()) await tokens(fx, servers[i].port);
          await Deno.writeTextFile(
            `${fixtures[0].dir}/echo.lua`,
            luaFor({
              method: "POST",
              body: "grant_type=refresh_token&refresh_token=x",
              contentType: FORM,
            }),
          );
          for (const r of rows(fixtures[0])) {
            log(`${runtime} ×${workers}: ${r.name} (load ${await loadAverage()})`);
            const fig = await measureRow(
              runtime,
              workers,
              r,
              fixtures.map((fx, i) => ({
                fx,
                srv: servers[i],
                label: i === 0 ? "ours" : "before",
              })),
            );
            results.push(fig);
            report([fig], false);
          }
        } finally {
          for (const s of servers) await s.stop();
        }
      }
    } finally {
      for (const fx of fixtures) await Deno.remove(fx.dir, { recursive: true }).catch(() => {});
    }
    loads.push(`after ${runtime} ${await loadAverage()}`);
  }
  console.log(
    `\nPer-request endpoints, ours / same-I/O echo (median of ${ROUNDS} alternating rounds of ${DURATION} s; wrk -c32, -t = workers); load average ${
      loads.join("; ")
    }\n`,
  );
  report(results, true);
  const out = flags.get("json");
  if (out !== undefined) {
    await Deno.writeTextFile(
      out,
      JSON.stringify({ date: new Date().toISOString(), loads, results }, null, 2),
    );
  }
}

const cpu = (xs: number[]) => median(xs).toFixed(1);

function report(figs: Figure[], header: boolean): void {
  if (header) {
    console.log(
      "| runtime | workers | endpoint | ours req/s | echo req/s | ours / echo | before / echo | ours / before | target | CPU µs/req ours, echo, before | CPU ratio echo/ours |",
    );
    console.log("|---|---|---|---|---|---|---|---|---|---|---|");
  }
  for (const f of figs) {
    if (f.skipped !== undefined) {
      console.log(`| ${f.runtime} | ${f.workers} | ${f.row} | skipped: ${f.skipped} | | | | | |`);
      continue;
    }
    const o = median(f.ours);
    const e = median(f.echo);
    const b = f.before === undefined ? undefined : median(f.before);
    const verdict = f.target === undefined || f.workers !== 1
      ? ""
      : `≥ ${f.target} ${o / e >= f.target ? "ok" : "MISS"}`;
    console.log(
      `| ${f.runtime} | ${f.workers} | ${f.row} | ${fmt(o)} | ${fmt(e)} | ${(o / e).toFixed(2)} | ${
        b === undefined ? "" : (b / e).toFixed(2)
      } | ${b === undefined ? "" : (o / b).toFixed(2)} | ${verdict} | ${cpu(f.oursCpu)}, ${
        cpu(f.echoCpu)
      }${f.beforeCpu === undefined ? "" : `, ${cpu(f.beforeCpu)}`} | ${
        (median(f.echoCpu) / median(f.oursCpu)).toFixed(2)
      } |`,
    );
  }
}

await main();

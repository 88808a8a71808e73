/**
 * keyguard's documented HTTP behaviour as one script, run against the real keyguard and against
 * Keypebble, compared row by row (issue 22). The rows are what keyguard's README (its Admin API
 * and Security Model sections), its integration guide (middleware, response headers,
 * `rate_limit_by_ip`) and its source (`keyguard/api/admin.py`, `schemas/admin.py`,
 * `middleware.py`) say a client sees. keyguard ships no tests of its own.
 *
 * keyguard runs the app its README builds (tests/e2e/keyguard_peer.ts). Keypebble runs behind a
 * real nginx as a gateway would (tests/e2e/keyguard_gateway.ts): `/admin/` is Keypebble's admin
 * API, `/api/` is checked by `GET /forward-auth`, `/login` by `GET /forward-auth?limit=login`;
 * the app behind it answers `/api/data` from the identity headers, as keyguard's app reads
 * `request.state.api_key`. The script is the same for both; only the base URL and the admin key
 * differ (keyguard's is its `secret_key`, Keypebble's an API key with the `admin` scope).
 *
 * Every row Keypebble answers differently is listed in {@link DIFFERENCES}, each with the words
 * of the "Moving from keyguard" table in docs/moving-from.md that explain it: a new difference, or one that
 * went away, fails the test.
 */

import assert from "node:assert/strict";
import { runKeypebble, startServer } from "../helpers/process.ts";
import { BEHIND_GATEWAY, startGateway } from "./keyguard_gateway.ts";
import { startKeyguardApp } from "./keyguard_peer.ts";
import { Cleanup } from "./registry_helpers.ts";

/** What the script talks to. */
interface Target {
  readonly name: string;
  readonly base: string;
  readonly adminKey: string;
}

/** One answer, read once. */
interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // deno-lint-ignore no-explicit-any
  readonly body: any;
}

/** What earlier rows learnt (ids, keys), for later rows. */
interface State {
  orgId?: string;
  prod?: { id: string; raw: string; prefix: string };
  defaults?: { raw: string };
  limited?: { raw: string };
  revoked?: { id: string; raw: string };
}

/** A row: its id, where keyguard documents it, what it checks; `run` says what it saw. */
interface Row {
  readonly id: string;
  readonly source: string;
  readonly what: string;
  run(t: Target, s: State): Promise<{ pass: boolean; seen: string }>;
}

async function call(
  t: Target,
  method: string,
  path: string,
  options: { admin?: string | null; key?: string; body?: unknown } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  const admin = options.admin === undefined ? t.adminKey : options.admin;
  if (admin !== null) headers["x-admin-key"] = admin;
  if (options.key !== undefined) headers["x-api-key"] = options.key;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const r = await fetch(`${t.base}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, body };
}

function seen(a: Answer): string {
  return `${a.status} ${JSON.stringify(a.body).slice(0, 160)}`;
}

/** Pass when `ok`; what was seen otherwise. */
function verdict(ok: boolean, a: Answer, extra = ""): { pass: boolean; seen: string } {
  return { pass: ok, seen: `${seen(a)}${extra}` };
}

function hasDetail(a: Answer): boolean {
  return typeof a.body === "object" && a.body !== null && a.body.detail !== undefined;
}

const ORG = "Acme Corp";
const README_ADMIN = "README, Admin API";
const SCHEMA = "keyguard/schemas/admin.py";
const ADMIN_PY = "keyguard/api/admin.py";
const GUIDE = "README, Integration Guide";
const MIDDLEWARE = "keyguard/middleware.py";

/** keyguard's documented behaviour, in the order a script meets it. */
const ROWS: readonly Row[] = [
  {
    id: "org-create",
    source: README_ADMIN,
    what: 'POST /admin/orgs {"name": "Acme Corp"} creates it: 200',
    run: async (t, s) => {
      const a = await call(t, "POST", "/admin/orgs", { body: { name: ORG } });
      s.orgId = a.body?.id;
      return verdict(a.status === 200, a);
    },
  },
  {
    id: "org-fields",
    source: SCHEMA,
    what: "the answer is {id, name, status: active, created_at, key_count: 0}",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/orgs");
      const o = a.body?.organizations?.find((x: { name: string }) => x.name === ORG);
      return verdict(
        o !== undefined && typeof o.id === "string" && o.status === "active" &&
          !Number.isNaN(Date.parse(o.created_at)) && o.key_count === 0,
        a,
      );
    },
  },
  {
    id: "org-duplicate",
    source: ADMIN_PY,
    what: "the same name again: 400 with detail",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/orgs", { body: { name: ORG } });
      return verdict(a.status === 400 && typeof a.body?.detail === "string", a);
    },
  },
  {
    id: "admin-wrong",
    source: `${README_ADMIN}; ${ADMIN_PY}`,
    what: "a wrong X-Admin-Key: 403 with detail",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/orgs", { admin: "wrong-key", body: { name: "X" } });
      return verdict(a.status === 403 && typeof a.body?.detail === "string", a);
    },
  },
  {
    id: "admin-missing",
    source: `${ADMIN_PY} (Header(...))`,
    what: "no X-Admin-Key: 422 (FastAPI's missing header)",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/orgs", { admin: null });
      return verdict(a.status === 422 && hasDetail(a), a);
    },
  },
  {
    id: "org-name-empty",
    source: SCHEMA,
    what: 'name "" (min_length 1): 422 with detail',
    run: async (t) => {
      const a = await call(t, "POST", "/admin/orgs", { body: { name: "" } });
      return verdict(a.status === 422 && hasDetail(a), a);
    },
  },
  {
    id: "org-name-long",
    source: SCHEMA,
    what: "a name of 256 characters (max_length 255): 422",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/orgs", { body: { name: "n".repeat(256) } });
      return verdict(a.status === 422 && hasDetail(a), a);
    },
  },
  {
    id: "org-list",
    source: README_ADMIN,
    what: "GET /admin/orgs: {organizations: [...], total}",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/orgs");
      return verdict(
        a.status === 200 && Array.isArray(a.body?.organizations) &&
          a.body.total === a.body.organizations.length,
        a,
      );
    },
  },
  {
    id: "key-create",
    source: README_ADMIN,
    what: 'POST /admin/keys {"org_name", "label", "rate_limit_per_minute": 120}: 200, raw_key once',
    run: async (t, s) => {
      const a = await call(t, "POST", "/admin/keys", {
        body: { org_name: ORG, label: "prod-key", rate_limit_per_minute: 120 },
      });
      const b = a.body ?? {};
      s.prod = { id: b.id, raw: b.raw_key, prefix: b.prefix };
      const fields = [
        "id",
        "label",
        "prefix",
        "raw_key",
        "rate_limit_per_minute",
        "scopes",
        "org_name",
        "created_at",
      ];
      return verdict(
        a.status === 200 && fields.every((f) => f in b) && b.rate_limit_per_minute === 120 &&
          b.org_name === ORG && b.label === "prod-key",
        a,
      );
    },
  },
  {
    id: "key-format",
    source: "README, Security Model; keyguard/services/auth_service.py",
    what: "the key is kg_live_ + token_urlsafe(32) (43 characters); prefix is its first 12",
    run: (_t, s) => {
      const raw = s.prod?.raw ?? "";
      const a = { status: 0, headers: new Headers(), body: { prefix: s.prod?.prefix } };
      return Promise.resolve(verdict(
        /^kg_live_[A-Za-z0-9_-]{43}$/.test(raw) && s.prod?.prefix === raw.slice(0, 12),
        a,
      ));
    },
  },
  {
    id: "key-defaults",
    source: SCHEMA,
    what: "no rate_limit_per_minute and no scopes: 60 and [read]",
    run: async (t, s) => {
      const a = await call(t, "POST", "/admin/keys", { body: { org_name: ORG, label: "dflt" } });
      s.defaults = { raw: a.body?.raw_key };
      return verdict(
        a.status === 200 && a.body.rate_limit_per_minute === 60 &&
          JSON.stringify(a.body.scopes) === '["read"]',
        a,
      );
    },
  },
  {
    id: "key-prefix",
    source: SCHEMA,
    what: 'a prefix of the caller\'s ("beta-"): the key starts with it',
    run: async (t) => {
      const a = await call(t, "POST", "/admin/keys", {
        body: { org_name: ORG, label: "beta", prefix: "beta-" },
      });
      return verdict(a.status === 200 && /^beta-[A-Za-z0-9_-]{43}$/.test(a.body?.raw_key), a);
    },
  },
  {
    id: "key-rate-zero",
    source: SCHEMA,
    what: "rate_limit_per_minute 0 (ge=1): 422",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/keys", {
        body: { org_name: ORG, label: "x", rate_limit_per_minute: 0 },
      });
      return verdict(a.status === 422 && hasDetail(a), a);
    },
  },
  {
    id: "key-rate-high",
    source: SCHEMA,
    what: "rate_limit_per_minute 10001 (le=10000): 422",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/keys", {
        body: { org_name: ORG, label: "x", rate_limit_per_minute: 10_001 },
      });
      return verdict(a.status === 422 && hasDetail(a), a);
    },
  },
  {
    id: "key-rate-max",
    source: SCHEMA,
    what: "rate_limit_per_minute 10000: 200",
    run: async (t, s) => {
      const a = await call(t, "POST", "/admin/keys", {
        body: { org_name: ORG, label: "limited", rate_limit_per_minute: 10_000 },
      });
      const two = await call(t, "POST", "/admin/keys", {
        body: { org_name: ORG, label: "two", rate_limit_per_minute: 2 },
      });
      s.limited = { raw: two.body?.raw_key };
      return verdict(a.status === 200 && a.body.rate_limit_per_minute === 10_000, a);
    },
  },
  {
    id: "key-unknown-org",
    source: ADMIN_PY,
    what: "an organisation that does not exist: 404 with detail",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/keys", { body: { org_name: "Nope", label: "x" } });
      return verdict(a.status === 404 && typeof a.body?.detail === "string", a);
    },
  },
  {
    id: "key-no-label",
    source: SCHEMA,
    what: "no label: 422",
    run: async (t) => {
      const a = await call(t, "POST", "/admin/keys", { body: { org_name: ORG } });
      return verdict(a.status === 422 && hasDetail(a), a);
    },
  },
  {
    id: "key-list",
    source: `${README_ADMIN}; ${SCHEMA}`,
    what: "GET /admin/keys: {keys, total}, each with keyguard's fields and never the key",
    run: async (t, s) => {
      const a = await call(t, "GET", "/admin/keys");
      const fields = [
        "id",
        "label",
        "prefix",
        "is_active",
        "rate_limit_per_minute",
        "scopes",
        "org_name",
        "created_at",
        "last_used_at",
      ];
      const keys = a.body?.keys ?? [];
      return verdict(
        a.status === 200 && a.body.total === keys.length &&
          keys.every((k: Record<string, unknown>) => fields.every((f) => f in k)) &&
          !JSON.stringify(a.body).includes(s.prod?.raw ?? "-"),
        a,
      );
    },
  },
  {
    id: "org-key-count",
    source: ADMIN_PY,
    what: "GET /admin/orgs counts the organisation's keys",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/orgs");
      const o = a.body?.organizations?.find((x: { name: string }) => x.name === ORG);
      return verdict(o?.key_count === 5, a);
    },
  },
  {
    id: "key-revoke",
    source: README_ADMIN,
    what: "DELETE /admin/keys/{id}: 200 {detail, key_id}",
    run: async (t, s) => {
      const k = await call(t, "POST", "/admin/keys", { body: { org_name: ORG, label: "old" } });
      s.revoked = { id: k.body?.id, raw: k.body?.raw_key };
      const a = await call(t, "DELETE", `/admin/keys/${s.revoked.id}`);
      return verdict(
        a.status === 200 && typeof a.body?.detail === "string" && a.body.key_id === s.revoked.id,
        a,
      );
    },
  },
  {
    id: "key-revoke-unknown",
    source: ADMIN_PY,
    what: "DELETE of a key that does not exist: 404 with detail",
    run: async (t) => {
      const a = await call(t, "DELETE", "/admin/keys/00000000-0000-0000-0000-000000000000");
      return verdict(a.status === 404 && typeof a.body?.detail === "string", a);
    },
  },
  {
    id: "key-revoked-listed",
    source: SCHEMA,
    what: "a revoked key is listed with is_active false",
    run: async (t, s) => {
      const a = await call(t, "GET", "/admin/keys");
      const k = a.body?.keys?.find((x: { id: string }) => x.id === s.revoked?.id);
      return verdict(k?.is_active === false, a);
    },
  },
  {
    id: "mw-missing",
    source: `${GUIDE} §2; ${MIDDLEWARE}`,
    what: "GET /api/data without a key: 401 with detail",
    run: async (t) => {
      const a = await call(t, "GET", "/api/data", { admin: null });
      return verdict(a.status === 401 && typeof a.body?.detail === "string", a);
    },
  },
  {
    id: "mw-invalid",
    source: `${GUIDE} §2`,
    what: "an invalid key: 401 with detail",
    run: async (t) => {
      const a = await call(t, "GET", "/api/data", {
        admin: null,
        key: "kg_live_" + "x".repeat(43),
      });
      return verdict(a.status === 401 && typeof a.body?.detail === "string", a);
    },
  },
  {
    id: "mw-revoked",
    source: `${GUIDE} §2`,
    what: "a revoked key: 401",
    run: async (t, s) => {
      const a = await call(t, "GET", "/api/data", { admin: null, key: s.revoked?.raw });
      return verdict(a.status === 401, a);
    },
  },
  {
    id: "mw-state",
    source: `${GUIDE} §2 (request.state.api_key)`,
    what: "a valid key reaches the route, which sees the org id, the label and the scopes",
    run: async (t, s) => {
      const a = await call(t, "GET", "/api/data", { admin: null, key: s.prod?.raw });
      return verdict(
        a.status === 200 && a.body?.org_id === s.orgId && a.body?.key_label === "prod-key" &&
          JSON.stringify(a.body?.scopes) === '["read"]',
        a,
      );
    },
  },
  {
    id: "mw-headers",
    source: `${GUIDE} §5`,
    what: "X-RateLimit-Limit and X-RateLimit-Remaining on an authorised request",
    run: async (t, s) => {
      const a = await call(t, "GET", "/api/data", { admin: null, key: s.prod?.raw });
      return verdict(
        a.status === 200 && a.headers.get("x-ratelimit-limit") === "120" &&
          a.headers.get("x-ratelimit-remaining") === "118",
        a,
        ` limit=${a.headers.get("x-ratelimit-limit")} remaining=${
          a.headers.get("x-ratelimit-remaining")
        }`,
      );
    },
  },
  {
    id: "mw-remaining",
    source: `${GUIDE} §5`,
    what: "X-RateLimit-Remaining counts down",
    run: async (t, s) => {
      const a = await call(t, "GET", "/api/data", { admin: null, key: s.prod?.raw });
      return verdict(a.headers.get("x-ratelimit-remaining") === "117", a);
    },
  },
  {
    id: "mw-app-error",
    source: MIDDLEWARE,
    what: "the app's own answer passes through (a 404 of the app)",
    run: async (t, s) => {
      const a = await call(t, "GET", "/api/missing", { admin: null, key: s.prod?.raw });
      return verdict(a.status === 404, a);
    },
  },
  {
    id: "mw-unprotected",
    source: `${GUIDE} §1`,
    what: "routes outside protected_path need no key",
    run: async (t) => {
      const a = await call(t, "GET", "/public", { admin: null });
      return verdict(a.status === 200, a);
    },
  },
  {
    id: "stats-fields",
    source: `${README_ADMIN}; ${SCHEMA}`,
    what: "GET /admin/stats has keyguard's seven fields",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/stats");
      const fields = [
        "total_organizations",
        "total_keys",
        "active_keys",
        "total_requests",
        "recent_requests_1h",
        "top_keys",
        "error_rate",
      ];
      return verdict(a.status === 200 && fields.every((f) => f in (a.body ?? {})), a);
    },
  },
  {
    id: "stats-requests",
    source: ADMIN_PY,
    what: "total_requests and recent_requests_1h count the app's requests (4), not admin calls",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/stats");
      return verdict(a.body?.total_requests === 4 && a.body?.recent_requests_1h === 4, a);
    },
  },
  {
    id: "stats-top-keys",
    source: ADMIN_PY,
    what: "top_keys is led by the app's key: {label, prefix, requests}",
    run: async (t, s) => {
      const a = await call(t, "GET", "/admin/stats");
      const top = a.body?.top_keys?.[0];
      return verdict(
        top?.label === "prod-key" && top?.prefix === s.prod?.prefix && top?.requests === 4,
        a,
      );
    },
  },
  {
    id: "stats-error-rate",
    source: ADMIN_PY,
    what: "error_rate is the percentage of requests the app answered 400 or more (25.0)",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/stats");
      return verdict(a.body?.error_rate === 25, a);
    },
  },
  {
    id: "stats-counts",
    source: ADMIN_PY,
    what: "total_keys and active_keys agree with GET /admin/keys",
    run: async (t) => {
      const a = await call(t, "GET", "/admin/stats");
      const keys = (await call(t, "GET", "/admin/keys")).body?.keys ?? [];
      return verdict(
        a.body?.total_keys === keys.length &&
          a.body?.active_keys === keys.filter((k: { is_active: boolean }) => k.is_active).length,
        a,
      );
    },
  },
  {
    id: "mw-rate-limit",
    source: `${GUIDE} §2; ${MIDDLEWARE}`,
    what: "over the key's limit (2/min): 429 with X-RateLimit-Limit and Remaining 0",
    run: async (t, s) => {
      for (let i = 0; i < 2; i++) {
        await call(t, "GET", "/api/data", { admin: null, key: s.limited?.raw });
      }
      const a = await call(t, "GET", "/api/data", { admin: null, key: s.limited?.raw });
      return verdict(
        a.status === 429 && a.headers.get("x-ratelimit-limit") === "2" &&
          a.headers.get("x-ratelimit-remaining") === "0" && hasDetail(a),
        a,
      );
    },
  },
  {
    id: "ip-allowed",
    source: `${GUIDE} §3 (rate_limit_by_ip)`,
    what: "/login limited to 3 a minute per address: the first three pass",
    run: async (t) => {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        statuses.push((await call(t, "POST", "/login", { admin: null })).status);
      }
      const a = { status: statuses[2], headers: new Headers(), body: statuses };
      return verdict(statuses.every((x) => x === 200), a);
    },
  },
  {
    id: "ip-limited",
    source: `${GUIDE} §3`,
    what: "the fourth: 429 with detail",
    run: async (t) => {
      const a = await call(t, "POST", "/login", { admin: null });
      return verdict(a.status === 429 && hasDetail(a), a);
    },
  },
  {
    id: "ip-locked",
    source: `${GUIDE} §3 (lockout=86400); ${MIDDLEWARE}`,
    what: "after the lockout: 403 (the path is blocked for 24 hours)",
    run: async (t) => {
      const a = await call(t, "POST", "/login", { admin: null });
      return verdict(a.status === 403 && hasDetail(a), a);
    },
  },
  {
    id: "ip-path-scope",
    source: `${GUIDE} §3 (scope="path")`,
    what: "the lockout is the route's only: the address still reaches other routes",
    run: async (t) => {
      const a = await call(t, "GET", "/public", { admin: null });
      return verdict(a.status === 200, a);
    },
  },
];

/**
 * Where Keypebble answers differently, on purpose, and the words of the "Moving from keyguard"
 * table (docs/moving-from.md) that say so.
 */
const DIFFERENCES: Readonly<Record<string, string>> = {
  "admin-missing": "no admin key at all",
  "stats-error-rate": "`error_rate` counts",
  "ip-locked": "a locked-out address at a limited route",
};

async function runScript(t: Target): Promise<Map<string, { pass: boolean; seen: string }>> {
  const s: State = {};
  const out = new Map<string, { pass: boolean; seen: string }>();
  for (const row of ROWS) {
    try {
      out.set(row.id, await row.run(t, s));
    } catch (e) {
      out.set(row.id, { pass: false, seen: `threw ${e instanceof Error ? e.message : e}` });
    }
  }
  return out;
}

Deno.test({
  name: "keyguard conformance: the same script against the real keyguard and against Keypebble",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const cleanup = new Cleanup();
    const SECRET = "keyguard-conformance-secret";
    const app = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
      // The app behind the gateway: what keyguard's app reads from request.state.api_key.
      const path = new URL(req.url).pathname;
      const h = req.headers;
      if (path === "/api/data") {
        return Response.json({
          org_id: h.get("x-auth-org-id"),
          key_label: decodeURIComponent(h.get("x-auth-key-label") ?? ""),
          scopes: (h.get("x-auth-scopes") ?? "").split(" ").filter((x) => x !== ""),
        });
      }
      if (path === "/public") return Response.json({ message: "public" });
      if (path === "/login") return Response.json({ message: "Login successful" });
      return Response.json({ detail: "Not Found" }, { status: 404 });
    });
    let kg: { stop(): Promise<void>; lines: string[] } | undefined;
    try {
      // keyguard, as its README runs it.
      const kgDir = await cleanup.dir("kg-conf");
      kg = await startKeyguardApp(kgDir, SECRET);
      const kgResults = await runScript({
        name: "keyguard",
        base: (kg as { url: string } & typeof kg).url,
        adminKey: SECRET,
      });

      // Keypebble behind nginx, with keyguard's key prefix and a route limit for /login
      // (keyguard's rate_limit_by_ip(limit=3, window=60, lockout=86400)).
      const dir = await cleanup.dir("kp-conf");
      await Deno.writeTextFile(`${dir}/secret`, "s".repeat(40));
      const config = `${dir}/kp.yaml`;
      await Deno.writeTextFile(
        config,
        [
          'issuer: "https://kp.conformance"',
          "hs256_secret_path: secret",
          'store: {url: "sqlite:kp.db", key_prefix: kg_live_}',
          ...BEHIND_GATEWAY,
          "limits:",
          "  routes:",
          "    login: {requests: 3, window_seconds: 60, lock_after: 1, lock_seconds: 86400}",
          "log_level: warn",
          "",
        ].join("\n"),
      );
      assert.equal((await runKeypebble(["org", "create", "--config", config, "ops"])).code, 0);
      const adminOut = await runKeypebble([
        "key",
        "create",
        "--config",
        config,
        "--org",
        "ops",
        "--label",
        "admin",
        "--scope",
        "admin",
        "--rate-limit",
        "none",
        "--json",
      ]);
      assert.equal(adminOut.code, 0, adminOut.stderr);
      const kp = cleanup.daemon(await startServer(config, { cwd: dir, args: ["--workers", "1"] }));
      const base = await startGateway(cleanup, {
        dir,
        kpPort: kp.port,
        appPort: app.addr.port,
        limits: { login: "/login" },
      });
      const kpResults = await runScript({
        name: "Keypebble",
        base,
        adminKey: JSON.parse(adminOut.stdout).key,
      });

      const lines = ROWS.map((r) => {
        const a = kgResults.get(r.id)!;
        const b = kpResults.get(r.id)!;
        const mark = (x: { pass: boolean }) => (x.pass ? "pass" : "FAIL");
        return `${r.id.padEnd(20)} keyguard ${mark(a)}  Keypebble ${mark(b)}  ${r.what}` +
          (a.pass && b.pass
            ? ""
            : `\n${" ".repeat(22)}keyguard: ${a.seen}\n${" ".repeat(22)}Keypebble: ${b.seen}`);
      });
      const kgPass = ROWS.filter((r) => kgResults.get(r.id)!.pass).length;
      const kpPass = ROWS.filter((r) => kpResults.get(r.id)!.pass).length;
      const summary = `keyguard ${kgPass}/${ROWS.length}, Keypebble ${kpPass}/${ROWS.length}`;
      console.log(`${lines.join("\n")}\n${summary}`);

      // keyguard does what its documents say (else the row is wrong, not Keypebble).
      assert.deepEqual(
        ROWS.filter((r) => !kgResults.get(r.id)!.pass).map((r) => r.id),
        [],
        `keyguard itself: ${summary}`,
      );
      // Keypebble differs exactly where docs/moving-from.md says it does, and only there.
      assert.deepEqual(
        ROWS.filter((r) => !kpResults.get(r.id)!.pass).map((r) => r.id),
        Object.keys(DIFFERENCES),
        summary,
      );
      const doc = await Deno.readTextFile(new URL("../../docs/moving-from.md", import.meta.url));
      const section = doc.slice(
        doc.indexOf("## Moving from keyguard"),
        doc.indexOf("## Moving from pico-auth"),
      );
      for (const [id, words] of Object.entries(DIFFERENCES)) {
        assert.ok(
          section.includes(words),
          `docs/moving-from.md "Moving from keyguard" lacks ${id}: ${words}`,
        );
      }
    } catch (e) {
      throw new Error(
        `${e instanceof Error ? e.message : e}\n--- output ---\n${cleanup.output()}\n${
          kg?.lines.join("\n") ?? ""
        }`,
      );
    } finally {
      await kg?.stop();
      await cleanup.run();
      await app.shutdown();
    }
  },
});

/**
 * `keypebble check --config FILE [--credentials-dir DIR] [--policy FILE]`: load everything
 * `serve` would (config, environment overrides, keys, certificates, policy) without listening,
 * print what would be served and every warning, and exit 0 (would start) or 2 (would not).
 *
 * Operators run it before a reload; the systemd unit runs it as `ExecStartPre=` and before
 * `ExecReload=`, so a broken file never reaches the running server. Nothing is written: a key
 * that `generate_missing_key` would create is reported, not created.
 */

import { PYTHON_COMPAT_KEYS } from "../config/mod.ts";
import { redactUrl } from "../config/store.ts";
import { anonymousSurface, routeAccess, ROUTES } from "../app/mod.ts";
import { loopbackListener } from "../trust/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { createLogger } from "../log/mod.ts";
import type { BuildNotice, Runtime } from "../runtime/mod.ts";
import { type Started, startUp, StartupError } from "../server/preflight.ts";
import { type ParsedArgs, requireFlag, stringFlag } from "./args.ts";

/** Run `check`; resolves to the exit code. */
export async function checkCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const credentialsDir = stringFlag(args, "credentials-dir");
  const policyPath = stringFlag(args, "policy");
  // serve's own start-up sequence (src/server/preflight.ts), in check mode: it reads everything
  // serve reads, the store and Redis included, and writes nothing.
  const silent = createLogger({ level: "error", write: () => {}, now: () => new Date() });
  let started: Started;
  try {
    started = await startUp(platform, {
      configPath,
      mode: "check",
      logger: silent,
      ...(policyPath === undefined ? {} : { overrides: { policyPath } }),
      ...(credentialsDir === undefined ? {} : { credentialsDir }),
    });
  } catch (e) {
    if (!(e instanceof StartupError)) throw e;
    platform.stderr(`error (${e.code}): ${e.message}\n`);
    platform.stderr(`${configPath}: would NOT start (exit 2)\n`);
    return 2;
  }
  const wouldWrite = started.notices.filter((n) => n.event === "would_generate").map((n) =>
    String(n.fields.path)
  );
  platform.stdout(
    describeRuntime(started.runtime, {
      notices: started.notices.filter((n) => n.event !== "would_generate"),
      wouldWrite,
      report: started.report,
      alpn: platform.alpnFor?.(started.runtime.tls?.clientCa !== undefined) ?? [],
    }),
  );
  return 0;
}

/** The summary `check` prints (exported for tests). */
export function describeRuntime(
  rt: Runtime,
  extra: {
    notices: readonly BuildNotice[];
    wouldWrite?: readonly string[];
    /** What the start-up steps found (src/server/preflight.ts): [label, text]. */
    report?: readonly (readonly [string, string])[];
    /** ALPN protocols this runtime's server offers for the config's TLS. */
    alpn?: readonly string[];
  },
): string {
  const c = rt.config;
  const out: string[] = [];
  const line = (label: string, text: string) => out.push(`${label.padEnd(13)} ${text}`);
  out.push(`${c.source}: OK, serve would start`);
  out.push("");
  line("issuer", c.issuer);
  line("listen", `${rt.tls === undefined ? "http" : "https"}://${_hostPort(c.host, c.port)}`);
  if (rt.tls !== undefined) _describeTls(rt, extra.alpn ?? [], line, out);
  line("endpoints", "");
  for (const r of ROUTES) {
    out.push(`  ${Object.keys(r.methods).join(",").padEnd(9)} ${r.template}`);
  }
  const access = routeAccess(rt);
  const open = (kind: string) =>
    access.some((a) => a.kind === kind && a.anonymous)
      ? "ANYONE who can reach the port"
      : "authenticated callers only";
  line("profiles", "");
  out.push(
    `  auth        POST /auth: ${open("auth")}; lifetime ${rt.profiles.auth.defaultTtl} s ` +
      `(max ${rt.profiles.auth.maxTtl} s); request claims: ${
        c.allowedCustomClaims === undefined
          ? "any (no allowed_custom_claims)"
          : c.allowedCustomClaims.join(", ") || "none"
      }; static claims: ${Object.keys(c.staticClaims).join(", ") || "none"}`,
  );
  out.push(
    `  registry    /v2/token: authenticated callers only; services: ${
      c.services.join(", ") || "NONE (every request refused)"
    }; refresh tokens ${c.refreshTtlSeconds} s`,
  );
  out.push(`  command     POST /command/token: ${open("command")}`);
  out.push(`  kubernetes  TokenRequest: ${open("kubernetes")}; aud from the request`);
  // What each kind signs with (the mint path's resolved profiles).
  for (const [name, p] of Object.entries(rt.profiles)) {
    out.push(
      `    ${name.padEnd(10)} typ ${p.def.typ}, ${p.signer.alg} kid ${
        p.signer.kid === undefined ? "(none)" : `"${p.signer.kid}"`
      }, aud ${
        p.defaultAudience ?? p.audiences?.join(", ") ??
          `(${p.def.audience.replaceAll("_", " ")})`
      }, lifetime ${p.defaultTtl} s (max ${p.maxTtl} s)${
        p.issuer === c.issuer ? "" : `, iss ${p.issuer}`
      }${p.sealer === undefined ? "" : `; format ${p.sealer.description}`}`,
    );
  }
  if (c.spiffe !== undefined) {
    out.push(
      `  spiffe      POST /spiffe/v1/svid: authenticated callers whose policy lists spiffe_ids; ` +
        `trust domain ${c.spiffe.trustDomain}`,
    );
  }
  if (c.store !== undefined) {
    out.push(
      `  api         POST /oauth2/token (client_credentials): holders of an API key; ` +
        `lifetime ${c.store.tokenTtlSeconds} s; GET /forward-auth: checks a key for a gateway; ` +
        `/admin/*: keys with the "admin" scope`,
    );
  }
  line("keys", "");
  rt.keyring.keys.forEach((k, i) => {
    const spec = c.keys[i];
    const staged = spec.kind === "pem" && spec.staged === true;
    out.push(
      `  ${i === 0 ? "signs   " : staged ? "staged  " : "verifies"}  ${k.alg.padEnd(6)} kid ${
        k.kid === undefined ? "(none: HMAC key without a kid)" : `"${k.kid}"`
      }  from ${spec.field}${k.publicJwk === undefined ? " (not published)" : ""}${
        staged
          ? ` (published, not signing: verifiers caching the JWKS know it ${c.jwksMaxAgeSeconds} s ` +
            "after it was first served; then move it first)"
          : ""
      }`,
    );
  });
  rt.keyring.decryptionKeys.forEach((k, i) => {
    out.push(
      `  decrypts  ${k.alg}/${k.enc} kid "${k.kid}"  from ${
        c.encryptionKeys[i].field
      } (published with use "enc"; never signs)`,
    );
  });
  if (rt.fernet !== undefined) {
    const l = rt.fernet.repository.layout;
    out.push(
      `  fernet    ${rt.fernet.repository.dir}: primary ${l.primary}${
        l.secondary.length === 0 ? "" : `, secondary ${l.secondary.join(",")}`
      }${l.staged === undefined ? ", NO staged key" : `, staged ${l.staged}`}; tokens accepted ` +
        `for ${rt.fernet.ttlSeconds} s`,
    );
  }
  for (const p of extra.wouldWrite ?? []) {
    out.push(`  (missing: serve would GENERATE "${p}" because generate_missing_key is on)`);
  }
  line("audiences", `/auth default aud: ${rt.profiles.auth.audiences?.[0] ?? "(none)"}`);
  const rate = (s?: { requests: number; windowSeconds: number }) =>
    s === undefined ? "off" : `${s.requests} per ${s.windowSeconds} s`;
  line(
    "limits",
    `rate per address ${rate(c.rateLimit.perAddress)}, per principal ${
      rate(c.rateLimit.perPrincipal)
    }; lockout ${
      c.lockout.enabled
        ? `${c.lockout.maxFailures} failures in ${c.lockout.windowSeconds} s → ${c.lockout.lockSeconds} s`
        : "off"
    }; body ${c.limits.maxBodyBytes} B, ${c.limits.maxScopes} scopes, headers ${c.limits.maxHeaderBytes} B`,
  );
  if (rt.policy === undefined) {
    line(
      "policy",
      c.accounts === undefined
        ? "none: /v2/token grants nothing and no user can log in"
        : "none: /v2/token grants nothing; accounts sign in at /api/v1/auth/login",
    );
  } else {
    line(
      "policy",
      `${rt.policy.source}: ${rt.policy.users.size} user(s)${
        rt.policy.anyUser === undefined ? "" : ' and a "*" entry'
      }`,
    );
  }
  if (c.store === undefined) {
    line("store", "none: API keys, /forward-auth, /oauth2/token and /admin/* answer 404");
  } else {
    const s = c.store;
    const found = extra.report?.find(([l]) => l === "store")?.[1];
    line("store", found ?? redactUrl(s.url));
    for (const [label, text] of extra.report ?? []) {
      if (label === "pepper" || label === "accounts") out.push(`  ${label.padEnd(11)} ${text}`);
    }
    out.push(
      `  key checks  cached ${s.cacheSeconds} s (a revocation takes effect within it); new keys ` +
        `${s.keyPrefix}…; accepted: ${s.acceptedPrefixes.join(", ")}`,
    );
  }
  if (c.accounts !== undefined) {
    const signin = (c.oauth?.clients ?? []).filter((x) => x.redirectUris.length > 0);
    const id = rt.profiles.id;
    line(
      "sign-in",
      id === undefined || c.profiles.id?.enabled === false
        ? "off (it needs an RS256, ES256 or EdDSA key for ID tokens)"
        : `clients ${
          signin.length === 0 ? "none in the config" : signin.map((x) => x.id).join(", ")
        } (and those kept in the store); sessions ${
          c.accounts.sessionTtlSeconds ?? 28_800
        } s; second factor required for ${
          (c.accounts.totpRequiredRoles ?? []).join(", ") || "no role"
        } (and enrolled or required accounts)`,
    );
  }
  line(
    "shared limits",
    c.sharedLimits === undefined
      ? "none: rate limits and lockout are counted per instance"
      : `${
        extra.report?.find(([l]) => l === "shared limits")?.[1] ??
          redactUrl(c.sharedLimits.redisUrl)
      }: counters shared by every instance`,
  );
  const shown = new Set(["store", "shared limits", "pepper", "accounts"]);
  for (const [label, text] of extra.report ?? []) if (!shown.has(label)) line(label, text);
  line("proxies", c.trustedProxies.join(", ") || "none (X-Authenticated-User is ignored)");
  // Who can call what: rendered from the route table's declarations under this runtime.
  line("anonymous", "");
  out.push(
    "  GET /healthz, /readyz, /metrics, /.well-known/jwks.json, " +
      "/.well-known/openid-configuration, /openapi.json (public documents)",
  );
  const surface = anonymousSurface(rt);
  if (surface.length === 0) out.push("  no route mints or grants anything without credentials");
  for (const l of surface) out.push(`  ${l}`);
  line("callers", "");
  for (const a of access) {
    if (a.callers === "-") continue;
    out.push(
      `  ${a.method.padEnd(6)} ${a.template}: ${a.callers}${a.anonymous ? " or anonymous" : ""}${
        a.needs === undefined ? "" : `; needs ${a.needs}`
      }`,
    );
  }
  line("environment", c.envOverrides.length === 0 ? "no KEYPEBBLE_* overrides" : "");
  for (const o of c.envOverrides) out.push(`  ${o.name} sets ${o.field}`);

  const compat = [
    ...c.compat.map((n) => `${n.field}: ${n.message}`),
    ...extra.notices.filter((n) => n.event === "config_compat").map((n) =>
      `${n.fields.field}: ${n.fields.message}`
    ),
    ...extra.notices.filter((n) => n.event === "policy_pattern_changed").map((n) =>
      `${n.fields.field}: ${n.fields.message}`
    ),
    ...(rt.policy === undefined
      ? [
        "policy: none, so /v2/token grants nothing (the Python Keypebble granted every scope asked for)",
      ]
      : []),
    ...(c.trustedProxies.length === 0
      ? [
        "trusted_proxies: none, so X-Authenticated-User is ignored (the Python Keypebble trusted it from any caller)",
      ]
      : []),
  ];
  line("python compat", compat.length === 0 ? "nothing from the Python Keypebble met" : "");
  for (const n of compat) out.push(`  ${n}`);
  const warnings: string[] = extra.notices.filter((n) =>
    n.level === "warn" && n.event !== "policy_pattern_changed"
  ).map((w) => `${w.fields.field ?? w.fields.path ?? w.event}: ${w.fields.message}`);
  // Closed unless opened: anything anonymous on a listener others can reach is called out.
  if (!loopbackListener(c.host)) {
    for (const l of surface) {
      warnings.push(
        `ANONYMOUS on ${c.host}: ${l} (opened by "anonymous:" or an open registration)`,
      );
    }
  }
  line("warnings", warnings.length === 0 ? "none" : String(warnings.length));
  for (const w of warnings) out.push(`  ${w}`);
  return out.join("\n") + "\n";
}

function _hostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The TLS lines: what the certificate is, what this runtime's server offers, client certs. */
function _describeTls(
  rt: Runtime,
  alpn: readonly string[],
  line: (label: string, text: string) => void,
  out: string[],
): void {
  const t = rt.tls!;
  const leaf = t.leaf;
  line(
    "tls",
    `TLS 1.2 and 1.3; ALPN ${alpn.length === 0 ? "(none)" : alpn.join(", ")}${
      alpn.includes("h2") ? "" : " (no HTTP/2 from this runtime's server)"
    }`,
  );
  out.push(
    `  certificate ${leaf.subject}, ${leaf.keyType}, until ${
      new Date(leaf.notAfter).toISOString()
    }`,
  );
  const names = [...leaf.sanDns, ...leaf.sanIps];
  out.push(
    `  names       ${names.length === 0 ? "(no subject alternative names)" : names.join(", ")}`,
  );
  out.push(`  chain       ${t.chainLength} certificate(s) sent`);
  out.push(
    `  clients     ${
      t.clientCa === undefined
        ? "no client certificates asked for"
        : `certificates ${t.clientCertificates} (verified against ${
          t.clientCas.map((ca) => `"${ca.subject}"`).join(", ")
        }); routes see their subject and SANs`
    }`,
  );
}

/** Python-compatible keys `check` can report (re-exported for the documentation tests). */
export const CHECKED_COMPAT_KEYS: readonly string[] = Object.keys(PYTHON_COMPAT_KEYS);

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
import { openStoreState } from "../apikeys/state.ts";
import { KeypebbleError } from "../errors.ts";
import { anonymousSurface, routeAccess, ROUTES } from "../app/mod.ts";
import { loopbackListener } from "../trust/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { type BuildNotice, loadRuntime, type Runtime } from "../runtime/mod.ts";
import { type ParsedArgs, requireFlag, stringFlag } from "./args.ts";

/** Run `check`; resolves to the exit code. */
export async function checkCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const configPath = requireFlag(args, "config");
  const credentialsDir = stringFlag(args, "credentials-dir");
  const policyPath = stringFlag(args, "policy");
  const notices: BuildNotice[] = [];
  const wouldWrite: string[] = [];
  // Everything serve reads, nothing it writes.
  const io: Platform = {
    ...platform,
    writePrivateFile: (path: string) => {
      wouldWrite.push(path);
      return Promise.resolve();
    },
  };
  let rt: Runtime;
  try {
    rt = await loadRuntime(io, configPath, {
      generation: 1,
      notices,
      ...(policyPath === undefined ? {} : { overrides: { policyPath } }),
      ...(credentialsDir === undefined ? {} : { credentialsDir }),
    });
  } catch (e) {
    if (!(e instanceof KeypebbleError)) throw e;
    platform.stderr(`error (${e.code}): ${e.message}\n`);
    platform.stderr(`${configPath}: would NOT start (exit 2)\n`);
    return 2;
  }
  // The store's part of serve's start-up (src/apikeys/state.ts), read-only: the SQLite files,
  // the store itself, the pepper against its fingerprint, permissions. Redis is not contacted.
  let pepper: PepperState | undefined;
  if (rt.config.store !== undefined) {
    try {
      const state = await openStoreState(io, rt.config, { mode: "check" });
      await state.store?.close();
      notices.push(...state.notices);
      pepper = state.pepperVerdict === "create" ? "missing" : "ok";
    } catch (e) {
      if (!(e instanceof KeypebbleError)) throw e;
      platform.stderr(`error (${e.code}): ${e.message}\n`);
      platform.stderr(`${configPath}: would NOT start (exit 2)\n`);
      return 2;
    }
  }
  platform.stdout(describeRuntime(rt, { notices, wouldWrite, pepper }));
  return 0;
}

/** What `check` found at `store.pepper_path`. */
export type PepperState = "ok" | "missing";

/** The summary `check` prints (exported for tests). */
export function describeRuntime(
  rt: Runtime,
  extra: { notices: readonly BuildNotice[]; wouldWrite?: readonly string[]; pepper?: PepperState },
): string {
  const c = rt.config;
  const out: string[] = [];
  const line = (label: string, text: string) => out.push(`${label.padEnd(13)} ${text}`);
  out.push(`${c.source}: OK, serve would start`);
  out.push("");
  line("issuer", c.issuer);
  line("listen", `${c.host}:${c.port}`);
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
    `  auth        POST /auth: ${open("auth")}; lifetime ${c.defaultTtlSeconds} s ` +
      `(max ${c.maxTtlSeconds} s); request claims: ${
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
    out.push(
      `  ${i === 0 ? "signs   " : "verifies"}  ${k.alg.padEnd(6)} kid ${
        k.kid === undefined ? "(none: HMAC key without a kid)" : `"${k.kid}"`
      }  from ${spec.field}${k.publicJwk === undefined ? " (not published)" : ""}`,
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
    line("policy", "none: /v2/token grants nothing and no user can log in");
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
    line("store", `${redactUrl(s.url)} (opened read-only by check)`);
    out.push(
      `  pepper      ${s.pepperPath}${
        extra.pepper === "missing"
          ? ' (missing: serve creates it, since the store is new; or run "keypebble store init")'
          : ""
      }`,
    );
    out.push(
      `  key checks  cached ${s.cacheSeconds} s (a revocation takes effect within it); new keys ` +
        `${s.keyPrefix}…; accepted: ${s.acceptedPrefixes.join(", ")}`,
    );
  }
  line(
    "shared limits",
    c.sharedLimits === undefined
      ? "none: rate limits and lockout are counted per instance"
      : `${
        redactUrl(c.sharedLimits.redisUrl)
      }: counters shared by every instance (not contacted by check)`,
  );
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

/** Python-compatible keys `check` can report (re-exported for the README test). */
export const CHECKED_COMPAT_KEYS: readonly string[] = Object.keys(PYTHON_COMPAT_KEYS);

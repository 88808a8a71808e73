/**
 * The API key CLI on the configured store: `org create|list|suspend|resume`,
 * `key create|list|show|revoke|roll`, `stats`, `block|unblock|blocks`. Tables for people,
 * `--json` for scripts. The raw key is printed once, by `key create` and `key roll`. Every
 * change is an audit event with the local user as actor (src/cli/cli_audit.ts), stored with the
 * key service's writer before the command returns.
 */

import { blockJson, keyJson, orgJson } from "../admin/handlers.ts";
import type { ApiKeyService } from "../apikeys/service.ts";
import { startApiKeys } from "../apikeys/start.ts";
import { KEY_DEFAULTS } from "../config/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import type { BlockKind } from "../store/mod.ts";
import {
  type ArgsSpec,
  type FlagSpec,
  intFlag,
  listFlag,
  type ParsedArgs,
  requireFlag,
  stringFlag,
  UsageError,
} from "./args.ts";
import { type CliAudit, openCliAudit } from "./cli_audit.ts";

/** A CLI command of this group. */
export interface ApiKeyCommand extends ArgsSpec {
  readonly summary: string;
  readonly usage: string;
  readonly flags: FlagSpec;
  run(platform: Platform, args: ParsedArgs): Promise<number>;
}

async function _withService(
  platform: Platform,
  args: ParsedArgs,
  fn: (svc: ApiKeyService, audit: CliAudit) => Promise<number>,
): Promise<number> {
  const config = await loadConfig(platform, requireFlag(args, "config"));
  const started = await startApiKeys(platform, config);
  try {
    const audit = await openCliAudit(platform, { writer: started.service.audit });
    const code = await fn(started.service, audit);
    await audit.close();
    return code;
  } finally {
    await started.close();
  }
}

function _out(platform: Platform, args: ParsedArgs, value: unknown, table: () => string): void {
  platform.stdout(args.flags.json === true ? JSON.stringify(value) + "\n" : table() + "\n");
}

/** Render rows as an aligned text table. */
export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) => r.map((c, i) => (c ?? "").padEnd(widths[i])).join("  ").trimEnd();
  return [line(head), ...rows.map(line)].join("\n");
}

function _positional(args: ParsedArgs, i: number, what: string): string {
  const v = args.positionals[i];
  if (v === undefined || v === "") throw new UsageError(`${what} is required`);
  return v;
}

const now = () => Math.floor(Date.now() / 1000);

/** `keypebble org …`. */
export const ORG_COMMAND: ApiKeyCommand = {
  summary: "Create, list, suspend or resume organisations (API key owners)",
  usage: `keypebble org create|list|suspend|resume --config FILE [NAME] [--json]`,
  flags: { config: "string", json: "boolean" },
  subcommands: { create: ["NAME"], list: [], suspend: ["NAME"], resume: ["NAME"] },
  run: (p, a) =>
    _withService(p, a, async (svc, audit) => {
      const sub = a.positionals[0];
      if (sub === "create") {
        const org = await svc.createOrg(_positional(a, 1, "NAME"));
        audit.record({ action: "org.created", target: org.name, org: org.name });
        _out(p, a, orgJson({ ...org, keyCount: 0 }), () =>
          `created organisation ${org.name} (${org.id})`);
        return 0;
      }
      if (sub === "list") {
        const orgs = await svc.listOrgs();
        _out(p, a, { organizations: orgs.map(orgJson), total: orgs.length }, () =>
          table(
            ["NAME", "ID", "STATUS", "KEYS", "CREATED"],
            orgs.map((
              o,
            ) => [
              o.name,
              o.id,
              o.status,
              String(o.keyCount),
              new Date(o.createdAt * 1000).toISOString(),
            ]),
          ));
        return 0;
      }
      if (sub === "suspend" || sub === "resume") {
        const org = await svc.setOrgStatus(
          _positional(a, 1, "NAME"),
          sub === "suspend" ? "suspended" : "active",
        );
        audit.record({
          action: sub === "suspend" ? "org.suspended" : "org.resumed",
          target: org.name,
          org: org.name,
        });
        _out(p, a, { id: org.id, name: org.name, status: org.status }, () =>
          `${org.name}: ${org.status}`);
        return 0;
      }
      throw new UsageError('Expected "create", "list", "suspend" or "resume"');
    }),
};

/** `keypebble key …`. */
export const KEY_COMMAND: ApiKeyCommand = {
  summary: "Create, list, show, revoke or roll API keys",
  usage: `keypebble key create --config FILE --org NAME --label L [--scope S]... [--claim K=V]...
                   [--audience A]... [--rate-limit N|none] [--quota N] [--expires-in SECONDS]
                   [--prefix kp_test_] [--reach all|org] [--json]
       keypebble key list --config FILE [--org NAME] [--json]
       keypebble key show|revoke --config FILE ID [--json]
       keypebble key roll --config FILE ID [--grace SECONDS] [--json]

create and roll print the key once (in "key" with --json); it cannot be shown again.
Without --rate-limit a key gets store.default_rate_limit_per_minute (60 unless set; "none" for no
limit), without --scope store.default_scopes (["read"] unless set), as keyguard's create-key.
An "admin" key made here reaches every organisation (--reach all, the default: whoever runs
this holds the store); --reach org limits it to its own organisation.`,
  subcommands: { create: [], list: [], show: ["ID"], revoke: ["ID"], roll: ["ID"] },
  flags: {
    config: "string",
    json: "boolean",
    org: "string",
    label: "string",
    scope: "list",
    claim: "list",
    audience: "list",
    "rate-limit": "string",
    quota: "string",
    "expires-in": "string",
    prefix: "string",
    grace: "string",
    reach: "string",
  },
  run: (p, a) =>
    _withService(p, a, async (svc, audit) => {
      const sub = a.positionals[0];
      if (sub === "create") {
        const claims: Record<string, unknown> = {};
        for (const c of listFlag(a, "claim")) {
          const eq = c.indexOf("=");
          if (eq < 1) throw new UsageError(`--claim must be NAME=VALUE, got "${c.slice(0, 40)}"`);
          const v = c.slice(eq + 1);
          let parsed: unknown = v;
          try {
            parsed = JSON.parse(v);
          } catch { /* a plain string */ }
          claims[c.slice(0, eq)] = parsed;
        }
        // Absent: store.default_rate_limit_per_minute (keyguard's 60); "none": no limit.
        const rate = stringFlag(a, "rate-limit") === "none"
          ? null
          : intFlag(a, "rate-limit", { min: 1, max: 1_000_000_000 }) ??
            svc.config.defaultRateLimitPerMinute ?? KEY_DEFAULTS.rateLimitPerMinute;
        const scopes = listFlag(a, "scope");
        const quota = intFlag(a, "quota", { min: 1, max: 1_000_000_000 });
        const expires = intFlag(a, "expires-in", { min: 1, max: 1_000_000_000 });
        const prefix = stringFlag(a, "prefix");
        const reach = stringFlag(a, "reach") ?? "all";
        if (reach !== "all" && reach !== "org") {
          throw new UsageError(`--reach must be "all" or "org", got "${reach.slice(0, 20)}"`);
        }
        const { key, raw } = await svc.createKey({
          orgName: requireFlag(a, "org"),
          label: requireFlag(a, "label"),
          // No --scope: store.default_scopes (keyguard's ["read"]).
          scopes: scopes.length > 0
            ? scopes
            : [...(svc.config.defaultScopes ?? KEY_DEFAULTS.scopes)],
          audiences: listFlag(a, "audience"),
          claims,
          rateLimitPerMinute: rate,
          ...(quota === undefined ? {} : { monthlyQuota: quota }),
          ...(expires === undefined ? {} : { expiresInSeconds: expires }),
          ...(prefix === undefined ? {} : { prefix }),
          reach,
        });
        audit.record({
          action: "key.created",
          target: key.id,
          org: key.orgName,
          details: { label: key.label, scopes: key.scopes, reach: key.reach },
        });
        _out(p, a, { ...keyJson(key, now()), key: raw }, () =>
          `created key ${key.id} (${key.label}) for ${key.orgName}\n\n  ${raw}\n\n` +
          "This is the only time the key is shown: store it now.");
        return 0;
      }
      if (sub === "list") {
        const keys = await svc.listKeys(stringFlag(a, "org"));
        const t = now();
        _out(p, a, {
          keys: keys.map((k) =>
            keyJson(k, t)
          ),
          total: keys.length,
        }, () =>
          table(
            [
              "ID",
              "ORG",
              "LABEL",
              "PREFIX",
              "STATUS",
              "SCOPES",
              "RATE/MIN",
              "EXPIRES",
              "LAST USED",
            ],
            keys.map((k) => [
              k.id,
              k.orgName,
              k.label,
              k.displayPrefix + "…",
              k.status === "revoked"
                ? "revoked"
                : k.expiresAt !== null && k.expiresAt <= t
                ? "expired"
                : k.orgStatus === "suspended"
                ? "suspended"
                : "active",
              k.scopes.join(" "),
              k.rateLimitPerMinute === null ? "-" : String(k.rateLimitPerMinute),
              k.expiresAt === null ? "-" : new Date(k.expiresAt * 1000).toISOString(),
              k.lastUsedAt === null ? "-" : new Date(k.lastUsedAt * 1000).toISOString(),
            ]),
          ));
        return 0;
      }
      if (sub === "show") {
        const k = await svc.key(_positional(a, 1, "ID"));
        const j = keyJson(k, now());
        _out(
          p,
          a,
          j,
          () =>
            Object.entries(j).map(([n, v]) => `${n.padEnd(22)} ${JSON.stringify(v)}`).join("\n"),
        );
        return 0;
      }
      if (sub === "revoke") {
        const k = await svc.revoke(_positional(a, 1, "ID"));
        audit.record({ action: "key.revoked", target: k.id, org: k.orgName });
        _out(
          p,
          a,
          { detail: "API key revoked", key_id: k.id },
          () => `revoked ${k.id}; refused everywhere within ${svc.config.cacheSeconds} s`,
        );
        return 0;
      }
      if (sub === "roll") {
        const grace = intFlag(a, "grace", { min: 0, max: 2_592_000 }) ?? 3600;
        const { key, raw, old } = await svc.roll(_positional(a, 1, "ID"), grace);
        audit.record({
          action: "key.rolled",
          target: old.id,
          org: old.orgName,
          details: { successor: key.id, grace_seconds: grace },
        });
        _out(
          p,
          a,
          { ...keyJson(key, now()), key: raw, replaces: old.id },
          () =>
            `rolled ${old.id} → ${key.id}; the old key works for ${grace} s more\n\n  ${raw}\n\n` +
            "This is the only time the key is shown: store it now.",
        );
        return 0;
      }
      throw new UsageError('Expected "create", "list", "show", "revoke" or "roll"');
    }),
};

/** `keypebble stats`. */
export const STATS_COMMAND: ApiKeyCommand = {
  summary: "Usage statistics of API keys (requests per key, errors, last hour)",
  usage: `keypebble stats --config FILE [--json]`,
  flags: { config: "string", json: "boolean" },
  run: (p, a) =>
    _withService(p, a, async (svc) => {
      const s = await svc.stats();
      _out(p, a, s, () =>
        [
          `organisations ${s.total_organizations}   keys ${s.total_keys} (${s.active_keys} active)`,
          `requests ${s.total_requests} total, ${s.recent_requests_1h} in the last hour, error rate ${s.error_rate} %`,
          "",
          table(
            ["LABEL", "PREFIX", "REQUESTS", "ERRORS", "ID"],
            s.top_keys.map((
              k,
            ) => [k.label, k.prefix + "…", String(k.requests), String(k.errors), k.id]),
          ),
        ].join("\n"));
      return 0;
    }),
};

function _blockKind(a: ParsedArgs): BlockKind {
  const hasAddr = stringFlag(a, "address") !== undefined;
  const hasPrin = stringFlag(a, "principal") !== undefined;
  if (hasAddr === hasPrin) throw new UsageError("Give exactly one of --address or --principal");
  return hasAddr ? "address" : "principal";
}

/** `keypebble block`. */
export const BLOCK_COMMAND: ApiKeyCommand = {
  summary: "Block an address or a principal (key id, organisation) for a time",
  usage:
    `keypebble block --config FILE (--address IP | --principal NAME) [--seconds N] [--reason TEXT] [--json]`,
  flags: {
    config: "string",
    json: "boolean",
    address: "string",
    principal: "string",
    seconds: "string",
    reason: "string",
  },
  run: (p, a) =>
    _withService(p, a, async (svc, audit) => {
      const kind = _blockKind(a);
      const b = await svc.block(
        kind,
        stringFlag(a, kind)!,
        intFlag(a, "seconds", { min: 1, max: 31_536_000 }) ?? 3600,
        stringFlag(a, "reason") ?? "",
      );
      audit.record({
        action: "block.created",
        target: `${b.kind}:${b.value}`,
        details: { until: new Date(b.until * 1000).toISOString(), reason: b.reason },
      });
      _out(p, a, blockJson(b), () =>
        `blocked ${b.kind} ${b.value} until ${new Date(b.until * 1000).toISOString()}`);
      return 0;
    }),
};

/** `keypebble unblock`. */
export const UNBLOCK_COMMAND: ApiKeyCommand = {
  summary: "Lift a block",
  usage: `keypebble unblock --config FILE (--address IP | --principal NAME) [--json]`,
  flags: { config: "string", json: "boolean", address: "string", principal: "string" },
  run: (p, a) =>
    _withService(p, a, async (svc, audit) => {
      const kind = _blockKind(a);
      const ok = await svc.unblock(kind, stringFlag(a, kind)!);
      if (ok) audit.record({ action: "block.removed", target: `${kind}:${stringFlag(a, kind)}` });
      _out(p, a, { lifted: ok, kind, value: stringFlag(a, kind) }, () =>
        ok ? "block lifted" : "no such block");
      return ok ? 0 : 1;
    }),
};

/** `keypebble blocks`. */
export const BLOCKS_COMMAND: ApiKeyCommand = {
  summary: "List the blocks in force",
  usage: `keypebble blocks --config FILE [--json]`,
  flags: { config: "string", json: "boolean" },
  run: (p, a) =>
    _withService(p, a, async (svc) => {
      const blocks = await svc.listBlocks();
      _out(p, a, { blocks: blocks.map(blockJson), total: blocks.length }, () =>
        table(
          ["KIND", "VALUE", "UNTIL", "REASON"],
          blocks.map((b) => [b.kind, b.value, new Date(b.until * 1000).toISOString(), b.reason]),
        ));
      return 0;
    }),
};

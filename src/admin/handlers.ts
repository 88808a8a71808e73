/**
 * The admin API under `/admin/`, wire-compatible with keyguard's (paths, `X-Admin-Key`, field
 * names, statuses, defaults and bounds), plus what keyguard lacks: suspend/resume, roll, one key,
 * blocks. JSON in and out; errors are `{"error", "message", "detail"}` with keyguard's statuses
 * (the `keyguard` wire style of the route declarations). Times are RFC 3339 strings.
 *
 * The caller (an admin key, or an account's token) and its capability are settled by the route
 * declaration (src/admin/routes.ts); handlers act within the caller's reach (its own
 * organisation, or every one for a root principal) and grant nothing the caller does not hold
 * (src/trust/capabilities.ts `checkGrant`).
 */

import { isRole } from "../accounts/roles.ts";
import { isUsable, USAGE_RANGES, type UsageRange } from "../apikeys/service.ts";
import { KEY_DEFAULTS, type StoreConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { rfc3339OrNull } from "../profiles/context.ts";
import type { ApiKeyWithOrg, Block, BlockKind, OrgSummary, Role } from "../store/mod.ts";
import {
  checkGrant,
  type Ctx,
  noteAudit,
  orgLimitOf,
  requireKeys,
  requireReach,
} from "../trust/mod.ts";

/** An organisation as keyguard lists it. */
export function orgJson(o: OrgSummary): Record<string, unknown> {
  return {
    id: o.id,
    name: o.name,
    status: o.status,
    created_at: rfc3339OrNull(o.createdAt),
    key_count: o.keyCount,
  };
}

/** A key as keyguard lists it, plus our extra fields. Never the key or its hash. */
export function keyJson(k: ApiKeyWithOrg, nowSec: number): Record<string, unknown> {
  return {
    id: k.id,
    label: k.label,
    prefix: k.displayPrefix,
    is_active: isUsable(k, nowSec),
    rate_limit_per_minute: k.rateLimitPerMinute,
    scopes: k.scopes,
    org_name: k.orgName,
    created_at: rfc3339OrNull(k.createdAt),
    last_used_at: rfc3339OrNull(k.lastUsedAt),
    status: k.status,
    expires_at: rfc3339OrNull(k.expiresAt),
    monthly_quota: k.monthlyQuota,
    audiences: k.audiences,
    claims: k.claims,
    replaced_by: k.replacedBy,
    reach: k.reach,
  };
}

/** A block as listed. */
export function blockJson(b: Block): Record<string, unknown> {
  return {
    kind: b.kind,
    value: b.value,
    until: rfc3339OrNull(b.until),
    reason: b.reason,
    created_at: rfc3339OrNull(b.createdAt),
  };
}

/** A key within the caller's reach (404 otherwise, so other organisations' ids stay unknown). */
async function _reachableKey(ctx: Ctx, id: string): Promise<ApiKeyWithOrg> {
  const k = await requireKeys(ctx).key(id);
  const limit = orgLimitOf(ctx.caller);
  if (limit !== undefined && k.orgName !== limit) {
    throw KeypebbleError.answer("not_found", "No such key");
  }
  return k;
}

function _str(
  body: Readonly<Record<string, unknown>>,
  name: string,
  required: boolean,
): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw KeypebbleError.answer("invalid_request", `"${name}" is required`);
    return undefined;
  }
  if (typeof v !== "string") {
    throw KeypebbleError.answer("invalid_request", `"${name}" must be a string`);
  }
  return v;
}

function _int(body: Readonly<Record<string, unknown>>, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  // As keyguard's pydantic reads an int field: a number, or a string of digits ("120").
  const n = typeof v === "string" && /^\d{1,15}$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n)) {
    throw KeypebbleError.answer("invalid_request", `"${name}" must be an integer`);
  }
  return n;
}

function _strings(body: Readonly<Record<string, unknown>>, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string") || v.length > 64) {
    throw KeypebbleError.answer(
      "invalid_request",
      `"${name}" must be a list of at most 64 strings`,
    );
  }
  return v as string[];
}

/**
 * `POST /admin/orgs` `{"name"}` (root principals): 200 with the organisation, as keyguard answers
 * (400 when the name is taken; any printable name, src/apikeys/names.ts).
 */
export async function postOrg(ctx: Ctx): Promise<Response> {
  const org = await requireKeys(ctx).createOrg(_str(ctx.json, "name", true)!);
  return json(orgJson({ ...org, keyCount: 0 }));
}

/** `GET /admin/orgs` (root principals). */
export async function getOrgs(ctx: Ctx): Promise<Response> {
  const orgs = await requireKeys(ctx).listOrgs();
  return json({ organizations: orgs.map(orgJson), total: orgs.length });
}

/** `POST /admin/orgs/{name}/suspend` and `/resume` (root principals). */
export function orgStatusRoute(status: "active" | "suspended") {
  return async (ctx: Ctx): Promise<Response> => {
    const svc = requireKeys(ctx);
    const org = await svc.setOrgStatus(ctx.params.name, status);
    const summary = (await svc.listOrgs()).find((o) => o.id === org.id);
    return json(orgJson(summary ?? { ...org, keyCount: 0 }));
  };
}

/** keyguard's bounds of `rate_limit_per_minute` (its `Field(ge=1, le=10000)`). */
export const RATE_LIMIT_BOUNDS = { min: 1, max: 10_000 } as const;

/**
 * `POST /admin/keys` `{"org_name", "label", "prefix", "rate_limit_per_minute", "scopes"}` (plus
 * `claims`, `audiences`, `monthly_quota`, `expires_in_seconds`, `reach`): 200 with the key, its
 * raw form in `raw_key` this once. As keyguard: a missing limit is `store.default_rate_limit_per_
 * minute` (60) and missing scopes `store.default_scopes` (`["read"]`); the limit is 1 to 10000
 * (`null` asks for none, which keyguard refuses); the prefix is taken as given (any of the safe
 * shape). Refused (403) when it would grant what the caller does not hold.
 */
export async function postKey(ctx: Ctx): Promise<Response> {
  const svc = requireKeys(ctx);
  const body = ctx.json;
  const orgName = _str(body, "org_name", true)!;
  const limit = orgLimitOf(ctx.caller);
  if (limit !== undefined && orgName !== limit) {
    throw KeypebbleError.answer(
      "forbidden",
      "An org admin manages its own organisation's keys only",
    );
  }
  const prefix = _str(body, "prefix", false);
  const claims = body.claims;
  if (
    claims !== undefined && (claims === null || typeof claims !== "object" || Array.isArray(claims))
  ) {
    throw KeypebbleError.answer("invalid_request", '"claims" must be an object');
  }
  const rate = _rateLimit(svc.config, body);
  const quota = _int(body, "monthly_quota");
  const expiresIn = _int(body, "expires_in_seconds");
  const scopes = _strings(body, "scopes") ?? [...(svc.config.defaultScopes ?? KEY_DEFAULTS.scopes)];
  const audiences = _strings(body, "audiences");
  const reach = _str(body, "reach", false);
  if (reach !== undefined && reach !== "org" && reach !== "all") {
    throw KeypebbleError.answer("invalid_request", '"reach" must be "org" or "all"');
  }
  const { service_role: serviceRole, ...otherClaims } = (claims ?? {}) as Record<string, unknown>;
  if (serviceRole !== undefined && !isRole(serviceRole)) {
    throw KeypebbleError.answer("invalid_request", '"claims.service_role" is not a known role');
  }
  _checkAudiences(ctx, audiences ?? []);
  checkGrant(ctx.caller, {
    org: orgName,
    scopes,
    claims: otherClaims,
    ...(audiences === undefined ? {} : { audiences }),
    ...(serviceRole === undefined ? {} : { serviceRole: serviceRole as Role }),
    ...(reach === undefined ? {} : { reach }),
    ..._allowedAudiences(ctx),
  });
  const { key, raw } = await svc.createKey({
    orgName,
    label: _str(body, "label", true)!,
    ...(prefix === undefined ? {} : { prefix }),
    rateLimitPerMinute: rate,
    ...(quota === undefined ? {} : { monthlyQuota: quota }),
    ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
    scopes,
    ...(audiences === undefined ? {} : { audiences }),
    ...(claims === undefined ? {} : { claims: claims as Record<string, unknown> }),
    ...(reach === undefined ? {} : { reach }),
  });
  noteAudit(ctx, {
    target: key.id,
    org: key.orgName,
    details: { label: key.label, scopes: key.scopes, reach: key.reach },
  });
  return json(_created(key, raw));
}

/** The key's per-minute limit: as given (1 to 10000), none for `null`, else the default. */
function _rateLimit(
  config: StoreConfig,
  body: Readonly<Record<string, unknown>>,
): number | null {
  if (!("rate_limit_per_minute" in body)) {
    return config.defaultRateLimitPerMinute === undefined
      ? KEY_DEFAULTS.rateLimitPerMinute
      : config.defaultRateLimitPerMinute;
  }
  if (body.rate_limit_per_minute === null) return null;
  const rate = _int(body, "rate_limit_per_minute")!;
  if (rate < RATE_LIMIT_BOUNDS.min || rate > RATE_LIMIT_BOUNDS.max) {
    throw KeypebbleError.answer(
      "invalid_request",
      `"rate_limit_per_minute" must be ${RATE_LIMIT_BOUNDS.min} to ${RATE_LIMIT_BOUNDS.max}`,
    );
  }
  return rate;
}

/**
 * A key's audiences are the grantor's choice, but never one a relying party of another kind
 * trusts (an account's, a client's, an exchange's, a registry service, the refresh audience).
 */
function _checkAudiences(ctx: Ctx, audiences: readonly string[]): void {
  const reserved = ctx.rt.profiles.command.forbiddenAudiences;
  const taken = audiences.find((a) => reserved.has(a));
  if (taken !== undefined) {
    throw KeypebbleError.answer(
      "forbidden",
      `Audience ${JSON.stringify(taken.slice(0, 128))} belongs to another kind of token`,
    );
  }
}

/** The operator's allow-list of keys' audiences (`profiles.api.audiences`), when set. */
function _allowedAudiences(ctx: Ctx): { allowedAudiences?: readonly string[] } {
  const list = ctx.rt.profiles.api.audiences;
  return list === undefined ? {} : { allowedAudiences: list };
}

function _created(key: ApiKeyWithOrg, raw: string): Record<string, unknown> {
  return {
    id: key.id,
    label: key.label,
    prefix: key.displayPrefix,
    raw_key: raw,
    rate_limit_per_minute: key.rateLimitPerMinute,
    scopes: key.scopes,
    org_name: key.orgName,
    created_at: rfc3339OrNull(key.createdAt),
    expires_at: rfc3339OrNull(key.expiresAt),
    monthly_quota: key.monthlyQuota,
    reach: key.reach,
  };
}

/** `GET /admin/keys` (optionally `?org_name=`): the caller's organisation, or any for a root. */
export async function getKeys(ctx: Ctx): Promise<Response> {
  const limit = orgLimitOf(ctx.caller);
  const asked = ctx.query.get("org_name") ?? undefined;
  if (limit !== undefined && asked !== undefined && asked !== limit) {
    throw KeypebbleError.answer(
      "forbidden",
      "An org admin manages its own organisation's keys only",
    );
  }
  const keys = await requireKeys(ctx).listKeys(limit ?? asked);
  return json({ keys: keys.map((k) => keyJson(k, ctx.nowSec)), total: keys.length });
}

/** `GET /admin/keys/{id}`. */
export async function getKey(ctx: Ctx): Promise<Response> {
  return json(keyJson(await _reachableKey(ctx, ctx.params.id), ctx.nowSec));
}

/** `DELETE /admin/keys/{id}`: revoke (its tokens die with it, through the revocation list). */
export async function deleteKey(ctx: Ctx): Promise<Response> {
  const k0 = await _reachableKey(ctx, ctx.params.id);
  noteAudit(ctx, { org: k0.orgName });
  const k = await requireKeys(ctx).revoke(ctx.params.id);
  return json({ detail: "API key revoked", key_id: k.id });
}

/** `POST /admin/keys/{id}/roll` `{"grace_seconds"}`: a new key; the old one ends after grace. */
export async function postRoll(ctx: Ctx): Promise<Response> {
  const old = await _reachableKey(ctx, ctx.params.id);
  // Rolling hands out a new secret for the same grants: the caller must hold the privileged ones
  // (an org admin cannot roll its way into a root key kept in its organisation). Claims and
  // audiences are the organisation's key's own and stay as they are.
  checkGrant(ctx.caller, {
    org: old.orgName,
    scopes: old.scopes,
    ...(isRole(old.claims.service_role) ? { serviceRole: old.claims.service_role } : {}),
    ...(old.scopes.includes("admin") ? { reach: old.reach } : {}),
  });
  const grace = _int(ctx.json, "grace_seconds") ?? 3600;
  if (grace < 0 || grace > 2_592_000) {
    throw KeypebbleError.answer("invalid_request", '"grace_seconds" must be 0 to 2592000');
  }
  const { key, raw } = await requireKeys(ctx).roll(ctx.params.id, grace);
  noteAudit(ctx, { org: old.orgName, details: { successor: key.id, grace_seconds: grace } });
  const after = await requireKeys(ctx).key(old.id);
  return json(
    { ..._created(key, raw), replaces: old.id, old_expires_at: rfc3339OrNull(after.expiresAt) },
    201,
  );
}

/** `GET /admin/stats` (root principals). */
export async function getStats(ctx: Ctx): Promise<Response> {
  return json(await requireKeys(ctx).stats());
}

/**
 * `GET /admin/usage?range=hour|day|month&key_id=|org_name=`: requests over time within the
 * caller's reach. A root principal sees every key unless it names one or an organisation; anyone
 * else sees its own organisation (naming another one, or a key of another one, is a 404).
 */
export async function getUsage(ctx: Ctx): Promise<Response> {
  const range = ctx.query.get("range") ?? "hour";
  if (!Object.hasOwn(USAGE_RANGES, range)) {
    throw KeypebbleError.answer("invalid_request", '"range" must be "hour", "day" or "month"');
  }
  const keyId = ctx.query.get("key_id") ?? undefined;
  let orgName = ctx.query.get("org_name") ?? undefined;
  if (keyId !== undefined && orgName !== undefined) {
    throw KeypebbleError.answer("invalid_request", 'Give "key_id" or "org_name", not both');
  }
  const svc = requireKeys(ctx);
  if (keyId !== undefined) {
    await _reachableKey(ctx, keyId);
  } else {
    orgName ??= orgLimitOf(ctx.caller);
    if (orgName !== undefined) {
      requireReach(ctx.caller, orgName, "No such organisation");
      await svc.org(orgName);
    }
  }
  const filter = keyId !== undefined ? { keyId } : orgName !== undefined ? { orgName } : {};
  const r = await svc.usage(range as UsageRange, filter);
  const at = (s: number) => new Date(s * 1000).toISOString();
  return json({
    range: r.range,
    bucket_seconds: r.bucketSeconds,
    from: at(r.from),
    to: at(r.to),
    key_id: keyId ?? null,
    org_name: orgName ?? null,
    requests: r.requests,
    errors: r.errors,
    error_rate: r.requests === 0 ? 0 : Math.round((r.errors / r.requests) * 10_000) / 10_000,
    buckets: r.buckets.map((b) => ({ start: at(b.start), requests: b.requests, errors: b.errors })),
    top_keys: r.topKeys.map((t) => ({
      id: t.keyId,
      label: t.key?.label ?? "",
      prefix: t.key?.displayPrefix ?? "",
      org_name: t.key?.orgName ?? null,
      requests: t.requests,
      errors: t.errors,
    })),
    quota: r.quota === undefined ? null : {
      monthly_quota: r.quota.monthlyQuota,
      used_this_month: r.quota.used,
      month_start: at(r.quota.monthStart),
    },
  });
}

/** `GET /admin/blocks` (root principals). */
export async function getBlocks(ctx: Ctx): Promise<Response> {
  const blocks = await requireKeys(ctx).listBlocks();
  return json({ blocks: blocks.map(blockJson), total: blocks.length });
}

function _kind(v: string | undefined): BlockKind {
  if (v !== "address" && v !== "principal") {
    throw KeypebbleError.answer("invalid_request", '"kind" must be "address" or "principal"');
  }
  return v;
}

/** `POST /admin/blocks` `{"kind": "address"|"principal", "value", "seconds", "reason"}`. */
export async function postBlock(ctx: Ctx): Promise<Response> {
  const body = ctx.json;
  const b = await requireKeys(ctx).block(
    _kind(_str(body, "kind", true)),
    _str(body, "value", true)!,
    _int(body, "seconds") ?? 3600,
    _str(body, "reason", false) ?? "",
  );
  noteAudit(ctx, {
    target: `${b.kind}:${b.value}`,
    details: { until: rfc3339OrNull(b.until), reason: b.reason },
  });
  return json(blockJson(b), 201);
}

/** `DELETE /admin/blocks/{kind}/{value}`. */
export async function deleteBlock(ctx: Ctx): Promise<Response> {
  const kind = _kind(ctx.params.kind);
  if (!(await requireKeys(ctx).unblock(kind, ctx.params.value))) {
    throw KeypebbleError.answer("not_found", "No such block");
  }
  noteAudit(ctx, { target: `${kind}:${ctx.params.value}` });
  return json({ detail: "Block lifted", kind, value: ctx.params.value });
}

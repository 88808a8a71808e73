/**
 * The admin API under `/admin/`, wire-compatible with keyguard's (paths, `X-Admin-Key`, field
 * names), plus what keyguard lacks: suspend/resume, roll, one key, blocks. JSON in and out; errors
 * in the usual `{"error", "message"}` form. Times are RFC 3339 strings.
 */

import type { ApiKeyService } from "../apikeys/service.ts";
import { isUsable } from "../apikeys/service.ts";
import { KeypebbleError } from "../errors.ts";
import { readJsonObject } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";
import { rfc3339OrNull } from "../profiles/context.ts";
import { json } from "../http/responses.ts";
import type { ApiKeyWithOrg, Block, BlockKind, OrgSummary } from "../store/mod.ts";
import { requireAdmin } from "./auth.ts";
import type { Permission } from "../accounts/roles.ts";

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

async function _admin(
  ctx: RequestContext,
  permission: Permission = "orgs.manage",
): Promise<ApiKeyService> {
  await requireAdmin(ctx, permission);
  return ctx.services.apiKeys!;
}

/** For key routes: the service and the organisation the caller is limited to. */
async function _keyAdmin(
  ctx: RequestContext,
): Promise<{ svc: ApiKeyService; orgLimit?: string }> {
  const p = await requireAdmin(ctx, "keys.manage");
  return {
    svc: ctx.services.apiKeys!,
    ...(p.orgLimit === undefined ? {} : { orgLimit: p.orgLimit }),
  };
}

/** A key within the caller's reach (404 otherwise, so other organisations' ids stay unknown). */
async function _reachableKey(
  svc: ApiKeyService,
  id: string,
  orgLimit: string | undefined,
): Promise<ApiKeyWithOrg> {
  const k = await svc.key(id);
  if (orgLimit !== undefined && k.orgName !== orgLimit) {
    throw new KeypebbleError("not_found", "No such key");
  }
  return k;
}

async function _body(ctx: RequestContext): Promise<Record<string, unknown>> {
  return await readJsonObject(ctx.req, ctx.rt.config.limits);
}

function _str(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) {
    if (required) throw new KeypebbleError("invalid_request", `"${name}" is required`);
    return undefined;
  }
  if (typeof v !== "string") {
    throw new KeypebbleError("invalid_request", `"${name}" must be a string`);
  }
  return v;
}

function _int(body: Record<string, unknown>, name: string): number | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    throw new KeypebbleError("invalid_request", `"${name}" must be an integer`);
  }
  return v;
}

function _strings(body: Record<string, unknown>, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string") || v.length > 64) {
    throw new KeypebbleError("invalid_request", `"${name}" must be a list of at most 64 strings`);
  }
  return v as string[];
}

/** `POST /admin/orgs` `{"name"}`. */
export async function postOrg(ctx: RequestContext): Promise<Response> {
  const svc = await _admin(ctx);
  const body = await _body(ctx);
  const org = await svc.createOrg(_str(body, "name", true)!);
  return json(orgJson({ ...org, keyCount: 0 }), 201);
}

/** `GET /admin/orgs`. */
export async function getOrgs(ctx: RequestContext): Promise<Response> {
  const svc = await _admin(ctx);
  const orgs = await svc.listOrgs();
  return json({ organizations: orgs.map(orgJson), total: orgs.length });
}

/** `POST /admin/orgs/{name}/suspend` and `/resume`. */
export function orgStatusRoute(status: "active" | "suspended") {
  return async (ctx: RequestContext): Promise<Response> => {
    const svc = await _admin(ctx);
    const org = await svc.setOrgStatus(ctx.params.name, status);
    const summary = (await svc.listOrgs()).find((o) => o.id === org.id);
    return json(orgJson(summary ?? { ...org, keyCount: 0 }));
  };
}

/**
 * `POST /admin/keys` `{"org_name", "label", "prefix", "rate_limit_per_minute", "scopes"}` (plus
 * `claims`, `audiences`, `monthly_quota`, `expires_in_seconds`). The raw key is in `raw_key`,
 * this once.
 */
export async function postKey(ctx: RequestContext): Promise<Response> {
  const { svc, orgLimit } = await _keyAdmin(ctx);
  const body = await _body(ctx);
  if (orgLimit !== undefined && _str(body, "org_name", true) !== orgLimit) {
    throw new KeypebbleError("forbidden", "An org admin manages its own organisation's keys only");
  }
  let prefix = _str(body, "prefix", false);
  if (prefix !== undefined && prefix !== "" && !prefix.endsWith("_")) prefix += "_";
  const claims = body.claims;
  if (
    claims !== undefined && (claims === null || typeof claims !== "object" || Array.isArray(claims))
  ) {
    throw new KeypebbleError("invalid_request", '"claims" must be an object');
  }
  const rate = _int(body, "rate_limit_per_minute");
  const quota = _int(body, "monthly_quota");
  const expiresIn = _int(body, "expires_in_seconds");
  const scopes = _strings(body, "scopes");
  const audiences = _strings(body, "audiences");
  const { key, raw } = await svc.createKey({
    orgName: _str(body, "org_name", true)!,
    label: _str(body, "label", true)!,
    ...(prefix === undefined || prefix === "" ? {} : { prefix }),
    ...(rate === undefined ? {} : { rateLimitPerMinute: rate }),
    ...(quota === undefined ? {} : { monthlyQuota: quota }),
    ...(expiresIn === undefined ? {} : { expiresInSeconds: expiresIn }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(audiences === undefined ? {} : { audiences }),
    ...(claims === undefined ? {} : { claims: claims as Record<string, unknown> }),
  });
  return json(_created(key, raw), 201);
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
  };
}

/** `GET /admin/keys` (optionally `?org_name=`). */
export async function getKeys(ctx: RequestContext): Promise<Response> {
  const { svc, orgLimit } = await _keyAdmin(ctx);
  const asked = ctx.url.searchParams.get("org_name") ?? undefined;
  if (orgLimit !== undefined && asked !== undefined && asked !== orgLimit) {
    throw new KeypebbleError("forbidden", "An org admin manages its own organisation's keys only");
  }
  const org = orgLimit ?? asked;
  const keys = await svc.listKeys(org);
  return json({ keys: keys.map((k) => keyJson(k, ctx.nowSec)), total: keys.length });
}

/** `GET /admin/keys/{id}`. */
export async function getKey(ctx: RequestContext): Promise<Response> {
  const { svc, orgLimit } = await _keyAdmin(ctx);
  return json(keyJson(await _reachableKey(svc, ctx.params.id, orgLimit), ctx.nowSec));
}

/** `DELETE /admin/keys/{id}`: revoke. */
export async function deleteKey(ctx: RequestContext): Promise<Response> {
  const { svc, orgLimit } = await _keyAdmin(ctx);
  await _reachableKey(svc, ctx.params.id, orgLimit);
  const k = await svc.revoke(ctx.params.id);
  return json({ detail: "API key revoked", key_id: k.id });
}

/** `POST /admin/keys/{id}/roll` `{"grace_seconds"}`: a new key; the old one ends after grace. */
export async function postRoll(ctx: RequestContext): Promise<Response> {
  const { svc, orgLimit } = await _keyAdmin(ctx);
  await _reachableKey(svc, ctx.params.id, orgLimit);
  const body = await _body(ctx);
  const grace = _int(body, "grace_seconds") ?? 3600;
  if (grace < 0 || grace > 2_592_000) {
    throw new KeypebbleError("invalid_request", '"grace_seconds" must be 0 to 2592000');
  }
  const { key, raw, old } = await svc.roll(ctx.params.id, grace);
  return json(
    { ..._created(key, raw), replaces: old.id, old_expires_at: rfc3339OrNull(old.expiresAt) },
    201,
  );
}

/** `GET /admin/stats`. */
export async function getStats(ctx: RequestContext): Promise<Response> {
  const svc = await _admin(ctx, "stats.read");
  return json(await svc.stats());
}

/** `GET /admin/blocks`. */
export async function getBlocks(ctx: RequestContext): Promise<Response> {
  const svc = await _admin(ctx, "blocks.manage");
  const blocks = await svc.listBlocks();
  return json({ blocks: blocks.map(blockJson), total: blocks.length });
}

function _kind(v: string | undefined): BlockKind {
  if (v !== "address" && v !== "principal") {
    throw new KeypebbleError("invalid_request", '"kind" must be "address" or "principal"');
  }
  return v;
}

/** `POST /admin/blocks` `{"kind": "address"|"principal", "value", "seconds", "reason"}`. */
export async function postBlock(ctx: RequestContext): Promise<Response> {
  const svc = await _admin(ctx, "blocks.manage");
  const body = await _body(ctx);
  const b = await svc.block(
    _kind(_str(body, "kind", true)),
    _str(body, "value", true)!,
    _int(body, "seconds") ?? 3600,
    _str(body, "reason", false) ?? "",
  );
  return json(blockJson(b), 201);
}

/** `DELETE /admin/blocks/{kind}/{value}`. */
export async function deleteBlock(ctx: RequestContext): Promise<Response> {
  const svc = await _admin(ctx, "blocks.manage");
  const kind = _kind(ctx.params.kind);
  if (!(await svc.unblock(kind, ctx.params.value))) {
    throw new KeypebbleError("not_found", "No such block");
  }
  return json({ detail: "Block lifted", kind, value: ctx.params.value });
}

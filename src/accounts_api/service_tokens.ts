/**
 * pico-auth's service tokens (`/api/v1/auth/service-tokens`) are API keys of issue 12 seen
 * through pico-auth's paths: creating one makes an API key in the organisation `org_id` (created
 * on first use, by a superadmin) labelled `name`, with the role kept in its claims
 * (`{"service_role": …}`: `role` belongs to account tokens) and scope `service`. Validating checks a key exactly as every other API-key
 * route does (cache, revocation, expiry, suspension); revoking by name revokes every active key
 * of that label in the caller's reach.
 */

import { isRole } from "../accounts/roles.ts";
import { isUsable } from "../apikeys/service.ts";
import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { rfc3339 } from "../profiles/context.ts";
import type { ApiKeyWithOrg } from "../store/mod.ts";
import { checkGrant, type Ctx, noteAudit, orgLimitOf, requireKeys } from "../trust/mod.ts";
import { objectBody, requiredString } from "./json_body.ts";
import { callingAccount } from "./pico_routes.ts";

/** The scope every service token holds. */
export const SERVICE_SCOPE = "service";

function _isServiceToken(k: ApiKeyWithOrg): boolean {
  return k.scopes.includes(SERVICE_SCOPE) && typeof k.claims.service_role === "string";
}

function _json(k: ApiKeyWithOrg, now: number): Record<string, unknown> {
  return {
    id: k.id,
    name: k.label,
    role: k.claims.service_role,
    org_id: k.orgName,
    prefix: k.displayPrefix,
    active: isUsable(k, now),
    created_at: rfc3339(k.createdAt),
    last_used_at: k.lastUsedAt === null ? null : rfc3339(k.lastUsedAt),
  };
}

/** The keys of an organisation (none when it does not exist yet), or of all. */
async function _keysOf(ctx: Ctx, org: string | undefined): Promise<ApiKeyWithOrg[]> {
  try {
    return await requireKeys(ctx).listKeys(org);
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "not_found" && org !== undefined) return [];
    throw e;
  }
}

/**
 * `POST /api/v1/auth/service-tokens` `{"name", "role", "org_id"}`: the token, this once. The role
 * is one the caller holds or below (nobody grants what they do not hold), the organisation within
 * its reach.
 */
export async function postServiceToken(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const keys = requireKeys(ctx);
  const body = objectBody(ctx);
  const name = requiredString(body, "name");
  const role = body.role ?? "viewer";
  if (!isRole(role)) {
    throw KeypebbleError.answer("invalid_request", '"role" is not a known role');
  }
  const orgId = typeof body.org_id === "string" && body.org_id !== "" ? body.org_id : admin.orgId;
  if (orgLimitOf(ctx.caller) !== undefined && orgId !== admin.orgId) {
    throw KeypebbleError.answer("forbidden", "An org admin manages its own organisation only");
  }
  checkGrant(ctx.caller, { org: orgId, scopes: [SERVICE_SCOPE], serviceRole: role });
  let orgCreated = false;
  try {
    await keys.org(orgId);
  } catch (e) {
    if (!(e instanceof KeypebbleError && e.code === "not_found")) throw e;
    if (admin.role !== "superadmin") throw e;
    await keys.createOrg(orgId);
    orgCreated = true;
    noteAudit(ctx, { org: orgId, details: { org_created: true } });
  }
  const { key, raw } = await keys.createKey({
    orgName: orgId,
    label: name,
    scopes: [SERVICE_SCOPE],
    claims: { service_role: role },
  });
  noteAudit(ctx, {
    org: key.orgName,
    details: { key_id: key.id, role, ...(orgCreated ? { org_created: true } : {}) },
  });
  return json({ ..._json(key, ctx.nowSec), token: raw }, 201);
}

/** `GET /api/v1/auth/service-tokens` → `{"service_tokens": [...], "total"}`. */
export async function getServiceTokens(ctx: Ctx): Promise<Response> {
  const list = (await _keysOf(ctx, orgLimitOf(ctx.caller))).filter(_isServiceToken);
  return json({ service_tokens: list.map((k) => _json(k, ctx.nowSec)), total: list.length });
}

/** `POST /api/v1/auth/service-tokens/validate` `{"token"}` → `{"valid", "name", "role", "org_id"}`. */
export async function postValidateServiceToken(ctx: Ctx): Promise<Response> {
  const raw = requiredString(objectBody(ctx), "token");
  const check = await requireKeys(ctx).check(raw);
  const scope = orgLimitOf(ctx.caller);
  if (
    !check.ok || !_isServiceToken(check.key) || (scope !== undefined && check.key.orgName !== scope)
  ) {
    return json({ valid: false });
  }
  return json({
    valid: true,
    name: check.key.label,
    role: check.key.claims.service_role,
    org_id: check.key.orgName,
  });
}

/** `DELETE /api/v1/auth/service-tokens/{name}`: revoke every active token with that name. */
export async function deleteServiceToken(ctx: Ctx): Promise<Response> {
  callingAccount(ctx);
  const keys = requireKeys(ctx);
  const matching = (await _keysOf(ctx, orgLimitOf(ctx.caller))).filter((k) =>
    _isServiceToken(k) && k.label === ctx.params.name && k.status === "active"
  );
  if (matching.length === 0) throw KeypebbleError.answer("not_found", "No such service token");
  for (const k of matching) await keys.revoke(k.id);
  const orgs = [...new Set(matching.map((k) => k.orgName))];
  noteAudit(ctx, {
    ...(orgs.length === 1 ? { org: orgs[0] } : {}),
    details: { revoked: matching.map((k) => k.id) },
  });
  return json({
    message: "Service token revoked",
    name: ctx.params.name,
    revoked: matching.length,
  });
}

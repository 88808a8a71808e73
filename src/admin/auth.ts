/**
 * Admin API authentication: an API key holding the `admin` scope (created with the CLI:
 * `keypebble key create --org ops --label admin --scope admin`), presented in keyguard's
 * `X-Admin-Key` header, or in `X-API-Key` / `Authorization: Bearer`. Never the pepper.
 *
 * With accounts (issue 13), an account's access token (`Authorization: Bearer <JWT>`) also
 * authenticates, and the role's permission decides (see `src/accounts/roles.ts`): a superadmin
 * may do everything, an org admin manage its own organisation's keys only.
 */

import { requirePermission } from "../accounts/pico_routes.ts";
import type { Permission } from "../accounts/roles.ts";
import { orgScope } from "../accounts/roles.ts";
import { presentedKey } from "../apikeys/format.ts";
import { authenticateKey, type KeyAuth, keyService } from "../apikeys/http.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";

/** The scope an admin credential must hold. */
export const ADMIN_SCOPE = "admin";

/** Who is administering, and the organisation they are limited to (none: every one). */
export interface AdminPrincipal {
  readonly orgLimit?: string;
  readonly key?: KeyAuth;
}

const JWT = /^Bearer +[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\s*$/i;

/** Authenticate an administrator or throw 401/403. */
export async function requireAdmin(
  ctx: RequestContext,
  permission: Permission = "orgs.manage",
): Promise<AdminPrincipal> {
  const svc = keyService(ctx);
  const auth = ctx.req.headers.get("authorization");
  if (
    ctx.services.accounts !== undefined && !ctx.req.headers.has("x-admin-key") &&
    auth !== null && JWT.test(auth)
  ) {
    const user = await requirePermission(ctx, permission);
    const limit = orgScope(user);
    return limit === undefined ? {} : { orgLimit: limit };
  }
  const raw = ctx.req.headers.get("x-admin-key") ??
    presentedKey(ctx.req.headers, svc.config.acceptedPrefixes, { anyBearer: true });
  try {
    return { key: await authenticateKey(ctx, raw, { scope: ADMIN_SCOPE }) };
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "insufficient_scope") {
      throw new KeypebbleError("forbidden", 'The admin API needs a key with the "admin" scope');
    }
    throw e;
  }
}

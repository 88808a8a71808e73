/**
 * Admin API authentication: an API key holding the `admin` scope (created with the CLI:
 * `keypebble key create --org ops --label admin --scope admin`), presented in keyguard's
 * `X-Admin-Key` header, or in `X-API-Key` / `Authorization: Bearer`. Never the pepper.
 */

import { presentedKey } from "../apikeys/format.ts";
import { authenticateKey, type KeyAuth, keyService } from "../apikeys/http.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";

/** The scope an admin credential must hold. */
export const ADMIN_SCOPE = "admin";

/** Authenticate an administrator or throw 401/403. */
export async function requireAdmin(ctx: RequestContext): Promise<KeyAuth> {
  const svc = keyService(ctx);
  const raw = ctx.req.headers.get("x-admin-key") ??
    presentedKey(ctx.req.headers, svc.config.acceptedPrefixes, { anyBearer: true });
  try {
    return await authenticateKey(ctx, raw, { scope: ADMIN_SCOPE });
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "insufficient_scope") {
      throw new KeypebbleError("forbidden", 'The admin API needs a key with the "admin" scope');
    }
    throw e;
  }
}

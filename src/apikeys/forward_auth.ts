/**
 * `GET /forward-auth`: the sub-request gateways send before letting a request through (nginx
 * `auth_request`, Traefik ForwardAuth, Caddy `forward_auth`, Envoy HTTP ext_authz). The key comes
 * in `X-API-Key` or `Authorization: Bearer`; a required scope in `X-Required-Scope` or `?scope=`.
 *
 * 200 with `X-Auth-Subject` (the key id), `X-Auth-Org`, `X-Auth-Scopes` (space-separated),
 * `X-Auth-Key-Id` and the rate-limit headers, for the gateway to copy upstream; 401 for a missing,
 * malformed, unknown, revoked or expired key; 403 for a missing scope, a suspended organisation
 * or a block; 429 with `Retry-After` when limited or over quota; 503 when the store cannot answer
 * for a key it has not cached.
 */

import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { presentedKey } from "./format.ts";
import { admissionHeaders, authenticateKey, keyService } from "./http.ts";

/** Handle `GET /forward-auth`. */
export async function getForwardAuth(ctx: RequestContext): Promise<Response> {
  const svc = keyService(ctx);
  const raw = presentedKey(ctx.req.headers, svc.config.acceptedPrefixes, { anyBearer: true });
  const scope = ctx.req.headers.get("x-required-scope") ?? ctx.url.searchParams.get("scope") ??
    undefined;
  if (
    // deno-lint-ignore no-control-regex
    scope !== undefined && (scope === "" || scope.length > 128 || /[\x00-\x20\x7f]/.test(scope))
  ) {
    throw KeypebbleError.answer("invalid_scope", "The required scope is not a valid scope");
  }
  const { key, admission } = await authenticateKey(ctx, raw, scope === undefined ? {} : { scope });
  return new Response(null, {
    status: 200,
    headers: {
      "cache-control": "no-store",
      "x-auth-subject": key.id,
      "x-auth-key-id": key.id,
      "x-auth-org": key.orgName,
      "x-auth-scopes": key.scopes.join(" "),
      ...admissionHeaders(admission),
    },
  });
}

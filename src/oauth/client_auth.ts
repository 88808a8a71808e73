/**
 * OAuth2 client authentication (RFC 6749 §2.3): `client_id` and `client_secret` by HTTP Basic
 * (§2.3.1, each form-urlencoded first) or as form fields, never both. A client is either one
 * declared in the config (`oauth.clients`, secret checked against its PBKDF2 hash, successes
 * remembered briefly by the credential cache) or an API key (`client_id` the key's id, the
 * secret the key itself). Failures count towards the address lockout.
 */

import { authenticateKey, clientAddress } from "../apikeys/http.ts";
import type { OAuthClientConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { lockoutState, recordLockoutFailure } from "../http/authenticate.ts";
import { parseBasicAuth, verifyPassword } from "../identity/mod.ts";
import type { ApiKeyWithOrg } from "../store/mod.ts";

/** Credentials as presented. */
export interface PresentedClient {
  readonly clientId: string;
  readonly secret: string;
  readonly basic: boolean;
}

/** An authenticated client. */
export type OAuthClient =
  | { readonly kind: "config"; readonly id: string; readonly client: OAuthClientConfig }
  | { readonly kind: "api_key"; readonly id: string; readonly key: ApiKeyWithOrg };

/** The client credentials of a request, or `null` when none were sent. */
export function presentedClient(req: Request, form: URLSearchParams): PresentedClient | null {
  const header = req.headers.get("authorization");
  const formSecret = form.get("client_secret");
  if (header !== null && /^basic /i.test(header)) {
    if (formSecret !== null) {
      // RFC 6749 §2.3: one authentication method per request.
      throw KeypebbleError.answer(
        "invalid_request",
        "Use either HTTP Basic or client_secret, not both",
      );
    }
    let creds;
    try {
      creds = parseBasicAuth(header);
    } catch {
      creds = null;
    }
    if (creds === null) {
      throw KeypebbleError.answer("invalid_client", "Malformed Basic credentials");
    }
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return s;
      }
    };
    return { clientId: dec(creds.user), secret: dec(creds.password), basic: true };
  }
  const formId = form.get("client_id");
  if (formSecret === null || formSecret === "") return null;
  if (formId === null || formId === "") {
    throw KeypebbleError.answer("invalid_client", "client_secret needs a client_id");
  }
  return { clientId: formId, secret: formSecret, basic: false };
}

/**
 * Authenticate the client of a token, introspection or revocation request. `required`: refuse
 * a request without credentials (`invalid_client`); otherwise resolve to `null` for it.
 */
export async function authenticateClient(
  ctx: RequestContext,
  form: URLSearchParams,
  options: { required: boolean },
): Promise<OAuthClient | null> {
  const presented = presentedClient(ctx.req, form);
  const challenge = `Basic realm="${ctx.rt.config.realm}"`;
  if (presented === null) {
    if (!options.required) return null;
    throw KeypebbleError.answer(
      "invalid_client",
      "Client authentication is required: client_id and client_secret, or HTTP Basic",
      { headers: { "www-authenticate": challenge } },
    );
  }
  const refuse = (message: string) =>
    KeypebbleError.answer("invalid_client", message, {
      headers: presented.basic ? { "www-authenticate": challenge } : {},
    });
  const declared = ctx.rt.config.oauth?.clients.find((c) => c.id === presented.clientId);
  if (declared !== undefined) {
    // A public client (issue 24) has no secret: it never authenticates with one.
    const secretHash = declared.secretHash;
    if (secretHash === undefined) throw refuse("A public client has no secret; it uses PKCE only");
    const { services } = ctx;
    const lockKey = `addr:${clientAddress(ctx)}`;
    const nowMs = services.now();
    if (ctx.rt.config.lockout.enabled && (await lockoutState(ctx, lockKey)).locked) {
      throw KeypebbleError.answer("locked_out", "Too many failed attempts; try again later");
    }
    const ok = await services.credentials.get(declared.id, presented.secret, secretHash, nowMs) ||
      await verifyPassword(presented.secret, secretHash);
    if (!ok) {
      services.metrics.authFailures.labels("bad_client").inc();
      if (ctx.rt.config.lockout.enabled) await recordLockoutFailure(ctx, lockKey);
      throw refuse("Client authentication failed");
    }
    await services.credentials.remember(declared.id, presented.secret, secretHash, nowMs);
    ctx.subject = declared.id;
    return { kind: "config", id: declared.id, client: declared };
  }
  if (ctx.services.apiKeys === undefined) throw refuse("Client authentication failed");
  let key: ApiKeyWithOrg;
  try {
    ({ key } = await authenticateKey(ctx, presented.secret, { challenge }));
  } catch (e) {
    if (e instanceof KeypebbleError && (e.code === "unauthorized" || e.code === "forbidden")) {
      throw refuse(e.message);
    }
    throw e;
  }
  // The secret must belong to the client named: a key cannot speak for another id.
  if (key.id !== presented.clientId) throw refuse("The client id does not match the key");
  return { kind: "api_key", id: key.id, key };
}

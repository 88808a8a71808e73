/**
 * OAuth2 client authentication (RFC 6749 §2.3): `client_id` and `client_secret` by HTTP Basic
 * (§2.3.1, each form-urlencoded first) or as form fields, never both. A client is either one
 * declared in the config (`oauth.clients`, secret checked against its PBKDF2 hash, successes
 * remembered briefly by the credential cache), a sign-in client kept in the store (issue 24),
 * or an API key (`client_id` the key's id, the
 * secret the key itself). Failures count towards the address lockout. The route declares
 * `client` among its credentials; the dispatcher reads the form first, then calls
 * {@link clientCaller} through the one authentication step.
 */

import { KeypebbleError } from "../errors.ts";
import {
  type ClientCaller,
  type KeyCaller,
  parseBasicAuth,
  verifyPassword,
} from "../identity/mod.ts";
import { addressKey, guarded } from "./guard.ts";
import { keyCaller } from "./keys.ts";
import type { Ctx } from "./services.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Credentials as presented. */
export interface PresentedClient {
  readonly clientId: string;
  readonly secret: string;
  readonly basic: boolean;
}

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
      // Nothing to decode in the usual id and secret (no "%" escape, no "+").
      if (!s.includes("%") && !s.includes("+")) return s;
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
 * Check a client secret against its PBKDF2 hash under the address lockout; successes are
 * remembered briefly by the credential cache. Throws `refuse(...)` or `locked_out`.
 */
async function _checkSecret(
  ctx: Ctx,
  id: string,
  secret: string,
  secretHash: string,
  refuse: (message: string) => KeypebbleError,
): Promise<void> {
  const { services } = ctx;
  const nowMs = services.now();
  const addr = addressKey(ctx);
  let ok: true | null;
  try {
    ok = await guarded(
      ctx,
      addr === undefined ? [] : [addr],
      "bad_client",
      async () =>
        (await services.credentials.get(id, secret, secretHash, nowMs) ||
            await verifyPassword(secret, secretHash))
          ? true
          : null,
      // With Redis, a remembered secret lets the lock check travel with the other steps.
      { cheap: services.credentials.peek(id, secret, secretHash, nowMs) },
    );
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "locked_out") {
      throw KeypebbleError.answer("locked_out", "Too many failed attempts; try again later", {
        headers: { ...e.headers },
      });
    }
    throw e;
  }
  if (ok === null) throw refuse("Client authentication failed");
  await services.credentials.remember(id, secret, secretHash, nowMs);
  ctx.subject = id;
}

/**
 * The client of a request to the OAuth endpoints (RFC 6749 §2.3), or `null` when it sent no
 * credentials. A client declared in `oauth.clients` is checked against its secret hash under the
 * address lockout; any other client id is an API key (`client_id` its id, the secret the key),
 * checked as every key is. Failures are `invalid_client` (401, with the Basic challenge when
 * Basic was used).
 */
export async function clientCaller(ctx: Ctx): Promise<ClientCaller | KeyCaller | null> {
  const presented = presentedClient(ctx.req, ctx.form);
  const challenge = `Basic realm="${ctx.rt.config.realm}"`;
  if (presented === null) return null;
  const refuse = (message: string) =>
    KeypebbleError.answer("invalid_client", message, {
      headers: presented.basic ? { "www-authenticate": challenge } : {},
    });
  const declared = ctx.rt.config.oauth?.clients.find((c) => c.id === presented.clientId);
  if (declared !== undefined) {
    // A public client (issue 24) has no secret: it never authenticates with one.
    const secretHash = declared.secretHash;
    if (secretHash === undefined) throw refuse("A public client has no secret; it uses PKCE only");
    await _checkSecret(ctx, declared.id, presented.secret, secretHash, refuse);
    return { kind: "client", subject: declared.id, method: "client", client: declared };
  }
  // A sign-in client kept in the store (the admin API, issue 24): after the config's, before
  // API keys. Key ids are UUIDs, which stored clients may not take (src/admin/clients.ts), so a
  // key's request costs no store read here.
  const stored = ctx.services.accounts === undefined || UUID.test(presented.clientId)
    ? undefined
    : await ctx.services.accounts.store.oidcClients.byId(presented.clientId);
  if (stored !== undefined) {
    if (stored.secretHash === null) {
      throw refuse("A public client has no secret; it uses PKCE only");
    }
    await _checkSecret(ctx, stored.id, presented.secret, stored.secretHash, refuse);
    return {
      kind: "client",
      subject: stored.id,
      method: "client",
      stored: true,
      client: {
        id: stored.id,
        name: stored.name,
        secretHash: stored.secretHash,
        audiences: stored.audiences,
        scopes: stored.scopes,
        public: false,
        redirectUris: stored.redirectUris,
        postLogoutRedirectUris: stored.postLogoutRedirectUris,
        firstParty: stored.firstParty,
      },
    };
  }
  if (ctx.services.apiKeys === undefined) throw refuse("Client authentication failed");
  let caller: KeyCaller;
  try {
    caller = await keyCaller(ctx, presented.secret, { challenge });
  } catch (e) {
    if (e instanceof KeypebbleError && (e.code === "unauthorized" || e.code === "forbidden")) {
      throw refuse(e.message);
    }
    throw e;
  }
  // The secret must belong to the client named: a key cannot speak for another id.
  if (caller.key.id !== presented.clientId) throw refuse("The client id does not match the key");
  return caller;
}

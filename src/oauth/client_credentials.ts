/**
 * The client credentials grant (RFC 6749 §4.4) with an API key as the client: `client_id` is the
 * key's id, `client_secret` the key itself, sent with HTTP Basic (§2.3.1) or as form fields (not
 * both). The answer is a short-lived JWT of the `api` profile carrying the key's scopes (or the
 * requested subset) and the claims stored with the key.
 */

import { authenticateKey } from "../apikeys/http.ts";
import { mintApiToken } from "../apikeys/api_profile.ts";
import { KeypebbleError } from "../errors.ts";
import type { RequestContext } from "../http/context.ts";
import { parseBasicAuth } from "../identity/mod.ts";
import type { TokenResponse } from "./grants.ts";

/** Handle `grant_type=client_credentials`. */
export async function clientCredentialsGrant(
  ctx: RequestContext,
  form: URLSearchParams,
): Promise<TokenResponse> {
  const { clientId, secret, basic } = _clientCredentials(ctx.req, form);
  const challenge = `Basic realm="${ctx.rt.config.realm}"`;
  let auth;
  try {
    auth = await authenticateKey(ctx, secret, { challenge });
  } catch (e) {
    if (e instanceof KeypebbleError && (e.code === "unauthorized" || e.code === "forbidden")) {
      throw new KeypebbleError("invalid_client", e.message, {
        headers: basic ? { "www-authenticate": challenge } : {},
      });
    }
    throw e;
  }
  const { key } = auth;
  // The secret must belong to the client named: a key cannot speak for another id.
  if (key.id !== clientId) {
    throw new KeypebbleError("invalid_client", "The client id does not match the key", {
      headers: basic ? { "www-authenticate": challenge } : {},
    });
  }
  const requested = form.get("scope");
  let scopes = [...key.scopes];
  if (requested !== null && requested.trim() !== "") {
    const wanted = requested.trim().split(/ +/);
    const missing = wanted.filter((s) => !key.scopes.includes(s));
    if (missing.length > 0) {
      throw new KeypebbleError(
        "invalid_scope",
        `The key does not hold scope ${JSON.stringify(missing[0].slice(0, 128))}`,
      );
    }
    scopes = [...new Set(wanted)];
  }
  const audience = form.get("audience") ?? form.get("resource") ?? undefined;
  if (audience !== undefined && !key.audiences.includes(audience)) {
    throw new KeypebbleError("invalid_request", "The audience is not allowed for this key");
  }
  const minted = await mintApiToken(ctx, {
    key,
    scopes,
    ...(audience === undefined ? {} : { audience }),
  });
  return {
    access_token: minted.token,
    token_type: "Bearer",
    expires_in: minted.expiresIn,
    ...(scopes.length === 0 ? {} : { scope: scopes.join(" ") }),
  };
}

function _clientCredentials(
  req: Request,
  form: URLSearchParams,
): { clientId: string; secret: string; basic: boolean } {
  const header = req.headers.get("authorization");
  const formId = form.get("client_id");
  const formSecret = form.get("client_secret");
  if (header !== null && /^basic /i.test(header)) {
    if (formSecret !== null) {
      // RFC 6749 §2.3: one authentication method per request.
      throw new KeypebbleError(
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
    if (creds === null) throw new KeypebbleError("invalid_client", "Malformed Basic credentials");
    // §2.3.1: the id and secret are form-urlencoded before Basic encoding.
    const dec = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, " "));
      } catch {
        return s;
      }
    };
    return { clientId: dec(creds.user), secret: dec(creds.password), basic: true };
  }
  if (formId === null || formSecret === null || formId === "" || formSecret === "") {
    throw new KeypebbleError(
      "invalid_client",
      "Client authentication is required: client_id and client_secret, or HTTP Basic",
    );
  }
  return { clientId: formId, secret: formSecret, basic: false };
}

/**
 * Sign-in clients kept in the store, through the admin API (issue 24): `/admin/clients`, for root
 * principals only (`clients.manage`: a superadmin, an admin key of reach `all`). Clients declared
 * in the config are listed too, read-only (`"source": "config"`): the operator's file is the last
 * word, and a stored client can never take a declared id.
 *
 * A confidential client's secret is generated here (256 random bits), answered once, and kept as
 * a PBKDF2 hash; a public client (`"public": true`) has none and proves its flows with PKCE.
 * Redirect URIs follow the config's rules (`src/config/redirect_uris.ts`: https, or loopback
 * http for native apps; exact; canonical).
 *
 * @module
 */

import { redirectUriProblem } from "../config/redirect_uris.ts";
import { KeypebbleError } from "../errors.ts";
import { json } from "../http/mod.ts";
import { hashPassword } from "../identity/mod.ts";
import { b64uEncode } from "../jose/mod.ts";
import {
  clientFromConfig,
  clientFromRecord,
  clientViewOfConfig,
  isScopeToken,
  type OidcClient,
  storedClientIdProblem,
  storedClientScopes,
} from "../oidc/mod.ts";
import { rfc3339OrNull } from "../profiles/context.ts";
import type { OidcClientRecord, Store } from "../store/mod.ts";
import { type Ctx, noteAudit, requireAccounts } from "../trust/mod.ts";

const MAX_URIS = 32;

/** A client as the admin API shows it: never its secret or hash. */
export function clientJson(
  c: OidcClient,
  times?: Pick<OidcClientRecord, "createdAt" | "updatedAt">,
): Record<string, unknown> {
  return {
    id: c.id,
    name: c.name,
    public: c.secretHash === null,
    first_party: c.firstParty,
    redirect_uris: c.redirectUris,
    post_logout_redirect_uris: c.postLogoutRedirectUris,
    scopes: c.scopes,
    audiences: c.audiences,
    source: c.source,
    ...(times === undefined ? {} : {
      created_at: rfc3339OrNull(times.createdAt),
      updated_at: rfc3339OrNull(times.updatedAt),
    }),
  };
}

function _store(ctx: Ctx): Store {
  return requireAccounts(ctx).store;
}

function _declared(ctx: Ctx, id: string): OidcClient | null | undefined {
  const c = ctx.rt.config.oauth?.clients.find((x) => x.id === id);
  return c === undefined ? undefined : clientFromConfig(c);
}

/** `GET /admin/clients`: the config's sign-in clients (read-only), then the stored ones. */
export async function getClients(ctx: Ctx): Promise<Response> {
  // Every client of the config (sign-in ones and client-credentials ones alike), then the stored
  // sign-in clients (with accounts).
  const declared = (ctx.rt.config.oauth?.clients ?? []).map((c) =>
    clientJson(clientViewOfConfig(c))
  );
  const stored = ctx.services.accounts === undefined
    ? []
    : (await _store(ctx).oidcClients.list()).map((r) => clientJson(clientFromRecord(r), r));
  return json({ clients: [...declared, ...stored], total: declared.length + stored.length });
}

/** `GET /admin/clients/{id}`. */
export async function getClient(ctx: Ctx): Promise<Response> {
  const id = ctx.params.id;
  const declared = _declared(ctx, id);
  if (declared !== undefined && declared !== null) return json(clientJson(declared));
  const r = await _store(ctx).oidcClients.byId(id);
  if (r === undefined) throw KeypebbleError.answer("not_found", "No such client");
  return json(clientJson(clientFromRecord(r), r));
}

/**
 * `POST /admin/clients` `{"id", "name", "public", "first_party", "redirect_uris",
 * "post_logout_redirect_uris", "scopes", "audiences"}`: 201 with the client, and for a
 * confidential one its `client_secret`, shown this once.
 */
export async function postClient(ctx: Ctx): Promise<Response> {
  const body = ctx.json;
  if (ctx.rt.profiles.id === undefined) {
    throw KeypebbleError.answer(
      "conflict",
      "Sign-in needs an RS256, ES256 or EdDSA key in the keyring to sign ID tokens",
    );
  }
  const id = body.id;
  const idProblem = storedClientIdProblem(id);
  if (typeof id !== "string" || idProblem !== null) {
    throw KeypebbleError.answer("invalid_request", `"id" ${idProblem}`);
  }
  if (ctx.rt.config.oauth?.clients.some((c) => c.id === id)) {
    throw KeypebbleError.answer("conflict", "A client with this id is declared in the config");
  }
  const store = _store(ctx);
  if (
    await store.oidcClients.byId(id) !== undefined ||
    (ctx.services.apiKeys !== undefined && await store.apiKeys.byId(id) !== undefined)
  ) {
    throw KeypebbleError.answer("conflict", "A client or key with this id exists already");
  }
  const isPublic = _bool(body, "public") ?? false;
  const redirectUris = _uris(body, "redirect_uris") ?? [];
  if (redirectUris.length === 0) {
    throw KeypebbleError.answer("invalid_request", '"redirect_uris" must list at least one URI');
  }
  const secret = isPublic ? undefined : b64uEncode(crypto.getRandomValues(new Uint8Array(32)));
  const now = ctx.nowSec;
  const record: OidcClientRecord = {
    id,
    name: _name(body) ?? id,
    secretHash: secret === undefined ? null : await hashPassword(secret),
    redirectUris,
    postLogoutRedirectUris: _uris(body, "post_logout_redirect_uris") ?? [],
    scopes: _scopes(body, "scopes") ?? [],
    audiences: _scopes(body, "audiences") ?? [],
    firstParty: _bool(body, "first_party") ?? false,
    orgId: null,
    createdAt: now,
    updatedAt: now,
  };
  try {
    await store.oidcClients.insert(record);
  } catch (e) {
    if (e instanceof KeypebbleError && e.code === "conflict") {
      throw KeypebbleError.answer("conflict", "A client with this id exists already");
    }
    throw e;
  }
  noteAudit(ctx, { details: { public: isPublic, first_party: record.firstParty } });
  return json({
    ...clientJson(clientFromRecord(record), record),
    ...(secret === undefined ? {} : { client_secret: secret }),
  }, 201);
}

/**
 * `PUT /admin/clients/{id}`: change `name`, `first_party`, `redirect_uris`,
 * `post_logout_redirect_uris`, `scopes`, `audiences` (those given); `"rotate_secret": true`
 * answers a new `client_secret` once (confidential clients). A config client is 409.
 */
export async function putClient(ctx: Ctx): Promise<Response> {
  const id = ctx.params.id;
  const r = await _stored(ctx, id);
  const body = ctx.json;
  const redirectUris = _uris(body, "redirect_uris");
  if (redirectUris !== undefined && redirectUris.length === 0) {
    throw KeypebbleError.answer("invalid_request", '"redirect_uris" must list at least one URI');
  }
  const rotate = _bool(body, "rotate_secret") ?? false;
  if (rotate && r.secretHash === null) {
    throw KeypebbleError.answer("invalid_request", "A public client has no secret to rotate");
  }
  const secret = rotate ? b64uEncode(crypto.getRandomValues(new Uint8Array(32))) : undefined;
  const name = _name(body);
  const postLogout = _uris(body, "post_logout_redirect_uris");
  const scopes = _scopes(body, "scopes");
  const audiences = _scopes(body, "audiences");
  const firstParty = _bool(body, "first_party");
  const patch = {
    ...(name === undefined ? {} : { name }),
    ...(redirectUris === undefined ? {} : { redirectUris }),
    ...(postLogout === undefined ? {} : { postLogoutRedirectUris: postLogout }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(audiences === undefined ? {} : { audiences }),
    ...(firstParty === undefined ? {} : { firstParty }),
    ...(secret === undefined ? {} : { secretHash: await hashPassword(secret) }),
  };
  await _store(ctx).oidcClients.update(id, patch, ctx.nowSec);
  const next = (await _store(ctx).oidcClients.byId(id))!;
  noteAudit(ctx, {
    details: {
      fields: Object.keys(patch).filter((f) => f !== "secretHash"),
      ...(secret === undefined ? {} : { rotated: true }),
    },
  });
  return json({
    ...clientJson(clientFromRecord(next), next),
    ...(secret === undefined ? {} : { client_secret: secret }),
  });
}

/**
 * `DELETE /admin/clients/{id}`: the client cannot start a sign-in or redeem a code any more;
 * refresh tokens bound to it are not refreshed by anyone else. A config client is 409.
 */
export async function deleteClient(ctx: Ctx): Promise<Response> {
  const id = ctx.params.id;
  await _stored(ctx, id);
  await _store(ctx).oidcClients.remove(id);
  return new Response(null, { status: 204 });
}

async function _stored(ctx: Ctx, id: string): Promise<OidcClientRecord> {
  if (ctx.rt.config.oauth?.clients.some((c) => c.id === id)) {
    throw KeypebbleError.answer(
      "conflict",
      "This client is declared in the config file: change it there",
    );
  }
  const r = await _store(ctx).oidcClients.byId(id);
  if (r === undefined) throw KeypebbleError.answer("not_found", "No such client");
  return r;
}

function _bool(body: Readonly<Record<string, unknown>>, name: string): boolean | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") {
    throw KeypebbleError.answer("invalid_request", `"${name}" must be true or false`);
  }
  return v;
}

function _name(body: Readonly<Record<string, unknown>>): string | undefined {
  const v = body.name;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.trim() === "" || v.length > 128 || /\p{Cc}/u.test(v)) {
    throw KeypebbleError.answer(
      "invalid_request",
      '"name" must be a string of 1 to 128 characters',
    );
  }
  return v.trim();
}

function _uris(body: Readonly<Record<string, unknown>>, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length > MAX_URIS) {
    throw KeypebbleError.answer(
      "invalid_request",
      `"${name}" must be a list of at most ${MAX_URIS} URIs`,
    );
  }
  return v.map((u, i) => {
    const problem = typeof u === "string" ? redirectUriProblem(u) : "must be a string";
    if (problem !== null) {
      throw KeypebbleError.answer("invalid_request", `"${name}"[${i}] ${problem}`);
    }
    return u as string;
  });
}

function _scopes(body: Readonly<Record<string, unknown>>, name: string): string[] | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (
    !Array.isArray(v) || v.length > 64 ||
    !v.every((s) => typeof s === "string" && isScopeToken(s))
  ) {
    throw KeypebbleError.answer(
      "invalid_request",
      `"${name}" must be a list of at most 64 scope tokens (RFC 6749 §3.3)`,
    );
  }
  return name === "scopes" ? storedClientScopes(v) : [...new Set(v as string[])];
}

/**
 * What an audit event is: who (the actor), did what (the action), to what (the target), with
 * what outcome, for which organisation, from which client address; for tokens also the kind, the
 * `jti` and what was granted. Never the token, a key or a password: events are built from claims
 * and identifiers only, and the token string never reaches this module.
 *
 * @module
 */

import type { Caller } from "../identity/mod.ts";
import type { Minted } from "../profiles/mint.ts";
import type { AuditRecord } from "../store/mod.ts";

/** Who acts: the caller's kind, as recorded. `cli` is the local user of a CLI command. */
export type ActorKind = "anonymous" | "user" | "api_key" | "account" | "client" | "spiffe" | "cli";

/** The actor of an event. */
export interface AuditActor {
  readonly kind: ActorKind;
  /** The subject: a policy user, a key id, an account id, a client id, a SPIFFE ID, a login. */
  readonly id: string;
  /** The actor's organisation (keys and accounts). */
  readonly org?: string;
}

/** An anonymous caller. */
export const ANONYMOUS: AuditActor = Object.freeze({ kind: "anonymous", id: "anonymous" });

/**
 * Every action the trail records and what it means (the list in docs/operations.md is checked against this
 * table). Route declarations and CLI commands name these; a new one is added here first.
 */
export const AUDIT_ACTIONS: Readonly<Record<string, string>> = {
  "token.issued": "a token was signed (any kind, any route or CLI command)",
  "token.revoked": "a token or a refresh family was revoked at /oauth2/revoke",
  "org.created": "an organisation was created",
  "org.suspended": "an organisation was suspended (its keys stop working)",
  "org.resumed": "an organisation was resumed",
  "key.created": "an API key was created",
  "key.revoked": "an API key was revoked",
  "key.rolled": "an API key was rolled (a successor made; the old one ends after grace)",
  "client.created": "a sign-in (OpenID Connect) client was stored",
  "client.updated": "a stored sign-in client was changed (or its secret rotated)",
  "client.deleted": "a stored sign-in client was removed",
  "block.created": "an address or a principal was blocked",
  "block.removed": "a block was lifted",
  "account.created": "an account was created (by an admin, or by open registration)",
  "account.suspended": "an account was suspended",
  "account.resumed": "an account was resumed",
  "account.role_changed": "an account's role was changed",
  "account.password_reset": "an account's password was reset (by an admin or the CLI)",
  "account.password_changed": "an account changed its own password",
  "account.totp_started": "an account began enrolling a second factor (TOTP; pending)",
  "account.totp_confirmed": "an account confirmed its second factor: it is in use",
  "account.totp_required": "an admin required (or stopped requiring) an account's second factor",
  "account.totp_reset": "an admin removed an account's second factor (a lost phone)",
  "registration.switched": "open registration was turned on or off",
  "group.created": "a group was created",
  "group.updated": "a group was renamed or described",
  "group.deleted": "a group was deleted",
  "group.member_added": "an account was added to a group",
  "group.member_removed": "an account was removed from a group",
  "service_token.created": "a service token (an API key seen through pico-auth's API) was made",
  "service_token.revoked": "the service tokens of a name were revoked",
  "store.initialized": "keypebble store init",
  "store.migrated": "keypebble store migrate applied migrations",
  "store.backed_up": "keypebble store backup wrote a copy of the store",
  "store.exported": "keypebble store export wrote the store's rows",
  "store.imported": "keypebble store import loaded an export",
  "store.restored": "keypebble store restore replaced the store's data",
  "import.applied": "keypebble import brought keyguard's or pico-auth's data in",
};

/** What a caller of {@link AuditTrail.record} gives; the trail adds the id and the time. */
export interface AuditInput {
  readonly action: string;
  readonly actor: AuditActor;
  /** What was acted on; for tokens the subject (or the `jti` of a token without one). */
  readonly target: string;
  /** `success` (the default), or the refusal's error code. */
  readonly outcome?: string;
  /** The organisation the event concerns; default the actor's. */
  readonly org?: string;
  /** The client address. */
  readonly client?: string;
  readonly kind?: string;
  readonly jti?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** The actor behind an authenticated caller (or {@link ANONYMOUS}). */
export function actorOf(caller: Caller | null): AuditActor {
  if (caller === null) return ANONYMOUS;
  switch (caller.kind) {
    case "api_key":
      return { kind: "api_key", id: caller.key.id, org: caller.key.orgName };
    case "account":
      return { kind: "account", id: caller.account.id, org: caller.account.orgId };
    default:
      return { kind: caller.kind, id: caller.subject };
  }
}

/** Claims of a token that say what it grants (never its signature, never custom claims). */
const GRANT_CLAIMS = ["sub", "aud", "scope", "access", "client_id", "exp"] as const;

/**
 * The `token.issued` event of a token of `kind`: its `jti`, and from its claims `sub`, `aud`,
 * the granted `scope` or registry `access`, `exp`. The target is the subject (the `jti` when
 * the token has none); the organisation is the token's (`org` of API key tokens, `org_id` of
 * account tokens), else the actor's.
 */
export function tokenEvent(
  kind: string,
  minted: Pick<Minted, "claims" | "jti" | "ttl" | "alg">,
  actor: AuditActor,
  client?: string,
): AuditInput {
  const c = minted.claims;
  const details: Record<string, unknown> = {};
  for (const name of GRANT_CLAIMS) if (c[name] !== undefined) details[name] = c[name];
  details.ttl = minted.ttl;
  details.alg = minted.alg;
  const org = typeof c.org === "string"
    ? c.org
    : kind === "account" && typeof c.org_id === "string"
    ? c.org_id
    : actor.org;
  return {
    action: "token.issued",
    actor,
    target: typeof c.sub === "string" ? c.sub : minted.jti,
    ...(org === undefined ? {} : { org }),
    ...(client === undefined ? {} : { client }),
    kind,
    jti: minted.jti,
    details,
  };
}

/** Names an event's fixed fields take (details never overwrite them). */
const FIXED = new Set([
  "id",
  "at",
  "time",
  "level",
  "event",
  "action",
  "outcome",
  "actor",
  "actor_kind",
  "target",
  "org",
  "client",
  "kind",
  "jti",
]);

/**
 * An event as the API, the CLI's `--json` and the log line show it: `id`, `action`, `outcome`,
 * `actor`, `actor_kind`, `target`, then `org`, `client`, `kind`, `jti` when set, then the
 * details. `at` (RFC 3339, milliseconds) unless `withTime` is false (the log line has `time`).
 */
export function auditJson(r: AuditRecord, withTime = true): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: r.id,
    ...(withTime ? { at: new Date(r.at).toISOString() } : {}),
    action: r.action,
    outcome: r.outcome,
    actor: r.actor,
    actor_kind: r.actorKind,
    target: r.target,
  };
  if (r.org !== null) out.org = r.org;
  if (r.client !== null) out.client = r.client;
  if (r.kind !== null) out.kind = r.kind;
  if (r.jti !== null) out.jti = r.jti;
  for (const [k, v] of Object.entries(r.details)) if (!FIXED.has(k)) out[k] = v;
  return out;
}

/**
 * Stored accounts: registration, password login, refresh-token rotation with reuse detection,
 * profile and password changes, administration, groups and the bootstrap admin. One instance per
 * process over the store; it outlives config reloads (the `accounts` section is read at start).
 *
 * Refresh tokens are opaque (`kprt_` + 64 hex characters, 256 random bits) and stored as their
 * SHA-256 only. Each is single use: exchanging it marks it used and issues the next token of the
 * same family. Presenting a used token again means it was copied: the whole family is revoked
 * (the thief's and the owner's latest token alike) and the event is logged.
 *
 * Refresh tokens imported from pico-auth (issue 22) keep pico-auth's form (`uuid4().hex`: 32 hex
 * characters, stored by pico-auth as their SHA-256 too) and are accepted in that form only for
 * rows imported from pico-auth; each starts a family and rotates into one of ours.
 */

import type { AccountsConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { dummyHashFor } from "../identity/password.ts";
import type { Logger } from "../log/mod.ts";
import type {
  GroupRecord,
  RefreshTokenRecord,
  RevocationEvent,
  RevocationListener,
  Role,
  Store,
  UserRecord,
  UserStatus,
} from "../store/mod.ts";
import {
  checkNewPassword,
  hashNewPassword,
  isAcceptedHash,
  verifyAnyPassword,
} from "./passwords.ts";
import { sha256 } from "../jose/hmac_sha256.ts";
import { openSuccessor, sealSuccessor } from "./refresh_seal.ts";
import { isRole } from "./roles.ts";

/** Options of {@link AccountService}. */
export interface AccountServiceOptions {
  readonly store: Store;
  readonly config: AccountsConfig;
  readonly logger?: Logger;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /** PBKDF2 iterations for new hashes (tests lower it); default 600 000. */
  readonly hashIterations?: number;
}

/** A new account. */
export interface NewAccount {
  readonly email: unknown;
  readonly password: unknown;
  readonly displayName?: unknown;
  readonly username?: unknown;
  readonly role?: Role;
  readonly orgId?: string;
  /** Must change the password at first login (the bootstrap admin's printed one). */
  readonly mustChangePassword?: boolean;
  /**
   * An existing hash instead of `password` (importing accounts): PBKDF2, bcrypt (`$2a$`,
   * `$2b$`, `$2y$`) or htpasswd `$apr1$`; replaced by PBKDF2 at the first login.
   */
  readonly passwordHash?: unknown;
}

/** Default of `accounts.refresh_reuse_seconds`: the retry window of a just-used refresh token. */
export const DEFAULT_REFRESH_REUSE_SECONDS = 30;

/** What a rotation's transaction decided (acted on after it commits). */
type _RotateOutcome =
  | { kind: "invalid"; message: string }
  | { kind: "reuse"; rec: RefreshTokenRecord; revoked: number }
  | {
    kind: "retry";
    rec: RefreshTokenRecord;
    succ: RefreshTokenRecord;
    user: UserRecord;
    sealed: string;
  }
  | { kind: "rotated"; user: UserRecord; record: RefreshTokenRecord };

/** The result of a refresh: the account and the next token of the family. */
export interface Rotation {
  readonly user: UserRecord;
  readonly refreshToken: string;
  readonly record: RefreshTokenRecord;
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]{1,255}$/u;
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const REFRESH = /^kprt_[0-9a-f]{64}$/;
/** pico-auth 0.3.0's refresh tokens (`uuid4().hex`), valid only on rows imported from it. */
const PICO_REFRESH = /^[0-9a-f]{32}$/;
const ORG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function hexOf(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** SHA-256 (hex) of an opaque token, as the store keeps it. */
export function tokenHash(raw: string): Promise<string> {
  // Synchronous SHA-256 (src/jose/hmac_sha256.ts): on the refresh path a round trip to the
  // runtime's crypto threads costs more than the hash.
  return Promise.resolve(hexOf(sha256(_utf8.encode(raw))));
}

const _utf8 = new TextEncoder();

/**
 * True when `raw` has the form of an account refresh token: ours (`kprt_…`) or pico-auth's
 * (imported, issue 22). For routes that tell refresh tokens from JWTs (introspection, RFC 7009
 * revocation); only {@link AccountService} decides whether one is valid.
 */
export function hasRefreshTokenForm(raw: string): boolean {
  return REFRESH.test(raw) || PICO_REFRESH.test(raw);
}

/** A random id: 12 bytes, hex (24 characters). */
export function newId(): string {
  return hexOf(crypto.getRandomValues(new Uint8Array(12)));
}

/** Normalise and check an e-mail address: NFC, trimmed, lower case, one `@`, no spaces. */
export function normaliseEmail(v: unknown): string {
  if (typeof v !== "string") {
    throw new KeypebbleError("invalid_request", '"email" must be a string');
  }
  const email = v.normalize("NFC").trim().toLowerCase();
  if (!EMAIL.test(email) || /\p{Cc}/u.test(email)) {
    throw new KeypebbleError("invalid_request", '"email" is not a valid e-mail address');
  }
  return email;
}

function _displayName(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string" || v.length > 128 || /\p{Cc}/u.test(v)) {
    throw new KeypebbleError(
      "invalid_request",
      '"display_name" must be a string of at most 128 characters',
    );
  }
  return v.normalize("NFC").trim();
}

/** The account service. */
export class AccountService {
  readonly store: Store;
  readonly config: AccountsConfig;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #iterations: number | undefined;
  readonly #listeners: RevocationListener[] = [];

  constructor(options: AccountServiceOptions) {
    this.store = options.store;
    this.config = options.config;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => Date.now());
    this.#iterations = options.hashIterations;
  }

  #sec(): number {
    return Math.floor(this.#now() / 1000);
  }

  /** Whether self-registration is open: the runtime switch when set, else the config. */
  async registrationOpen(): Promise<boolean> {
    const v = await this.store.users.setting("registration");
    return v === undefined ? this.config.registration === "open" : v === "open";
  }

  /** Open or close self-registration at run time (kept in the store). */
  async setRegistration(open: boolean): Promise<void> {
    await this.store.users.setSetting("registration", open ? "open" : "off");
  }

  /** Create an account (registration, admin creation, bootstrap). */
  async create(input: NewAccount): Promise<UserRecord> {
    const email = normaliseEmail(input.email);
    let username: string | null = null;
    if (input.username !== undefined && input.username !== null) {
      if (typeof input.username !== "string" || !USERNAME.test(input.username)) {
        throw new KeypebbleError(
          "invalid_request",
          '"username" must be 1 to 64 letters, digits, ".", "_" or "-"',
        );
      }
      username = input.username;
    }
    const orgId = input.orgId ?? this.config.defaultOrg;
    if (!ORG.test(orgId)) {
      throw new KeypebbleError("invalid_request", '"org_id" is not a valid organisation name');
    }
    // Cheap checks first, then friendly conflicts, before any PBKDF2 work is spent (the unique
    // index settles races).
    const password = input.passwordHash === undefined
      ? checkNewPassword(input.password, this.config.passwordMinLength)
      : undefined;
    if (await this.store.users.byEmail(email) !== undefined) {
      throw new KeypebbleError("conflict", "An account with this e-mail already exists");
    }
    if (username !== null && await this.store.users.byUsername(username) !== undefined) {
      throw new KeypebbleError("conflict", "An account with this username already exists");
    }
    let passwordHash: string;
    if (password === undefined) {
      if (typeof input.passwordHash !== "string" || !isAcceptedHash(input.passwordHash)) {
        throw new KeypebbleError(
          "invalid_request",
          '"password_hash" must be a PBKDF2, bcrypt ($2a$, $2b$, $2y$) or apr1 hash',
        );
      }
      passwordHash = input.passwordHash;
    } else passwordHash = await hashNewPassword(password, this.#iterations);
    const now = this.#sec();
    const user: UserRecord = {
      id: newId(),
      email,
      username,
      displayName: _displayName(input.displayName),
      passwordHash,
      role: input.role ?? "viewer",
      orgId,
      status: "active",
      mustChangePassword: input.mustChangePassword ?? false,
      createdAt: now,
      updatedAt: now,
      lastLoginAt: null,
    };
    try {
      await this.store.users.insert(user);
    } catch (e) {
      if (e instanceof KeypebbleError && e.code === "conflict") {
        throw new KeypebbleError("conflict", "An account with this e-mail already exists");
      }
      throw e;
    }
    return user;
  }

  /**
   * The account a login names (e-mail, or username; `admin` is the bootstrap admin whatever its
   * e-mail), or undefined. Separate from the password check so that lockout can count failures
   * against the account itself, whichever name was used.
   */
  async findLogin(who: { email?: string; username?: string }): Promise<UserRecord | undefined> {
    if (who.email !== undefined) return await this.store.users.byEmail(who.email.trim());
    if (who.username === undefined) return undefined;
    const user = await this.store.users.byUsername(who.username);
    // The bootstrap admin logs in as "admin" whatever its e-mail (issue 13 contract).
    if (user === undefined && who.username === "admin") {
      return await this.store.users.byEmail(this.config.adminEmail);
    }
    return user;
  }

  /**
   * Check a password for an account found by {@link findLogin} (undefined: none was found, and
   * the same PBKDF2 work is done anyway). Old-scheme hashes (bcrypt, apr1) are replaced by PBKDF2
   * on success. Resolves to the account, or null for a wrong password.
   */
  async verifyLogin(user: UserRecord | undefined, password: string): Promise<UserRecord | null> {
    if (user === undefined) {
      await verifyAnyPassword(password, dummyHashFor(this.#iterations));
      return null;
    }
    const r = await verifyAnyPassword(password, user.passwordHash);
    if (!r.ok) return null;
    if (r.rehash) {
      await this.store.users.setPassword(
        user.id,
        await hashNewPassword(password, this.#iterations),
        {
          at: this.#sec(),
          mustChange: user.mustChangePassword,
        },
      );
    }
    return user;
  }

  /** {@link findLogin} then {@link verifyLogin}. */
  async checkPassword(
    who: { email?: string; username?: string },
    password: string,
  ): Promise<UserRecord | null> {
    return await this.verifyLogin(await this.findLogin(who), password);
  }

  /** Record a successful login. */
  async touchLogin(user: UserRecord): Promise<UserRecord> {
    const at = this.#sec();
    await this.store.users.touchLogin(user.id, at);
    return { ...user, lastLoginAt: at };
  }

  /** Start a refresh family for `user`; resolves to the opaque token. */
  async issueRefresh(
    user: UserRecord,
    options: { clientId?: string | null; scope?: string | null; familyId?: string } = {},
  ): Promise<{ raw: string; record: RefreshTokenRecord }> {
    const { raw, hash } = await this.#newRefresh();
    const now = this.#sec();
    const record: RefreshTokenRecord = {
      hash,
      familyId: options.familyId ?? newId(),
      userId: user.id,
      clientId: options.clientId ?? null,
      scope: options.scope ?? null,
      createdAt: now,
      expiresAt: now + this.config.refreshTtlSeconds,
      usedAt: null,
      revokedAt: null,
    };
    await this.store.refreshTokens.insert(record);
    return { raw, record };
  }

  /**
   * Exchange a refresh token for the next one of its family (single use, RFC 6749 §10.4 and
   * OAuth 2.0 Security BCP §4.14 rotation). A used token presented again revokes the family,
   * except within `accounts.refresh_reuse_seconds` of its use (default 30; 0 turns it off),
   * where it returns the same successor, while that is itself unused: a client whose answer was
   * lost (a timeout, a store hiccup, a killed process) retries without being logged out.
   *
   * Marking the token used, issuing its successor and revoking a family on reuse happen in ONE
   * store transaction, with the token's row locked: concurrent refreshes of one token run one
   * after the other, so there is exactly one outcome per family, and a successor never survives
   * the revocation of its family.
   *
   * @throws {KeypebbleError} `invalid_grant` for an unknown, used, revoked or expired token, or
   *   one issued to another client
   */
  async rotate(
    raw: string,
    options: { clientId?: string | null; logger?: Logger } = {},
  ): Promise<Rotation> {
    const logger = options.logger ?? this.#logger;
    const invalid = (message: string) => new KeypebbleError("invalid_grant", message);
    // Ours (`kprt_…`), or pico-auth's form on rows imported from pico-auth (issue 22).
    const ours = REFRESH.test(raw);
    if (!ours && !PICO_REFRESH.test(raw)) throw invalid("The refresh token is not valid");
    const hash = await tokenHash(raw);
    const now = this.#sec();
    // The successor is made (and sealed under `raw`) before the transaction, so that the
    // transaction holds the store for its reads and writes only.
    const next = await this.#newRefresh();
    const sealed = await sealSuccessor(raw, next.raw);
    const window = this.config.refreshReuseSeconds ?? DEFAULT_REFRESH_REUSE_SECONDS;
    const outcome = await this.store.transaction(async (tx): Promise<_RotateOutcome> => {
      const rec = await tx.refreshTokens.byHash(hash, { forUpdate: true });
      if (rec === undefined || (rec.origin ?? null) !== (ours ? null : "pico-auth")) {
        return { kind: "invalid", message: "The refresh token is not valid" };
      }
      if (rec.revokedAt !== null) {
        return { kind: "invalid", message: "The refresh token has been revoked" };
      }
      // A family bound to a client is refreshed by that client only: a route without client
      // authentication (pico-auth's) passes none and is refused (issue 19 finding 6).
      const otherClient = rec.clientId !== null && rec.clientId !== (options.clientId ?? null);
      if (rec.usedAt !== null) {
        // The retry window: the same successor, while it is itself unused and unrevoked.
        if (
          !otherClient && now - rec.usedAt < window && rec.successorHash && rec.successorSealed
        ) {
          const succ = await tx.refreshTokens.byHash(rec.successorHash, { forUpdate: true });
          const user = await tx.users.byId(rec.userId);
          if (
            succ !== undefined && succ.usedAt === null && succ.revokedAt === null &&
            succ.expiresAt > now && user !== undefined && user.status === "active"
          ) {
            return { kind: "retry", rec, succ, user, sealed: rec.successorSealed };
          }
        }
        const n = await tx.refreshTokens.revokeFamily(rec.familyId, now);
        return { kind: "reuse", rec, revoked: n };
      }
      if (rec.expiresAt <= now) {
        return { kind: "invalid", message: "The refresh token has expired" };
      }
      if (otherClient) {
        return { kind: "invalid", message: "The refresh token was issued to another client" };
      }
      const user = await tx.users.byId(rec.userId);
      if (user === undefined || user.status !== "active") {
        await tx.refreshTokens.revokeFamily(rec.familyId, now);
        return { kind: "invalid", message: "The account is not active" };
      }
      if (!(await tx.refreshTokens.consume(hash, now))) {
        // Cannot happen with the row locked; were it to, it is reuse.
        const n = await tx.refreshTokens.revokeFamily(rec.familyId, now);
        return { kind: "reuse", rec, revoked: n };
      }
      const record: RefreshTokenRecord = {
        hash: next.hash,
        familyId: rec.familyId,
        userId: user.id,
        clientId: rec.clientId,
        scope: rec.scope,
        createdAt: now,
        expiresAt: now + this.config.refreshTtlSeconds,
        usedAt: null,
        revokedAt: null,
      };
      await tx.refreshTokens.insert(record);
      await tx.refreshTokens.setSuccessor(hash, next.hash, sealed);
      return { kind: "rotated", user, record };
    });
    switch (outcome.kind) {
      case "invalid":
        throw invalid(outcome.message);
      case "reuse":
        logger?.warn("refresh_token_reuse", {
          user_id: outcome.rec.userId,
          family_id: outcome.rec.familyId,
          revoked: outcome.revoked,
          message: "A used refresh token was presented again; its family is revoked",
        });
        throw invalid(
          "The refresh token was already used; every token of its family has been revoked",
        );
      case "retry": {
        const again = await openSuccessor(raw, outcome.sealed);
        if (again === undefined || (await tokenHash(again)) !== outcome.succ.hash) {
          throw invalid("The refresh token is not valid");
        }
        logger?.info("refresh_token_retry", {
          user_id: outcome.rec.userId,
          family_id: outcome.rec.familyId,
          message: "A just-used refresh token was presented again within " +
            "accounts.refresh_reuse_seconds; the same successor was returned",
        });
        return { user: outcome.user, refreshToken: again, record: outcome.succ };
      }
      case "rotated":
        return { user: outcome.user, refreshToken: next.raw, record: outcome.record };
    }
  }

  /** A new opaque refresh token and its hash. */
  async #newRefresh(): Promise<{ raw: string; hash: string }> {
    const raw = `kprt_${hexOf(crypto.getRandomValues(new Uint8Array(32)))}`;
    return { raw, hash: await tokenHash(raw) };
  }

  /**
   * The stored token a presented refresh token names: ours (`kprt_…`) on rows of ours, or
   * pico-auth's form on rows imported from pico-auth; undefined for anything else.
   */
  async #findRefresh(raw: string): Promise<RefreshTokenRecord | undefined> {
    const ours = REFRESH.test(raw);
    if (!ours && !PICO_REFRESH.test(raw)) return undefined;
    const rec = await this.store.refreshTokens.byHash(await tokenHash(raw));
    if (rec === undefined) return undefined;
    return (rec.origin ?? null) === (ours ? null : "pico-auth") ? rec : undefined;
  }

  /** Look up an unexpired refresh token without using it (introspection). */
  peekRefresh(raw: string): Promise<RefreshTokenRecord | undefined> {
    return this.#findRefresh(raw);
  }

  /**
   * Revoke the family of a refresh token (RFC 7009): its account and family, or undefined when
   * the token is unknown.
   */
  async revokeRefresh(raw: string): Promise<{ userId: string; familyId: string } | undefined> {
    const rec = await this.peekRefresh(raw);
    if (rec === undefined) return undefined;
    await this.store.refreshTokens.revokeFamily(rec.familyId, this.#sec());
    return { userId: rec.userId, familyId: rec.familyId };
  }

  /** An account by id, or 404. */
  async user(id: string): Promise<UserRecord> {
    const u = await this.store.users.byId(id);
    if (u === undefined) throw new KeypebbleError("not_found", "No such user");
    return u;
  }

  /**
   * Change one's own password: the old one must match (the caller runs this under the account's
   * lockout); every refresh token is revoked and older access tokens stop working.
   *
   * @throws {KeypebbleError} `unauthorized` when the old password is wrong
   */
  async changePassword(
    user: UserRecord,
    oldPassword: unknown,
    newPassword: unknown,
  ): Promise<void> {
    if (typeof oldPassword !== "string") {
      throw new KeypebbleError("invalid_request", '"old_password" must be a string');
    }
    const next = checkNewPassword(newPassword, this.config.passwordMinLength);
    const r = await verifyAnyPassword(oldPassword, user.passwordHash);
    if (!r.ok) throw new KeypebbleError("unauthorized", "The old password is not correct");
    if (next === oldPassword) {
      throw new KeypebbleError("invalid_request", "The new password must differ from the old one");
    }
    await this.#setPassword(user.id, next, false);
  }

  /**
   * Set a password as an administrator; the account's refresh tokens are revoked and
   * its browser sessions end. With
   * `mustChange` (`keypebble account reset-password`) it must be changed at the next login.
   */
  async resetPassword(
    id: string,
    newPassword: unknown,
    options: { mustChange?: boolean } = {},
  ): Promise<UserRecord> {
    const user = await this.user(id);
    await this.#setPassword(
      user.id,
      checkNewPassword(newPassword, this.config.passwordMinLength),
      options.mustChange ?? false,
    );
    return user;
  }

  /** A new random password (128 bits, hex), as the bootstrap admin's printed one. */
  static generatePassword(): string {
    return hexOf(crypto.getRandomValues(new Uint8Array(16)));
  }

  async #setPassword(id: string, password: string, mustChange: boolean): Promise<void> {
    const at = this.#sec();
    await this.store.users.setPassword(id, await hashNewPassword(password, this.#iterations), {
      at,
      mustChange,
    });
    await this.store.refreshTokens.revokeUser(id, at);
    // Browser sessions end too (sign-in with Keypebble): a changed password signs out everywhere.
    await this.store.oidcSessions.endForUser(id, at, "password_change");
    await this.#cutoff(id, at);
  }

  /**
   * Suspend or resume an account. Suspending revokes its refresh tokens and, through the
   * revocation list, every access token it holds; resuming lets it sign in again, but tokens
   * issued before the suspension stay revoked (a cutoff at the suspension).
   */
  async setStatus(id: string, status: UserStatus): Promise<UserRecord> {
    const user = await this.user(id);
    const at = this.#sec();
    await this.store.users.setStatus(id, status, at);
    if (status === "suspended") {
      await this.store.refreshTokens.revokeUser(id, at);
      // Its browser sessions end (they would be refused at use anyway: sessions.ts).
      await this.store.oidcSessions.endForUser(id, at, "suspended");
      // Every token issued up to this second is from before the suspension.
      await this.#cutoff(id, at + 1);
    }
    this.#tell({ kind: "account", id, suspended: status === "suspended" });
    return { ...user, status };
  }

  /** Tokens of `subject` issued before `at` are revoked (for as long as one could live). */
  async #cutoff(subject: string, at: number): Promise<void> {
    await this.store.revocations.setCutoff(subject, at, at + this.config.accessTtlSeconds + 60);
    this.#tell({ kind: "cutoff", subject, notBefore: at });
  }

  /** Hear of revocation changes made here (the process's revocation list). */
  onRevocation(listener: RevocationListener): void {
    this.#listeners.push(listener);
  }

  #tell(e: RevocationEvent): void {
    for (const l of this.#listeners) l(e);
  }

  /** Change a role. */
  async setRole(id: string, role: unknown): Promise<UserRecord> {
    if (!isRole(role)) {
      throw new KeypebbleError(
        "invalid_request",
        'The role must be one of "superadmin", "org_admin", "operator", "viewer"',
      );
    }
    const user = await this.user(id);
    await this.store.users.setRole(id, role, this.#sec());
    return { ...user, role };
  }

  /** Accounts, optionally of one organisation. */
  listUsers(orgId?: string): Promise<UserRecord[]> {
    return this.store.users.list(orgId === undefined ? {} : { orgId });
  }

  /** Group ids of an account, for its tokens. */
  groupIds(userId: string): Promise<string[]> {
    return this.store.groups.idsForUser(userId);
  }

  // ---- groups -----------------------------------------------------------------------------

  /** Create a group in an organisation. */
  async createGroup(name: unknown, orgId: string, description: unknown): Promise<GroupRecord> {
    const g: GroupRecord = {
      id: newId(),
      name: _groupName(name),
      description: _description(description),
      orgId,
      createdAt: this.#sec(),
      updatedAt: this.#sec(),
    };
    try {
      await this.store.groups.insert(g);
    } catch (e) {
      if (e instanceof KeypebbleError && e.code === "conflict") {
        throw new KeypebbleError("conflict", "A group with this name already exists");
      }
      throw e;
    }
    return g;
  }

  /** A group, or 404 (also when it belongs to another organisation than `orgLimit`). */
  async group(id: string, orgLimit: string | undefined): Promise<GroupRecord> {
    const g = await this.store.groups.byId(id);
    if (g === undefined || (orgLimit !== undefined && g.orgId !== orgLimit)) {
      throw new KeypebbleError("not_found", "No such group");
    }
    return g;
  }

  /** Rename or describe a group. */
  async updateGroup(
    g: GroupRecord,
    change: { name?: unknown; description?: unknown },
  ): Promise<GroupRecord> {
    const name = change.name === undefined || change.name === null
      ? undefined
      : _groupName(change.name);
    const description = change.description === undefined || change.description === null
      ? undefined
      : _description(change.description);
    try {
      await this.store.groups.update(g.id, {
        ...(name === undefined ? {} : { name }),
        ...(description === undefined ? {} : { description }),
        at: this.#sec(),
      });
    } catch (e) {
      if (e instanceof KeypebbleError && e.code === "conflict") {
        throw new KeypebbleError("conflict", "A group with this name already exists");
      }
      throw e;
    }
    return {
      ...g,
      ...(name === undefined ? {} : { name }),
      ...(description === undefined ? {} : { description }),
    };
  }

  /** Add an account to a group (it must be in the group's organisation). */
  async addMember(g: GroupRecord, userId: unknown): Promise<void> {
    if (typeof userId !== "string" || userId === "") {
      throw new KeypebbleError("invalid_request", '"user_id" must be a string');
    }
    const u = await this.store.users.byId(userId);
    if (u === undefined || u.orgId !== g.orgId) {
      throw new KeypebbleError("not_found", "No such user");
    }
    if (!(await this.store.groups.addMember(g.id, u.id, this.#sec()))) {
      throw new KeypebbleError("conflict", "The user is already a member of this group");
    }
  }

  /** Remove an account from a group. */
  async removeMember(g: GroupRecord, userId: string): Promise<void> {
    if (!(await this.store.groups.removeMember(g.id, userId))) {
      throw new KeypebbleError("not_found", "The user is not a member of this group");
    }
  }

  /** Delete refresh tokens and revoked ids whose tokens have expired. */
  async purge(): Promise<void> {
    const now = this.#sec();
    await this.store.refreshTokens.purge(now);
    await this.store.revocations.purge(now);
    // Sealed successors are needed for the retry window only.
    await this.store.refreshTokens.forgetSuccessors(
      now - (this.config.refreshReuseSeconds ?? DEFAULT_REFRESH_REUSE_SECONDS),
    );
  }

  // ---- bootstrap --------------------------------------------------------------------------

  /**
   * Create the first administrator when the store has no account. `password` comes from
   * `KEYPEBBLE_ADMIN_PASSWORD` or the credential file; without one a random password is
   * generated and returned (to be printed once), and must be changed at first login.
   */
  async bootstrap(password: string | undefined): Promise<{ created: boolean; printed?: string }> {
    if ((await this.store.users.count()) > 0) return { created: false };
    const generated = password === undefined;
    const pw = password ?? hexOf(crypto.getRandomValues(new Uint8Array(16)));
    try {
      await this.create({
        email: this.config.adminEmail,
        username: "admin",
        password: pw,
        displayName: "Administrator",
        role: "superadmin",
        orgId: this.config.defaultOrg,
        mustChangePassword: generated,
      });
    } catch (e) {
      // Another instance created it first: nothing to do.
      if (e instanceof KeypebbleError && e.code === "conflict") return { created: false };
      throw e;
    }
    return generated ? { created: true, printed: pw } : { created: true };
  }
}

function _groupName(v: unknown): string {
  if (typeof v !== "string" || v.trim() === "" || v.length > 128 || /\p{Cc}/u.test(v)) {
    throw new KeypebbleError("invalid_request", '"name" must be a string of 1 to 128 characters');
  }
  return v.normalize("NFC").trim();
}

function _description(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (typeof v !== "string" || v.length > 1024) {
    throw new KeypebbleError(
      "invalid_request",
      '"description" must be a string of at most 1024 characters',
    );
  }
  return v;
}

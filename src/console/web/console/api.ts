/**
 * Every call the console makes to the server, in one module (so a change of the API is a change
 * here). The console has no API of its own: it calls the same routes as curl would, with the
 * signed-in account's access token, and the server's route declarations decide what it may do.
 *
 * The tokens live in this object only (memory): never in localStorage, sessionStorage or a
 * cookie, so closing or reloading the tab signs out. An access token about to expire is renewed
 * with the refresh token (`POST /api/v1/auth/refresh`, which rotates it); a 401 is retried once
 * after a renewal; when renewal fails, {@link Api.onSignedOut} is told and the page asks to sign
 * in again.
 *
 * Endpoints used (and nothing else):
 * - accounts: `POST /api/v1/auth/login`, `POST /api/v1/auth/refresh`, `GET /api/v1/auth/me`,
 *   `POST /api/v1/auth/me/password`, `GET|POST /api/v1/auth/users`,
 *   `PUT /api/v1/auth/users/{id}/role|status|password`;
 * - groups: `GET|POST /api/v1/groups`, `GET|DELETE /api/v1/groups/{id}`,
 *   `POST /api/v1/groups/{id}/members`, `DELETE /api/v1/groups/{id}/members/{user_id}`;
 * - admin: `GET|POST /admin/orgs`, `POST /admin/orgs/{name}/suspend|resume`,
 *   `GET|POST /admin/keys`, `POST /admin/keys/{id}/roll`, `DELETE /admin/keys/{id}`,
 *   `GET /admin/usage`, `GET /admin/clients`, `GET|POST /admin/blocks`,
 *   `DELETE /admin/blocks/{kind}/{value}`, `GET /admin/audit` (404 without a store);
 * - public: `GET /.well-known/jwks.json`.
 *
 * @module
 */

/** An answer the server refused, with its stable code. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The signed-in account (`GET /api/v1/auth/me`). */
export interface Me {
  readonly id: string;
  readonly email: string;
  readonly display_name: string;
  readonly role: Role;
  readonly org_id: string;
  readonly status: string;
  readonly password_change_required: boolean;
  readonly username?: string;
}

/** Account roles, most powerful first. */
export type Role = "superadmin" | "org_admin" | "operator" | "viewer";
/** Every role, most powerful first. */
export const ROLES: readonly Role[] = ["superadmin", "org_admin", "operator", "viewer"];

/** `POST /api/v1/auth/login` and `/refresh`. */
export interface TokenPair {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly expires_in: number;
  readonly password_change_required?: boolean;
}

/** An organisation (`GET /admin/orgs`). */
export interface Org {
  readonly id: string;
  readonly name: string;
  readonly status: "active" | "suspended";
  readonly created_at: string;
  readonly key_count: number;
}

/** An API key as listed: never the key itself. */
export interface ApiKey {
  readonly id: string;
  readonly label: string;
  readonly prefix: string;
  readonly is_active: boolean;
  readonly rate_limit_per_minute: number | null;
  readonly scopes: string[];
  readonly org_name: string;
  readonly created_at: string;
  readonly last_used_at: string | null;
  readonly status: "active" | "revoked";
  readonly expires_at: string | null;
  readonly monthly_quota: number | null;
  readonly audiences: string[];
  readonly claims: Record<string, unknown>;
  readonly replaced_by: string | null;
  readonly reach?: "org" | "all";
}

/** A new key: `raw_key` is shown this once. */
export interface CreatedKey {
  readonly id: string;
  readonly label: string;
  readonly prefix: string;
  readonly raw_key: string;
  readonly org_name: string;
  readonly expires_at: string | null;
  readonly replaces?: string;
  readonly old_expires_at?: string | null;
}

/** What the create form sends (`POST /admin/keys`). */
export interface NewKey {
  org_name: string;
  label: string;
  scopes?: string[];
  audiences?: string[];
  rate_limit_per_minute?: number;
  monthly_quota?: number;
  expires_in_seconds?: number;
}

/** An account as listed. */
export interface User {
  readonly id: string;
  readonly email: string;
  readonly display_name: string;
  readonly role: Role;
  readonly org_id: string;
  readonly status: "active" | "suspended";
  readonly username?: string;
}

/** A group; `members` when read one by one. */
export interface Group {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly org_id: string;
  readonly members?: { user_id: string; joined_at: string }[];
}

/** An OAuth2 client (`GET /admin/clients`). */
export interface Client {
  readonly id: string;
  readonly name: string;
  readonly source: "config" | "store";
  readonly public: boolean;
  readonly first_party: boolean;
  readonly audiences: string[];
  readonly scopes: string[];
  readonly redirect_uris: string[];
}

/** An address or principal block. */
export interface Block {
  readonly kind: "address" | "principal";
  readonly value: string;
  readonly until: string;
  readonly reason: string;
  readonly created_at: string;
}

/** `GET /admin/usage`. */
export interface Usage {
  readonly range: UsageRange;
  readonly bucket_seconds: number;
  readonly from: string;
  readonly to: string;
  readonly key_id: string | null;
  readonly org_name: string | null;
  readonly requests: number;
  readonly errors: number;
  readonly error_rate: number;
  readonly buckets: { start: string; requests: number; errors: number }[];
  readonly top_keys: {
    id: string;
    label: string;
    prefix: string;
    org_name: string | null;
    requests: number;
    errors: number;
  }[];
  readonly quota:
    | { monthly_quota: number | null; used_this_month: number; month_start: string }
    | null;
}

/** A window of the usage chart. */
export type UsageRange = "hour" | "day" | "month";

/**
 * One audit event. `GET /admin/audit?since=&actor=&action=&target=` → `{"events": [{"at",
 * "action", "actor", "target", "outcome", ...}]}` (docs/operations.md "Audit trail").
 */
export interface AuditEvent {
  readonly at: string;
  readonly action: string;
  readonly actor: string;
  readonly target: string;
  readonly outcome: string;
  readonly [more: string]: unknown;
}

/** Filters of the audit log. */
export interface AuditFilter {
  since?: string;
  actor?: string;
  action?: string;
  target?: string;
}

/** Options of {@link Api}. */
export interface ApiOptions {
  /** The server's origin ("" in the page: same origin). */
  readonly base?: string;
  /** `fetch` (tests pass the in-process handler). */
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
}

/** Renew the access token this long before it expires. */
const RENEW_BEFORE_MS = 60_000;

/** The console's client of the Keypebble API, holding the session's tokens in memory. */
export class Api {
  #access: string | undefined;
  #refresh: string | undefined;
  #expiresAt = 0;
  #renewing: Promise<boolean> | undefined;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  /** Called once when the session ends by itself (renewal refused); not on {@link signOut}. */
  onSignedOut: (reason: string) => void = () => {};

  constructor(options: ApiOptions = {}) {
    this.#base = options.base ?? "";
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? (() => Date.now());
  }

  /** Whether a session is open. */
  get signedIn(): boolean {
    return this.#access !== undefined;
  }

  /** When the access token expires (ms since the epoch; 0 when signed out). */
  get expiresAt(): number {
    return this.#expiresAt;
  }

  // ---- session --------------------------------------------------------------------------

  /** Sign in with an email (or a username) and password. */
  async login(login: string, password: string): Promise<TokenPair> {
    const who = login.includes("@") ? { email: login } : { username: login };
    const pair = await this.#call<TokenPair>("POST", "/api/v1/auth/login", {
      ...who,
      password,
    }, { auth: false });
    this.#keep(pair);
    return pair;
  }

  /** Forget the tokens (the page then shows the sign-in form). */
  signOut(): void {
    this.#access = undefined;
    this.#refresh = undefined;
    this.#expiresAt = 0;
  }

  /** Renew the access token with the refresh token; false (and signed out) when refused. */
  renew(): Promise<boolean> {
    this.#renewing ??= this.#renew().finally(() => (this.#renewing = undefined));
    return this.#renewing;
  }

  async #renew(): Promise<boolean> {
    const refresh = this.#refresh;
    if (refresh === undefined) return false;
    try {
      this.#keep(
        await this.#call<TokenPair>("POST", "/api/v1/auth/refresh", {
          refresh_token: refresh,
        }, { auth: false }),
      );
      return true;
    } catch (e) {
      this.signOut();
      this.onSignedOut(e instanceof ApiError ? e.message : "The session ended");
      return false;
    }
  }

  #keep(pair: TokenPair): void {
    this.#access = pair.access_token;
    this.#refresh = pair.refresh_token;
    this.#expiresAt = this.#now() + pair.expires_in * 1000;
  }

  /** The signed-in account. */
  me(): Promise<Me> {
    return this.#call("GET", "/api/v1/auth/me");
  }

  /** Change the signed-in account's password (older tokens stop working: sign in again). */
  changePassword(oldPassword: string, newPassword: string): Promise<unknown> {
    return this.#call("POST", "/api/v1/auth/me/password", {
      old_password: oldPassword,
      new_password: newPassword,
    });
  }

  // ---- organisations and keys --------------------------------------------------------------

  async orgs(): Promise<Org[]> {
    return (await this.#call<{ organizations: Org[] }>("GET", "/admin/orgs")).organizations;
  }

  createOrg(name: string): Promise<Org> {
    return this.#call("POST", "/admin/orgs", { name });
  }

  setOrgStatus(name: string, action: "suspend" | "resume"): Promise<Org> {
    return this.#call("POST", `/admin/orgs/${enc(name)}/${action}`);
  }

  async keys(orgName?: string): Promise<ApiKey[]> {
    const q = orgName === undefined ? "" : `?org_name=${enc(orgName)}`;
    return (await this.#call<{ keys: ApiKey[] }>("GET", `/admin/keys${q}`)).keys;
  }

  createKey(key: NewKey): Promise<CreatedKey> {
    return this.#call("POST", "/admin/keys", key);
  }

  rollKey(id: string, graceSeconds: number): Promise<CreatedKey> {
    return this.#call("POST", `/admin/keys/${enc(id)}/roll`, { grace_seconds: graceSeconds });
  }

  revokeKey(id: string): Promise<unknown> {
    return this.#call("DELETE", `/admin/keys/${enc(id)}`);
  }

  usage(range: UsageRange, of: { keyId?: string; orgName?: string } = {}): Promise<Usage> {
    const q = new URLSearchParams({ range });
    if (of.keyId !== undefined) q.set("key_id", of.keyId);
    if (of.orgName !== undefined) q.set("org_name", of.orgName);
    return this.#call("GET", `/admin/usage?${q}`);
  }

  // ---- accounts and groups -------------------------------------------------------------------

  async users(): Promise<User[]> {
    return (await this.#call<{ users: User[] }>("GET", "/api/v1/auth/users")).users;
  }

  createUser(u: {
    email: string;
    password: string;
    display_name?: string;
    role: Role;
    org_id?: string;
  }): Promise<User> {
    return this.#call("POST", "/api/v1/auth/users", u);
  }

  setRole(id: string, role: Role): Promise<unknown> {
    return this.#call("PUT", `/api/v1/auth/users/${enc(id)}/role`, { role });
  }

  setUserStatus(id: string, status: "active" | "suspended"): Promise<User> {
    return this.#call("PUT", `/api/v1/auth/users/${enc(id)}/status`, { status });
  }

  resetPassword(id: string, newPassword: string): Promise<unknown> {
    return this.#call("PUT", `/api/v1/auth/users/${enc(id)}/password`, {
      new_password: newPassword,
    });
  }

  async groups(): Promise<Group[]> {
    return (await this.#call<{ groups: Group[] }>("GET", "/api/v1/groups")).groups;
  }

  group(id: string): Promise<Group> {
    return this.#call("GET", `/api/v1/groups/${enc(id)}`);
  }

  createGroup(name: string, description: string): Promise<Group> {
    return this.#call("POST", "/api/v1/groups", { name, description });
  }

  deleteGroup(id: string): Promise<unknown> {
    return this.#call("DELETE", `/api/v1/groups/${enc(id)}`);
  }

  addMember(groupId: string, userId: string): Promise<unknown> {
    return this.#call("POST", `/api/v1/groups/${enc(groupId)}/members`, { user_id: userId });
  }

  removeMember(groupId: string, userId: string): Promise<unknown> {
    return this.#call("DELETE", `/api/v1/groups/${enc(groupId)}/members/${enc(userId)}`);
  }

  // ---- clients, blocks, audit, keys of the issuer ----------------------------------------------

  /** OAuth2 clients: declared in the config (read-only). HOOK: stored clients (sign-in branch). */
  async clients(): Promise<Client[]> {
    return (await this.#call<{ clients: Client[] }>("GET", "/admin/clients")).clients;
  }

  async blocks(): Promise<Block[]> {
    return (await this.#call<{ blocks: Block[] }>("GET", "/admin/blocks")).blocks;
  }

  block(b: { kind: string; value: string; seconds: number; reason: string }): Promise<Block> {
    return this.#call("POST", "/admin/blocks", b);
  }

  unblock(kind: string, value: string): Promise<unknown> {
    return this.#call("DELETE", `/admin/blocks/${enc(kind)}/${enc(value)}`);
  }

  /**
   * The audit log, or `undefined` when this server has none (404: a server without a store).
   */
  async audit(filter: AuditFilter): Promise<AuditEvent[] | undefined> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, v);
    try {
      const s = q.toString();
      return (await this.#call<{ events: AuditEvent[] }>("GET", `/admin/audit${s ? `?${s}` : ""}`))
        .events;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && e.code === "not_found") return undefined;
      throw e;
    }
  }

  /** This issuer's published keys (for the token inspector). */
  jwks(): Promise<unknown> {
    return this.#call("GET", "/.well-known/jwks.json", undefined, { auth: false });
  }

  // ---- the one place that talks HTTP ---------------------------------------------------------

  async #call<T>(
    method: string,
    path: string,
    body?: unknown,
    options: { auth?: boolean } = {},
  ): Promise<T> {
    const auth = options.auth ?? true;
    if (auth && this.#access !== undefined && this.#expiresAt - this.#now() < RENEW_BEFORE_MS) {
      await this.renew();
    }
    let res = await this.#send(method, path, body, auth);
    if (res.status === 401 && auth && this.#refresh !== undefined) {
      await res.body?.cancel();
      if (!(await this.renew())) throw new ApiError(401, "unauthorized", "Please sign in again");
      res = await this.#send(method, path, body, auth);
    }
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text === "" ? undefined : JSON.parse(text);
    } catch {
      // not JSON: reported below when the status is an error
    }
    if (!res.ok) {
      const e = (data ?? {}) as { error?: string; message?: string };
      throw new ApiError(
        res.status,
        e.error ?? "http_error",
        e.message ?? `The server answered ${res.status}`,
      );
    }
    return data as T;
  }

  #send(method: string, path: string, body: unknown, auth: boolean): Promise<Response> {
    if (auth && this.#access === undefined) {
      return Promise.reject(new ApiError(401, "unauthorized", "Please sign in"));
    }
    const headers: Record<string, string> = { accept: "application/json" };
    if (auth) headers.authorization = `Bearer ${this.#access}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    return this.#fetch(`${this.#base}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      credentials: "omit",
      cache: "no-store",
    });
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

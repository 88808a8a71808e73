/**
 * API keys at run time and for administration: creating organisations and keys, checking a
 * presented key (through a bounded cache), administrator blocks, and usage counted per minute and
 * written in batches. A key's rate limit and monthly quota, and the lockout of addresses that
 * keep presenting bad keys, count through the one limiter and lockout (src/trust/keys.ts).
 *
 * The cache: a key check is answered from memory for `store.cache_seconds` (default 5, at most
 * 10) after it was read from the store, for found and unknown keys alike (negative caching), at
 * most {@link MAX_CACHED} entries. A revocation or suspension made on any instance is therefore
 * honoured by every instance within `store.cache_seconds`; on the instance that made it, at once.
 * Expiry is checked against the clock on every request. When the store cannot be reached, entries
 * still within their lifetime keep answering; anything else is refused with 503.
 *
 * The service owns the process's store, and so its background writers: usage counters and the
 * audit trail's batched writer ({@link ApiKeyService.audit}, src/audit/writer.ts), both started by
 * {@link ApiKeyService.startFlushing} and flushed by {@link ApiKeyService.close}.
 */

import { AuditWriter } from "../audit/mod.ts";
import { DEFAULT_AUDIT_RETENTION_DAYS, type StoreConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type {
  ApiKeyRecord,
  ApiKeyWithOrg,
  Block,
  BlockKind,
  KeyReach,
  Org,
  OrgStatus,
  OrgSummary,
  RevocationEvent,
  RevocationListener,
  Store,
  UsageFilter,
} from "../store/mod.ts";
import { reservedClaims } from "../profiles/table.ts";
import { checkKeyShape, displayPrefix, generateRawKey, KeyHasher } from "./format.ts";
import { hasImportedShape, importedCandidates, importedPrefix } from "./imported_keys.ts";
import {
  isKeyLabel,
  isOrgName,
  KEY_PREFIX,
  LABEL_RULE,
  ORG_NAME_RULE,
  PREFIX_RULE,
} from "./names.ts";

/** Most key checks kept in memory. */
export const MAX_CACHED = 10_000;

const MISSING: KeyCheck = Object.freeze({ ok: false, reason: "missing" });

/** Why a key was refused. */
export type KeyRefusal =
  | "missing"
  | "malformed"
  | "wrong_prefix"
  | "unknown"
  | "revoked"
  | "expired"
  | "suspended";

/** The outcome of checking a presented key. */
export type KeyCheck =
  | { readonly ok: true; readonly key: ApiKeyWithOrg }
  | { readonly ok: false; readonly reason: KeyRefusal };

/** The outcome of counting one request against a key's limit and quota (src/trust/keys.ts). */
export interface Admission {
  readonly allowed: boolean;
  /** Why it was refused. */
  readonly reason?: "rate_limited" | "quota_exceeded";
  /**
   * The key's per-minute limit as configured, when it has one: what the headers show. With N
   * workers counting in memory each enforces its share (`floor(limit / N)`), an internal detail.
   */
  readonly limit?: number;
  /** Requests left this minute; with N workers, this worker's remainder times N (an estimate). */
  readonly remaining?: number;
  /** Seconds until the window (or the month, for a quota) resets. */
  readonly resetSeconds?: number;
}

/** Input of {@link ApiKeyService.createKey}. */
export interface NewKey {
  readonly orgName: string;
  readonly label: string;
  readonly scopes?: readonly string[];
  readonly claims?: Readonly<Record<string, unknown>>;
  readonly audiences?: readonly string[];
  readonly rateLimitPerMinute?: number | null;
  readonly monthlyQuota?: number | null;
  readonly expiresInSeconds?: number | null;
  /** One of the accepted prefixes; default `store.key_prefix`. */
  readonly prefix?: string;
  /** An admin key's reach (default `org`: its own organisation). */
  readonly reach?: KeyReach;
}

/** Options of {@link ApiKeyService}. */
export interface ApiKeyServiceOptions {
  readonly store: Store;
  readonly pepper: Uint8Array;
  readonly config: StoreConfig;
  /** Milliseconds since the epoch. */
  readonly now?: () => number;
  /**
   * keyguard's `secret_key` (its UTF-8 bytes, from `store.keyguard_secret_key_path`): keys
   * imported from keyguard and not yet presented here are found by keyguard's own hash with it.
   */
  readonly keyguardSecret?: Uint8Array;
  /**
   * Told of the audit writer's background failures (a failed write, events dropped, a failed
   * purge): the server logs them as `audit_flush_failed`.
   */
  readonly onAuditError?: (e: unknown) => void;
}

interface CacheEntry {
  readonly key: ApiKeyWithOrg | null;
  readonly until: number;
}

const SCOPE = /^[\x21-\x7e]{1,128}$/;
/** Entries of `top_keys` in the statistics (keyguard's five). */
const TOP_KEYS = 5;
/** Claims a key may not carry (the `api` kind's reserved and refused claims). */
const API_RESERVED = reservedClaims("api");

/** The API key service (one per process; it outlives config reloads). */
export class ApiKeyService {
  readonly store: Store;
  readonly config: StoreConfig;
  /**
   * The pepper, for the keys derived from it with HKDF, one purpose each (sign-in's CSRF,
   * recovery-code and TOTP-sealing keys: `src/oidc/keys.ts`, derived once by the composition
   * root). Never logged, never sent.
   */
  readonly pepper: Uint8Array;
  readonly #hasher: KeyHasher;
  readonly #now: () => number;
  readonly #keyguardSecret: Uint8Array | undefined;
  readonly #cache = new Map<string, CacheEntry>();
  readonly #inflight = new Map<string, Promise<ApiKeyWithOrg | null>>();
  /** Bumped by every change made here, so a read begun before it is not remembered after it. */
  #generation = 0;
  readonly #usage = new Map<
    string,
    { keyId: string; minute: number; requests: number; errors: number; last: number }
  >();
  #blocks: readonly Block[] = [];
  #blocksUntil = 0;
  #blocksLoading: Promise<void> | undefined;
  #flushTimer: ReturnType<typeof setInterval> | undefined;
  #dropped = 0;
  readonly #listeners: RevocationListener[] = [];
  /** The audit trail's writer to this store (batched; see src/audit/writer.ts). */
  readonly audit: AuditWriter;

  constructor(options: ApiKeyServiceOptions) {
    this.store = options.store;
    this.config = options.config;
    this.#hasher = new KeyHasher(options.pepper);
    this.pepper = options.pepper;
    this.#now = options.now ?? (() => Date.now());
    this.#keyguardSecret = options.keyguardSecret;
    this.audit = new AuditWriter({
      store: options.store,
      retentionDays: options.config.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS,
      now: this.#now,
      ...(options.onAuditError === undefined ? {} : { onError: options.onAuditError }),
    });
  }

  // ---- checking keys (the hot path) ----------------------------------------------------------

  /**
   * Check a presented key: shape, then the cache or the store, then status and expiry.
   *
   * A key may carry a prefix that is not in `accepted_prefixes` when it has the safe shape (any
   * prefix keyguard allows, `src/apikeys/names.ts`): it was imported, or made here with its own
   * prefix, and only a stored row matching the whole key accepts it. An imported key may also
   * carry, until first presented here, a hash of its source's scheme: the lookup then tries that
   * hash too (in the same query), and a key found by it moves to our scheme at once.
   */
  check(raw: string | undefined): KeyCheck | Promise<KeyCheck> {
    if (raw === undefined || raw === "") return MISSING;
    const shape = checkKeyShape(raw, this.config.acceptedPrefixes);
    if ("problem" in shape && !hasImportedShape(raw)) return { ok: false, reason: shape.problem };
    // Whether it may be an imported key is asked only on a store read (#load), not on a hit.
    const found = this.#lookup(this.#hasher.hash(raw), raw);
    // Answered from the cache (the warm path): no promise, no extra turn of the event loop.
    return found instanceof Promise
      ? found.then((key) => this.#checked(key, shape))
      : this.#checked(found, shape);
  }

  #checked(key: ApiKeyWithOrg | null, shape: ReturnType<typeof checkKeyShape>): KeyCheck {
    if (key === null) return { ok: false, reason: "problem" in shape ? shape.problem : "unknown" };
    if (key.status === "revoked") return { ok: false, reason: "revoked" };
    if (key.expiresAt !== null && key.expiresAt * 1000 <= this.#now()) {
      return { ok: false, reason: "expired" };
    }
    if (key.orgStatus === "suspended") return { ok: false, reason: "suspended" };
    return { ok: true, key };
  }

  /** The key with our `hash`, or (given the raw key) one still under an imported scheme. */
  #lookup(hash: string, raw?: string): ApiKeyWithOrg | null | Promise<ApiKeyWithOrg | null> {
    const now = this.#now();
    const hit = this.#cache.get(hash);
    if (hit !== undefined && hit.until > now) {
      // In the second half of its life an entry is re-read behind the requests that use it: a
      // key in use never waits for the store, and what it answers is never older than
      // cache_seconds (a failed re-read leaves the entry to expire).
      if (hit.until - now < this.config.cacheSeconds * 500 && !this.#inflight.has(hash)) {
        this.#loadInto(hash, raw, now).catch(() => {});
      }
      return hit.key;
    }
    return this.#inflight.get(hash) ?? this.#loadInto(hash, raw, now);
  }

  #loadInto(hash: string, raw: string | undefined, now: number): Promise<ApiKeyWithOrg | null> {
    const generation = this.#generation;
    const p = this.#load(raw, hash).then((k) => {
      // A change made here while the read ran (a revocation, a roll) may be missing from it: the
      // answer serves this request but is not remembered.
      if (generation === this.#generation) this.#remember(hash, k, now);
      return k;
    }).finally(() => this.#inflight.delete(hash));
    this.#inflight.set(hash, p);
    return p;
  }

  async #load(presented: string | undefined, hash: string): Promise<ApiKeyWithOrg | null> {
    const raw = presented !== undefined && hasImportedShape(presented) ? presented : undefined;
    const extra = raw === undefined ? [] : importedCandidates(raw, this.#keyguardSecret);
    const key = await this.store.apiKeys.byHashes([{ scheme: "hmac", hash }, ...extra]);
    if (key === undefined) return null;
    if (raw === undefined || (key.hashScheme ?? "hmac") === "hmac") return key;
    // Found under its source's scheme: the key is proven, so the row moves to ours now. When the
    // write fails the key is still accepted, and moves at a later presentation.
    const prefix = importedPrefix(raw);
    const moved = { hash, prefix, displayPrefix: displayPrefix(raw, prefix) };
    try {
      await this.store.apiKeys.moveHash(key.id, key.hash, moved);
      return { ...key, ...moved, hashScheme: "hmac" };
    } catch {
      return key;
    }
  }

  /** Remember a check read at `readAt` (ms): it holds what was true then, for cache_seconds. */
  #remember(hash: string, key: ApiKeyWithOrg | null, readAt: number): void {
    this.#cache.delete(hash);
    this.#cache.set(hash, { key, until: readAt + this.config.cacheSeconds * 1000 });
    if (this.#cache.size > MAX_CACHED) {
      const oldest = this.#cache.keys().next().value;
      if (oldest !== undefined) this.#cache.delete(oldest);
    }
  }

  /** Forget cached checks (this instance sees its own changes at once). */
  #forget(): void {
    this.#generation++;
    this.#cache.clear();
  }

  /** The block in force for an address or principal, if any (refreshed every cache period). */
  blocked(
    kind: BlockKind,
    values: readonly string[],
  ): Block | undefined | Promise<Block | undefined> {
    const now = this.#now();
    const left = this.#blocksUntil - now;
    if (left <= 0) {
      // Never read, or older than cache_seconds: wait for the store.
      return this.#loadBlocks(now).then(() => this.#blockIn(kind, values, now));
    }
    // In the second half of its life the list is re-read behind the requests, so under load a
    // request never waits for the store (and a block still applies within cache_seconds).
    if (left < this.config.cacheSeconds * 500) this.#loadBlocks(now).catch(() => {});
    return this.#blockIn(kind, values, now);
  }

  #blockIn(kind: BlockKind, values: readonly string[], now: number): Block | undefined {
    const blocks = this.#blocks;
    if (blocks.length === 0) return undefined;
    const sec = now / 1000;
    return blocks.find((b) => b.kind === kind && b.until > sec && values.includes(b.value));
  }

  #loadBlocks(now: number): Promise<void> {
    // The list's lifetime counts from when the read began: it holds what was true then.
    return this.#blocksLoading ??= this.store.blocks.active(Math.floor(now / 1000)).then((b) => {
      this.#blocks = b;
      this.#blocksUntil = now + this.config.cacheSeconds * 1000;
    }).finally(() => this.#blocksLoading = undefined);
  }

  /** Count a request (and whether it ended in an error) for the per-minute usage statistics. */
  recordUse(keyId: string, error: boolean): void {
    const now = this.#now();
    const minute = Math.floor(now / 60_000) * 60;
    const k = `${keyId}\u0000${minute}`;
    let e = this.#usage.get(k);
    if (e === undefined) {
      if (this.#usage.size >= MAX_CACHED) {
        this.#dropped++; // flush is overdue; drop rather than grow (reported by the flush timer)
        return;
      }
      this.#usage.set(k, e = { keyId, minute, requests: 0, errors: 0, last: 0 });
    }
    e.requests++;
    if (error) e.errors++;
    e.last = Math.floor(now / 1000);
  }

  /** Write the usage counted so far in one batch; kept for the next try when the store fails. */
  async flushUsage(): Promise<void> {
    if (this.#usage.size === 0) return;
    const batch = [...this.#usage.values()];
    this.#usage.clear();
    try {
      await this.store.usage.add(batch.map((e) => ({
        keyId: e.keyId,
        minute: e.minute,
        requests: e.requests,
        errors: e.errors,
        lastUsedAt: e.last,
      })));
    } catch (e) {
      for (const b of batch) {
        const k = `${b.keyId}\u0000${b.minute}`;
        const cur = this.#usage.get(k);
        if (cur === undefined) this.#usage.set(k, b);
        else {
          cur.requests += b.requests;
          cur.errors += b.errors;
          cur.last = Math.max(cur.last, b.last);
        }
      }
      throw e;
    }
  }

  /**
   * Flush usage every `seconds` until {@link close}. A failed flush, and requests dropped because
   * the store was failing for so long that {@link MAX_CACHED} key-minutes were waiting, are told
   * to `onError` (logged as `usage_flush_failed`). The audit writer starts too (every second,
   * purging hourly; its failures go to `onAuditError`).
   */
  startFlushing(seconds: number, onError: (e: unknown) => void): void {
    this.audit.start();
    this.#flushTimer = setInterval(() => {
      if (this.#dropped > 0) {
        onError(
          new KeypebbleError(
            "store_unavailable",
            `${this.#dropped} counted request(s) were dropped: ${MAX_CACHED} key-minutes were ` +
              "waiting for the store",
          ),
        );
        this.#dropped = 0;
      }
      this.flushUsage().catch(onError);
    }, seconds * 1000);
  }

  /** Requests counted and not yet written to the store. */
  pendingUsage(): number {
    let n = 0;
    for (const e of this.#usage.values()) n += e.requests;
    return n;
  }

  /**
   * Flush what is left and stop the timer (the store is closed by its owner). A failed flush is
   * tried again (`attempts` in all, waiting 0.25, 0.5, 1, 2 s in between), each failure told to
   * `onError`; if the last one fails too, this throws a `store_unavailable` error saying how
   * many counted requests are lost, so that a shutdown says so and exits non-zero instead of
   * dropping them silently. The audit writer is flushed first, the same way; when its events
   * could not all be written, its `AuditLostError` is thrown once usage is done.
   */
  async close(
    options: { attempts?: number; onError?: (e: unknown, attempt: number) => void } = {},
  ): Promise<void> {
    if (this.#flushTimer !== undefined) clearInterval(this.#flushTimer);
    const attempts = options.attempts ?? 5;
    let auditLost: unknown;
    try {
      await this.audit.close({ attempts });
    } catch (e) {
      auditLost = e;
    }
    await this.#closeUsage(attempts, options.onError);
    if (auditLost !== undefined) throw auditLost;
  }

  async #closeUsage(
    attempts: number,
    onError: ((e: unknown, attempt: number) => void) | undefined,
  ): Promise<void> {
    for (let attempt = 1;; attempt++) {
      try {
        await this.flushUsage();
        return;
      } catch (e) {
        onError?.(e, attempt);
        if (attempt >= attempts) {
          throw new KeypebbleError(
            "store_unavailable",
            `${this.pendingUsage()} counted request(s) could not be written to the store ` +
              `${this.store.source} at shutdown (${attempts} attempts)`,
            { cause: e },
          );
        }
      }
      await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
    }
  }

  // ---- administration ------------------------------------------------------------------------

  /** Create an organisation (its name as keyguard allows it: src/apikeys/names.ts). */
  async createOrg(name: string): Promise<Org> {
    if (!isOrgName(name)) throw new KeypebbleError("invalid_request", ORG_NAME_RULE);
    const org: Org = {
      id: crypto.randomUUID(),
      name,
      status: "active",
      createdAt: this.#sec(),
    };
    try {
      await this.store.orgs.create(org);
    } catch (e) {
      if (e instanceof KeypebbleError && e.code === "conflict") {
        throw new KeypebbleError("conflict", `Organisation "${name}" already exists`);
      }
      throw e;
    }
    return org;
  }

  listOrgs(): Promise<OrgSummary[]> {
    return this.store.orgs.list();
  }

  /** An organisation by name or id, or a 404. */
  async org(nameOrId: string): Promise<Org> {
    const org = (await this.store.orgs.byName(nameOrId)) ?? (await this.store.orgs.byId(nameOrId));
    if (org === undefined) {
      throw new KeypebbleError("not_found", `No organisation "${nameOrId.slice(0, 64)}"`);
    }
    return org;
  }

  /** Suspend or resume an organisation (every key of a suspended one is refused). */
  async setOrgStatus(nameOrId: string, status: OrgStatus): Promise<Org> {
    const org = await this.org(nameOrId);
    await this.store.orgs.setStatus(org.id, status);
    this.#forget();
    this.#tell({ kind: "org", name: org.name, suspended: status === "suspended" });
    return { ...org, status };
  }

  /** Hear of revocation changes made here (the process's revocation list). */
  onRevocation(listener: RevocationListener): void {
    this.#listeners.push(listener);
  }

  #tell(e: RevocationEvent): void {
    for (const l of this.#listeners) l(e);
  }

  /** Create a key; the raw key is returned this once and never stored. */
  async createKey(input: NewKey): Promise<{ key: ApiKeyWithOrg; raw: string }> {
    const org = await this.org(input.orgName);
    const rec = this.#newRecord(org.id, input);
    await this.store.apiKeys.insert(rec.record);
    this.#generation++;
    this.#cache.delete(rec.record.hash); // a negative entry must not hide the new key here
    return { key: { ...rec.record, orgName: org.name, orgStatus: org.status }, raw: rec.raw };
  }

  #newRecord(orgId: string, input: Omit<NewKey, "orgName">): { record: ApiKeyRecord; raw: string } {
    // Any prefix of the safe shape (keyguard lets a key have any): a key is found by its hash,
    // and a prefix of this shape is looked up whether or not it is in accepted_prefixes.
    const prefix = input.prefix ?? this.config.keyPrefix;
    if (!KEY_PREFIX.test(prefix)) throw new KeypebbleError("invalid_request", PREFIX_RULE);
    const label = input.label;
    if (!isKeyLabel(label)) throw new KeypebbleError("invalid_request", LABEL_RULE);
    const scopes = [...(input.scopes ?? [])];
    for (const s of scopes) {
      if (typeof s !== "string" || !SCOPE.test(s)) {
        throw new KeypebbleError(
          "invalid_scope",
          "Each scope must be 1 to 128 printable characters without spaces",
        );
      }
    }
    const audiences = [...(input.audiences ?? [])];
    const claims = { ...(input.claims ?? {}) };
    // A key's claims go into its tokens: never a claim the server sets, another kind's, or an
    // account's (src/profiles/table.ts, the `api` kind's refused claims).
    for (const name of Object.keys(claims)) {
      if (name === "sub" || name === "aud" || API_RESERVED.has(name)) {
        throw new KeypebbleError("invalid_claims", `Claim "${name}" cannot be set on a key`);
      }
    }
    const positive = (v: number | null | undefined, what: string): number | null => {
      if (v === undefined || v === null) return null;
      if (!Number.isInteger(v) || v < 1 || v > 1e9) {
        throw new KeypebbleError("invalid_request", `${what} must be a positive integer`);
      }
      return v;
    };
    const now = this.#sec();
    const expiresIn = positive(input.expiresInSeconds, "Expiry");
    const raw = generateRawKey(prefix);
    return {
      raw,
      record: {
        id: crypto.randomUUID(),
        orgId,
        label,
        prefix,
        displayPrefix: displayPrefix(raw, prefix),
        hash: this.#hasher.hash(raw),
        scopes,
        claims,
        audiences,
        rateLimitPerMinute: positive(input.rateLimitPerMinute, "Rate limit"),
        monthlyQuota: positive(input.monthlyQuota, "Monthly quota"),
        expiresAt: expiresIn === null ? null : now + expiresIn,
        createdAt: now,
        lastUsedAt: null,
        status: "active",
        revokedAt: null,
        replacedBy: null,
        reach: input.reach === "all" ? "all" : "org",
      },
    };
  }

  /** A key by id, or a 404. */
  async key(id: string): Promise<ApiKeyWithOrg> {
    const k = await this.store.apiKeys.byId(id);
    if (k === undefined) throw new KeypebbleError("not_found", `No API key "${id.slice(0, 64)}"`);
    return k;
  }

  listKeys(orgName?: string): Promise<ApiKeyWithOrg[]> {
    if (orgName === undefined) return this.store.apiKeys.list();
    return this.org(orgName).then((o) => this.store.apiKeys.list({ orgId: o.id }));
  }

  /** Revoke a key (refused everywhere within `store.cache_seconds`). */
  async revoke(id: string): Promise<ApiKeyWithOrg> {
    const k = await this.key(id);
    if (k.status !== "revoked") await this.store.apiKeys.revoke(id, this.#sec());
    this.#forget();
    this.#tell({ kind: "key", id });
    return { ...k, status: "revoked" };
  }

  /**
   * Roll a key: a new key with the same organisation, label, scopes, claims, audiences and
   * limits; the old one stays valid for `graceSeconds` (0: refused at once), then is refused.
   */
  async roll(
    id: string,
    graceSeconds: number,
  ): Promise<{ key: ApiKeyWithOrg; raw: string; old: ApiKeyWithOrg }> {
    const old = await this.key(id);
    if (old.status === "revoked") {
      throw new KeypebbleError("conflict", "A revoked key cannot be rolled");
    }
    const now = this.#sec();
    const remaining = old.expiresAt === null ? null : Math.max(1, old.expiresAt - now);
    const rec = this.#newRecord(old.orgId, {
      label: old.label,
      scopes: old.scopes,
      claims: old.claims,
      audiences: old.audiences,
      rateLimitPerMinute: old.rateLimitPerMinute,
      monthlyQuota: old.monthlyQuota,
      expiresInSeconds: remaining,
      prefix: old.prefix,
      reach: old.reach,
    });
    await this.store.transaction(async (tx) => {
      await tx.apiKeys.insert(rec.record);
      await tx.apiKeys.retire(old.id, now + graceSeconds, rec.record.id);
    });
    this.#forget();
    return {
      key: { ...rec.record, orgName: old.orgName, orgStatus: old.orgStatus },
      raw: rec.raw,
      old: await this.key(old.id),
    };
  }

  /** Block an address or principal for `seconds`. */
  async block(kind: BlockKind, value: string, seconds: number, reason: string): Promise<Block> {
    // deno-lint-ignore no-control-regex
    if (value === "" || value.length > 256 || /[\x00-\x20\x7f]/.test(value)) {
      throw new KeypebbleError(
        "invalid_request",
        "Block value must be 1 to 256 printable characters without spaces",
      );
    }
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > 31_536_000) {
      throw new KeypebbleError("invalid_request", "Block duration must be 1 to 31536000 seconds");
    }
    const now = this.#sec();
    const b: Block = {
      kind,
      value,
      until: now + seconds,
      reason: reason.slice(0, 256),
      createdAt: now,
    };
    await this.store.blocks.put(b);
    this.#blocksUntil = 0;
    return b;
  }

  /** Lift a block; false when there was none. */
  async unblock(kind: BlockKind, value: string): Promise<boolean> {
    const ok = await this.store.blocks.remove(kind, value);
    this.#blocksUntil = 0;
    return ok;
  }

  listBlocks(): Promise<Block[]> {
    return this.store.blocks.active(this.#sec());
  }

  /** Statistics in keyguard's shape (see the admin API). */
  async stats(): Promise<UsageStats> {
    await this.flushUsage().catch(() => {});
    const now = this.#sec();
    const [orgs, keys, all, hour, top] = await Promise.all([
      this.store.orgs.list(),
      this.store.apiKeys.list(),
      this.store.usage.totals(0),
      this.store.usage.totals(now - 3600),
      this.store.usage.perKey(0, TOP_KEYS),
    ]);
    const byId = new Map(keys.map((k) => [k.id, k]));
    return {
      total_organizations: orgs.length,
      total_keys: keys.length,
      active_keys: keys.filter((k) => isUsable(k, now)).length,
      total_requests: all.requests,
      recent_requests_1h: hour.requests,
      top_keys: top.map((u) => ({
        id: u.keyId,
        label: byId.get(u.keyId)?.label ?? "",
        prefix: byId.get(u.keyId)?.displayPrefix ?? "",
        requests: u.requests,
        errors: u.errors,
      })),
      // keyguard's definition: the percentage of requests answered with a status of 400 or
      // more, rounded to two decimals (2.4 means 2.4 %).
      error_rate: all.requests === 0 ? 0 : Math.round((all.errors / all.requests) * 10_000) / 100,
    };
  }

  /**
   * Requests over time for one key, one organisation's keys, or every key: the last hour in
   * minutes, the last day in hours or the last 30 days in days (every bucket, empty ones as 0),
   * the totals and error rate of the range, the keys with most requests, and for one key its
   * monthly quota and what the current UTC month has used of it.
   */
  async usage(range: UsageRange, filter: UsageFilter): Promise<UsageReport> {
    await this.flushUsage().catch(() => {});
    const { bucket, count } = USAGE_RANGES[range];
    const now = this.#sec();
    const last = Math.floor(now / bucket) * bucket;
    const from = last - (count - 1) * bucket;
    const d = new Date(this.#now());
    const monthStart = Math.floor(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000);
    const [rows, top, keys, monthUsed] = await Promise.all([
      this.store.usage.series(from, bucket, filter),
      this.store.usage.perKeyWithin(from, 10, filter),
      this.store.apiKeys.list(),
      filter.keyId === undefined
        ? Promise.resolve(0)
        : this.store.usage.forKey(filter.keyId, monthStart),
    ]);
    const byStart = new Map(rows.map((r) => [r.start, r]));
    const buckets = [];
    let requests = 0;
    let errors = 0;
    for (let t = from; t <= last; t += bucket) {
      const r = byStart.get(t);
      buckets.push({ start: t, requests: r?.requests ?? 0, errors: r?.errors ?? 0 });
      requests += r?.requests ?? 0;
      errors += r?.errors ?? 0;
    }
    const byId = new Map(keys.map((k) => [k.id, k]));
    const key = filter.keyId === undefined ? undefined : byId.get(filter.keyId);
    return {
      range,
      bucketSeconds: bucket,
      from,
      to: last + bucket,
      buckets,
      requests,
      errors,
      topKeys: top.map((u) => ({ ...u, key: byId.get(u.keyId) })),
      ...(filter.keyId === undefined ? {} : {
        quota: {
          monthlyQuota: key?.monthlyQuota ?? null,
          used: monthUsed,
          monthStart,
        },
      }),
    };
  }

  #sec(): number {
    return Math.floor(this.#now() / 1000);
  }
}

/** The windows of {@link ApiKeyService.usage}: bucket size and count. */
export const USAGE_RANGES = {
  hour: { bucket: 60, count: 60 },
  day: { bucket: 3600, count: 24 },
  month: { bucket: 86_400, count: 30 },
} as const;

/** A window of {@link ApiKeyService.usage}. */
export type UsageRange = keyof typeof USAGE_RANGES;

/** What {@link ApiKeyService.usage} answers (times in seconds since the epoch). */
export interface UsageReport {
  readonly range: UsageRange;
  readonly bucketSeconds: number;
  readonly from: number;
  readonly to: number;
  readonly buckets: readonly { start: number; requests: number; errors: number }[];
  readonly requests: number;
  readonly errors: number;
  /** Most requests first; `key` is absent for a key deleted since. */
  readonly topKeys: readonly {
    keyId: string;
    requests: number;
    errors: number;
    key: ApiKeyWithOrg | undefined;
  }[];
  /** For one key: its monthly quota (null: none) and the requests of this UTC month. */
  readonly quota?: { monthlyQuota: number | null; used: number; monthStart: number };
}

/** keyguard's `GET /admin/stats` body. */
export interface UsageStats {
  total_organizations: number;
  total_keys: number;
  active_keys: number;
  total_requests: number;
  recent_requests_1h: number;
  /** The five keys with the most requests (calls of the admin API are not counted). */
  top_keys: { id: string; label: string; prefix: string; requests: number; errors: number }[];
  /** Percentage of requests answered with a status of 400 or more (keyguard's meaning). */
  error_rate: number;
}

/** True when a key would be accepted now (active, unexpired, organisation active). */
export function isUsable(k: ApiKeyWithOrg, nowSec: number): boolean {
  return k.status === "active" && (k.expiresAt === null || k.expiresAt > nowSec) &&
    k.orgStatus === "active";
}

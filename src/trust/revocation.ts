/**
 * One revocation model, checked by every consumer of our tokens (introspection, token exchange,
 * the refresh paths, the account routes): a token is revoked when
 *
 * - its `jti`, or the `jti` of a token it was exchanged from (`kp_parent`), was revoked;
 * - it was minted for an API key that is revoked, or for an organisation that is suspended;
 * - it is an account's (or exchanged from one) and the account is suspended;
 * - it was issued before its subject's cutoff (a password change or reset, a suspension).
 *
 * The list is a snapshot of the store held in memory, so a check costs no database round trip:
 * once it is older than `store.cache_seconds` the next check starts a re-read in the background
 * (and goes on with the snapshot it has), and changes made by this process apply at once (the
 * services tell it, {@link RevocationList.apply}). A revocation made on another
 * worker or instance therefore holds everywhere within `store.cache_seconds`. When the store
 * cannot be read for longer than {@link STALE_FACTOR} times that (at least 30 s), checks answer
 * 503 `store_unavailable` rather than trust an old list: a failure never allows what a working
 * store would refuse. Without a store nothing can be revoked and the list is always empty.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { Logger } from "../log/mod.ts";
import type { RevocationEvent, Store } from "../store/mod.ts";

/** What a check needs to know of a token. */
export interface TokenFacts {
  readonly jti?: string;
  /** The `jti`s of the tokens it came from (exchange lineage). */
  readonly parents?: readonly string[];
  /** The subject a cutoff applies to, and the token's issue time. */
  readonly subject?: string;
  readonly iat?: number;
  /** The account it speaks for (suspension). */
  readonly account?: string;
  /** The API key it was minted for. */
  readonly keyId?: string;
  /** The organisation (by name) it belongs to. */
  readonly org?: string;
}

/** Options of {@link RevocationList}. */
export interface RevocationListOptions {
  readonly store?: Store;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** `store.cache_seconds`: how often the snapshot is re-read. */
  readonly cacheSeconds: number;
  /**
   * How far back a key revocation still matters: the longest lifetime of a token minted for a
   * key (tokens older than that have expired on their own).
   */
  readonly keyWindowSeconds: number;
  readonly logger?: Logger;
}

/** A stale snapshot is refused after this many refresh periods (and at least 30 s). */
export const STALE_FACTOR = 3;

/** Why a token is revoked, for logs and tests (never told to a client). */
export type RevokedReason =
  | "jti"
  | "parent"
  | "key"
  | "org"
  | "account"
  | "cutoff";

/** The revocation list of one process. */
export class RevocationList {
  readonly #store: Store | undefined;
  readonly #now: () => number;
  readonly #periodMs: number;
  readonly #staleMs: number;
  readonly #keyWindow: number;
  readonly #logger: Logger | undefined;
  #jtis = new Set<string>();
  #keys = new Set<string>();
  #orgs = new Set<string>();
  #accounts = new Set<string>();
  #cutoffs = new Map<string, number>();
  /** Changes made here since the last load began: re-applied over the loaded snapshot. */
  #pending: RevocationEvent[] = [];
  #loadedAt = Number.NEGATIVE_INFINITY;
  #loading: Promise<void> | undefined;

  constructor(options: RevocationListOptions) {
    this.#store = options.store;
    this.#now = options.now;
    this.#periodMs = options.cacheSeconds * 1000;
    this.#staleMs = Math.max(30_000, STALE_FACTOR * this.#periodMs);
    this.#keyWindow = options.keyWindowSeconds;
    this.#logger = options.logger;
  }

  /** Whether anything can be revoked here (a store is configured). */
  get enabled(): boolean {
    return this.#store !== undefined;
  }

  /**
   * Make sure the snapshot is usable: resolves at once when it is fresh; starts a refresh in the
   * background when it is older than a period; waits for one when it was never loaded or is
   * stale; throws `store_unavailable` when the store cannot be read and the snapshot is stale.
   * Returns `undefined` (no promise) on the fast path.
   */
  ready(): Promise<void> | undefined {
    if (this.#store === undefined) return undefined;
    const age = this.#now() - this.#loadedAt;
    if (age < this.#periodMs) return undefined;
    const loading = this.refresh();
    if (age < this.#staleMs) {
      loading.catch(() => {});
      return undefined;
    }
    return loading.catch((e) => {
      throw e instanceof KeypebbleError && e.code === "store_unavailable" ? e : new KeypebbleError(
        "store_unavailable",
        "The revocation list cannot be read; try again later",
        { cause: e },
      );
    });
  }

  /** Re-read the snapshot from the store (one load at a time). */
  refresh(): Promise<void> {
    if (this.#store === undefined) return Promise.resolve();
    return this.#loading ??= this.#load(this.#store).finally(() => {
      this.#loading = undefined;
    });
  }

  async #load(store: Store): Promise<void> {
    const startedAt = this.#now();
    const now = Math.floor(startedAt / 1000);
    const mark = this.#pending.length;
    try {
      const [jtis, keys, orgs, accounts, cutoffs] = await Promise.all([
        store.revocations.activeJtis(now),
        store.apiKeys.revokedSince(now - this.#keyWindow),
        store.orgs.suspendedNames(),
        store.users.suspendedIds(),
        store.revocations.activeCutoffs(now),
      ]);
      this.#jtis = new Set(jtis);
      this.#keys = new Set(keys);
      this.#orgs = new Set(orgs);
      this.#accounts = new Set(accounts);
      this.#cutoffs = new Map(cutoffs.map((c) => [c.subject, c.notBefore]));
      // Changes made here while the load ran may be missing from what it read: apply them again.
      const later = this.#pending.slice(mark);
      this.#pending = [];
      for (const e of later) this.#applyOne(e);
      this.#loadedAt = startedAt;
    } catch (e) {
      this.#logger?.warn("revocations_unreadable", {
        error: e instanceof Error ? e.message.slice(0, 200) : String(e),
      });
      throw e;
    }
  }

  /** Apply a change made by this process at once (it is already in the store). */
  apply(event: RevocationEvent): void {
    this.#pending.push(event);
    if (this.#pending.length > 10_000) this.#pending.shift();
    this.#applyOne(event);
  }

  #applyOne(e: RevocationEvent): void {
    switch (e.kind) {
      case "jti":
        this.#jtis.add(e.jti);
        break;
      case "key":
        this.#keys.add(e.id);
        break;
      case "org":
        if (e.suspended) this.#orgs.add(e.name);
        else this.#orgs.delete(e.name);
        break;
      case "account":
        if (e.suspended) this.#accounts.add(e.id);
        else this.#accounts.delete(e.id);
        break;
      case "cutoff": {
        const was = this.#cutoffs.get(e.subject);
        if (was === undefined || was < e.notBefore) this.#cutoffs.set(e.subject, e.notBefore);
        break;
      }
    }
  }

  /**
   * Why the token is revoked, or `undefined` when it is not. Synchronous: call (and await)
   * {@link ready} first.
   */
  revoked(f: TokenFacts): RevokedReason | undefined {
    if (this.#store === undefined) return undefined;
    if (f.jti !== undefined && this.#jtis.has(f.jti)) return "jti";
    if (f.parents !== undefined) {
      for (const p of f.parents) if (this.#jtis.has(p)) return "parent";
    }
    if (f.keyId !== undefined && this.#keys.has(f.keyId)) return "key";
    if (f.org !== undefined && this.#orgs.has(f.org)) return "org";
    if (f.account !== undefined && this.#accounts.has(f.account)) return "account";
    if (f.subject !== undefined) {
      const cutoff = this.#cutoffs.get(f.subject);
      // A token issued in the very second of the change is kept (iat has seconds only); the
      // change's own request holds the old token, which is what must stop working: it was
      // issued strictly before.
      if (cutoff !== undefined && (f.iat ?? 0) < cutoff) return "cutoff";
    }
    return undefined;
  }
}

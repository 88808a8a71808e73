/**
 * A short-lived memory of successful password checks, so that a client sending Basic credentials
 * on every request does not pay for PBKDF2 each time.
 *
 * Keys are HMAC-SHA-256 (with a random per-process key) of `user \0 password \0 stored-hash`, so
 * the password itself is never kept,
 * and a changed hash (policy reload) misses. Only successes are stored: a failure always costs a
 * full verification. Bounded (least recently used entries go first) with a TTL.
 *
 * A second table remembers whole `Authorization: Basic` values (their HMAC, never the value) that
 * verified, with the user and the stored hash they verified against: a client that sends the same
 * header on every request is known from it at once, without decoding it; a changed hash misses.
 * @module
 */

import { HmacSha256 } from "../jose/hmac_sha256.ts";

/** A bounded TTL cache of verified credentials. The clock is passed in (milliseconds). */
export class CredentialCache {
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  /** key → expiry (ms); Map insertion order is the LRU order. */
  readonly #entries = new Map<string, number>();
  /** HMAC of an Authorization value → what it verified as (insertion order: oldest first). */
  readonly #headers = new Map<string, { user: string; phc: string; expires: number }>();

  /**
   * @param options.maxEntries most entries kept (default 1024)
   * @param options.ttlSeconds how long a success is remembered (default 60)
   */
  constructor(options: { maxEntries?: number; ttlSeconds?: number } = {}) {
    this.#maxEntries = Math.max(0, options.maxEntries ?? 1024);
    this.#ttlMs = Math.max(0, options.ttlSeconds ?? 60) * 1000;
  }

  /** Number of entries currently held (expired ones included until touched). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * True when this exact user, password and stored hash verified within the TTL.
   * @param now current time in milliseconds since the epoch
   */
  async get(user: string, password: string, phc: string, now: number): Promise<boolean> {
    if (this.#maxEntries === 0 || this.#entries.size === 0) return false;
    const key = await _key(user, password, phc);
    const expires = this.#entries.get(key);
    if (expires === undefined) return false;
    this.#entries.delete(key);
    if (now >= expires) return false;
    this.#entries.set(key, expires); // most recently used
    return true;
  }

  /**
   * True when this exact user, password and stored hash verified within the TTL, without
   * touching the LRU order (a hint that {@link get} will answer without hashing).
   */
  peek(user: string, password: string, phc: string, now: number): boolean {
    if (this.#maxEntries === 0 || this.#entries.size === 0) return false;
    const expires = this.#entries.get(_keySync(user, password, phc));
    return expires !== undefined && now < expires;
  }

  /**
   * Records a successful verification.
   * @param now current time in milliseconds since the epoch
   */
  async remember(user: string, password: string, phc: string, now: number): Promise<void> {
    if (this.#maxEntries === 0 || this.#ttlMs === 0) return;
    const key = await _key(user, password, phc);
    this.#entries.delete(key);
    this.#entries.set(key, now + this.#ttlMs);
    while (this.#entries.size > this.#maxEntries) {
      this.#entries.delete(this.#entries.keys().next().value as string);
    }
  }

  /**
   * The user an `Authorization` header value verified as within the TTL, when `phcOf(user)`
   * (the policy's current hash) is still the hash it verified against; else undefined.
   */
  basicUser(
    header: string,
    phcOf: (user: string) => string | undefined,
    now: number,
  ): string | undefined {
    if (this.#headers.size === 0) return undefined;
    const key = _headerKey(header);
    const e = this.#headers.get(key);
    if (e === undefined) return undefined;
    if (now >= e.expires || phcOf(e.user) !== e.phc) {
      this.#headers.delete(key);
      return undefined;
    }
    return e.user;
  }

  /** Records that `header` verified as `user` against the stored hash `phc`. */
  rememberBasic(header: string, user: string, phc: string, now: number): void {
    if (this.#maxEntries === 0 || this.#ttlMs === 0) return;
    const key = _headerKey(header);
    this.#headers.delete(key);
    this.#headers.set(key, { user, phc, expires: now + this.#ttlMs });
    while (this.#headers.size > this.#maxEntries) {
      this.#headers.delete(this.#headers.keys().next().value as string);
    }
  }

  /** Forgets everything (e.g. when the policy is reloaded). */
  clear(): void {
    this.#entries.clear();
    this.#headers.clear();
  }
}

/**
 * Keyed with a random per-process secret, so a key seen in a memory dump cannot be tested
 * against guessed passwords elsewhere. Synchronous: a cache hit must stay cheap.
 */
const _keyMac = new HmacSha256(crypto.getRandomValues(new Uint8Array(32)));

function _key(user: string, password: string, phc: string): Promise<string> {
  return Promise.resolve(_keySync(user, password, phc));
}

function _keySync(user: string, password: string, phc: string): string {
  return _keyMac.signHex(`${user}\0${password}\0${phc}`);
}

function _headerKey(header: string): string {
  return _keyMac.signHex(`basic\0${header}`);
}

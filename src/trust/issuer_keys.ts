/**
 * The signing keys of trusted issuers (RFC 8693 subject tokens from, e.g., a Kubernetes cluster's
 * service-account issuer): each issuer's JWKS (RFC 7517) is fetched on first use and cached for
 * its `cache_seconds`. A token whose `kid` is unknown triggers one early refetch, at most every
 * {@link REFETCH_FLOOR_MS}, so a key rotation is picked up without letting unknown kids make us
 * fetch on every request. When a refetch fails, the cached keys keep serving until they expire;
 * with none cached, the exchange is refused (`invalid_grant`), never allowed.
 */

import type { TrustedIssuerConfig } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import { importPublicJwk, type KeyEntry } from "../jose/mod.ts";

/** Shortest interval between two fetches of one issuer's JWKS. */
export const REFETCH_FLOOR_MS = 30_000;
/** Largest JWKS document read. */
const MAX_JWKS_BYTES = 256 * 1024;

interface Entry {
  keys: KeyEntry[];
  fetchedAt: number;
  until: number;
  loading?: Promise<KeyEntry[]>;
}

/** A cache of trusted issuers' keys. */
export class IssuerKeyCache {
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry>();

  constructor(options: { now: () => number; fetch?: typeof fetch }) {
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now;
  }

  /**
   * The issuer's keys; `kid` (from the token) forces a refetch when no cached key has it and
   * the last fetch is older than {@link REFETCH_FLOOR_MS}.
   */
  async keys(issuer: TrustedIssuerConfig, kid?: string): Promise<KeyEntry[]> {
    const now = this.#now();
    const e = this.#entries.get(issuer.jwksUri);
    const fresh = e !== undefined && e.until > now;
    const missingKid = kid !== undefined && e !== undefined &&
      !e.keys.some((k) => k.kid === kid) && now - e.fetchedAt >= REFETCH_FLOOR_MS;
    if (fresh && !missingKid) return e.keys;
    if (e?.loading !== undefined) return await e.loading;
    const loading = this.#load(issuer);
    if (e !== undefined) e.loading = loading;
    try {
      const keys = await loading;
      this.#entries.set(issuer.jwksUri, {
        keys,
        fetchedAt: now,
        until: now + issuer.cacheSeconds * 1000,
      });
      return keys;
    } catch (err) {
      if (e !== undefined) {
        delete e.loading;
        if (e.until > now) return e.keys;
      }
      throw err;
    }
  }

  async #load(issuer: TrustedIssuerConfig): Promise<KeyEntry[]> {
    const fail = (why: string) =>
      new KeypebbleError(
        "invalid_grant",
        `The keys of issuer "${issuer.issuer}" are unavailable: ${why}`,
      );
    let res: Response;
    try {
      res = await this.#fetch(issuer.jwksUri, {
        headers: { accept: "application/jwk-set+json, application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw fail("the JWKS could not be fetched");
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw fail(`the JWKS answered ${res.status}`);
    }
    const text = await res.text();
    if (text.length > MAX_JWKS_BYTES) throw fail("the JWKS is too large");
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw fail("the JWKS is not JSON");
    }
    const list = (doc as { keys?: unknown })?.keys;
    if (!Array.isArray(list)) throw fail('the JWKS has no "keys" list');
    const keys: KeyEntry[] = [];
    for (const jwk of list.slice(0, 32)) {
      try {
        keys.push(await importPublicJwk(jwk));
      } catch {
        // A key we cannot use (another algorithm, an encryption key) is skipped.
      }
    }
    if (keys.length === 0) throw fail("the JWKS has no usable signing key");
    return keys;
  }
}

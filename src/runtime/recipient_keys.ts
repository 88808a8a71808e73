/**
 * A relying party's encryption key published at a JWKS URL (`profiles.<kind>.encrypt.to:
 * https://…`), for the kinds whose tokens are JWEs to it. Like the trusted issuers' keys
 * (src/oauth/issuer_keys.ts): fetched on first use with a timeout, no redirects and a size cap,
 * cached for {@link RECIPIENT_CACHE_MS}, and never fetched more often than every
 * {@link RECIPIENT_REFETCH_FLOOR_MS}, whatever the traffic.
 *
 * When a refresh fails, the key already fetched keeps being used (a relying party that is down
 * must not stop the issuer) and the next attempt waits for the floor; with no key ever fetched,
 * minting that kind fails with `encryption_key_unavailable` (503), never with an unencrypted
 * token.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import { type JweAlg, type JweEnc, JweEncrypter, recipientFromJwkOrSet } from "../jose/mod.ts";

/** How long a fetched JWKS is used before it is fetched again. */
export const RECIPIENT_CACHE_MS = 300_000;
/** Shortest interval between two fetches of one URL, failed ones included. */
export const RECIPIENT_REFETCH_FLOOR_MS = 30_000;
/** Per-request timeout. */
const FETCH_TIMEOUT_MS = 5_000;
/** Largest JWKS document read. */
const MAX_JWKS_BYTES = 256 * 1024;

/** Options of {@link RemoteRecipient}. */
export interface RemoteRecipientOptions {
  readonly url: string;
  readonly alg?: JweAlg;
  readonly enc: JweEnc;
  /** Where the setting is, for messages (`kp.yaml: profiles.auth.encrypt.to`). */
  readonly where: string;
  /** Milliseconds since the epoch (injected for tests). */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
}

/** The current encrypter for a JWKS URL recipient. */
export class RemoteRecipient {
  readonly #o: RemoteRecipientOptions;
  readonly #now: () => number;
  readonly #fetch: typeof fetch;
  #current: JweEncrypter | undefined;
  #fetchedAt = -Infinity;
  #attemptAt = -Infinity;
  #loading: Promise<JweEncrypter> | undefined;
  #lastError: string | undefined;

  constructor(options: RemoteRecipientOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Why the last fetch failed, if it did (for logs and tests; never a key). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  /** The encrypter to use now; fetches when the cache is old and the floor allows. */
  encrypter(): Promise<JweEncrypter> {
    const now = this.#now();
    const fresh = this.#current !== undefined && now - this.#fetchedAt < RECIPIENT_CACHE_MS;
    const mayFetch = now - this.#attemptAt >= RECIPIENT_REFETCH_FLOOR_MS;
    if (fresh) return Promise.resolve(this.#current!);
    // A fetch under way serves everyone who asks meanwhile.
    if (this.#loading !== undefined) return this.#loading;
    if (!mayFetch && this.#current !== undefined) return Promise.resolve(this.#current);
    if (!mayFetch) {
      return Promise.reject(this.#unavailable());
    }
    return this.#loading = this.#refresh(now).finally(() => {
      this.#loading = undefined;
    });
  }

  async #refresh(now: number): Promise<JweEncrypter> {
    this.#attemptAt = now;
    try {
      const recipient = await recipientFromJwkOrSet(await this.#load(), {
        ...(this.#o.alg === undefined ? {} : { alg: this.#o.alg }),
        enc: this.#o.enc,
      });
      this.#current = await JweEncrypter.create(recipient, { cty: "JWT" });
      this.#fetchedAt = now;
      this.#lastError = undefined;
      return this.#current;
    } catch (e) {
      this.#lastError = e instanceof Error ? e.message : String(e);
      if (this.#current !== undefined) return this.#current;
      throw this.#unavailable();
    }
  }

  #unavailable(): KeypebbleError {
    return new KeypebbleError(
      "encryption_key_unavailable",
      `The encryption key of this kind's relying party is unavailable${
        this.#lastError === undefined ? "" : `: ${this.#lastError}`
      }`,
    );
  }

  async #load(): Promise<unknown> {
    let res: Response;
    try {
      res = await this.#fetch(this.#o.url, {
        headers: { accept: "application/jwk-set+json, application/json" },
        redirect: "error",
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch {
      throw new Error("the JWKS could not be fetched");
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`the JWKS answered ${res.status}`);
    }
    const text = await _readCapped(res, MAX_JWKS_BYTES);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error("the JWKS is not JSON");
    }
  }
}

/** A response body as text, refusing (and cancelling) one longer than `max` bytes. */
async function _readCapped(res: Response, max: number): Promise<string> {
  if (res.body === null) return "";
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel();
      throw new Error("the JWKS is too large");
    }
    parts.push(value);
  }
  const all = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new TextDecoder().decode(all);
}

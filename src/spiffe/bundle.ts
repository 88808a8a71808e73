/**
 * Trust bundles, in two views that are never mixed:
 *
 * - the **spiffile bundle document** (spiffile PROFILE §2): `trust_domain`,
 *   `spiffile_version: 1` and `identities`, a JWK Set per SPIFFE ID. A key validates only tokens
 *   whose `sub` it is bound to (PROFILE §2.1), so each service may sign for itself alone.
 *   Keypebble also keeps `spiffe_sequence` in it, the root's change counter.
 * - the **SPIFFE bundle** (SPIFFE Trust Domain and Bundle §4): one flat JWKS for the trust
 *   domain, every key with `use: "jwt-svid"` and `kid`, plus `spiffe_sequence` and
 *   `spiffe_refresh_hint`. Any key in it vouches for any ID of the domain, so it may only hold
 *   the central issuer's keys.
 *
 * @module
 */

import type { SvidJwk } from "./ec_keys.ts";
import { InvalidSpiffeIdError, parseSpiffeId, validateTrustDomain } from "./spiffe_id.ts";

/** Thrown for a bundle document that cannot be used. */
export class InvalidBundleError extends Error {
  /** Stable code, as in Keypebble's JSON errors. */
  readonly code = "invalid_bundle";
  /** An error saying what is wrong with the bundle document. */
  constructor(message: string) {
    super(message);
    this.name = "InvalidBundleError";
  }
}

/** The only spiffile document version this code reads and writes (PROFILE §2). */
export const SPIFFILE_VERSION = 1;

/** A parsed spiffile bundle document. */
export interface SpiffileBundle {
  /** The trust domain every identity of the bundle belongs to. */
  readonly trustDomain: string;
  /** SPIFFE ID → its bound public keys (never empty). */
  readonly identities: ReadonlyMap<string, readonly SvidJwk[]>;
  /** Keypebble's change counter for the root; 0 when the document has none. */
  readonly sequence: number;
}

/** The JSON shape of a spiffile bundle document. */
export interface SpiffileBundleDocument {
  trust_domain: string;
  spiffile_version: 1;
  spiffe_sequence?: number;
  identities: Record<string, { keys: SvidJwk[] }>;
}

function _isPublicEcJwk(k: unknown): k is SvidJwk {
  if (typeof k !== "object" || k === null || Array.isArray(k)) return false;
  const j = k as Record<string, unknown>;
  return j.kty === "EC" && j.crv === "P-256" && typeof j.x === "string" &&
    typeof j.y === "string" && typeof j.kid === "string" && j.kid.length > 0 &&
    j.kid.length <= 256 && !("d" in j);
}

/**
 * Read a spiffile bundle document (already JSON-parsed).
 *
 * `strict` (what the provisioning commands use on their own root) refuses any bad entry;
 * otherwise, as a verifier, a bad entry is skipped so it cannot take down verification for the
 * others, and the skipped IDs are reported in `skipped`.
 * @throws {InvalidBundleError} for a document that is not a spiffile bundle at all
 */
export function parseSpiffileBundle(
  doc: unknown,
  options: { strict?: boolean } = {},
): SpiffileBundle & { skipped: string[] } {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new InvalidBundleError("Bundle is not a JSON object");
  }
  const d = doc as Record<string, unknown>;
  if (d.spiffile_version !== SPIFFILE_VERSION) {
    throw new InvalidBundleError(
      `Bundle "spiffile_version" must be ${SPIFFILE_VERSION}, got ${
        JSON.stringify(d.spiffile_version ?? null)?.slice(0, 20)
      }`,
    );
  }
  if (typeof d.trust_domain !== "string") {
    throw new InvalidBundleError('Bundle "trust_domain" must be a string');
  }
  try {
    validateTrustDomain(d.trust_domain);
  } catch (e) {
    throw new InvalidBundleError(`Bundle "trust_domain": ${(e as Error).message}`);
  }
  const ids = d.identities;
  if (typeof ids !== "object" || ids === null || Array.isArray(ids)) {
    throw new InvalidBundleError('Bundle "identities" must be an object');
  }
  const seq = d.spiffe_sequence;
  if (seq !== undefined && (!Number.isSafeInteger(seq) || (seq as number) < 0)) {
    throw new InvalidBundleError('Bundle "spiffe_sequence" must be a non-negative integer');
  }
  const identities = new Map<string, readonly SvidJwk[]>();
  const skipped: string[] = [];
  for (const [id, set] of Object.entries(ids as Record<string, unknown>)) {
    let problem: string | undefined;
    try {
      if (parseSpiffeId(id).trustDomain !== d.trust_domain) problem = "is in another trust domain";
    } catch (e) {
      problem = e instanceof InvalidSpiffeIdError ? e.message : "is not a SPIFFE ID";
    }
    const keys = typeof set === "object" && set !== null
      ? (set as Record<string, unknown>).keys
      : undefined;
    if (problem === undefined) {
      if (!Array.isArray(keys) || keys.length === 0) problem = "has no keys";
      else if (!keys.every(_isPublicEcJwk)) {
        problem = "has a key that is not a public EC P-256 JWK with a kid";
      }
    }
    if (problem !== undefined) {
      if (options.strict) {
        throw new InvalidBundleError(`Bundle identity ${JSON.stringify(id)} ${problem}`);
      }
      skipped.push(id);
      continue;
    }
    identities.set(id, Object.freeze((keys as SvidJwk[]).map((k) => ({ ...k }))));
  }
  return { trustDomain: d.trust_domain, identities, sequence: (seq as number) ?? 0, skipped };
}

/** The JSON document for a bundle (identities sorted, so rewriting is stable). */
export function spiffileBundleDocument(b: SpiffileBundle): SpiffileBundleDocument {
  const identities: Record<string, { keys: SvidJwk[] }> = {};
  for (const id of [...b.identities.keys()].sort()) {
    identities[id] = { keys: b.identities.get(id)!.map((k) => ({ ...k })) };
  }
  return {
    trust_domain: b.trustDomain,
    spiffile_version: SPIFFILE_VERSION,
    spiffe_sequence: b.sequence,
    identities,
  };
}

/** The SPIFFE bundle (Trust Domain and Bundle §4) for a set of central issuer keys. */
export function spiffeBundleDocument(
  keys: readonly SvidJwk[],
  options: { sequence: number; refreshHintSeconds: number },
): { keys: SvidJwk[]; spiffe_sequence: number; spiffe_refresh_hint: number } {
  return {
    // §4.2.2: a JWT authority carries `use: "jwt-svid"` and a `kid`.
    keys: keys.map((k) => ({ ...k, use: "jwt-svid", alg: "ES256" })),
    spiffe_sequence: options.sequence,
    spiffe_refresh_hint: options.refreshHintSeconds,
  };
}

/**
 * SPIFFE IDs (SPIFFE-ID standard §2): `spiffe://<trust-domain>[/<path>]`.
 *
 * - scheme exactly `spiffe` (lower case), then `://`;
 * - trust domain (§2.1): 1 to 255 characters of `a-z 0-9 . - _` (lower case only, no port,
 *   no userinfo);
 * - path (§2.2): segments of `a-z A-Z 0-9 . - _`, never empty (no `//`, no trailing `/`), never
 *   `.` or `..`; no percent-encoding, query or fragment;
 * - at most 2048 bytes in all (§2.3).
 *
 * Dependency-free: used by the server, the CLI and the services' TypeScript module.
 *
 * @example
 * ```ts
 * const id = parseSpiffeId("spiffe://edge.example/sensors/t-1");
 * id.trustDomain; // "edge.example"
 * id.path;        // "/sensors/t-1"
 * ```
 * @module
 */

/** Thrown for a string that is not a valid SPIFFE ID, trust domain or service name. */
export class InvalidSpiffeIdError extends Error {
  /** Stable code, as in Keypebble's JSON errors. */
  readonly code = "invalid_spiffe_id";
  /** An error saying what is wrong with the ID (never the whole input if it is long). */
  constructor(message: string) {
    super(message);
    this.name = "InvalidSpiffeIdError";
  }
}

/** A parsed SPIFFE ID. */
export interface SpiffeId {
  /** The trust domain (the URI's host). */
  readonly trustDomain: string;
  /** `""` for the trust domain's own ID, else `/seg/seg`. */
  readonly path: string;
  /** The canonical string form. */
  readonly id: string;
}

/** SPIFFE-ID §2.3: implementations must support, and never produce, IDs over 2048 bytes. */
export const MAX_SPIFFE_ID_LENGTH = 2048;
/** SPIFFE-ID §2.3: the host part of a URI is at most 255 characters (RFC 3986). */
export const MAX_TRUST_DOMAIN_LENGTH = 255;

const PREFIX = "spiffe://";
const TRUST_DOMAIN_RE = /^[a-z0-9._-]+$/;
const SEGMENT_RE = /^[A-Za-z0-9._-]+$/;

function _show(s: string): string {
  const cut = s.length > 80 ? s.slice(0, 80) + "…" : s;
  return JSON.stringify(cut).replace(/[^\x20-\x7e…]/g, "?");
}

/**
 * Check a trust domain name (SPIFFE-ID §2.1).
 * @throws {InvalidSpiffeIdError}
 */
export function validateTrustDomain(td: string): string {
  if (td.length === 0) throw new InvalidSpiffeIdError("Trust domain is empty");
  if (td.length > MAX_TRUST_DOMAIN_LENGTH) {
    throw new InvalidSpiffeIdError(
      `Trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} characters`,
    );
  }
  if (!TRUST_DOMAIN_RE.test(td)) {
    throw new InvalidSpiffeIdError(
      `Trust domain ${_show(td)} may only contain lower-case letters, digits, ".", "-" and "_"`,
    );
  }
  return td;
}

/**
 * Check a SPIFFE path without its leading slash (`orders`, `sensors/t-1`): the NAME of a service
 * in a spiffile root. Segments are never empty, `.` or `..`, so a name can never leave
 * `services/`.
 * @throws {InvalidSpiffeIdError}
 */
export function validateServiceName(name: string): string {
  if (name.length === 0) throw new InvalidSpiffeIdError("Service name is empty");
  if (name.length > MAX_SPIFFE_ID_LENGTH) {
    throw new InvalidSpiffeIdError(`Service name is longer than ${MAX_SPIFFE_ID_LENGTH} bytes`);
  }
  for (const seg of name.split("/")) _checkSegment(seg, name);
  return name;
}

function _checkSegment(seg: string, whole: string): void {
  if (seg === "") {
    throw new InvalidSpiffeIdError(
      `Path ${_show(whole)} has an empty segment (a leading, doubled or trailing "/")`,
    );
  }
  if (seg === "." || seg === "..") {
    throw new InvalidSpiffeIdError(`Path ${_show(whole)} has a "${seg}" segment`);
  }
  if (!SEGMENT_RE.test(seg)) {
    throw new InvalidSpiffeIdError(
      `Path segment ${_show(seg)} may only contain letters, digits, ".", "-" and "_"`,
    );
  }
}

/**
 * Parse and validate a SPIFFE ID.
 * @throws {InvalidSpiffeIdError} naming the rule that failed
 */
export function parseSpiffeId(s: string): SpiffeId {
  if (typeof s !== "string") throw new InvalidSpiffeIdError("SPIFFE ID must be a string");
  if (new TextEncoder().encode(s).length > MAX_SPIFFE_ID_LENGTH) {
    throw new InvalidSpiffeIdError(`SPIFFE ID is longer than ${MAX_SPIFFE_ID_LENGTH} bytes`);
  }
  if (!s.startsWith(PREFIX)) {
    throw new InvalidSpiffeIdError(`SPIFFE ID ${_show(s)} must start with "spiffe://"`);
  }
  const rest = s.slice(PREFIX.length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  validateTrustDomain(trustDomain);
  const path = slash === -1 ? "" : rest.slice(slash);
  if (path !== "") {
    if (path === "/") {
      throw new InvalidSpiffeIdError(`SPIFFE ID ${_show(s)} has a trailing "/"`);
    }
    for (const seg of path.slice(1).split("/")) _checkSegment(seg, path);
  }
  return Object.freeze({ trustDomain, path, id: s });
}

/** True when `s` is a valid SPIFFE ID. */
export function isSpiffeId(s: unknown): s is string {
  if (typeof s !== "string") return false;
  try {
    parseSpiffeId(s);
    return true;
  } catch {
    return false;
  }
}

/** The SPIFFE ID of service `name` in `trustDomain`. */
export function serviceSpiffeId(trustDomain: string, name: string): string {
  return `${PREFIX}${validateTrustDomain(trustDomain)}/${validateServiceName(name)}`;
}

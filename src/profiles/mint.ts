/**
 * The one mint path. Every token Keypebble signs, from every endpoint and CLI command, is made
 * here from its profile: caller-chosen claims are type-checked and never include a reserved
 * claim, `sub` never takes another kind's subject form, `aud` follows the kind's audience rule,
 * the lifetime is clamped to the kind's cap, and `iss`, `iat`, `nbf`, `exp` and `jti` are written
 * last, by the server (RFC 7519 §4.1). The signer carries the kind's `typ` and key.
 *
 * @example
 * ```ts
 * const { token, claims } = await mint(rt.profiles.auth, {
 *   now, claims: { edge_id: "e-7" }, subject: "alice", record: issuedBy(ctx),
 * });
 * ```
 *
 * Every token signed is told to the input's `record` (required: no token is made without
 * saying where its issuance is recorded): the server's recorder counts it and writes its
 * `token.issued` audit event (src/trust/audit.ts), the CLI's writes the event with the local user
 * as the actor (src/cli/cli_audit.ts).
 */

import {
  buildClaims,
  checkClaimValues,
  checkStringOrUri,
  type ClaimContext,
  clampTtl,
  randomJti,
  registeredClaims,
} from "../claims/mod.ts";
import { KeypebbleError, quoteForMessage } from "../errors.ts";
import { InvalidSpiffeIdError, parseSpiffeId } from "../spiffe/spiffe_id.ts";
import type { Profile } from "./resolve.ts";
import { KIND_CLAIM, type ProfileName, REFRESH_AUDIENCE } from "./table.ts";

/**
 * Told of every token {@link mint} signs, with its kind, once it is made: metrics and the audit
 * trail. It must not throw and must never keep or log `minted.token`.
 */
export type IssueRecorder = (kind: ProfileName, minted: Minted) => void;

/** What a handler asks the mint for. */
export interface MintInput {
  /** Seconds since the epoch. */
  readonly now: number;
  /** `sub`, already decided by the route's authorisation step. */
  readonly subject?: string;
  /** `aud` as asked for (or decided by code for `registry_service` kinds). */
  readonly audience?: string | readonly string[];
  /** Free-form claims the caller chose (already through `allowed_custom_claims`). */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** The kind's own claims (`access`, `kubernetes.io`, `command`, ...), set by code. */
  readonly own?: Readonly<Record<string, unknown>>;
  /** A requested lifetime; clamped to the profile's limits. */
  readonly ttlSeconds?: number;
  /** What the config's claim mapping reads (`$.query`, `$.body`, `$.caller`). */
  readonly source?: ClaimContext;
  /** A `jti` chosen by the caller of mint (never by a request); default a fresh random one. */
  readonly jti?: string;
  /** Where the issuance is recorded (metrics, the audit trail); see {@link IssueRecorder}. */
  readonly record: IssueRecorder;
}

/** A signed token and what is in it. */
export interface Minted {
  readonly token: string;
  readonly claims: Readonly<Record<string, unknown>>;
  /** `claims` exactly as signed: `JSON.stringify(claims)`, made once. */
  readonly payload: string;
  readonly ttl: number;
  readonly jti: string;
  readonly alg: string;
  /** Request claims that were not signed because the server sets them. */
  readonly dropped: readonly string[];
}

/** Registered claims a request may name but that are silently the server's (compatibility). */
const SILENTLY_DROPPED = new Set(["iss", "iat", "nbf", "exp", "jti"]);

/** Mint a token of `profile`'s kind. */
export async function mint(profile: Profile, input: MintInput): Promise<Minted> {
  const ttl = clampTtl(input.ttlSeconds, {
    defaultTtl: profile.defaultTtl,
    maxTtl: profile.maxTtl,
    minTtl: profile.def.minTtlSeconds,
  });
  const dropped: string[] = [];
  const free: Record<string, unknown> = {};
  const asked = input.claims;
  if (asked !== undefined) {
    for (const name of Object.keys(asked)) {
      if (name === "sub" || name === "aud") continue; // decided below
      if (profile.reserved.has(name) || profile.def.distinctive.includes(name)) {
        if (SILENTLY_DROPPED.has(name)) {
          dropped.push(name);
          continue;
        }
        throw KeypebbleError.answer(
          "invalid_claims",
          `Claim ${quoteForMessage(name, 64)} is reserved and cannot be requested here`,
        );
      }
      free[name] = asked[name];
    }
  }
  checkClaimValues(free);
  const mapped = profile.mapping === undefined || input.source === undefined
    ? undefined
    : buildClaims(profile.mapping, input.source);
  if (mapped !== undefined) checkClaimValues(mapped);

  const subject = input.subject;
  const aud = _audience(profile, input.audience);
  const jti = input.jti ?? randomJti();
  // Written in this order, a later source overwriting an earlier one's value in place (as object
  // spread does): the signed JSON keeps the same member order whatever the sources hold.
  const claims: Record<string, unknown> = {};
  if (aud !== undefined) claims.aud = aud;
  if (mapped !== undefined) _assign(claims, mapped);
  _assign(claims, free);
  _assign(claims, profile.staticClaims);
  if (subject !== undefined) claims.sub = subject;
  if (input.own !== undefined) _assign(claims, input.own);
  // The kind, for the consumers that accept it (src/profiles/table.ts); never a caller's choice.
  if (profile.def.acceptedBy.length > 0) claims[KIND_CLAIM] = profile.def.name;
  // Last, so nothing above can choose them (RFC 7519 §4.1).
  _assign(
    claims,
    registeredClaims({ issuer: profile.issuer, now: input.now, ttlSeconds: ttl, jti }),
  );
  // The `sub` that is signed, wherever it came from (the route, a claim mapping, the config).
  _checkSubject(profile, claims.sub);
  // Serialised once: the signature covers these bytes and answers can embed them as they are.
  const payload = JSON.stringify(claims);
  // A kind whose format is JWE or Fernet is finished by its sealer (src/profiles/sealers.ts).
  const sealer = profile.sealer;
  const token = sealer === undefined
    ? await profile.signer.signBytes(payload)
    : await sealer.seal(profile.signer, payload, input.now);
  const minted: Minted = {
    token,
    claims,
    payload,
    ttl,
    jti,
    alg: sealer?.metricAlg ?? profile.signer.alg,
    dropped,
  };
  input.record(profile.def.name, minted);
  return minted;
}

/** Copy `from`'s own members into `to` (an existing member keeps its place, as with spread). */
function _assign(to: Record<string, unknown>, from: Readonly<Record<string, unknown>>): void {
  for (const k of Object.keys(from)) {
    // A member named "__proto__" is data, never the prototype (spread defines, it never sets).
    if (k === "__proto__") {
      Object.defineProperty(to, k, {
        value: from[k],
        enumerable: true,
        writable: true,
        configurable: true,
      });
    } else to[k] = from[k];
  }
}

function _checkSubject(profile: Profile, sub: unknown): void {
  if (profile.def.subjectForm === "spiffe_id") {
    _spiffeId(profile, "sub", sub);
    return;
  }
  if (sub === undefined) return;
  const subject = checkStringOrUri("sub", sub);
  const owner = profile.foreignSubjectPrefixes.find((p) => subject.startsWith(p));
  if (owner !== undefined) {
    throw KeypebbleError.answer(
      "forbidden",
      `Subjects starting with ${quoteForMessage(owner)} belong to another kind of token`,
    );
  }
}

/** A SPIFFE ID of the profile's trust domain (SPIFFE-ID §2), as one string. */
function _spiffeId(profile: Profile, claim: string, v: unknown): string {
  if (typeof v !== "string") {
    throw KeypebbleError.answer("invalid_claims", `Claim "${claim}" must be one SPIFFE ID string`);
  }
  let trustDomain: string;
  try {
    trustDomain = parseSpiffeId(v).trustDomain;
  } catch (e) {
    if (e instanceof InvalidSpiffeIdError) {
      throw KeypebbleError.answer("invalid_spiffe_id", `Claim "${claim}": ${e.message}`);
    }
    throw e;
  }
  if (trustDomain !== profile.trustDomain) {
    throw KeypebbleError.answer(
      "invalid_spiffe_id",
      `Claim "${claim}" ${quoteForMessage(v)} is not in trust domain ${
        quoteForMessage(String(profile.trustDomain))
      }`,
    );
  }
  return v;
}

function _audience(
  profile: Profile,
  requested: string | readonly string[] | undefined,
): string | readonly string[] | undefined {
  const rule = profile.def.audience;
  if (rule === "fixed") return REFRESH_AUDIENCE;
  // JWT-SVID §3: `aud` is the verifier; spiffile PROFILE §3 wants exactly one string.
  if (rule === "spiffe_id") return _spiffeId(profile, "aud", requested);
  if (rule === "client_id") {
    // OpenID Connect Core §2: the ID token's audience is the client, one string, set by code.
    if (typeof requested !== "string" || requested === "") {
      throw KeypebbleError.answer("invalid_claims", "An ID token needs its client as audience");
    }
    return checkStringOrUri("aud", requested);
  }
  if (rule === "registry_service") {
    // Chosen by the handler from `services` only.
    return typeof requested === "string" ? checkStringOrUri("aud", requested) : undefined;
  }
  const list = profile.audiences;
  if (requested === undefined) {
    if (rule === "requested") {
      throw KeypebbleError.answer("invalid_claims", 'An audience ("aud") is required');
    }
    return list?.[0];
  }
  if (typeof requested !== "string" && !Array.isArray(requested)) {
    throw KeypebbleError.answer(
      "invalid_claims",
      'Claim "aud" must be a string or a list of strings',
    );
  }
  const asked: unknown[] = typeof requested === "string" ? [requested] : [...requested];
  if (asked.length === 0) throw KeypebbleError.answer("invalid_claims", 'Claim "aud" is empty');
  for (const raw of asked) {
    const a = checkStringOrUri("aud", raw);
    const allowed = list !== undefined
      ? list.includes(a)
      : rule === "requested" && !profile.forbiddenAudiences.has(a);
    if (!allowed || (list === undefined && profile.forbiddenAudiences.has(a))) {
      throw KeypebbleError.answer(
        "forbidden",
        `Audience ${quoteForMessage(a)} is not allowed for ${profile.def.name} tokens`,
      );
    }
  }
  return typeof requested === "string" ? requested : asked as string[];
}

/**
 * `profiles.<kind>.format` and `profiles.<kind>.encrypt`: the form a kind's tokens take.
 *
 * ```yaml
 * profiles:
 *   auth:
 *     format: jwe                        # jws (default) | jwe | fernet
 *     encrypt:
 *       to: https://rp.example/jwks.json # a JWKS URL, a JWK or JWKS file, or a PEM key path
 *       alg: ECDH-ES                     # optional: the key's own alg, else by type
 *       enc: A256GCM                     # optional: A256GCM (default) or A128CBC-HS256
 *   command: { format: fernet }          # needs the `fernet` section
 * ```
 *
 * With `jwe`, the kind's tokens are signed as usual, then encrypted to the recipient (a nested
 * JWT, `cty: "JWT"`); `encrypt` alone implies `jwe`. Kinds whose consumer reads only signed
 * JWTs (registry, refresh, svid, account) keep `jws`.
 *
 * @module
 */

import { isJweAlg, isJweEnc, JWE_ALGS, JWE_ENCS, type JweAlg, type JweEnc } from "../jose/mod.ts";

/** The forms a token can take. */
export type TokenFormatName = "jws" | "jwe" | "fernet";

/** Where a kind's recipient key comes from. */
export type RecipientSource =
  | { readonly kind: "url"; readonly url: string }
  | { readonly kind: "file"; readonly path: string };

/** `profiles.<kind>.encrypt`, validated. */
export interface EncryptSettings {
  readonly to: RecipientSource;
  /** When absent: the JWK's `alg`, else RSA-OAEP-256 for RSA, ECDH-ES for EC/OKP, dir for oct. */
  readonly alg?: JweAlg;
  readonly enc: JweEnc;
}

/** A kind's token format. */
export interface TokenFormatSettings {
  readonly format: TokenFormatName;
  /** Set exactly when `format` is `jwe`. */
  readonly encrypt?: EncryptSettings;
}

/** The kinds whose tokens may be JWE or Fernet (their consumers are not Keypebble or fixed). */
export const FORMAT_KINDS: readonly string[] = [
  "auth",
  "command",
  "kubernetes",
  "api",
  "client",
  "exchange",
];

const FORMATS: readonly TokenFormatName[] = ["jws", "jwe", "fernet"];
const ENCRYPT_KEYS = ["to", "alg", "enc"];

/**
 * Read one kind's `format` and `encrypt`; `undefined` when the kind stays JWS.
 * `fail(field, problem)` throws the config error naming the file and field.
 */
export function readTokenFormat(
  format: unknown,
  encrypt: unknown,
  options: {
    at: string;
    kind: string;
    fail: (field: string, problem: string) => never;
    resolvePath: (path: string, field: string) => string;
  },
): TokenFormatSettings | undefined {
  const { at, kind, fail } = options;
  if (format === undefined && encrypt === undefined) return undefined;
  if (format !== undefined && !FORMATS.includes(format as TokenFormatName)) {
    fail(`${at}.format`, `must be one of ${FORMATS.map((f) => `"${f}"`).join(", ")}`);
  }
  const name = (format ?? "jwe") as TokenFormatName;
  if (name !== "jws" && !FORMAT_KINDS.includes(kind)) {
    fail(
      `${at}.format`,
      `${kind} tokens are always JWS (their consumer reads signed JWTs only); ` +
        `formats can be set for ${FORMAT_KINDS.join(", ")}`,
    );
  }
  if (encrypt !== undefined && name !== "jwe") {
    fail(`${at}.encrypt`, `is only used with format "jwe" (format is "${name}")`);
  }
  if (name === "jws") return undefined;
  if (name === "fernet") return { format: "fernet" };
  if (encrypt === undefined || encrypt === null) {
    fail(`${at}.encrypt`, 'is required with format "jwe": {to: <JWKS URL | key file>, alg, enc}');
  }
  if (typeof encrypt !== "object" || Array.isArray(encrypt)) {
    fail(`${at}.encrypt`, "must be a mapping with to (and optionally alg, enc)");
  }
  const e = encrypt as Record<string, unknown>;
  for (const k of Object.keys(e)) {
    if (!ENCRYPT_KEYS.includes(k)) {
      fail(`${at}.encrypt.${k}`, `is not a known setting (known: ${ENCRYPT_KEYS.join(", ")})`);
    }
  }
  const to = e.to;
  if (typeof to !== "string" || to.trim() === "" || _hasControl(to)) {
    fail(`${at}.encrypt.to`, "is required: a JWKS URL, or the path of a JWK, JWKS or PEM key file");
  }
  let source: RecipientSource;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to as string)) {
    if (!/^https?:\/\/[^\s]+$/.test(to as string)) {
      fail(`${at}.encrypt.to`, 'must be an "https://" (or "http://") URL, or a file path');
    }
    source = { kind: "url", url: to as string };
  } else {
    source = { kind: "file", path: options.resolvePath(to as string, `${at}.encrypt.to`) };
  }
  if (e.alg !== undefined && !isJweAlg(e.alg)) {
    fail(`${at}.encrypt.alg`, `must be one of ${JWE_ALGS.map((a) => `"${a}"`).join(", ")}`);
  }
  if (e.enc !== undefined && !isJweEnc(e.enc)) {
    fail(`${at}.encrypt.enc`, `must be one of ${JWE_ENCS.map((a) => `"${a}"`).join(", ")}`);
  }
  return {
    format: "jwe",
    encrypt: {
      to: source,
      ...(e.alg === undefined ? {} : { alg: e.alg as JweAlg }),
      enc: (e.enc ?? "A256GCM") as JweEnc,
    },
  };
}

function _hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

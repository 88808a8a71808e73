/**
 * One mint path (design §1b): outside the JWS signer itself, only `mint()` signs a token in the
 * server and the CLI. The other signing calls are named here with the reason they are not a
 * token path; a new one makes this test fail.
 */

import assert from "node:assert/strict";

const ALLOWED: Readonly<Record<string, string>> = {
  "profiles/mint.ts": "the one mint path",
  "jose/jws.ts": "the JWS signer mint() calls",
  "jose/hmac_sha256.ts": "the HMAC primitive of the JWS signer",
  "identity/credential_cache.ts": "an HMAC of cached credentials, not a token",
  "apikeys/format.ts": "the peppered HMAC an API key is stored under, not a token",
  "spiffe/svid.ts": "signSvid: the services' own library (a service signs with its own key)",
  "jose/x509.ts": "a random challenge, proving a TLS key is its certificate's; no token",
  "jose/content_encryption.ts": "the HMAC inside A128CBC-HS256 content encryption, not a signature",
  "fernet/token.ts": "the Fernet HMAC; Fernet tokens are made only by mint()'s sealer (sealers.ts)",
  "oidc/totp.ts": "HOTP's HMAC-SHA-1 (RFC 4226), a one-time code, not a token",
  "oidc/csrf.ts": "the HMAC of CSRF tokens and second-factor tickets, not a token",
  "oidc/recovery_codes.ts": "the peppered HMAC recovery codes are stored under, not a token",
  "accounts/refresh_seal.ts": "HKDF's HMACs (RFC 5869) deriving the retry window's seal key",
};

async function* _sources(dir: string, rel = ""): AsyncGenerator<[string, string]> {
  for await (const e of Deno.readDir(`${dir}${rel}`)) {
    const path = `${rel}${e.name}`;
    if (e.isDirectory) yield* _sources(dir, `${path}/`);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      yield [path, await Deno.readTextFile(`${dir}${path}`)];
    }
  }
}

Deno.test("only mint() signs tokens: no other sign call in src/ and signSvid only in the service library", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const problems: string[] = [];
  for await (const [path, text] of _sources(root)) {
    const code = text.replace(/^\s*(\/\/|\*).*$/gm, ""); // comments and JSDoc examples
    if (/\.sign\(/.test(code) && !(path in ALLOWED)) problems.push(`${path}: .sign(`);
    if (/\bsignSvid\(/.test(code) && path !== "spiffe/svid.ts" && path !== "spiffe/identity.ts") {
      problems.push(`${path}: signSvid(`);
    }
  }
  assert.deepEqual(problems, []);
});

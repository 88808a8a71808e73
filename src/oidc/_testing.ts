/** Shared fixtures of the sign-in tests. */

import { openDenoSqlite } from "../platform/sqlite_deno.ts";
import { sampleUser } from "../store/accounts_suite.ts";
import { openStore, type Store, type UserRecord } from "../store/mod.ts";
import type { AuthorizationRequest } from "./authorize.ts";
import type { OidcClient } from "./clients.ts";
import { deriveOidcKeys, type OidcKeys } from "./keys.ts";

/** RFC 7636 Appendix B. */
export const VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
export const CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
export const ISSUER = "https://id.example";

/** A client for tests. */
export function testClient(over: Partial<OidcClient> & { id: string }): OidcClient {
  return {
    name: over.id,
    secretHash: null,
    redirectUris: ["https://app.example/cb"],
    postLogoutRedirectUris: ["https://app.example/bye"],
    scopes: [],
    audiences: [],
    firstParty: false,
    source: "config",
    ...over,
  };
}

/** A validated request for tests. */
export function testRequest(over: Partial<AuthorizationRequest> = {}): AuthorizationRequest {
  return {
    client: testClient({ id: "app" }),
    redirectUri: "https://app.example/cb",
    scopes: ["openid", "email"],
    state: "st",
    nonce: "n-0S6_WzA2Mj",
    codeChallenge: CHALLENGE,
    prompt: new Set(),
    maxAge: null,
    loginHint: null,
    idTokenHint: null,
    ...over,
  };
}

/** A fresh in-memory store with one active account `u1`. */
export async function testStore(
  user: Partial<UserRecord> = {},
): Promise<{ store: Store; user: UserRecord }> {
  const store = await openStore("sqlite::memory:", { sqlite: openDenoSqlite, now: 1 });
  const u = sampleUser({ id: "u1", email: "alice@example.com", username: "alice", ...user });
  await store.users.insert(u);
  return { store, user: u };
}

/** Keys from a fixed test pepper. */
export function testKeys(): Promise<OidcKeys> {
  return deriveOidcKeys(new TextEncoder().encode("test-pepper-".repeat(4)));
}

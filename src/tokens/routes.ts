/**
 * The issuer's own routes: the token kinds a caller asks for directly (general, registry,
 * command, Kubernetes, SVID), the published keys, and the SPIFFE bundles and verifier.
 *
 * Callers of the minting routes are users of the policy (a client certificate, an API key taken
 * as its id, a trusted proxy's header, or Basic); whether an anonymous caller is let in is the
 * kind's rule (src/profiles/table.ts; closed unless opened). `POST /v2/token` carries its
 * credential in the body (a password or a refresh token, checked like a login).
 */

import type { CallerDecl } from "../http/mod.ts";
import { authorizeAuth, postAuth } from "../profiles/auth.ts";
import { authorizeCommand, postCommandToken } from "../profiles/command.ts";
import { authorizeServiceAccountToken, postServiceAccountToken } from "../profiles/ksa.ts";
import { authorizeRegistryGet, getRegistryToken, postRegistryToken } from "../profiles/registry.ts";
import { authorizeSvid, postSvid } from "../profiles/svid.ts";
import type { AppRoute } from "../trust/mod.ts";
import { getJwks } from "./jwks.ts";
import { profileRoute } from "./profile_request.ts";
import { getSpiffeBundle, getSpiffileBundle, postSvidVerify } from "./spiffe_routes.ts";

/** A user of the policy, or anonymous where the minted kind allows it. */
export const POLICY_CALLER: CallerDecl = {
  accepts: ["mtls", "api_key", "proxy", "basic"],
  anonymous: "per_kind",
};
/** Anyone: nothing is looked at. */
export const PUBLIC: CallerDecl = { accepts: [], anonymous: "always" };

const SA = "namespaces/{ns}/serviceaccounts/{name}/token";

/** The routes of this feature. */
export const TOKEN_ROUTES: readonly AppRoute[] = [
  {
    method: "POST",
    template: "/auth",
    profile: "auth",
    caller: POLICY_CALLER,
    body: "json",
    style: "keypebble",
    handle: profileRoute(postAuth, authorizeAuth),
  },
  {
    method: "GET",
    template: "/v2/token",
    profile: "registry",
    caller: POLICY_CALLER,
    body: "none",
    style: "keypebble",
    reads: ["x-scopes", "x-policy-generate"],
    handle: profileRoute(getRegistryToken, authorizeRegistryGet),
  },
  {
    method: "POST",
    template: "/v2/token",
    profile: "registry",
    // The grant's credential (a password or a refresh token) is in the body.
    caller: PUBLIC,
    body: "form",
    style: "oauth",
    handle: profileRoute(postRegistryToken),
  },
  {
    method: "POST",
    template: "/command/token",
    profile: "command",
    caller: POLICY_CALLER,
    body: "json",
    style: "keypebble",
    handle: profileRoute(postCommandToken, authorizeCommand),
  },
  ...[`/api/v1/${SA}`, `/apis/authentication.k8s.io/v1/${SA}`].map((template): AppRoute => ({
    method: "POST",
    template,
    profile: "kubernetes",
    caller: POLICY_CALLER,
    body: "json",
    style: "keypebble",
    handle: profileRoute(postServiceAccountToken, authorizeServiceAccountToken),
  })),
  {
    method: "POST",
    template: "/spiffe/v1/svid",
    profile: "svid",
    caller: POLICY_CALLER,
    body: "json",
    style: "keypebble",
    handle: profileRoute(postSvid, authorizeSvid),
  },
  {
    method: "GET",
    template: "/.well-known/jwks.json",
    caller: PUBLIC,
    body: "none",
    style: "keypebble",
    handle: getJwks,
  },
  {
    method: "GET",
    template: "/spiffe/v1/bundle",
    caller: PUBLIC,
    body: "none",
    style: "keypebble",
    handle: getSpiffeBundle,
  },
  {
    method: "GET",
    template: "/spiffe/v1/spiffile-bundle",
    caller: PUBLIC,
    body: "none",
    style: "keypebble",
    handle: getSpiffileBundle,
  },
  {
    method: "POST",
    template: "/spiffe/v1/verify",
    caller: PUBLIC,
    body: "json",
    style: "keypebble",
    handle: postSvidVerify,
  },
];

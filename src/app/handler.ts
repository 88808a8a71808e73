/**
 * Keypebble's handler: the HTTP core (src/http/) over the one route table, with the trust
 * layer's admission, authentication and authorisation steps.
 */

import {
  createHandler as createCoreHandler,
  type Credential,
  type Handler,
  type RouteDecl,
} from "../http/mod.ts";
import {
  admit,
  admitted,
  authenticate,
  authorize,
  type KeypebbleServices,
  settle,
} from "../trust/mod.ts";
import { ROUTE_INDEX, UNLIMITED } from "./routes.ts";

/** The headers each kind of credential is read from (src/trust/authenticate.ts). */
const CREDENTIAL_HEADERS: Readonly<Record<Credential, readonly string[]>> = {
  mtls: [],
  client: ["authorization"],
  api_key: ["x-api-key", "x-admin-key", "authorization"],
  account: ["authorization"],
  basic: ["authorization"],
  proxy: ["x-authenticated-user"],
};

/**
 * The request headers `decl` reads: those of the credentials it accepts, `content-type` when it
 * reads a body, and its own `reads`. Each is held to `limits.max_header_bytes` (431); a header the
 * route does not read is not looked at. (A trusted proxy's client header is bounded where the
 * client address is worked out, src/identity/address.ts.)
 */
export function readHeadersOf(decl: RouteDecl<KeypebbleServices>): readonly string[] {
  const out = new Set<string>();
  for (const c of decl.caller.accepts) for (const h of CREDENTIAL_HEADERS[c]) out.add(h);
  if (decl.body !== "none") out.add("content-type");
  for (const h of decl.reads ?? []) out.add(h);
  return [...out];
}

/** Build the handler over long-lived services. */
export function createHandler(services: KeypebbleServices): Handler {
  return createCoreHandler(services, {
    routes: ROUTE_INDEX,
    unlimited: UNLIMITED,
    readHeaders: readHeadersOf,
    admit,
    authenticate,
    admitted,
    authorize,
    settle,
  });
}

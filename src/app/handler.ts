/**
 * Keypebble's handler: the HTTP core (src/http/) over the one route table, with the trust
 * layer's admission, authentication and authorisation steps.
 */

import { createHandler as createCoreHandler, type Handler } from "../http/mod.ts";
import {
  admit,
  admitted,
  authenticate,
  authorize,
  type KeypebbleServices,
  settle,
} from "../trust/mod.ts";
import { ROUTE_INDEX, UNLIMITED } from "./routes.ts";

/** Request headers anything reads, checked against `limits.max_header_bytes`. */
export const READ_HEADERS: readonly string[] = [
  "authorization",
  "x-authenticated-user",
  "x-scopes",
  "content-type",
  "accept",
  "x-api-key",
  "x-admin-key",
  "x-required-scope",
  "x-forwarded-for",
];

/** Build the handler over long-lived services. */
export function createHandler(services: KeypebbleServices): Handler {
  return createCoreHandler(services, {
    routes: ROUTE_INDEX,
    unlimited: UNLIMITED,
    readHeaders: READ_HEADERS,
    admit,
    authenticate,
    admitted,
    authorize,
    settle,
  });
}

/**
 * HTTP core: the Web-standard handler, route declarations and matching, body readers, responses
 * and the error writer of each wire style. It knows no feature.
 *
 * @module
 */
export { createHandler } from "./handler.ts";
export type { Handler, HandlerHooks } from "./handler.ts";
export type {
  AuditNote,
  ConnInfo,
  PeerCertificate,
  ReloadStatus,
  RequestContext,
  Services,
} from "./context.ts";
export { errorResponse, json, jsonText, responseForError } from "./responses.ts";
export { rawPath, RouteIndex } from "./route.ts";
export type {
  AnonymousRule,
  AuditDecl,
  BodyType,
  CallerDecl,
  Credential,
  Method,
  Route,
  RouteDecl,
  WireStyle,
} from "./route.ts";
export { htmlError, NO_CACHE, styledError } from "./wire_styles.ts";

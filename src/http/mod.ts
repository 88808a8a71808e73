/**
 * HTTP: the Web-standard handler, its routes and the response helpers.
 *
 * @module
 */
export { createHandler } from "./handler.ts";
export type { Handler } from "./handler.ts";
export type { ConnInfo, ReloadStatus, RequestContext, Services } from "./context.ts";
export { errorResponse, json, responseForError } from "./responses.ts";
export { matchRoute, ROUTE_TABLE, ROUTES } from "./routes.ts";
export type { AuthMode, BodyType, PlainRoute, RouteDecl, TokenRoute } from "./routes.ts";
export { createServices } from "./services.ts";
export type { ServicesOptions } from "./services.ts";

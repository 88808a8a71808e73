/**
 * The composition root: the route table assembled from the features, the services bag, the
 * handler, the OpenAPI document.
 *
 * @module
 */
export { anonymousSurface, type RouteAccess, routeAccess } from "./access.ts";
export { createHandler, readHeadersOf } from "./handler.ts";
export { OPENAPI, openApiFor, securityOf } from "./openapi.ts";
export { ROUTE_INDEX, ROUTE_TABLE, ROUTES, UNLIMITED } from "./routes.ts";
export { createServices, type ServicesOptions } from "./services.ts";
export type { Handler } from "../http/mod.ts";
export type { KeypebbleServices as Services } from "../trust/mod.ts";

/**
 * The admin API: organisations, keys, roll, revoke, stats and blocks under `/admin/`.
 *
 * @module
 */
export * from "./handlers.ts";
export { ADMIN_ROUTES } from "./routes.ts";

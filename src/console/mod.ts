/**
 * The web console (`/console`) and the interactive API reference (`/docs`): static pages built
 * from TypeScript under `web/` into `assets.gen.ts` by `deno task build:web`, served with a
 * strict Content-Security-Policy. The console's one module of API calls is `web/console/api.ts`.
 *
 * @module
 */
export { CONSOLE_PAGES, CONSOLE_ROUTES } from "./routes.ts";
export { CONSOLE_CSP } from "./headers.ts";

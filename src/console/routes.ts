/**
 * The routes of the web console and the interactive API reference: public, static, read-only
 * (`GET`), answered from strings built into the binary (`assets.gen.ts`, made by
 * `deno task build:web`). The pages hold no secret and grant nothing: everything they show or
 * change goes through the same API routes, with the same declared authorisation, as curl would.
 */

import { KeypebbleError } from "../errors.ts";
import type { CallerDecl } from "../http/mod.ts";
import type { AppRoute } from "../trust/mod.ts";
import { type BuiltAsset, consoleJs, css, docsJs } from "./assets.gen.ts";
import { assetHeaders, PAGE_HEADERS } from "./headers.ts";
import { shellPage } from "./pages.ts";

/** The console's pages: each path below `/console` serves the same shell (client-side routes). */
export const CONSOLE_PAGES: readonly string[] = [
  "orgs",
  "keys",
  "usage",
  "accounts",
  "groups",
  "clients",
  "blocks",
  "audit",
  "inspect",
  "password",
];

const PUBLIC: CallerDecl = { accepts: [], anonymous: "always" };

const ASSETS: ReadonlyMap<string, BuiltAsset> = new Map(
  [consoleJs, docsJs, css].map((a) => [a.name, a]),
);

const CONSOLE_HTML = shellPage("Keypebble console", consoleJs, css);
const DOCS_HTML = shellPage("Keypebble API reference", docsJs, css);

function _get(template: string, handle: AppRoute["handle"]): AppRoute {
  return { method: "GET", template, caller: PUBLIC, body: "none", style: "keypebble", handle };
}

function _page(html: string): AppRoute["handle"] {
  return () => new Response(html, { headers: PAGE_HEADERS });
}

/** The routes of this feature. */
export const CONSOLE_ROUTES: readonly AppRoute[] = [
  _get("/console", _page(CONSOLE_HTML)),
  _get("/console/{page}", (ctx) => {
    if (!CONSOLE_PAGES.includes(ctx.params.page)) {
      throw KeypebbleError.answer("not_found", "No such page");
    }
    return new Response(CONSOLE_HTML, { headers: PAGE_HEADERS });
  }),
  _get("/console/assets/{file}", (ctx) => {
    const a = ASSETS.get(ctx.params.file);
    if (a === undefined) throw KeypebbleError.answer("not_found", "No such file");
    return new Response(a.text, { headers: assetHeaders(a.type) });
  }),
  _get("/docs", _page(DOCS_HTML)),
];

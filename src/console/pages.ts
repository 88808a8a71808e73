/**
 * The two HTML shells: `/console` and `/docs`. Each is a few hundred bytes naming the bundled
 * stylesheet and script by their content-hashed names; everything on screen is built by the
 * script from the API's answers. No inline script or style anywhere (see `headers.ts`).
 *
 * @module
 */

import type { BuiltAsset } from "./assets.gen.ts";

/** Where the built assets are served. */
export const ASSET_BASE = "/console/assets/";

/** An HTML shell loading `script` and `css`, with `title`. */
export function shellPage(title: string, script: BuiltAsset, css: BuiltAsset): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<title>${title}</title>`,
    // No favicon request (a 404 would be a console error on every page).
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${ASSET_BASE}${css.name}">`,
    `<script type="module" src="${ASSET_BASE}${script.name}"></script>`,
    "</head>",
    "<body>",
    '<noscript><p class="noscript">This page needs JavaScript.</p></noscript>',
    '<div id="app"><p class="loading">Loading…</p></div>',
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/**
 * The OpenAPI description of the console's and the API reference's routes (HTML pages and their
 * built assets). Spread into `OPENAPI` by `src/app/openapi.ts`.
 *
 * @module
 */

type Json = Record<string, unknown>;

const HTML = (description: string): Json => ({
  description,
  headers: {
    "Content-Security-Policy": {
      description: "Strict: script and style from this server only, no inline, no framing",
      schema: { type: "string" },
    },
  },
  content: { "text/html": { schema: { type: "string" }, example: "<!doctype html>…" } },
});

const ERROR = (description: string, code: string, message: string): Json => ({
  description,
  content: {
    "application/json": {
      schema: { $ref: "#/components/schemas/Error" },
      example: { error: code, message },
    },
  },
});

/** Refusals of the admission step every public route goes through. */
const ADMITTED: Json = {
  "403": ERROR("The client address is blocked", "blocked", "The client address is blocked"),
  "429": ERROR("Rate limited (per address)", "rate_limited", "Too many requests"),
};

const NOT_FOUND: Json = {
  description: "No such page or file",
  content: {
    "application/json": {
      schema: { $ref: "#/components/schemas/Error" },
      example: { error: "not_found", message: "No such page" },
    },
  },
};

/** Path items of the console and the API reference. */
export const CONSOLE_OPENAPI_PATHS: Readonly<Json> = {
  "/console": {
    get: {
      operationId: "getConsole",
      tags: ["console"],
      summary: "The web console (HTML)",
      description:
        "Sign in with an account; everything the console shows or changes goes through this " +
        "API with the account's token, so an account sees and does what its role allows.",
      security: [],
      responses: { "200": HTML("The console's page"), ...ADMITTED },
    },
  },
  "/console/{page}": {
    get: {
      operationId: "getConsolePage",
      tags: ["console"],
      summary: "A page of the web console (the same HTML; the page is drawn by the script)",
      security: [],
      parameters: [{
        name: "page",
        in: "path",
        required: true,
        schema: {
          type: "string",
          enum: [
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
          ],
        },
        example: "keys",
      }],
      responses: { "200": HTML("The console's page"), "404": NOT_FOUND, ...ADMITTED },
    },
  },
  "/console/assets/{file}": {
    get: {
      operationId: "getConsoleAsset",
      tags: ["console"],
      summary: "A built script or stylesheet of the console or the API reference",
      description: "Names carry a hash of the content: cached for a year, immutable.",
      security: [],
      parameters: [{
        name: "file",
        in: "path",
        required: true,
        schema: { type: "string" },
        example: "console.0123456789ab.js",
      }],
      responses: {
        "200": {
          description: "The file",
          content: {
            "text/javascript": { schema: { type: "string" }, example: "…" },
            "text/css": { schema: { type: "string" }, example: "…" },
          },
        },
        "404": NOT_FOUND,
        ...ADMITTED,
      },
    },
  },
  "/docs": {
    get: {
      operationId: "getApiReference",
      tags: ["console"],
      summary: "The interactive API reference (HTML), rendered from /openapi.json",
      security: [],
      responses: { "200": HTML("The reference's page"), ...ADMITTED },
    },
  },
};

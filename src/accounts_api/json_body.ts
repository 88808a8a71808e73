/**
 * The JSON bodies of the pico-auth routes, as the route read them (`json_value`: any JSON value,
 * `application/json` only, within the body and nesting limits): pico-auth's clients send a single
 * value bare (`"a1b2…"` for a refresh token, `"operator"` for a role).
 */

import { KeypebbleError } from "../errors.ts";
import type { Ctx } from "../trust/mod.ts";

/** The body as a JSON object. */
export function objectBody(ctx: Ctx): Record<string, unknown> {
  const v = ctx.jsonValue;
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw KeypebbleError.answer("invalid_json", "The request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}

/**
 * One value sent bare (`"x"`) or in an object (`{"name": "x"}`), as pico-auth's clients and
 * others send it.
 */
export function singleString(ctx: Ctx, name: string): string {
  const v = ctx.jsonValue;
  const s = typeof v === "string"
    ? v
    : v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)[name]
    : undefined;
  if (typeof s !== "string" || s === "") {
    throw KeypebbleError.answer(
      "invalid_request",
      `The body must be a JSON string or an object with a string "${name}"`,
    );
  }
  return s;
}

/** A required string field. */
export function requiredString(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== "string" || v === "") {
    throw KeypebbleError.answer("invalid_request", `"${name}" is required and must be a string`);
  }
  return v;
}

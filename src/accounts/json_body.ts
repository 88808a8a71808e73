/**
 * JSON bodies for the pico-auth routes: `application/json` only (415 otherwise), within the
 * body and nesting limits, any JSON value (pico-auth's clients send a single value bare:
 * `"a1b2…"` for a refresh token, `"operator"` for a role).
 */

import { KeypebbleError } from "../errors.ts";
import { jsonDepth, readBodyText } from "../http/body.ts";
import type { RequestContext } from "../http/context.ts";

/** Read a JSON body of any shape. */
export async function readJsonValue(ctx: RequestContext): Promise<unknown> {
  const type = (ctx.req.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw new KeypebbleError(
      "unsupported_media_type",
      'The request body must be "application/json"',
    );
  }
  const { limits } = ctx.rt.config;
  const text = await readBodyText(ctx.req, limits.maxBodyBytes);
  if (jsonDepth(text) > limits.maxJsonDepth) {
    throw new KeypebbleError(
      "invalid_json",
      `The JSON body is nested deeper than ${limits.maxJsonDepth} levels`,
    );
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new KeypebbleError("invalid_json", "The request body is not valid JSON");
  }
}

/** Read a JSON object body. */
export async function readJsonObjectBody(ctx: RequestContext): Promise<Record<string, unknown>> {
  const v = await readJsonValue(ctx);
  if (v === null || typeof v !== "object" || Array.isArray(v)) {
    throw new KeypebbleError("invalid_json", "The request body must be a JSON object");
  }
  return v as Record<string, unknown>;
}

/**
 * One value sent bare (`"x"`) or in an object (`{"name": "x"}`), as pico-auth's clients and
 * others send it.
 */
export async function readSingleString(ctx: RequestContext, name: string): Promise<string> {
  const v = await readJsonValue(ctx);
  const s = typeof v === "string"
    ? v
    : v !== null && typeof v === "object" && !Array.isArray(v)
    ? (v as Record<string, unknown>)[name]
    : undefined;
  if (typeof s !== "string" || s === "") {
    throw new KeypebbleError(
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
    throw new KeypebbleError("invalid_request", `"${name}" is required and must be a string`);
  }
  return v;
}

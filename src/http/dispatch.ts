/**
 * Running one route declaration: authenticate as the route says (the one authentication step,
 * given by the composition root), read the body it declares (type and size), check the
 * capability it needs, run the handler, and write a client error in the route's wire style.
 */

import { KeypebbleError } from "../errors.ts";
import { readForm, readJsonObject, readJsonValue, readSingleValuedForm } from "./body.ts";
import type { RequestContext, Services } from "./context.ts";
import type { HandlerHooks } from "./handler.ts";
import type { RouteDecl } from "./route.ts";
import { styledError } from "./wire_styles.ts";

/** Run `decl` for `ctx`. Errors of 500 and above are rethrown for the handler to log. */
export async function dispatch<S extends Services>(
  ctx: RequestContext<S>,
  decl: RouteDecl<S>,
  hooks: HandlerHooks<S>,
): Promise<Response> {
  let admitted = hooks.admitted === undefined;
  try {
    // OAuth client credentials may travel in the form (RFC 6749 §2.3.1): read it first.
    const bodyFirst = decl.caller.accepts.includes("client");
    if (bodyFirst) await _readBody(ctx, decl);
    const caller = hooks.authenticate(ctx, decl);
    ctx.caller = caller instanceof Promise ? await caller : caller;
    if (!admitted) {
      admitted = true;
      const a = hooks.admitted!(ctx);
      if (a !== undefined) await a;
    }
    if (!bodyFirst) await _readBody(ctx, decl);
    if (decl.needs !== undefined) await hooks.authorize(ctx, decl);
    const res = await decl.handle(ctx);
    hooks.settle?.(ctx, res.status, decl);
    return res;
  } catch (thrown) {
    let e = thrown;
    if (!admitted) {
      admitted = true;
      try {
        const a = hooks.admitted!(ctx, e);
        if (a !== undefined) await a;
      } catch (refusal) {
        e = refusal; // a refusal gathered before the failure answers first
      }
    }
    const status = e instanceof KeypebbleError ? e.status : 500;
    hooks.settle?.(ctx, status, decl, e instanceof KeypebbleError ? e : undefined);
    if (status < 500) return styledError(decl.style, e as KeypebbleError);
    throw e;
  }
}

async function _readBody<S extends Services>(
  ctx: RequestContext<S>,
  decl: RouteDecl<S>,
): Promise<void> {
  const limits = ctx.rt.config.limits;
  switch (decl.body) {
    case "json":
      ctx.json = await readJsonObject(ctx.req, limits);
      return;
    case "json_value":
      ctx.jsonValue = await readJsonValue(ctx.req, limits);
      return;
    case "form":
      ctx.form = await readForm(ctx.req, limits.maxBodyBytes);
      return;
    case "oauth_form":
      ctx.form = await readSingleValuedForm(ctx.req, limits.maxBodyBytes);
      return;
  }
}

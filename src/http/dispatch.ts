/**
 * Running one route declaration: authenticate as the route says, read the body it declares
 * (type and size), run its authorisation step, then hand the profile handler a
 * {@link ProfileRequest} and turn its {@link Reply} into a Response.
 */

import { PROFILES } from "../profiles/table.ts";
import type { ProfileRequest, Reply } from "../profiles/context.ts";
import type { Caller } from "../identity/mod.ts";
import { admitPrincipal, checkPassword, optionalCaller, requireCaller } from "./authenticate.ts";
import { readForm, readJsonObject } from "./body.ts";
import type { RequestContext } from "./context.ts";
import { json } from "./responses.ts";
import type { RouteDecl, TokenRoute } from "./routes.ts";

const EMPTY_FORM = new URLSearchParams();
const EMPTY_JSON: Readonly<Record<string, unknown>> = Object.freeze({});

/** Run `decl` for `ctx`. */
export async function dispatch(ctx: RequestContext, decl: RouteDecl): Promise<Response> {
  if (!("profile" in decl)) return decl.handle(ctx);
  const caller = await _authenticate(ctx, decl);
  const { config } = ctx.rt;
  const jsonBody = decl.body === "json" ? await readJsonObject(ctx.req, config.limits) : EMPTY_JSON;
  const form = decl.body === "form"
    ? await readForm(ctx.req, config.limits.maxBodyBytes)
    : EMPTY_FORM;
  let req: ProfileRequest = {
    config,
    ...(ctx.rt.policy === undefined ? {} : { policy: ctx.rt.policy }),
    profiles: ctx.rt.profiles,
    keys: ctx.rt.keyring.keys,
    caller,
    nowSec: ctx.nowSec,
    query: ctx.url.searchParams,
    headers: ctx.req.headers,
    params: ctx.params,
    json: jsonBody,
    form,
    grants: {
      checkPassword: (user, password) => checkPassword(ctx, user, password),
      admitPrincipal: (subject) => admitPrincipal(ctx, subject),
    },
    issued(kind, alg) {
      ctx.services.metrics.tokensIssued.labels(kind, alg).inc();
    },
    noteSubject(subject) {
      ctx.subject = subject;
    },
    ...(config.publicUrl === undefined ? {} : { publicUrl: config.publicUrl }),
    ...(ctx.rt.spiffe === undefined ? {} : { spiffe: ctx.rt.spiffe }),
  };
  if (decl.authorize !== undefined) {
    const subject = decl.authorize(req);
    if (subject !== undefined) req = { ...req, subject };
  }
  return _response(await decl.handle(req));
}

async function _authenticate(ctx: RequestContext, decl: TokenRoute): Promise<Caller | null> {
  if (decl.auth === "none" || decl.auth === "grant") return null;
  const rule = PROFILES[decl.profile].caller;
  const required = rule.mode === "authenticated" || ctx.rt.config.requireAuth[rule.requireKey];
  return required ? await requireCaller(ctx) : await optionalCaller(ctx);
}

function _response(reply: Reply): Response {
  if (reply.text !== undefined) {
    return new Response(reply.text, { status: reply.status ?? 200, headers: reply.headers });
  }
  return json(reply.json, reply.status ?? 200, { ...reply.headers });
}

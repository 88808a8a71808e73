/**
 * Running one route declaration: authenticate as the route says, read the body it declares
 * (type and size), run its authorisation step, then hand the profile handler a
 * {@link ProfileRequest} and turn its {@link Reply} into a Response.
 */

import { type ProfileName, PROFILES } from "../profiles/table.ts";
import type { GrantServices, ProfileRequest, Reply } from "../profiles/context.ts";
import type { Profiles } from "../profiles/resolve.ts";
import type { Caller } from "../identity/mod.ts";
import type { Config } from "../config/mod.ts";
import type { KeyEntry } from "../jose/mod.ts";
import type { Policy } from "../policy/mod.ts";
import type { SpiffeAuthority } from "../spiffe/authority.ts";
import { admitPrincipal, checkPassword, optionalCaller, requireCaller } from "./authenticate.ts";
import { readForm, readJsonObject } from "./body.ts";
import type { RequestContext } from "./context.ts";
import { json, jsonText } from "./responses.ts";
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
  const req = new _ProfileRequest(ctx, caller, jsonBody, form);
  if (decl.authorize !== undefined) req.subject = decl.authorize(req);
  return _response(await decl.handle(req));
}

/**
 * The {@link ProfileRequest} of one HTTP request: plain fields set once (optional ones left
 * `undefined` when absent), the grant services and notes as methods over the request context.
 */
class _ProfileRequest implements ProfileRequest {
  readonly config: Config;
  readonly policy: Policy | undefined;
  readonly profiles: Profiles;
  readonly keys: readonly KeyEntry[];
  readonly nowSec: number;
  readonly headers: Headers;
  readonly params: Readonly<Record<string, string>>;
  readonly publicUrl: string | undefined;
  readonly spiffe: SpiffeAuthority | undefined;
  /** Set by the route's authorisation step, before the handler runs. */
  subject: string | undefined = undefined;
  readonly #ctx: RequestContext;

  constructor(
    ctx: RequestContext,
    readonly caller: Caller | null,
    readonly json: Readonly<Record<string, unknown>>,
    readonly form: URLSearchParams,
  ) {
    const rt = ctx.rt;
    this.#ctx = ctx;
    this.config = rt.config;
    this.policy = rt.policy;
    this.profiles = rt.profiles;
    this.keys = rt.keyring.keys;
    this.nowSec = ctx.nowSec;
    this.headers = ctx.req.headers;
    this.params = ctx.params;
    this.publicUrl = rt.config.publicUrl;
    this.spiffe = rt.spiffe;
  }

  get query(): URLSearchParams {
    return this.#ctx.query;
  }

  get grants(): GrantServices {
    const ctx = this.#ctx;
    return {
      checkPassword: (user, password) => checkPassword(ctx, user, password),
      admitPrincipal: (subject) => admitPrincipal(ctx, subject),
    };
  }

  issued(kind: ProfileName, alg: string): void {
    this.#ctx.services.metrics.tokensIssued.labels(kind, alg).inc();
  }

  noteSubject(subject: string): void {
    this.#ctx.subject = subject;
  }
}

async function _authenticate(ctx: RequestContext, decl: TokenRoute): Promise<Caller | null> {
  if (decl.auth === "none" || decl.auth === "grant") return null;
  const rule = PROFILES[decl.profile].caller;
  const required = rule.mode === "authenticated" || ctx.rt.config.requireAuth[rule.requireKey];
  return required ? await requireCaller(ctx) : await optionalCaller(ctx);
}

function _response(reply: Reply): Response {
  if (reply.jsonText !== undefined) {
    return jsonText(reply.jsonText, reply.status ?? 200, reply.headers);
  }
  if (reply.text !== undefined) {
    return new Response(reply.text, { status: reply.status ?? 200, headers: reply.headers });
  }
  return json(reply.json, reply.status ?? 200, reply.headers);
}

/**
 * The bridge between a token route and its profile handler (src/profiles/): the request, already
 * authenticated by the one authentication step, as a {@link ProfileRequest}; the route's
 * authorisation step (who the token may be about); the handler's {@link Reply} as a Response.
 */

import type { KeyEntry } from "../jose/mod.ts";
import { json, jsonText } from "../http/mod.ts";
import type { Caller } from "../identity/mod.ts";
import type { Config } from "../config/mod.ts";
import type { Policy } from "../policy/mod.ts";
import type { AuditActor } from "../audit/mod.ts";
import type { GrantServices, ProfileRequest, Reply } from "../profiles/context.ts";
import type { IssueRecorder } from "../profiles/mint.ts";
import type { Profiles } from "../profiles/resolve.ts";
import type { SpiffeAuthority } from "../spiffe/authority.ts";
import {
  admitPolicyUser,
  checkPolicyPassword,
  type Ctx,
  noteIssued,
  verifyOwnToken,
} from "../trust/mod.ts";

/** A profile handler and the authorisation step before it (the subject it settles on). */
export function profileRoute(
  handle: (req: ProfileRequest) => Promise<Reply>,
  authorize?: (req: ProfileRequest) => string | undefined,
): (ctx: Ctx) => Promise<Response> {
  return async (ctx) => {
    const req = new _ProfileRequest(ctx);
    if (authorize !== undefined) req.subject = authorize(req);
    return _response(await handle(req));
  };
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
  readonly caller: Caller | null;
  readonly json: Readonly<Record<string, unknown>>;
  readonly form: URLSearchParams;
  /** Set by the route's authorisation step, before the handler runs. */
  subject: string | undefined = undefined;
  readonly #ctx: Ctx;
  /** The policy user a grant in the body authenticated (a password, a refresh token). */
  #grantee: AuditActor | undefined;
  /** Tokens are recorded with the caller as actor, or the user a grant authenticated. */
  readonly recordIssue: IssueRecorder = (kind, minted) =>
    noteIssued(this.#ctx, kind, minted, this.#ctx.caller === null ? this.#grantee : undefined);

  constructor(ctx: Ctx) {
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
    this.caller = ctx.caller;
    this.json = ctx.json;
    this.form = ctx.form;
  }

  get query(): URLSearchParams {
    return this.#ctx.query;
  }

  get grants(): GrantServices {
    const ctx = this.#ctx;
    return {
      checkPassword: async (user, password) => {
        const caller = await checkPolicyPassword(ctx, user, password);
        this.#grantee = { kind: "user", id: caller.subject };
        return caller;
      },
      admitPrincipal: async (subject) => {
        await admitPolicyUser(ctx, subject);
        this.#grantee = { kind: "user", id: subject };
      },
      verifyRefresh: async (token) =>
        (await verifyOwnToken(ctx, token, "registry_refresh")).payload,
    };
  }

  noteSubject(subject: string): void {
    this.#ctx.subject = subject;
  }
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

/**
 * Who can call what, rendered from the route table's declarations and the resolved runtime (the
 * same truth the dispatcher runs): for `keypebble check` and the threat model in docs/security.md.
 */

import type { Runtime } from "../runtime/mod.ts";
import { anonymousAllowed, type AppRoute, kindEnabled } from "../trust/mod.ts";
import { ROUTE_TABLE } from "./routes.ts";

/** One route as `check` shows it. */
export interface RouteAccess {
  readonly method: string;
  readonly template: string;
  /** The credentials accepted, e.g. `api_key, account`; `-` for none looked at. */
  readonly callers: string;
  /** Whether an anonymous caller is let in under this runtime. */
  readonly anonymous: boolean;
  readonly needs?: string;
  readonly kind?: string;
}

/** Every route this runtime serves (kinds switched off are left out). */
export function routeAccess(rt: Runtime, table: readonly AppRoute[] = ROUTE_TABLE): RouteAccess[] {
  const out: RouteAccess[] = [];
  for (const d of table) {
    if (d.profile !== undefined && !kindEnabled({ rt }, d.profile)) continue;
    out.push({
      method: d.method,
      // A query mode (`GET /forward-auth?limit=`) is its own declaration: shown as such.
      template: d.queryMode === undefined ? d.template : `${d.template}?${d.queryMode}=`,
      callers: d.caller.accepts.length === 0 ? "-" : d.caller.accepts.join(", "),
      anonymous: anonymousAllowed({ rt }, d.caller.anonymous, d.profile),
      ...(d.needs === undefined ? {} : { needs: d.needs }),
      ...(d.profile === undefined ? {} : { kind: d.profile }),
    });
  }
  return out;
}

/**
 * What an anonymous caller can obtain under this runtime, one line per route that answers one
 * (beyond probes and published documents): the minting routes opened to anonymous callers, and
 * the routes whose credential is in the body (logins, grants, registration).
 */
export function anonymousSurface(rt: Runtime): string[] {
  const lines: string[] = [];
  const registrationOpen = rt.config.accounts?.registration === "open";
  for (const a of routeAccess(rt)) {
    if (!a.anonymous) continue;
    if (a.kind !== undefined && a.template !== "/v2/token") {
      lines.push(`${a.method} ${a.template}: a token of the ${a.kind} kind, with no credentials`);
    } else if (a.template === "/api/v1/auth/register" && registrationOpen) {
      lines.push(`${a.method} ${a.template}: a new account (registration is open)`);
    } else if (a.template === "/oauth2/token" && rt.config.oauth?.tokenExchange === true) {
      lines.push(`${a.method} ${a.template}: token exchange of a token already held`);
    } else if (
      a.template === "/authorize" && a.method === "GET" && rt.config.accounts !== undefined &&
      rt.profiles.id !== undefined && kindEnabled({ rt }, "id")
    ) {
      lines.push(
        "GET /authorize, /end_session, /assets/login.css: the sign-in pages (nothing without a password)",
      );
    } else if (a.template === "/forward-auth?limit=") {
      const names = Object.keys(rt.config.limits.routes);
      if (names.length > 0) {
        lines.push(
          `${a.method} ${a.template}${names.join("|")}: 200 or 429 for its own address ` +
            "(limits.routes; no key, nothing about a key)",
        );
      }
    }
  }
  return lines;
}

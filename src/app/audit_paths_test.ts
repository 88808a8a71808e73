/**
 * One way into the audit trail (issue 20), held by the structure of the code:
 *
 * - every token `mint()` signs is told to the `record` its caller must give (the type says so);
 *   the server's recorder (`issuedBy`, src/trust/audit.ts) is the only place that counts
 *   `keypebble_tokens_issued`, and no source passes a recorder that records nothing;
 * - every route that changes something declares its audit action, or mints (the mint records
 *   it), or is listed here with the reason it changes nothing;
 * - every action declared is one of {@link AUDIT_ACTIONS}, and docs/operations.md lists them all.
 */

import assert from "node:assert/strict";
import { AUDIT_ACTIONS } from "../audit/mod.ts";
import { ROUTE_TABLE } from "./routes.ts";

/** Routes that take a body but change nothing worth an event, and why. */
const NO_CHANGE: Readonly<Record<string, string>> = {
  "POST /spiffe/v1/verify": "checks an SVID; changes nothing",
  "POST /oauth2/token": "every grant mints, and every token is recorded by the mint",
  "POST /oauth2/introspect": "reads a token's state",
  "POST /api/v1/auth/login": "mints an access token and a refresh token (both recorded)",
  "POST /api/v1/auth/refresh": "rotates and mints (both tokens recorded)",
  "POST /api/v1/auth/service-tokens/validate": "reads a key's state",
  "POST /forward-auth/failures": "counts a gateway's failed attempt toward a route limit",
  "POST /userinfo": "reads the signed-in account's claims",
  "POST /end_session": "ends the browser's own sign-in session (a logout)",
};

async function* _sources(dir: string, rel = ""): AsyncGenerator<[string, string]> {
  for await (const e of Deno.readDir(`${dir}${rel}`)) {
    const path = `${rel}${e.name}`;
    if (e.isDirectory) yield* _sources(dir, `${path}/`);
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) {
      if (e.name.endsWith("_suite.ts")) continue;
      yield [path, await Deno.readTextFile(`${dir}${path}`)];
    }
  }
}

Deno.test("tokens are counted and recorded in one place; no source mints with a recorder that records nothing", async () => {
  const root = new URL("../", import.meta.url).pathname;
  const problems: string[] = [];
  for await (const [path, text] of _sources(root)) {
    const code = text.replace(/^\s*(\/\/|\*).*$/gm, "");
    if (
      /\btokensIssued\b/.test(code) && path !== "trust/audit.ts" && !path.startsWith("metrics/")
    ) {
      problems.push(`${path}: counts tokens itself (use issuedBy/noteIssued)`);
    }
    if (/\brecord:\s*\(\s*\)\s*=>\s*(\{\s*\}|undefined)/.test(code)) {
      problems.push(`${path}: mints with a recorder that records nothing`);
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("every route that changes something declares its audit action, mints, or says why not", () => {
  const missing: string[] = [];
  const stale = new Set(Object.keys(NO_CHANGE));
  for (const r of ROUTE_TABLE) {
    if (r.method === "GET") continue;
    const name = `${r.method} ${r.template}`;
    stale.delete(name);
    if (r.audit === undefined && r.profile === undefined && NO_CHANGE[name] === undefined) {
      missing.push(name);
    }
    if (r.audit !== undefined && r.profile !== undefined) missing.push(`${name}: both`);
  }
  assert.deepEqual(missing, [], "declare `audit: { action }` on these routes");
  assert.deepEqual([...stale], [], "NO_CHANGE names routes that do not exist");
});

Deno.test("every declared action is a known one", () => {
  const known = new Set(Object.keys(AUDIT_ACTIONS));
  for (const r of ROUTE_TABLE) {
    const a = r.audit?.action;
    if (typeof a === "string") assert.ok(known.has(a), `${r.method} ${r.template}: ${a}`);
  }
  const status = ROUTE_TABLE.find((r) => r.template.endsWith("/users/{id}/status"))!;
  for (const body of ["suspended", { status: "suspended" }, "active", { status: "active" }]) {
    const f = status.audit!.action as (ctx: unknown) => string;
    assert.ok(known.has(f({ jsonValue: body })));
  }
});

Deno.test("the audit section of docs/operations.md lists every action", async () => {
  const doc = await Deno.readTextFile(new URL("../../docs/operations.md", import.meta.url));
  const start = doc.indexOf("## Audit trail");
  assert.ok(start >= 0, 'docs/operations.md has an "## Audit trail" section');
  const section = doc.slice(start, doc.indexOf("\n## ", start + 3));
  const missing = Object.keys(AUDIT_ACTIONS).filter((a) => !section.includes(`\`${a}\``));
  assert.deepEqual(missing, []);
});

/**
 * An in-process OpenID Provider (sign in with Keypebble, issue 24): accounts and API keys over one
 * in-memory SQLite store, an ES256 key for ID tokens, sign-in clients in the config, an adjustable
 * clock, and a small cookie-keeping browser that follows the flow's forms.
 */

import assert from "node:assert/strict";
import { AccountService } from "../../src/accounts/service.ts";
import { ApiKeyService } from "../../src/apikeys/service.ts";
import type { AccountsConfig } from "../../src/config/mod.ts";
import { generateKeyPem } from "../../src/jose/mod.ts";
import { s256Challenge } from "../../src/oidc/mod.ts";
import { openDenoSqlite } from "../../src/platform/sqlite_deno.ts";
import { openStore, type Role, type Store } from "../../src/store/mod.ts";
import { TEST_ACCOUNTS } from "./accounts.ts";
import { PEPPER, SECRET } from "./api_keys.ts";
import { cheapHash, makeTestHandler, type TestHandler } from "./handler.ts";

/** The issuer of the test provider. */
export const ISSUER = "https://kp.test";
/** The origin requests are sent to (the handler's base URL). */
export const ORIGIN = "http://keypebble.test";
/** The confidential client's secret. */
export const CLIENT_SECRET = "grafana-client-secret-0123456789";
/** A public, first-party client. */
export const WIKI = { id: "wiki", redirect: "https://wiki.example/cb" };
/** A confidential, third-party client (consent screen). */
export const GRAFANA = { id: "grafana", redirect: "https://grafana.example/login/generic_oauth" };

/** The clients section every sign-in test has. */
export async function clientsYaml(): Promise<string> {
  return `oauth:
  clients:
    - id: wiki
      name: Team wiki
      public: true
      first_party: true
      redirect_uris: ["${WIKI.redirect}", "http://127.0.0.1/callback"]
      post_logout_redirect_uris: ["https://wiki.example/bye"]
    - id: grafana
      name: Grafana
      secret_hash: "${await cheapHash(CLIENT_SECRET)}"
      redirect_uris: ["${GRAFANA.redirect}"]
      post_logout_redirect_uris: ["https://grafana.example/"]
      scopes: [dashboards]
    - id: ci
      secret_hash: "${await cheapHash(CLIENT_SECRET)}"
      audiences: [deploy-api]
`;
}

/** An in-process provider. */
export interface SigninInstance extends TestHandler {
  readonly store: Store;
  readonly accounts: AccountService;
  readonly apiKeys: ApiKeyService;
  readonly clock: { t: number };
  advance(seconds: number): void;
  /** Create an account; resolves to its id. */
  user(
    email: string,
    o?: { username?: string; role?: Role; password?: string; mustChange?: boolean },
  ): Promise<string>;
  /** A browser with its own cookie jar. */
  browser(remoteAddr?: string): Browser;
  close(): Promise<void>;
}

/** Build the provider. */
export async function makeSigninInstance(
  options: {
    accounts?: Partial<AccountsConfig>;
    extraYaml?: string;
    clients?: string;
    /** The wall clock (for relying-party libraries that check `iat` and `exp` against it). */
    realClock?: boolean;
  } = {},
): Promise<SigninInstance> {
  const clock = { t: Date.UTC(2026, 5, 10, 12, 0, 5) };
  const now = options.realClock === true ? () => Date.now() : () => clock.t;
  const store = await openStore("sqlite::memory:", {
    sqlite: openDenoSqlite,
    now: Math.floor(now() / 1000),
  });
  const apiKeys = new ApiKeyService({
    store,
    pepper: PEPPER,
    config: {
      url: "sqlite::memory:",
      pepperPath: "/kp/pepper",
      cacheSeconds: 5,
      keyPrefix: "kp_live_",
      acceptedPrefixes: ["kp_live_"],
      tokenTtlSeconds: 900,
    },
    now,
  });
  const accountsConfig = { ...TEST_ACCOUNTS, ...options.accounts };
  const accounts = new AccountService({
    store,
    config: accountsConfig,
    now,
    hashIterations: 1000,
  });
  await accounts.bootstrap("admin-password-1");
  const yaml = `issuer: "${ISSUER}"
audience: kp-api
keys:
  - path: ec.pem
    kid: sig-1
  - secret_path: secret
    kid: h1
store:
  url: "sqlite::memory:"
accounts:
  password_min_length: 8
${options.clients ?? await clientsYaml()}${options.extraYaml ?? ""}`;
  const kp = await makeTestHandler({
    configYaml: yaml,
    files: { "ec.pem": await generateKeyPem("ES256"), secret: SECRET },
    now,
    apiKeys,
    accounts,
  });
  const instance: SigninInstance = {
    ...kp,
    store,
    accounts,
    apiKeys,
    clock,
    advance: (seconds) => (clock.t += seconds * 1000),
    async user(email, o = {}) {
      const u = await accounts.create({
        email,
        password: o.password ?? "correct-horse-9",
        role: o.role ?? "viewer",
        ...(o.username === undefined ? {} : { username: o.username }),
        ...(o.mustChange === undefined ? {} : { mustChangePassword: o.mustChange }),
      });
      return u.id;
    },
    browser: (remoteAddr = "198.51.100.7") => new Browser(kp, remoteAddr),
    async close() {
      await apiKeys.close();
      await store.close();
    },
  };
  return instance;
}

/** PKCE: a verifier and its S256 challenge (RFC 7636 §4.1, §4.2). */
export function pkce(): { verifier: string; challenge: string } {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const verifier = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
  return { verifier, challenge: s256Challenge(verifier) };
}

/** The query of an authorization request (PKCE S256, openid, a state and a nonce). */
export function authorizeQuery(
  client: { id: string; redirect: string },
  challenge: string,
  extra: Record<string, string> = {},
): string {
  return new URLSearchParams({
    client_id: client.id,
    redirect_uri: client.redirect,
    response_type: "code",
    scope: "openid profile email",
    state: "st-1",
    nonce: `n-${crypto.randomUUID()}`,
    code_challenge: challenge,
    code_challenge_method: "S256",
    ...extra,
  }).toString();
}

/** A page's hidden inputs and form action, read with regular expressions (our own markup). */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]*)"/.exec(html)?.[1];
  if (action === undefined) throw new Error(`no form in page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]] = _unescape(m[2]);
  }
  return { action: _unescape(action), fields };
}

function _unescape(s: string): string {
  return s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<").replace(/&gt;/g, ">");
}

/** A minimal browser: a cookie jar, same-origin form posts with `Origin`, no redirect following. */
export class Browser {
  readonly jar = new Map<string, string>();

  constructor(readonly kp: TestHandler, readonly remoteAddr: string) {}

  /** The `Cookie` header for our origin. */
  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  #keep(res: Response): void {
    for (const sc of res.headers.getSetCookie()) {
      const [pair, ...attrs] = sc.split(";").map((x) => x.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (attrs.some((a) => /^max-age=0$/i.test(a)) || value === "") this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** GET a path of ours. */
  async get(path: string, headers: Record<string, string> = {}): Promise<Response> {
    const res = await this.kp.fetch(path, {
      headers: { cookie: this.cookieHeader(), ...headers },
    }, this.remoteAddr);
    this.#keep(res);
    return res;
  }

  /** POST a form to a path of ours, from our origin (as a browser submitting our page). */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const res = await this.kp.fetch(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: ORIGIN,
        cookie: this.cookieHeader(),
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    }, this.remoteAddr);
    this.#keep(res);
    return res;
  }

  /** Submit the form of `html` with `fields` added. */
  async submit(html: string, fields: Record<string, string>): Promise<Response> {
    const f = formOf(html);
    return await this.post(f.action, { ...f.fields, ...fields });
  }
}

/** The `code` (and everything else) of a redirect to the client. */
export function callbackParams(res: Response): URLSearchParams {
  const loc = res.headers.get("location");
  if (loc === null) throw new Error(`not a redirect: ${res.status}`);
  return new URL(loc).searchParams;
}

/** Redeem a code at the token endpoint. */
export async function redeem(
  kp: TestHandler,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return await kp.fetch("/oauth2/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ grant_type: "authorization_code", ...fields }).toString(),
  });
}

/**
 * Redeem the code of a public client (PKCE alone: `client_id`, its redirect URI and the
 * verifier); `got` is what {@link wikiCode} returns, or any code and verifier.
 */
export async function redeemPublic(
  kp: TestHandler,
  got: { code: string; verifier: string },
  client: { id: string; redirect: string } = WIKI,
): Promise<Response> {
  return await redeem(kp, {
    code: got.code,
    redirect_uri: client.redirect,
    client_id: client.id,
    code_verifier: got.verifier,
  });
}

/** The body of a successful authorization_code answer. */
export interface SigninTokens {
  readonly access_token: string;
  readonly refresh_token: string;
  readonly id_token: string;
  readonly scope: string;
  readonly token_type: string;
}

/** Sign `b` in to the wiki (see {@link wikiCode}) and redeem the code: the tokens issued. */
export async function wikiTokens(kp: TestHandler, b: Browser): Promise<SigninTokens> {
  const res = await redeemPublic(kp, await wikiCode(b));
  assert.equal(res.status, 200, await res.clone().text());
  return await res.json();
}

/** `POST /api/v1/auth/login` (pico-auth's login) with a JSON body. */
export async function apiLogin(
  kp: TestHandler,
  body: Record<string, unknown>,
  remoteAddr?: string,
): Promise<Response> {
  return await kp.fetch("/api/v1/auth/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }, remoteAddr);
}

/** An account's access token from the API login (which must succeed). */
export async function accessToken(
  kp: TestHandler,
  email: string,
  password = PASSWORD,
): Promise<string> {
  const res = await apiLogin(kp, { email, password });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).access_token as string;
}

/** A call of the JSON API with a bearer token, and a JSON body when one is given. */
export async function callApi(
  kp: TestHandler,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<Response> {
  return await kp.fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

/** `Authorization: Basic` for a client (RFC 6749 §2.3.1: each part form-urlencoded first). */
export function clientBasic(id: string, secret: string): Record<string, string> {
  return {
    authorization: `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`,
  };
}

/** The password of the accounts `user()` makes. */
export const PASSWORD = "correct-horse-9";

/** Sign in through the login page; resolves to the answer after the password. */
export async function signIn(
  b: Browser,
  query: string,
  who = "alice@example.com",
  password = PASSWORD,
): Promise<Response> {
  const page = await b.get(`/authorize?${query}`);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<form method="post"/);
  return await b.submit(html, { username: who, password });
}

/** The whole first-party flow: a code for the wiki (signing in when the browser has no session). */
export async function wikiCode(b: Browser, extra: Record<string, string> = {}) {
  const { verifier, challenge } = pkce();
  const query = authorizeQuery(WIKI, challenge, extra);
  const first = await b.get(`/authorize?${query}`);
  let res = first;
  if (first.status === 200) {
    res = await b.submit(await first.text(), { username: "alice@example.com", password: PASSWORD });
    assert.equal(res.status, 303, await res.clone().text());
  } else assert.equal(first.status, 302);
  const params = callbackParams(res);
  assert.ok(params.get("code"), res.headers.get("location") ?? "");
  return {
    code: params.get("code")!,
    params,
    verifier,
    query,
    nonce: new URLSearchParams(query).get("nonce")!,
  };
}

/**
 * The OpenAPI 3.1 description of sign-in with Keypebble (issue 24): the browser pages
 * (`/authorize`, `/end_session`, the stylesheet), UserInfo, and the sign-in clients of the admin
 * API (the second factor's account routes are in `src/accounts_api/openapi_paths.ts`). Spread into the served document by
 * `src/app/openapi.ts`; security is rendered there from each route's declaration.
 *
 * @module
 */

type Json = Record<string, unknown>;

const S = { type: "string" };
const BOOL = { type: "boolean" };
const LIST = { type: "array", items: S };
const ERR = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});
const HTML = (description: string): Json => ({
  description,
  content: { "text/html": { schema: S } },
});
const JSON_OK = (description: string, schema: Json = { type: "object" }): Json => ({
  description,
  content: { "application/json": { schema } },
});
const FOUND = (description: string): Json => ({
  description,
  headers: { Location: { schema: S } },
});
const PATH = (name: string): Json => ({ name, in: "path", required: true, schema: S });
const Q = (name: string, description: string): Json => ({
  name,
  in: "query",
  schema: S,
  description,
});

const AUTHORIZE_PARAMS = [
  Q("client_id", "A client of oauth.clients with redirect_uris, or one kept in the store"),
  Q("redirect_uri", "Exactly a registered one (loopback: any port, RFC 8252 §7.3)"),
  Q("response_type", '"code" only'),
  Q("scope", "openid, profile, email, offline_access and the client's own scopes"),
  Q("state", "Sent back as it is"),
  Q("nonce", "Put in the ID token; once per client (a replay is refused)"),
  Q("code_challenge", "PKCE S256 challenge (required)"),
  Q("code_challenge_method", '"S256" (required; "plain" is refused)'),
  Q("prompt", "none, login or consent"),
  Q("max_age", "Seconds since the last sign-in"),
  Q("login_hint", "Fills in the username"),
  Q("id_token_hint", "An ID token of ours naming who should be signed in (may be expired)"),
];

const LOGIN_FORM: Json = {
  type: "object",
  description:
    "One of the flow's forms, with csrf_token: the login form (username, password), the " +
    "second factor (mfa_ticket, otp), the forced password change (new_password, " +
    "new_password_confirm), TOTP enrolment (otp) or consent (consent = allow | deny)",
  properties: {
    csrf_token: S,
    username: S,
    password: S,
    mfa_ticket: S,
    otp: S,
    new_password: S,
    new_password_confirm: S,
    consent: { type: "string", enum: ["allow", "deny"] },
  },
};

const PAGE_RESPONSES: Json = {
  "200": HTML("A page: login, second factor, password change, TOTP enrolment or consent"),
  "302": FOUND("Back to the client: code, state and iss (RFC 9207), or error and state"),
  "303": FOUND("Back to the client after a form (as 302)"),
  "400": HTML(
    "The error page: unknown client, unregistered redirect_uri, a form without its " +
      "CSRF token (never a redirect)",
  ),
  "401": HTML("The login or code page again: wrong password or code"),
  "403": HTML("A form posted from another site (Origin), or a suspended account"),
  "404": HTML("Sign-in is not enabled"),
  "429": HTML("Locked out or rate limited; see Retry-After"),
};

const CLIENT = {
  type: "object",
  properties: {
    id: S,
    name: S,
    public: BOOL,
    first_party: BOOL,
    redirect_uris: LIST,
    post_logout_redirect_uris: LIST,
    scopes: LIST,
    audiences: LIST,
    source: { type: "string", enum: ["config", "store"] },
    created_at: S,
    updated_at: S,
    client_secret: { type: "string", description: "Only when created or rotated: shown once" },
  },
};

const CLIENT_BODY = {
  required: true,
  content: {
    "application/json": {
      schema: {
        type: "object",
        properties: {
          id: S,
          name: S,
          public: BOOL,
          first_party: BOOL,
          redirect_uris: LIST,
          post_logout_redirect_uris: LIST,
          scopes: LIST,
          audiences: LIST,
          rotate_secret: { type: "boolean", description: "PUT only: a new client_secret" },
        },
      },
    },
  },
};

const ADMIN_ERRORS: Json = {
  "400": ERR("Bad input (an id, a redirect URI)"),
  "401": ERR("No admin key or account token"),
  "403": ERR("Not a root principal"),
  "404": ERR("No such client, or accounts are not enabled"),
  "409": ERR("The id is taken, the client is declared in the config, or no asymmetric key"),
};

/** Path items of sign-in. */
export const SIGNIN_OPENAPI_PATHS: Readonly<Json> = {
  "/authorize": {
    get: {
      operationId: "authorize",
      summary: "OpenID Connect authorization endpoint (code flow with PKCE S256)",
      description:
        "Shows the login page (username, password and a hidden csrf_token), then as needed the " +
        "second factor (otp), the forced password change, TOTP enrolment, and for third-party " +
        "clients the consent page (consent=allow); then redirects to the client with the code.",
      parameters: AUTHORIZE_PARAMS,
      responses: PAGE_RESPONSES,
    },
    post: {
      operationId: "authorizeSubmit",
      summary:
        "The flow's forms (the request in the query), or a form-encoded request (303 to GET)",
      parameters: AUTHORIZE_PARAMS,
      requestBody: {
        required: true,
        content: { "application/x-www-form-urlencoded": { schema: LOGIN_FORM } },
      },
      responses: PAGE_RESPONSES,
    },
  },
  "/userinfo": {
    get: {
      operationId: "getUserinfo",
      summary: "OpenID Connect UserInfo (Core §5.3): claims of the token's account, by scope",
      responses: {
        "200": JSON_OK(
          "sub; with profile name, preferred_username, updated_at; with email " +
            "email and email_verified (false)",
        ),
        "401": ERR('No valid account token (WWW-Authenticate: Bearer error="invalid_token")'),
        "403": ERR("insufficient_scope: the token was not granted openid"),
      },
    },
    post: {
      operationId: "postUserinfo",
      summary: "OpenID Connect UserInfo, as GET",
      responses: {
        "200": JSON_OK("As GET"),
        "401": ERR("No valid account token"),
        "403": ERR("insufficient_scope"),
      },
    },
  },
  "/end_session": {
    get: {
      operationId: "endSession",
      summary: "RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)",
      description: "Signs the browser out (asking first unless id_token_hint names its session) " +
        "and redirects to a registered post_logout_redirect_uri with state; an unregistered one " +
        "shows the error page.",
      parameters: [
        Q("id_token_hint", "An ID token of ours (an expired one is accepted)"),
        Q("client_id", "The client asking"),
        Q("post_logout_redirect_uri", "Registered for the client"),
        Q("state", "Sent back"),
      ],
      responses: {
        "200": HTML("The confirmation page, or the signed-out page"),
        "302": FOUND("Signed out: to the post-logout URI with state"),
        "400": HTML("The error page (unknown client, unregistered URI, invalid hint)"),
        "404": HTML("Sign-in is not enabled"),
      },
    },
    post: {
      operationId: "endSessionConfirm",
      summary: "The confirmation form (logout = yes | no, csrf_token)",
      requestBody: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: {
              type: "object",
              properties: { csrf_token: S, logout: { type: "string", enum: ["yes", "no"] } },
            },
          },
        },
      },
      responses: {
        "200": HTML("Signed out, or still signed in"),
        "303": FOUND("Signed out: to the post-logout URI with state"),
        "400": HTML("No CSRF token, or the error page"),
        "403": HTML("Posted from another site"),
      },
    },
  },
  "/assets/login.css": {
    get: {
      operationId: "getLoginStylesheet",
      summary: "The sign-in pages' stylesheet (compiled into the binary)",
      responses: {
        "200": { description: "CSS", content: { "text/css": { schema: S } } },
        "404": HTML("Sign-in is not enabled"),
      },
    },
  },
  "/admin/clients": {
    get: {
      operationId: "listClients",
      summary: "Sign-in clients: the config's (read-only) and the store's",
      responses: {
        "200": JSON_OK("The clients", {
          type: "object",
          properties: { clients: { type: "array", items: CLIENT }, total: { type: "integer" } },
        }),
        ...ADMIN_ERRORS,
      },
    },
    post: {
      operationId: "createClient",
      summary: "Create a sign-in client (a confidential one's client_secret is shown once)",
      requestBody: CLIENT_BODY,
      responses: { "201": JSON_OK("Created", CLIENT), ...ADMIN_ERRORS },
    },
  },
  "/admin/clients/{id}": {
    get: {
      operationId: "getClient",
      summary: "One sign-in client",
      parameters: [PATH("id")],
      responses: { "200": JSON_OK("The client", CLIENT), ...ADMIN_ERRORS },
    },
    put: {
      operationId: "updateClient",
      summary: "Change a stored client (or rotate its secret)",
      parameters: [PATH("id")],
      requestBody: CLIENT_BODY,
      responses: { "200": JSON_OK("The client", CLIENT), ...ADMIN_ERRORS },
    },
    delete: {
      operationId: "deleteClient",
      summary: "Remove a stored client",
      parameters: [PATH("id")],
      responses: { "204": { description: "Removed" }, ...ADMIN_ERRORS },
    },
  },
};

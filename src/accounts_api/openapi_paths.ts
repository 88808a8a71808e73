/**
 * The OpenAPI 3.1 description of the account, pico-auth and OAuth2 introspection/revocation
 * routes (issue 13), spread into the served document (`src/http/openapi.ts`) with their security
 * schemes. Errors reference the document's `Error` schema; on pico-auth's paths they also carry
 * `detail`.
 */

type Json = Record<string, unknown>;

const ERR = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const ERRORS: Json = {
  "400": ERR("Bad input"),
  "401": ERR("No valid account token (WWW-Authenticate: Bearer)"),
  "403": ERR("The role may not do this, or the password must be changed first"),
  "404": ERR("No such user, group or token within the caller's reach"),
  "409": ERR("Already exists"),
  "413": ERR("Body larger than limits.max_body_bytes"),
  "415": ERR("The body is not application/json"),
  "429": ERR("Rate limited or locked out; see Retry-After"),
};

const ACCOUNT = [{ accountBearer: [] }];
const OBJ = (properties: Json, required: string[] = []): Json => ({
  type: "object",
  properties,
  ...(required.length === 0 ? {} : { required }),
});
const S = { type: "string" };
const JSON_BODY = (schema: Json): Json => ({
  required: true,
  content: { "application/json": { schema } },
});
const OK = (description: string, schema: Json = { type: "object" }, status = "200"): Json => ({
  [status]: { description, content: { "application/json": { schema } } },
});
const PATH = (...names: string[]): Json[] =>
  names.map((name) => ({ name, in: "path", required: true, schema: S }));

const TOKENS = OBJ({
  access_token: S,
  refresh_token: S,
  token_type: { type: "string", const: "Bearer" },
  expires_in: { type: "integer" },
  password_change_required: { type: "boolean" },
}, ["access_token", "refresh_token", "token_type", "expires_in"]);

const INT = { type: "integer" };
/** RFC 7662 §2.2: `active`, and for an active token the claims shown (src/oauth/introspect_revoke.ts). */
const INTROSPECTION = OBJ({
  active: { type: "boolean" },
  token_type: { type: "string", enum: ["Bearer", "refresh_token"] },
  username: S,
  iss: S,
  sub: S,
  aud: { type: ["string", "array"], items: S },
  exp: INT,
  iat: INT,
  nbf: INT,
  jti: S,
  scope: S,
  client_id: S,
  email: S,
  role: S,
  org_id: S,
  groups: { type: "array", items: S },
}, ["active"]);

const USER = OBJ({
  id: S,
  email: S,
  display_name: S,
  role: { type: "string", enum: ["superadmin", "org_admin", "operator", "viewer"] },
  org_id: S,
  status: S,
  username: S,
});

const OAUTH_FORM = (props: Json, required: string[]): Json => ({
  required: true,
  content: { "application/x-www-form-urlencoded": { schema: OBJ(props, required) } },
});

const op = (operationId: string, summary: string, rest: Json): Json => ({
  operationId,
  summary,
  ...rest,
});

/** Security schemes the paths below use. */
export const ACCOUNT_SECURITY_SCHEMES: Readonly<Json> = {
  accountBearer: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT (at+jwt, the account kind)",
    description: "An account's access token from /api/v1/auth/login or the password grant",
  },
  oauthClient: {
    type: "http",
    scheme: "basic",
    description: "An OAuth2 client: oauth.clients, or an API key (client_id = key id)",
  },
};

/** Paths of issue 13, by template and method. */
/** Sign-in's second factor (issue 24). */
const BOOL = { type: "boolean" };
const LIST = { type: "array", items: S };
const TOTP_OK = (description: string, schema: Json = { type: "object" }): Json => ({
  description,
  content: { "application/json": { schema } },
});
const TOTP_STATUS = {
  type: "object",
  properties: {
    enrolled: BOOL,
    required: BOOL,
    required_by_account: BOOL,
    pending: BOOL,
    recovery_codes_left: { type: "integer" },
  },
};

const TOTP_ERRORS: Json = {
  "400": ERR("Bad input"),
  "401": ERR("No valid account token"),
  "403": ERR("The role may not do this, or the password was wrong"),
  "404": ERR("No such user within the caller's reach, or accounts are not enabled"),
  "429": ERR("Rate limited or locked out"),
};

export const ACCOUNT_OPENAPI_PATHS: Readonly<Record<string, Json>> = {
  "/api/v1/auth/me/totp": {
    get: {
      operationId: "getMyTotp",
      summary: "The caller's second factor: enrolled, required, recovery codes left",
      responses: { "200": TOTP_OK("State", TOTP_STATUS), ...TOTP_ERRORS },
    },
    post: {
      operationId: "enrolMyTotp",
      summary: "Begin TOTP enrolment (the password again): secret, otpauth URI, QR code, " +
        "recovery codes",
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { type: "object", required: ["password"], properties: { password: S } },
          },
        },
      },
      responses: {
        "201": TOTP_OK("Shown once", {
          type: "object",
          properties: { secret: S, otpauth_uri: S, qr_svg: S, recovery_codes: LIST },
        }),
        ...TOTP_ERRORS,
      },
    },
  },
  "/api/v1/auth/me/totp/confirm": {
    post: {
      operationId: "confirmMyTotp",
      summary: "Turn the pending TOTP secret on with a code from the app",
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { type: "object", required: ["code"], properties: { code: S } },
          },
        },
      },
      responses: { "200": TOTP_OK("State", TOTP_STATUS), ...TOTP_ERRORS },
    },
  },
  "/api/v1/auth/users/{id}/totp": {
    get: {
      operationId: "getUserTotp",
      summary: "An account's second factor",
      parameters: [...PATH("id")],
      responses: { "200": TOTP_OK("State", TOTP_STATUS), ...TOTP_ERRORS },
    },
    put: {
      operationId: "setUserTotpRequired",
      summary: "Require (or not) a second factor of this account",
      parameters: [...PATH("id")],
      requestBody: {
        required: true,
        content: {
          "application/json": {
            schema: { type: "object", required: ["required"], properties: { required: BOOL } },
          },
        },
      },
      responses: { "200": TOTP_OK("State", TOTP_STATUS), ...TOTP_ERRORS },
    },
    delete: {
      operationId: "resetUserTotp",
      summary: "Reset the account's second factor (secret and recovery codes; its browser " +
        "sessions end)",
      parameters: [...PATH("id")],
      responses: { "200": TOTP_OK("State", TOTP_STATUS), ...TOTP_ERRORS },
    },
  },

  "/oauth2/introspect": {
    post: op("introspectToken", "RFC 7662 token introspection", {
      security: [{ oauthClient: [] }],
      requestBody: OAUTH_FORM({ token: S, token_type_hint: S }, ["token"]),
      responses: {
        ...OK("active and, when active, the token's claims", INTROSPECTION),
        ...ERRORS,
      },
    }),
  },
  "/oauth2/revoke": {
    post: op("revokeToken", "RFC 7009 token revocation (200 for unknown tokens too)", {
      security: [{}, { oauthClient: [] }],
      requestBody: OAUTH_FORM({ token: S, token_type_hint: S }, ["token"]),
      responses: { "200": { description: "Revoked (or nothing to revoke)" }, ...ERRORS },
    }),
  },
  "/api/v1/auth/register": {
    post: op("register", "pico-auth: register (when accounts.registration is open)", {
      security: [],
      requestBody: JSON_BODY(OBJ({ email: S, password: S, display_name: S }, [
        "email",
        "password",
      ])),
      responses: { ...OK("The new account", USER, "201"), ...ERRORS },
    }),
  },
  "/api/v1/auth/login": {
    post: op("login", "pico-auth: log in with e-mail or username and password", {
      security: [],
      requestBody: JSON_BODY(OBJ({ email: S, username: S, password: S }, ["password"])),
      responses: { ...OK("Access and refresh token", TOKENS), ...ERRORS },
    }),
  },
  "/api/v1/auth/refresh": {
    post: op("refresh", "pico-auth: rotate a refresh token (bare JSON string or {refresh_token})", {
      security: [],
      requestBody: JSON_BODY({ oneOf: [S, OBJ({ refresh_token: S }, ["refresh_token"])] }),
      responses: { ...OK("The next access and refresh token", TOKENS), ...ERRORS },
    }),
  },
  "/api/v1/auth/me": {
    get: op("getMe", "pico-auth: the caller's profile", {
      security: ACCOUNT,
      responses: {
        ...OK(
          "The profile",
          OBJ({ ...(USER.properties as Json), created_at: S, last_login_at: S }),
        ),
        ...ERRORS,
      },
    }),
  },
  "/api/v1/auth/me/password": {
    post: op("changeMyPassword", "pico-auth: change one's password (revokes every refresh token)", {
      security: ACCOUNT,
      requestBody: JSON_BODY(OBJ({ old_password: S, new_password: S }, [
        "old_password",
        "new_password",
      ])),
      responses: { ...OK("Password changed", OBJ({ message: S })), ...ERRORS },
    }),
  },
  "/api/v1/auth/jwks": {
    get: op("getAccountJwks", "pico-auth: the JWKS (as /.well-known/jwks.json)", {
      security: [],
      responses: {
        ...OK("JWK Set", OBJ({ keys: { type: "array", items: { type: "object" } } })),
        "403": ERR("The client address is blocked"),
        "429": ERR("Rate limited (per address); see Retry-After"),
      },
    }),
  },
  "/api/v1/auth/users": {
    get: op("listUsers", "pico-auth: list accounts (org admins see their organisation)", {
      security: ACCOUNT,
      responses: {
        ...OK(
          "Accounts",
          OBJ({ users: { type: "array", items: USER }, total: { type: "integer" } }),
        ),
        ...ERRORS,
      },
    }),
    post: op(
      "createUser",
      "pico-auth: create an account with a role (password or, superadmin, password_hash)",
      {
        security: ACCOUNT,
        requestBody: JSON_BODY(OBJ({
          email: S,
          password: S,
          password_hash: S,
          display_name: S,
          role: S,
          org_id: S,
          username: S,
        }, ["email"])),
        responses: { ...OK("The account", USER, "201"), ...ERRORS },
      },
    ),
  },
  "/api/v1/auth/users/registration": {
    get: op("getRegistration", "pico-auth: whether self-registration is open", {
      security: ACCOUNT,
      responses: { ...OK("", OBJ({ registration_enabled: { type: "boolean" } })), ...ERRORS },
    }),
    put: op("setRegistration", "pico-auth: open or close self-registration", {
      security: ACCOUNT,
      requestBody: JSON_BODY(OBJ({ enabled: { type: "boolean" } }, ["enabled"])),
      responses: { ...OK("", OBJ({ registration_enabled: { type: "boolean" } })), ...ERRORS },
    }),
  },
  "/api/v1/auth/users/{id}/role": {
    put: op("setUserRole", "pico-auth: change a role (bare JSON string or {role})", {
      security: ACCOUNT,
      parameters: PATH("id"),
      requestBody: JSON_BODY({ oneOf: [S, OBJ({ role: S }, ["role"])] }),
      responses: { ...OK("", OBJ({ id: S, email: S, role: S })), ...ERRORS },
    }),
  },
  "/api/v1/auth/users/{id}/password": {
    put: op(
      "resetUserPassword",
      "pico-auth: reset a password (revokes the account's refresh tokens)",
      {
        security: ACCOUNT,
        parameters: PATH("id"),
        requestBody: JSON_BODY(OBJ({ new_password: S }, ["new_password"])),
        responses: { ...OK("", OBJ({ message: S, id: S })), ...ERRORS },
      },
    ),
  },
  "/api/v1/auth/users/{id}/status": {
    put: op(
      "setUserStatus",
      "Suspend or resume an account (superadmin, or an org admin within its org)",
      {
        security: ACCOUNT,
        parameters: PATH("id"),
        requestBody: JSON_BODY(OBJ({ status: { type: "string", enum: ["suspended", "active"] } }, [
          "status",
        ])),
        responses: {
          ...OK(
            "The account; a suspended one cannot log in, refresh, or use tokens issued before",
            OBJ({ id: S, email: S, role: S, org_id: S, status: S }),
          ),
          ...ERRORS,
        },
      },
    ),
  },
  "/api/v1/auth/service-tokens": {
    get: op("listServiceTokens", "pico-auth: list service tokens (API keys with scope service)", {
      security: ACCOUNT,
      responses: {
        ...OK("", OBJ({ service_tokens: { type: "array" }, total: { type: "integer" } })),
        ...ERRORS,
      },
    }),
    post: op(
      "createServiceToken",
      "pico-auth: create a service token (the token is in the answer, once)",
      {
        security: ACCOUNT,
        requestBody: JSON_BODY(OBJ({ name: S, role: S, org_id: S }, ["name"])),
        responses: {
          ...OK("", OBJ({ id: S, name: S, role: S, org_id: S, token: S }), "201"),
          ...ERRORS,
        },
      },
    ),
  },
  "/api/v1/auth/service-tokens/validate": {
    post: op("validateServiceToken", "pico-auth: validate a service token", {
      security: ACCOUNT,
      requestBody: JSON_BODY(OBJ({ token: S }, ["token"])),
      responses: {
        ...OK("", OBJ({ valid: { type: "boolean" }, name: S, role: S, org_id: S })),
        ...ERRORS,
      },
    }),
  },
  "/api/v1/auth/service-tokens/{name}": {
    delete: op("deleteServiceToken", "pico-auth: revoke the service tokens of a name", {
      security: ACCOUNT,
      parameters: PATH("name"),
      responses: {
        ...OK("", OBJ({ message: S, name: S, revoked: { type: "integer" } })),
        ...ERRORS,
      },
    }),
  },
  "/api/v1/groups": {
    get: op("listGroups", "pico-auth: list groups", {
      security: ACCOUNT,
      responses: {
        ...OK("", OBJ({ groups: { type: "array" }, total: { type: "integer" } })),
        ...ERRORS,
      },
    }),
    post: op("createGroup", "pico-auth: create a group in the caller's organisation", {
      security: ACCOUNT,
      requestBody: JSON_BODY(OBJ({ name: S, description: S }, ["name"])),
      responses: {
        ...OK("", OBJ({ id: S, name: S, org_id: S, description: S }), "201"),
        ...ERRORS,
      },
    }),
  },
  "/api/v1/groups/{id}": {
    get: op("getGroup", "pico-auth: a group and its members", {
      security: ACCOUNT,
      parameters: PATH("id"),
      responses: { ...OK("", OBJ({ id: S, name: S, members: { type: "array" } })), ...ERRORS },
    }),
    put: op("updateGroup", "pico-auth: rename or describe a group", {
      security: ACCOUNT,
      parameters: PATH("id"),
      requestBody: JSON_BODY(OBJ({ name: S, description: S })),
      responses: { ...OK("", OBJ({ id: S, name: S, description: S })), ...ERRORS },
    }),
    delete: op("deleteGroup", "pico-auth: delete a group", {
      security: ACCOUNT,
      parameters: PATH("id"),
      responses: { ...OK("", OBJ({ message: S })), ...ERRORS },
    }),
  },
  "/api/v1/groups/{id}/members": {
    post: op("addGroupMember", "pico-auth: add a member", {
      security: ACCOUNT,
      parameters: PATH("id"),
      requestBody: JSON_BODY(OBJ({ user_id: S }, ["user_id"])),
      responses: { ...OK("", OBJ({ message: S }), "201"), ...ERRORS },
    }),
  },
  "/api/v1/groups/{id}/members/{user_id}": {
    delete: op("removeGroupMember", "pico-auth: remove a member", {
      security: ACCOUNT,
      parameters: PATH("id", "user_id"),
      responses: { ...OK("", OBJ({ message: S })), ...ERRORS },
    }),
  },
};

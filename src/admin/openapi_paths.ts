/**
 * The OpenAPI 3.1 description of the API-key routes of issue 12 (`/forward-auth`,
 * `POST /oauth2/token`, the `/admin/` API), spread into the served document
 * (`src/http/openapi.ts`) with their security schemes.
 */

type Json = Record<string, unknown>;

const ERR = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const ERRORS: Json = {
  "400": ERR("Bad input"),
  "401": ERR("No valid credential"),
  "403": ERR("Not allowed (scope, role, suspended organisation, block)"),
  "404": ERR("No such organisation, key or block"),
  "409": ERR("Already exists"),
  "413": ERR("Body larger than limits.max_body_bytes"),
  "429": ERR("Rate limited, over quota or locked out; see Retry-After"),
  "503": ERR("The store or the shared counters are unavailable"),
};

const ADMIN = [{ adminKey: [] }, { accountBearer: [] }];
const S = { type: "string" };
const OBJ = (properties: Json, required: string[] = []): Json => ({
  type: "object",
  properties,
  ...(required.length === 0 ? {} : { required }),
});
const BODY = (schema: Json): Json => ({
  required: true,
  content: { "application/json": { schema } },
});
const OK = (description: string, status = "200"): Json => ({
  [status]: { description, content: { "application/json": { schema: { type: "object" } } } },
});
const PATH = (...names: string[]): Json[] =>
  names.map((name) => ({ name, in: "path", required: true, schema: S }));
const op = (summary: string, rest: Json): Json => ({ summary, ...rest });

/** Security schemes the paths below use. */
export const API_KEY_SECURITY_SCHEMES: Readonly<Json> = {
  apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "An API key" },
  adminKey: {
    type: "apiKey",
    in: "header",
    name: "X-Admin-Key",
    description: "An API key with the admin scope (also accepted in X-API-Key or as Bearer)",
  },
};

/** Paths of issue 12, by template and method. */
export const API_KEY_OPENAPI_PATHS: Readonly<Record<string, Json>> = {
  "/forward-auth": {
    get: op("Check an API key for a proxy's auth_request (identity in response headers)", {
      security: [{ apiKey: [] }],
      parameters: [{ name: "X-Required-Scope", in: "header", schema: S }],
      responses: { "200": { description: "The key is valid" }, ...ERRORS },
    }),
  },
  "/oauth2/token": {
    post: op(
      "OAuth2 token endpoint (RFC 6749): client_credentials, password, refresh_token, token exchange",
      {
        security: [{}, { oauthClient: [] }],
        requestBody: {
          required: true,
          content: {
            "application/x-www-form-urlencoded": {
              schema: OBJ({
                grant_type: S,
                scope: S,
                audience: S,
                resource: S,
                client_id: S,
                client_secret: S,
                username: S,
                password: S,
                refresh_token: S,
                subject_token: S,
                subject_token_type: S,
                requested_token_type: S,
              }, ["grant_type"]),
            },
          },
        },
        responses: {
          "200": {
            description: "RFC 6749 §5.1 token response (Cache-Control: no-store)",
            content: {
              "application/json": {
                schema: OBJ({
                  access_token: S,
                  token_type: S,
                  expires_in: { type: "integer" },
                  scope: S,
                  refresh_token: S,
                  issued_token_type: S,
                }, ["access_token", "token_type", "expires_in"]),
              },
            },
          },
          ...ERRORS,
        },
      },
    ),
  },
  "/admin/orgs": {
    get: op("List organisations", {
      security: ADMIN,
      responses: { ...OK("Organisations"), ...ERRORS },
    }),
    post: op("Create an organisation", {
      security: ADMIN,
      requestBody: BODY(OBJ({ name: S }, ["name"])),
      responses: { ...OK("The organisation", "201"), ...ERRORS },
    }),
  },
  "/admin/orgs/{name}/suspend": {
    post: op("Suspend an organisation (its keys are refused)", {
      security: ADMIN,
      parameters: PATH("name"),
      responses: { ...OK("The organisation"), ...ERRORS },
    }),
  },
  "/admin/orgs/{name}/resume": {
    post: op("Resume an organisation", {
      security: ADMIN,
      parameters: PATH("name"),
      responses: { ...OK("The organisation"), ...ERRORS },
    }),
  },
  "/admin/keys": {
    get: op("List keys (never the keys themselves)", {
      security: ADMIN,
      parameters: [{ name: "org_name", in: "query", schema: S }],
      responses: { ...OK("Keys"), ...ERRORS },
    }),
    post: op("Create a key (raw_key is in the answer, once)", {
      security: ADMIN,
      requestBody: BODY(OBJ({
        org_name: S,
        label: S,
        prefix: S,
        rate_limit_per_minute: { type: "integer" },
        scopes: { type: "array", items: S },
        claims: { type: "object" },
        audiences: { type: "array", items: S },
        monthly_quota: { type: "integer" },
        expires_in_seconds: { type: "integer" },
      }, ["org_name", "label"])),
      responses: { ...OK("The key with raw_key", "201"), ...ERRORS },
    }),
  },
  "/admin/keys/{id}": {
    get: op("One key", {
      security: ADMIN,
      parameters: PATH("id"),
      responses: { ...OK("The key"), ...ERRORS },
    }),
    delete: op("Revoke a key", {
      security: ADMIN,
      parameters: PATH("id"),
      responses: { ...OK("Revoked"), ...ERRORS },
    }),
  },
  "/admin/keys/{id}/roll": {
    post: op("Roll a key: a new one, the old one ends after grace_seconds", {
      security: ADMIN,
      parameters: PATH("id"),
      requestBody: BODY(OBJ({ grace_seconds: { type: "integer" } })),
      responses: { ...OK("The new key with raw_key", "201"), ...ERRORS },
    }),
  },
  "/admin/stats": {
    get: op("Usage statistics", { security: ADMIN, responses: { ...OK("Statistics"), ...ERRORS } }),
  },
  "/admin/blocks": {
    get: op("Blocks in force", { security: ADMIN, responses: { ...OK("Blocks"), ...ERRORS } }),
    post: op("Block an address or a principal", {
      security: ADMIN,
      requestBody: BODY(OBJ({ kind: S, value: S, seconds: { type: "integer" }, reason: S }, [
        "kind",
        "value",
      ])),
      responses: { ...OK("The block", "201"), ...ERRORS },
    }),
  },
  "/admin/blocks/{kind}/{value}": {
    delete: op("Lift a block", {
      security: ADMIN,
      parameters: PATH("kind", "value"),
      responses: { ...OK("Lifted"), ...ERRORS },
    }),
  },
};

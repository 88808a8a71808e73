/**
 * The OpenAPI description of the API key endpoints (issue 12): `GET /forward-auth`,
 * `POST /oauth2/token` (client_credentials, RFC 6749 §4.4) and the keyguard-compatible admin API
 * under `/admin/`. Spread into `OPENAPI` by `openapi.ts`; the field names are those the handlers
 * write (`src/admin/handlers.ts`, `src/apikeys/forward_auth.ts`, `src/oauth/`).
 *
 * @module
 */

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const error = (description: string, headers?: Json): Json => ({
  description,
  ...(headers === undefined ? {} : { headers }),
  content: { "application/json": { schema: ref("Error") } },
});

const ok = (description: string, schema: Json): Json => ({
  description,
  content: { "application/json": { schema } },
});

const jsonBody = (schema: Json): Json => ({
  required: true,
  content: { "application/json": { schema } },
});

const RETRY_AFTER: Json = { "Retry-After": { schema: { type: "integer" } } };

const NO_STORE = error("API keys are not enabled on this server (no store is configured)");
const STORE_DOWN = error("The store cannot answer (and the answer is not cached)");

/** Errors every admin operation can answer. */
const ADMIN_ERRORS: Json = {
  "400": error("Bad input: invalid_request, invalid_scope, invalid_claims"),
  "401": error("No admin key, or a malformed, unknown, revoked or expired one"),
  "403": error('The key lacks the "admin" scope, or its organisation or address is blocked'),
  "404": error("No such organisation, key or block; or no store is configured"),
  "413": error("Body larger than limits.max_body_bytes"),
  "429": error("Rate limited or locked out; see Retry-After", RETRY_AFTER),
  "503": STORE_DOWN,
};

// With accounts (issue 13), an account's access token also authenticates (its role decides).
const ADMIN = [{ adminKey: [] }, { apiKey: [] }, { apiKeyBearer: [] }, { accountBearer: [] }];

const rfc3339 = (description: string, nullable = true): Json => ({
  type: nullable ? ["string", "null"] : "string",
  format: "date-time",
  description,
});

const NULLABLE_INT = { type: ["integer", "null"] };
const STRINGS = { type: "array", items: { type: "string" } };

const pathParam = (name: string, description: string): Json => ({
  name,
  in: "path",
  required: true,
  description,
  schema: { type: "string" },
});

/** Component schemas of the API key endpoints. */
export const API_KEY_SCHEMAS: Readonly<Json> = {
  Organization: {
    type: "object",
    required: ["id", "name", "status", "created_at", "key_count"],
    properties: {
      id: { type: "string" },
      name: { type: "string" },
      status: { type: "string", enum: ["active", "suspended"] },
      created_at: rfc3339("Creation time", false),
      key_count: { type: "integer" },
    },
  },
  ApiKey: {
    type: "object",
    description: "A key as listed: never the key itself nor its hash",
    required: [
      "id",
      "label",
      "prefix",
      "is_active",
      "rate_limit_per_minute",
      "scopes",
      "org_name",
      "created_at",
      "last_used_at",
      "status",
      "expires_at",
      "monthly_quota",
      "audiences",
      "claims",
      "replaced_by",
    ],
    properties: {
      id: { type: "string" },
      label: { type: "string" },
      prefix: { type: "string", description: "The first characters of the key, safe to show" },
      is_active: { type: "boolean", description: "Usable now (active and not expired)" },
      rate_limit_per_minute: NULLABLE_INT,
      scopes: STRINGS,
      org_name: { type: "string" },
      created_at: rfc3339("Creation time", false),
      last_used_at: rfc3339("Last accepted use"),
      status: { type: "string", enum: ["active", "revoked"] },
      expires_at: rfc3339("End of validity (set by roll's grace period or expires_in_seconds)"),
      monthly_quota: NULLABLE_INT,
      audiences: STRINGS,
      claims: { type: "object", description: "Claims signed into the key's api tokens" },
      replaced_by: { type: ["string", "null"], description: "The key that rolled this one" },
    },
  },
  ApiKeyCreated: {
    type: "object",
    description: "A new key; raw_key is shown this once and never stored",
    required: [
      "id",
      "label",
      "prefix",
      "raw_key",
      "rate_limit_per_minute",
      "scopes",
      "org_name",
      "created_at",
      "expires_at",
      "monthly_quota",
    ],
    properties: {
      id: { type: "string" },
      label: { type: "string" },
      prefix: { type: "string" },
      raw_key: { type: "string" },
      rate_limit_per_minute: NULLABLE_INT,
      scopes: STRINGS,
      org_name: { type: "string" },
      created_at: rfc3339("Creation time", false),
      expires_at: rfc3339("End of validity"),
      monthly_quota: NULLABLE_INT,
    },
  },
  Block: {
    type: "object",
    required: ["kind", "value", "until", "reason", "created_at"],
    properties: {
      kind: { type: "string", enum: ["address", "principal"] },
      value: { type: "string", description: "A client address, or a user, key id or subject" },
      until: rfc3339("When the block ends", false),
      reason: { type: "string" },
      created_at: rfc3339("When it was set", false),
    },
  },
};

/** Path items of the API key endpoints. */
export const API_KEY_PATHS: Readonly<Json> = {
  "/forward-auth": {
    get: {
      summary: "Gateway check of an API key (nginx auth_request, Traefik, Caddy, Envoy)",
      description: "The key comes in X-API-Key or Authorization: Bearer; a required scope in " +
        "X-Required-Scope or ?scope=. A 200 carries who the caller is for the gateway to copy " +
        "upstream. Key checks are cached for store.cache_seconds (the longest a revocation waits).",
      security: [{ apiKey: [] }, { apiKeyBearer: [] }],
      parameters: [
        { name: "X-Required-Scope", in: "header", schema: { type: "string", maxLength: 128 } },
        { name: "scope", in: "query", schema: { type: "string", maxLength: 128 } },
      ],
      responses: {
        "200": {
          description: "Allowed (no body)",
          headers: {
            "X-Auth-Subject": { description: "The key id", schema: { type: "string" } },
            "X-Auth-Key-Id": { schema: { type: "string" } },
            "X-Auth-Org": { description: "The organisation's name", schema: { type: "string" } },
            "X-Auth-Scopes": { description: "Space-separated", schema: { type: "string" } },
            "RateLimit": {
              description: "When the key has a rate limit",
              schema: { type: "string" },
            },
            "RateLimit-Policy": { schema: { type: "string" } },
            "X-RateLimit-Limit": { schema: { type: "integer" } },
            "X-RateLimit-Remaining": { schema: { type: "integer" } },
            "X-RateLimit-Reset": { schema: { type: "integer" } },
          },
        },
        "400": error("The required scope is not a valid scope (invalid_scope)"),
        "401": error("No key, or a malformed, unknown, revoked or expired one"),
        "403": error("Scope missing, organisation suspended, or key or address blocked"),
        "404": NO_STORE,
        "429": error(
          "Rate limited, over the monthly quota, or locked out; see Retry-After",
          RETRY_AFTER,
        ),
        "503": STORE_DOWN,
      },
    },
  },
  "/oauth2/token": {
    post: {
      summary: "OAuth2 client_credentials with an API key (RFC 6749 §4.4) → an api JWT; with " +
        "accounts and oauth (issue 13) also the password and refresh_token grants and RFC 8693 " +
        "token exchange",
      description:
        "client_id is the key's id and client_secret the key, by HTTP Basic (§2.3.1) or in the " +
        "form, not both. The token carries the key's scopes (or the subset asked for), the " +
        "claims stored with the key, and lives store.token_ttl_seconds. Answers are never cached. " +
        "A client of oauth.clients authenticates the same way and gets a `client` token; " +
        "grant_type=password (username, password) and refresh_token answer an `account` token " +
        "and a new refresh_token; token exchange takes subject_token and subject_token_type and " +
        "answers issued_token_type.",
      security: [{ clientBasic: [] }, { oauthClient: [] }, {}],
      requestBody: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": {
            schema: {
              type: "object",
              required: ["grant_type"],
              properties: {
                grant_type: {
                  type: "string",
                  enum: [
                    "client_credentials",
                    "password",
                    "refresh_token",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                  ],
                },
                client_id: { type: "string" },
                client_secret: { type: "string" },
                scope: { type: "string", description: "Space-separated subset of the key's" },
                audience: { type: "string", description: "One of the key's audiences" },
                resource: { type: "string", description: "Same as audience" },
                username: { type: "string", description: "password grant: the account's email" },
                password: { type: "string", description: "password grant" },
                refresh_token: { type: "string", description: "refresh_token grant" },
                subject_token: { type: "string", description: "token exchange (RFC 8693 §2.1)" },
                subject_token_type: { type: "string", description: "token exchange" },
                requested_token_type: { type: "string", description: "token exchange" },
              },
            },
          },
        },
      },
      responses: {
        "200": {
          description: "The token (RFC 6749 §5.1)",
          headers: {
            "Cache-Control": { schema: { type: "string", const: "no-store" } },
            "Pragma": { schema: { type: "string", const: "no-cache" } },
          },
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["access_token", "token_type", "expires_in"],
                properties: {
                  access_token: { type: "string" },
                  token_type: { type: "string", const: "Bearer" },
                  expires_in: { type: "integer" },
                  scope: { type: "string" },
                  refresh_token: { type: "string", description: "password and refresh_token" },
                  issued_token_type: { type: "string", description: "token exchange" },
                },
              },
            },
          },
        },
        "400": error(
          "RFC 6749 §5.2: invalid_request, unsupported_grant_type, invalid_scope, invalid_grant, " +
            "invalid_target (with error_description)",
        ),
        "401": error(
          "invalid_client: unknown, revoked or expired key, suspended organisation, id not the key's " +
            "(WWW-Authenticate when Basic was used); token exchange: a subject_token that is not " +
            "valid (invalid_token, invalid_issuer, invalid_audience)",
          { "WWW-Authenticate": { schema: { type: "string" } } },
        ),
        "403": error("The key or the address is blocked"),
        "404": NO_STORE,
        "413": error("Body larger than limits.max_body_bytes"),
        "429": error("Rate limited or over quota; see Retry-After", RETRY_AFTER),
        "503": STORE_DOWN,
      },
    },
  },
  "/admin/orgs": {
    get: {
      summary: "List organisations (keyguard)",
      security: ADMIN,
      responses: {
        "200": ok("The organisations", {
          type: "object",
          required: ["organizations", "total"],
          properties: {
            organizations: { type: "array", items: ref("Organization") },
            total: { type: "integer" },
          },
        }),
        ...ADMIN_ERRORS,
      },
    },
    post: {
      summary: "Create an organisation (keyguard)",
      security: ADMIN,
      requestBody: jsonBody({
        type: "object",
        required: ["name"],
        properties: { name: { type: "string" } },
      }),
      responses: {
        "201": ok("Created", ref("Organization")),
        "409": error("An organisation of that name exists (conflict)"),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/orgs/{name}/suspend": {
    post: {
      summary: "Suspend an organisation: its keys are refused until resumed",
      security: ADMIN,
      parameters: [pathParam("name", "Organisation name or id")],
      responses: { "200": ok("The organisation", ref("Organization")), ...ADMIN_ERRORS },
    },
  },
  "/admin/orgs/{name}/resume": {
    post: {
      summary: "Resume a suspended organisation",
      security: ADMIN,
      parameters: [pathParam("name", "Organisation name or id")],
      responses: { "200": ok("The organisation", ref("Organization")), ...ADMIN_ERRORS },
    },
  },
  "/admin/keys": {
    get: {
      summary: "List keys, optionally of one organisation (keyguard)",
      security: ADMIN,
      parameters: [{ name: "org_name", in: "query", schema: { type: "string" } }],
      responses: {
        "200": ok("The keys", {
          type: "object",
          required: ["keys", "total"],
          properties: {
            keys: { type: "array", items: ref("ApiKey") },
            total: { type: "integer" },
          },
        }),
        ...ADMIN_ERRORS,
      },
    },
    post: {
      summary: "Create a key (keyguard); raw_key is in the answer, this once",
      security: ADMIN,
      requestBody: jsonBody({
        type: "object",
        required: ["org_name", "label"],
        properties: {
          org_name: { type: "string" },
          label: { type: "string", minLength: 1, maxLength: 128 },
          prefix: { type: "string", description: 'e.g. "kp_test" ("_" is added)' },
          rate_limit_per_minute: { type: "integer", minimum: 1 },
          scopes: { ...STRINGS, maxItems: 64 },
          claims: { type: "object", description: "Registered claims are refused" },
          audiences: { ...STRINGS, maxItems: 64 },
          monthly_quota: { type: "integer", minimum: 1 },
          expires_in_seconds: { type: "integer", minimum: 1 },
        },
      }),
      responses: { "201": ok("Created", ref("ApiKeyCreated")), ...ADMIN_ERRORS },
    },
  },
  "/admin/keys/{id}": {
    get: {
      summary: "One key",
      security: ADMIN,
      parameters: [pathParam("id", "Key id")],
      responses: { "200": ok("The key", ref("ApiKey")), ...ADMIN_ERRORS },
    },
    delete: {
      summary: "Revoke a key (keyguard); refused everywhere within store.cache_seconds",
      security: ADMIN,
      parameters: [pathParam("id", "Key id")],
      responses: {
        "200": ok("Revoked", {
          type: "object",
          required: ["detail", "key_id"],
          properties: { detail: { type: "string" }, key_id: { type: "string" } },
        }),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/keys/{id}/roll": {
    post: {
      summary: "Roll a key: a new key now, the old one ends after grace_seconds",
      security: ADMIN,
      parameters: [pathParam("id", "Key id")],
      requestBody: {
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: {
                grace_seconds: { type: "integer", minimum: 0, maximum: 2_592_000, default: 3600 },
              },
            },
          },
        },
      },
      responses: {
        "201": ok("The new key (raw_key this once) and the old key's end", {
          allOf: [
            ref("ApiKeyCreated"),
            {
              type: "object",
              required: ["replaces", "old_expires_at"],
              properties: {
                replaces: { type: "string", description: "The old key's id" },
                old_expires_at: rfc3339("When the old key stops working"),
              },
            },
          ],
        }),
        "409": error("A revoked key cannot be rolled (conflict)"),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/stats": {
    get: {
      summary: "Usage statistics (keyguard)",
      security: ADMIN,
      responses: {
        "200": ok("Totals and the busiest keys", {
          type: "object",
          required: [
            "total_organizations",
            "total_keys",
            "active_keys",
            "total_requests",
            "recent_requests_1h",
            "top_keys",
            "error_rate",
          ],
          properties: {
            total_organizations: { type: "integer" },
            total_keys: { type: "integer" },
            active_keys: { type: "integer" },
            total_requests: { type: "integer" },
            recent_requests_1h: { type: "integer" },
            top_keys: {
              type: "array",
              items: {
                type: "object",
                required: ["id", "label", "prefix", "requests", "errors"],
                properties: {
                  id: { type: "string" },
                  label: { type: "string" },
                  prefix: { type: "string" },
                  requests: { type: "integer" },
                  errors: { type: "integer" },
                },
              },
            },
            error_rate: { type: "number", minimum: 0, maximum: 1 },
          },
        }),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/blocks": {
    get: {
      summary: "List blocks in force",
      security: ADMIN,
      responses: {
        "200": ok("The blocks", {
          type: "object",
          required: ["blocks", "total"],
          properties: {
            blocks: { type: "array", items: ref("Block") },
            total: { type: "integer" },
          },
        }),
        ...ADMIN_ERRORS,
      },
    },
    post: {
      summary: "Block a client address or a principal for a time",
      security: ADMIN,
      requestBody: jsonBody({
        type: "object",
        required: ["kind", "value"],
        properties: {
          kind: { type: "string", enum: ["address", "principal"] },
          value: { type: "string" },
          seconds: { type: "integer", minimum: 1, maximum: 31_536_000, default: 3600 },
          reason: { type: "string" },
        },
      }),
      responses: { "201": ok("The block", ref("Block")), ...ADMIN_ERRORS },
    },
  },
  "/admin/blocks/{kind}/{value}": {
    delete: {
      summary: "Lift a block",
      security: ADMIN,
      parameters: [
        {
          name: "kind",
          in: "path",
          required: true,
          schema: { type: "string", enum: ["address", "principal"] },
        },
        pathParam("value", "The blocked address or principal"),
      ],
      responses: {
        "200": ok("Lifted", {
          type: "object",
          required: ["detail", "kind", "value"],
          properties: {
            detail: { type: "string" },
            kind: { type: "string", enum: ["address", "principal"] },
            value: { type: "string" },
          },
        }),
        ...ADMIN_ERRORS,
      },
    },
  },
};

/** Security schemes of the API key endpoints. */
export const API_KEY_SECURITY_SCHEMES: Readonly<Json> = {
  apiKey: { type: "apiKey", in: "header", name: "X-API-Key", description: "An API key" },
  apiKeyBearer: { type: "http", scheme: "bearer", description: "An API key as a bearer token" },
  adminKey: {
    type: "apiKey",
    in: "header",
    name: "X-Admin-Key",
    description: 'An API key holding the "admin" scope (keyguard\'s header)',
  },
  clientBasic: {
    type: "http",
    scheme: "basic",
    description: "client_id (the key id) and client_secret (the key), form-urlencoded first",
  },
};

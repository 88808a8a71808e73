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
/**
 * Errors every admin operation can answer, with keyguard's statuses (the `keyguard` wire style):
 * every body has `detail` beside `error` and `message`.
 */
const ADMIN_ERRORS: Json = {
  "401": error("An account's access token that is not valid"),
  "403": error(
    "No admin key, or one not accepted (malformed, unknown, revoked, expired: keyguard's " +
      '"Invalid admin key"); a key without the "admin" scope; a blocked organisation or address',
  ),
  "422": error("Bad input: invalid_request, invalid_json, invalid_scope, invalid_claims"),
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
  Usage: {
    type: "object",
    required: [
      "range",
      "bucket_seconds",
      "from",
      "to",
      "key_id",
      "org_name",
      "requests",
      "errors",
      "error_rate",
      "buckets",
      "top_keys",
      "quota",
    ],
    properties: {
      range: { type: "string", enum: ["hour", "day", "month"] },
      bucket_seconds: { type: "integer", enum: [60, 3600, 86400] },
      from: rfc3339("Start of the first bucket", false),
      to: rfc3339("End of the last bucket (the current one, still filling)", false),
      key_id: { type: ["string", "null"] },
      org_name: { type: ["string", "null"] },
      requests: { type: "integer" },
      errors: { type: "integer", description: "Requests answered with a status of 400 or more" },
      error_rate: { type: "number", minimum: 0, maximum: 1 },
      buckets: {
        type: "array",
        items: {
          type: "object",
          required: ["start", "requests", "errors"],
          properties: {
            start: rfc3339("Start of the bucket", false),
            requests: { type: "integer" },
            errors: { type: "integer" },
          },
        },
      },
      top_keys: {
        type: "array",
        items: {
          type: "object",
          required: ["id", "label", "prefix", "org_name", "requests", "errors"],
          properties: {
            id: { type: "string" },
            label: { type: "string" },
            prefix: { type: "string" },
            org_name: { type: ["string", "null"] },
            requests: { type: "integer" },
            errors: { type: "integer" },
          },
        },
      },
      quota: {
        type: ["object", "null"],
        description: "For one key: its monthly quota (null: none) and this UTC month's use",
        required: ["monthly_quota", "used_this_month", "month_start"],
        properties: {
          monthly_quota: NULLABLE_INT,
          used_this_month: { type: "integer" },
          month_start: rfc3339("Start of the current UTC month", false),
        },
      },
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
      operationId: "forwardAuth",
      summary: "Gateway check of an API key (nginx auth_request, Traefik, Caddy, Envoy)",
      description: "The key comes in X-API-Key or Authorization: Bearer; a required scope in " +
        "X-Required-Scope or ?scope=. A 200 carries who the caller is for the gateway to copy " +
        "upstream. Key checks are cached for store.cache_seconds (the longest a revocation waits). " +
        "With ?limit=NAME the request is a route limit instead (its own declaration): no key, " +
        "limits.routes.NAME applied to the client address; 200, or 429 with Retry-After, 403 " +
        "for a blocked address, 404 for a name not configured. Errors carry `detail`.",
      security: [{ apiKey: [] }, { apiKeyBearer: [] }],
      parameters: [
        { name: "X-Required-Scope", in: "header", schema: { type: "string", maxLength: 128 } },
        { name: "scope", in: "query", schema: { type: "string", maxLength: 128 } },
        {
          name: "limit",
          in: "query",
          description: "A route limit's name (limits.routes): the route-limit mode, no key",
          schema: { type: "string", maxLength: 64 },
        },
      ],
      responses: {
        "200": {
          description: "Allowed (no body)",
          headers: {
            "X-Auth-Subject": { description: "The key id", schema: { type: "string" } },
            "X-Auth-Key-Id": { schema: { type: "string" } },
            "X-Auth-Org": {
              description: "The organisation's name, percent-encoded where needed",
              schema: { type: "string" },
            },
            "X-Auth-Org-Id": { description: "The organisation's id", schema: { type: "string" } },
            "X-Auth-Key-Label": {
              description: "The key's label, percent-encoded where needed",
              schema: { type: "string" },
            },
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
  "/forward-auth/failures": {
    post: {
      operationId: "reportRouteFailure",
      summary: "Report a failed attempt against a route limit (limits.routes.NAME.lock_after)",
      description: "The application says an attempt from an address failed (a wrong password); " +
        "lock_after failures within window_seconds lock the address out of the limit for " +
        "lock_seconds. Needs a key with the limits.report scope, or a root principal.",
      security: [{ apiKey: [] }, { apiKeyBearer: [] }, { accountBearer: [] }],
      parameters: [
        {
          name: "limit",
          in: "query",
          required: true,
          description: "The route limit's name",
          schema: { type: "string", maxLength: 64 },
        },
      ],
      requestBody: jsonBody({
        type: "object",
        required: ["address"],
        properties: { address: { type: "string", description: "The client's IP address" } },
      }),
      responses: {
        "200": ok("Counted", {
          type: "object",
          required: ["limit", "address", "failures", "lock_after", "locked", "retry_after_seconds"],
          properties: {
            limit: { type: "string" },
            address: { type: "string" },
            failures: { type: "integer" },
            lock_after: NULLABLE_INT,
            locked: { type: "boolean" },
            retry_after_seconds: { type: "integer" },
          },
        }),
        "400": error("No address, or not an address; no limit named"),
        "401": error("No key, or one not valid"),
        "403": error("The caller may not report failures (the limits.report scope)"),
        "404": error("No limit of that name is configured"),
        "429": error("Rate limited or locked out; see Retry-After", RETRY_AFTER),
      },
    },
  },
  "/oauth2/token": {
    post: {
      operationId: "oauthToken",
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
        "answers issued_token_type. With sign-in (issue 24), grant_type=authorization_code " +
        "redeems a code once (code, redirect_uri, code_verifier; a public client sends client_id " +
        "alone) for an account token, a refresh_token and, with the openid scope, an id_token; " +
        "a reused code revokes what it issued. An account with a second factor sends otp with " +
        "the password grant.",
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
                    "authorization_code",
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
                otp: {
                  type: "string",
                  description: "password grant: the second-factor code (TOTP or recovery code)",
                },
                code: { type: "string", description: "authorization_code grant" },
                redirect_uri: { type: "string", description: "authorization_code grant" },
                code_verifier: {
                  type: "string",
                  description: "authorization_code grant: the PKCE verifier (RFC 7636 §4.5)",
                },
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
                  refresh_token: {
                    type: "string",
                    description: "password, refresh_token and authorization_code",
                  },
                  id_token: {
                    type: "string",
                    description: "authorization_code with the openid scope: the ID token",
                  },
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
      operationId: "listOrgs",
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
      operationId: "createOrg",
      summary: "Create an organisation (keyguard)",
      security: ADMIN,
      requestBody: jsonBody({
        type: "object",
        required: ["name"],
        properties: {
          name: {
            type: "string",
            minLength: 1,
            maxLength: 255,
            description: "Any printable text, no leading or trailing spaces",
          },
        },
      }),
      responses: {
        "200": ok("Created (as keyguard answers)", ref("Organization")),
        "400": error("An organisation of that name exists (conflict)"),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/orgs/{name}/suspend": {
    post: {
      operationId: "suspendOrg",
      summary: "Suspend an organisation: its keys are refused until resumed",
      security: ADMIN,
      parameters: [pathParam("name", "Organisation name or id")],
      responses: { "200": ok("The organisation", ref("Organization")), ...ADMIN_ERRORS },
    },
  },
  "/admin/orgs/{name}/resume": {
    post: {
      operationId: "resumeOrg",
      summary: "Resume a suspended organisation",
      security: ADMIN,
      parameters: [pathParam("name", "Organisation name or id")],
      responses: { "200": ok("The organisation", ref("Organization")), ...ADMIN_ERRORS },
    },
  },
  "/admin/keys": {
    get: {
      operationId: "listKeys",
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
      operationId: "createKey",
      summary: "Create a key (keyguard); raw_key is in the answer, this once",
      security: ADMIN,
      requestBody: jsonBody({
        type: "object",
        required: ["org_name", "label"],
        properties: {
          org_name: { type: "string" },
          label: { type: "string", minLength: 1, maxLength: 255 },
          prefix: {
            type: "string",
            pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$",
            description: "Taken as given; default store.key_prefix",
          },
          rate_limit_per_minute: {
            type: ["integer", "null"],
            minimum: 1,
            maximum: 10_000,
            description: "Default store.default_rate_limit_per_minute (60); null: no limit",
          },
          scopes: {
            ...STRINGS,
            maxItems: 64,
            description: 'Default store.default_scopes (["read"])',
          },
          claims: { type: "object", description: "Registered claims are refused" },
          audiences: { ...STRINGS, maxItems: 64 },
          monthly_quota: { type: "integer", minimum: 1 },
          expires_in_seconds: { type: "integer", minimum: 1 },
        },
      }),
      responses: {
        "200": ok("Created (as keyguard answers)", ref("ApiKeyCreated")),
        "404": error("No such organisation"),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/keys/{id}": {
    get: {
      operationId: "getKey",
      summary: "One key",
      security: ADMIN,
      parameters: [pathParam("id", "Key id")],
      responses: { "200": ok("The key", ref("ApiKey")), ...ADMIN_ERRORS },
    },
    delete: {
      operationId: "revokeKey",
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
      operationId: "rollKey",
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
      operationId: "getStats",
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
            total_requests: {
              type: "integer",
              description: "Requests of keys (calls of the admin API are not counted)",
            },
            recent_requests_1h: { type: "integer" },
            top_keys: {
              type: "array",
              maxItems: 5,
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
            error_rate: {
              type: "number",
              minimum: 0,
              maximum: 100,
              description: "Percentage of requests answered 400 or more (2 decimals), as keyguard",
            },
          },
        }),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/usage": {
    get: {
      operationId: "getUsage",
      summary: "Requests over time, per key or per organisation",
      description:
        "The last hour in minutes, the last day in hours or the last 30 days in days (every " +
        "bucket, empty ones as 0), with the totals, the error rate and the busiest keys of the " +
        "range; for one key, its monthly quota and what this UTC month used. Within the " +
        "caller's reach: an org admin (or an admin key of reach org) sees its own organisation, " +
        "and naming another organisation or another organisation's key answers 404.",
      security: ADMIN,
      parameters: [
        {
          name: "range",
          in: "query",
          schema: { type: "string", enum: ["hour", "day", "month"], default: "hour" },
        },
        { name: "key_id", in: "query", description: "One key", schema: { type: "string" } },
        {
          name: "org_name",
          in: "query",
          description: "One organisation's keys (default: the caller's own unless root)",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": ok("The series and its totals", ref("Usage")),
        ...ADMIN_ERRORS,
      },
    },
  },
  "/admin/blocks": {
    get: {
      operationId: "listBlocks",
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
      operationId: "createBlock",
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
      operationId: "deleteBlock",
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

/**
 * The OpenAPI 3.1 description of every HTTP endpoint, served at `GET /openapi.json`.
 *
 * `openapi_test.ts` compares it with the route table both ways (every route and method is
 * described, nothing is described that is not served), so adding a route without describing it
 * here fails the tests with a message saying what to add.
 *
 * @module
 */

import type { Runtime } from "../runtime/mod.ts";
import { type AppRoute, kindEnabled } from "../trust/mod.ts";
import { VERSION } from "../version.ts";
import { API_KEY_PATHS, API_KEY_SCHEMAS, API_KEY_SECURITY_SCHEMES } from "./openapi_api_keys.ts";
import { AUDIT_PATHS, AUDIT_SCHEMAS } from "./openapi_audit.ts";
import { ACCOUNT_OPENAPI_PATHS, ACCOUNT_SECURITY_SCHEMES } from "../accounts_api/openapi_paths.ts";
import { CONSOLE_OPENAPI_PATHS } from "../console/openapi_paths.ts";
import { withExamples } from "./openapi_examples.ts";
import { SIGNIN_OPENAPI_PATHS } from "../signin/openapi_paths.ts";

type Json = Record<string, unknown>;

const ERROR_RESPONSE = (description: string): Json => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

const ERRORS: Json = {
  "400": ERROR_RESPONSE("Bad input (the body, a parameter or a scope)"),
  "413": ERROR_RESPONSE("Body larger than limits.max_body_bytes"),
  "429": ERROR_RESPONSE("Rate limited or locked out; see Retry-After"),
};

const AUTH_ERRORS: Json = {
  ...ERRORS,
  "401": ERROR_RESPONSE("Authentication required or failed; see WWW-Authenticate"),
  "403": ERROR_RESPONSE("Authenticated, but not allowed"),
};

/**
 * What a public route can answer before its handler: the address is blocked (403) or over the
 * per-address limit (429). The probes and the metrics scrape are never admitted nor limited.
 */
const ADMITTED: Json = {
  "403": ERROR_RESPONSE("The client address is blocked"),
  "429": ERROR_RESPONSE("Rate limited (per address); see Retry-After"),
};

const BASIC = [{ basic: [] }, { proxyHeader: [] }];
const OPTIONAL_BASIC = [{}, ...BASIC];

const SA_PARAMS = [
  {
    name: "ns",
    in: "path",
    required: true,
    description: "Namespace (RFC 1123 label)",
    schema: { type: "string" },
  },
  {
    name: "name",
    in: "path",
    required: true,
    description: "Service account (RFC 1123 subdomain)",
    schema: { type: "string" },
  },
];

const SA_TOKEN: Json = {
  summary: "Kubernetes TokenRequest: a service-account token",
  description:
    "Answers 201 with a TokenRequest as Kubernetes does. sub is system:serviceaccount:{ns}:{name}; " +
    "the kubernetes.io claim is the server's. Authentication per require_authentication.kubernetes.",
  security: OPTIONAL_BASIC,
  parameters: SA_PARAMS,
  requestBody: {
    required: true,
    content: { "application/json": { schema: { $ref: "#/components/schemas/TokenRequest" } } },
  },
  responses: {
    "201": {
      description: "The TokenRequest with status.token",
      content: { "application/json": { schema: { $ref: "#/components/schemas/TokenRequest" } } },
    },
    ...AUTH_ERRORS,
  },
};

const HEALTH: Json = {
  summary: "Liveness and readiness",
  security: [],
  responses: {
    "200": {
      description: "Serving",
      content: {
        "application/json": {
          schema: {
            type: "object",
            required: ["status"],
            properties: {
              status: { type: "string", const: "ok" },
              generation: { type: "integer" },
              last_reload: { type: "object" },
            },
          },
        },
      },
    },
  },
};

/** The OpenAPI 3.1 document (every operation with its examples: `openapi_examples.ts`). */
export const OPENAPI: Readonly<Json> = withExamples({
  openapi: "3.1.0",
  info: {
    title: "Keypebble",
    version: VERSION,
    license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    description:
      "A single-binary JWT issuer. Every error is JSON {error, message} with a stable code. " +
      "Registered claims (iss, iat, nbf, exp, jti) are always set by the server.",
  },
  // Relative: the document describes the server that serves it (RFC 3986 §4.2).
  servers: [{ url: "/", description: "This Keypebble server" }],
  paths: {
    "/healthz": { get: { operationId: "getHealth", ...HEALTH } },
    "/readyz": { get: { operationId: "getReadiness", ...HEALTH } },
    "/auth": {
      post: {
        operationId: "mintAuthToken",
        summary: "A general-purpose token for the claims asked for",
        description:
          "Only allowed_custom_claims are signed; static_claims win; ttl_seconds (body or query) " +
          "asks for a lifetime, clamped to max_ttl_seconds. Authentication per " +
          "require_authentication.auth.",
        security: OPTIONAL_BASIC,
        parameters: [{ name: "ttl_seconds", in: "query", schema: { type: "integer" } }],
        requestBody: {
          content: { "application/json": { schema: { type: "object" } } },
        },
        responses: {
          "200": {
            description: "The token and the claims signed",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["token", "claims", "expires_in"],
                  properties: {
                    token: { type: "string" },
                    claims: { type: "object" },
                    expires_in: { type: "integer" },
                  },
                },
              },
            },
          },
          ...AUTH_ERRORS,
        },
      },
    },
    "/v2/token": {
      get: {
        operationId: "getRegistryToken",
        summary: "Distribution registry token (docs/spec/auth/token.md)",
        security: BASIC,
        parameters: [
          { name: "service", in: "query", schema: { type: "string" } },
          {
            name: "scope",
            in: "query",
            style: "form",
            explode: true,
            schema: { type: "array", items: { type: "string" } },
          },
          { name: "account", in: "query", schema: { type: "string" } },
          { name: "offline_token", in: "query", schema: { type: "string", enum: ["true"] } },
          { name: "client_id", in: "query", schema: { type: "string" } },
        ],
        responses: {
          "200": {
            description: "The registry token",
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/RegistryToken" } },
            },
          },
          ...AUTH_ERRORS,
        },
      },
      post: {
        operationId: "postRegistryToken",
        summary: "OAuth2 password and refresh_token grants (docs/spec/auth/oauth.md)",
        security: [],
        requestBody: {
          required: true,
          content: {
            "application/x-www-form-urlencoded": {
              schema: {
                type: "object",
                required: ["grant_type", "service", "client_id"],
                properties: {
                  grant_type: { type: "string", enum: ["password", "refresh_token"] },
                  service: { type: "string" },
                  client_id: { type: "string" },
                  scope: { type: "string" },
                  username: { type: "string" },
                  password: { type: "string" },
                  refresh_token: { type: "string" },
                  access_type: { type: "string", enum: ["offline"] },
                },
              },
            },
          },
        },
        responses: {
          "200": {
            description: "The registry token",
            content: {
              "application/json": { schema: { $ref: "#/components/schemas/RegistryToken" } },
            },
          },
          ...AUTH_ERRORS,
        },
      },
    },
    "/command/token": {
      post: {
        operationId: "mintCommandToken",
        summary: "A token for one command on one target (target → aud, user → sub)",
        security: OPTIONAL_BASIC,
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["target", "command"],
                properties: {
                  target: { type: "string" },
                  command: { type: "string" },
                  user: { type: "string" },
                  ttl_seconds: { type: "integer" },
                  expirationSeconds: {
                    type: "integer",
                    description: "The Python Keypebble's name of ttl_seconds",
                  },
                },
              },
            },
          },
        },
        responses: {
          "200": {
            description: "The command token and its jti",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["token", "jti", "expires_in", "issued_at"],
                  properties: {
                    token: { type: "string" },
                    jti: { type: "string" },
                    expires_in: { type: "integer" },
                    issued_at: { type: "string", format: "date-time" },
                  },
                },
              },
            },
          },
          ...AUTH_ERRORS,
        },
      },
    },
    "/api/v1/namespaces/{ns}/serviceaccounts/{name}/token": {
      post: { operationId: "mintServiceAccountTokenCore", ...SA_TOKEN },
    },
    "/apis/authentication.k8s.io/v1/namespaces/{ns}/serviceaccounts/{name}/token": {
      post: { operationId: "mintServiceAccountToken", ...SA_TOKEN },
    },
    "/.well-known/jwks.json": {
      get: {
        operationId: "getJwks",
        summary: "Public keys (RFC 7517); HMAC keys never appear",
        security: [],
        responses: {
          ...ADMITTED,
          "200": {
            description: "The JWKS",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["keys"],
                  properties: { keys: { type: "array", items: { type: "object" } } },
                },
              },
            },
          },
        },
      },
    },
    "/.well-known/openid-configuration": {
      get: {
        operationId: "getOpenIdConfiguration",
        summary: "OpenID Connect Discovery document for a token-only issuer",
        security: [],
        responses: {
          ...ADMITTED,
          "200": {
            description: "The discovery document",
            content: { "application/json": { schema: { type: "object" } } },
          },
        },
      },
    },
    "/metrics": {
      get: {
        operationId: "getMetrics",
        summary: "Prometheus text 0.0.4, or OpenMetrics 1.0 when Accept asks for it",
        security: [],
        responses: {
          "200": {
            description: "Metrics",
            content: {
              "text/plain": { schema: { type: "string" } },
              "application/openmetrics-text": { schema: { type: "string" } },
            },
          },
        },
      },
    },
    "/spiffe/v1/svid": {
      post: {
        operationId: "mintSvid",
        summary: "A JWT-SVID from the central SPIFFE issuer",
        description:
          "For an authenticated caller whose policy entry lists a matching spiffe_ids pattern " +
          "(default deny). 404 when the spiffe section is not configured.",
        security: BASIC,
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["spiffe_id", "audience"],
                properties: {
                  spiffe_id: { type: "string", description: "spiffe://trust-domain/path" },
                  audience: { type: "string" },
                  ttl_seconds: { type: "integer" },
                },
              },
            },
          },
        },
        responses: {
          "200": {
            description: "The SVID",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["svid", "spiffe_id", "audience", "expires_at", "expires_in"],
                  properties: {
                    svid: { type: "string" },
                    spiffe_id: { type: "string" },
                    audience: { type: "string" },
                    expires_at: { type: "integer" },
                    expires_in: { type: "integer" },
                  },
                },
              },
            },
          },
          "404": ERROR_RESPONSE("SPIFFE is not configured on this server"),
          ...AUTH_ERRORS,
        },
      },
    },
    "/spiffe/v1/bundle": {
      get: {
        operationId: "getSpiffeBundle",
        summary: "The SPIFFE bundle (the central issuer's keys)",
        security: [],
        responses: {
          "200": {
            description: "The bundle (a JWKS with SPIFFE members)",
            content: { "application/json": { schema: { type: "object" } } },
          },
          "404": ERROR_RESPONSE("SPIFFE is not configured on this server"),
        },
      },
    },
    "/spiffe/v1/spiffile-bundle": {
      get: {
        operationId: "getSpiffileBundle",
        summary: "The spiffile bundle document (keys per identity)",
        security: [],
        responses: {
          "200": {
            description: "The spiffile bundle",
            content: { "application/json": { schema: { type: "object" } } },
          },
          "404": ERROR_RESPONSE("SPIFFE is not configured on this server"),
        },
      },
    },
    "/spiffe/v1/verify": {
      post: {
        operationId: "verifySvid",
        summary: "Verify a JWT-SVID against the spiffile bundle",
        security: [],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["token", "audience"],
                properties: { token: { type: "string" }, audience: { type: "string" } },
              },
            },
          },
        },
        responses: {
          "200": {
            description: "Valid",
            content: {
              "application/json": {
                schema: {
                  type: "object",
                  required: ["valid", "spiffe_id", "claims"],
                  properties: {
                    valid: { type: "boolean", const: true },
                    spiffe_id: { type: "string" },
                    claims: { type: "object" },
                  },
                },
              },
            },
          },
          "404": ERROR_RESPONSE("SPIFFE is not configured on this server"),
          ...ERRORS,
          "401": ERROR_RESPONSE("Refused: unknown_identity or invalid_token"),
        },
      },
    },
    "/openapi.json": {
      get: {
        operationId: "getOpenApi",
        summary: "This document",
        security: [],
        responses: {
          ...ADMITTED,
          "200": {
            description: "OpenAPI 3.1",
            content: { "application/json": { schema: { type: "object" } } },
          },
        },
      },
    },
    ...API_KEY_PATHS,
    // The audit trail (issue 20)
    ...AUDIT_PATHS,
    // Accounts, pico-auth's API, RFC 7662 introspection and RFC 7009 revocation (issue 13)
    ...ACCOUNT_OPENAPI_PATHS,
    ...CONSOLE_OPENAPI_PATHS,
    // Sign in with Keypebble (issue 24): pages, UserInfo, second factor, sign-in clients
    ...SIGNIN_OPENAPI_PATHS,
  },
  components: {
    securitySchemes: {
      mutualTLS: {
        type: "mutualTLS",
        description: "A client certificate verified against service.tls.client_ca_path",
      },
      basic: {
        type: "http",
        scheme: "basic",
        description: "A policy user and the password matching its password_hash",
      },
      proxyHeader: {
        type: "apiKey",
        in: "header",
        name: "X-Authenticated-User",
        description: "Honoured only from trusted_proxies",
      },
      ...API_KEY_SECURITY_SCHEMES,
      ...ACCOUNT_SECURITY_SCHEMES,
    },
    schemas: {
      Error: {
        type: "object",
        required: ["error", "message"],
        properties: {
          error: { type: "string", description: "Stable machine-readable code" },
          message: { type: "string" },
          error_description: {
            type: "string",
            description: "POST /v2/token and the /oauth2/ endpoints (RFC 6749 §5.2)",
          },
          detail: { type: "string", description: "pico-auth's /api/v1/ paths: the message again" },
        },
      },
      RegistryToken: {
        type: "object",
        required: ["access_token", "expires_in", "issued_at"],
        properties: {
          token: { type: "string" },
          access_token: { type: "string" },
          token_type: { type: "string" },
          expires_in: { type: "integer" },
          issued_at: { type: "string", format: "date-time" },
          refresh_token: { type: "string" },
          scope: { type: "string" },
          claims: { type: "object", description: "The claims signed (as the Python Keypebble)" },
        },
      },
      TokenRequest: {
        type: "object",
        properties: {
          kind: { type: "string", const: "TokenRequest" },
          apiVersion: { type: "string" },
          spec: {
            type: "object",
            required: ["audiences"],
            properties: {
              audiences: { type: "array", items: { type: "string" } },
              expirationSeconds: { type: "integer", minimum: 600 },
              boundObjectRef: { type: "object" },
            },
          },
          status: {
            type: "object",
            properties: {
              token: { type: "string" },
              expirationTimestamp: { type: "string", format: "date-time" },
            },
          },
        },
      },
      ...API_KEY_SCHEMAS,
      ...AUDIT_SCHEMAS,
    },
  },
});

/** The security requirement of a route, rendered from its declaration (the one truth). */
export function securityOf(decl: AppRoute): Json[] {
  const out: Json[] = [];
  const accepts = decl.caller.accepts;
  for (const c of accepts) {
    switch (c) {
      case "mtls":
        out.push({ mutualTLS: [] });
        break;
      case "api_key":
        if (accepts.includes("account")) out.push({ adminKey: [] });
        out.push({ apiKey: [] }, { apiKeyBearer: [] });
        break;
      case "account":
        out.push({ accountBearer: [] });
        break;
      case "client":
        out.push({ oauthClient: [] });
        break;
      case "proxy":
        out.push({ proxyHeader: [] });
        break;
      case "basic":
        out.push({ basic: [] });
        break;
    }
  }
  // An anonymous caller may be let in (per kind: when the listener is loopback or the kind is
  // listed in `anonymous:`).
  if (decl.caller.anonymous !== "never") out.push({});
  return out;
}

const _served = new WeakMap<Runtime, string>();

/**
 * The document a runtime serves: the operations of the routes it serves (a kind switched off with
 * `profiles.<kind>.enabled: false` is absent), each with the security its declaration accepts.
 * Serialised once per runtime.
 */
export function openApiFor(rt: Runtime, routes: readonly AppRoute[]): string {
  let text = _served.get(rt);
  if (text !== undefined) return text;
  const paths: Record<string, Record<string, unknown>> = {};
  const all = OPENAPI.paths as Record<string, Record<string, unknown>>;
  for (const decl of routes) {
    if (decl.profile !== undefined && !kindEnabled({ rt }, decl.profile)) continue;
    // A query mode shares its path and method with the route's declaration: OpenAPI has one
    // operation for both, described there, with the security of the declaration without a mode.
    if (decl.queryMode !== undefined) continue;
    const op = all[decl.template]?.[decl.method.toLowerCase()];
    if (op === undefined) continue;
    paths[decl.template] ??= {};
    paths[decl.template][decl.method.toLowerCase()] = {
      ...(op as Json),
      security: securityOf(decl),
    };
  }
  text = JSON.stringify({ ...OPENAPI, paths, components: _usedSchemes(paths) });
  _served.set(rt, text);
  return text;
}

/** The components with only the security schemes some served operation uses. */
function _usedSchemes(paths: Record<string, Record<string, unknown>>): Json {
  const used = new Set<string>();
  for (const item of Object.values(paths)) {
    for (const op of Object.values(item)) {
      for (const req of ((op as Json).security ?? []) as Json[]) {
        for (const k of Object.keys(req)) used.add(k);
      }
    }
  }
  const components = OPENAPI.components as Json;
  const schemes = components.securitySchemes as Json;
  return {
    ...components,
    securitySchemes: Object.fromEntries(Object.entries(schemes).filter(([k]) => used.has(k))),
  };
}

/** Handle `GET /openapi.json`. */
export function openApiResponse(rt: Runtime, routes: readonly AppRoute[]): Response {
  return new Response(openApiFor(rt, routes), {
    headers: { "content-type": "application/json", "cache-control": "public, max-age=300" },
  });
}

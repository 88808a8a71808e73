/**
 * The OpenAPI description of the audit trail's reading endpoint, `GET /admin/audit` (issue 20),
 * spread into `OPENAPI` by `openapi.ts`. The fields are those `auditJson` writes
 * (src/audit/event.ts), the filters those `parseAuditQuery` reads (src/audit/query.ts).
 *
 * @module
 */

import { AUDIT_ACTIONS } from "../audit/mod.ts";

type Json = Record<string, unknown>;

const ref = (name: string): Json => ({ $ref: `#/components/schemas/${name}` });

const error = (description: string): Json => ({
  description,
  content: { "application/json": { schema: ref("Error") } },
});

const query = (name: string, description: string, schema: Json = { type: "string" }): Json => ({
  name,
  in: "query",
  required: false,
  description,
  schema,
});

const TIME =
  "An RFC 3339 time (2026-06-10T12:00:00Z), a date (UTC midnight), seconds since the epoch, " +
  "or a span back from now (15m, 24h, 7d)";

/** The schemas of the audit API. */
export const AUDIT_SCHEMAS: Readonly<Json> = {
  AuditEvent: {
    type: "object",
    description:
      "One event. Tokens (token.issued) also carry sub, aud, scope or access, client_id, exp, " +
      "ttl and alg; other actions their own details (a role, a successor key, a block's end). " +
      "Never a token, a key or a password.",
    required: ["id", "at", "action", "outcome", "actor", "actor_kind", "target"],
    properties: {
      id: { type: "string", format: "uuid" },
      at: { type: "string", format: "date-time", description: "When (milliseconds, UTC)" },
      action: { type: "string", enum: Object.keys(AUDIT_ACTIONS) },
      outcome: {
        type: "string",
        description: 'success, or the refusal\'s error code ("forbidden", "not_found", …)',
      },
      actor: {
        type: "string",
        description:
          "anonymous, a policy user, an API key id, an account id, an OAuth client id, a " +
          "SPIFFE ID, or the local user of a CLI command",
      },
      actor_kind: {
        type: "string",
        enum: ["anonymous", "user", "api_key", "account", "client", "spiffe", "cli"],
      },
      target: {
        type: "string",
        description: "What was acted on: a key id, an organisation, an account id, a subject",
      },
      org: { type: "string", description: "The organisation the event concerns" },
      client: { type: "string", description: "The client address (none for the CLI)" },
      kind: { type: "string", description: "The token kind (token.* actions)" },
      jti: { type: "string", description: "The token's jti (token.* actions)" },
    },
    additionalProperties: true,
  },
};

/** `GET /admin/audit`. */
export const AUDIT_PATHS: Readonly<Json> = {
  "/admin/audit": {
    get: {
      operationId: "listAuditEvents",
      summary: "The audit trail: tokens issued and changes made, newest first",
      description:
        "Needs audit.read: a root principal (superadmin, admin key of reach all) reads every " +
        "event; an org admin (org_admin, an admin key of its organisation) its organisation's " +
        "only. Events of this process are visible at once, of other workers or instances " +
        "within a second.",
      security: [{ adminKey: [] }, { apiKey: [] }, { apiKeyBearer: [] }, { accountBearer: [] }],
      parameters: [
        query("since", `Events at or after this time. ${TIME}`),
        query("until", `Events before this time. ${TIME}`),
        query("actor", "The actor, exactly (a key id, an account id, a user)"),
        query("action", "An action (key.created), or a prefix ending in * (key.*)"),
        query("target", "The target, exactly"),
        query("jti", "A token's jti"),
        query("outcome", "success, or a refusal's code"),
        query("org", "An organisation (an org admin may name its own only)"),
        query("limit", "At most this many events (default 100)", {
          type: "integer",
          minimum: 1,
          maximum: 1000,
        }),
        query("cursor", "next_cursor of the previous page"),
      ],
      responses: {
        "200": {
          description: "The events, newest first, and the cursor of the next page",
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["events", "next_cursor"],
                properties: {
                  events: { type: "array", items: ref("AuditEvent") },
                  next_cursor: {
                    type: ["string", "null"],
                    description: "Pass as cursor for older events; null on the last page",
                  },
                },
              },
            },
          },
        },
        "422": error("A filter is malformed (invalid_request, naming it)"),
        "401": error("No admin key, or an account's access token that is not valid"),
        "403": error(
          "An admin key not accepted; not an admin; an org admin asking for another organisation",
        ),
        "404": error("No store is configured (the trail is in the log stream only)"),
        "429": error("Rate limited; see Retry-After"),
        "503": error("The store cannot answer"),
      },
    },
  },
};

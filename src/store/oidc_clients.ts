/**
 * Queries on OpenID Connect clients kept in the store (created through the admin API). Lists
 * are stored as JSON arrays. A client declared in the config is never stored here; the two are
 * merged (config first) by `src/oidc/clients.ts`.
 */

import type { OidcClientRecord } from "./oidc_types.ts";
import type { SqlDb } from "./sql.ts";

/** The fields an update may change. */
export type OidcClientPatch = Partial<
  Pick<
    OidcClientRecord,
    | "name"
    | "secretHash"
    | "redirectUris"
    | "postLogoutRedirectUris"
    | "scopes"
    | "audiences"
    | "firstParty"
  >
>;

/** OIDC client queries. */
export interface OidcClientQueries {
  insert(c: OidcClientRecord): Promise<void>;
  byId(id: string): Promise<OidcClientRecord | undefined>;
  /** Every client, or an organisation's. */
  list(filter?: { orgId?: string }): Promise<OidcClientRecord[]>;
  update(id: string, patch: OidcClientPatch, at: number): Promise<boolean>;
  remove(id: string): Promise<boolean>;
}

type Row = Record<string, unknown>;

function _list(v: unknown): string[] {
  try {
    const a = JSON.parse(String(v));
    return Array.isArray(a) ? a.map(String) : [];
  } catch {
    return [];
  }
}

function _client(r: Row): OidcClientRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    secretHash: r.secret_hash === null || r.secret_hash === undefined
      ? null
      : String(r.secret_hash),
    redirectUris: _list(r.redirect_uris),
    postLogoutRedirectUris: _list(r.post_logout_redirect_uris),
    scopes: _list(r.scopes),
    audiences: _list(r.audiences),
    firstParty: Number(r.first_party) === 1,
    orgId: r.org_id === null || r.org_id === undefined ? null : String(r.org_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

const COLUMNS: Record<keyof OidcClientPatch, string> = {
  name: "name",
  secretHash: "secret_hash",
  redirectUris: "redirect_uris",
  postLogoutRedirectUris: "post_logout_redirect_uris",
  scopes: "scopes",
  audiences: "audiences",
  firstParty: "first_party",
};

function _value(k: keyof OidcClientPatch, v: unknown): string | number | null {
  if (k === "firstParty") return v ? 1 : 0;
  if (Array.isArray(v)) return JSON.stringify(v);
  return v === null || v === undefined ? null : String(v);
}

/** OIDC client queries over a database. */
export function oidcClientQueries(db: SqlDb): OidcClientQueries {
  return {
    async insert(c: OidcClientRecord): Promise<void> {
      await db.run(
        `INSERT INTO oidc_clients (id, name, secret_hash, redirect_uris, post_logout_redirect_uris,
          scopes, audiences, first_party, org_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          c.id,
          c.name,
          c.secretHash,
          JSON.stringify(c.redirectUris),
          JSON.stringify(c.postLogoutRedirectUris),
          JSON.stringify(c.scopes),
          JSON.stringify(c.audiences),
          c.firstParty ? 1 : 0,
          c.orgId,
          c.createdAt,
          c.updatedAt,
        ],
      );
    },
    async byId(id: string): Promise<OidcClientRecord | undefined> {
      const rows = await db.all("SELECT * FROM oidc_clients WHERE id = ?", [id]);
      return rows.length === 0 ? undefined : _client(rows[0]);
    },
    async list(filter: { orgId?: string } = {}): Promise<OidcClientRecord[]> {
      const rows = filter.orgId === undefined
        ? await db.all("SELECT * FROM oidc_clients ORDER BY id")
        : await db.all("SELECT * FROM oidc_clients WHERE org_id = ? ORDER BY id", [filter.orgId]);
      return rows.map(_client);
    },
    async update(id: string, patch: OidcClientPatch, at: number): Promise<boolean> {
      const sets: string[] = [];
      const values: (string | number | null)[] = [];
      for (const k of Object.keys(patch) as (keyof OidcClientPatch)[]) {
        if (!Object.hasOwn(COLUMNS, k) || patch[k] === undefined) continue;
        sets.push(`${COLUMNS[k]} = ?`);
        values.push(_value(k, patch[k]));
      }
      sets.push("updated_at = ?");
      values.push(at, id);
      return (await db.run(`UPDATE oidc_clients SET ${sets.join(", ")} WHERE id = ?`, values)) ===
        1;
    },
    async remove(id: string): Promise<boolean> {
      return (await db.run("DELETE FROM oidc_clients WHERE id = ?", [id])) === 1;
    },
  };
}

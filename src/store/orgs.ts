/** Queries on organisations. */

import type { SqlDb } from "./sql.ts";
import type { Org, OrgStatus, OrgSummary } from "./types.ts";

/** Organisation queries. */
export interface OrgQueries {
  create(org: Org): Promise<void>;
  byName(name: string): Promise<Org | undefined>;
  byId(id: string): Promise<Org | undefined>;
  list(): Promise<OrgSummary[]>;
  /** Names of the suspended organisations. */
  suspendedNames(): Promise<string[]>;
  /** Set the status; false when no such organisation. */
  setStatus(id: string, status: OrgStatus): Promise<boolean>;
}

type Row = Record<string, unknown>;

function _org(r: Row): Org {
  return {
    id: String(r.id),
    name: String(r.name),
    status: r.status === "suspended" ? "suspended" : "active",
    createdAt: Number(r.created_at),
  };
}

/** Organisation queries over a database. */
export function orgQueries(db: SqlDb): OrgQueries {
  return {
    async create(org: Org): Promise<void> {
      await db.run("INSERT INTO orgs (id, name, status, created_at) VALUES (?, ?, ?, ?)", [
        org.id,
        org.name,
        org.status,
        org.createdAt,
      ]);
    },
    async byName(name: string): Promise<Org | undefined> {
      const rows = await db.all("SELECT * FROM orgs WHERE name = ?", [name]);
      return rows.length === 0 ? undefined : _org(rows[0]);
    },
    async byId(id: string): Promise<Org | undefined> {
      const rows = await db.all("SELECT * FROM orgs WHERE id = ?", [id]);
      return rows.length === 0 ? undefined : _org(rows[0]);
    },
    async list(): Promise<OrgSummary[]> {
      const rows = await db.all(
        `SELECT o.id, o.name, o.status, o.created_at, COUNT(k.id) AS key_count
         FROM orgs o LEFT JOIN api_keys k ON k.org_id = o.id
         GROUP BY o.id, o.name, o.status, o.created_at ORDER BY o.created_at, o.name`,
      );
      return rows.map((r) => ({ ..._org(r), keyCount: Number(r.key_count) }));
    },
    async suspendedNames(): Promise<string[]> {
      const rows = await db.all("SELECT name FROM orgs WHERE status = 'suspended'");
      return rows.map((r) => String(r.name));
    },
    async setStatus(id: string, status: OrgStatus): Promise<boolean> {
      return (await db.run("UPDATE orgs SET status = ? WHERE id = ?", [status, id])) > 0;
    },
  };
}

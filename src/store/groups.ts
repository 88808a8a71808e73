/** Queries on groups of accounts and their members. */

import type { SqlDb } from "./sql.ts";
import type { GroupMember, GroupRecord } from "./types.ts";

/** Group queries. */
export interface GroupQueries {
  insert(g: GroupRecord): Promise<void>;
  byId(id: string): Promise<GroupRecord | undefined>;
  list(filter?: { orgId?: string }): Promise<GroupRecord[]>;
  update(id: string, change: { name?: string; description?: string; at: number }): Promise<boolean>;
  remove(id: string): Promise<boolean>;
  /** Add a member; false when already a member. */
  addMember(groupId: string, userId: string, at: number): Promise<boolean>;
  removeMember(groupId: string, userId: string): Promise<boolean>;
  members(groupId: string): Promise<GroupMember[]>;
  /** The ids of the groups an account belongs to, sorted. */
  idsForUser(userId: string): Promise<string[]>;
}

type Row = Record<string, unknown>;

function _group(r: Row): GroupRecord {
  return {
    id: String(r.id),
    name: String(r.name),
    description: String(r.description),
    orgId: String(r.org_id),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/** Group queries over a database. */
export function groupQueries(db: SqlDb): GroupQueries {
  return {
    async insert(g: GroupRecord): Promise<void> {
      await db.run(
        `INSERT INTO account_groups (id, name, description, org_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?)`,
        [g.id, g.name, g.description, g.orgId, g.createdAt, g.updatedAt],
      );
    },
    async byId(id: string): Promise<GroupRecord | undefined> {
      const rows = await db.all("SELECT * FROM account_groups WHERE id = ?", [id]);
      return rows.length === 0 ? undefined : _group(rows[0]);
    },
    async list(filter: { orgId?: string } = {}): Promise<GroupRecord[]> {
      const rows = filter.orgId === undefined
        ? await db.all("SELECT * FROM account_groups ORDER BY name, id")
        : await db.all("SELECT * FROM account_groups WHERE org_id = ? ORDER BY name, id", [
          filter.orgId,
        ]);
      return rows.map(_group);
    },
    async update(id, change): Promise<boolean> {
      return (await db.run(
        `UPDATE account_groups SET name = COALESCE(?, name),
           description = COALESCE(?, description), updated_at = ? WHERE id = ?`,
        [change.name ?? null, change.description ?? null, change.at, id],
      )) > 0;
    },
    async remove(id: string): Promise<boolean> {
      await db.run("DELETE FROM account_group_members WHERE group_id = ?", [id]);
      return (await db.run("DELETE FROM account_groups WHERE id = ?", [id])) > 0;
    },
    async addMember(groupId: string, userId: string, at: number): Promise<boolean> {
      return (await db.run(
        `INSERT INTO account_group_members (group_id, user_id, joined_at) VALUES (?, ?, ?)
         ON CONFLICT (group_id, user_id) DO NOTHING`,
        [groupId, userId, at],
      )) > 0;
    },
    async removeMember(groupId: string, userId: string): Promise<boolean> {
      return (await db.run(
        "DELETE FROM account_group_members WHERE group_id = ? AND user_id = ?",
        [groupId, userId],
      )) > 0;
    },
    async members(groupId: string): Promise<GroupMember[]> {
      const rows = await db.all(
        `SELECT user_id, joined_at FROM account_group_members WHERE group_id = ?
         ORDER BY joined_at, user_id`,
        [groupId],
      );
      return rows.map((r) => ({ userId: String(r.user_id), joinedAt: Number(r.joined_at) }));
    },
    async idsForUser(userId: string): Promise<string[]> {
      const rows = await db.all(
        "SELECT group_id FROM account_group_members WHERE user_id = ? ORDER BY group_id",
        [userId],
      );
      return rows.map((r) => String(r.group_id));
    },
  };
}

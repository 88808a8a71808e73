/**
 * pico-auth's groups under `/api/v1/groups`: create, list, show with members, update, delete,
 * add and remove members. Everyone may read its own organisation's groups; org admins manage
 * their organisation's, superadmins all. Group ids appear in account tokens (`groups`).
 */

import { json } from "../http/mod.ts";
import { rfc3339 } from "../profiles/context.ts";
import type { GroupRecord } from "../store/mod.ts";
import { type Ctx, noteAudit, orgLimitOf, requireAccounts } from "../trust/mod.ts";
import { objectBody } from "./json_body.ts";
import { callingAccount } from "./pico_routes.ts";

function _group(g: GroupRecord): Record<string, unknown> {
  return { id: g.id, name: g.name, description: g.description, org_id: g.orgId };
}

/** `POST /api/v1/groups` `{"name", "description"}` (in the caller's organisation). */
export async function postGroup(ctx: Ctx): Promise<Response> {
  const admin = callingAccount(ctx);
  const body = objectBody(ctx);
  const g = await requireAccounts(ctx).createGroup(body.name, admin.orgId, body.description);
  noteAudit(ctx, { target: g.id, org: g.orgId, details: { name: g.name } });
  return json({ id: g.id, name: g.name, org_id: g.orgId, description: g.description }, 201);
}

/** `GET /api/v1/groups` → `{"groups": [...], "total"}`. */
export async function getGroups(ctx: Ctx): Promise<Response> {
  const scope = orgLimitOf(ctx.caller);
  const groups = await requireAccounts(ctx).store.groups.list(
    scope === undefined ? {} : { orgId: scope },
  );
  return json({ groups: groups.map(_group), total: groups.length });
}

/** `GET /api/v1/groups/{id}`: the group and its members. */
export async function getGroup(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const g = await svc.group(ctx.params.id, orgLimitOf(ctx.caller));
  const members = await svc.store.groups.members(g.id);
  return json({
    ..._group(g),
    members: members.map((m) => ({ user_id: m.userId, joined_at: rfc3339(m.joinedAt) })),
  });
}

/** `PUT /api/v1/groups/{id}` `{"name", "description"}` (either or both). */
export async function putGroup(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const g = await svc.group(ctx.params.id, orgLimitOf(ctx.caller));
  const body = objectBody(ctx);
  const updated = await svc.updateGroup(g, { name: body.name, description: body.description });
  noteAudit(ctx, { org: g.orgId, details: { name: updated.name } });
  return json({ id: updated.id, name: updated.name, description: updated.description });
}

/** `DELETE /api/v1/groups/{id}`. */
export async function deleteGroup(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const g = await svc.group(ctx.params.id, orgLimitOf(ctx.caller));
  await svc.store.groups.remove(g.id);
  noteAudit(ctx, { org: g.orgId, details: { name: g.name } });
  return json({ message: "Group deleted" });
}

/** `POST /api/v1/groups/{id}/members` `{"user_id"}`. */
export async function postGroupMember(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const g = await svc.group(ctx.params.id, orgLimitOf(ctx.caller));
  const body = objectBody(ctx);
  await svc.addMember(g, body.user_id);
  noteAudit(ctx, {
    org: g.orgId,
    details: { user_id: typeof body.user_id === "string" ? body.user_id : String(body.user_id) },
  });
  return json({ message: "Member added" }, 201);
}

/** `DELETE /api/v1/groups/{id}/members/{user_id}`. */
export async function deleteGroupMember(ctx: Ctx): Promise<Response> {
  const svc = requireAccounts(ctx);
  const g = await svc.group(ctx.params.id, orgLimitOf(ctx.caller));
  await svc.removeMember(g, ctx.params.user_id);
  noteAudit(ctx, { org: g.orgId, details: { user_id: ctx.params.user_id } });
  return json({ message: "Member removed" });
}

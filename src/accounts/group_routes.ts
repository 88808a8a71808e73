/**
 * pico-auth's groups under `/api/v1/groups`: create, list, show with members, update, delete,
 * add and remove members. Everyone may read its own organisation's groups; org admins manage
 * their organisation's, superadmins all. Group ids appear in account tokens (`groups`).
 */

import type { RequestContext } from "../http/context.ts";
import { rfc3339 } from "../profiles/context.ts";
import { json } from "../http/responses.ts";
import type { GroupRecord } from "../store/mod.ts";
import { readJsonObjectBody } from "./json_body.ts";
import { requirePermission } from "./pico_routes.ts";
import { orgScope } from "./roles.ts";
import { accountService } from "./token.ts";

function _group(g: GroupRecord): Record<string, unknown> {
  return { id: g.id, name: g.name, description: g.description, org_id: g.orgId };
}

/** `POST /api/v1/groups` `{"name", "description"}` (in the caller's organisation). */
export async function postGroup(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "groups.manage");
  const body = await readJsonObjectBody(ctx);
  const g = await accountService(ctx).createGroup(body.name, admin.orgId, body.description);
  return json({ id: g.id, name: g.name, org_id: g.orgId, description: g.description }, 201);
}

/** `GET /api/v1/groups` → `{"groups": [...], "total"}`. */
export async function getGroups(ctx: RequestContext): Promise<Response> {
  const user = await requirePermission(ctx, "groups.read");
  const scope = orgScope(user);
  const groups = await accountService(ctx).store.groups.list(
    scope === undefined ? {} : { orgId: scope },
  );
  return json({ groups: groups.map(_group), total: groups.length });
}

/** `GET /api/v1/groups/{id}`: the group and its members. */
export async function getGroup(ctx: RequestContext): Promise<Response> {
  const user = await requirePermission(ctx, "groups.read");
  const svc = accountService(ctx);
  const g = await svc.group(ctx.params.id, orgScope(user));
  const members = await svc.store.groups.members(g.id);
  return json({
    ..._group(g),
    members: members.map((m) => ({ user_id: m.userId, joined_at: rfc3339(m.joinedAt) })),
  });
}

/** `PUT /api/v1/groups/{id}` `{"name", "description"}` (either or both). */
export async function putGroup(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "groups.manage");
  const svc = accountService(ctx);
  const g = await svc.group(ctx.params.id, orgScope(admin));
  const body = await readJsonObjectBody(ctx);
  const updated = await svc.updateGroup(g, { name: body.name, description: body.description });
  return json({ id: updated.id, name: updated.name, description: updated.description });
}

/** `DELETE /api/v1/groups/{id}`. */
export async function deleteGroup(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "groups.manage");
  const svc = accountService(ctx);
  const g = await svc.group(ctx.params.id, orgScope(admin));
  await svc.store.groups.remove(g.id);
  return json({ message: "Group deleted" });
}

/** `POST /api/v1/groups/{id}/members` `{"user_id"}`. */
export async function postGroupMember(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "groups.manage");
  const svc = accountService(ctx);
  const g = await svc.group(ctx.params.id, orgScope(admin));
  const body = await readJsonObjectBody(ctx);
  await svc.addMember(g, body.user_id);
  return json({ message: "Member added" }, 201);
}

/** `DELETE /api/v1/groups/{id}/members/{user_id}`. */
export async function deleteGroupMember(ctx: RequestContext): Promise<Response> {
  const admin = await requirePermission(ctx, "groups.manage");
  const svc = accountService(ctx);
  const g = await svc.group(ctx.params.id, orgScope(admin));
  await svc.removeMember(g, ctx.params.user_id);
  return json({ message: "Member removed" });
}

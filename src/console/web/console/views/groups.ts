/** Groups and their members. */

import type { App } from "../app.ts";
import type { Group, User } from "../api.ts";
import { button, confirmDialog, field, form, h, table, text, when } from "../dom.ts";

/** The groups page (`?id=` opens one group). */
export async function groupsView(app: App): Promise<Node> {
  const manage = app.me.role === "superadmin" || app.me.role === "org_admin";
  const id = app.query.get("id");
  if (id !== null) return groupView(app, id, manage);
  const groups = await app.api.groups();
  const create = manage &&
    form(
      { class: "inline", "aria-label": "New group" },
      "Create group",
      async (d) => {
        const g = await app.api.createGroup(text(d, "name"), text(d, "description"));
        app.flash(`Group "${g.name}" created`);
        app.refresh();
      },
      field("Name", h("input", { name: "name", required: true, autocomplete: "off" })),
      field("Description", h("input", { name: "description", autocomplete: "off" })),
    );
  return h(
    "section",
    {},
    h("h1", {}, "Groups"),
    create,
    table<Group>([
      [
        "Name",
        (g) =>
          h(
            "a",
            { href: `/console/groups?id=${encodeURIComponent(g.id)}`, "data-nav": "" },
            g.name,
          ),
      ],
      ["Description", (g) => g.description || "—"],
      ["Organisation", (g) => g.org_id],
      ["", (g) =>
        manage && button(
          "Delete",
          async () => {
            if (!(await confirmDialog(`Delete the group "${g.name}"?`, "Delete"))) return;
            await app.api.deleteGroup(g.id);
            app.refresh();
          },
          (e) => app.fail(e),
          { class: "danger" },
        )],
    ], groups),
  );
}

async function groupView(app: App, id: string, manage: boolean): Promise<Node> {
  const [g, users] = await Promise.all([
    app.api.group(id),
    manage ? app.api.users() : Promise.resolve([] as User[]),
  ]);
  const byId = new Map(users.map((u) => [u.id, u]));
  const members = g.members ?? [];
  const inGroup = new Set(members.map((m) => m.user_id));
  const candidates = users.filter((u) => !inGroup.has(u.id) && u.org_id === g.org_id);
  const add = manage && candidates.length > 0 &&
    form(
      { class: "inline", "aria-label": "Add a member" },
      "Add member",
      async (d) => {
        await app.api.addMember(g.id, text(d, "user_id"));
        app.refresh();
      },
      field(
        "Account",
        h(
          "select",
          { name: "user_id" },
          ...candidates.map((u) => h("option", { value: u.id }, u.email)),
        ),
      ),
    );
  return h(
    "section",
    {},
    h("p", {}, h("a", { href: "/console/groups", "data-nav": "" }, "← Groups")),
    h("h1", {}, `Group ${g.name}`),
    h("p", { class: "hint" }, g.description || "No description."),
    add,
    table<{ user_id: string; joined_at: string }>(
      [
        ["Member", (m) => byId.get(m.user_id)?.email ?? m.user_id],
        ["Joined", (m) => when(m.joined_at)],
        ["", (m) =>
          manage && button("Remove", async () => {
            await app.api.removeMember(g.id, m.user_id);
            app.refresh();
          }, (e) => app.fail(e))],
      ],
      members,
      "No members yet.",
    ),
  );
}

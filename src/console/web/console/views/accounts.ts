/// <reference lib="dom" />
/** Accounts: list, create, role, suspend and resume, reset password. */

import type { App } from "../app.ts";
import { type Role, ROLES, type User } from "../api.ts";
import { button, confirmDialog, field, form, h, table, text } from "../dom.ts";

/** The roles the signed-in account may grant (never above its own). */
function grantable(app: App): Role[] {
  return ROLES.slice(ROLES.indexOf(app.me.role));
}

/** The accounts page. */
export async function accountsView(app: App): Promise<Node> {
  const users = await app.api.users();
  const roles = grantable(app);
  const create = form(
    { class: "grid", "aria-label": "New account" },
    "Create account",
    async (d) => {
      const u = await app.api.createUser({
        email: text(d, "email"),
        password: text(d, "password"),
        display_name: text(d, "display_name"),
        role: text(d, "role") as Role,
        ...(app.root && text(d, "org_id") !== "" ? { org_id: text(d, "org_id") } : {}),
      });
      app.flash(`Account ${u.email} created`);
      app.refresh();
    },
    field(
      "Email",
      h("input", { name: "email", type: "email", required: true, autocomplete: "off" }),
    ),
    field("Name", h("input", { name: "display_name", autocomplete: "off" })),
    field(
      "Password",
      h("input", {
        name: "password",
        type: "password",
        required: true,
        autocomplete: "new-password",
      }),
      "Hand it over through a safe channel",
    ),
    field(
      "Role",
      h(
        "select",
        { name: "role" },
        ...roles.map((r) => h("option", { value: r, selected: r === "viewer" }, r)),
      ),
    ),
    app.root
      ? field(
        "Organisation",
        h("input", { name: "org_id", placeholder: app.me.org_id, autocomplete: "off" }),
      )
      : field("Organisation", h("input", { name: "org_id", value: app.me.org_id, readonly: true })),
  );
  const role = (u: User) => {
    if (u.id === app.me.id || !roles.includes(u.role)) return u.role;
    const sel = h(
      "select",
      { "aria-label": `Role of ${u.email}` },
      ...roles.map((r) => h("option", { value: r, selected: r === u.role }, r)),
    );
    sel.addEventListener("change", () => {
      app.api.setRole(u.id, sel.value as Role).then(() => {
        app.flash(`${u.email} is now ${sel.value}`);
        app.refresh();
      }, (e) => app.fail(e));
    });
    return sel;
  };
  const actions = (u: User) => {
    if (u.id === app.me.id || !roles.includes(u.role)) return "";
    const suspend = u.status === "active";
    return h(
      "div",
      { class: "row" },
      button(
        suspend ? "Suspend" : "Resume",
        async () => {
          if (
            suspend &&
            !(await confirmDialog(`Suspend ${u.email}? Their sessions end at once.`, "Suspend"))
          ) return;
          await app.api.setUserStatus(u.id, suspend ? "suspended" : "active");
          app.flash(`${u.email} ${suspend ? "suspended" : "resumed"}`);
          app.refresh();
        },
        (e) => app.fail(e),
        { class: suspend ? "danger" : "" },
      ),
      resetForm(app, u),
    );
  };
  return h(
    "section",
    {},
    h("h1", {}, "Accounts"),
    h("details", {}, h("summary", {}, "New account"), create),
    table<User>([
      ["Email", (u) => u.email],
      ["Name", (u) => u.display_name],
      ["Role", role],
      ["Organisation", (u) => u.org_id],
      ["Status", (u) => h("span", { class: `badge ${u.status}` }, u.status)],
      ["", actions],
    ], users),
  );
}

function resetForm(app: App, u: User): HTMLElement {
  return h(
    "details",
    { class: "reset" },
    h("summary", {}, "Reset password"),
    form(
      { class: "inline", "aria-label": `New password for ${u.email}` },
      "Set password",
      async (d) => {
        await app.api.resetPassword(u.id, text(d, "new_password"));
        app.flash(`Password of ${u.email} reset; their sessions ended`);
        app.refresh();
      },
      h("input", {
        name: "new_password",
        type: "password",
        required: true,
        autocomplete: "new-password",
        "aria-label": "New password",
      }),
    ),
  );
}

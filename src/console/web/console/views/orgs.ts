/** Organisations: list, create, suspend, resume (root principals). */

import type { App } from "../app.ts";
import { button, field, form, h, table, text, when } from "../dom.ts";
import type { Org } from "../api.ts";

/** The organisations page. */
export async function orgsView(app: App): Promise<Node> {
  const orgs = await app.api.orgs();
  const create = form(
    { class: "inline", "aria-label": "New organisation" },
    "Create organisation",
    async (d) => {
      const org = await app.api.createOrg(text(d, "name"));
      app.flash(`Organisation "${org.name}" created`);
      app.refresh();
    },
    field(
      "Name",
      h("input", {
        name: "name",
        required: true,
        pattern: "[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}",
        autocomplete: "off",
      }),
    ),
  );
  const status = (o: Org) => {
    const suspend = o.status === "active";
    return button(
      suspend ? "Suspend" : "Resume",
      async () => {
        await app.api.setOrgStatus(o.name, suspend ? "suspend" : "resume");
        app.flash(`Organisation "${o.name}" ${suspend ? "suspended" : "resumed"}`);
        app.refresh();
      },
      (e) => app.fail(e),
      { class: suspend ? "danger" : "" },
    );
  };
  return h(
    "section",
    {},
    h("h1", {}, "Organisations"),
    h("p", { class: "hint" }, "Suspending an organisation refuses its keys and accounts at once."),
    create,
    table<Org>(
      [
        ["Name", (o) =>
          h(
            "a",
            { href: `/console/keys?org=${encodeURIComponent(o.name)}`, "data-nav": "" },
            o.name,
          )],
        ["Status", (o) => h("span", { class: `badge ${o.status}` }, o.status)],
        ["Keys", (o) => String(o.key_count)],
        ["Created", (o) => when(o.created_at)],
        ["", status],
      ],
      orgs,
      "No organisations yet: create the first one above.",
    ),
  );
}

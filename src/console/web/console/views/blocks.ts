/** Blocks of client addresses and principals. */

import type { App } from "../app.ts";
import type { Block } from "../api.ts";
import { button, field, form, h, int, table, text, when } from "../dom.ts";

/** The blocks page. */
export async function blocksView(app: App): Promise<Node> {
  const blocks = await app.api.blocks();
  const add = form(
    { class: "grid", "aria-label": "New block" },
    "Block",
    async (d) => {
      const b = await app.api.block({
        kind: text(d, "kind"),
        value: text(d, "value"),
        seconds: int(d, "seconds", "Duration") ?? 3600,
        reason: text(d, "reason"),
      });
      app.flash(`Blocked ${b.kind} ${b.value} until ${when(b.until)}`);
      app.refresh();
    },
    field(
      "Kind",
      h(
        "select",
        { name: "kind" },
        h("option", { value: "address" }, "address"),
        h("option", { value: "principal" }, "principal"),
      ),
    ),
    field(
      "Value",
      h("input", { name: "value", required: true, autocomplete: "off" }),
      "An IP address, or a user, key id or subject",
    ),
    field("Seconds", h("input", { name: "seconds", value: "3600", inputmode: "numeric" })),
    field("Reason", h("input", { name: "reason", autocomplete: "off" })),
  );
  return h(
    "section",
    {},
    h("h1", {}, "Blocks"),
    h("details", {}, h("summary", {}, "New block"), add),
    table<Block>(
      [
        ["Kind", (b) => b.kind],
        ["Value", (b) => h("code", {}, b.value)],
        ["Until", (b) => when(b.until)],
        ["Reason", (b) => b.reason || "—"],
        ["Set", (b) => when(b.created_at)],
        ["", (b) =>
          button("Lift", async () => {
            await app.api.unblock(b.kind, b.value);
            app.flash(`Lifted the block of ${b.value}`);
            app.refresh();
          }, (e) => app.fail(e))],
      ],
      blocks,
      "Nothing is blocked.",
    ),
  );
}

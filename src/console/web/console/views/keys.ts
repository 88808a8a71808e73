/// <reference lib="dom" />
/**
 * API keys: list (masked: only the prefix is ever shown), create (the raw key shown once, with a
 * copy button and a warning), roll with a grace period, revoke; limits, quota, scopes, expiry.
 */

import type { App } from "../app.ts";
import type { ApiKey, CreatedKey } from "../api.ts";
import {
  button,
  confirmDialog,
  field,
  fill,
  form,
  h,
  int,
  list,
  table,
  text,
  when,
} from "../dom.ts";

/** The panel showing a new key's raw value, once. */
export function shownOnce(created: CreatedKey, onDone: () => void): HTMLElement {
  const raw = h("input", {
    class: "secret",
    readonly: true,
    value: created.raw_key,
    "aria-label": "The new API key",
    id: "raw-key",
  });
  const copied = h("span", { class: "copied", role: "status" });
  const copy = h("button", { type: "button" }, "Copy");
  copy.addEventListener("click", async () => {
    raw.select();
    try {
      await navigator.clipboard.writeText(created.raw_key);
      fill(copied, "Copied");
    } catch {
      fill(copied, "Selected: press Ctrl+C (or ⌘C) to copy");
    }
  });
  const done = h("button", { type: "button" }, "I have stored it");
  const panel = h(
    "div",
    { class: "once", role: "alert" },
    h("h2", {}, `Key "${created.label}" for ${created.org_name}`),
    h(
      "p",
      { class: "warning" },
      "This is the only time the key is shown. Store it now (a secret manager, a vault): " +
        "Keypebble keeps only a hash and cannot show it again.",
    ),
    h("div", { class: "row" }, raw, copy, copied),
    created.replaces !== undefined &&
      h("p", {}, `The old key keeps working until ${when(created.old_expires_at)}.`),
    done,
  );
  done.addEventListener("click", () => {
    raw.value = "";
    panel.remove();
    onDone();
  });
  return panel;
}

function _state(k: ApiKey): HTMLElement {
  const label = k.status === "revoked"
    ? "revoked"
    : k.is_active
    ? (k.expires_at === null ? "active" : "active (expires)")
    : "inactive";
  return h("span", {
    class: `badge ${k.status === "revoked" ? "revoked" : k.is_active ? "active" : "suspended"}`,
  }, label);
}

/** The keys page (`?org=` picks the organisation of a root principal). */
export async function keysView(app: App): Promise<Node> {
  let orgNames: string[];
  if (app.root) orgNames = (await app.api.orgs()).map((o) => o.name);
  else orgNames = [app.me.org_id];
  const asked = app.query.get("org") ?? "";
  const org = app.root ? (orgNames.includes(asked) ? asked : "") : app.me.org_id;
  const keys = await app.api.keys(org === "" ? undefined : org);
  const onceSlot = h("div", {});
  const show = (c: CreatedKey) => {
    fill(onceSlot, shownOnce(c, () => app.refresh()));
    onceSlot.scrollIntoView();
  };

  const picker = app.root
    ? h(
      "select",
      {
        "aria-label": "Organisation",
        onchange: (e: Event) => {
          const v = (e.target as HTMLSelectElement).value;
          app.go("keys", v === "" ? {} : { org: v });
        },
      },
      h("option", { value: "" }, "Every organisation"),
      ...orgNames.map((n) => h("option", { value: n, selected: n === org }, n)),
    )
    : h("strong", {}, org);

  const orgInput = app.root
    ? h(
      "select",
      { name: "org_name", required: true },
      ...orgNames.map((n) => h("option", { value: n, selected: n === org }, n)),
    )
    : h("input", { name: "org_name", value: org, readonly: true });

  const create = form(
    { class: "grid", "aria-label": "New API key" },
    "Create key",
    async (d) => {
      const days = int(d, "expires_days", "Expiry");
      const created = await app.api.createKey({
        org_name: text(d, "org_name"),
        label: text(d, "label"),
        ...opt("scopes", list(d, "scopes")),
        ...opt("audiences", list(d, "audiences")),
        ...opt("rate_limit_per_minute", int(d, "rate", "Rate limit")),
        ...opt("monthly_quota", int(d, "quota", "Monthly quota")),
        ...opt("expires_in_seconds", days === undefined ? undefined : days * 86_400),
      });
      show(created);
    },
    field("Organisation", orgInput),
    field(
      "Label",
      h("input", { name: "label", required: true, maxlength: 128, autocomplete: "off" }),
    ),
    field(
      "Scopes",
      h("input", { name: "scopes", placeholder: "read write", autocomplete: "off" }),
      'Space or comma separated; "admin" makes an admin key',
    ),
    field(
      "Audiences",
      h("input", { name: "audiences", autocomplete: "off" }),
      "Of the key's tokens (optional)",
    ),
    field(
      "Rate limit",
      h("input", { name: "rate", inputmode: "numeric", placeholder: "none" }),
      "Requests per minute",
    ),
    field(
      "Monthly quota",
      h("input", { name: "quota", inputmode: "numeric", placeholder: "none" }),
      "Requests per UTC month",
    ),
    field(
      "Expires after",
      h("input", { name: "expires_days", inputmode: "numeric", placeholder: "never" }),
      "Days",
    ),
  );

  const roll = (k: ApiKey) =>
    button("Roll", async () => {
      const grace = await graceDialog();
      if (grace === undefined) return;
      show(await app.api.rollKey(k.id, grace));
    }, (e) => app.fail(e));
  const revoke = (k: ApiKey) =>
    button(
      "Revoke",
      async () => {
        if (
          !(await confirmDialog(
            `Revoke "${k.label}"? Requests with it fail at once, and tokens minted from it stop working.`,
            "Revoke",
          ))
        ) return;
        await app.api.revokeKey(k.id);
        app.flash(`Key "${k.label}" revoked`);
        app.refresh();
      },
      (e) => app.fail(e),
      { class: "danger" },
    );

  return h(
    "section",
    {},
    h("h1", {}, "API keys"),
    h("div", { class: "row" }, h("span", {}, "Organisation: "), picker),
    onceSlot,
    h("details", { open: keys.length === 0 }, h("summary", {}, "New key"), create),
    table<ApiKey>(
      [
        ["Label", (k) => k.label],
        [
          "Key",
          (k) => h("code", { title: "Only the prefix is ever shown" }, `${k.prefix}••••••••`),
        ],
        ["Organisation", (k) => k.org_name],
        ["State", _state],
        ["Scopes", (k) => k.scopes.join(" ") || "—"],
        ["Limit/min", (k) => k.rate_limit_per_minute ?? "—"],
        ["Quota/month", (k) => k.monthly_quota ?? "—"],
        ["Expires", (k) => when(k.expires_at)],
        ["Last used", (k) => when(k.last_used_at)],
        ["", (k) =>
          h(
            "div",
            { class: "row" },
            h(
              "a",
              { href: `/console/usage?key_id=${encodeURIComponent(k.id)}`, "data-nav": "" },
              "Usage",
            ),
            k.status === "active" && roll(k),
            k.status === "active" && revoke(k),
          )],
      ],
      keys,
      "No keys here yet.",
    ),
  );
}

function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

/** Ask for the grace period of a roll; undefined when cancelled. */
function graceDialog(): Promise<number | undefined> {
  return new Promise((resolve) => {
    const input = h("input", {
      name: "grace",
      value: "3600",
      inputmode: "numeric",
      required: true,
    });
    const d = h(
      "dialog",
      { class: "confirm" },
      h(
        "p",
        {},
        "Roll the key: a new key is made with the same grants, and the old one keeps working for a grace period.",
      ),
      field("Grace period (seconds)", input),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", "data-answer": "yes" }, "Roll"),
        h("button", { type: "button", "data-answer": "no" }, "Cancel"),
      ),
    );
    d.addEventListener("click", (e) => {
      const a = (e.target as HTMLElement).getAttribute("data-answer");
      if (a !== null) d.close(a);
    });
    d.addEventListener("close", () => {
      const v = input.value.trim();
      resolve(d.returnValue === "yes" && /^\d+$/.test(v) ? Number(v) : undefined);
      d.remove();
    });
    document.body.appendChild(d);
    d.showModal();
  });
}

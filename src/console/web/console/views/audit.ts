/**
 * The audit log with filters.
 *
 * `GET /admin/audit?since=&actor=&action=&target=` → `{"events": [{"at", "action", "actor",
 * "target", "outcome", ...}]}` (docs/operations.md "Audit trail"). A server without a store answers 404, and
 * the page says the log is not available.
 */

import type { App } from "../app.ts";
import type { AuditEvent } from "../api.ts";
import { field, h, table, when } from "../dom.ts";

const FILTERS = ["since", "actor", "action", "target"] as const;

/** The audit page (the filters are the page's query). */
export async function auditView(app: App): Promise<Node> {
  const filter: Record<string, string> = {};
  for (const k of FILTERS) {
    const v = app.query.get(k);
    if (v) filter[k] = v;
  }
  const events = await app.api.audit(filter);
  const inputs = FILTERS.map((k) =>
    field(
      k === "since" ? "Since (UTC)" : k[0].toUpperCase() + k.slice(1),
      h("input", {
        name: k,
        value: filter[k] ?? "",
        placeholder: k === "since" ? "2026-01-31T00:00:00Z" : "",
        autocomplete: "off",
      }),
    )
  );
  const f = h(
    "form",
    { class: "grid", "aria-label": "Filters" },
    ...inputs,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Filter")),
  );
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    const q: Record<string, string> = {};
    for (const [k, v] of new FormData(f)) {
      if (typeof v === "string" && v.trim() !== "") q[k] = v.trim();
    }
    app.go("audit", q);
  });
  if (events === undefined) {
    return h(
      "section",
      {},
      h("h1", {}, "Audit log"),
      h(
        "p",
        { class: "notice", id: "audit-unavailable" },
        "The audit log is not available on this server (GET /admin/audit answered 404).",
      ),
    );
  }
  return h(
    "section",
    {},
    h("h1", {}, "Audit log"),
    f,
    table<AuditEvent>(
      [
        ["When", (e) => when(e.at)],
        ["Action", (e) => h("code", {}, e.action)],
        ["Actor", (e) => e.actor],
        ["Target", (e) => e.target],
        ["Outcome", (e) => h("span", { class: `badge ${e.outcome}` }, e.outcome)],
      ],
      events,
      "No events match.",
    ),
  );
}

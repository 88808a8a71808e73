/// <reference lib="dom" />
/**
 * Usage: requests over time per key, per organisation or overall (last hour, day, month) drawn
 * as SVG by us, the monthly quota of a key as a bar, the error rate, and the busiest keys.
 */

import type { App } from "../app.ts";
import type { Usage, UsageRange } from "../api.ts";
import { chartGeometry, quotaShare } from "../chart.ts";
import { h, s, table } from "../dom.ts";

const RANGES: readonly [UsageRange, string][] = [
  ["hour", "Last hour"],
  ["day", "Last day"],
  ["month", "Last 30 days"],
];

/** The chart of a usage answer, as SVG with attributes and classes only. */
export function usageChart(u: Usage): SVGSVGElement {
  const g = chartGeometry(u.buckets, u.bucket_seconds);
  const p = g.plot;
  return s(
    "svg",
    {
      class: "chart",
      viewBox: `0 0 ${g.width} ${g.height}`,
      role: "img",
      "aria-label": `Requests per ${
        u.bucket_seconds === 60 ? "minute" : u.bucket_seconds === 3600 ? "hour" : "day"
      }: ${u.requests} in all, ${u.errors} errors`,
    },
    ...g.ticks.map((t) =>
      s(
        "g",
        {},
        s("line", { class: "grid", x1: p.x, x2: p.x + p.width, y1: t.y, y2: t.y }),
        s("text", { class: "tick", x: p.x - 6, y: t.y + 4, "text-anchor": "end" }, t.label),
      )
    ),
    ...g.bars.map((b) =>
      s(
        "g",
        { class: "bucket" },
        s("title", {}, b.title),
        s("rect", {
          class: "bar",
          x: b.requests.x,
          y: b.requests.y,
          width: b.requests.width,
          height: b.requests.height,
        }),
        b.errors.height > 0 &&
          s("rect", {
            class: "bar-error",
            x: b.errors.x,
            y: b.errors.y,
            width: b.errors.width,
            height: b.errors.height,
          }),
      )
    ),
    s("line", {
      class: "axis",
      x1: p.x,
      x2: p.x + p.width,
      y1: p.y + p.height,
      y2: p.y + p.height,
    }),
    ...g.labels.map((l) =>
      s("text", { class: "tick", x: l.x, y: g.height - 8, "text-anchor": "middle" }, l.label)
    ),
  );
}

/** The monthly quota of a key as a bar (SVG; no inline style). */
export function quotaBar(used: number, quota: number | null): Node {
  if (quota === null) {
    return h("p", { class: "hint" }, `${used} requests this month; no monthly quota.`);
  }
  const share = quotaShare(used, quota);
  const level = share >= 0.9 ? "high" : share >= 0.7 ? "mid" : "low";
  return h(
    "div",
    { class: "quota" },
    s(
      "svg",
      {
        class: "quota-bar",
        viewBox: "0 0 400 16",
        role: "img",
        "aria-label": `${used} of ${quota} requests this month`,
      },
      s("rect", { class: "quota-track", x: 0, y: 0, width: 400, height: 16, rx: 3 }),
      s("rect", {
        class: `quota-used ${level}`,
        x: 0,
        y: 0,
        width: Math.round(share * 400),
        height: 16,
        rx: 3,
      }),
    ),
    h("span", {}, `${used} of ${quota} this month (${Math.round(share * 100)} %)`),
  );
}

/** The usage page (`?key_id=` or `?org=`, `?range=`). */
export async function usageView(app: App): Promise<Node> {
  const range = (RANGES.find(([r]) => r === app.query.get("range"))?.[0]) ?? "hour";
  const keyId = app.query.get("key_id") ?? undefined;
  const org = app.query.get("org") ?? undefined;
  const of = keyId !== undefined ? { keyId } : org !== undefined ? { orgName: org } : {};
  const u = await app.api.usage(range, of);
  const here = (r: UsageRange): Record<string, string> => ({
    range: r,
    ...(keyId === undefined ? {} : { key_id: keyId }),
    ...(org === undefined ? {} : { org }),
  });
  const orgs = app.root ? (await app.api.orgs()).map((o) => o.name) : [];
  const scope = keyId !== undefined
    ? `key ${u.top_keys[0]?.label ?? keyId}`
    : u.org_name !== null
    ? `organisation ${u.org_name}`
    : "every organisation";
  return h(
    "section",
    {},
    h("h1", {}, "Usage"),
    h(
      "div",
      { class: "row" },
      h(
        "nav",
        { class: "tabs", "aria-label": "Range" },
        ...RANGES.map(([r, label]) =>
          h("button", {
            type: "button",
            class: r === range ? "selected" : "",
            "aria-pressed": String(r === range),
            onclick: () => app.go("usage", here(r)),
          }, label)
        ),
      ),
      app.root && keyId === undefined && h(
        "select",
        {
          "aria-label": "Organisation",
          onchange: (e: Event) => {
            const v = (e.target as HTMLSelectElement).value;
            app.go("usage", { range, ...(v === "" ? {} : { org: v }) });
          },
        },
        h("option", { value: "" }, "Every organisation"),
        ...orgs.map((n) => h("option", { value: n, selected: n === org }, n)),
      ),
      keyId !== undefined && h("a", { href: "/console/usage", "data-nav": "" }, "All keys"),
    ),
    h(
      "p",
      { class: "scope" },
      `Requests of ${scope}, ${RANGES.find(([r]) => r === range)![1].toLowerCase()} (UTC).`,
    ),
    h(
      "dl",
      { class: "figures" },
      h("div", {}, h("dt", {}, "Requests"), h("dd", { id: "usage-requests" }, String(u.requests))),
      h("div", {}, h("dt", {}, "Errors"), h("dd", {}, String(u.errors))),
      h("div", {}, h("dt", {}, "Error rate"), h("dd", {}, `${(u.error_rate * 100).toFixed(1)} %`)),
    ),
    usageChart(u),
    u.quota !== null && h("h2", {}, "Monthly quota"),
    u.quota !== null && quotaBar(u.quota.used_this_month, u.quota.monthly_quota),
    keyId === undefined && h("h2", {}, "Top keys"),
    keyId === undefined && table(
      [
        ["Key", (t) =>
          h("a", {
            href: `/console/usage?key_id=${encodeURIComponent(t.id)}&range=${range}`,
            "data-nav": "",
          }, t.label || t.id)],
        ["Prefix", (t) => h("code", {}, `${t.prefix}••••`)],
        ["Organisation", (t) => t.org_name ?? "—"],
        ["Requests", (t) => String(t.requests)],
        ["Errors", (t) => String(t.errors)],
      ],
      u.top_keys,
      "No requests in this range.",
    ),
  );
}

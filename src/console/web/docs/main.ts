/// <reference lib="dom" />
/**
 * The interactive API reference at `/docs`: rendered in the browser from this server's own
 * `/openapi.json`, each operation with its parameters, body and answers (schemas and examples),
 * and a "try it" form that sends the request to this same server (the CSP allows no other).
 * Credentials typed here stay in the page's memory.
 *
 * @module
 */

import { fill, h } from "../console/dom.ts";
import {
  buildRequest,
  type Json,
  mediaExample,
  type Operation,
  operations,
  resolve,
  schemaText,
} from "./model.ts";

const app = document.getElementById("app")!;
const auth = { bearer: "", apiKey: "" };

function pre(text: string, cls = "json"): HTMLElement {
  return h("pre", { class: cls }, text);
}

function show(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v, null, 2);
}

function securityText(op: Json): string {
  const sec = (op.security ?? []) as Json[];
  if (sec.length === 0) return "none";
  return sec.map((s) => Object.keys(s).join(" + ") || "anonymous").join(" or ");
}

function tryIt(doc: Json, o: Operation): HTMLElement {
  const params = ((o.op.parameters ?? []) as unknown[]).map((p) => resolve(doc, p));
  const body = resolve(doc, o.op.requestBody);
  const content = (body.content ?? {}) as Record<string, Json>;
  const contentType = Object.keys(content)[0];
  const inputs = params.map((p) =>
    h(
      "label",
      { class: "field" },
      h("span", {}, `${p.name} (${p.in})${p.required ? " *" : ""}`),
      h("input", {
        name: `${p.in}:${p.name}`,
        autocomplete: "off",
        placeholder: String((resolve(doc, p.schema) as Json).default ?? ""),
      }),
    )
  );
  const textarea = contentType !== undefined
    ? h(
      "textarea",
      { name: "body", rows: 6, spellcheck: "false", "aria-label": "Body" },
      show(mediaExample(doc, content[contentType]) ?? ""),
    )
    : null;
  const result = h("div", { class: "result", "aria-live": "polite" });
  const f = h(
    "form",
    { class: "try", "aria-label": `Try ${o.id}` },
    ...inputs,
    textarea,
    h("div", { class: "actions" }, h("button", { type: "submit" }, "Send")),
    result,
  );
  f.addEventListener("submit", async (e) => {
    e.preventDefault();
    const d = new FormData(f);
    const values: Record<string, string> = {};
    for (const [k, v] of d) if (typeof v === "string") values[k] = v;
    let req;
    try {
      req = buildRequest(o, doc, {
        params: values,
        ...(textarea === null ? {} : { body: textarea.value }),
        ...(contentType === undefined ? {} : { contentType }),
        bearer: auth.bearer,
        apiKey: auth.apiKey,
      });
    } catch (err) {
      return fill(result, h("p", { class: "error" }, (err as Error).message));
    }
    fill(result, h("p", {}, "Sending…"));
    try {
      const res = await fetch(req.url, req.init);
      const text = await res.text();
      let pretty = text;
      try {
        pretty = JSON.stringify(JSON.parse(text), null, 2);
      } catch {
        // not JSON: shown as sent
      }
      fill(
        result,
        h(
          "p",
          { class: `status s${String(res.status)[0]}xx` },
          `${req.init.method} ${req.url} → ${res.status} ${res.statusText}`,
        ),
        pre([...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n"), "headers"),
        pre(pretty, "json response"),
      );
    } catch (err) {
      fill(result, h("p", { class: "error" }, (err as Error).message));
    }
  });
  return h("details", { class: "tryit" }, h("summary", {}, "Try it"), f);
}

function operationView(doc: Json, o: Operation): HTMLElement {
  const op = o.op;
  const params = ((op.parameters ?? []) as unknown[]).map((p) => resolve(doc, p));
  const body = resolve(doc, op.requestBody);
  const responses = Object.entries((op.responses ?? {}) as Record<string, unknown>);
  return h(
    "section",
    { class: "op", id: `op-${o.id}` },
    h(
      "h3",
      {},
      h("span", { class: `method ${o.method}` }, o.method.toUpperCase()),
      h("code", {}, o.path),
    ),
    h("p", { class: "summary" }, String(op.summary ?? "")),
    typeof op.description === "string" && h("p", { class: "hint" }, op.description),
    h("p", { class: "meta" }, "operationId ", h("code", {}, o.id), " · auth: ", securityText(op)),
    params.length > 0 && h("h4", {}, "Parameters"),
    params.length > 0 && h(
      "table",
      {},
      h(
        "tbody",
        {},
        ...params.map((p) =>
          h(
            "tr",
            {},
            h("td", {}, h("code", {}, String(p.name))),
            h("td", {}, String(p.in)),
            h("td", {}, schemaText(doc, p.schema)),
            h("td", {}, String(p.description ?? "")),
          )
        ),
      ),
    ),
    body.content !== undefined && h("h4", {}, "Request body"),
    ...Object.entries((body.content ?? {}) as Record<string, Json>).map(([type, media]) =>
      h("div", {}, h("p", { class: "meta" }, type), pre(schemaText(doc, media.schema), "schema"))
    ),
    h("h4", {}, "Responses"),
    ...responses.map(([status, r]) => {
      const res = resolve(doc, r);
      const media = Object.entries((res.content ?? {}) as Record<string, Json>)[0];
      const ex = media === undefined ? undefined : mediaExample(doc, media[1]);
      return h(
        "details",
        { class: "response" },
        h(
          "summary",
          {},
          h("span", { class: `status s${status[0]}xx` }, status),
          ` ${String(res.description ?? "")}`,
        ),
        media !== undefined && pre(schemaText(doc, media[1].schema), "schema"),
        ex !== undefined && h("p", { class: "meta" }, "Example"),
        ex !== undefined && pre(show(ex)),
      );
    }),
    tryIt(doc, o),
  );
}

async function main(): Promise<void> {
  const res = await fetch("/openapi.json", { credentials: "omit" });
  const doc = await res.json() as Json;
  const info = (doc.info ?? {}) as Json;
  const ops = operations(doc);
  const groups = new Map<string, Operation[]>();
  for (const o of ops) groups.set(o.group, [...(groups.get(o.group) ?? []), o]);
  const bearer = h("input", {
    type: "password",
    autocomplete: "off",
    "aria-label": "Bearer token",
    placeholder: "an access token or key",
  });
  bearer.addEventListener("input", () => (auth.bearer = bearer.value.trim()));
  const apiKey = h("input", {
    type: "password",
    autocomplete: "off",
    "aria-label": "X-API-Key",
    placeholder: "kp_live_…",
  });
  apiKey.addEventListener("input", () => (auth.apiKey = apiKey.value.trim()));
  document.title = `${String(info.title ?? "API")} ${String(info.version ?? "")} · API reference`;
  fill(
    app,
    h(
      "div",
      { class: "layout docs" },
      h(
        "header",
        {},
        h("a", { href: "/docs", class: "brand" }, `${String(info.title ?? "API")} API`),
        h(
          "span",
          { class: "who" },
          `v${String(info.version ?? "")} · OpenAPI ${String(doc.openapi)}`,
        ),
        h("a", { href: "/openapi.json" }, "openapi.json"),
        h("a", { href: "/console" }, "Console"),
      ),
      h(
        "nav",
        { class: "side", "aria-label": "Operations" },
        ...[...groups].map(([g, list]) =>
          h(
            "div",
            {},
            h("h2", {}, g),
            ...list.map((o) =>
              h(
                "a",
                { href: `#op-${o.id}` },
                h("span", { class: `method ${o.method}` }, o.method.toUpperCase()),
                ` ${o.path}`,
              )
            ),
          )
        ),
      ),
      h(
        "main",
        {},
        h("p", { class: "hint" }, String(info.description ?? "")),
        h(
          "div",
          { class: "auth grid", "aria-label": "Credentials for Try it" },
          h("label", { class: "field" }, h("span", {}, "Authorization: Bearer"), bearer),
          h("label", { class: "field" }, h("span", {}, "X-API-Key"), apiKey),
          h("small", {}, "Sent with every Try it request to this server; kept in this page only."),
        ),
        ...[...groups].map(([g, list]) =>
          h("div", { class: "group" }, h("h2", {}, g), ...list.map((o) => operationView(doc, o)))
        ),
      ),
    ),
  );
  if (location.hash.length > 1) document.getElementById(location.hash.slice(1))?.scrollIntoView();
}

main().catch((e) =>
  fill(
    app,
    h(
      "p",
      { class: "error", role: "alert" },
      `Could not load /openapi.json: ${(e as Error).message}`,
    ),
  )
);

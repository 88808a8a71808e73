/// <reference lib="dom" />
/**
 * Building the page from nodes and text, never from HTML strings (the CSP's Trusted Types
 * refuse `innerHTML`), and never with a `style` attribute (the CSP refuses inline style).
 *
 * @module
 */

/** What may be a child: a node, text, or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes, plus `on*` event listeners. */
export type Attrs = Record<string, string | number | boolean | EventListener | undefined>;

function _apply(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "style") throw new Error("No inline style: use a class");
    if (k.startsWith("on") && typeof v === "function") {
      el.addEventListener(k.slice(2), v);
    } else if (k === "value" && el instanceof HTMLInputElement) {
      el.value = String(v);
    } else {
      el.setAttribute(k, v === true ? "" : String(v));
    }
  }
}

function _append(el: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  _apply(el, attrs);
  _append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** An SVG element. */
export function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  _apply(el, attrs);
  _append(el, children);
  return el;
}

/** Replace the children of `el`. */
export function fill(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  _append(el, children);
}

/** A short date and time (UTC) for tables; "—" for none. */
export function when(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return "—";
  return iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
}

/** A table with a header row and one row per item. */
export function table<T>(
  columns: readonly [string, (item: T) => Child][],
  items: readonly T[],
  empty = "Nothing here yet.",
): HTMLElement {
  if (items.length === 0) return h("p", { class: "empty" }, empty);
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...columns.map(([name]) => h("th", { scope: "col" }, name)))),
    h(
      "tbody",
      {},
      ...items.map((it) => h("tr", {}, ...columns.map(([, f]) => h("td", {}, f(it))))),
    ),
  );
}

/** A labelled input. */
export function field(label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h("label", { class: "field" }, h("span", {}, label), input, hint && h("small", {}, hint));
}

/**
 * A form whose submit runs `action` (the browser never submits it: `form-action 'none'`), with
 * the button disabled meanwhile and errors shown in the form.
 */
export function form(
  attrs: Attrs,
  submitLabel: string,
  action: (data: FormData) => Promise<void>,
  ...children: Child[]
): HTMLFormElement {
  const status = h("p", { class: "form-status", role: "status" });
  const button = h("button", { type: "submit" }, submitLabel);
  const f = h("form", attrs, ...children, h("div", { class: "actions" }, button), status);
  f.addEventListener("submit", (e) => {
    e.preventDefault();
    button.disabled = true;
    fill(status);
    status.classList.remove("error");
    action(new FormData(f)).catch((err: unknown) => {
      status.classList.add("error");
      fill(status, err instanceof Error ? err.message : String(err));
    }).finally(() => (button.disabled = false));
  });
  return f;
}

/** A button running `action`, disabled while it runs; errors go to `onError`. */
export function button(
  label: string,
  action: () => Promise<void>,
  onError: (e: unknown) => void,
  attrs: Attrs = {},
): HTMLButtonElement {
  const b = h("button", { type: "button", ...attrs }, label);
  b.addEventListener("click", () => {
    b.disabled = true;
    action().catch(onError).finally(() => (b.disabled = false));
  });
  return b;
}

/** Ask before doing something that cannot be undone (a modal `<dialog>`, no `confirm()`). */
export function confirmDialog(message: string, yes: string): Promise<boolean> {
  return new Promise((resolve) => {
    const d = h(
      "dialog",
      { class: "confirm" },
      h("p", {}, message),
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "danger", "data-answer": "yes" }, yes),
        h("button", { type: "button", "data-answer": "no" }, "Cancel"),
      ),
    );
    d.addEventListener("click", (e) => {
      const a = (e.target as HTMLElement).getAttribute("data-answer");
      if (a !== null) d.close(a);
    });
    d.addEventListener("close", () => {
      resolve(d.returnValue === "yes");
      d.remove();
    });
    document.body.appendChild(d);
    d.showModal();
  });
}

/** A text from a form (trimmed; "" when absent). */
export function text(data: FormData, name: string): string {
  const v = data.get(name);
  return typeof v === "string" ? v.trim() : "";
}

/** An optional whole number from a form; throws a sentence when it is not one. */
export function int(data: FormData, name: string, label: string): number | undefined {
  const v = text(data, name);
  if (v === "") return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`${label} must be a whole number`);
  return Number(v);
}

/** A comma- or space-separated list from a form. */
export function list(data: FormData, name: string): string[] | undefined {
  const v = text(data, name);
  if (v === "") return undefined;
  return v.split(/[\s,]+/).filter((x) => x !== "");
}

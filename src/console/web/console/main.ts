/// <reference lib="dom" />
/**
 * The console's entry: sign-in, the forced password change, the layout with a navigation that
 * follows the account's role, and client-side pages under `/console/<page>`.
 *
 * @module
 */

import { Api, ApiError, type Me } from "./api.ts";
import type { App, View } from "./app.ts";
import { field, fill, form, h, text } from "./dom.ts";
import { accountsView } from "./views/accounts.ts";
import { auditView } from "./views/audit.ts";
import { blocksView } from "./views/blocks.ts";
import { clientsView } from "./views/clients.ts";
import { groupsView } from "./views/groups.ts";
import { inspectView } from "./views/inspect.ts";
import { keysView } from "./views/keys.ts";
import { orgsView } from "./views/orgs.ts";
import { passwordForm } from "./views/password.ts";
import { usageView } from "./views/usage.ts";

interface Page {
  readonly path: string;
  readonly title: string;
  readonly view: View;
  /** Who sees it in the navigation (the server decides what they may do anyway). */
  readonly for: (me: Me) => boolean;
}

const ROOT = (me: Me) => me.role === "superadmin";
const ADMIN = (me: Me) => me.role === "superadmin" || me.role === "org_admin";
const ANY = () => true;

const PAGES: readonly Page[] = [
  { path: "orgs", title: "Organisations", view: orgsView, for: ROOT },
  { path: "keys", title: "API keys", view: keysView, for: ADMIN },
  { path: "usage", title: "Usage", view: usageView, for: ADMIN },
  { path: "accounts", title: "Accounts", view: accountsView, for: ADMIN },
  { path: "groups", title: "Groups", view: groupsView, for: ANY },
  { path: "clients", title: "OAuth2 clients", view: clientsView, for: ROOT },
  { path: "blocks", title: "Blocks", view: blocksView, for: ROOT },
  { path: "audit", title: "Audit log", view: auditView, for: ADMIN },
  { path: "inspect", title: "Token inspector", view: inspectView, for: ANY },
];

const api = new Api();
const app = document.getElementById("app")!;
let login = "";

function pageOf(pathname: string): string {
  const m = /^\/console\/([a-z]+)$/.exec(pathname);
  return m === null ? "" : m[1];
}

function showLogin(message?: string): void {
  api.signOut();
  document.title = "Sign in · Keypebble console";
  const f = form(
    { class: "stack", id: "login-form", "aria-label": "Sign in" },
    "Sign in",
    async (d) => {
      login = text(d, "login");
      const pair = await api.login(login, text(d, "password"));
      if (pair.password_change_required === true) {
        showForcedChange(text(d, "password"));
      } else await start();
    },
    field(
      "Email or username",
      h("input", { name: "login", required: true, autocomplete: "username", autofocus: true }),
    ),
    field(
      "Password",
      h("input", {
        name: "password",
        type: "password",
        required: true,
        autocomplete: "current-password",
      }),
    ),
  );
  fill(
    app,
    h(
      "main",
      { class: "card signin" },
      h("h1", {}, "Keypebble console"),
      message && h("p", { class: "notice", role: "alert" }, message),
      f,
      h(
        "p",
        { class: "hint" },
        "Your session lives in this tab only: reloading or closing it signs you out.",
      ),
    ),
  );
}

function showForcedChange(oldPassword: string): void {
  document.title = "Choose a password · Keypebble console";
  fill(
    app,
    h(
      "main",
      { class: "card signin" },
      passwordForm(api, login, () => void start(), { forced: true, oldPassword }),
    ),
  );
}

let me: Me | undefined;

async function start(): Promise<void> {
  me = await api.me();
  if (me.password_change_required) return showForcedChange("");
  route();
}

function layout(current: string, content: Node, flashes: HTMLElement): HTMLElement {
  const m = me!;
  const nav = h(
    "nav",
    { class: "side", "aria-label": "Console" },
    ...PAGES.filter((p) => p.for(m)).map((p) =>
      h("a", {
        href: `/console/${p.path}`,
        "data-nav": "",
        ...(p.path === current ? { "aria-current": "page" } : {}),
      }, p.title)
    ),
    h("a", { href: "/docs" }, "API reference"),
  );
  const signOut = h("button", { type: "button", id: "sign-out" }, "Sign out");
  signOut.addEventListener("click", () => {
    me = undefined;
    history.pushState(null, "", "/console");
    showLogin("Signed out.");
  });
  return h(
    "div",
    { class: "layout" },
    h(
      "header",
      {},
      h("a", { href: "/console", "data-nav": "", class: "brand" }, "Keypebble"),
      h(
        "span",
        { class: "who", id: "who" },
        `${m.email} · ${m.role}${m.role === "superadmin" ? "" : ` · ${m.org_id}`}`,
      ),
      h("a", { href: "/console/password", "data-nav": "" }, "Password"),
      signOut,
    ),
    nav,
    h("main", { id: "page" }, flashes, content),
  );
}

const flashes = h("div", { class: "flashes", role: "status" });

function flash(message: string, kind: "ok" | "error" = "ok"): void {
  const p = h("p", { class: `flash ${kind}` }, message);
  flashes.appendChild(p);
  setTimeout(() => p.remove(), kind === "error" ? 12_000 : 6_000);
}

async function route(): Promise<void> {
  if (me === undefined) return;
  const m = me;
  let page = pageOf(location.pathname);
  const allowed = PAGES.filter((p) => p.for(m));
  if (page === "" || (page !== "password" && !allowed.some((p) => p.path === page))) {
    page = allowed[0].path;
    history.replaceState(null, "", `/console/${page}`);
  }
  const ctx: App = {
    api,
    me: m,
    root: m.role === "superadmin",
    query: new URLSearchParams(location.search),
    go(p, query) {
      const q = new URLSearchParams(query ?? {}).toString();
      history.pushState(null, "", `/console/${p}${q ? `?${q}` : ""}`);
      void route();
    },
    flash,
    fail(e) {
      if (e instanceof ApiError && e.status === 401) {
        return showLogin("Your session ended: sign in again.");
      }
      flash(e instanceof Error ? e.message : String(e), "error");
    },
    refresh: () => void route(),
  };
  const def = PAGES.find((p) => p.path === page);
  document.title = `${def?.title ?? "Password"} · Keypebble console`;
  let content: Node;
  try {
    content = page === "password"
      ? passwordForm(api, m.email, () => {
        flash("Password changed");
        ctx.go(allowed[0].path);
      })
      : await def!.view(ctx);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      return showLogin("Your session ended: sign in again.");
    }
    content = h("p", { class: "error", role: "alert" }, e instanceof Error ? e.message : String(e));
  }
  if (me !== m) return; // signed out meanwhile
  fill(app, layout(page, content, flashes));
}

// Links marked data-nav stay in the page (history API); others load normally.
document.addEventListener("click", (e) => {
  const a = (e.target as Element).closest?.("a[data-nav]");
  if (a === null || a === undefined || (e as MouseEvent).ctrlKey || (e as MouseEvent).metaKey) {
    return;
  }
  e.preventDefault();
  history.pushState(null, "", (a as HTMLAnchorElement).href);
  void route();
});
addEventListener("popstate", () => void route());

api.onSignedOut = (reason) => {
  me = undefined;
  showLogin(`Your session ended (${reason}): sign in again.`);
};

showLogin();

/**
 * OAuth2 clients. Today they are declared in the config (`oauth.clients`) and shown read-only.
 *
 * HOOK (sign-in branch): clients kept in the store arrive in the same list with
 * `source: "store"`; their create/edit/delete actions go in {@link storedClientActions}.
 */

import type { App } from "../app.ts";
import type { Client } from "../api.ts";
import { h, table } from "../dom.ts";

/** Actions on a stored client (none yet: see the module's HOOK). */
export function storedClientActions(_app: App, _c: Client): Node | string {
  return "";
}

/** The clients page. */
export async function clientsView(app: App): Promise<Node> {
  const clients = await app.api.clients();
  return h(
    "section",
    {},
    h("h1", {}, "OAuth2 clients"),
    h(
      "p",
      { class: "hint" },
      "Clients declared in the configuration are read-only here: change oauth.clients in the " +
        "YAML file and reload (SIGHUP). Secrets are never shown.",
    ),
    table<Client>(
      [
        ["Id", (c) => h("code", {}, c.id)],
        ["Name", (c) => c.name],
        ["Type", (c) => (c.public ? "public (PKCE)" : "confidential")],
        ["Audiences", (c) => c.audiences.join(" ") || "—"],
        ["Scopes", (c) => c.scopes.join(" ") || "—"],
        ["Redirect URIs", (c) => c.redirect_uris.join(" ") || "—"],
        ["Source", (c) => h("span", { class: "badge" }, c.source)],
        ["", (c) => (c.source === "store" ? storedClientActions(app, c) : "")],
      ],
      clients,
      "No OAuth2 clients are declared (oauth.clients).",
    ),
  );
}

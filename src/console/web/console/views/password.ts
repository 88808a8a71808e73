/// <reference lib="dom" />
/** Changing the signed-in account's own password (and the forced change of a fresh admin). */

import type { Api } from "../api.ts";
import { field, form, h, text } from "../dom.ts";

/**
 * The password form. After a change every older token stops working, so it signs in again with
 * the new password and calls `done`.
 */
export function passwordForm(
  api: Api,
  login: string,
  done: () => void,
  options: { forced?: boolean; oldPassword?: string } = {},
): HTMLElement {
  const f = form(
    { class: "stack", "aria-label": "Change password", id: "password-form" },
    "Change password",
    async (d) => {
      const next = text(d, "new_password");
      if (next !== text(d, "again")) throw new Error("The two new passwords differ");
      await api.changePassword(text(d, "old_password"), next);
      await api.login(login, next);
      done();
    },
    field(
      "Current password",
      h("input", {
        name: "old_password",
        type: "password",
        required: true,
        autocomplete: "current-password",
        value: options.oldPassword ?? "",
      }),
    ),
    field(
      "New password",
      h("input", {
        name: "new_password",
        type: "password",
        required: true,
        autocomplete: "new-password",
      }),
    ),
    field(
      "New password again",
      h("input", { name: "again", type: "password", required: true, autocomplete: "new-password" }),
    ),
  );
  return h(
    "section",
    { class: options.forced ? "card" : "" },
    h("h1", {}, options.forced ? "Choose your password" : "Change password"),
    options.forced &&
      h("p", { class: "warning" }, "This account must change its password before anything else."),
    f,
  );
}

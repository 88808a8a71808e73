/// <reference lib="dom" />
/**
 * The token inspector: paste a JWT to see its header and claims, which kind of Keypebble token it
 * is, whether its signature matches our own published keys (checked in the browser with Web
 * Crypto against `/.well-known/jwks.json`), and its expiry in words. The token never leaves the
 * page: nothing is sent to the server but the request for the public keys.
 */

import type { App } from "../app.ts";
import { fill, h } from "../dom.ts";
import { decodeJwt, expiryWords, kindOf, numericDate, verifyJwt } from "../jwt.ts";

function pre(v: unknown): HTMLElement {
  return h("pre", { class: "json" }, JSON.stringify(v, null, 2));
}

/** The inspector page. */
export function inspectView(app: App): Promise<Node> {
  const input = h("textarea", {
    id: "jwt",
    rows: 5,
    spellcheck: "false",
    autocomplete: "off",
    placeholder: "eyJhbGciOi…",
    "aria-label": "A JWT",
  });
  const out = h("div", { class: "inspect", "aria-live": "polite" });
  const run = async () => {
    const t = input.value.trim();
    if (t === "") return fill(out);
    let d;
    try {
      d = decodeJwt(t);
    } catch (e) {
      return fill(out, h("p", { class: "error" }, (e as Error).message));
    }
    const now = Math.floor(Date.now() / 1000);
    const verdict = h("p", { class: "verdict", id: "verdict" }, "Checking the signature…");
    fill(
      out,
      h(
        "dl",
        { class: "figures" },
        h("div", {}, h("dt", {}, "Kind"), h("dd", { id: "kind" }, kindOf(d))),
        h("div", {}, h("dt", {}, "Expiry"), h("dd", { id: "expiry" }, expiryWords(d.claims, now))),
        h("div", {}, h("dt", {}, "Issued"), h("dd", {}, numericDate(d.claims.iat) ?? "—")),
        h("div", {}, h("dt", {}, "Subject"), h("dd", {}, String(d.claims.sub ?? "—"))),
      ),
      verdict,
      h("h2", {}, "Header"),
      pre(d.header),
      h("h2", {}, "Claims"),
      pre(d.claims),
    );
    try {
      const v = await verifyJwt(d, await app.api.jwks());
      verdict.className = `verdict ${v.ok ? "ok" : "bad"}`;
      fill(
        verdict,
        v.ok
          ? `Signature valid: ${v.alg}, key ${v.kid ?? "(no kid)"} of this issuer`
          : `Not verified: ${v.reason}`,
      );
    } catch (e) {
      verdict.className = "verdict bad";
      fill(verdict, `Could not read the published keys: ${(e as Error).message}`);
    }
  };
  input.addEventListener("input", () => void run());
  return Promise.resolve(
    h(
      "section",
      {},
      h("h1", {}, "Token inspector"),
      h("p", { class: "hint" }, "The token stays in this page: only the public keys are fetched."),
      input,
      out,
    ),
  );
}

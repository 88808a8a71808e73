/**
 * The sign-in pages' stylesheet, as a string module so `bun build --compile` and `deno compile`
 * embed it in the binary (no file to ship, nothing fetched: the pages work offline). Served by
 * us at {@link LOGIN_CSS_PATH}; the pages' CSP allows `style-src 'self'` and nothing inline.
 *
 * @module
 */

/** Where the pages link the stylesheet (the route that serves {@link LOGIN_CSS}). */
export const LOGIN_CSS_PATH = "/assets/login.css";

/** The stylesheet. */
export const LOGIN_CSS = `:root {
  color-scheme: light dark;
  --bg: #f4f5f7;
  --card: #ffffff;
  --text: #1c1e21;
  --muted: #5f6670;
  --accent: #2457c5;
  --accent-text: #ffffff;
  --danger: #b3261e;
  --border: #d5d9e0;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #15171a;
    --card: #1f2226;
    --text: #e8eaed;
    --muted: #a1a8b3;
    --accent: #6b95f2;
    --accent-text: #0d1117;
    --danger: #f2b8b5;
    --border: #3a3f46;
  }
}
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; }
body {
  background: var(--bg);
  color: var(--text);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  min-height: 100vh;
  display: flex;
  align-items: center;
  justify-content: center;
}
main {
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 12px;
  padding: 2rem;
  width: min(28rem, 100% - 2rem);
  margin: 2rem 0;
}
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
p { margin: 0 0 1rem; }
.muted { color: var(--muted); font-size: 0.9rem; }
.error {
  color: var(--danger);
  border: 1px solid var(--danger);
  border-radius: 8px;
  padding: 0.5rem 0.75rem;
}
label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
input[type="text"], input[type="email"], input[type="password"] {
  width: 100%;
  padding: 0.6rem 0.75rem;
  font: inherit;
  color: inherit;
  background: transparent;
  border: 1px solid var(--border);
  border-radius: 8px;
}
input:focus-visible, button:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.actions { display: flex; gap: 0.75rem; margin-top: 1.5rem; flex-wrap: wrap; }
button {
  font: inherit;
  font-weight: 600;
  padding: 0.6rem 1.2rem;
  border-radius: 8px;
  border: 1px solid var(--accent);
  background: var(--accent);
  color: var(--accent-text);
  cursor: pointer;
}
button.secondary { background: transparent; color: var(--text); border-color: var(--border); }
ul.scopes { padding-left: 1.25rem; }
.qr { display: flex; justify-content: center; margin: 1rem 0; }
.qr svg { max-width: 100%; height: auto; background: #ffffff; }
code.secret, ol.codes { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; }
code.secret { word-break: break-all; }
ol.codes li { white-space: nowrap; }
`;

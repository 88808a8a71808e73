/**
 * HTML escaping for the sign-in pages: every value that reaches a page goes through
 * {@link escapeHtml}, in text and in double-quoted attributes alike.
 *
 * @module
 */

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** `s` with `& < > " '` replaced by character references: safe in text and quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/**
 * What an organisation's name, a key's label and a key's prefix may be (issue 22): keyguard's
 * rules, so a keyguard script's "Acme Corp" or "beta-" works here, within what is safe to show to
 * people and to carry in a header.
 *
 * - Names and labels: 1 to 255 characters (code points, as keyguard's pydantic counts them),
 *   printable: no control characters (C0, DEL, C1), no line or paragraph separators, no
 *   bidirectional embeddings, overrides or isolates (a name shown in a list must read as it is
 *   stored), no unpaired surrogates. An organisation's name has no leading or trailing whitespace
 *   ("Acme" and "Acme " would be two organisations no one can tell apart); a label is not blank.
 * - Prefixes: 1 to 32 letters, digits, `_`, `.` or `-`, starting with a letter or digit (the shape
 *   of the keys imported from keyguard, `src/apikeys/imported_keys.ts`, so such keys are looked up
 *   whatever `store.accepted_prefixes` says).
 *
 * Names travel in headers (`X-Auth-Org`) percent-encoded where needed (src/gateway/
 * header_value.ts); the organisation's id (a UUID) is the ASCII handle for apps.
 */

/** Most characters of a name or a label (keyguard's `max_length=255`). */
export const NAME_MAX = 255;

/** The prefixes a key may be created with. */
export const KEY_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

const UNPRINTABLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

function _printable(v: string, max: number): boolean {
  if (v === "" || !v.isWellFormed() || UNPRINTABLE.test(v)) return false;
  // Count code points only when the UTF-16 length could exceed the bound.
  return v.length <= max || [...v].length <= max;
}

/** True when `name` may name an organisation. */
export function isOrgName(name: unknown): name is string {
  return typeof name === "string" && _printable(name, NAME_MAX) && name.trim() === name;
}

/** True when `label` may label a key. */
export function isKeyLabel(label: unknown): label is string {
  return typeof label === "string" && _printable(label, NAME_MAX) && label.trim() !== "";
}

/** The sentence a refused organisation name gets. */
export const ORG_NAME_RULE =
  "Organisation name must be 1 to 255 printable characters, without leading or trailing spaces";

/** The sentence a refused label gets. */
export const LABEL_RULE = "Label must be 1 to 255 printable characters";

/** The sentence a refused prefix gets. */
export const PREFIX_RULE =
  "Prefix must be 1 to 32 letters, digits, '_', '.' or '-', starting with a letter or digit";

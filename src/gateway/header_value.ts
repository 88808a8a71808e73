/**
 * Text that may hold any printable Unicode (an organisation's name, a key's label) as an HTTP
 * header value: percent-encoding (RFC 3986 §2.1) of the UTF-8 bytes of `%`, of every character
 * outside visible ASCII and the space, and of a leading or trailing space (which HTTP parsers
 * strip, RFC 9110 §5.5). Anything else is left as it is, so a plain name reads the same in the
 * header ("Acme Corp"), and the encoding is unambiguous: a receiver decodes it with
 * `decodeURIComponent` (JavaScript) or `urllib.parse.unquote` (Python) and gets the text back.
 *
 * Why not RFC 8187's `UTF-8''…` form: it is defined for header parameters (`filename*=`), not
 * for a whole field value, and a gateway copies these values verbatim into headers of its own.
 *
 * @example
 * ```ts
 * headerText("Acme Corp");     // "Acme Corp"
 * headerText("Zürich 100%");   // "Z%C3%BCrich 100%25"
 * ```
 */

/** `text` encoded for a header value (see the module documentation). */
export function headerText(text: string): string {
  if (PLAIN.test(text)) return text;
  let out = "";
  const last = text.length - 1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const edgeSpace = c === 0x20 && (i === 0 || i === last);
    if (c >= 0x20 && c <= 0x7e && c !== 0x25 && !edgeSpace) {
      out += text[i];
      continue;
    }
    // A whole code point (a surrogate pair is one character); lone surrogates cannot be
    // stored (names and labels are well formed), but are encoded as U+FFFD rather than throw.
    const cp = text.codePointAt(i)!;
    const ch = String.fromCodePoint(cp);
    if (cp > 0xffff) i++;
    out += _pct(ch.isWellFormed() ? ch : "\ufffd");
  }
  return out;
}

/** Visible ASCII and inner spaces, no `%`: already a header value as it is. */
const PLAIN = /^(?:[\x21-\x24\x26-\x7e](?:[\x20-\x24\x26-\x7e]*[\x21-\x24\x26-\x7e])?)?$/;

const enc = new TextEncoder();

function _pct(ch: string): string {
  let out = "";
  for (const b of enc.encode(ch)) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

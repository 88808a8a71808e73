import assert from "node:assert/strict";
import { headerText } from "./header_value.ts";

Deno.test("headerText() leaves printable ASCII as it is", () => {
  for (const v of ["acme", "Acme Corp", "a-b_c.d", "x!#$&'()*+,/:;<=>?@[]^`{|}~"]) {
    assert.equal(headerText(v), v);
  }
  assert.equal(headerText(""), "");
});

Deno.test("headerText() percent-encodes %, non-ASCII, controls and edge spaces, and decodes back", () => {
  const cases: [string, string][] = [
    ["100%", "100%25"],
    ["Zürich", "Z%C3%BCrich"],
    ["東京 team", "%E6%9D%B1%E4%BA%AC team"],
    ["rocket 🚀", "rocket %F0%9F%9A%80"],
    [" padded ", "%20padded%20"],
    ["a\r\nX-Evil: 1", "a%0D%0AX-Evil: 1"],
    ["tab\there", "tab%09here"],
    ["%41", "%2541"],
  ];
  for (const [text, header] of cases) {
    assert.equal(headerText(text), header, text);
    assert.equal(decodeURIComponent(header), text, header);
    // Always a valid header value: the Headers class takes it.
    new Headers({ "x-auth-key-label": header });
  }
});

Deno.test("headerText() never throws on a lone surrogate", () => {
  assert.equal(headerText("a\ud800b"), "a%EF%BF%BDb");
});

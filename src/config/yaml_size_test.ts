import assert from "node:assert/strict";
import { parse } from "yaml";
import { exceedsExpandedSize } from "./yaml_size.ts";

Deno.test("exceedsExpandedSize() catches a long value repeated by aliases the alias cap allows", () => {
  // One 1 MB string named 99 times: 99 aliases pass the library's cap, but the document is
  // about 100 MB once serialised (into every /auth reply, when it sits in static_claims).
  const text = `big: &big "${"x".repeat(1_000_000)}"\nlist: [${
    Array(99).fill("*big").join(", ")
  }]\n`;
  const doc = parse(text, { merge: true, maxAliasCount: 100 });
  assert.equal(exceedsExpandedSize(doc), true);
});

Deno.test("exceedsExpandedSize() accepts an ordinary config", () => {
  const doc = parse('issuer: "kp"\nstatic_claims: { roles: [a, b] }\n');
  assert.equal(exceedsExpandedSize(doc), false);
});

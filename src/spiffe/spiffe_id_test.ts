import assert from "node:assert/strict";
import {
  InvalidSpiffeIdError,
  isSpiffeId,
  parseSpiffeId,
  serviceSpiffeId,
  validateServiceName,
} from "./spiffe_id.ts";
import fixtures from "./testdata/conformance_fixtures.json" with { type: "json" };

Deno.test("parseSpiffeId() accepts the SPIFFE-ID standard's examples (§2.2)", () => {
  for (
    const id of [
      "spiffe://staging.example.com/payments/mysql",
      "spiffe://staging.example.com/payments/web-fe",
      "spiffe://k8s-west.example.com/ns/staging/sa/default",
      "spiffe://example.com/9eebccd2-12bf-40a6-b262-65fe0487d453",
      "spiffe://trust-domain-name/path",
    ]
  ) {
    assert.equal(parseSpiffeId(id).id, id);
  }
  const p = parseSpiffeId("spiffe://k8s-west.example.com/ns/staging/sa/default");
  assert.equal(p.trustDomain, "k8s-west.example.com");
  assert.equal(p.path, "/ns/staging/sa/default");
});

Deno.test("parseSpiffeId() agrees with spiffile's conformance vectors", () => {
  for (const id of fixtures.valid_spiffe_ids) assert.ok(isSpiffeId(id), id);
  for (const id of fixtures.invalid_spiffe_ids) assert.ok(!isSpiffeId(id), id);
});

Deno.test("parseSpiffeId() refuses what the standard forbids", () => {
  for (
    const bad of [
      "SPIFFE://example.org/x", // scheme is lower case
      "spiffe:/example.org/x",
      "spiffe://example.org:8080/x", // no port
      "spiffe://user@example.org/x", // no userinfo
      "spiffe://example.org/x?q=1", // no query
      "spiffe://example.org/x#f", // no fragment
      "spiffe://example.org/x/", // no trailing slash
      "spiffe://example.org/./x",
      "spiffe://example.org/x/..",
      "spiffe://example.org/%41", // no percent-encoding
      "spiffe:///x", // no trust domain
      `spiffe://${"a".repeat(256)}/x`, // trust domain > 255
      `spiffe://example.org/${"a".repeat(2030)}`, // > 2048 bytes
      "",
    ]
  ) {
    assert.throws(() => parseSpiffeId(bad), InvalidSpiffeIdError, bad);
  }
  assert.ok(isSpiffeId(`spiffe://example.org/${"a".repeat(2048 - 21)}`));
});

Deno.test("validateServiceName() refuses ., .., empty segments and odd characters", () => {
  for (const bad of ["", ".", "..", "a/..", "../x", "a//b", "/a", "a/", "a b", "a\\b", "ä"]) {
    assert.throws(() => validateServiceName(bad), InvalidSpiffeIdError, bad);
  }
  assert.equal(serviceSpiffeId("edge.example", "sensors/t-1"), "spiffe://edge.example/sensors/t-1");
});

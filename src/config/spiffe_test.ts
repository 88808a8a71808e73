import assert from "node:assert/strict";
import { parseConfig } from "./mod.ts";
import { parseSpiffeConfig } from "./spiffe.ts";
import { plainReader } from "./where.ts";

Deno.test("parseSpiffeConfig() reads the section, resolving root and key_path against the config's directory", () => {
  assert.equal(parseSpiffeConfig(undefined, plainReader("kp.yaml")), undefined);
  assert.deepEqual(
    parseSpiffeConfig(
      { trust_domain: "edge.example", root: "spiffe", key_path: "/k.pem" },
      plainReader("kp.yaml", "/etc/kp"),
    ),
    {
      trustDomain: "edge.example",
      root: "/etc/kp/spiffe",
      keyPath: "/k.pem",
      refreshHintSeconds: 300,
    },
  );
});

Deno.test("parseSpiffeConfig() names the file and field of every problem", () => {
  const bad: [unknown, RegExp][] = [
    [{}, /kp\.yaml: spiffe\.trust_domain: is required/],
    [{ trust_domain: "Edge.Example" }, /spiffe\.trust_domain/],
    [{ trust_domain: "e.x", root: "" }, /spiffe\.root: must be a non-empty string/],
    [{ trust_domain: "e.x", refresh_hint_seconds: 0 }, /spiffe\.refresh_hint_seconds/],
    [{ trust_domain: "e.x", trustdomain: "typo" }, /spiffe\.trustdomain: is not a known setting/],
    ["edge.example", /kp\.yaml: spiffe: must be a mapping/],
  ];
  for (const [v, re] of bad) assert.throws(() => parseSpiffeConfig(v, plainReader("kp.yaml")), re);
});

Deno.test("parseConfig() accepts a spiffe section as a known key", () => {
  const c = parseConfig(
    'issuer: kp\nhs256_secret: "0123456789abcdef0123456789abcdef"\nspiffe:\n  trust_domain: edge.example\n',
    "kp.yaml",
  );
  assert.equal(c.spiffe?.trustDomain, "edge.example");
  assert.deepEqual(c.warnings, []);
});

Deno.test("the spiffe section gets did-you-mean and KEYPEBBLE_SPIFFE__* overrides", () => {
  const base = 'issuer: kp\nhs256_secret: "0123456789abcdef0123456789abcdef"\n';
  assert.throws(
    () => parseConfig(`${base}spiffe: {trust_domian: e.x}\n`, "kp.yaml"),
    /spiffe\.trust_domian: is not a known setting; did you mean "spiffe\.trust_domain"\?/,
  );
  const c = parseConfig(base, "kp.yaml", { env: { KEYPEBBLE_SPIFFE__TRUST_DOMAIN: "edge.env" } });
  assert.equal(c.spiffe?.trustDomain, "edge.env");
});

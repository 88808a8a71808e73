import assert from "node:assert/strict";
import { PROFILE_KEYS } from "../config/profiles.ts";
import {
  foreignSubjectPrefixes,
  PROFILE_NAMES,
  PROFILES,
  REGISTERED_RESERVED,
  reservedClaims,
} from "./table.ts";

Deno.test("the config's profile keys are exactly the table's kinds", () => {
  assert.deepEqual([...PROFILE_KEYS].sort(), [...PROFILE_NAMES].sort());
});

Deno.test("every kind reserves the registered claims and every other kind's own claims", () => {
  for (const name of PROFILE_NAMES) {
    const reserved = reservedClaims(name);
    for (const c of REGISTERED_RESERVED) assert.ok(reserved.has(c), `${name} reserves ${c}`);
    for (const other of PROFILE_NAMES) {
      if (other === name) continue;
      for (const c of PROFILES[other].distinctive) {
        assert.ok(reserved.has(c), `${name} reserves ${other}'s ${c}`);
      }
    }
  }
  assert.ok(reservedClaims("auth").has("access"));
  assert.ok(!reservedClaims("registry").has("access"), "a kind's own claim is set by code");
});

Deno.test("service-account and SPIFFE subjects belong to their kinds only", () => {
  assert.ok(foreignSubjectPrefixes("auth").includes("system:serviceaccount:"));
  assert.ok(!foreignSubjectPrefixes("kubernetes").includes("system:serviceaccount:"));
  for (const name of PROFILE_NAMES) {
    assert.equal(foreignSubjectPrefixes(name).includes("spiffe://"), name !== "svid", name);
  }
  assert.ok(foreignSubjectPrefixes("svid").includes("system:serviceaccount:"));
});

Deno.test("the svid row: ES256 kind with typ JWT, one SPIFFE ID as aud, anonymous only where listed", () => {
  const svid = PROFILES.svid;
  assert.equal(svid.typ, "JWT");
  assert.equal(svid.audience, "spiffe_id");
  assert.equal(svid.subjectForm, "spiffe_id");
  assert.deepEqual(svid.caller, { mode: "anonymous_if_listed" });
  assert.deepEqual(svid.reservedSubjectPrefixes, ["spiffe://"]);
  assert.ok(reservedClaims("svid").has("access") && reservedClaims("svid").has("kubernetes.io"));
});

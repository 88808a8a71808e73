/**
 * Dependencies point down (design §1): no import runs from a lower folder to a higher one. The
 * folders below each name may not import it.
 */

import assert from "node:assert/strict";

const FORBIDDEN: Record<string, readonly string[]> = {
  http: ["profiles", "policy", "identity", "claims", "jose", "config", "limits", "runtime"],
  runtime: ["platform", "profiles", "policy", "identity", "claims", "jose", "config", "limits"],
  profiles: ["policy", "identity", "claims", "jose", "config", "limits"],
  identity: ["policy", "claims", "jose", "config", "limits"],
  cli: ["profiles", "http", "runtime", "policy", "identity", "jose", "config"],
};
// spiffe/ (IDs, bundles, the issuer) is below the layers that serve and mint SVIDs.
for (const upper of ["http", "runtime", "profiles"]) {
  FORBIDDEN[upper] = [...FORBIDDEN[upper], "spiffe"];
}
// tls/ (the TLS files, checked per runtime build) is below the runtime and the HTTP core.
for (const upper of ["http", "runtime", "cli"]) FORBIDDEN[upper] = [...FORBIDDEN[upper], "tls"];

Deno.test("no import runs upward between source folders", async () => {
  const root = new URL("./", import.meta.url).pathname;
  const problems: string[] = [];
  for (const [upper, lowers] of Object.entries(FORBIDDEN)) {
    for (const lower of lowers) {
      for await (const f of Deno.readDir(`${root}${lower}`)) {
        if (!f.name.endsWith(".ts") || f.name.endsWith("_test.ts")) continue;
        const text = await Deno.readTextFile(`${root}${lower}/${f.name}`);
        if (text.includes(`from "../${upper}/`)) problems.push(`${lower}/${f.name} → ${upper}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

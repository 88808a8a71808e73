import assert from "node:assert/strict";
import { isKeyLabel, isOrgName, KEY_PREFIX } from "./names.ts";

Deno.test("isOrgName() takes keyguard's names: any printable text of 1 to 255 characters", () => {
  for (
    const n of [
      "Acme Corp",
      "a",
      "Zürich AG",
      "東京",
      "🚀 launch",
      "x".repeat(255),
      "ü".repeat(255),
    ]
  ) {
    assert.ok(isOrgName(n), n);
  }
  const bad: unknown[] = [
    "",
    "x".repeat(256),
    "🚀".repeat(256),
    " lead",
    "trail ",
    "tab\tin",
    "new\nline",
    "del\u007f",
    "c1\u0085",
    "sep\u2028",
    "rlo\u202e",
    "isolate\u2066",
    "lone\ud800",
    42,
    null,
  ];
  for (const n of bad) assert.ok(!isOrgName(n), JSON.stringify(n));
});

Deno.test("isKeyLabel() is the same rule, blank labels refused, edge spaces allowed", () => {
  assert.ok(isKeyLabel(" prod key "));
  assert.ok(isKeyLabel('clé "prod"'));
  assert.ok(!isKeyLabel("   "));
  assert.ok(!isKeyLabel("a\u0000b"));
});

Deno.test("KEY_PREFIX takes keyguard's prefixes of a safe shape only", () => {
  for (const p of ["kg_live_", "beta-", "acme.prod.", "X", "kp_test_", "a".repeat(32)]) {
    assert.ok(KEY_PREFIX.test(p), p);
  }
  for (const p of ["", "_x", "-x", ".x", "a b", "a/b", "ü_", "a".repeat(33), "a\n"]) {
    assert.ok(!KEY_PREFIX.test(p), JSON.stringify(p));
  }
});

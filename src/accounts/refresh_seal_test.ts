import assert from "node:assert/strict";
import { openSuccessor, sealSuccessor } from "./refresh_seal.ts";

const used = `kprt_${"a".repeat(64)}`;
const next = `kprt_${"b".repeat(64)}`;

Deno.test("a sealed successor opens with the used token only", async () => {
  const sealed = await sealSuccessor(used, next);
  assert.ok(!sealed.includes(next) && !sealed.includes("bbbb"));
  assert.equal(await openSuccessor(used, sealed), next);
  assert.equal(await openSuccessor(`kprt_${"c".repeat(64)}`, sealed), undefined);
  assert.equal(await openSuccessor(used, sealed.slice(0, -2) + "AA"), undefined, "tampered");
  assert.equal(await openSuccessor(used, "garbage"), undefined);
  assert.notEqual(await sealSuccessor(used, next), sealed, "a fresh IV each time");
});

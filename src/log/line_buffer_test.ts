import assert from "node:assert/strict";
import { lineBuffer } from "./line_buffer.ts";

Deno.test("lineBuffer: the lines of one turn leave in one write, in order, on the next tick", async () => {
  const writes: string[] = [];
  const b = lineBuffer((t) => writes.push(t));
  b.write("a\n");
  b.write("b\n");
  assert.deepEqual(writes, []);
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(writes, ["a\nb\n"]);
  b.write("c\n");
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(writes, ["a\nb\n", "c\n"]);
});

Deno.test("lineBuffer: flush() writes at once (and cancels the tick); past maxChars it writes at once", async () => {
  const writes: string[] = [];
  const b = lineBuffer((t) => writes.push(t), { maxChars: 4 });
  b.write("x\n");
  b.flush();
  assert.deepEqual(writes, ["x\n"]);
  b.flush(); // nothing held: no empty write
  assert.deepEqual(writes, ["x\n"]);
  b.write("yy\n");
  b.write("zz\n");
  assert.deepEqual(writes, ["x\n", "yy\nzz\n"]);
  await new Promise((r) => setTimeout(r, 5));
  assert.equal(writes.length, 2);
});

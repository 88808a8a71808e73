import { ok } from "node:assert/strict";

// `deno task bench` runs every `bench/*_bench.ts` under `deno bench --allow-env`: a file there
// that is a script rather than `Deno.bench` cases (or needs more than env access) breaks the run.
Deno.test("every bench/*_bench.ts file holds Deno.bench cases only", async () => {
  const dir = new URL("../../bench/", import.meta.url);
  for await (const e of Deno.readDir(dir)) {
    if (!e.isFile || !e.name.endsWith("_bench.ts")) continue;
    const text = await Deno.readTextFile(new URL(e.name, dir));
    ok(text.includes("Deno.bench("), `bench/${e.name} has no Deno.bench case; rename it`);
    ok(!/Deno\.args\b/.test(text), `bench/${e.name} reads Deno.args, so it is a script; rename it`);
  }
});

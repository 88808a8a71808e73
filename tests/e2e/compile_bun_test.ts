/**
 * `scripts/compile_bun.sh OUT --target=…` for another CPU builds the binary and exits 0 without
 * trying to run it (it used to exit 126 running an arm64 file on x86_64). Needs bun and the
 * network for the target's runtime, as `.ci/run` has.
 */

import assert from "node:assert/strict";
import { REPO_ROOT, run } from "../helpers/process.ts";

Deno.test("compile_bun.sh cross-compiles for another CPU and exits 0 without running it", async () => {
  const other = Deno.build.arch === "x86_64" ? "bun-linux-arm64" : "bun-linux-x64";
  const dir = await Deno.makeTempDir({ prefix: "kp_cross_" });
  try {
    const r = await run("bash", [
      `${REPO_ROOT}scripts/compile_bun.sh`,
      `${dir}/keypebble`,
      `--target=${other}`,
    ], { allowFail: true });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`built .* for ${other} \\(not run`));
    const head = await Deno.readFile(`${dir}/keypebble`);
    assert.deepEqual([...head.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], "an ELF file");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The modules a start evaluates: `file` and every module it imports statically, transitively. */
async function staticClosure(dir: string, file: string): Promise<Map<string, string[]>> {
  // Static `import … from "x"`, `import "x"` and `export … from "x"`; never `import("x")`.
  const re = /\b(?:import|export)\s*(?:[^"'()]*?\bfrom\s*)?["']([^"']+)["']/g;
  const seen = new Map<string, string[]>();
  const todo = [file];
  while (todo.length > 0) {
    const f = todo.pop()!;
    if (seen.has(f)) continue;
    const specs = [...(await Deno.readTextFile(`${dir}/${f}`)).matchAll(re)].map((m) => m[1]);
    seen.set(f, specs);
    for (const s of specs) if (s.startsWith("./")) todo.push(s.slice(2));
  }
  return seen;
}

Deno.test("the Bun binary's start evaluates no network, SQLite or database client module", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kp_bundle_" });
  try {
    // The split modules the binary embeds (same flags, without --compile/--bytecode).
    const r = await run("bash", [`${REPO_ROOT}scripts/compile_bun.sh`, "--bundle", dir], {
      allowFail: true,
    });
    assert.equal(r.code, 0, r.stderr);
    const atStart = await staticClosure(dir, "main.js");
    const loaded = [...atStart.values()].flat().filter((s) => !s.startsWith("./"));
    // Start-up needs node:path and node:process at most; the rest loads when configured.
    for (const banned of ["net", "tls", "fs/promises", "sqlite", "stream", "postgres", "redis"]) {
      const hit = loaded.filter((s) => s.replace(/^node:/, "") === banned);
      assert.deepEqual(hit, [], `a start evaluates ${banned} (${[...atStart.keys()].join(", ")})`);
    }
    // The clients are in the build, in modules reached only through import(): the check above
    // would see them if a static import pulled them in.
    const later = [];
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.endsWith(".js") && !atStart.has(e.name)) later.push(e.name);
    }
    const laterSpecs = (await Promise.all(later.map((f) => staticClosure(dir, f))))
      .flatMap((m) => [...m.values()].flat());
    assert.ok(laterSpecs.includes("net"), `node:net is in no lazy chunk: ${later.join(", ")}`);
    assert.ok(laterSpecs.includes("node:sqlite"), "node:sqlite is in no lazy chunk");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

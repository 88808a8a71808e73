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

/**
 * Every command in the docs runs as written: the shell blocks a page marks `<!-- tested: shell -->`
 * run in order in a scratch directory, with the page's `<!-- file: NAME -->` blocks written there
 * first and `keypebble` (this repository's source) on PATH. Each must exit 0, and every whole config
 * the page writes (first line `# yaml-language-server: $schema=...`) must pass `keypebble check`
 * with no warning. Blocks that need a running server (`tested: shell, server`) and curl run in
 * tests/e2e/docs_commands_test.ts.
 */

import assert from "node:assert/strict";
import { blocksOf, docPages, playPage, SCHEMA_LINE, testedShell } from "../helpers/doc_blocks.ts";
import { REPO_ROOT, runKeypebble } from "../helpers/process.ts";

const pages: string[] = [];
for (const page of await docPages()) {
  const blocks = blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`));
  if (blocks.some((b) => testedShell(b) === "plain")) pages.push(page);
}

Deno.test("docs/getting-started.md claims tested commands", () => {
  assert.ok(pages.includes("docs/getting-started.md"), pages.join(", "));
});

for (const page of pages) {
  Deno.test(`${page}: its tested commands run as written`, async () => {
    const { dir, runs, files } = await playPage(page, false);
    try {
      assert.ok(runs.length > 0);
      for (const r of runs) {
        assert.equal(r.code, 0, `${page}:${r.block.line} failed:\n${r.block.body}\n${r.output}`);
      }
      for (const f of files.filter((b) => b.body.startsWith(SCHEMA_LINE))) {
        const name = /^file:\s*(\S+)$/.exec(f.marker)![1];
        const r = await runKeypebble(["check", "--config", `${dir}/${name}`], { cwd: dir });
        assert.equal(r.code, 0, `${page}:${f.line}: ${r.stderr}${r.stdout}`);
        assert.match(r.stdout, /^warnings\s+none$/m, `${page}:${f.line} warns:\n${r.stdout}`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/**
 * Every command in the docs runs as written, server blocks included: each page with tested shell
 * blocks is played in a scratch directory (tests/helpers/doc_blocks.ts), its `keypebble.yaml`
 * served on a free port before the first `<!-- tested: shell, server -->` block, which then runs
 * with curl against it. The pure-Deno blocks also run in tests/integration/docs_commands_test.ts.
 */

import assert from "node:assert/strict";
import { blocksOf, docPages, playPage, testedShell } from "../helpers/doc_blocks.ts";
import { REPO_ROOT } from "../helpers/process.ts";

const pages: string[] = [];
for (const page of await docPages()) {
  const blocks = blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`));
  if (blocks.some((b) => testedShell(b) !== undefined)) pages.push(page);
}

for (const page of pages) {
  Deno.test({
    name: `e2e ${page}: every tested command runs as written, against a served config`,
    sanitizeResources: false,
    fn: async () => {
      const { dir, runs } = await playPage(page, true);
      try {
        const expected = blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`))
          .filter((b) => testedShell(b) !== undefined).length;
        for (const r of runs) {
          assert.equal(r.code, 0, `${page}:${r.block.line} failed:\n${r.block.body}\n${r.output}`);
        }
        assert.equal(runs.length, expected);
        assert.ok(
          runs.some((r) => testedShell(r.block) === "server") || page !== "docs/getting-started.md",
        );
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

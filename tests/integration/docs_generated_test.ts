import assert from "node:assert/strict";
import { GENERATED_DOCS } from "../../src/cli/docs_generated.ts";

const ROOT = new URL("../../", import.meta.url);

/** Markdown as `deno fmt` (the repository's settings) leaves it. */
async function formatted(markdown: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=md", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const out = await child.output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}

for (const [path, render] of Object.entries(GENERATED_DOCS)) {
  Deno.test(`${path} is what its generator writes (run deno task docs)`, async () => {
    const onDisk = await Deno.readTextFile(new URL(path, ROOT));
    assert.equal(onDisk, await formatted(render()), `${path} is stale: run deno task docs`);
  });
}

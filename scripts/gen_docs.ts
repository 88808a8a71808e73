/**
 * `deno task docs`: write the generated references under docs/ (the configuration reference from
 * the config's shape, the CLI reference from the commands' own help) and format them as
 * `deno fmt` would. `deno task test` fails when a file here and its generator disagree: run this
 * task and commit the result.
 */
import { GENERATED_DOCS } from "../src/cli/docs_generated.ts";

const root = new URL("../", import.meta.url);
const paths = Object.keys(GENERATED_DOCS);
for (const path of paths) {
  await Deno.writeTextFile(new URL(path, root), GENERATED_DOCS[path]());
}
const fmt = await new Deno.Command(Deno.execPath(), {
  args: ["fmt", "--quiet", ...paths],
  cwd: root,
}).output();
if (!fmt.success) throw new Error(new TextDecoder().decode(fmt.stderr));
for (const path of paths) console.log(`wrote ${path}`);

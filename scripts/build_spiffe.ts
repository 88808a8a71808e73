/**
 * Build `dist/spiffe.js`: the services' TypeScript module (`src/spiffe/identity.ts`, the package's
 * `./spiffe` export) as one self-contained ES module that a Deno, Node (20+) or Bun service
 * imports as is, with no dependency but the runtime's own `node:fs` and `node:process`. Built by
 * esbuild (pinned in deno.json); `dist/` is build output and is not committed.
 *
 * Usage: deno task build:spiffe
 */

import * as esbuild from "esbuild";

const ROOT = new URL("../", import.meta.url);

try {
  const r = await esbuild.build({
    entryPoints: [new URL("src/spiffe/identity.ts", ROOT).pathname],
    outfile: new URL("dist/spiffe.js", ROOT).pathname,
    bundle: true,
    format: "esm",
    platform: "node",
    target: ["node20", "es2022"],
    legalComments: "inline",
    banner: {
      js: "// @keypebble/keypebble/spiffe: built by scripts/build_spiffe.ts; do not edit.",
    },
    logLevel: "error",
    metafile: true,
  });
  const out = Object.entries(r.metafile.outputs)[0];
  console.error(`build:spiffe: ${out[0]} ${out[1].bytes} B`);
} finally {
  await esbuild.stop();
}

/**
 * Entry point: pick the runtime adapter, run the CLI, exit with its code.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-env src/main.ts serve --config example-config.yaml
 * ```
 *
 * @module
 */

import { runCli } from "./cli/mod.ts";

async function main(): Promise<void> {
  if ("Bun" in globalThis) {
    const { bunPlatform, bunArgs, bunExit } = await import("./server/bun.ts");
    bunExit(await runCli(bunPlatform(), bunArgs()));
  } else {
    const { denoPlatform, denoArgs, denoExit } = await import("./server/deno.ts");
    denoExit(await runCli(denoPlatform(), denoArgs()));
  }
}

await main();

/**
 * Entry point: pick the runtime adapter, run the CLI, exit with its code.
 *
 * ```sh
 * deno run --allow-net --allow-read --allow-env src/main.ts serve --config example-config.yaml
 * ```
 *
 * @module
 */

async function main(): Promise<void> {
  if ("Bun" in globalThis) {
    const { bunPlatform, bunArgs, bunExit } = await import("./server/bun.ts");
    const platform = bunPlatform();
    // `serve --workers N` starts this module again as worker threads.
    const link = platform.parentLink();
    if (link !== undefined) return (await import("./server/worker.ts")).runWorker(platform, link);
    bunExit(await (await import("./cli/mod.ts")).runCli(platform, bunArgs()));
  } else {
    const { denoPlatform, denoArgs, denoExit } = await import("./server/deno.ts");
    const platform = denoPlatform();
    const link = platform.parentLink();
    if (link !== undefined) return (await import("./server/worker.ts")).runWorker(platform, link);
    denoExit(await (await import("./cli/mod.ts")).runCli(platform, denoArgs()));
  }
}

// The command line is imported only on the main thread: a worker thread of `serve --workers N`
// starts this module again and needs the server, not the CLI commands and their modules (one VM
// per worker: what it evaluates stays resident in each).
// Not a top-level await: the Bun binary is compiled to bytecode (`bun build --bytecode`, see
// scripts/compile_bun.sh), which does not accept one. A failure is still an unhandled rejection
// that prints the error and exits non-zero on both runtimes.
main();

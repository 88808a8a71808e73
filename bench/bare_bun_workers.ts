/**
 * The memory floor of the Bun binary (`bench/memory.ts`): a bare `Bun.serve` that answers
 * POST /auth like the same-I/O echo (reads and parses the JSON body, answers a JSON body), with
 * the same thread layout as `keypebble serve --workers N`: the main thread serves, and N - 1
 * worker threads (`new Worker`) serve the same port with `SO_REUSEPORT`. Compiled with
 * `bun build --compile`, it is what any Bun program of this shape keeps resident.
 *
 *   BARE_PORT=8090 BARE_WORKERS=2 ./bare_bun_workers
 */

interface BunLike {
  readonly main: string;
  readonly isMainThread: boolean;
  serve(o: {
    hostname: string;
    port: number;
    reusePort: boolean;
    fetch(req: Request): Promise<Response>;
  }): unknown;
}

const bun = (globalThis as unknown as { Bun: BunLike }).Bun;
const env = (globalThis as unknown as { process: { env: Record<string, string | undefined> } })
  .process.env;
const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

bun.serve({
  hostname: "127.0.0.1",
  port: Number(env.BARE_PORT ?? 8090),
  reusePort: true,
  async fetch(req) {
    const body = req.method === "POST" ? JSON.parse(await req.text()) : null;
    return new Response(JSON.stringify({ token: "x".repeat(280), claims: body }), {
      headers: HEADERS,
    });
  },
});
if (bun.isMainThread) {
  const W = (globalThis as unknown as { Worker: new (url: string) => unknown }).Worker;
  for (let i = 1; i < Number(env.BARE_WORKERS ?? 1); i++) new W(bun.main);
}

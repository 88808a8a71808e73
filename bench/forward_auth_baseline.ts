/**
 * The HTTP baseline for `GET /forward-auth`: a bare server that reads one request header and
 * answers 200 with an empty body and two headers, on Deno (`Deno.serve`) or Bun (`Bun.serve`).
 *
 *   deno run --unstable-net --allow-net bench/forward_auth_baseline.ts PORT
 *   bun bench/forward_auth_baseline.ts PORT
 */

interface BunLike {
  serve(
    o: { hostname: string; port: number; reusePort: boolean; fetch(req: Request): Response },
  ): unknown;
}

const g = globalThis as unknown as {
  Deno?: { args: string[]; serve(o: unknown, h: (r: Request) => Response): unknown };
  Bun?: BunLike;
  process?: { argv: string[] };
};
const port = Number((g.Deno ? g.Deno.args : g.process!.argv.slice(2))[0] ?? 8091);

function handle(req: Request): Response {
  const key = req.headers.get("x-api-key") ?? "";
  return new Response(null, {
    status: key === "" ? 401 : 200,
    headers: { "cache-control": "no-store", "x-auth-subject": String(key.length) },
  });
}

if (g.Bun) g.Bun.serve({ hostname: "127.0.0.1", port, reusePort: true, fetch: handle });
else g.Deno!.serve({ hostname: "127.0.0.1", port, reusePort: true, onListen() {} }, handle);

/**
 * The HTTP baseline of every endpoint `deno task bench` measures: a bare server that reads the
 * request body and parses it as JSON (when there is one), and answers a JSON response padded to
 * the size of the real endpoint's response, with the same headers. It runs on Deno (`Deno.serve`) or Bun (`Bun.serve`), so each runtime is compared
 * with itself.
 *
 *   deno run --unstable-net --allow-net bench/baseline_echo.ts PORT RESPONSE_BYTES [HEADERS_JSON]
 *
 * HEADERS_JSON (optional): the endpoint's own response headers as `[[name, value], ...]`, answered
 * instead of the two default ones (`/forward-auth` answers its identity and rate-limit headers
 * with no body: the same I/O is those headers and an empty body).
 *   bun bench/baseline_echo.ts PORT RESPONSE_BYTES
 */

const HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
};

interface BunLike {
  serve(
    o: {
      hostname: string;
      port: number;
      reusePort: boolean;
      fetch(req: Request): Promise<Response>;
    },
  ): unknown;
}

function args(): string[] {
  const g = globalThis as unknown as { Deno?: { args: string[] }; process?: { argv: string[] } };
  return g.Deno ? g.Deno.args : g.process!.argv.slice(2);
}

const [portArg, sizeArg, headersArg] = args();
const port = Number(portArg ?? 8090);
const size = Number(sizeArg ?? 600);
const headers: HeadersInit = headersArg === undefined ? HEADERS : JSON.parse(headersArg);

async function handle(req: Request): Promise<Response> {
  // Same I/O as the endpoint it stands for: a body is read and parsed when there is one (a form
  // body, as /oauth2/token takes, is parsed as a form).
  let body: unknown = null;
  if (req.method !== "GET" && req.method !== "HEAD") {
    const text = await req.text();
    body = (req.headers.get("content-type") ?? "").startsWith("application/x-www-form-urlencoded")
      ? Object.fromEntries(new URLSearchParams(text))
      : JSON.parse(text);
  }
  if (size === 0) return new Response(null, { headers });
  const base = JSON.stringify({ token: "", claims: body, expires_in: 3600 });
  const pad = Math.max(0, size - base.length);
  return new Response(
    JSON.stringify({ token: "x".repeat(pad), claims: body, expires_in: 3600 }),
    { headers },
  );
}

const bun = (globalThis as unknown as { Bun?: BunLike }).Bun;
if (bun) {
  // reusePort: `bench/per_request.ts` runs two echoes on one port to compare with two workers.
  bun.serve({ hostname: "127.0.0.1", port, reusePort: true, fetch: handle });
} else {
  Deno.serve({ hostname: "127.0.0.1", port, reusePort: true, onListen: () => {} }, handle);
}
console.log(`baseline echo listening on ${port}`);

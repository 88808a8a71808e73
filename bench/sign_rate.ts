/**
 * The runtime's own RSA-2048 (RS256) signing rate: `CONCURRENCY` loops calling
 * `crypto.subtle.sign` back to back for `SECONDS`, after a short warm-up. Prints one JSON line.
 * This is the ceiling for `GET /v2/token` with an RS256 key: every token is one such signature.
 *
 *   deno run bench/sign_rate.ts [SECONDS] [CONCURRENCY]
 *   bun bench/sign_rate.ts [SECONDS] [CONCURRENCY]
 */

function args(): string[] {
  const g = globalThis as unknown as { Deno?: { args: string[] }; process?: { argv: string[] } };
  return g.Deno ? g.Deno.args : g.process!.argv.slice(2);
}

function runtimeName(): string {
  const g = globalThis as unknown as {
    Deno?: { version: { deno: string } };
    Bun?: { version: string };
  };
  return g.Bun ? `bun ${g.Bun.version}` : `deno ${g.Deno!.version.deno}`;
}

const [secondsArg, concurrencyArg] = args();
const seconds = Number(secondsArg ?? 5);
const concurrency = Number(concurrencyArg ?? 32);

const params = { name: "RSASSA-PKCS1-v1_5" } as const;
const pair = await crypto.subtle.generateKey(
  {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  },
  true,
  ["sign", "verify"],
) as CryptoKeyPair;
const input = new TextEncoder().encode("e".repeat(300) + "." + "p".repeat(400));

async function measure(ms: number, n: number): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  const loop = async () => {
    while (performance.now() < end) {
      await crypto.subtle.sign(params, pair.privateKey, input);
      count++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, loop));
  return count / ((performance.now() - t0) / 1000);
}

await measure(500, concurrency); // warm-up
const serial = await measure(Math.min(2000, seconds * 400), 1);
const concurrent = await measure(seconds * 1000, concurrency);
console.log(JSON.stringify({
  runtime: runtimeName(),
  serial_per_sec: Math.round(serial),
  concurrent_per_sec: Math.round(concurrent),
  concurrency,
}));

/**
 * {@link Counters} in Redis or Valkey (fleet mode, `shared_limits.redis_url`), through the
 * official npm `redis` client (node-redis 4, which runs on Deno and Bun). Each operation is one
 * round trip: increments run as a small Lua script so the count and its expiry are set
 * atomically.
 *
 * The offline queue is disabled: while Redis is unreachable every call rejects at once (and the
 * caller refuses the request) instead of queueing; the client reconnects in the background.
 */

import { KeypebbleError } from "../errors.ts";
import type { Counters, CounterValue } from "./counters.ts";

const INCR = `local v = redis.call('INCRBY', KEYS[1], ARGV[1])
if v == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]); t = tonumber(ARGV[2]) end
return {v, t}`;

const GET = `local v = redis.call('GET', KEYS[1])
if not v then return {0, 0} end
return {tonumber(v), redis.call('PTTL', KEYS[1])}`;

/** Key prefix, so one Redis can serve other programs too. */
const NS = "keypebble:";

/** Connect to Redis; rejects with a clear error when it cannot be reached. */
export async function connectRedisCounters(url: string): Promise<Counters> {
  // Loaded here, not at the top: only fleet mode needs the client, and evaluating it costs
  // start-up time on every box.
  const { createClient } = await import("redis");
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: 3000,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2000),
    },
  });
  // Without a listener an error would crash the process; the state is visible in calls failing.
  client.on("error", () => {});
  try {
    await _withTimeout(client.connect(), 4000);
  } catch (e) {
    await client.disconnect().catch(() => {});
    throw new KeypebbleError(
      "store_unavailable",
      `Cannot reach Redis at ${_redact(url)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const call = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await _withTimeout(fn(), 2000);
    } catch (e) {
      throw new KeypebbleError("store_unavailable", "The shared limits store is unavailable", {
        cause: e,
      });
    }
  };
  const pair = (r: unknown): CounterValue => {
    const [v, t] = r as [number, number];
    return { value: Number(v), ttlMs: Math.max(0, Number(t)) };
  };
  return {
    kind: "redis",
    incr: (key, ttlMs, n = 1) =>
      call(async () =>
        pair(
          await client.eval(INCR, {
            keys: [NS + key],
            arguments: [String(n), String(Math.max(1, Math.ceil(ttlMs)))],
          }),
        )
      ),
    get: (key) => call(async () => pair(await client.eval(GET, { keys: [NS + key] }))),
    setFlag: (key, ttlMs) =>
      call(async () => {
        await client.set(NS + key, "1", { PX: Math.max(1, Math.ceil(ttlMs)) });
      }),
    flagTtl: (key) =>
      call(async () => {
        const t = await client.pTTL(NS + key);
        return t > 0 ? t : 0;
      }),
    reset: (key) =>
      call(async () => {
        await client.del(NS + key);
      }),
    close: async () => {
      // disconnect(), not quit(): quit waits for a reply that never comes while Redis is down.
      await _withTimeout(client.disconnect(), 2000).catch(() => {});
    },
  };
}

function _redact(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, "//***@");
}

function _withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * The Redis (or Valkey) backend of the limiter and the lockout (fleet mode,
 * `shared_limits.redis_url`), through the official npm `redis` client (node-redis 4, which runs on
 * Deno and Bun). Every {@link LimitBackend.run} is ONE script call (`EVALSHA`, one round trip)
 * that runs all of a request's steps in order and stops at the first refusal, atomically: the
 * script is the memory backend's arithmetic written in Lua, operation for operation (Redis' Lua
 * numbers are IEEE doubles, as JavaScript's), over state compared with the caller's clock.
 *
 * Keys (under `keypebble:`): `w:KEY:WINDOW_MS:INDEX` the count of one fixed window (a sliding
 * window reads two); `p:KEY:START` a period's count; `f:KEY` a failure window (hash: `c` count,
 * `s` start); `k:KEY` a lock (its end, ms). Expiry only collects keys no decision reads any more.
 * Not for Redis Cluster: one script touches several keys.
 *
 * The offline queue is disabled: while Redis is unreachable every call rejects at once (and the
 * caller refuses the request) instead of queueing; the client reconnects in the background.
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { LimitBackend, LimitStep, StepResult } from "./backend.ts";
import { windowStart } from "./sliding_window.ts";

/** Key prefix, so one Redis can serve other programs too. */
const NS = "keypebble:";

/** Extra lifetime of keys beyond their last use by a decision (clocks of a fleet differ). */
const SLACK_MS = 60_000;

/**
 * One script for every step. KEYS: the keys of each step in order; ARGV[1] the clock (ms), ARGV[2]
 * the number of steps, then each step's opcode and numbers. Returns three integers per step run.
 * The sliding-window test `est + 1 <= limit + 1e-9` is sliding_window.ts' `fits`, character for
 * character.
 */
export const LIMITS_SCRIPT = `local now = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local a = 3
local k = 1
local out = {}
for i = 1, n do
  local op = ARGV[a]
  if op == 'r' then
    local limit = tonumber(ARGV[a + 1])
    local w = tonumber(ARGV[a + 2])
    local start = tonumber(ARGV[a + 3])
    a = a + 4
    local ck = KEYS[k]
    local curr = tonumber(redis.call('GET', ck) or '0')
    local prev = tonumber(redis.call('GET', KEYS[k + 1]) or '0')
    k = k + 2
    local elapsed = math.min(math.max((now - start) / w, 0), 1)
    local est = prev * (1 - elapsed) + curr
    if est + 1 <= limit + 1e-9 then
      redis.call('INCR', ck)
      redis.call('PEXPIRE', ck, 2 * w + ${SLACK_MS})
      out[#out + 1] = 1; out[#out + 1] = prev; out[#out + 1] = curr
    else
      out[#out + 1] = 0; out[#out + 1] = prev; out[#out + 1] = curr
      return out
    end
  elseif op == 'p' then
    local limit = tonumber(ARGV[a + 1])
    local ttl = tonumber(ARGV[a + 2])
    a = a + 3
    local pk = KEYS[k]
    k = k + 1
    local used = tonumber(redis.call('GET', pk) or '0')
    if used + 1 <= limit + 1e-9 then
      redis.call('INCR', pk)
      redis.call('PEXPIRE', pk, ttl)
      out[#out + 1] = 1; out[#out + 1] = used; out[#out + 1] = 0
    else
      out[#out + 1] = 0; out[#out + 1] = used; out[#out + 1] = 0
      return out
    end
  elseif op == 'l' then
    a = a + 1
    local until_ = tonumber(redis.call('GET', KEYS[k]) or '0')
    k = k + 1
    if until_ > now then
      out[#out + 1] = until_ - now; out[#out + 1] = 0; out[#out + 1] = 0
      return out
    end
    out[#out + 1] = 0; out[#out + 1] = 0; out[#out + 1] = 0
  elseif op == 'f' then
    local max = tonumber(ARGV[a + 1])
    local w = tonumber(ARGV[a + 2])
    local lock = tonumber(ARGV[a + 3])
    a = a + 4
    local fk = KEYS[k]
    local lk = KEYS[k + 1]
    k = k + 2
    local until_ = tonumber(redis.call('GET', lk) or '0')
    if until_ > now then
      out[#out + 1] = 0; out[#out + 1] = until_ - now; out[#out + 1] = 0
    else
      local f = redis.call('HMGET', fk, 'c', 's')
      local c = tonumber(f[1] or '0')
      local s = tonumber(f[2] or '0')
      if f[1] == false or now - s >= w then c = 0; s = now end
      c = c + 1
      if c >= max then
        redis.call('SET', lk, now + lock, 'PX', lock + ${SLACK_MS})
        redis.call('DEL', fk)
        out[#out + 1] = 1; out[#out + 1] = lock; out[#out + 1] = c
      else
        redis.call('HSET', fk, 'c', c, 's', s)
        redis.call('PEXPIRE', fk, w + ${SLACK_MS})
        out[#out + 1] = 0; out[#out + 1] = 0; out[#out + 1] = c
      end
    end
  elseif op == 'c' then
    a = a + 1
    redis.call('DEL', KEYS[k])
    k = k + 1
    out[#out + 1] = 0; out[#out + 1] = 0; out[#out + 1] = 0
  else
    return redis.error_reply('unknown step ' .. tostring(op))
  end
end
return out`;

/** Most locks remembered locally (a hint only, see {@link LimitBackend.knownLocked}). */
const MAX_KNOWN_LOCKS = 10_000;

/** The minimal client surface used here (node-redis 4). */
interface _Client {
  evalSha(sha: string, o: { keys: string[]; arguments: string[] }): Promise<unknown>;
  eval(script: string, o: { keys: string[]; arguments: string[] }): Promise<unknown>;
  scriptLoad(script: string): Promise<string>;
  disconnect(): Promise<void>;
}

/** Connect to Redis; rejects with a clear error when it cannot be reached. */
export async function connectRedisLimits(url: string): Promise<RedisLimits> {
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
  let sha: string;
  try {
    await _withTimeout(client.connect(), 4000);
    sha = await _withTimeout(client.scriptLoad(LIMITS_SCRIPT), 4000);
  } catch (e) {
    await client.disconnect().catch(() => {});
    throw new KeypebbleError(
      "store_unavailable",
      `Cannot reach Redis at ${_redact(url)}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return new RedisLimits(client as unknown as _Client, sha);
}

/** Limits counted in Redis for every instance of a fleet. */
export class RedisLimits implements LimitBackend {
  readonly kind = "redis" as const;
  readonly #client: _Client;
  readonly #sha: string;
  /** key → lockedUntil (ms) as last seen in a result. */
  readonly #known = new Map<string, number>();

  constructor(client: _Client, sha: string) {
    this.#client = client;
    this.#sha = sha;
  }

  async run(steps: readonly LimitStep[], now: number): Promise<StepResult[]> {
    if (steps.length === 0) return [];
    const keys: string[] = [];
    const args: string[] = [String(now), String(steps.length)];
    for (const s of steps) {
      switch (s.op) {
        case "rate": {
          const start = windowStart(now, s.windowMs);
          const index = start / s.windowMs;
          const base = `${NS}w:${s.key}:${s.windowMs}:`;
          keys.push(base + index, base + (index - 1));
          args.push("r", String(s.limit), String(s.windowMs), String(start));
          break;
        }
        case "period":
          keys.push(`${NS}p:${s.key}:${s.start}`);
          args.push("p", String(s.limit), String(Math.max(1, s.end - now) + SLACK_MS));
          break;
        case "locked":
          keys.push(`${NS}k:${s.key}`);
          args.push("l");
          break;
        case "fail":
          keys.push(`${NS}f:${s.key}`, `${NS}k:${s.key}`);
          args.push("f", String(s.maxFailures), String(s.windowMs), String(s.lockMs));
          break;
        case "clear":
          keys.push(`${NS}f:${s.key}`);
          args.push("c");
          break;
      }
    }
    let raw: unknown;
    try {
      raw = await _withTimeout(this.#eval(keys, args), 2000);
    } catch (e) {
      throw new KeypebbleError("store_unavailable", "The shared limits store is unavailable", {
        cause: e,
      });
    }
    const r = raw as number[];
    const out: StepResult[] = [];
    for (let i = 0; i * 3 < r.length; i++) {
      const s = steps[i];
      const x = Number(r[i * 3]);
      const y = Number(r[i * 3 + 1]);
      const z = Number(r[i * 3 + 2]);
      switch (s.op) {
        case "rate":
          out.push({ op: "rate", allowed: x === 1, prev: y, curr: z });
          break;
        case "period":
          out.push({ op: "period", allowed: x === 1, used: y });
          break;
        case "locked":
          if (x > 0) this.#remember(s.key, now + x);
          out.push({ op: "locked", lockedMs: x });
          break;
        case "fail":
          if (y > 0) this.#remember(s.key, now + y);
          out.push({ op: "fail", lockedNow: x === 1, lockedMs: y, failures: z });
          break;
        case "clear":
          out.push({ op: "clear" });
          break;
      }
    }
    return out;
  }

  async #eval(keys: string[], args: string[]): Promise<unknown> {
    try {
      return await this.#client.evalSha(this.#sha, { keys, arguments: args });
    } catch (e) {
      // Redis restarted (or SCRIPT FLUSH): its script cache is empty. EVAL loads it again.
      if (!(e instanceof Error) || !e.message.startsWith("NOSCRIPT")) throw e;
      return await this.#client.eval(LIMITS_SCRIPT, { keys, arguments: args });
    }
  }

  knownLocked(key: string, now: number): number {
    const until = this.#known.get(key);
    if (until === undefined) return 0;
    if (until > now) return until - now;
    this.#known.delete(key);
    return 0;
  }

  #remember(key: string, until: number): void {
    this.#known.delete(key);
    this.#known.set(key, until);
    if (this.#known.size > MAX_KNOWN_LOCKS) this.#known.delete(this.#known.keys().next().value!);
  }

  async close(): Promise<void> {
    // disconnect(), not quit(): quit waits for a reply that never comes while Redis is down.
    await _withTimeout(this.#client.disconnect(), 2000).catch(() => {});
  }
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

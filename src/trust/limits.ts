/**
 * Every limit and lockout a request meets, through the one limiter and the one lockout
 * (src/limits/): per client address (admission), per principal, per API key and its monthly quota,
 * per named route, and the lockout buckets (sign-in, API-key guesses, and any other bucket a
 * feature declares with {@link lockBucket}). Each refusal is a {@link KeypebbleError} with the right
 * status, message and headers, counted in the metrics.
 *
 * Memory backend: every step is decided at once, in the order the request meets it.
 *
 * Redis backend (fleet mode): one round trip per request. From admission until the authentication
 * step is over the steps are gathered, not sent; the core's `admitted` hook then runs them all in
 * one script call ({@link settleLimits}), which decides them in the same order and stops at the
 * first refusal, as the memory backend would have. An error the authentication step threw (a bad
 * key, a bad password) yields to a refusal gathered before it, as in memory, where the refusal
 * would have come first. Before costly work (a password hash, a store lookup for a key known to be
 * locked), a caller runs what was gathered first ({@link flushLimits}), so a locked principal
 * still costs no hashing. After authentication each step is its own call, or a caller gathers a
 * few with {@link gatherLimits} and runs them together.
 *
 * For a feature adding a limit or a bucket (one line each):
 *
 * ```ts
 * await limitRate(ctx, { scope: "address", key: `route:${name}:${addr}`, rule });
 * const ROUTE = lockBucket({ name: `route:${name}`, message: "Too many attempts from this address; try again later", policy: () => ({ maxFailures: l.lockAfter, windowSeconds: l.windowSeconds, lockSeconds: l.lockSeconds }) });
 * await refuseLocked(ctx, ROUTE, [addr]);  await recordFailure(ctx, ROUTE, addr);
 * ```
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import {
  failOutcome,
  type FailResult,
  type LimitStep,
  type LockedResult,
  type LockPolicy,
  lockState,
  MemoryLimits,
  type Quota,
  type RateDecision,
  type RateLimit,
  rateLimitHeaders,
  type StepResult,
} from "../limits/mod.ts";
import type { Ctx } from "./services.ts";

/** The `scope` label of `keypebble_rate_limited_total` and `keypebble_lockouts_total`. */
export type LimitScope = "address" | "principal";

/** A lockout bucket: its keys' prefix, its policy, and what a locked caller is told. */
export interface LockBucket {
  /** Prefix of the bucket's keys (`signin`, `api_key`, `admin_key`, `route:NAME`). */
  readonly name: string;
  /** The sentence of the 429 `locked_out` answer. */
  readonly message: string;
  /** The policy in force (from the current config); undefined: this bucket's lockout is off. */
  policy(ctx: Ctx): LockPolicy | undefined;
  /** The metric scope of a key of this bucket. */
  scope(key: string): LimitScope;
  /** The `scope` field of the `lockout` log line. */
  logScope(key: string): string;
}

/** A lockout bucket; `scope` defaults to `address`, `logScope` to the bucket's name. */
export function lockBucket(b: {
  name: string;
  message: string;
  policy(ctx: Ctx): LockPolicy | undefined;
  scope?(key: string): LimitScope;
  logScope?(key: string): string;
}): LockBucket {
  return {
    name: b.name,
    message: b.message,
    policy: b.policy,
    scope: b.scope ?? (() => "address"),
    logScope: b.logScope ?? (() => b.name),
  };
}

/** `lockout:` of the config, when enabled. */
function _configured(ctx: Ctx): LockPolicy | undefined {
  const lo = ctx.rt.config.lockout;
  return lo.enabled ? lo : undefined;
}

/**
 * Sign-in failures (Basic, passwords, OAuth clients, accounts), per client address (`addr:…`) and
 * per principal (`user:…`, `acct:…`, `acct?:…`).
 */
export const SIGNIN: LockBucket = lockBucket({
  name: "signin",
  message: "Too many failed sign-in attempts; try again later",
  policy: _configured,
  scope: (key) => key.startsWith("addr:") ? "address" : "principal",
  logScope: (key) => key.startsWith("addr:") ? "address" : key.slice(0, key.indexOf(":")),
});

/**
 * Guessed API keys (unknown or malformed) per client address: its own bucket, so that a gateway's
 * address is not locked out of `/forward-auth` by sign-in failures, nor the other way round.
 */
export const API_KEY_GUESSES: LockBucket = lockBucket({
  name: "api_key",
  message: "Too many invalid API keys from this address; try again later",
  policy: _configured,
  logScope: () => "api_key_address",
});

const KEY_BUCKETS = new Map<string, LockBucket>();

/**
 * The bucket guessed keys count in on a route: {@link API_KEY_GUESSES}, or the route's own
 * (`CallerDecl.lockoutBucket`, e.g. the admin API's `admin`), so that a mistyped admin key never
 * locks a gateway's address out of `/forward-auth`. (Bucket names are declared in code.)
 */
export function keyGuessBucket(name: string | undefined): LockBucket {
  if (name === undefined) return API_KEY_GUESSES;
  let b = KEY_BUCKETS.get(name);
  if (b === undefined) {
    b = lockBucket({
      name: `api_key_${name}`,
      message: API_KEY_GUESSES.message,
      policy: _configured,
      logScope: () => `api_key_address_${name}`,
    });
    KEY_BUCKETS.set(name, b);
  }
  return b;
}

const RATE_MESSAGES: Record<LimitScope, string> = {
  address: "Too many requests from this address; slow down",
  principal: "Too many requests for this account; slow down",
};

/** One step and what its result does (count, log, or throw the refusal). */
interface _Gathered {
  readonly steps: LimitStep[];
  readonly then: ((r: StepResult) => void)[];
}

/** The steps a request is gathering (Redis backend, between admission and authentication). */
const GATHERING = new WeakMap<object, _Gathered>();

/** Start gathering this request's steps (Redis only; memory decides each at once). */
export function gatherLimits(ctx: Ctx): void {
  if (ctx.services.limits.backend.kind === "memory") return;
  if (!GATHERING.has(ctx)) GATHERING.set(ctx, { steps: [], then: [] });
}

/** Whether steps wait to be run. */
export function limitsPending(ctx: Ctx): boolean {
  const g = GATHERING.get(ctx);
  return g !== undefined && g.steps.length > 0;
}

/**
 * Run what was gathered so far, in one call (gathering goes on): throws the first refusal. Call
 * before costly work that a refusal must spare.
 */
export function flushLimits(ctx: Ctx): void | Promise<void> {
  const g = GATHERING.get(ctx);
  if (g === undefined || g.steps.length === 0) return;
  const steps = g.steps.splice(0);
  return _run(ctx, steps, g.then.splice(0));
}

/**
 * Run what was gathered and stop gathering (each later step is its own call). The core's
 * `admitted` hook calls it once the authentication step is over (`failure`: what it threw); a
 * refusal among the steps is thrown in place of `failure`.
 */
export function settleLimits(ctx: Ctx, _failure?: unknown): void | Promise<void> {
  const g = GATHERING.get(ctx);
  if (g === undefined) return;
  GATHERING.delete(ctx);
  if (g.steps.length === 0) return;
  return _run(ctx, g.steps, g.then);
}

/** Run `step`, or gather it; `then` reads its result (and throws a refusal). */
function _step(ctx: Ctx, step: LimitStep, then: (r: StepResult) => void): void | Promise<void> {
  const backend = ctx.services.limits.backend;
  // Memory: decided at once, with nothing gathered and no list built.
  if (backend instanceof MemoryLimits) return then(backend.step(step, ctx.services.now()));
  const g = GATHERING.get(ctx);
  if (g !== undefined) {
    g.steps.push(step);
    g.then.push(then);
    return;
  }
  return _run(ctx, [step], [then]);
}

/** Run several steps in one call (stopping at the first refusal), or gather them. */
function _steps(
  ctx: Ctx,
  steps: LimitStep[],
  then: ((r: StepResult) => void)[],
): void | Promise<void> {
  if (steps.length === 0) return;
  const g = GATHERING.get(ctx);
  if (g !== undefined) {
    g.steps.push(...steps);
    g.then.push(...then);
    return;
  }
  return _run(ctx, steps, then);
}

function _run(
  ctx: Ctx,
  steps: LimitStep[],
  then: ((r: StepResult) => void)[],
): void | Promise<void> {
  const ran = ctx.services.limits.backend.run(steps, ctx.services.now());
  if (!(ran instanceof Promise)) {
    for (let i = 0; i < ran.length; i++) then[i](ran[i]);
    return;
  }
  return ran.then((rs) => {
    for (let i = 0; i < rs.length; i++) then[i](rs[i]);
  });
}

/** A 429 `rate_limited` for a refused decision, counted under `scope`. */
export function rateLimited(
  ctx: Ctx,
  scope: LimitScope,
  d: RateDecision,
  message = RATE_MESSAGES[scope],
): KeypebbleError {
  ctx.services.metrics.rateLimited.labels(scope).inc();
  return KeypebbleError.answer("rate_limited", message, { headers: rateLimitHeaders(d) });
}

/**
 * Count one request for `key` against `rule`; a refusal is a 429 `rate_limited` with
 * `Retry-After` and the `RateLimit-*` headers (`onDecision` hears every decision, for a route that
 * shows its headers or answers a refusal its own way; it may throw).
 */
export function limitRate(
  ctx: Ctx,
  o: {
    readonly scope: LimitScope;
    readonly key: string;
    readonly rule: RateLimit;
    readonly message?: string;
    readonly onDecision?: (d: RateDecision) => void;
  },
): void | Promise<void> {
  const limiter = ctx.services.limits.limiter;
  const now = ctx.services.now();
  return _step(ctx, limiter.step(o.key, o.rule), (r) => {
    const d = limiter.decision(o.rule, r as Extract<StepResult, { op: "rate" }>, now);
    o.onDecision?.(d);
    if (!d.allowed) throw rateLimited(ctx, o.scope, d, o.message);
  });
}

/** Count one request for `key` against a quota; `onDecision` hears the decision (and refuses). */
export function countQuota(
  ctx: Ctx,
  o: {
    readonly key: string;
    readonly quota: Quota;
    readonly onDecision: (d: RateDecision) => void;
  },
): void | Promise<void> {
  const limiter = ctx.services.limits.limiter;
  const now = ctx.services.now();
  return _step(ctx, limiter.periodStep(o.key, o.quota), (r) => {
    o.onDecision(limiter.periodDecision(o.quota, r as Extract<StepResult, { op: "period" }>, now));
  });
}

/** Refuse (429 `locked_out` with `Retry-After`) when any of `keys` is locked in `bucket`. */
export function refuseLocked(
  ctx: Ctx,
  bucket: LockBucket,
  keys: readonly string[],
): void | Promise<void> {
  if (bucket.policy(ctx) === undefined) return;
  const backend = ctx.services.limits.backend;
  if (backend instanceof MemoryLimits) {
    const now = ctx.services.now();
    for (const key of keys) {
      const r = backend.locked(`${bucket.name}:${key}`, now);
      if (r.lockedMs > 0) throw _lockedOut(ctx, bucket, r);
    }
    return;
  }
  const lockout = ctx.services.limits.lockout;
  const steps: LimitStep[] = [];
  const then: ((r: StepResult) => void)[] = [];
  for (const key of keys) {
    steps.push(lockout.lockedStep(`${bucket.name}:${key}`));
    then.push((r) => {
      if ((r as LockedResult).lockedMs > 0) throw _lockedOut(ctx, bucket, r as LockedResult);
    });
  }
  return _steps(ctx, steps, then);
}

/** The 429 `locked_out` of a locked key (credentials are not even checked: nothing leaks). */
function _lockedOut(ctx: Ctx, bucket: LockBucket, r: LockedResult): KeypebbleError {
  ctx.services.metrics.authFailures.labels("locked_out").inc();
  return KeypebbleError.answer("locked_out", bucket.message, {
    headers: { "retry-after": String(lockState(r).retryAfterSeconds) },
  });
}

/** Whether `key` is known here to be locked in `bucket` (a hint: see flushLimits). */
export function knownLocked(ctx: Ctx, bucket: LockBucket, key: string): boolean {
  return ctx.services.limits.backend.knownLocked(`${bucket.name}:${key}`, ctx.services.now()) > 0;
}

/**
 * Count a failure of `key` in `bucket`; the failure that locks it is counted and logged.
 * `o.remote`: the address the failure is about, when it is not the caller's (an application
 * reporting its client's failed attempt); `o.onResult` hears what the failure did.
 */
export function recordFailure(
  ctx: Ctx,
  bucket: LockBucket,
  key: string,
  o: { readonly remote?: string; readonly onResult?: (r: FailResult) => void } = {},
): void | Promise<void> {
  const policy = bucket.policy(ctx);
  if (policy === undefined) return;
  const lockout = ctx.services.limits.lockout;
  return _step(ctx, lockout.failStep(`${bucket.name}:${key}`, policy), (r) => {
    o.onResult?.(r as FailResult);
    if (!failOutcome(r as FailResult).lockedNow) return;
    ctx.services.metrics.lockouts.labels(bucket.scope(key)).inc();
    ctx.services.logger.warn("lockout", {
      scope: bucket.logScope(key),
      remote: o.remote ?? ctx.client.address,
      lock_seconds: policy.lockSeconds,
    });
  });
}

/** Forget `key`'s failures in `bucket` after a success (an active lock stays). */
export function clearFailures(ctx: Ctx, bucket: LockBucket, key: string): void | Promise<void> {
  if (bucket.policy(ctx) === undefined) return;
  return _step(ctx, ctx.services.limits.lockout.clearStep(`${bucket.name}:${key}`), _ignore);
}

function _ignore(): void {}

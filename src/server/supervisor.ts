/**
 * The main thread of `keypebble serve --workers N` (N > 1): it starts N worker threads on one
 * port (`SO_REUSEPORT`: the kernel spreads connections), forwards SIGHUP to every worker and logs
 * one `reload` line once all have answered, drains every worker on SIGTERM/SIGINT, relays
 * `/metrics` snapshots between workers, and runs the `watch: true` poller. Worker 0 runs on the
 * main thread itself, over an in-thread link, so N workers are N - 1 extra threads.
 */

import type { Logger } from "../log/mod.ts";
import type { ClientTimeouts, Platform, WorkerLink } from "../platform/platform.ts";
import type { ConfigOverrides } from "../runtime/mod.ts";
import { VERSION } from "../version.ts";
import { logNotices, warnRestartOnly } from "./instance.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import { runWorker } from "./worker.ts";
import { localLinkPair } from "./worker_link.ts";

/** Inputs of {@link runSupervisor}. */
export interface SupervisorOptions {
  readonly configPath: string;
  readonly overrides: ConfigOverrides;
  readonly workers: number;
  readonly port: number;
  readonly timeouts: ClientTimeouts;
  readonly logger: Logger;
  readonly bootLog: Logger;
}

type Listening = Extract<FromWorker, { t: "listening" }>;
type Reloaded = Extract<FromWorker, { t: "reloaded" }>;

interface Child {
  readonly index: number;
  readonly link: WorkerLink;
  /** Resolves when the worker can receive messages. */
  ready?: Promise<unknown>;
  /** Resolvers waiting for this worker's next message of a kind. */
  readonly waiters: Map<string, (m: FromWorker) => void>;
}

/** Run the workers until a shutdown signal; resolves to the process exit code. */
export async function runSupervisor(platform: Platform, o: SupervisorOptions): Promise<number> {
  const { logger } = o;
  const children: Child[] = [];
  let fatal: ((message: string) => void) | undefined;
  const died = new Promise<string>((resolve) => (fatal = resolve));
  /** /metrics relays in progress: who asked (worker, its request id), what came back. */
  const snaps = new Map<
    number,
    { from: number; askId: number; left: number; prom: string[]; open: string[] }
  >();
  let nextSnap = 1;

  const send = (c: Child, m: ToWorker) => c.link.post(m);
  const next = <K extends FromWorker["t"]>(c: Child, t: K, key = t as string) =>
    new Promise<Extract<FromWorker, { t: K }>>((resolve) => {
      c.waiters.set(key, resolve as (m: FromWorker) => void);
    });

  const onMessage = (c: Child, m: FromWorker) => {
    switch (m.t) {
      case "gather": {
        const others = children.filter((x) => x !== c);
        if (others.length === 0) {
          send(c, { t: "snaps", id: m.id, prometheus: [], openmetrics: [] });
          return;
        }
        const id = nextSnap++;
        snaps.set(id, { from: c.index, askId: m.id, left: others.length, prom: [], open: [] });
        for (const x of others) send(x, { t: "snap", id });
        // A worker that does not answer (stopping) must not hang the scrape.
        setTimeout(() => finishSnap(id), 2000);
        return;
      }
      case "snap": {
        const s = snaps.get(m.id);
        if (s === undefined) return;
        s.prom.push(m.prometheus);
        s.open.push(m.openmetrics);
        if (--s.left === 0) finishSnap(m.id);
        return;
      }
      case "reloaded": {
        const w = c.waiters.get(`reloaded:${m.id}`);
        c.waiters.delete(`reloaded:${m.id}`);
        w?.(m);
        return;
      }
      default: {
        const w = c.waiters.get(m.t);
        c.waiters.delete(m.t);
        w?.(m);
      }
    }
  };
  const finishSnap = (id: number) => {
    const s = snaps.get(id);
    if (s === undefined) return;
    snaps.delete(id);
    send(children[s.from], { t: "snaps", id: s.askId, prometheus: s.prom, openmetrics: s.open });
  };

  const spawn = (index: number): Child => {
    let link: WorkerLink;
    if (index === 0) {
      // Worker 0 runs on this thread: one isolate fewer, and the port is served sooner.
      const [mine, its] = localLinkPair();
      link = mine;
      runWorker(platform, its);
    } else link = platform.startWorker();
    const c: Child = { index, link, waiters: new Map() };
    c.ready = next(c, "ready");
    link.onMessage((m) => onMessage(c, m as FromWorker));
    link.onError((message) => fatal?.(`worker ${index}: ${message}`));
    children.push(c);
    return c;
  };
  /** Send `m`, then wait for `want` (or `failed`, or a dead worker). */
  const ask = async <K extends FromWorker["t"]>(c: Child, m: ToWorker, want: K) => {
    const answer = Promise.race([next(c, want), next(c, "failed")]);
    send(c, m);
    const r = await Promise.race([answer, died.then((message) => ({ t: "died", message }))]);
    if (r.t === want) return r as Extract<FromWorker, { t: K }>;
    const f = r as { event?: string; message: string };
    throw Object.assign(new Error(f.message), { event: f.event ?? "worker_error" });
  };
  const load = async (c: Child): Promise<void> => {
    await Promise.race([c.ready, died]);
    await ask(c, {
      t: "start",
      index: c.index,
      workers: o.workers,
      configPath: o.configPath,
      overrides: o.overrides,
      timeouts: o.timeouts,
    }, "loaded");
  };
  const listen = (c: Child, port: number): Promise<Listening> =>
    ask(c, { t: "listen", port }, "listening");
  const terminateAll = () => {
    for (const c of children) c.link.terminate();
  };

  // Signals first: a SIGTERM while workers start must drain, not kill the process.
  // Worker 0 serves (and a client may signal) before the others are up: remember, act later.
  let earlyHup = false;
  let earlyStop: string | undefined;
  let onHup = () => void (earlyHup = true);
  let onStop = (signal: string) => void (earlyStop ??= signal);
  platform.onSignal("SIGHUP", () => onHup());
  platform.onSignal("SIGTERM", () => onStop("SIGTERM"));
  platform.onSignal("SIGINT", () => onStop("SIGINT"));

  // The first worker binds the configured port (0 = any); the others join the port it got.
  let first: Listening;
  try {
    // Every worker builds its runtime before any listens, so a client that sees the port open
    // sees all workers on the same files. Then the first binds (port 0 = any), the rest join.
    const all = Array.from({ length: o.workers }, (_, i) => spawn(i));
    await Promise.all(all.map(load));
    first = await listen(all[0], o.port);
    await Promise.all(all.slice(1).map((c) => listen(c, first.port)));
  } catch (e) {
    terminateAll();
    const event = (e as { event?: string }).event ?? "worker_error";
    o.bootLog.error(event, { message: e instanceof Error ? e.message : String(e) });
    // A bad config or an address that cannot be bound is the operator's to fix: exit 2.
    return event === "config_error" || event === "listen_error" || event === "store_error" ? 2 : 1;
  }
  logger.info("start", {
    version: VERSION,
    runtime: platform.name,
    host: first.host,
    port: first.port,
    issuer: first.issuer,
    alg: first.alg,
    kid: first.kid,
    generation: first.generation,
    workers: o.workers,
  });

  let watch = { enabled: first.watch, files: first.files };
  let generation = first.generation;
  let nextReload = 1;
  let reloading = false;
  const reload = async (why: string): Promise<void> => {
    if (reloading) return;
    reloading = true;
    try {
      const id = nextReload++;
      const answers = await Promise.all(children.map((c) => {
        const p = next(c, "reloaded", `reloaded:${id}`) as Promise<Reloaded>;
        send(c, { t: "reload", id, why });
        return p;
      }));
      const failed = answers.find((a) => !a.ok);
      const a0 = answers[0];
      warnRestartOnly(logger, a0);
      logNotices(logger, a0.notices);
      watch = { enabled: a0.watch, files: a0.files };
      if (failed === undefined) {
        generation = a0.generation;
        logger.info("reload", { outcome: "success", trigger: why, generation, workers: o.workers });
      } else {
        generation = Math.min(...answers.map((a) => a.generation));
        logger.error("reload", {
          outcome: "failure",
          trigger: why,
          generation,
          message: `${failed.message}; still serving generation ${generation}`,
        });
      }
    } finally {
      reloading = false;
    }
  };

  let stopping = false;
  let resolveStop: (code: number) => void = () => {};
  const stopped = new Promise<number>((r) => (resolveStop = r));
  const stop = async (signal: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutdown", {
      signal,
      message: "Finishing requests in flight",
      workers: o.workers,
    });
    // A worker that died cannot answer: wait for the others, but not for ever.
    const bound = new Promise((r) => setTimeout(r, o.timeouts.requestSeconds * 1000 + 5000));
    const answers = await Promise.race([
      Promise.all(children.map((c) => {
        const p = next(c, "stopped");
        send(c, { t: "stop" });
        return p;
      })),
      bound.then(() => []),
    ]);
    terminateAll();
    // A worker that could not write its counted usage at shutdown: exit non-zero.
    resolveStop(code === 0 && answers.some((a) => a.usageLost) ? 1 : code);
  };
  onHup = () => void reload("SIGHUP");
  onStop = (signal) => void stop(signal);
  if (earlyStop !== undefined) void stop(earlyStop);
  else if (earlyHup) void reload("SIGHUP");
  died.then((message) => {
    logger.error("worker_error", { message });
    void stop("worker_error", 1);
  });

  // The `watch: true` poller: modification times every two seconds.
  let last = new Map<string, number | undefined>();
  const snapshot = async () => {
    const m = new Map<string, number | undefined>();
    for (const f of watch.files) m.set(f, await platform.mtime(f));
    return m;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    if (stopping) return;
    if (watch.enabled) {
      const now = await snapshot();
      const changed = [...now].some(([f, t]) => last.has(f) && last.get(f) !== t);
      last = now;
      if (changed) {
        await reload("file_change");
        last = await snapshot();
      }
    }
    timer = setTimeout(tick, 2000);
  };
  last = await snapshot();
  timer = setTimeout(tick, 2000);

  const code = await stopped;
  if (timer !== undefined) clearTimeout(timer);
  logger.info("stopped", {});
  return code;
}

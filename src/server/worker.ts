/**
 * A worker thread of `keypebble serve --workers N`: `src/main.ts` runs this instead of the CLI
 * when it starts as a worker. The worker loads its own runtime, listens on the shared port with
 * `SO_REUSEPORT`, and does what the main thread asks (reload, stop, send its metrics).
 */

import { createLogger, type LineBuffer, lineBuffer } from "../log/mod.ts";
import type { MetricsFormat } from "../metrics/mod.ts";
import type { Platform, WorkerLink } from "../platform/platform.ts";
import { loadRuntime, type Runtime } from "../runtime/mod.ts";
import { type Instance, instanceFiles, startInstance } from "./instance.ts";
import type { FromWorker, TlsSummary, ToWorker } from "./messages.ts";
import type { TlsMaterial } from "../tls/mod.ts";
import { openWorkerState, type WorkerState } from "./worker_state.ts";

/**
 * Serve as a worker until the main thread says stop. Worker 0 runs on the main thread and is
 * handed the runtime the start-up sequence loaded (`preloaded.runtime`), so it does not load
 * the same files twice.
 */
export function runWorker(
  platform: Platform,
  link: WorkerLink,
  preloaded: { readonly runtime?: Runtime } = {},
): void {
  // This thread's log lines, batched per turn of the event loop (src/log/line_buffer.ts); flushed
  // before every message to the supervisor, so nothing logged before "stopped" is lost.
  const out = lineBuffer((text) => platform.stdout(text));
  const send = (m: FromWorker) => {
    out.flush();
    link.post(m);
  };
  let instance: Instance | undefined;
  let configPath = "";
  let nextGather = 1;
  const gathers = new Map<number, () => void>();
  let siblings: Record<MetricsFormat, string[]> = { prometheus: [], openmetrics: [] };
  let rt: Runtime | undefined;
  let start: Extract<ToWorker, { t: "start" }> | undefined;
  let state: WorkerState | undefined;

  link.onMessage(async (raw) => {
    const m = raw as ToWorker;
    switch (m.t) {
      case "start": {
        configPath = m.configPath;
        try {
          rt = preloaded.runtime ?? await loadRuntime(platform, m.configPath, {
            overrides: m.overrides,
            generation: 1,
          });
        } catch (e) {
          send({ t: "failed", event: "config_error", message: _msg(e) });
          return;
        }
        if (rt.config.store !== undefined || rt.config.sharedLimits !== undefined) {
          // Its own store connection, key cache and Redis client (src/server/worker_state.ts).
          try {
            state = await openWorkerState(platform, rt.config, _logger(out, rt), {
              index: m.index,
              workers: m.workers,
            });
          } catch (e) {
            send({ t: "failed", event: "store_error", message: _msg(e) });
            return;
          }
        }
        start = m;
        send({ t: "loaded" });
        return;
      }
      case "listen": {
        if (rt === undefined || start === undefined) return;
        const logger = _logger(out, rt);
        try {
          instance = await startInstance({
            ...(state?.apiKeys === undefined ? {} : { apiKeys: state.apiKeys }),
            ...(state?.accounts === undefined ? {} : { accounts: state.accounts }),
            ...(state === undefined ? {} : { limits: state.limits }),
            platform,
            configPath: start.configPath,
            overrides: start.overrides,
            runtime: rt,
            logger,
            workers: start.workers,
            port: m.port,
            reusePort: start.workers > 1,
            processMetrics: start.index === 0,
            timeouts: start.timeouts,
            siblings: {
              gather: () =>
                new Promise<void>((resolve) => {
                  const id = nextGather++;
                  gathers.set(id, resolve);
                  send({ t: "gather", id });
                }),
              expositions: (format) => siblings[format],
            },
          });
        } catch (e) {
          // Name the address: the runtimes' own texts may name neither (or blame "port 0").
          const where = `${rt.config.host}:${m.port}`;
          send({
            t: "failed",
            event: "listen_error",
            message: `Cannot listen on ${where}: ${_msg(e)} ` +
              "(set service.host and service.port, or --host/--port)",
          });
          return;
        }
        send({
          t: "listening",
          port: instance.port,
          watch: rt.config.watch,
          files: instanceFiles(configPath, rt),
          generation: rt.generation,
          alg: rt.keyring.signer.alg,
          kid: rt.keyring.signer.kid,
          issuer: rt.config.issuer,
          host: rt.config.host,
          protocols: [...instance.protocols],
          ...(rt.tls === undefined ? {} : { tls: tlsSummary(rt.tls) }),
        });
        return;
      }
      case "reload": {
        if (instance === undefined) return;
        const r = await instance.reload(m.why);
        const rt = instance.current();
        send({
          t: "reloaded",
          id: m.id,
          ok: r.ok,
          generation: r.generation,
          ...(r.message === undefined ? {} : { message: r.message }),
          notices: r.notices,
          listenChanged: r.listenChanged,
          storeChanged: r.storeChanged,
          ...(r.tlsModeChanged ? { tlsModeChanged: true } : {}),
          ...(r.tlsSwapped === undefined ? {} : { tlsSwapped: r.tlsSwapped }),
          watch: rt.config.watch,
          files: instanceFiles(configPath, rt),
        });
        return;
      }
      case "stop": {
        if (instance !== undefined) {
          await instance.shutdown().catch(() => {});
          await instance.finished;
        }
        // Usage counted since the last flush is written before the worker says it stopped; a
        // loss is logged there and makes the process exit non-zero.
        const closed = await (state?.close() ?? Promise.resolve()).then(() => true, () => false);
        send(closed ? { t: "stopped" } : { t: "stopped", usageLost: true });
        return;
      }
      case "snap": {
        await instance?.refreshProcessMetrics().catch(() => {});
        send({
          t: "snap",
          id: m.id,
          prometheus: instance?.ownExposition("prometheus") ?? "",
          openmetrics: instance?.ownExposition("openmetrics") ?? "",
        });
        return;
      }
      case "snaps": {
        siblings = { prometheus: m.prometheus, openmetrics: m.openmetrics };
        gathers.get(m.id)?.();
        gathers.delete(m.id);
        return;
      }
    }
  });
  // Only now can the main thread's messages be received: tell it so.
  send({ t: "ready" });
}

/** The served certificate in the start log's words. */
export function tlsSummary(tls: TlsMaterial): TlsSummary {
  return {
    subject: tls.leaf.subject,
    not_after: new Date(tls.leaf.notAfter).toISOString(),
    san_dns: [...tls.leaf.sanDns],
    chain: tls.chainLength,
    client_certificates: tls.clientCa === undefined ? "off" : tls.clientCertificates,
    ...(tls.clientCa === undefined ? {} : { client_cas: tls.clientCas.map((c) => c.subject) }),
  };
}

function _logger(out: LineBuffer, rt: Runtime) {
  return createLogger({
    level: rt.config.logLevel,
    write: (l) => out.write(l + "\n"),
    now: () => new Date(),
  });
}

function _msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

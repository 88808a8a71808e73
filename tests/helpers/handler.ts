/**
 * An in-process Keypebble for integration tests: a real handler over a real runtime, built from a
 * config text and an in-memory file system, with log lines captured in an array. No socket, no
 * permissions, no files on disk.
 *
 * Relative paths in the config resolve against {@link TEST_CONFIG_DIR}, exactly as the server
 * resolves them against the config file's directory; `files` keys may be relative too.
 *
 * @example
 * ```ts
 * const kp = await makeTestHandler({
 *   configYaml: 'issuer: "https://kp.test"\nhs256_secret_path: secret\n',
 *   files: { secret: "x".repeat(32) },
 * });
 * const res = await kp.fetch("/auth", { method: "POST", body: "{}" });
 * ```
 */

import type { AccountService } from "../../src/accounts/service.ts";
import type { Limits } from "../../src/limits/mod.ts";
import type { ApiKeyService } from "../../src/apikeys/service.ts";
import { parseConfig } from "../../src/config/mod.ts";
import { createHandler, createServices, type Handler, type Services } from "../../src/app/mod.ts";
import { hashPassword } from "../../src/identity/mod.ts";
import { createLogger } from "../../src/log/mod.ts";
import {
  type BuildNotice,
  buildRuntime,
  FileMissingError,
  type Runtime,
  type RuntimeIo,
} from "../../src/runtime/mod.ts";

/** The directory the in-memory config file lives in. */
export const TEST_CONFIG_DIR = "/kp";
/** The path of the in-memory config file (its name appears in config error messages). */
export const TEST_CONFIG_PATH = `${TEST_CONFIG_DIR}/config.yaml`;

/** Options of {@link makeTestHandler}. */
export interface TestHandlerOptions {
  /** The config file's text. */
  readonly configYaml: string;
  /** Path → content of the files the config names (keys, secrets, policy). */
  readonly files?: Readonly<Record<string, string>>;
  /** The clock in milliseconds since the epoch; default `Date.now`. */
  readonly now?: () => number;
  /** The API key service (issue 12), when the test needs a store. */
  readonly apiKeys?: ApiKeyService;
  /** The account service (issue 13). */
  readonly accounts?: AccountService;
  /** How trusted issuers' JWKS are fetched (issue 13). */
  readonly fetchJwks?: typeof fetch;
  /** Limits shared with other instances (fleet mode's Redis, or a stand-in); default memory. */
  readonly limits?: Limits;
}

/** An in-process server. */
export interface TestHandler {
  /** The handler, exactly as the server binds it. */
  readonly handler: Handler;
  readonly services: Services;
  readonly runtime: Runtime;
  /** Every log line written so far (one JSON object per line, no trailing newline). */
  readonly logLines: string[];
  /** Notices from the runtime build (generated keys, unknown config keys). */
  readonly notices: readonly BuildNotice[];
  /** The in-memory file system (absolute path → content); generated keys land here. */
  readonly files: Map<string, string>;
  /**
   * Send a request to the handler. `path` may carry a query string; `remoteAddr` is the peer
   * address the socket would report.
   */
  fetch(path: string, init?: RequestInit, remoteAddr?: string): Promise<Response>;
}

/** An in-memory {@link RuntimeIo} over `files` (absolute paths). */
export function memoryIo(files: Map<string, string>): RuntimeIo {
  return {
    readTextFile(path: string): Promise<string> {
      const text = files.get(path);
      return text === undefined
        ? Promise.reject(new FileMissingError(path))
        : Promise.resolve(text);
    },
    writePrivateFile(path: string, text: string): Promise<void> {
      if (files.has(path)) return Promise.reject(new Error(`File "${path}" already exists`));
      files.set(path, text);
      return Promise.resolve();
    },
  };
}

/**
 * Build a runtime from `configYaml` and `files`, and the services the real server assembles
 * around it (`createServices`, as `src/cli/serve.ts` does), with logs captured in `logLines`.
 */
export async function makeTestHandler(options: TestHandlerOptions): Promise<TestHandler> {
  const files = new Map<string, string>();
  for (const [p, text] of Object.entries(options.files ?? {})) {
    files.set(p.startsWith("/") ? p : `${TEST_CONFIG_DIR}/${p}`, text);
  }
  files.set(TEST_CONFIG_PATH, options.configYaml);
  const config = parseConfig(options.configYaml, TEST_CONFIG_PATH, { baseDir: TEST_CONFIG_DIR });
  const notices: BuildNotice[] = [];
  const runtime = await buildRuntime(config, memoryIo(files), { generation: 1, notices });
  const now = options.now ?? (() => Date.now());
  const logLines: string[] = [];
  const logger = createLogger({
    level: config.logLevel,
    write: (l) => logLines.push(l),
    now: () => new Date(now()),
  });
  // The same assembly as `keypebble serve` (src/app/services.ts)
  const services = createServices({
    runtime: () => runtime,
    config,
    logger,
    runtimeName: "test",
    now,
    ...(options.apiKeys === undefined ? {} : { apiKeys: options.apiKeys }),
    ...(options.accounts === undefined ? {} : { accounts: options.accounts }),
    ...(options.fetchJwks === undefined ? {} : { fetchJwks: options.fetchJwks }),
    ...(options.limits === undefined ? {} : { limits: options.limits }),
  });
  const handler = createHandler(services);
  return {
    handler,
    services,
    runtime,
    logLines,
    notices,
    files,
    fetch(path: string, init?: RequestInit, remoteAddr = "127.0.0.1"): Promise<Response> {
      return handler(new Request(`http://keypebble.test${path}`, init), { remoteAddr });
    },
  };
}

/** An `Authorization: Basic …` value for `user:password` (UTF-8). */
export function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/** A password hash that is cheap to verify (1000 iterations, the minimum): tests only. */
export function cheapHash(password: string): Promise<string> {
  return hashPassword(password, { iterations: 1000 });
}

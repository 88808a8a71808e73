/** The messages between the supervising main thread and its worker threads (structured clone). */

import type { BuildNotice, ConfigOverrides } from "../runtime/mod.ts";
import type { ClientTimeouts } from "../platform/platform.ts";

/** Main → worker. */
export type ToWorker =
  | {
    readonly t: "start";
    readonly index: number;
    readonly workers: number;
    readonly configPath: string;
    readonly overrides: ConfigOverrides;
    readonly timeouts: ClientTimeouts;
  }
  /** Bind the port (after every worker has loaded: nothing serves before all are ready). */
  | { readonly t: "listen"; readonly port: number }
  | { readonly t: "reload"; readonly id: number; readonly why: string }
  | { readonly t: "stop" }
  /** Send your own exposition for a sibling's /metrics. */
  | { readonly t: "snap"; readonly id: number }
  /** The other workers' expositions, answering a `gather`. */
  | {
    readonly t: "snaps";
    readonly id: number;
    readonly prometheus: string[];
    readonly openmetrics: string[];
  };

/** Worker → main. */
export type FromWorker =
  /** The worker listens for messages (anything sent before this could be lost). */
  | { readonly t: "ready" }
  /** The runtime is built; waiting for `listen`. */
  | { readonly t: "loaded" }
  | {
    readonly t: "listening";
    readonly port: number;
    readonly watch: boolean;
    readonly files: string[];
    readonly generation: number;
    readonly alg: string;
    readonly kid: string | undefined;
    readonly issuer: string;
    readonly host: string;
  }
  | { readonly t: "failed"; readonly event: string; readonly message: string }
  | {
    readonly t: "reloaded";
    readonly id: number;
    readonly ok: boolean;
    readonly generation: number;
    readonly message?: string;
    readonly notices: BuildNotice[];
    readonly listenChanged: boolean;
    /** The new config changes `store` or `shared_limits` (only a restart changes those). */
    readonly storeChanged?: boolean;
    readonly watch: boolean;
    readonly files: string[];
  }
  /** `usageLost`: counted usage could not be written at shutdown (logged by the worker). */
  | { readonly t: "stopped"; readonly usageLost?: boolean }
  | { readonly t: "gather"; readonly id: number }
  | {
    readonly t: "snap";
    readonly id: number;
    readonly prometheus: string;
    readonly openmetrics: string;
  };

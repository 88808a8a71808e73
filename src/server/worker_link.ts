/** The {@link WorkerLink} over a Web `Worker`, the same on Deno and Bun. */

import type { WorkerLink } from "../platform/platform.ts";

/** Wrap a `Worker` (main side) or a worker's own global scope (worker side). */
export function linkOf(w: Worker): WorkerLink {
  return {
    post: (m) => w.postMessage(m),
    onMessage: (fn) => {
      w.onmessage = (e: MessageEvent) => fn(e.data);
    },
    onError: (fn) => {
      w.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        fn(e.message);
      };
    },
    terminate: () => w.terminate(),
  };
}

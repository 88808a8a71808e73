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

/**
 * Two connected links inside one thread: what one side posts, the other receives on a later
 * microtask (messages are plain data, as between threads). The main thread runs worker 0 over
 * such a pair, so N workers cost N - 1 extra isolates and the first one starts at once.
 */
export function localLinkPair(): [WorkerLink, WorkerLink] {
  const handlers: [(m: unknown) => void, (m: unknown) => void] = [() => {}, () => {}];
  const side = (me: 0 | 1): WorkerLink => ({
    post: (m) => queueMicrotask(() => handlers[me === 0 ? 1 : 0](structuredClone(m))),
    onMessage: (fn) => {
      handlers[me] = fn;
    },
    onError: () => {},
    terminate: () => {},
  });
  return [side(0), side(1)];
}

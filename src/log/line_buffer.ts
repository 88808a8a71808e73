/**
 * Log lines written in batches: the lines of one turn of the event loop leave in one write (the
 * next timer tick, or at once past `maxChars`), not one system call each. Under load a server
 * answers many requests per turn, each with its audit line; measured on POST /auth, a write per
 * line was about a fifth of the CPU a token costs. Whoever owns the buffer flushes it before
 * anything that may end the thread (the server's worker flushes before every message it posts to
 * the supervisor, "stopped" included), so no line is lost on an orderly exit; a crash loses at
 * most the lines of the current turn.
 *
 * @module
 */

/** A batching line writer. */
export interface LineBuffer {
  /** Queue one line (with its newline). */
  write(line: string): void;
  /** Write what is queued now. */
  flush(): void;
}

/** Lines to `write`, batched per turn of the event loop (at most `maxChars` held). */
export function lineBuffer(
  write: (text: string) => void,
  options: { readonly maxChars?: number } = {},
): LineBuffer {
  const max = options.maxChars ?? 65_536;
  let held = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    if (held === "") return;
    const text = held;
    held = "";
    write(text);
  };
  return {
    write(line: string) {
      held += line;
      if (held.length >= max) flush();
      else if (timer === undefined) timer = setTimeout(flush, 0);
    },
    flush,
  };
}

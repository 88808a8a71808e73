/**
 * A cap on the expanded size of a parsed YAML document. The YAML library caps how many aliases a
 * document may use, but a few aliases nested inside each other still expand exponentially ("a
 * billion laughs"): a 1 MB file can become hundreds of MB once a value is serialised into a
 * token. This walks the parsed value counting every node as many times as aliases repeat it,
 * and stops as soon as the count passes the cap, so the walk itself stays cheap.
 */

/** Most nodes (scalars, list items, map entries) a config or policy may expand to. */
export const MAX_EXPANDED_NODES = 200_000;

/**
 * True when `doc`, with every alias expanded, has more than `max` nodes (strings count their
 * length / 64 extra, so long repeated strings count too).
 */
export function exceedsExpandedSize(doc: unknown, max: number = MAX_EXPANDED_NODES): boolean {
  let count = 0;
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    count++;
    if (typeof v === "string") count += v.length >> 6;
    else if (v instanceof Map) {
      for (const [k, x] of v) stack.push(k, x);
    } else if (Array.isArray(v)) {
      for (const x of v) stack.push(x);
    } else if (v !== null && typeof v === "object") {
      for (const x of Object.values(v)) stack.push(x);
    }
    if (count > max) return true;
  }
  return false;
}

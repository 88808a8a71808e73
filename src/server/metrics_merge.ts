/**
 * Merging the `/metrics` expositions of several workers into one, so a scrape that lands on any
 * worker sees the whole process. Works on the text our registry renders (Prometheus 0.0.4 or
 * OpenMetrics 1.0, no timestamps): families keep the first exposition's order, counters and
 * histograms are summed series by series, gauges and info series take the largest value, and a
 * series only some workers have is added to its family next to its label set.
 */

import { formatNumber } from "../metrics/mod.ts";

interface Family {
  readonly name: string;
  type: string;
  readonly header: string[];
  /** Sample keys (`name{labels}`) in order, and their values. */
  readonly keys: string[];
  readonly values: Map<string, number>;
}

/**
 * Merge expositions (the first one's family order wins). `sameEverywhere` names families whose
 * value is a per-process fact every worker repeats (e.g. reload counts): those take the maximum.
 */
export function mergeExpositions(
  texts: readonly string[],
  sameEverywhere: ReadonlySet<string> = new Set(),
): string {
  const merged: Family[] = [];
  const byName = new Map<string, Family>();
  let eof = false;
  for (const text of texts) {
    const { families, hasEof } = _parse(text);
    eof ||= hasEof;
    for (const f of families) {
      const into = byName.get(f.name);
      if (into === undefined) {
        byName.set(f.name, f);
        merged.push(f);
        continue;
      }
      const max = into.type === "gauge" || into.type === "info" ||
        sameEverywhere.has(_baseName(into.name));
      for (const k of f.keys) {
        const v = f.values.get(k)!;
        const have = into.values.get(k);
        if (have === undefined) {
          _insert(into, k);
          into.values.set(k, v);
        } else if (max) into.values.set(k, Math.max(have, v));
        else if (k.includes("_created")) into.values.set(k, Math.min(have, v));
        else into.values.set(k, have + v);
      }
    }
  }
  const out: string[] = [];
  for (const f of merged) {
    for (const h of f.header) out.push(h, "\n");
    for (const k of f.keys) out.push(k, " ", formatNumber(f.values.get(k)!), "\n");
  }
  if (eof) out.push("# EOF\n");
  return out.join("");
}

/** The family name without the sample suffixes the Prometheus format puts on `# TYPE`. */
function _baseName(name: string): string {
  return name.replace(/_(total|info)$/, "");
}

function _parse(text: string): { families: Family[]; hasEof: boolean } {
  const families: Family[] = [];
  let cur: Family | undefined;
  let hasEof = false;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line === "# EOF") {
      hasEof = true;
      continue;
    }
    if (line.startsWith("# ")) {
      const [, kind, name, ...rest] = line.split(" ");
      if (cur === undefined || cur.name !== name) {
        cur = { name, type: "unknown", header: [], keys: [], values: new Map() };
        families.push(cur);
      }
      if (kind === "TYPE") cur.type = rest[0] ?? "unknown";
      cur.header.push(line);
      continue;
    }
    if (cur === undefined) continue; // a sample before any family header: not ours
    const sp = line.lastIndexOf(" ");
    const key = line.slice(0, sp);
    const raw = line.slice(sp + 1);
    const v = raw === "+Inf" ? Infinity : raw === "-Inf" ? -Infinity : Number(raw);
    if (!cur.values.has(key)) cur.keys.push(key);
    cur.values.set(key, v);
  }
  return { families, hasEof };
}

/** Put a new series after the last sample of the same label set (ignoring `le`), or at the end. */
function _insert(f: Family, key: string): void {
  const group = _group(key);
  for (let i = f.keys.length - 1; i >= 0; i--) {
    if (_group(f.keys[i]) === group) {
      f.keys.splice(i + 1, 0, key);
      return;
    }
  }
  f.keys.push(key);
}

function _group(key: string): string {
  const brace = key.indexOf("{");
  const labels = brace === -1 ? "" : key.slice(brace);
  return labels.replace(/,?le="[^"]*"/, "").replace("{,", "{");
}

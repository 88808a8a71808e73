/**
 * What an import did, kind by kind, and what it refused and why: printed as a table, or as JSON
 * under `--json` (the contract of issue 22).
 */

import { sha256Hex } from "../apikeys/imported_keys.ts";
import type { ImportSource } from "../store/mod.ts";

/** Counts for one kind of record. */
export interface KindCounts {
  /** New rows. */
  created: number;
  /** Rows already imported whose source changed since. */
  updated: number;
  /** Rows already imported and unchanged. */
  unchanged: number;
  /** Source rows not imported (each listed under `refused`). */
  refused: number;
  /** Rows imported before and gone from the source since, revoked or removed here. */
  removed?: number;
  /** Source rows left out on purpose (e.g. expired refresh tokens). */
  skipped?: number;
}

/** One source row that was not imported. */
export interface Refusal {
  readonly kind: string;
  /** The source's id of the row. */
  readonly id: string;
  /** A name to recognise it by (never a secret). */
  readonly name?: string;
  readonly reason: string;
}

/** The summary of one import. */
export interface ImportSummary {
  readonly source: ImportSource;
  /** The source database, without its password. */
  readonly from: string;
  /** The store imported into, without its password. */
  readonly store: string;
  readonly dry_run: boolean;
  readonly counts: Record<string, KindCounts>;
  readonly refused: Refusal[];
  /** Things to know or do next (config to add, differences met). */
  readonly notes: string[];
}

/** Fresh counts. */
export function counts(): KindCounts {
  return { created: 0, updated: 0, unchanged: 0, refused: 0 };
}

/** A digest of the fields imported, to tell an unchanged row from a changed one on a re-run. */
export function digestOf(value: unknown): string {
  return sha256Hex(JSON.stringify(value));
}

/** The summary as lines for people. */
export function summaryText(s: ImportSummary): string {
  const lines = [
    `${
      s.dry_run ? "dry run: nothing written; " : ""
    }import from ${s.source} ${s.from} into ${s.store}`,
  ];
  const kinds = Object.entries(s.counts);
  const w = Math.max(...kinds.map(([k]) => k.length));
  for (const [k, c] of kinds) {
    const parts = [
      `${c.created} created`,
      `${c.updated} updated`,
      `${c.unchanged} unchanged`,
      `${c.refused} refused`,
      ...(c.removed === undefined ? [] : [`${c.removed} removed`]),
      ...(c.skipped === undefined ? [] : [`${c.skipped} skipped`]),
    ];
    lines.push(`  ${k.padEnd(w)}  ${parts.join(", ")}`);
  }
  if (s.refused.length > 0) {
    lines.push("refused:");
    for (const r of s.refused) {
      lines.push(`  ${r.kind} ${r.id}${r.name === undefined ? "" : ` (${r.name})`}: ${r.reason}`);
    }
  }
  if (s.notes.length > 0) {
    lines.push("notes:");
    for (const n of s.notes) lines.push(`  - ${n}`);
  }
  return lines.join("\n");
}

/** Thrown inside the import's transaction to roll a dry run back. */
export class DryRunRollback extends Error {
  constructor() {
    super("dry run");
  }
}

/** Printable ASCII, no control characters (what an HTTP header can carry as it is). */
export function isPrintableAscii(v: string): boolean {
  return /^[\x20-\x7e]*$/.test(v);
}

/** No control characters (C0, DEL, C1). */
export function hasNoControl(v: string): boolean {
  return !/\p{Cc}/u.test(v);
}

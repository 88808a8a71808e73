/**
 * `keypebble audit --config FILE [filters] [--json]`: the audit trail from the store directly
 * (no server needed), newest first, with the filters of `GET /admin/audit`. The store is opened
 * read-only. Whoever can run this can read the store: every event, every organisation.
 */

import { AUDIT_FILTERS, auditJson, nextCursor, parseAuditQuery } from "../audit/mod.ts";
import { openConfiguredStore } from "../apikeys/open.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import type { AuditRecord } from "../store/mod.ts";
import { type FlagSpec, type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";
import { table } from "./apikey_commands.ts";
import { cliFaults } from "./store_transfer.ts";

const FLAGS: FlagSpec = {
  config: "string",
  json: "boolean",
  ...Object.fromEntries(AUDIT_FILTERS.map((f) => [f, "string"])),
};

/** The `audit` command's entry in the CLI table. */
export const AUDIT_COMMAND: {
  summary: string;
  usage: string;
  flags: FlagSpec;
  run(platform: Platform, args: ParsedArgs): Promise<number>;
} = {
  summary: "Read the audit trail from the store (tokens issued, changes made)",
  usage: `keypebble audit --config FILE [--since T] [--until T] [--actor A] [--action A]
                [--target T] [--jti J] [--outcome O] [--org O] [--limit N] [--cursor C]
                [--json]

Newest first. --since/--until: an RFC 3339 time (2026-06-10T12:00:00Z), a date, seconds
since the epoch, or a span back from now (15m, 24h, 7d). --action: exact, or a prefix
ending in * ("key.*"). --limit: 1 to 1000 (default 100); when more match, the last line
(or "next_cursor" with --json) gives the --cursor of the next page. --json prints
{"events": [...], "next_cursor"} as GET /admin/audit does. The store is only read.`,
  flags: FLAGS,
  run: auditCommand,
};

/** Run `keypebble audit`. */
export async function auditCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  if (args.positionals.length > 0) {
    throw new UsageError(
      `Unexpected argument "${args.positionals[0].slice(0, 40)}" (filters are options: --actor A)`,
    );
  }
  const config = await loadConfig(platform, requireFlag(args, "config"));
  let selection;
  try {
    selection = parseAuditQuery((n) => stringFlag(args, n), { nowMs: Date.now() });
  } catch (e) {
    if (e instanceof KeypebbleError) throw new UsageError(e.message.replace(/^"(\w+)"/, "--$1"));
    throw e;
  }
  const store = await openConfiguredStore(platform, config, {
    schema: "check",
    readOnly: true,
    onFault: cliFaults(platform),
  });
  let events: AuditRecord[];
  try {
    events = await store.audit.list(selection);
  } finally {
    await store.close();
  }
  const next = nextCursor(events, selection.limit);
  if (args.flags.json === true) {
    platform.stdout(
      JSON.stringify({ events: events.map((e) => auditJson(e)), next_cursor: next }) + "\n",
    );
    return 0;
  }
  platform.stdout(
    (events.length === 0 ? "no events match" : table(
      ["TIME", "ACTION", "OUTCOME", "ACTOR", "TARGET", "ORG", "KIND", "CLIENT"],
      events.map((e) => [
        new Date(e.at).toISOString(),
        e.action,
        e.outcome,
        `${e.actorKind}:${e.actor}`,
        e.target,
        e.org ?? "-",
        e.kind ?? "-",
        e.client ?? "-",
      ]),
    )) + (next === null ? "" : `\nmore: --cursor ${next}`) + "\n",
  );
  return 0;
}

/**
 * The audit trail of one CLI command: whoever runs a command that issues a token or changes the
 * store is the actor (`cli`, the login name from `USER` or `LOGNAME`, as the shell reports it; it
 * is what the operating system says, not a proof: anyone who can run the command can set it).
 * Events go to standard error as JSON lines (`"event":"audit"`: the command's log stream; its
 * standard output stays its answer) and, when the config has a store, into the store, written
 * before the command reports success. If they cannot be stored the command exits 2 saying so.
 */

import { type AuditActor, type AuditInput, AuditTrail, AuditWriter } from "../audit/mod.ts";
import { openConfiguredStore } from "../apikeys/open.ts";
import type { Config } from "../config/mod.ts";
import { DEFAULT_AUDIT_RETENTION_DAYS } from "../config/mod.ts";
import { createLogger } from "../log/mod.ts";
import type { Platform } from "../platform/platform.ts";
import type { IssueRecorder } from "../profiles/mint.ts";
import type { Store } from "../store/mod.ts";
import { tokenEvent } from "../audit/mod.ts";

/** The local user running the command. */
export function localActor(platform: Platform): AuditActor {
  const name = platform.env("USER") ?? platform.env("LOGNAME") ?? platform.env("USERNAME");
  return { kind: "cli", id: name === undefined || name === "" ? "unknown" : name.slice(0, 128) };
}

/** A CLI command's audit trail. */
export interface CliAudit {
  /** Record a change made by the command (the actor is the local user). */
  record(input: Omit<AuditInput, "actor">): void;
  /** The recorder to pass to `mint()`. */
  readonly recordIssue: IssueRecorder;
  /**
   * Write what was recorded to the store (when there is one) and release what was opened for
   * it. Throws when the events could not be stored.
   */
  close(): Promise<void>;
}

/**
 * The trail of a command. Where its events are stored:
 * - `writer`: the key service's writer (its owner closes it; this flushes it);
 * - `store`: a store the command opened (a writer over it, flushed here; the command closes it);
 * - `config` alone: its store when it has one, opened here for the events and closed here
 *   (`issue`, `command`); none: standard error only.
 */
export async function openCliAudit(
  platform: Platform,
  where: { config?: Config; store?: Store; writer?: AuditWriter },
): Promise<CliAudit> {
  let writer = where.writer;
  let ownStore: Store | undefined;
  const retentionDays = where.config?.store?.auditRetentionDays ?? DEFAULT_AUDIT_RETENTION_DAYS;
  if (writer === undefined && where.store !== undefined) {
    writer = new AuditWriter({ store: where.store, retentionDays });
  } else if (writer === undefined && where.config?.store !== undefined) {
    ownStore = await openConfiguredStore(platform, where.config);
    writer = new AuditWriter({ store: ownStore, retentionDays });
  }
  const trail = new AuditTrail({
    logger: createLogger({
      level: "info",
      write: (l) => platform.stderr(l + "\n"),
      now: () => new Date(),
    }),
    ...(writer === undefined ? {} : { sink: writer }),
    storeTokens: where.config?.store?.auditTokens ?? true,
  });
  const actor = localActor(platform);
  const owned = where.writer === undefined;
  return {
    record: (input) => trail.record({ ...input, actor }),
    recordIssue: (kind, minted) => trail.record(tokenEvent(kind, minted, actor)),
    async close() {
      try {
        if (writer !== undefined) {
          if (owned) await writer.close({ attempts: 3 });
          else await writer.flush();
        }
      } finally {
        await ownStore?.close();
      }
    },
  };
}

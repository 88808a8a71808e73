/**
 * `keypebble import keyguard|pico-auth`: bring another program's data into the configured store
 * (issue 22). Exit 0 with the summary (JSON under `--json`), 2 with a message when the source
 * cannot be read, the config is wrong or the usage is.
 */

import { type ImportPeer, type ImportSummary, runImport, summaryText } from "../import/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import { type ParsedArgs, requireFlag, stringFlag, UsageError } from "./args.ts";
import { openCliAudit } from "./cli_audit.ts";

/** Flags of the `import` command. */
export const IMPORT_FLAGS = {
  config: "string",
  from: "string",
  "secret-key-file": "string",
  "dry-run": "boolean",
  json: "boolean",
  "credentials-dir": "string",
} as const;

/** Usage of the `import` command. */
export const IMPORT_USAGE =
  `keypebble import keyguard --config FILE --from URL --secret-key-file FILE [--dry-run] [--json]
keypebble import pico-auth --config FILE --from URL [--dry-run] [--json]

Brings a keyguard or pico-auth database into the store of --config, in one transaction.
--from: the source database: a SQLite file (PATH, sqlite:PATH, or SQLAlchemy's sqlite:///PATH and
  sqlite+aiosqlite:///PATH as in the program's database_url) or postgres://… (postgresql+asyncpg://
  accepted). It is only read.
--secret-key-file: keyguard's secret_key (its SECRET_KEY), one line. Keys keep keyguard's hash and
  are found with it until each is first presented, then move to Keypebble's: set
  store.keyguard_secret_key_path to the same file.
--dry-run: report what would be imported and write nothing (the store's schema is still brought
  up to date). --json: print the summary as JSON.
Run it again at any time: rows already imported are updated, never duplicated.
keyguard: organisations, keys (ids, hashes, prefixes, scopes, limits, active/revoked), usage.
pico-auth: accounts (bcrypt hashes, moved to PBKDF2 at the next login), roles, organisations,
  groups and members, service tokens, refresh tokens that have not expired.`;

/** Run `keypebble import …`. */
export async function importCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const peer = args.positionals[0];
  if (peer !== "keyguard" && peer !== "pico-auth") {
    throw new UsageError('Expected "keyguard" or "pico-auth"');
  }
  if (args.positionals.length > 1) throw new UsageError("Too many arguments");
  const from = requireFlag(args, "from");
  const secretKeyFile = stringFlag(args, "secret-key-file");
  if (peer === "keyguard" && (secretKeyFile === undefined || secretKeyFile === "")) {
    throw new UsageError('Option "--secret-key-file" is required for keyguard');
  }
  if (peer === "pico-auth" && secretKeyFile !== undefined) {
    throw new UsageError('Option "--secret-key-file" is for keyguard only');
  }
  const credentialsDir = stringFlag(args, "credentials-dir");
  const config = await loadConfig(
    platform,
    requireFlag(args, "config"),
    {},
    credentialsDir === undefined ? {} : { credentialsDir },
  );
  const summary = await runImport(platform, {
    peer: peer as ImportPeer,
    config,
    from,
    ...(secretKeyFile === undefined ? {} : { secretKeyFile }),
    dryRun: args.flags["dry-run"] === true,
  });
  if (args.flags["dry-run"] !== true) {
    const audit = await openCliAudit(platform, { config });
    audit.record({
      action: "import.applied",
      target: peer,
      details: { from: summary.from, ..._totals(summary) },
    });
    await audit.close();
  }
  platform.stdout(
    args.flags.json === true ? JSON.stringify(summary) + "\n" : summaryText(summary) + "\n",
  );
  return 0;
}

/** Rows created, updated and refused, over every kind (the event's details). */
function _totals(s: ImportSummary): Record<string, number> {
  const t = { created: 0, updated: 0, refused: 0 };
  for (const c of Object.values(s.counts)) {
    t.created += c.created;
    t.updated += c.updated;
    t.refused += c.refused;
  }
  return t;
}

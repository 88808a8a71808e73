/**
 * `keypebble store init|migrate|status|backup|restore|export|import`: create, upgrade, inspect,
 * back up, restore and move the state store named by the config's `store.url`.
 */

import { loadOrCreatePepper, openConfiguredStore, requireStoreConfig } from "../apikeys/open.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import { type ParsedArgs, requireFlag, UsageError } from "./args.ts";
import { cliFaults, storeBackup, storeExport, storeLoad } from "./store_transfer.ts";

/** Flags of the `store` command. */
export const STORE_FLAGS = {
  config: "string",
  json: "boolean",
  out: "string",
  from: "string",
} as const;

/** Usage of the `store` command. */
export const STORE_USAGE = `keypebble store init|migrate|status --config FILE [--json]
       keypebble store backup|export --config FILE --out FILE [--json]
       keypebble store restore|import --config FILE --from FILE [--json]

init     create the store (SQLite file 0600, or the Postgres schema) and the pepper file, and
         record the pepper's fingerprint (a missing or different pepper then stops serve)
migrate  apply pending schema migrations
status   show the schema version and pending migrations (exit 1 when some are pending)
backup   a consistent copy while serving: SQLite, a database file (online backup);
         PostgreSQL, the export below (use pg_dump/pg_basebackup for point-in-time recovery)
restore  replace what the store holds with a backup or an export (one transaction; a SQLite
         store is copied beside itself first)
export   every table as JSON lines, engine-neutral (SQLite → PostgreSQL and back)
import   load an export (or a SQLite backup) into an empty store
Files are created 0600 and never overwritten. None holds the pepper: back it up with them.
Exit 0 on success, 2 with a message otherwise.`;

const SUBCOMMANDS = ["init", "migrate", "status", "backup", "restore", "export", "import"];

/** Run `keypebble store …`. */
export async function storeCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const sub = args.positionals[0];
  if (sub === undefined || !SUBCOMMANDS.includes(sub)) {
    throw new UsageError(`Expected one of ${SUBCOMMANDS.map((s) => `"${s}"`).join(", ")}`);
  }
  if (args.positionals.length > 1) {
    throw new UsageError(`Unexpected argument "${args.positionals[1].slice(0, 40)}"`);
  }
  const out = ["backup", "export"].includes(sub) ? requireFlag(args, "out") : undefined;
  const from = ["restore", "import"].includes(sub) ? requireFlag(args, "from") : undefined;
  for (const f of ["out", "from"] as const) {
    if (args.flags[f] !== undefined && (f === "out" ? out : from) === undefined) {
      throw new UsageError(`Option "--${f}" is not for "store ${sub}"`);
    }
  }
  const config = await loadConfig(platform, requireFlag(args, "config"));
  const sc = requireStoreConfig(config);
  const json = args.flags.json === true;
  const store = await openConfiguredStore(platform, config, {
    // Reading commands leave the schema as it is (a server may be running on it).
    schema: ["status", "backup", "export"].includes(sub) ? "none" : "migrate",
    onFault: cliFaults(platform),
  });
  try {
    const c = { platform, config, store, json };
    if (sub === "backup") return await storeBackup(c, out!);
    if (sub === "export") return await storeExport(c, out!);
    if (sub === "restore" || sub === "import") return await storeLoad(c, from!, sub);
    if (sub === "init") {
      // The pepper is created for a fresh store, and its fingerprint recorded: from now on a
      // missing or different pepper stops serve and check (src/apikeys/pepper.ts).
      const { created, verdict } = await loadOrCreatePepper(platform, sc, store);
      const st = await store.status();
      const out = {
        store: store.source,
        schema_version: st.current,
        pepper_created: created,
        pepper_fingerprint: verdict === "match" ? "verified" : "recorded",
      };
      platform.stdout(
        json
          ? JSON.stringify(out) + "\n"
          : `store ${store.source} ready at schema version ${st.current}` +
            (created ? `; pepper written to ${sc.pepperPath} (mode 0600, keep it secret)` : "") +
            `; pepper fingerprint ${out.pepper_fingerprint}` +
            "\nBack up the pepper file with the database: the keys cannot be checked without it\n",
      );
      return 0;
    }
    if (sub === "migrate") {
      const st = await store.status();
      platform.stdout(
        json
          ? JSON.stringify({ store: store.source, schema_version: st.current }) + "\n"
          : `store ${store.source} at schema version ${st.current}\n`,
      );
      return 0;
    }
    const st = await store.status();
    if (json) {
      platform.stdout(
        JSON.stringify({
          store: store.source,
          kind: store.kind,
          schema_version: st.current,
          latest_version: st.latest,
          pending: st.pending,
          applied: st.applied.map((a) => ({
            version: a.version,
            name: a.name,
            applied_at: a.appliedAt,
          })),
        }) + "\n",
      );
    } else {
      const lines = [
        `store:   ${store.source} (${store.kind})`,
        `schema:  ${st.current} (this binary knows ${st.latest})`,
        ...st.applied.map((a) =>
          `  applied ${String(a.version).padStart(3)} ${a.name} ${
            new Date(a.appliedAt * 1000).toISOString()
          }`
        ),
        ...st.pending.map((p) => `  pending ${String(p.version).padStart(3)} ${p.name}`),
      ];
      platform.stdout(lines.join("\n") + "\n");
    }
    return st.pending.length === 0 ? 0 : 1;
  } finally {
    await store.close();
  }
}

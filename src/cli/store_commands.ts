/**
 * `keypebble store init|migrate|status`: create, upgrade and inspect the state store named by
 * the config's `store.url`.
 */

import { loadOrCreatePepper, openConfiguredStore, requireStoreConfig } from "../apikeys/open.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import { type ParsedArgs, requireFlag, UsageError } from "./args.ts";

/** Flags of the `store` command. */
export const STORE_FLAGS = { config: "string", json: "boolean" } as const;

/** Usage of the `store` command. */
export const STORE_USAGE = `keypebble store init|migrate|status --config FILE [--json]

init     create the store (SQLite file 0600, or the Postgres schema) and the pepper file
migrate  apply pending schema migrations
status   show the schema version and pending migrations (exit 1 when some are pending)`;

/** Run `keypebble store …`. */
export async function storeCommand(platform: Platform, args: ParsedArgs): Promise<number> {
  const sub = args.positionals[0];
  if (sub !== "init" && sub !== "migrate" && sub !== "status") {
    throw new UsageError('Expected "init", "migrate" or "status"');
  }
  const config = await loadConfig(platform, requireFlag(args, "config"));
  const sc = requireStoreConfig(config);
  const json = args.flags.json === true;
  const store = await openConfiguredStore(platform, config, {
    schema: sub === "status" ? "none" : "migrate",
  });
  try {
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

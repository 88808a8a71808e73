/**
 * `keypebble spiffe …`: spiffile's files profile on a root directory, and offline verification.
 *
 * ```
 * keypebble spiffe init --root DIR --trust-domain TD
 * keypebble spiffe add-service --root DIR NAME
 * keypebble spiffe rotate-service --root DIR NAME [--revoke-old]
 * keypebble spiffe remove-service --root DIR NAME
 * keypebble spiffe service-env --root DIR NAME
 * keypebble spiffe verify --bundle FILE --audience ID TOKEN
 * ```
 *
 * Changes print one line on stdout; `service-env` prints `KEY=VALUE` lines; `verify` exits 0 for
 * a valid JWT-SVID (printing its claims) and 1 otherwise (the code and reason on stderr).
 *
 * @module
 */

import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { nodeFiles } from "../platform/node_fs.ts";
import {
  addService,
  initRoot,
  parseSpiffileBundle,
  removeService,
  rotateService,
  type ServiceChange,
  serviceEnv,
  SvidError,
  verifySvid,
} from "../spiffe/mod.ts";
import { type FlagSpec, type ParsedArgs, UsageError } from "./args.ts";

const SUBCOMMANDS: Readonly<Record<string, { flags: readonly string[]; positionals: number }>> = {
  init: { flags: ["root", "trust-domain"], positionals: 0 },
  "add-service": { flags: ["root"], positionals: 1 },
  "rotate-service": { flags: ["root", "revoke-old"], positionals: 1 },
  "remove-service": { flags: ["root"], positionals: 1 },
  "service-env": { flags: ["root"], positionals: 1 },
  verify: { flags: ["bundle", "audience"], positionals: 1 },
};

/** Test hook: seconds to wait after a new key is written and before the bundle binds it. */
const PAUSE_ENV = "KEYPEBBLE_SPIFFE_PAUSE_AFTER_KEY";

/** The `spiffe` command group, in the shape of the CLI's command table. */
export const SPIFFE_COMMAND = {
  summary: "SPIFFE identities: provision a spiffile root, verify JWT-SVIDs",
  usage: `keypebble spiffe <subcommand> [options]

  init --root DIR --trust-domain TD          make DIR a spiffile root (empty bundle)
  add-service --root DIR NAME                 key (0600), id file, key bound in bundle.json
  rotate-service --root DIR NAME [--revoke-old]
        without --revoke-old: a new key, the old one stays bound (overlap)
        with --revoke-old: drop every older key (rotating first if there is none)
  remove-service --root DIR NAME              the identity leaves the bundle, files removed
  service-env --root DIR NAME                 SPIFFILE_ID_FILE, SPIFFILE_KEY_FILE,
                                              SPIFFILE_BUNDLE_FILE as KEY=VALUE lines
  verify --bundle FILE --audience ID TOKEN    check a JWT-SVID against a spiffile bundle
                                              (exit 0 valid, 1 invalid; TOKEN "-" reads stdin)

NAME is a SPIFFE path without the leading slash: "orders" or "sensors/t-1".
Every change is atomic and safe to re-run; concurrent runs take DIR/.lock in turn.`,
  flags: {
    root: "string",
    "trust-domain": "string",
    "revoke-old": "boolean",
    bundle: "string",
    audience: "string",
  } as FlagSpec,
  subcommands: {
    init: [],
    "add-service": ["NAME"],
    "rotate-service": ["NAME"],
    "remove-service": ["NAME"],
    "service-env": ["NAME"],
    verify: ["TOKEN"],
  },
  run: spiffeCommand,
};

function _flag(a: ParsedArgs, name: string): string {
  const v = a.flags[name];
  if (typeof v !== "string" || v === "") throw new UsageError(`Option "--${name}" is required`);
  return v;
}

function _report(p: Platform, verb: string, c: ServiceChange): void {
  const what = c.changed ? verb : "unchanged";
  const dropped = c.dropped && c.dropped.length > 0 ? ` dropped=${c.dropped.join(",")}` : "";
  p.stdout(
    `${what} ${c.id}${c.kid ? ` kid=${c.kid}` : ""}${dropped} spiffe_sequence=${c.sequence}\n`,
  );
}

/** Run `keypebble spiffe <subcommand>`; resolves to the exit code. */
export async function spiffeCommand(p: Platform, a: ParsedArgs): Promise<number> {
  const [sub, ...rest] = a.positionals;
  const spec = sub === undefined ? undefined : SUBCOMMANDS[sub];
  if (spec === undefined) {
    throw new UsageError(
      sub === undefined ? "A subcommand is required" : `Unknown subcommand "${sub.slice(0, 40)}"`,
    );
  }
  for (const f of Object.keys(a.flags)) {
    if (f !== "help" && !spec.flags.includes(f)) {
      throw new UsageError(`Option "--${f}" does not apply to "spiffe ${sub}"`);
    }
  }
  if (rest.length !== spec.positionals) {
    throw new UsageError(
      spec.positionals === 0
        ? `"spiffe ${sub}" takes no arguments`
        : `"spiffe ${sub}" takes exactly one argument`,
    );
  }
  const pause = Number(p.env(PAUSE_ENV) ?? "0");
  const options = {
    files: nodeFiles,
    ...(pause > 0
      ? {
        afterKeyWritten: async () => {
          p.stderr("paused after the key write\n");
          await new Promise((r) => setTimeout(r, pause * 1000));
        },
      }
      : {}),
  };
  switch (sub) {
    case "init": {
      const root = _flag(a, "root");
      const td = _flag(a, "trust-domain");
      const { created } = await initRoot(root, td, options);
      p.stdout(`${created ? "initialised" : "unchanged"} ${root} trust_domain=${td}\n`);
      return 0;
    }
    case "add-service":
      _report(p, "added", await addService(_flag(a, "root"), rest[0], options));
      return 0;
    case "rotate-service":
      _report(
        p,
        a.flags["revoke-old"] === true ? "revoked" : "rotated",
        await rotateService(_flag(a, "root"), rest[0], {
          ...options,
          revokeOld: a.flags["revoke-old"] === true,
        }),
      );
      return 0;
    case "remove-service":
      _report(p, "removed", await removeService(_flag(a, "root"), rest[0], options));
      return 0;
    case "service-env": {
      const env = await serviceEnv(_flag(a, "root"), rest[0], options);
      for (const [k, v] of Object.entries(env)) p.stdout(`${k}=${v}\n`);
      return 0;
    }
    default:
      return await _verify(p, a, rest[0]);
  }
}

async function _verify(p: Platform, a: ParsedArgs, tokenArg: string): Promise<number> {
  const bundlePath = _flag(a, "bundle");
  const audience = _flag(a, "audience");
  const text = await nodeFiles.readText(bundlePath);
  if (text === undefined) {
    throw new KeypebbleError("invalid_root", `Bundle file "${bundlePath}" does not exist`);
  }
  let bundle;
  try {
    bundle = parseSpiffileBundle(JSON.parse(text));
  } catch (e) {
    // A bundle that can be read but does not hold (an unknown spiffile_version, a bad key) does
    // not verify the token: exit 1 ("not valid"), as spiffile's own tools do. Exit 2 is kept
    // for "could not run" (no such file, a bad flag).
    p.stderr(`invalid (invalid_bundle): ${bundlePath}: ${(e as Error).message}\n`);
    return 1;
  }
  const token = tokenArg === "-" ? (await p.readStdin()).trim() : tokenArg;
  try {
    const v = await verifySvid(token, bundle, {
      audience,
      now: Math.floor(Date.now() / 1000),
    });
    p.stdout(JSON.stringify({ spiffe_id: v.spiffeId, header: v.header, claims: v.claims }) + "\n");
    return 0;
  } catch (e) {
    if (e instanceof SvidError) {
      p.stderr(`invalid (${e.code}): ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}

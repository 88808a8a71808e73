/**
 * The command line: `keypebble <command> [options]`. Each command has `--help`; bad usage exits
 * 2, a config or key problem exits 2 with the file, field and problem, `verify` exits 1 for an
 * invalid token.
 *
 * @module
 */

import { closest } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import type { Platform } from "../platform/platform.ts";
import { VERSION } from "../version.ts";
import {
  type ArgsSpec,
  checkPositionals,
  type FlagSpec,
  intFlag,
  parseArgs,
  type ParsedArgs,
  stringFlag,
  UsageError,
} from "./args.ts";
import { completionScript, SHELLS } from "./completion.ts";
import { healthcheckCommand } from "./healthcheck_command.ts";
import { ACCOUNT_COMMAND } from "./account_commands.ts";
import { AUDIT_COMMAND } from "./audit_command.ts";
import { checkCommand } from "./check_command.ts";
import { configJsonSchema } from "../config/mod.ts";
import { hashPasswordCommand, jwksCommand, keygenCommand } from "./key_commands.ts";
import { serve, workersFromEnv } from "./serve.ts";
import { STORE_FLAGS, STORE_USAGE, storeCommand } from "./store_commands.ts";
import { IMPORT_FLAGS, IMPORT_USAGE, importCommand } from "./import_commands.ts";
import {
  BLOCK_COMMAND,
  BLOCKS_COMMAND,
  KEY_COMMAND,
  ORG_COMMAND,
  STATS_COMMAND,
  UNBLOCK_COMMAND,
} from "./apikey_commands.ts";
import { commandCommand, issueCommand } from "./sign_commands.ts";
import { DECRYPT_COMMAND, FERNET_COMMAND } from "./encryption_commands.ts";
import { SPIFFE_COMMAND } from "./spiffe_commands.ts";
import { inspectCommand, verifyCommand } from "./token_commands.ts";

/** One command of the CLI: its help text, what it takes, and what it does. */
export interface Command extends ArgsSpec {
  /** One line, shown in `keypebble --help` and the CLI reference. */
  readonly summary: string;
  /** The `--help` text after "Usage: ". */
  readonly usage: string;
  /** The flags it takes (the parser refuses any other). */
  readonly flags: FlagSpec;
  /** Runs the command; resolves to the exit code. */
  run(platform: Platform, args: ParsedArgs): Promise<number>;
}

/**
 * Every command by name: the one table the parser, `--help`, shell completion and the generated
 * CLI reference (docs/cli.md, src/cli/reference_md.ts) read.
 */
export const COMMANDS: Readonly<Record<string, Command>> = {
  serve: {
    summary: "Serve tokens over HTTP",
    usage: `keypebble serve --config FILE [--policy FILE] [--host HOST] [--port PORT]
                [--workers N] [--request-timeout SECONDS]

Serves /healthz, /readyz, /auth, /v2/token, /command/token, the Kubernetes TokenRequest paths,
/.well-known/jwks.json, /.well-known/openid-configuration, /metrics, /openapi.json
(the OpenAPI 3.1 description of every endpoint), the web console /console and the API
reference /docs, and /forward-auth?limit=NAME for each route limit (limits.routes); with a
spiffe section also /spiffe/v1/svid (JWT-SVIDs), /spiffe/v1/bundle, /spiffe/v1/spiffile-bundle
and /spiffe/v1/verify; with a store section also /forward-auth (the key check),
/forward-auth/failures, /oauth2/token, /oauth2/introspect, /oauth2/revoke and the admin API
(/admin/orgs, /admin/keys, /admin/stats, /admin/usage, /admin/clients, /admin/blocks,
/admin/audit); with
accounts also pico-auth's /api/v1/auth/register, /api/v1/auth/login, /api/v1/auth/refresh,
/api/v1/auth/me, /api/v1/auth/me/password, /api/v1/auth/jwks, /api/v1/auth/users,
/api/v1/auth/users/registration, /api/v1/auth/service-tokens,
/api/v1/auth/service-tokens/validate, /api/v1/auth/me/totp, /api/v1/auth/me/totp/confirm and
/api/v1/groups, and sign-in with an RS256, ES256 or EdDSA key: /authorize, /userinfo,
/end_session, /assets/login.css and /admin/clients.
SIGHUP reloads config, keys and policy (a bad reload keeps the old ones); SIGTERM and
SIGINT finish requests in flight and exit 0. A bad config exits 2 before listening.
Every setting can also come from KEYPEBBLE_<PATH> (e.g. KEYPEBBLE_SERVICE__PORT);
keypebble check shows what a config serves before you start it.
--workers N: worker threads sharing the port (default: KEYPEBBLE_WORKERS, else one per
CPU; Deno needs --unstable-net for more than one). --request-timeout: seconds a client may take to
send its body once its headers are in (default 10); a slower one gets 408.`,
    flags: {
      config: "string",
      policy: "string",
      host: "string",
      port: "string",
      workers: "string",
      "request-timeout": "string",
    },
    run: (p, a) => {
      const port = intFlag(a, "port", { min: 0, max: 65535 });
      const host = stringFlag(a, "host");
      const policyPath = stringFlag(a, "policy");
      const workers = intFlag(a, "workers", { min: 1, max: 256 }) ?? workersFromEnv(p);
      const requestSeconds = intFlag(a, "request-timeout", { min: 1, max: 250 });
      return serve(p, {
        ...(workers === undefined ? {} : { workers }),
        ...(requestSeconds === undefined ? {} : { timeouts: { requestSeconds } }),
        configPath: _required(a, "config"),
        overrides: {
          ...(host === undefined ? {} : { host }),
          ...(port === undefined ? {} : { port }),
          ...(policyPath === undefined ? {} : { policyPath }),
        },
      });
    },
  },
  check: {
    summary: "Load a config as serve would, print what it serves and every warning (exit 0 or 2)",
    usage: `keypebble check --config FILE [--credentials-dir DIR] [--policy FILE]

Reads the config, KEYPEBBLE_* overrides, keys, certificates and policy exactly as serve
does, without listening or writing anything. Prints endpoints, token profiles, keys
(kid and alg), audiences, limits, what anonymous callers can obtain, the environment
overrides applied, every Python Keypebble key, behaviour or pattern met, and every
warning. Exit 0 when serve would start, 2 (with the file, field and problem) when not.
--credentials-dir stands in for systemd's \${CREDENTIALS_DIRECTORY} outside the unit.`,
    flags: { config: "string", "credentials-dir": "string", policy: "string" },
    run: checkCommand,
  },
  issue: {
    summary: "Sign a token with the /auth rules and print it",
    usage: `keypebble issue --config FILE [--claims JSON] [--ttl SECONDS]
                [--policy FILE] [--generate] [--user NAME]
                [--format jws|jwe|fernet]
                [--encrypt-to FILE [--encrypt-alg ALG] [--encrypt-enc ENC]]

--claims are filtered like a POST /auth body (allowed_custom_claims; iss, iat, nbf,
exp and jti are always the server's; "ttl_seconds" asks for a lifetime, --ttl wins).
--generate, or --policy FILE with --user, adds the registry "access" and "scope"
claims for --user from the policy (literal repositories only), as the Python
Keypebble's issue --policy did.
--format: the token's form (default: profiles.auth.format, else jws). fernet needs the
config's fernet section (a Fernet token of the same claims, with the kind's typ);
jwe needs profiles.auth.encrypt or --encrypt-to. --encrypt-to FILE signs, then
encrypts to that key (a nested JWT, cty "JWT"): a JWK, a JWKS, a PEM public key,
certificate or private key. --encrypt-alg (default: the JWK's alg, else RSA-OAEP-256
for RSA, ECDH-ES for EC/X25519, dir for oct) and --encrypt-enc (default A256GCM).`,
    flags: {
      config: "string",
      claims: "string",
      ttl: "string",
      policy: "string",
      generate: "boolean",
      user: "string",
      format: "string",
      "encrypt-to": "string",
      "encrypt-alg": "string",
      "encrypt-enc": "string",
    },
    run: issueCommand,
  },
  command: {
    summary: "Sign a command token (target → aud, user → sub) and print it",
    usage: `keypebble command --config FILE --target TARGET --command COMMAND
                  [--user USER] [--ttl SECONDS] [--json]

--user defaults to the issuer. --json prints {"token","jti","expires_in"}.`,
    flags: {
      config: "string",
      target: "string",
      command: "string",
      user: "string",
      ttl: "string",
      json: "boolean",
    },
    run: commandCommand,
  },
  verify: {
    summary: "Verify a token against the config's keys (exit 0 valid, 1 invalid)",
    usage: `keypebble verify --config FILE [--audience AUD] [--refresh] TOKEN

Checks signature (key chosen by kid, or every key of the token's alg), exp, nbf and
iat (60 s leeway), iss, and aud when --audience is given. TOKEN "-" reads stdin.
The format is detected: a JWS; a JWE (decrypted with a "use: enc" key of the config,
then the signed JWT inside checked as above); a Fernet token (the config's fernet
key repository: HMAC, TTL from its timestamp, then exp, iss, aud).
Prints the format, kind, header and claims as JSON; on failure the reason on stderr.`,
    flags: { config: "string", audience: "string", refresh: "boolean" },
    args: ["TOKEN"],
    run: verifyCommand,
  },
  inspect: {
    summary: "Decode a token WITHOUT verifying it",
    usage: `keypebble inspect TOKEN

Prints the header and claims. The signature is not checked: use verify for that.`,
    flags: {},
    args: ["TOKEN"],
    run: inspectCommand,
  },
  keygen: {
    summary: "Generate a signing or encryption key (PKCS#8 PEM, mode 0600)",
    usage: `keypebble keygen --out FILE [--alg RS256|ES256|EdDSA] [--bits 2048|3072|4096]
keypebble keygen --use enc --out FILE [--alg RSA-OAEP-256|ECDH-ES|ECDH-ES+A256KW]
                 [--curve P-256|X25519] [--bits 2048|3072|4096]

--alg defaults to RS256 (said on stderr); --bits is for RS256 only (default 2048).
--use enc makes an encryption key for "keys:" with "use: enc" (--alg defaults to
RSA-OAEP-256; ECDH keys are P-256 unless --curve X25519); it never signs.
Refuses to overwrite FILE. Prints the key's RFC 7638 thumbprint, its default kid.`,
    flags: { alg: "string", bits: "string", out: "string", use: "string", curve: "string" },
    run: keygenCommand,
  },
  jwks: {
    summary: "Print the public JWKS of a config's keys",
    usage: `keypebble jwks --config FILE [--credentials-dir DIR]

The same document as GET /.well-known/jwks.json, for a registry 3.x "jwks" file or
offline distribution. HMAC keys never appear. --credentials-dir stands in for
systemd's \${CREDENTIALS_DIRECTORY} outside the unit (e.g. /etc/keypebble).`,
    flags: { config: "string", "credentials-dir": "string" },
    run: jwksCommand,
  },
  decrypt: { ...DECRYPT_COMMAND, args: ["TOKEN"] },
  fernet: { ...FERNET_COMMAND, subcommands: { setup: [], rotate: [] } },
  "hash-password": {
    summary: "Hash a password (stdin) for a policy's password_hash",
    usage: `keypebble hash-password [--iterations N] < password.txt

Prints a PBKDF2-SHA256 PHC string: $pbkdf2-sha256$i=N$SALT$HASH.`,
    flags: { iterations: "string" },
    run: hashPasswordCommand,
  },
  spiffe: SPIFFE_COMMAND,
  config: {
    summary: "Print the JSON Schema (draft 2020-12) of the config file",
    usage: `keypebble config schema > keypebble.schema.json

Generated from the one table of config keys (src/config/schema.ts): every key, its type,
default and meaning. Point an editor at it with a first line in keypebble.yaml:
  # yaml-language-server: $schema=./keypebble.schema.json`,
    flags: {},
    subcommands: { schema: [] },
    run: (p, a) => {
      if (a.positionals.length !== 1 || a.positionals[0] !== "schema") {
        throw new UsageError('Say "keypebble config schema"');
      }
      p.stdout(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
      return Promise.resolve(0);
    },
  },
  store: {
    summary: "Create, migrate or inspect the state store",
    usage: STORE_USAGE,
    flags: STORE_FLAGS,
    subcommands: {
      init: [],
      migrate: [],
      status: [],
      backup: [],
      restore: [],
      export: [],
      import: [],
    },
    run: storeCommand,
  },
  import: {
    summary: "Import a keyguard or pico-auth database into the store",
    usage: IMPORT_USAGE,
    flags: IMPORT_FLAGS,
    subcommands: { keyguard: [], "pico-auth": [] },
    run: importCommand,
  },
  org: ORG_COMMAND,
  key: KEY_COMMAND,
  stats: STATS_COMMAND,
  block: BLOCK_COMMAND,
  unblock: UNBLOCK_COMMAND,
  blocks: BLOCKS_COMMAND,
  account: {
    ...ACCOUNT_COMMAND,
    subcommands: { "reset-password": [], suspend: [], resume: [] },
  },
  audit: AUDIT_COMMAND,
  healthcheck: {
    summary: "Exit 0 when a server answers /healthz (for container health checks)",
    usage: `keypebble healthcheck [--config FILE] [--cert FILE --key FILE] [--url URL]

--config: probe the address the config serves (service.host, service.port, KEYPEBBLE_*
overrides; 0.0.0.0 and :: are probed on loopback), over HTTPS with service.tls: the server
must present exactly the certificate service.tls.cert_path holds (no CA store needed).
--cert/--key: a client certificate, when service.tls asks for one. --url: any URL instead.
Without either, http://127.0.0.1:8080/healthz. Prints "ok: ..." or why not; exit 0 or 1.`,
    flags: { url: "string", config: "string", cert: "string", key: "string" },
    run: healthcheckCommand,
  },
  completion: {
    summary: "Print shell completion (bash, zsh or fish)",
    usage: `keypebble completion bash|zsh|fish

bash: keypebble completion bash > /etc/bash_completion.d/keypebble
zsh:  keypebble completion zsh > "\${fpath[1]}/_keypebble"
fish: keypebble completion fish > ~/.config/fish/completions/keypebble.fish`,
    flags: {},
    subcommands: Object.fromEntries(SHELLS.map((s) => [s, []])),
    run: (p, a) => {
      p.stdout(completionScript(a.positionals[0] as "bash" | "zsh" | "fish", COMMANDS));
      return Promise.resolve(0);
    },
  },
};

function _required(a: ParsedArgs, name: string): string {
  const v = stringFlag(a, name);
  if (v === undefined || v === "") throw new UsageError(`Option "--${name}" is required`);
  return v;
}

function _mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(14)} ${c.summary}`);
  return `keypebble ${VERSION}: a single-binary JWT issuer

Usage: keypebble <command> [options]   (keypebble <command> --help for details)

Commands:
${lines.join("\n")}

  --version      Print the version and runtime
`;
}

/** Run the CLI; resolves to the process exit code. */
export async function runCli(platform: Platform, argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "help" && rest[0] !== undefined && COMMANDS[rest[0]] !== undefined) {
    const c = COMMANDS[rest[0]];
    platform.stdout(`${c.summary}\n\nUsage: ${c.usage}\n`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    platform.stdout(_mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version" || name === "version") {
    platform.stdout(`keypebble ${VERSION} (${platform.name})\n`);
    return 0;
  }
  const cmd = COMMANDS[name];
  if (cmd === undefined) {
    const near = closest(name, Object.keys(COMMANDS));
    platform.stderr(
      `Unknown command "${name.slice(0, 40)}"${
        near === undefined ? "" : `; did you mean "${near}"?`
      }\n\n${_mainHelp()}`,
    );
    return 2;
  }
  try {
    const args = parseArgs(rest, cmd.flags);
    if (args.flags.help === true) {
      platform.stdout(`${cmd.summary}\n\nUsage: ${cmd.usage}\n`);
      return 0;
    }
    checkPositionals(cmd, args);
    return await cmd.run(platform, args);
  } catch (e) {
    if (e instanceof UsageError) {
      platform.stderr(`error: ${e.message}\n\nUsage: ${cmd.usage}\n`);
      return 2;
    }
    if (e instanceof KeypebbleError) {
      platform.stderr(`error (${e.code}): ${e.message}\n`);
      return 2;
    }
    platform.stderr(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
}

/**
 * `check` is `serve` without the listen: over a corpus of good and bad configs, `check` exits 0
 * exactly when `serve` starts, and 2 exactly when `serve` exits 2 before listening. Each case
 * runs in a fresh directory, `check` first (it writes nothing), then `serve`.
 */

import assert from "node:assert/strict";
import { makeCert } from "../helpers/certs.ts";
import { collectLines, freePort, keypebbleCommand, runKeypebble } from "../helpers/process.ts";

const SECRET = "agree-hmac-secret-0123456789abcdef-0123";
const BASE = `issuer: "https://kp.test"\nhs256_secret_path: secret\n`;

interface Case {
  readonly name: string;
  readonly starts: boolean;
  /** Files of the case's directory; `config.yaml` is the config. */
  files(): Promise<Record<string, string>> | Record<string, string>;
  readonly env?: Record<string, string>;
  /** Run before check and serve, in the case's directory (e.g. `store init`). */
  prepare?(dir: string): Promise<void>;
}

async function tlsFiles(
  o: { notAfter?: number; mismatch?: boolean } = {},
): Promise<Record<string, string>> {
  const cert = await makeCert({
    subject: [["CN", "localhost"]],
    dns: ["localhost"],
    ...(o.notAfter === undefined
      ? {}
      : { notAfter: o.notAfter, notBefore: o.notAfter - 86_400_000 }),
  });
  const other = o.mismatch ? await makeCert({ subject: [["CN", "other"]] }) : cert;
  return { "tls.pem": cert.certPem, "tls.key": other.keyPem, secret: SECRET };
}

const TLS = "service: { tls: { cert_path: tls.pem, key_path: tls.key } }\n";

const CASES: readonly Case[] = [
  { name: "minimal HS256", starts: true, files: () => ({ "config.yaml": BASE, secret: SECRET }) },
  {
    name: "a 5-byte HMAC secret",
    starts: false,
    files: () => ({ "config.yaml": BASE, secret: "short" }),
  },
  {
    name: "an unknown setting",
    starts: false,
    files: () => ({ "config.yaml": BASE + "ttl: 3\n", secret: SECRET }),
  },
  { name: "YAML that does not parse", starts: false, files: () => ({ "config.yaml": "a: [\n" }) },
  {
    name: "a missing key file",
    starts: false,
    files: () => ({ "config.yaml": 'issuer: kp\nrs256_private_key_path: "gone.pem"\n' }),
  },
  {
    name: "generate_missing_key with no key yet",
    starts: true,
    files: () => ({
      "config.yaml":
        'issuer: kp\nrs256_private_key_path: "keys/new.pem"\ngenerate_missing_key: true\n',
    }),
  },
  {
    name: "a missing policy file",
    starts: false,
    files: () => ({ "config.yaml": BASE + "policy_path: nope.yaml\n", secret: SECRET }),
  },
  {
    name: "${CREDENTIALS_DIRECTORY} unset",
    starts: false,
    files: () => ({
      "config.yaml": 'issuer: kp\nhs256_secret_path: "${CREDENTIALS_DIRECTORY}/s"\n',
    }),
  },
  {
    name: "${CREDENTIALS_DIRECTORY} set",
    starts: true,
    files: () => ({
      "config.yaml": 'issuer: kp\nhs256_secret_path: "${CREDENTIALS_DIRECTORY}/s"\n',
      "creds/s": SECRET,
    }),
    env: { CREDENTIALS_DIRECTORY: "{dir}/creds" },
  },
  {
    name: "a bad KEYPEBBLE_ override",
    starts: false,
    files: () => ({ "config.yaml": BASE, secret: SECRET }),
    env: { KEYPEBBLE_DEFAULT_TTL_SECONDS: "soon" },
  },
  {
    name: "TLS with a good pair",
    starts: true,
    files: async () => ({ "config.yaml": BASE + TLS, ...(await tlsFiles()) }),
  },
  {
    name: "TLS with another certificate's key",
    starts: false,
    files: async () => ({ "config.yaml": BASE + TLS, ...(await tlsFiles({ mismatch: true })) }),
  },
  {
    name: "TLS with an expired certificate",
    starts: false,
    files: async () => ({
      "config.yaml": BASE + TLS,
      ...(await tlsFiles({ notAfter: Date.now() - 3_600_000 })),
    }),
  },
  {
    name: "TLS with a missing certificate file",
    starts: false,
    files: async () => {
      const f = await tlsFiles();
      delete f["tls.pem"];
      return { "config.yaml": BASE + TLS, ...f };
    },
  },
  {
    name: "TLS with the key where the certificate belongs",
    starts: false,
    files: async () => {
      const f = await tlsFiles();
      return { "config.yaml": BASE + TLS, ...f, "tls.pem": f["tls.key"] };
    },
  },
  {
    name: "TLS with a client CA file that holds no certificate",
    starts: false,
    files: async () => ({
      "config.yaml": BASE +
        "service: { tls: { cert_path: tls.pem, key_path: tls.key, client_ca_path: ca.pem } }\n",
      ...(await tlsFiles()),
      "ca.pem": "not a certificate\n",
    }),
  },
  {
    name: "a new SQLite store (created by serve)",
    starts: true,
    files: () => ({ "config.yaml": BASE + 'store: { url: "sqlite:kp.db" }\n', secret: SECRET }),
  },
  {
    name: "a SQLite store in a directory that does not exist",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'store: { url: "sqlite:missing/dir/kp.db" }\n',
      secret: SECRET,
    }),
  },
  {
    name: "a short pepper",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'store: { url: "sqlite:kp.db", pepper_path: kp.pepper }\n',
      secret: SECRET,
      "kp.pepper": "short\n",
    }),
  },
  {
    name: "a missing pepper while the store holds keys",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'store: { url: "sqlite:kp.db", pepper_path: kp.pepper }\n',
      secret: SECRET,
    }),
    async prepare(dir) {
      const c = `${dir}/config.yaml`;
      for (
        const args of [
          ["store", "init", "--config", c],
          ["org", "create", "acme", "--config", c],
          ["key", "create", "--org", "acme", "--label", "k", "--config", c],
        ]
      ) {
        const r = await runKeypebble(args);
        assert.equal(r.code, 0, `${args.join(" ")}: ${r.stderr}`);
      }
      await Deno.remove(`${dir}/kp.pepper`);
    },
  },
  {
    name: "another pepper than the store was initialised with",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'store: { url: "sqlite:kp.db", pepper_path: kp.pepper }\n',
      secret: SECRET,
    }),
    async prepare(dir) {
      const r = await runKeypebble(["store", "init", "--config", `${dir}/config.yaml`]);
      assert.equal(r.code, 0, r.stderr);
      await Deno.writeTextFile(`${dir}/kp.pepper`, "another-pepper-0123456789abcdef-0123456789");
    },
  },
  {
    name: "accounts with an unreadable admin_password_path",
    starts: false,
    files: () => ({
      "config.yaml": BASE +
        'store: { url: "sqlite:kp.db" }\naccounts: { admin_password_path: "nope.txt" }\n',
      secret: SECRET,
    }),
  },
  {
    name: "accounts with a too short KEYPEBBLE_ADMIN_PASSWORD",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'store: { url: "sqlite:kp.db" }\naccounts: {}\n',
      secret: SECRET,
    }),
    env: { KEYPEBBLE_ADMIN_PASSWORD: "abc" },
  },
  {
    name: "accounts with an admin password file",
    starts: true,
    files: () => ({
      "config.yaml": BASE +
        'store: { url: "sqlite:kp.db" }\naccounts: { admin_password_path: "admin.txt" }\n',
      secret: SECRET,
      "admin.txt": "correct-horse-battery-staple\n",
    }),
  },
  {
    name: "shared_limits with an unreachable Redis",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'shared_limits: { redis_url: "redis://127.0.0.1:1/0" }\n',
      secret: SECRET,
    }),
  },
  {
    name: "an unreachable Postgres store",
    starts: false,
    files: () => ({
      "config.yaml": BASE + 'store: { url: "postgres://kp:pw@127.0.0.1:1/kp" }\n',
      secret: SECRET,
      "keypebble.pepper": "p".repeat(40),
    }),
  },
];

/** Start serve; resolves to "started" at its start line, or its exit code when it ends first. */
async function serveOutcome(
  dir: string,
  env: Record<string, string>,
): Promise<{ outcome: "started" | number; output: string }> {
  const { cmd, prefix } = keypebbleCommand();
  const child = new Deno.Command(cmd, {
    args: [
      ...prefix,
      "serve",
      "--config",
      `${dir}/config.yaml`,
      "--port",
      String(freePort()),
      "--workers",
      "1",
    ],
    cwd: dir,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { lines, done } = collectLines(child);
  const status = child.status.then(async (s) => {
    await done;
    return s.code;
  });
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (lines.some((l) => l.includes('"event":"start"'))) {
      child.kill("SIGTERM");
      await status;
      return { outcome: "started", output: lines.join("\n") };
    }
    const ended = await Promise.race([status, new Promise((r) => setTimeout(r, 50))]);
    if (typeof ended === "number") return { outcome: ended, output: lines.join("\n") };
  }
  child.kill("SIGKILL");
  await status;
  throw new Error(`serve neither started nor exited:\n${lines.join("\n")}`);
}

for (const c of CASES) {
  Deno.test({
    name: `check agrees with serve: ${c.name} (${c.starts ? "starts" : "exit 2"})`,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp_agree_" });
    try {
      for (const [name, text] of Object.entries(await c.files())) {
        const path = `${dir}/${name}`;
        await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
        await Deno.writeTextFile(path, text);
      }
      await c.prepare?.(dir);
      const env = Object.fromEntries(
        Object.entries(c.env ?? {}).map(([k, v]) => [k, v.replace("{dir}", dir)]),
      );
      const check = await runKeypebble(["check", "--config", `${dir}/config.yaml`], {
        env,
        cwd: dir,
      });
      const serve = await serveOutcome(dir, env);
      const checkSays = check.code === 0 ? "started" : check.code;
      assert.equal(
        checkSays,
        serve.outcome,
        `check exited ${check.code}, serve ${serve.outcome}\n--- check ---\n${
          check.stdout.slice(0, 400)
        }${check.stderr}\n--- serve ---\n${serve.output}`,
      );
      assert.equal(serve.outcome, c.starts ? "started" : 2, serve.output);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("check agrees with serve: a corpus of configs with at least 20 cases, both outcomes", () => {
  assert.ok(CASES.length >= 25);
  assert.ok(CASES.some((c) => c.starts) && CASES.some((c) => !c.starts));
});

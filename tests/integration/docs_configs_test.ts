/**
 * Every whole config in the docs (a YAML block whose first line is
 * `# yaml-language-server: $schema=./keypebble.schema.json`, as tests/e2e/config_schema_test.ts
 * requires of every block with an `issuer`) passes `keypebble check`, and not only those that a
 * page's tested commands write (tests/integration/docs_commands_test.ts): the schema says a config
 * has the right shape, `check` that serve would start with it.
 *
 * Each config runs in a scratch directory holding the files it names, made first with Deno and
 * the project's own CLI (no openssl): signing and encryption keys by `keypebble keygen`, HMAC
 * secrets from random bytes, an `x5c_chain_path` certifying the signing key (under a test CA), a
 * TLS certificate and key, a policy, and the directories of the store and its pepper. The files
 * are found by the project's config reader, so a config naming a kind of file this test does not
 * make fails here, naming it. As docs/development.md promises, `check` must print no warning
 * unless a `<!-- check: warns -->` comment before the block says the page explains them (and then
 * it must warn). Two things differ from a real machine, and only these:
 * `${CREDENTIALS_DIRECTORY}` is `check --credentials-dir`, and absolute paths (`/etc/keypebble/…`,
 * `/var/lib/keypebble/…`) are rooted in the scratch directory, since a test writes nowhere else.
 */

import assert from "node:assert/strict";
import { type Config, parseConfig } from "../../src/config/mod.ts";
import { importPrivateKeyPem } from "../../src/jose/mod.ts";
import { certifyKey, makeCert } from "../helpers/certs.ts";
import { blocksOf, type DocBlock, docPages, SCHEMA_LINE } from "../helpers/doc_blocks.ts";
import { REPO_ROOT, runKeypebble } from "../helpers/process.ts";

const configs: DocBlock[] = [];
for (const page of await docPages()) {
  const blocks = blocksOf(page, await Deno.readTextFile(`${REPO_ROOT}${page}`));
  configs.push(...blocks.filter((b) => b.lang === "yaml" && b.body.startsWith(SCHEMA_LINE)));
}

/** Absolute paths in a config, rooted in `dir` (after a quote, a space or `sqlite:`). */
function rooted(text: string, dir: string): string {
  return text.replace(/(?<=["'\s:])\/(etc|var|srv|opt|run|usr|home)\//g, `${dir}/$1/`);
}

async function mkdirFor(path: string): Promise<void> {
  await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

async function keygen(args: string[]): Promise<void> {
  const r = await runKeypebble(["keygen", ...args]);
  assert.equal(r.code, 0, `keygen ${args.join(" ")}: ${r.stderr}`);
}

/** A policy that loads: one user, no password (identified by a trusted proxy only). */
const POLICY = 'users:\n  ci:\n    repos: ["ci/*"]\n    actions: ["pull"]\n';

/** Make every file `config` names (those already there are kept); returns what was made. */
async function makeFiles(config: Config): Promise<string[]> {
  const made: string[] = [];
  const make = async (path: string, write: () => Promise<void>) => {
    if (await exists(path)) return;
    await mkdirFor(path);
    await write();
    made.push(path.slice(path.lastIndexOf("/") + 1));
  };
  for (const k of config.keys) {
    if (k.kind === "pem") {
      // The alg the config names; rs256_private_key_path is RS256 by its name; any other key
      // without one gets ES256 (each page's comment names the keygen it suggests).
      const alg = k.alg ?? (k.field === "rs256_private_key_path" ? "RS256" : "ES256");
      await make(k.path, () => keygen(["--out", k.path, "--alg", alg]));
      if (k.x5cChainPath !== undefined) {
        const chain = k.x5cChainPath;
        await make(chain, async () => {
          const entry = await importPrivateKeyPem(await Deno.readTextFile(k.path));
          const ca = await makeCert({ subject: [["CN", "docs test CA"]], ca: true });
          const leaf = await certifyKey(entry.spkiDer!, {
            subject: [["CN", "keypebble"]],
            issuer: ca,
          });
          await Deno.writeTextFile(chain, leaf + ca.certPem);
        });
      }
    } else if (k.secretPath !== undefined) {
      const path = k.secretPath;
      await make(path, async () => {
        const bytes = crypto.getRandomValues(new Uint8Array(48));
        await Deno.writeTextFile(path, btoa(String.fromCharCode(...bytes)), { mode: 0o600 });
      });
    }
  }
  for (const k of config.encryptionKeys) {
    await make(k.path, () => keygen(["--use", "enc", "--out", k.path, "--alg", k.alg]));
  }
  if (config.policyPath !== undefined) {
    const path = config.policyPath;
    await make(path, () => Deno.writeTextFile(path, POLICY));
  }
  const tls = config.tls;
  if (tls !== undefined) {
    // A year: `check` warns of a certificate that expires within weeks.
    const notAfter = Date.now() + 365 * 86_400_000;
    const ca = await makeCert({ subject: [["CN", "docs test CA"]], ca: true, notAfter });
    const leaf = await makeCert({
      subject: [["CN", "localhost"]],
      dns: ["localhost"],
      issuer: ca,
      notAfter,
    });
    await make(tls.certPath, () => Deno.writeTextFile(tls.certPath, leaf.certPem + ca.certPem));
    await make(tls.keyPath, () => Deno.writeTextFile(tls.keyPath, leaf.keyPem, { mode: 0o600 }));
    const clientCa = tls.clientCaPath;
    if (clientCa !== undefined) {
      await make(clientCa, () => Deno.writeTextFile(clientCa, ca.certPem));
    }
  }
  // The store and its pepper: serve creates both, in directories that must exist.
  const store = config.store;
  if (store !== undefined) {
    if (store.url.startsWith("sqlite:") && store.url !== "sqlite::memory:") {
      await mkdirFor(store.url.slice("sqlite:".length));
    }
    await mkdirFor(store.pepperPath);
  }
  return made;
}

Deno.test("docs: the pages hold whole configs to check", () => {
  assert.ok(configs.length >= 5, configs.map((b) => `${b.page}:${b.line}`).join(", "));
});

for (const block of configs) {
  Deno.test(`${block.page}:${block.line}: the whole config passes keypebble check`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp-doc-config-" });
    try {
      const credentials = `${dir}/credentials`;
      const path = `${dir}/keypebble.yaml`;
      const text = rooted(block.body, dir);
      await Deno.writeTextFile(path, text);
      let config: Config;
      try {
        config = parseConfig(text, path, { baseDir: dir, credentialsDir: credentials });
      } catch (e) {
        throw new Error(`${block.page}:${block.line}: ${(e as Error).message}`, { cause: e });
      }
      const made = await makeFiles(config);
      const r = await runKeypebble(
        ["check", "--config", path, "--credentials-dir", credentials],
        { cwd: dir },
      );
      const where = `${block.page}:${block.line} (files made: ${made.join(", ") || "none"})`;
      assert.equal(r.code, 0, `${where}:\n${r.stderr}${r.stdout}`);
      // docs/development.md: no warning, unless the page says it explains them.
      if (!/^check:\s*warns$/.test(block.marker)) {
        assert.match(r.stdout, /^warnings\s+none$/m, `${where} warns:\n${r.stdout}`);
      } else assert.doesNotMatch(r.stdout, /^warnings\s+none$/m, `${where} is marked "warns"`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

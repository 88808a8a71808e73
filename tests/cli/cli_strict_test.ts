/**
 * The command line refuses what it does not understand (exit 2, with a suggestion), and
 * `healthcheck --config` probes what the config serves, HTTPS and client certificates included.
 */

import assert from "node:assert/strict";
import { makeCert } from "../helpers/certs.ts";
import { collectLines, freePort, keypebbleCommand, runKeypebble } from "../helpers/process.ts";

const SECRET = "strict-hmac-secret-0123456789abcdef-0123";

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kp_strict_" });
  for (const [n, t] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${n}`, t);
  return dir;
}

Deno.test("unknown short options and stray arguments exit 2 with a suggestion", async () => {
  const dir = await dirWith({ "kp.yaml": "issuer: kp\nhs256_secret_path: s\n", s: SECRET });
  const c = `${dir}/kp.yaml`;
  try {
    const cases: [string[], RegExp][] = [
      [["issue", "--config", c, "-t", "60"], /Unknown option "-t"; did you mean "--ttl"\?/],
      [
        ["issue", "--config", c, "60"],
        /Unexpected argument "60" \(this command takes options only\)/,
      ],
      [["serve", "--config", c, "-w", "2"], /Unknown option "-w"; did you mean "--workers"\?/],
      [["issue", "--confg", c], /Unknown option "--confg"; did you mean "--config"\?/],
      [
        ["verify", "--config", c, "a.b.c", "d.e.f"],
        /Unexpected argument "d\.e\.f" \(expected TOKEN\)/,
      ],
      [["key", "revoke", "--config", c, "id1", "id2"], /Unexpected argument "id2" \(expected ID\)/],
      [["key", "frob", "--config", c], /Unknown subcommand "frob"/],
      [["store", "statu", "--config", c], /Unknown subcommand "statu"; did you mean "status"\?/],
      [["check", "--config", c, "extra"], /Unexpected argument "extra"/],
      [["keygen", "-x"], /Unknown option "-x"; only -c \(--config\), -p \(--port\)/],
      [["completion", "tcsh"], /Unknown subcommand "tcsh"/],
    ];
    for (const [args, why] of cases) {
      const r = await runKeypebble(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, why, args.join(" "));
      assert.match(r.stderr, /Usage: keypebble/, "the usage follows");
    }
    const typo = await runKeypebble(["isue", "--config", c]);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /Unknown command "isue"; did you mean "issue"\?/);
    // "-" is an argument (a token on stdin), -c and -p the documented short forms.
    const ok = await runKeypebble(["issue", "-c", c, "--ttl", "60"]);
    assert.equal(ok.code, 0, ok.stderr);
    const verify = await runKeypebble(["verify", "-c", c, "-"], { stdin: ok.stdout });
    assert.equal(verify.code, 0, verify.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Start `serve` on the config's own port; resolves once its start line is out. */
async function serveAt(config: string): Promise<{ stop(): Promise<number>; lines: string[] }> {
  const { cmd, prefix } = keypebbleCommand();
  const child = new Deno.Command(cmd, {
    args: [...prefix, "serve", "--config", config, "--workers", "1"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const { lines, done } = collectLines(child);
  const status = child.status.then(async (s) => {
    await done;
    return s.code;
  });
  for (let i = 0; i < 300 && !lines.some((l) => l.includes('"event":"start"')); i++) {
    const ended = await Promise.race([status, new Promise((r) => setTimeout(r, 50))]);
    if (typeof ended === "number") throw new Error(`serve exited ${ended}:\n${lines.join("\n")}`);
  }
  return {
    lines,
    stop: async () => {
      child.kill("SIGTERM");
      return await status;
    },
  };
}

Deno.test("healthcheck --config probes the configured host, port and TLS", async () => {
  const ca = await makeCert({ subject: [["CN", "Test CA"]], ca: true });
  const server = await makeCert({ subject: [["CN", "localhost"]], dns: ["localhost"], issuer: ca });
  const other = await makeCert({ subject: [["CN", "localhost"]], dns: ["localhost"], issuer: ca });
  const client = await makeCert({ subject: [["CN", "probe"]], issuer: ca });
  const port = freePort();
  const dir = await dirWith({
    s: SECRET,
    "plain.yaml": `issuer: kp\nhs256_secret_path: s\nservice: { host: "0.0.0.0", port: ${port} }\n`,
    "tls.yaml": `issuer: kp\nhs256_secret_path: s\n` +
      `service: { port: ${port}, tls: { cert_path: tls.pem, key_path: tls.key } }\n`,
    "mtls.yaml": `issuer: kp\nhs256_secret_path: s\nservice: { port: ${port}, tls: ` +
      `{ cert_path: tls.pem, key_path: tls.key, client_ca_path: ca.pem } }\n`,
    "tls.pem": server.certPem,
    "tls.key": server.keyPem,
    "ca.pem": ca.certPem,
    "client.pem": client.certPem,
    "client.key": client.keyPem,
  });
  try {
    const down = await runKeypebble(["healthcheck", "--config", `${dir}/plain.yaml`]);
    assert.equal(down.code, 1);
    assert.match(down.stderr, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/healthz`));

    // 0.0.0.0 in the config is probed on loopback, at the configured port.
    let s = await serveAt(`${dir}/plain.yaml`);
    const plain = await runKeypebble(["healthcheck", "--config", `${dir}/plain.yaml`]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(
      plain.stdout,
      new RegExp(`^ok: http://127\\.0\\.0\\.1:${port}/healthz answered 200`),
    );
    assert.equal(await s.stop(), 0);

    s = await serveAt(`${dir}/tls.yaml`);
    const tls = await runKeypebble(["healthcheck", "--config", `${dir}/tls.yaml`]);
    assert.equal(tls.code, 0, tls.stderr);
    assert.match(
      tls.stdout,
      new RegExp(`^ok: https://127\\.0\\.0\\.1:${port}/healthz answered 200`),
    );
    // The served certificate must be the configured one (no CA store is consulted).
    await Deno.writeTextFile(`${dir}/tls.pem`, other.certPem);
    const mismatch = await runKeypebble(["healthcheck", "--config", `${dir}/tls.yaml`]);
    assert.equal(mismatch.code, 1);
    assert.match(mismatch.stderr, /presents another certificate than service\.tls\.cert_path/);
    await Deno.writeTextFile(`${dir}/tls.pem`, server.certPem);
    assert.equal(await s.stop(), 0);

    s = await serveAt(`${dir}/mtls.yaml`);
    const noCert = await runKeypebble(["healthcheck", "--config", `${dir}/mtls.yaml`]);
    assert.equal(noCert.code, 1);
    assert.match(noCert.stderr, /requires a client certificate: pass --cert and --key/);
    const withCert = await runKeypebble([
      "healthcheck",
      "--config",
      `${dir}/mtls.yaml`,
      "--cert",
      `${dir}/client.pem`,
      "--key",
      `${dir}/client.key`,
    ]);
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.equal(await s.stop(), 0);

    const both = await runKeypebble([
      "healthcheck",
      "--config",
      `${dir}/plain.yaml`,
      "--url",
      "http://x",
    ]);
    assert.equal(both.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * The registry's token realm on `https://`: Keypebble serves TLS itself, the distribution
 * registry (`docker-registry` 2.8) serves TLS too, and `skopeo` verifies both against the test
 * CA (its `--dest-cert-dir`/`--src-cert-dir`, whose `ca.crt` it trusts for the registry and for
 * the realm it fetches tokens from). A realm whose certificate the client cannot verify stops
 * the push: the TLS is checked, not skipped.
 *
 * Who talks to the realm: only the client. The registry never fetches a token; it checks the
 * token's signature offline against `rootcertbundle` (distribution 2.8 `auth/token`), so it
 * needs no trust in Keypebble's TLS certificate at all.
 */

import assert from "node:assert/strict";
import { freePort, run } from "../helpers/process.ts";
import {
  buildOciImage,
  Cleanup,
  hashPassword,
  ISSUER,
  layoutDigest,
  makeKeyAndCert,
  SERVICE,
  Skopeo,
  spawnDaemon,
} from "./registry_helpers.ts";
import { makePki } from "./tls_helpers.ts";
import { type Server, start } from "./workers_helpers.ts";

async function waitTls(port: number, ca: string, what: string, lines: () => string[]) {
  for (let i = 0; i < 300; i++) {
    const r = await run("curl", [
      "-s",
      "-o",
      "/dev/null",
      "--cacert",
      ca,
      `https://127.0.0.1:${port}/v2/`,
    ], {
      allowFail: true,
    });
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`${what} did not answer over TLS:\n${lines().join("\n")}`);
}

Deno.test({
  name:
    "registry: skopeo pushes and pulls with the token realm on https:// (both verified against the CA); an untrusted realm certificate stops it",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const cleanup = new Cleanup();
  let kp: Server | undefined;
  try {
    const dir = await cleanup.dir("registry-tls");
    const pki = await makePki(dir);
    const [{ cert: tokenCert }, hash] = await Promise.all([
      makeKeyAndCert(dir),
      hashPassword("bob-tls-pass"),
    ]);
    await Deno.writeTextFile(
      `${dir}/policy.yaml`,
      `users:\n  bob:\n    password_hash: "${hash}"\n    repos: ["bob/*"]\n    actions: ["pull", "push"]\n`,
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      [
        `issuer: ${ISSUER}`,
        `audience: ${SERVICE}`,
        "rs256_private_key_path: k.pem",
        "x5c_chain_path: cert.pem",
        "policy_path: policy.yaml",
        'service: { host: "127.0.0.1", tls: { cert_path: tls.pem, key_path: tls.key } }',
        "",
      ].join("\n"),
    );
    await Deno.copyFile(pki.server.cert, `${dir}/tls.pem`);
    await Deno.copyFile(pki.server.key, `${dir}/tls.key`);
    kp = await start(dir, ["--workers", "1"]);
    const realm = `https://127.0.0.1:${kp.port}/v2/token`;

    // The registry over TLS with the same CA's certificate, token auth pointing at the realm.
    const regPort = freePort();
    await Deno.writeTextFile(
      `${dir}/registry.yml`,
      [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        `    rootdirectory: ${JSON.stringify(`${dir}/storage`)}`,
        "http:",
        `  addr: 127.0.0.1:${regPort}`,
        `  secret: ${JSON.stringify(crypto.randomUUID())}`,
        "  tls:",
        `    certificate: ${JSON.stringify(pki.server.cert)}`,
        `    key: ${JSON.stringify(pki.server.key)}`,
        "auth:",
        "  token:",
        `    realm: ${JSON.stringify(realm)}`,
        `    service: ${SERVICE}`,
        `    issuer: ${ISSUER}`,
        `    rootcertbundle: ${JSON.stringify(tokenCert)}`,
        "",
      ].join("\n"),
    );
    const reg = cleanup.daemon(
      spawnDaemon("docker-registry", ["serve", `${dir}/registry.yml`], { cwd: dir }),
    );
    await waitTls(regPort, pki.ca, "docker-registry", () => reg.lines);

    // skopeo trusts the CA through a certs directory (ca.crt), for the registry and the realm.
    const certs = `${dir}/certs.d`;
    await Deno.mkdir(certs);
    await Deno.copyFile(pki.ca, `${certs}/ca.crt`);
    const skopeo = await Skopeo.create(dir);
    const layout = `${dir}/image`;
    const digest = await buildOciImage(layout, "hello over https\n");
    const ref = `docker://127.0.0.1:${regPort}/bob/app:latest`;
    const push = await skopeo.run([
      "copy",
      "--retry-times",
      "0",
      "--dest-cert-dir",
      certs,
      "--dest-creds",
      "bob:bob-tls-pass",
      `oci:${layout}:latest`,
      ref,
    ]);
    assert.equal(push.code, 0, `push: ${push.stderr}`);
    const pull = await skopeo.run([
      "copy",
      "--retry-times",
      "0",
      "--src-cert-dir",
      certs,
      "--src-creds",
      "bob:bob-tls-pass",
      ref,
      `oci:${dir}/out:latest`,
    ]);
    assert.equal(pull.code, 0, `pull: ${pull.stderr}`);
    assert.equal(await layoutDigest(`${dir}/out`), digest);
    const wrong = await skopeo.run([
      "copy",
      "--retry-times",
      "0",
      "--src-cert-dir",
      certs,
      "--src-creds",
      "bob:wrong",
      ref,
      `oci:${dir}/out2:latest`,
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /invalid username\/password/);

    // The realm now presents a certificate from a CA skopeo does not trust (a reload swaps it).
    await Deno.copyFile(pki.rogueServer.cert, `${dir}/tls.pem`);
    await Deno.copyFile(pki.rogueServer.key, `${dir}/tls.key`);
    const before = kp.lines.length;
    kp.child.kill("SIGHUP");
    for (let i = 0; i < 100 && !kp.lines.slice(before).some((l) => l.includes('"reload"')); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const untrusted = await skopeo.run([
      "copy",
      "--retry-times",
      "0",
      "--src-cert-dir",
      certs,
      "--src-creds",
      "bob:bob-tls-pass",
      ref,
      `oci:${dir}/out3:latest`,
    ]);
    assert.notEqual(untrusted.code, 0, "a realm the client cannot verify gives no token");
    // The refusal is at the realm (the registry's own certificate is still trusted).
    assert.match(untrusted.stderr, /v2\/token.*(x509|certificate)/i, untrusted.stderr);
  } catch (e) {
    throw new Error(
      `${e instanceof Error ? e.message : e}\n--- output ---\n${cleanup.output()}\n${
        kp?.lines.join("\n") ?? ""
      }`,
      { cause: e },
    );
  } finally {
    if (kp !== undefined) {
      kp.child.kill("SIGTERM");
      await kp.exited;
    }
    await cleanup.run();
  }
});

/**
 * TLS in the binary (`service.tls`), against the real tools: certificates made by `openssl`,
 * requests by `curl`, handshakes by `openssl s_client` (TLS 1.1 refused, ALPN), and the server
 * adapters of both runtimes for client certificates. Runs from source (Deno, with
 * --unstable-net) or the binary in KEYPEBBLE_BIN.
 */

import assert from "node:assert/strict";
import { REPO_ROOT, runKeypebble } from "../helpers/process.ts";
import {
  CLIENT_SPIFFE_ID,
  curl,
  makePki,
  type Pki,
  sClient,
  servedSubject,
} from "./tls_helpers.ts";
import { config, type Server, start } from "./workers_helpers.ts";

const VERSION = (await runKeypebble(["--version"])).stdout;
/** Which runtime's server the tested keypebble runs on. */
const RUNTIME: "deno" | "bun" = VERSION.includes("(bun") ? "bun" : "deno";

async function fixture(tls: string, extra = ""): Promise<{ dir: string; pki: Pki }> {
  const dir = await Deno.makeTempDir({ prefix: "kp-tls-" });
  const pki = await makePki(dir);
  // What the config names: copies, so a test can replace them as a renewal would.
  await Deno.copyFile(pki.server.cert, `${dir}/tls.pem`);
  await Deno.copyFile(pki.server.key, `${dir}/tls.key`);
  const secret = Array.from(crypto.getRandomValues(new Uint8Array(32)), (b) => b.toString(16))
    .join("").padEnd(64, "0");
  await Deno.writeTextFile(`${dir}/hs.secret`, secret);
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    config("https://kp.test", `${extra}service: { host: "127.0.0.1", tls: ${tls} }\n`)
      .replace('service: { host: "127.0.0.1" }\n', ""),
  );
  return { dir, pki };
}

async function stop(s: Server): Promise<number> {
  try {
    s.child.kill("SIGTERM");
  } catch {
    // gone
  }
  return await s.exited;
}

async function waitFor(s: Server, pattern: RegExp, after = 0): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const hit = s.lines.slice(after).find((l) => pattern.test(l));
    if (hit !== undefined) return hit;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no line matching ${pattern}:\n${s.lines.join("\n")}`);
}

const SERVER_TLS = "{ cert_path: tls.pem, key_path: tls.key }";

Deno.test({
  name: "HTTPS: TLS 1.2 and 1.3 only, HTTP/2 where the runtime's server offers it, no plain HTTP",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { dir, pki } = await fixture(SERVER_TLS);
  const s = await start(dir, ["--workers", "1"]);
  try {
    const startLine = JSON.parse(s.lines.find((l) => l.includes('"event":"start"'))!);
    assert.equal(startLine.scheme, "https");
    const url = `https://localhost:${s.port}`;
    const r = await curl(`${url}/healthz`, { ca: pki.ca });
    assert.equal(r.status, 200, r.stderr);
    // Deno (node:http2's server) negotiates h2 (ALPN); Bun.serve speaks HTTP/1.1 only
    assert.equal(r.version, RUNTIME === "deno" ? "2" : "1.1");
    assert.equal(startLine.alpn, RUNTIME === "deno" ? "h2,http/1.1" : "http/1.1");
    const minted = await curl(`${url}/auth`, { ca: pki.ca, data: '{"sub":"edge-1"}' });
    assert.equal(minted.status, 200, minted.body);
    assert.ok(JSON.parse(minted.body).token);
    const cert = JSON.parse(await waitFor(s, /"event":"tls_certificate"/));
    assert.equal(cert.subject, "CN=localhost");
    assert.deepEqual(cert.san_dns, ["localhost"]);

    // The client is allowed TLS 1.1 (SECLEVEL=0): the refusal is the server's.
    const old = await sClient(s.port, ["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    assert.match(old, /New, \(NONE\), Cipher is \(NONE\)/, old);
    assert.match(await sClient(s.port, ["-tls1_2"]), /New, TLSv1\.2, Cipher is /);
    assert.match(await sClient(s.port, ["-tls1_3"]), /New, TLSv1\.3, Cipher is /);
    const alpn = await sClient(s.port, ["-alpn", "h2,http/1.1"]);
    if (RUNTIME === "deno") assert.match(alpn, /ALPN protocol: h2/);
    else assert.match(alpn, /No ALPN negotiated/);

    // The same port does not answer plain HTTP.
    const plain = await fetch(`http://127.0.0.1:${s.port}/healthz`).then(
      (res) => res.status,
      () => "refused",
    );
    assert.notEqual(plain, 200);
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "a reload swaps the certificate without cutting a request in flight; a bad pair keeps the old one and says why",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { dir, pki } = await fixture(SERVER_TLS);
  const s = await start(dir, ["--workers", "1"]);
  const caCert = await Deno.readTextFile(pki.ca);
  try {
    assert.equal(await servedSubject(s.port), "CN = localhost");
    // A request in flight across the swap: headers and half the body now, the rest after.
    const conn = await Deno.connectTls({ hostname: "localhost", port: s.port, caCerts: [caCert] });
    const body = '{"sub":"in-flight"}';
    const enc = new TextEncoder();
    await conn.write(
      enc.encode(
        `POST /auth HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
          `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body.slice(0, 6)}`,
      ),
    );
    await new Promise((r) => setTimeout(r, 200));

    await Deno.copyFile(pki.server2.cert, `${dir}/tls.pem`);
    await Deno.copyFile(pki.server2.key, `${dir}/tls.key`);
    const before = s.lines.length;
    s.child.kill("SIGHUP");
    const reload = JSON.parse(await waitFor(s, /"event":"reload"/, before));
    assert.equal(reload.outcome, "success", JSON.stringify(reload));
    const swapped = JSON.parse(await waitFor(s, /"event":"tls_certificate"/, before));
    assert.equal(swapped.subject, "CN=localhost two");
    // New handshakes get the new certificate at once (Deno: the same listener's context;
    // Bun: a second listener on the port, the first one stopped accepting).
    for (let i = 0; i < 4; i++) assert.equal(await servedSubject(s.port), "CN = localhost two");

    await conn.write(enc.encode(body.slice(6)));
    const answer = new TextDecoder().decode(await new Response(conn.readable).arrayBuffer());
    assert.match(answer, /^HTTP\/1\.1 200/, answer);
    assert.match(answer, /"token":"ey/);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 4; i++) assert.equal(await servedSubject(s.port), "CN = localhost two");

    // A key that is not the certificate's: the reload fails, the pair served stays.
    await Deno.copyFile(pki.server.key, `${dir}/tls.key`);
    const mark = s.lines.length;
    s.child.kill("SIGHUP");
    const failed = JSON.parse(await waitFor(s, /"event":"reload"/, mark));
    assert.equal(failed.outcome, "failure");
    assert.match(failed.message, /service\.tls\.key_path: does not go with the first certificate/);
    assert.match(failed.message, /still serving generation 2/);
    assert.equal(await servedSubject(s.port), "CN = localhost two");
    const health = await curl(`https://localhost:${s.port}/healthz`, { ca: pki.ca });
    const last = JSON.parse(health.body).last_reload;
    assert.equal(last.outcome, "failure");
    assert.equal(last.field, "service.tls.key_path");
    assert.ok(!health.body.includes("BEGIN"), "no key material in /healthz");
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "watch: true swaps a renewed certificate by itself",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { dir, pki } = await fixture(SERVER_TLS, "watch: true\n");
  const s = await start(dir, ["--workers", "1"]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    const before = s.lines.length;
    // What a renewal (certbot, cert-manager) does: new files in place, no signal.
    await Deno.copyFile(pki.server2.key, `${dir}/tls.key`);
    await Deno.copyFile(pki.server2.cert, `${dir}/tls.pem`);
    const swapped = JSON.parse(await waitFor(s, /"event":"tls_certificate"/, before));
    assert.equal(swapped.trigger, "file_change");
    assert.equal(await servedSubject(s.port), "CN = localhost two");
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

for (const mode of ["required", "optional"] as const) {
  Deno.test({
    name: `client certificates ${mode}: a foreign CA's certificate is refused${
      mode === "required" ? ", and no certificate" : "; none is let in"
    }; HTTP/2 and HTTP/1.1; a certificate names its policy user`,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const { dir, pki } = await fixture(
      `{ cert_path: tls.pem, key_path: tls.key, client_ca_path: ca.pem${
        mode === "optional" ? ", client_certificates: optional" : ""
      } }`,
      "policy_path: policy.yaml\n",
    );
    // The trust model maps a verified certificate to a policy user by its SPIFFE ID (URI SAN)
    // or its common name (src/trust/users.ts).
    await Deno.writeTextFile(
      `${dir}/policy.yaml`,
      'users:\n  alice:\n    repos: ["edge/*"]\n    actions: ["pull"]\n',
    );
    const s = await start(dir, ["--workers", "1"]);
    try {
      const startLine = JSON.parse(s.lines.find((l) => l.includes('"event":"start"'))!);
      assert.equal(startLine.alpn, "h2,http/1.1", "the client-certificate server does h2");
      const cert = JSON.parse(await waitFor(s, /"event":"tls_certificate"/));
      assert.equal(cert.client_certificates, mode);
      assert.deepEqual(cert.client_cas, ["CN=Keypebble Test CA"]);
      const url = `https://localhost:${s.port}/healthz`;
      for (const http1 of [false, true]) {
        const good = await curl(url, { ca: pki.ca, cert: pki.client, http1 });
        assert.equal(good.status, 200, good.stderr);
        assert.equal(good.version, http1 ? "1.1" : "2");
        const rogue = await curl(url, { ca: pki.ca, cert: pki.rogueClient, http1 });
        assert.notEqual(rogue.status, 200, "a certificate from another CA is refused");
        const none = await curl(url, { ca: pki.ca, http1 });
        if (mode === "required") assert.notEqual(none.status, 200, "no certificate, no entry");
        else assert.equal(none.status, 200, none.stderr);
      }
      // The certificate is the caller: the token's subject is the policy user it names, and it
      // may not ask for another one.
      const minted = await curl(`https://localhost:${s.port}/auth`, {
        ca: pki.ca,
        cert: pki.client,
        data: "{}",
      });
      assert.equal(minted.status, 200, minted.body);
      assert.equal(JSON.parse(minted.body).claims.sub, "alice");
      const other = await curl(`https://localhost:${s.port}/auth`, {
        ca: pki.ca,
        cert: pki.client,
        data: '{"sub":"someone-else"}',
      });
      assert.equal(other.status, 403, other.body);
      // Verified by the CA, but no policy user: refused, never anonymous.
      const stranger = await curl(`https://localhost:${s.port}/auth`, {
        ca: pki.ca,
        cert: pki.stranger,
        data: "{}",
      });
      assert.equal(stranger.status, 401, stranger.body);
      assert.match(stranger.body, /names no user of the policy/);
    } finally {
      assert.equal(await stop(s), 0);
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** Run tests/e2e/fixtures/tls_echo.ts with `cmd` and wait for its port. */
async function echo(
  cmd: string[],
  args: string[],
): Promise<{ port: number; child: Deno.ChildProcess; out: () => string }> {
  const port = (() => {
    const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const p = (l.addr as Deno.NetAddr).port;
    l.close();
    return p;
  })();
  const child = new Deno.Command(cmd[0], {
    args: [...cmd.slice(1), `${REPO_ROOT}tests/e2e/fixtures/tls_echo.ts`, String(port), ...args],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const pump = (async () => {
    for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) text += c;
  })();
  const errs = (async () => {
    for await (const c of child.stderr.pipeThrough(new TextDecoderStream())) text += c;
  })();
  for (let i = 0; i < 300 && !text.includes("listening"); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!text.includes("listening")) {
    child.kill("SIGKILL");
    await Promise.all([pump, errs]);
    throw new Error(`echo server did not start:\n${text}`);
  }
  return { port, child, out: () => text };
}

const RUNTIMES: Record<"deno" | "bun", string[]> = {
  deno: [Deno.execPath(), "run", "--quiet", "-A", "--unstable-net"],
  bun: ["bun", "run"],
};

for (const [rt, cmd] of Object.entries(RUNTIMES)) {
  Deno.test({
    name:
      `${rt}: the server adapter hands the verified client certificate (subject, SPIFFE ID, DNS) to the handler`,
    sanitizeResources: false,
    sanitizeOps: false,
  }, async () => {
    const dir = await Deno.makeTempDir({ prefix: "kp-tls-echo-" });
    const pki = await makePki(dir);
    const e = await echo(cmd, [pki.server.cert, pki.server.key, pki.ca]);
    try {
      for (const http1 of [false, true]) {
        const r = await curl(`https://localhost:${e.port}/who`, {
          ca: pki.ca,
          cert: pki.client,
          http1,
          data: "{}",
        });
        assert.equal(r.status, 200, `${r.stderr}\n${e.out()}`);
        const seen = JSON.parse(r.body);
        assert.deepEqual(seen.peerCertificate, {
          subject: "O=Edge,CN=alice",
          sanUris: [CLIENT_SPIFFE_ID],
          sanDns: ["web.example.org"],
        });
        assert.equal(seen.remoteAddr, "127.0.0.1");
        assert.equal(seen.url, `https://localhost:${e.port}/who`);
        assert.equal(seen.body, "{}");
      }
    } finally {
      e.child.kill("SIGTERM");
      await e.child.status;
    }
    // Without a client CA no certificate is asked for (Bun: Bun.serve; Deno: node:http2 again).
    const plain = await echo(cmd, [pki.server.cert, pki.server.key]);
    try {
      const r = await curl(`https://localhost:${plain.port}/who`, { ca: pki.ca, cert: pki.client });
      assert.equal(r.status, 200, r.stderr);
      assert.equal(JSON.parse(r.body).peerCertificate, null);
    } finally {
      plain.child.kill("SIGTERM");
      await plain.child.status;
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test({
  name: "two workers serve HTTPS on one port and both swap the certificate on SIGHUP",
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const { dir, pki } = await fixture(SERVER_TLS);
  const s = await start(dir, ["--workers", "2"]);
  try {
    for (let i = 0; i < 6; i++) assert.equal(await servedSubject(s.port), "CN = localhost");
    await Deno.copyFile(pki.server2.cert, `${dir}/tls.pem`);
    await Deno.copyFile(pki.server2.key, `${dir}/tls.key`);
    const before = s.lines.length;
    s.child.kill("SIGHUP");
    const reload = JSON.parse(await waitFor(s, /"event":"reload"/, before));
    assert.equal(reload.outcome, "success");
    assert.equal(reload.workers, 2);
    await new Promise((r) => setTimeout(r, 200));
    // Fresh handshakes land on either worker: every one gets the new certificate.
    for (let i = 0; i < 10; i++) assert.equal(await servedSubject(s.port), "CN = localhost two");
    const r = await curl(`https://localhost:${s.port}/healthz`, { ca: pki.ca });
    assert.equal(JSON.parse(r.body).generation, 2);
  } finally {
    assert.equal(await stop(s), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

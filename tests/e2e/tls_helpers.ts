/**
 * A small PKI made with the real `openssl` for the TLS suites: a CA, server certificates for
 * `localhost` / `127.0.0.1`, a client certificate with a SPIFFE ID, and a second, untrusted CA
 * with its own client and server certificates. Plus `curl` and `openssl s_client` runners.
 */

import { run } from "../helpers/process.ts";

/** File paths of everything {@link makePki} made (keys are PKCS#8 PEM, mode 0600). */
export interface Pki {
  readonly dir: string;
  readonly ca: string;
  readonly server: { cert: string; key: string };
  /** A second server certificate (another subject) from the same CA, for swaps. */
  readonly server2: { cert: string; key: string };
  /** CN=alice, O=Edge; SAN URI spiffe://example.org/ns/prod/sa/web, DNS web.example.org. */
  readonly client: { cert: string; key: string };
  /** CN=stranger, from the same CA: verified, but named in no policy. */
  readonly stranger: { cert: string; key: string };
  readonly rogueCa: string;
  /** Signed by the rogue CA (same names as `client`). */
  readonly rogueClient: { cert: string; key: string };
  /** Signed by the rogue CA, for localhost / 127.0.0.1. */
  readonly rogueServer: { cert: string; key: string };
}

/** The client certificate's SPIFFE ID. */
export const CLIENT_SPIFFE_ID = "spiffe://example.org/ns/prod/sa/web";

async function _key(path: string): Promise<void> {
  await run("openssl", [
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    path,
  ]);
  await Deno.chmod(path, 0o600);
}

async function _ca(dir: string, name: string, cn: string): Promise<string> {
  await _key(`${dir}/${name}.key`);
  await run("openssl", [
    "req",
    "-x509",
    "-new",
    "-key",
    `${dir}/${name}.key`,
    "-out",
    `${dir}/${name}.pem`,
    "-days",
    "3",
    "-subj",
    `/CN=${cn}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return `${dir}/${name}.pem`;
}

async function _leaf(
  dir: string,
  name: string,
  ca: string,
  subj: string,
  ext: string,
): Promise<{ cert: string; key: string }> {
  await _key(`${dir}/${name}.key`);
  await run("openssl", [
    "req",
    "-new",
    "-key",
    `${dir}/${name}.key`,
    "-out",
    `${dir}/${name}.csr`,
    "-subj",
    subj,
  ]);
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    `${dir}/${name}.csr`,
    "-CA",
    ca,
    "-CAkey",
    ca.replace(/\.pem$/, ".key"),
    // A random serial per certificate (-CAcreateserial shares one file, which parallel runs race on)
    "-set_serial",
    `0x${
      Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0"))
        .join("")
    }`,
    "-out",
    `${dir}/${name}.pem`,
    "-days",
    "2",
    "-extfile",
    `${dir}/${name}.ext`,
  ]);
  return { cert: `${dir}/${name}.pem`, key: `${dir}/${name}.key` };
}

const SERVER_EXT =
  "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n";
const CLIENT_EXT =
  `subjectAltName=URI:${CLIENT_SPIFFE_ID},DNS:web.example.org\nextendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n`;

/** Make the PKI in `dir`. */
export async function makePki(dir: string): Promise<Pki> {
  const ca = await _ca(dir, "ca", "Keypebble Test CA");
  const rogueCa = await _ca(dir, "rogue-ca", "Rogue CA");
  const [server, server2, client, stranger, rogueClient, rogueServer] = await Promise.all([
    _leaf(dir, "server", ca, "/CN=localhost", SERVER_EXT),
    _leaf(dir, "server2", ca, "/CN=localhost two", SERVER_EXT),
    _leaf(dir, "client", ca, "/CN=alice/O=Edge", CLIENT_EXT),
    _leaf(dir, "stranger", ca, "/CN=stranger", "extendedKeyUsage=clientAuth\n"),
    _leaf(dir, "rogue-client", rogueCa, "/CN=alice/O=Edge", CLIENT_EXT),
    _leaf(dir, "rogue-server", rogueCa, "/CN=localhost", SERVER_EXT),
  ]);
  return { dir, ca, server, server2, client, stranger, rogueCa, rogueClient, rogueServer };
}

/** `curl` over TLS trusting `ca`; resolves to the exit code, status, HTTP version and body. */
export async function curl(
  url: string,
  o: {
    ca: string;
    cert?: { cert: string; key: string };
    http1?: boolean;
    data?: string;
    headers?: string[];
  },
): Promise<{ code: number; status: number; version: string; body: string; stderr: string }> {
  const out = await new Deno.Command("curl", {
    args: [
      "-sS",
      "--max-time",
      "10",
      "--cacert",
      o.ca,
      ...(o.cert === undefined ? [] : ["--cert", o.cert.cert, "--key", o.cert.key]),
      ...(o.http1 ? ["--http1.1"] : []),
      ...(o.data === undefined ? [] : ["-H", "content-type: application/json", "--data", o.data]),
      ...(o.headers ?? []).flatMap((h) => ["-H", h]),
      "-w",
      "\n%{http_code} %{http_version}",
      url,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const nl = text.lastIndexOf("\n");
  const [status, version] = text.slice(nl + 1).split(" ");
  return {
    code: out.code,
    status: Number(status),
    version,
    body: text.slice(0, Math.max(0, nl)),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** `openssl s_client` once (stdin closed at once); resolves to everything it printed. */
export async function sClient(port: number, args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args: ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

/** The subject of the certificate a server presents now (a fresh handshake). */
export async function servedSubject(port: number): Promise<string> {
  const text = await sClient(port, []);
  return /subject=(.*)/.exec(text)?.[1]?.trim() ?? `(no certificate)\n${text}`;
}

/**
 * `service.tls` files read and checked, once per runtime build (start, every reload, `check`):
 * the certificate chain, its private key and, for client certificates, the CA bundle. A bad pair
 * fails the build, so `check` exits 2 and a reload keeps the pair already served, saying why.
 *
 * What is checked: every file reads and holds PEM; the chain's first certificate is the key's
 * (a signature made with the key verifies with the certificate); the key is RSA ≥ 2048 bits,
 * EC P-256/P-384 or Ed25519 (what both runtimes' TLS libraries take); the leaf is valid now.
 * Warned about: a leaf expiring within 21 days, a key file other users can read, a client CA
 * bundle entry that is not a CA.
 */

import { type Config, fieldWhere } from "../config/mod.ts";
import { KeypebbleError } from "../errors.ts";
import {
  assertKeyMatchesCertificate,
  type Certificate,
  parseCertificate,
  parseCertificateChainPem,
} from "../jose/mod.ts";
import { type BuildNotice, FileMissingError, type RuntimeIo } from "../platform/io.ts";

/** Days before a certificate's end from which start and `check` warn. */
export const EXPIRY_WARNING_DAYS = 21;

/** What a server needs to speak TLS, already checked. Built by {@link loadTlsMaterial}. */
export interface TlsMaterial {
  /** The certificate chain, PEM, leaf first. */
  readonly cert: string;
  /**
   * The private key PEM. A function, not a field, so the key never lands in a JSON dump, a log
   * line or a structured clone of a runtime by accident.
   */
  key(): string;
  /** CA bundle PEM that client certificates must chain to; absent: no client certificates. */
  readonly clientCa?: string;
  readonly clientCertificates: "required" | "optional";
  /** The leaf certificate, read. */
  readonly leaf: Certificate;
  readonly chainLength: number;
  /** The client CAs, read (empty without `client_ca_path`). */
  readonly clientCas: readonly Certificate[];
  /** SHA-256 of everything above: a reload swaps certificates only when it changed. */
  readonly id: string;
}

/**
 * Read and check `config.tls`; undefined when the config has no `service.tls`.
 *
 * @throws {KeypebbleError} `config_invalid` naming the file, the field and the problem
 */
export async function loadTlsMaterial(
  config: Config,
  io: RuntimeIo,
  options: { readonly now: number; readonly notices: BuildNotice[] },
): Promise<TlsMaterial | undefined> {
  const tls = config.tls;
  if (tls === undefined) return undefined;
  const where = (f: string) => fieldWhere(config, `service.tls.${f}`);
  const fail = (f: string, problem: string, cause?: unknown): never => {
    const why = cause instanceof KeypebbleError ? `: ${cause.message}` : "";
    throw new KeypebbleError("config_invalid", `${where(f)}: ${problem}${why}`, { cause });
  };
  const read = async (f: string, path: string): Promise<string> => {
    try {
      return await io.readTextFile(path);
    } catch (e) {
      return fail(f, `cannot read "${path}": ${_readFailure(e)}`);
    }
  };
  const certText = await read("cert_path", tls.certPath);
  const keyText = await read("key_path", tls.keyPath);
  const caText = tls.clientCaPath === undefined
    ? undefined
    : await read("client_ca_path", tls.clientCaPath);

  let chain: Uint8Array[];
  try {
    chain = parseCertificateChainPem(certText);
  } catch (e) {
    if (/PRIVATE KEY-----/.test(certText)) {
      return fail("cert_path", "holds a private key, not a certificate chain");
    }
    return fail("cert_path", "is not a PEM certificate chain", e);
  }
  let leaf: Certificate;
  try {
    leaf = parseCertificate(chain[0]);
    for (const der of chain.slice(1)) parseCertificate(der);
  } catch (e) {
    return fail("cert_path", "a certificate of the chain cannot be read", e);
  }
  if (/-----BEGIN CERTIFICATE-----/.test(keyText) && !/PRIVATE KEY-----/.test(keyText)) {
    fail("key_path", "holds a certificate, not a private key");
  }
  try {
    await assertKeyMatchesCertificate(keyText, leaf);
  } catch (e) {
    fail("key_path", `does not go with the first certificate of "${tls.certPath}"`, e);
  }
  const day = 86_400_000;
  const ends = new Date(leaf.notAfter).toISOString();
  if (leaf.notAfter <= options.now) {
    fail("cert_path", `the certificate "${leaf.subject}" expired on ${ends}`);
  }
  if (leaf.notBefore > options.now) {
    fail(
      "cert_path",
      `the certificate "${leaf.subject}" is not valid before ${
        new Date(leaf.notBefore).toISOString()
      }`,
    );
  }
  if (leaf.notAfter - options.now < EXPIRY_WARNING_DAYS * day) {
    options.notices.push({
      level: "warn",
      event: "tls_certificate_expiring",
      fields: {
        field: "service.tls.cert_path",
        message: `The certificate "${leaf.subject}" expires on ${ends}; renew it and reload`,
      },
    });
  }
  if (io.fileMode !== undefined) {
    const mode = await io.fileMode(tls.keyPath);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      options.notices.push({
        level: "warn",
        event: "key_file_permissions",
        fields: {
          field: "service.tls.key_path",
          mode: `0${(mode & 0o777).toString(8)}`,
          message: "The TLS private key file is readable by other users; chmod 600 it",
        },
      });
    }
  }
  let clientCas: Certificate[] = [];
  if (caText !== undefined) {
    try {
      clientCas = parseCertificateChainPem(caText).map(parseCertificate);
    } catch (e) {
      fail("client_ca_path", "is not a PEM bundle of CA certificates", e);
    }
    for (const ca of clientCas) {
      if (!ca.isCa) {
        options.notices.push({
          level: "warn",
          event: "config_warning",
          fields: {
            field: "service.tls.client_ca_path",
            message:
              `"${ca.subject}" is not a CA certificate (no basicConstraints cA); client certificates cannot chain to it`,
          },
        });
      }
      if (ca.notAfter <= options.now) {
        options.notices.push({
          level: "warn",
          event: "config_warning",
          fields: {
            field: "service.tls.client_ca_path",
            message: `the CA "${ca.subject}" expired on ${new Date(ca.notAfter).toISOString()}`,
          },
        });
      }
    }
  }
  const id = await _sha256Hex(
    [certText, keyText, caText ?? "", tls.clientCertificates].join("\u0000"),
  );
  return Object.freeze({
    cert: certText,
    key: () => keyText,
    ...(caText === undefined ? {} : { clientCa: caText }),
    clientCertificates: tls.clientCertificates,
    leaf,
    chainLength: chain.length,
    clientCas: Object.freeze(clientCas),
    id,
  });
}

/** Why a file could not be read, in words an operator can act on (never its content). */
function _readFailure(e: unknown): string {
  if (e instanceof FileMissingError) return "the file does not exist";
  const name = e instanceof Error ? e.name : "";
  if (
    name === "PermissionDenied" || name === "NotCapable" ||
    (e as { code?: unknown })?.code === "EACCES"
  ) {
    return "permission denied (check the file's owner and mode)";
  }
  return e instanceof Error ? e.message.split("\n")[0] : String(e);
}

async function _sha256Hex(text: string): Promise<string> {
  const d = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

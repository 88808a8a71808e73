/**
 * `keypebble healthcheck [--config FILE] [--cert FILE --key FILE] [--url URL]`: exit 0 when a
 * server answers `GET /healthz` with 2xx, 1 otherwise (a container's `HEALTHCHECK`). With
 * `--config` it probes what the config serves: its host and port (after `KEYPEBBLE_*`
 * overrides; a wildcard address is probed on loopback) and, with `service.tls`, HTTPS against
 * the configured certificate (src/server/health_probe.ts).
 */

import { parseCertificate, parseCertificateChainPem } from "../jose/mod.ts";
import type { Platform } from "../platform/platform.ts";
import { loadConfig } from "../runtime/mod.ts";
import {
  probeHealth,
  probeHttp,
  type ProbeResult,
  type ProbeTarget,
} from "../server/health_probe.ts";
import { type ParsedArgs, stringFlag, UsageError } from "./args.ts";

/** The default probe without `--config` or `--url` (the image's default port). */
export const DEFAULT_HEALTH_URL = "http://127.0.0.1:8080/healthz";

/** Run `healthcheck`; resolves to the exit code. */
export async function healthcheckCommand(p: Platform, a: ParsedArgs): Promise<number> {
  const url = stringFlag(a, "url");
  const configPath = stringFlag(a, "config");
  const cert = stringFlag(a, "cert");
  const key = stringFlag(a, "key");
  if (url !== undefined && configPath !== undefined) {
    throw new UsageError('Give "--config" or "--url", not both');
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new UsageError('"--cert" and "--key" go together');
  }
  if (cert !== undefined && configPath === undefined) {
    throw new UsageError('"--cert" needs "--config" (the server certificate to expect)');
  }
  let r: ProbeResult;
  if (configPath !== undefined) {
    const config = await loadConfig(p, configPath);
    if (
      config.tls?.clientCaPath !== undefined && config.tls.clientCertificates === "required" &&
      cert === undefined
    ) {
      // The server refuses every handshake without one: nothing to learn by connecting.
      p.stderr(
        `healthcheck failed: ${config.source}: service.tls requires a client certificate: ` +
          "pass --cert and --key\n",
      );
      return 1;
    }
    const target: ProbeTarget = {
      host: _loopbackFor(config.host),
      port: config.port,
      ...(config.tls === undefined ? {} : {
        tls: await _tlsTarget(p, config.tls.certPath, cert, key),
      }),
    };
    r = await probeHealth(target);
  } else {
    r = await probeHttp(url ?? DEFAULT_HEALTH_URL);
  }
  if (r.ok) {
    p.stdout(`ok: ${r.message}\n`);
    return 0;
  }
  p.stderr(`healthcheck failed: ${r.message}\n`);
  return 1;
}

/** A wildcard listen address is reached on loopback. */
function _loopbackFor(host: string): string {
  if (host === "0.0.0.0") return "127.0.0.1";
  if (host === "::" || host === "[::]") return "::1";
  return host.replace(/^\[(.*)\]$/, "$1");
}

async function _tlsTarget(
  p: Platform,
  certPath: string,
  cert: string | undefined,
  key: string | undefined,
): Promise<NonNullable<ProbeTarget["tls"]>> {
  const leaf = parseCertificateChainPem(await p.readTextFile(certPath))[0];
  const dns = parseCertificate(leaf).sanDns.find((d) => !d.includes("*"));
  return {
    leaf,
    ...(dns === undefined ? {} : { servername: dns }),
    ...(cert === undefined
      ? {}
      : { clientCert: await p.readTextFile(cert), clientKey: await p.readTextFile(key!) }),
  };
}

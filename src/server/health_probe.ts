/**
 * `keypebble healthcheck`: one `GET /healthz` against a running server, over HTTP or over the
 * server's own TLS. Over TLS the probe does not rely on a CA store (a container's distroless
 * base has none, and a loopback address is rarely among a certificate's names): it checks that
 * the server presents exactly the certificate `service.tls.cert_path` holds, which proves more
 * than a chain would. `node:tls` is loaded only for that.
 */

/** Where to probe. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  /** Over TLS: the leaf the server must present, and a client certificate when one is needed. */
  readonly tls?: {
    readonly leaf: Uint8Array;
    /** SNI name (the leaf's first DNS name), when it has one. */
    readonly servername?: string;
    readonly clientCert?: string;
    readonly clientKey?: string;
  };
}

/** What the probe found. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly status?: number;
  readonly message: string;
}

/** `http(s)://host:port/healthz`, for messages. */
export function probeUrl(t: ProbeTarget): string {
  const h = t.host.includes(":") ? `[${t.host}]` : t.host;
  return `${t.tls === undefined ? "http" : "https"}://${h}:${t.port}/healthz`;
}

/** Probe `/healthz` once, within `timeoutMs`. */
export async function probeHealth(t: ProbeTarget, timeoutMs = 3000): Promise<ProbeResult> {
  const url = probeUrl(t);
  if (t.tls === undefined) return await probeHttp(url, timeoutMs);
  return await _probeTls(t, t.tls, url, timeoutMs);
}

/** `GET url` once with the runtime's fetch (its own CA store for https). */
export async function probeHttp(url: string, timeoutMs = 3000): Promise<ProbeResult> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.text()).slice(0, 300);
    return res.ok
      ? { ok: true, status: res.status, message: `${url} answered ${res.status}` }
      : { ok: false, status: res.status, message: `${url} answered ${res.status}: ${body}` };
  } catch (e) {
    return { ok: false, message: `cannot reach ${url}: ${_msg(e)}` };
  }
}

async function _probeTls(
  t: ProbeTarget,
  tls: NonNullable<ProbeTarget["tls"]>,
  url: string,
  timeoutMs: number,
): Promise<ProbeResult> {
  const { connect } = await import("node:tls");
  return await new Promise<ProbeResult>((resolve) => {
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => done({ ok: false, message: `${url} did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    // The server's certificate is compared byte for byte with the configured one below, which
    // is why the chain is not verified here.
    const sock = connect({
      host: t.host,
      port: t.port,
      ...(tls.servername === undefined ? {} : { servername: tls.servername }),
      rejectUnauthorized: false,
      ALPNProtocols: ["http/1.1"],
      minVersion: "TLSv1.2",
      ...(tls.clientCert === undefined ? {} : { cert: tls.clientCert, key: tls.clientKey }),
    }, () => {
      const raw = (sock.getPeerCertificate(false) as { raw?: Uint8Array } | null)?.raw;
      if (raw === undefined || !_same(new Uint8Array(raw), tls.leaf)) {
        done({
          ok: false,
          message: `${url} presents another certificate than service.tls.cert_path holds`,
        });
        return;
      }
      sock.write(`GET /healthz HTTP/1.1\r\nhost: ${t.host}\r\nconnection: close\r\n\r\n`);
    });
    let text = "";
    sock.setEncoding("latin1");
    sock.on("data", (d: string) => {
      text += d;
      if (text.length > 65_536) text = text.slice(0, 65_536);
    });
    sock.on("end", () => {
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      if (m === null) {
        done({ ok: false, message: `${url} gave no HTTP answer` });
        return;
      }
      const status = Number(m[1]);
      const body = text.slice(text.indexOf("\r\n\r\n") + 4, text.indexOf("\r\n\r\n") + 304);
      done(
        status >= 200 && status < 300
          ? { ok: true, status, message: `${url} answered ${status}` }
          : { ok: false, status, message: `${url} answered ${status}: ${body}` },
      );
    });
    sock.on("error", (e: unknown) => {
      const m = _msg(e);
      done({
        ok: false,
        message: /certificate.?required|CERTIFICATE_REQUIRED|alert number 116/i.test(m)
          ? `${url} requires a client certificate: pass --cert and --key`
          : `cannot reach ${url}: ${m}`,
      });
    });
  });
}

function _same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

function _msg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

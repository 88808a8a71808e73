/**
 * The client certificate a TLS handshake verified, as the handler sees it (`ConnInfo`). The
 * server adapters parse it once per connection; routes map it to a caller (a policy user by
 * subject, a SPIFFE ID by URI SAN).
 */

import type { PeerCertificate } from "../platform/platform.ts";
import { parseCertificate } from "../jose/mod.ts";

export type { PeerCertificate };

/**
 * The facts of a verified client certificate from its DER, or undefined when it cannot be read
 * (the TLS library verified it, so that does not happen short of a library bug).
 */
export function peerCertificateOf(der: Uint8Array): PeerCertificate | undefined {
  try {
    const c = parseCertificate(der);
    return Object.freeze({ subject: c.subject, sanUris: c.sanUris, sanDns: c.sanDns });
  } catch {
    return undefined;
  }
}

/**
 * The one client address every limit, lockout, block and the access log use.
 *
 * A peer outside `trusted_proxies` is the client. A trusted proxy speaks for its clients: the
 * client is the rightmost entry of `trusted_proxy_header` (default `X-Forwarded-For`) that is not
 * itself a trusted proxy. Rightmost, because every proxy appends the address it saw (nginx's
 * `$proxy_add_x_forwarded_for`), so entries to the left of the last trusted hop were written by
 * the client and prove nothing; `X-Real-IP` from a client is never read unless the operator names
 * it as the header (then its single value is taken as the proxy set it).
 *
 * When a trusted proxy sends no usable header, the address is unknown: per-address limits,
 * lockouts and blocks do not apply (limiting the proxy would throttle all its clients), and the
 * caller is limited per principal instead.
 *
 * @module
 */

import { type Cidr, cidrContains } from "./cidr.ts";

/** The client address of one request. */
export interface ClientAddress {
  /** The address (the peer when nothing better is known). */
  readonly address: string;
  /** False when a trusted proxy did not say who its client is. */
  readonly known: boolean;
}

const MAX_HEADER = 2048;
const MAX_ENTRY = 64;
/** An IPv4 or IPv6 literal (optionally bracketed, with a port), without anything else. */
const ADDRESS = /^[0-9A-Fa-f:.[\]%a-zA-Z_-]{2,64}$/;

/**
 * Work out the client address.
 *
 * @param peer the TCP peer as the socket saw it
 * @param header the value of the configured header, or null
 * @param trusted `trusted_proxies`
 * @param peerIsTrusted whether `peer` is inside `trusted` (already worked out by the caller)
 */
export function clientAddress(
  peer: string,
  header: string | null,
  trusted: readonly Cidr[],
  peerIsTrusted: boolean,
): ClientAddress {
  if (!peerIsTrusted) return { address: peer, known: true };
  if (header === null || header.length > MAX_HEADER) return { address: peer, known: false };
  const entries = header.split(",");
  for (let i = entries.length - 1; i >= 0; i--) {
    const a = _strip(entries[i].trim());
    if (a === undefined) return { address: peer, known: false };
    if (!cidrContains(trusted, a)) return { address: a, known: true };
  }
  return { address: peer, known: false };
}

/** An entry without brackets or a port, or undefined when it is not an address. */
function _strip(entry: string): string | undefined {
  if (entry.length === 0 || entry.length > MAX_ENTRY || !ADDRESS.test(entry)) return undefined;
  // "[2001:db8::1]:443" → "2001:db8::1"; "192.0.2.1:8080" → "192.0.2.1"
  if (entry.startsWith("[")) {
    const end = entry.indexOf("]");
    return end > 1 ? entry.slice(1, end) : undefined;
  }
  const colons = entry.split(":").length - 1;
  if (colons === 1) return entry.slice(0, entry.indexOf(":"));
  return entry;
}

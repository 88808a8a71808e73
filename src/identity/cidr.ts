/**
 * CIDR blocks (RFC 4632 §3.1 for IPv4, RFC 4291 §2.3 for IPv6), parsed into bytes. Used for
 * `trusted_proxies`: the peers allowed to assert `X-Authenticated-User`.
 *
 * An IPv4-mapped IPv6 address (`::ffff:127.0.0.1`, RFC 4291 §2.5.5.2) is treated as the IPv4
 * address it carries, both in blocks and in the addresses tested against them.
 *
 * @example
 * ```ts
 * const trusted = ["127.0.0.1", "10.0.0.0/8", "::1/128"].map(parseCidr);
 * cidrContains(trusted, "::ffff:10.1.2.3"); // true
 * ```
 * @module
 */

import { KeypebbleError } from "../errors.ts";

/** A parsed CIDR block; bits beyond the prefix are zero. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/** Dotted-quad IPv4 (RFC 791 text form): four decimal octets, no leading zeros. */
function _parseV4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    // Leading zeros are refused: some parsers read them as octal.
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** IPv6 text form (RFC 4291 §2.2), including `::` and a trailing dotted quad. */
function _parseV6(s: string): Uint8Array | null {
  if (s.length === 0 || s.length > 45) return null;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = (text: string): number[] | null => {
    if (text === "") return [];
    const out: number[] = [];
    const parts = text.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = _parseV4(p);
        if (v4 === null) return null;
        out.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return null;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === null || tail === null) return null;
  // A dotted quad may only end the address.
  if (halves.length === 2 && halves[0].includes(".")) return null;
  let words: number[];
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return null;
    words = [...head, ...new Array<number>(missing).fill(0), ...tail];
  } else {
    if (head.length !== 8) return null;
    words = head;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

function _isMapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** Parses an address into family and bytes, unwrapping IPv4-mapped IPv6. */
function _parseAddress(s: string): { family: 4 | 6; bytes: Uint8Array } | null {
  if (s.includes(":")) {
    const b = _parseV6(s);
    if (b === null) return null;
    return _isMapped(b) ? { family: 4, bytes: b.slice(12) } : { family: 6, bytes: b };
  }
  const b = _parseV4(s);
  return b === null ? null : { family: 4, bytes: b };
}

function _mask(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - 8 * i));
    out[i] &= bits === 0 ? 0 : (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/**
 * Parses `address/prefix` or a bare address (a /32 or /128 block). Host bits beyond the prefix
 * are cleared. An IPv4-mapped IPv6 block with a prefix of at least 96 becomes an IPv4 block.
 *
 * @throws {KeypebbleError} `config_invalid` for anything that is not a valid block
 */
export function parseCidr(s: string): Cidr {
  const bad = (): KeypebbleError =>
    new KeypebbleError(
      "config_invalid",
      `CIDR ${JSON.stringify(s.slice(0, 100))} is not a valid address or prefix`,
    );
  const slash = s.indexOf("/");
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const isV6Text = addrText.includes(":");
  const parsedV6 = isV6Text ? _parseV6(addrText) : null;
  const parsedV4 = isV6Text ? null : _parseV4(addrText);
  const raw = parsedV6 ?? parsedV4;
  if (raw === null) throw bad();
  const max = raw.length * 8;
  let prefix = max;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(p)) throw bad();
    prefix = Number(p);
    if (prefix > max) throw bad();
  }
  if (raw.length === 16 && _isMapped(raw) && prefix >= 96) {
    return { family: 4, bytes: _mask(raw.slice(12), prefix - 96), prefix: prefix - 96 };
  }
  return { family: raw.length === 4 ? 4 : 6, bytes: _mask(raw, prefix), prefix };
}

/**
 * True when `addr` lies in any block of `list`. `addr` may be bracketed (`[::1]`) and carry an
 * IPv6 zone (`fe80::1%eth0`, which is ignored). Unparseable addresses are in no block.
 */
export function cidrContains(list: readonly Cidr[], addr: string): boolean {
  if (list.length === 0) return false;
  let text = addr;
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  const zone = text.indexOf("%");
  if (zone >= 0 && text.includes(":")) text = text.slice(0, zone);
  const a = _parseAddress(text);
  if (a === null) return false;
  for (const c of list) {
    if (c.family !== a.family) continue;
    const masked = _mask(a.bytes, c.prefix);
    let same = true;
    for (let i = 0; i < masked.length; i++) {
      if (masked[i] !== c.bytes[i]) {
        same = false;
        break;
      }
    }
    if (same) return true;
  }
  return false;
}

/** Answers of {@link cidrContainsCached}, per list. */
const _answers = new WeakMap<readonly Cidr[], Map<string, boolean>>();
/** Most addresses remembered per list (a flood of fresh addresses only costs a clear). */
const MAX_REMEMBERED = 4096;

/**
 * {@link cidrContains}, remembered per list and address: a server asks it of the same few peers
 * (its proxies, its clients' keep-alive connections) on every request, and parsing an address
 * is most of the work.
 */
export function cidrContainsCached(list: readonly Cidr[], addr: string): boolean {
  if (list.length === 0) return false;
  let m = _answers.get(list);
  if (m === undefined) _answers.set(list, m = new Map());
  let r = m.get(addr);
  if (r === undefined) {
    r = cidrContains(list, addr);
    if (m.size >= MAX_REMEMBERED) m.clear();
    m.set(addr, r);
  }
  return r;
}

/**
 * IP addresses as text: the dotted quad, and the IPv6 text forms of RFC 4291
 * section 2.2 ("::" for one or more zero groups, an IPv4 tail) read into
 * bytes; bytes written back in RFC 5952's canonical form.
 *
 * For SDP connection lines, reports, the generator and probe targets: these
 * build strings and arrays, so they stay off the per-packet path.
 */
import { IPV4_ADDR_LEN } from './ipv4.js';
import { IPV6_ADDR_LEN } from './ipv6.js';

const IPV6_GROUPS = 8;
/** The longest IPv6 text: ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255. */
const IPV6_TEXT_MAX_LEN = 45;

/** 0 to 999 without a leading zero: "010" is octal to inet_aton, so inet_pton and Node.js refuse it, and so does this. */
const DECIMAL_OCTET = /^(?:0|[1-9]\d{0,2})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** "192.0.2.1" → 4 bytes; null when it is not a dotted quad of 0–255 (no leading zeros). */
export function parseIpv4Text(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== IPV4_ADDR_LEN) return null;
  const out = new Uint8Array(IPV4_ADDR_LEN);
  for (let i = 0; i < IPV4_ADDR_LEN; i++) {
    if (!DECIMAL_OCTET.test(parts[i])) return null;
    const n = Number(parts[i]);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** "2001:db8::1", "::ffff:192.0.2.1" → 16 bytes; null when it is not an IPv6 address. */
export function parseIpv6Text(text: string): Uint8Array | null {
  if (text.length === 0 || text.length > IPV6_TEXT_MAX_LEN) return null;
  let body = text;
  let ipv4Tail: Uint8Array | null = null;
  // An IPv4 tail stands for the last two groups, and only at the very end.
  if (body.includes('.')) {
    const lastColon = body.lastIndexOf(':');
    if (lastColon < 0) return null;
    ipv4Tail = parseIpv4Text(body.slice(lastColon + 1));
    if (ipv4Tail === null) return null;
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const left = halves[0] === '' ? [] : halves[0].split(':');
  const right = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const missing = IPV6_GROUPS - left.length - right.length;
  // Without "::" there must be eight groups; "::" stands for at least one.
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...left, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...right];
  const out = new Uint8Array(IPV6_ADDR_LEN);
  for (let i = 0; i < IPV6_GROUPS; i++) {
    if (!HEX_GROUP.test(groups[i])) return null;
    const n = parseInt(groups[i], 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  if (ipv4Tail !== null) out.set(ipv4Tail, IPV6_ADDR_LEN - IPV4_ADDR_LEN);
  return out;
}

/** Either form: 4 or 16 bytes, or null. */
export function parseIpText(text: string): Uint8Array | null {
  return parseIpv4Text(text) ?? parseIpv6Text(text);
}

/**
 * The `length` (4 or 16) address bytes at `bytes[offset]` as text: a dotted
 * quad, or RFC 5952 section 4: lower-case hex without leading zeros, the
 * longest run of two or more zero groups (the first of equal runs) as "::".
 */
export function formatIp(bytes: Uint8Array, offset = 0, length = bytes.length - offset): string {
  if (length === IPV4_ADDR_LEN) return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  const groups: number[] = [];
  for (let i = 0; i < IPV6_GROUPS; i++) groups.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  let runStart = -1;
  let runLen = 1;
  for (let i = 0; i < IPV6_GROUPS; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < IPV6_GROUPS && groups[j] === 0) j++;
    if (j - i > runLen) {
      runStart = i;
      runLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (runStart < 0) return hex(groups);
  return `${hex(groups.slice(0, runStart))}::${hex(groups.slice(runStart + runLen))}`;
}

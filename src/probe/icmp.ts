/**
 * ICMP and ICMPv6 errors and the IP header they quote.
 *
 * A router that drops a packet for its TTL sends ICMP Time Exceeded (RFC 792;
 * RFC 1812 section 4.3.2.3 asks for as much of the original datagram as fits
 * in 576 bytes) or ICMPv6 Time Exceeded (RFC 4443 section 3.3, as much as fits
 * in the minimum MTU). The quote starts with the IP header as the router
 * received it, so its DS field is the marking at that hop. RFC 4884 adds a
 * length for the quoted datagram (ICMPv4: byte 5, in 32-bit words; ICMPv6:
 * byte 4, in 64-bit words) and an extension structure after it.
 *
 * The parsers take bytes from the network: anything short, truncated,
 * unrelated or malformed gives null, never an exception.
 */
import { formatIp } from '../parse/ip-text.js';
import { PROTO_TCP, PROTO_UDP, internetChecksum, type Family } from './wire.js';

export const ICMP_ECHO_REPLY = 0;
export const ICMP_DEST_UNREACH = 3;
export const ICMP_TIME_EXCEEDED = 11;
export const ICMP_PARAMETER_PROBLEM = 12;
export const ICMP6_DEST_UNREACH = 1;
export const ICMP6_TIME_EXCEEDED = 3;
export const ICMP6_PARAMETER_PROBLEM = 4;

/** The RFC 4884 original-datagram field is at least this long when an extension follows. */
export const RFC4884_MIN_ORIGINAL = 128;

export type IcmpKind = 'time-exceeded' | 'unreachable';

/** Why a destination is unreachable, from the ICMP code. */
export type UnreachableReason = 'port' | 'host' | 'net' | 'protocol' | 'admin' | 'other';

/** The header fields of the quoted (original) datagram. */
export interface Quote {
  family: Family;
  /** DS field: DSCP << 2 | ECN. */
  tos: number;
  dscp: number;
  ecn: number;
  /** TTL or hop limit as the router received it. */
  ttl: number;
  /** IPv4 identification; null for IPv6. */
  ipId: number | null;
  /** IPv6 flow label; null for IPv4. */
  flowLabel: number | null;
  /** Transport protocol (after IPv6 extension headers). */
  protocol: number;
  src: string;
  dst: string;
  srcPort: number | null;
  dstPort: number | null;
  /** TCP sequence number, when the quote has it. */
  tcpSeq: number | null;
  /** Quoted bytes after the 8 first transport bytes (UDP payload). */
  payload: Uint8Array;
}

/** One RFC 4884 extension object (class 1: MPLS label stack, RFC 4950; class 2: interface information, RFC 5837). */
export interface ExtensionObject {
  classNum: number;
  cType: number;
  length: number;
}

export interface IcmpExtension {
  version: number;
  objects: ExtensionObject[];
}

export interface IcmpError {
  family: Family;
  /** Who sent the ICMP error. */
  from: string;
  kind: IcmpKind;
  type: number;
  code: number;
  /** For 'unreachable': the reason the code gives. */
  reason: UnreachableReason | null;
  /** RFC 4884 length of the original datagram in bytes, or null when the field is 0. */
  originalLength: number | null;
  extension: IcmpExtension | null;
  quote: Quote;
}

const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const u32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;

/**
 * An ICMPv4 error as read from a raw IPPROTO_ICMP socket: the outer IPv4
 * header, then ICMP. Null for other ICMP messages and anything malformed.
 */
export function parseIcmpV4Packet(packet: Uint8Array, from?: string): IcmpError | null {
  if (packet.length < 20 || packet[0] >> 4 !== 4) return null;
  const ihl = (packet[0] & 0x0f) * 4;
  if (ihl < 20 || packet.length < ihl + 8) return null;
  if (packet[9] !== 1) return null;
  const total = u16(packet, 2);
  const end = total >= ihl + 8 && total <= packet.length ? total : packet.length;
  const source = from ?? formatIp(packet, 12, 4);
  return parseIcmpV4(packet.subarray(ihl, end), source);
}

/** An ICMPv4 error message (no outer IP header). */
export function parseIcmpV4(icmp: Uint8Array, from: string): IcmpError | null {
  if (icmp.length < 8 + 20) return null;
  const type = icmp[0];
  const code = icmp[1];
  if (type !== ICMP_TIME_EXCEEDED && type !== ICMP_DEST_UNREACH) return null;
  if (internetChecksum(icmp) !== 0) return null;
  const lengthWords = icmp[5];
  const { original, extension, originalLength } = splitRfc4884(icmp, lengthWords * 4);
  const quote = parseQuote(original);
  if (quote === null || quote.family !== 4) return null;
  let kind: IcmpKind;
  let reason: UnreachableReason | null = null;
  if (type === ICMP_TIME_EXCEEDED) {
    if (code !== 0) return null; // code 1: fragment reassembly time exceeded
    kind = 'time-exceeded';
  } else {
    kind = 'unreachable';
    reason = v4UnreachableReason(code);
  }
  return { family: 4, from, kind, type, code, reason, originalLength, extension, quote };
}

function v4UnreachableReason(code: number): UnreachableReason {
  switch (code) {
    case 0:
    case 6:
    case 9:
    case 11:
      return 'net';
    case 1:
    case 7:
    case 10:
    case 12:
      return 'host';
    case 2:
      return 'protocol';
    case 3:
      return 'port';
    case 13:
    case 14:
    case 15:
      return 'admin';
    default:
      return 'other';
  }
}

/**
 * An ICMPv6 error as read from a raw IPPROTO_ICMPV6 socket (the kernel strips
 * the IPv6 header and has checked the checksum).
 */
export function parseIcmpV6(icmp: Uint8Array, from: string): IcmpError | null {
  if (icmp.length < 8 + 40) return null;
  const type = icmp[0];
  const code = icmp[1];
  if (type !== ICMP6_TIME_EXCEEDED && type !== ICMP6_DEST_UNREACH) return null;
  const lengthWords = icmp[4];
  const { original, extension, originalLength } = splitRfc4884(icmp, lengthWords * 8);
  const quote = parseQuote(original);
  if (quote === null || quote.family !== 6) return null;
  let kind: IcmpKind;
  let reason: UnreachableReason | null = null;
  if (type === ICMP6_TIME_EXCEEDED) {
    if (code !== 0) return null; // code 1: fragment reassembly time exceeded
    kind = 'time-exceeded';
  } else {
    kind = 'unreachable';
    reason = v6UnreachableReason(code);
  }
  return { family: 6, from, kind, type, code, reason, originalLength, extension, quote };
}

function v6UnreachableReason(code: number): UnreachableReason {
  switch (code) {
    case 0:
      return 'net';
    case 1:
    case 5:
    case 6:
      return 'admin';
    case 3:
      return 'host';
    case 4:
      return 'port';
    default:
      return 'other';
  }
}

/**
 * The original datagram and the RFC 4884 extension of an ICMP error. With a
 * length in the header, the datagram is that long and an extension structure
 * may follow; with length 0, the whole rest is the datagram, unless a valid
 * extension structure sits at the 128-byte mark (the pre-RFC 4884 MPLS layout
 * that RFC 4884 section 5.5 tells receivers to accept).
 */
function splitRfc4884(
  icmp: Uint8Array,
  lengthBytes: number,
): { original: Uint8Array; extension: IcmpExtension | null; originalLength: number | null } {
  const rest = icmp.subarray(8);
  if (lengthBytes > 0) {
    if (lengthBytes > rest.length) return { original: rest, extension: null, originalLength: lengthBytes };
    const extension = lengthBytes >= RFC4884_MIN_ORIGINAL ? parseExtension(rest.subarray(lengthBytes)) : null;
    return { original: rest.subarray(0, lengthBytes), extension, originalLength: lengthBytes };
  }
  if (rest.length > RFC4884_MIN_ORIGINAL + 4) {
    const extension = parseExtension(rest.subarray(RFC4884_MIN_ORIGINAL), true);
    if (extension !== null) return { original: rest.subarray(0, RFC4884_MIN_ORIGINAL), extension, originalLength: null };
  }
  return { original: rest, extension: null, originalLength: null };
}

/**
 * An RFC 4884 extension structure (version 2; checksum valid, or 0 for "not
 * computed" unless `requireChecksum`), or null.
 */
export function parseExtension(bytes: Uint8Array, requireChecksum = false): IcmpExtension | null {
  if (bytes.length < 4) return null;
  const version = bytes[0] >> 4;
  if (version !== 2) return null;
  const checksum = u16(bytes, 2);
  if (checksum === 0 ? requireChecksum : internetChecksum(bytes) !== 0) return null;
  const objects: ExtensionObject[] = [];
  let off = 4;
  while (off + 4 <= bytes.length) {
    const length = u16(bytes, off);
    if (length < 4 || off + length > bytes.length) return null;
    objects.push({ classNum: bytes[off + 2], cType: bytes[off + 3], length });
    off += length;
  }
  return { version, objects };
}

const IPV6_EXTENSION_HEADERS = new Set([0, 43, 44, 60]);

/** The IP header and first transport bytes of a quoted datagram, or null when too short or not IP. */
export function parseQuote(q: Uint8Array): Quote | null {
  if (q.length < 1) return null;
  const version = q[0] >> 4;
  if (version === 4) {
    if (q.length < 20) return null;
    const ihl = (q[0] & 0x0f) * 4;
    if (ihl < 20 || q.length < ihl) return null;
    const tos = q[1];
    return withTransport(
      {
        family: 4,
        tos,
        dscp: tos >> 2,
        ecn: tos & 3,
        ttl: q[8],
        ipId: u16(q, 4),
        flowLabel: null,
        protocol: q[9],
        src: formatIp(q, 12, 4),
        dst: formatIp(q, 16, 4),
      },
      q.subarray(ihl),
    );
  }
  if (version === 6) {
    if (q.length < 40) return null;
    const tos = ((q[0] & 0x0f) << 4) | (q[1] >> 4);
    let next = q[6];
    let off = 40;
    for (let n = 0; n < 8 && IPV6_EXTENSION_HEADERS.has(next); n++) {
      if (off + 8 > q.length) return null;
      const len = next === 44 ? 8 : (q[off + 1] + 1) * 8;
      next = q[off];
      off += len;
    }
    if (IPV6_EXTENSION_HEADERS.has(next) || off > q.length) return null;
    return withTransport(
      {
        family: 6,
        tos,
        dscp: tos >> 2,
        ecn: tos & 3,
        ttl: q[7],
        ipId: null,
        flowLabel: ((q[1] & 0x0f) << 16) | (q[2] << 8) | q[3],
        protocol: next,
        src: formatIp(q, 8, 16),
        dst: formatIp(q, 24, 16),
      },
      q.subarray(off),
    );
  }
  return null;
}

function withTransport(ip: Omit<Quote, 'srcPort' | 'dstPort' | 'tcpSeq' | 'payload'>, l4: Uint8Array): Quote {
  const ports = (ip.protocol === PROTO_UDP || ip.protocol === PROTO_TCP) && l4.length >= 4;
  return {
    ...ip,
    srcPort: ports ? u16(l4, 0) : null,
    dstPort: ports ? u16(l4, 2) : null,
    tcpSeq: ip.protocol === PROTO_TCP && l4.length >= 8 ? u32(l4, 4) : null,
    payload: l4.length > 8 ? l4.subarray(8) : new Uint8Array(0),
  };
}

/** A TCP segment's header fields (from a raw TCP socket) and, for IPv4, the DS field it arrived with. */
export interface TcpReply {
  from: string;
  to: string | null;
  tos: number | null;
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: number;
}

/**
 * A TCP segment from a raw IPPROTO_TCP socket: with its IPv4 header (IPv4),
 * or the bare segment (IPv6, where the kernel strips the header). Null when short.
 */
export function parseTcpReply(family: Family, bytes: Uint8Array, from: string): TcpReply | null {
  let seg = bytes;
  let tos: number | null = null;
  let to: string | null = null;
  if (family === 4) {
    if (bytes.length < 20 || bytes[0] >> 4 !== 4 || bytes[9] !== PROTO_TCP) return null;
    const ihl = (bytes[0] & 0x0f) * 4;
    if (ihl < 20) return null;
    tos = bytes[1];
    to = formatIp(bytes, 16, 4);
    seg = bytes.subarray(ihl);
  }
  if (seg.length < 20) return null;
  return {
    from,
    to,
    tos,
    srcPort: u16(seg, 0),
    dstPort: u16(seg, 2),
    seq: u32(seg, 4),
    ack: u32(seg, 8),
    flags: seg[13],
  };
}

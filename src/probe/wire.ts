/**
 * Probe packets with known layouts, built byte by byte: IPv4 (RFC 791) and
 * IPv6 (RFC 8200) headers for IP_HDRINCL sending, UDP (RFC 768) and TCP SYN
 * (RFC 9293) with their pseudo-header checksums, and the address helpers
 * they need. Everything here is pure: no sockets.
 */
import { parseIpv4Text, parseIpv6Text } from '../parse/ip-text.js';

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

export const IPV4_HEADER_LEN = 20;
export const IPV6_HEADER_LEN = 40;
export const UDP_HEADER_LEN = 8;
/** TCP header with one option, MSS (4 bytes): data offset 6. */
export const TCP_SYN_LEN = 24;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

/** ECN codepoints (RFC 3168 section 5). */
export const ECN_NOT_ECT = 0;
export const ECN_ECT1 = 1;
export const ECN_ECT0 = 2;
export const ECN_CE = 3;

export type Family = 4 | 6;

/** "Not-ECT", "ECT(1)", "ECT(0)", "CE". */
export function ecnLabel(ecn: number): string {
  return ['Not-ECT', 'ECT(1)', 'ECT(0)', 'CE'][ecn & 3];
}

/** "not-ect", "ect1", "ect0", "ce": the JSON spelling. */
export function ecnKey(ecn: number): string {
  return ['not-ect', 'ect1', 'ect0', 'ce'][ecn & 3];
}

// ---------------------------------------------------------------- checksums

/** Ones-complement sum of 16-bit big-endian words (an odd last byte is padded with zero), not folded to 16 bits. */
export function sum16(bytes: Uint8Array, start = 0, end = bytes.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  return sum;
}

/** The Internet checksum (RFC 1071) of a running sum: folded and complemented. */
export function finishChecksum(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return ~sum & 0xffff;
}

/** The Internet checksum of bytes[start, end). */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return finishChecksum(sum16(bytes, start, end));
}

/** Sum of the IPv4 (RFC 768/9293) or IPv6 (RFC 8200 section 8.1) pseudo-header. */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  let sum = sum16(src) + sum16(dst) + protocol;
  if (src.length === 16) sum += Math.floor(length / 0x10000) + (length & 0xffff);
  else sum += length;
  return sum;
}

// ---------------------------------------------------------------- addresses

/** Bytes of a textual IPv4 or IPv6 address (an IPv6 zone, "%eth0", is dropped), or null when it is neither. */
export function addressBytes(text: string): Uint8Array | null {
  const zone = text.indexOf('%');
  return parseIpv4Text(text) ?? parseIpv6Text(zone >= 0 ? text.slice(0, zone) : text);
}

// ---------------------------------------------------------------- IP headers

export interface Ipv4HeaderFields {
  /** Whole DS field: DSCP << 2 | ECN. */
  tos: number;
  totalLength: number;
  id: number;
  ttl: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
}

/** A 20-byte IPv4 header (no options, DF clear) with its checksum. */
export function writeIpv4Header(out: Uint8Array, offset: number, f: Ipv4HeaderFields): void {
  out[offset] = 0x45;
  out[offset + 1] = f.tos & 0xff;
  out[offset + 2] = f.totalLength >> 8;
  out[offset + 3] = f.totalLength & 0xff;
  out[offset + 4] = (f.id >> 8) & 0xff;
  out[offset + 5] = f.id & 0xff;
  out[offset + 6] = 0;
  out[offset + 7] = 0;
  out[offset + 8] = f.ttl & 0xff;
  out[offset + 9] = f.protocol;
  out[offset + 10] = 0;
  out[offset + 11] = 0;
  out.set(f.src, offset + 12);
  out.set(f.dst, offset + 16);
  const c = internetChecksum(out, offset, offset + IPV4_HEADER_LEN);
  out[offset + 10] = c >> 8;
  out[offset + 11] = c & 0xff;
}

export interface Ipv6HeaderFields {
  /** Traffic class: DSCP << 2 | ECN. */
  trafficClass: number;
  /** 20 bits. */
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
}

export function writeIpv6Header(out: Uint8Array, offset: number, f: Ipv6HeaderFields): void {
  const tc = f.trafficClass & 0xff;
  const fl = f.flowLabel & 0xfffff;
  out[offset] = 0x60 | (tc >> 4);
  out[offset + 1] = ((tc & 0x0f) << 4) | (fl >> 16);
  out[offset + 2] = (fl >> 8) & 0xff;
  out[offset + 3] = fl & 0xff;
  out[offset + 4] = f.payloadLength >> 8;
  out[offset + 5] = f.payloadLength & 0xff;
  out[offset + 6] = f.nextHeader;
  out[offset + 7] = f.hopLimit & 0xff;
  out.set(f.src, offset + 8);
  out.set(f.dst, offset + 24);
}

// ---------------------------------------------------------------- transport

/** A UDP header and payload at `offset`, checksum over the pseudo-header (0 sent as 0xffff). */
export function writeUdp(
  out: Uint8Array,
  offset: number,
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  payload: Uint8Array,
): void {
  const len = UDP_HEADER_LEN + payload.length;
  out[offset] = srcPort >> 8;
  out[offset + 1] = srcPort & 0xff;
  out[offset + 2] = dstPort >> 8;
  out[offset + 3] = dstPort & 0xff;
  out[offset + 4] = len >> 8;
  out[offset + 5] = len & 0xff;
  out[offset + 6] = 0;
  out[offset + 7] = 0;
  out.set(payload, offset + UDP_HEADER_LEN);
  let c = finishChecksum(sum16(out, offset, offset + len, pseudoHeaderSum(src, dst, PROTO_UDP, len)));
  if (c === 0) c = 0xffff;
  out[offset + 6] = c >> 8;
  out[offset + 7] = c & 0xff;
}

export const TCP_SYN_WINDOW = 64240;
export const TCP_SYN_MSS = 1460;

/** A TCP SYN with the MSS option (24 bytes) at `offset`, with its checksum. */
export function writeTcpSyn(
  out: Uint8Array,
  offset: number,
  src: Uint8Array,
  dst: Uint8Array,
  srcPort: number,
  dstPort: number,
  seq: number,
): void {
  out[offset] = srcPort >> 8;
  out[offset + 1] = srcPort & 0xff;
  out[offset + 2] = dstPort >> 8;
  out[offset + 3] = dstPort & 0xff;
  out[offset + 4] = (seq >>> 24) & 0xff;
  out[offset + 5] = (seq >>> 16) & 0xff;
  out[offset + 6] = (seq >>> 8) & 0xff;
  out[offset + 7] = seq & 0xff;
  out.fill(0, offset + 8, offset + 12); // acknowledgment number
  out[offset + 12] = (TCP_SYN_LEN / 4) << 4;
  out[offset + 13] = TCP_SYN;
  out[offset + 14] = TCP_SYN_WINDOW >> 8;
  out[offset + 15] = TCP_SYN_WINDOW & 0xff;
  out[offset + 16] = 0;
  out[offset + 17] = 0;
  out[offset + 18] = 0; // urgent pointer
  out[offset + 19] = 0;
  out[offset + 20] = 2; // option kind: MSS
  out[offset + 21] = 4;
  out[offset + 22] = TCP_SYN_MSS >> 8;
  out[offset + 23] = TCP_SYN_MSS & 0xff;
  const c = finishChecksum(sum16(out, offset, offset + TCP_SYN_LEN, pseudoHeaderSum(src, dst, PROTO_TCP, TCP_SYN_LEN)));
  out[offset + 16] = c >> 8;
  out[offset + 17] = c & 0xff;
}

// ---------------------------------------------------------------- whole packets

export interface PacketSpec {
  family: Family;
  src: Uint8Array;
  dst: Uint8Array;
  /** DSCP << 2 | ECN. */
  tos: number;
  /** TTL or hop limit. */
  ttl: number;
  /** IPv4 identification (must not be 0: Linux replaces 0 with its own); ignored for IPv6. */
  ipId: number;
  /** IPv6 flow label; ignored for IPv4. */
  flowLabel: number;
}

/** A whole IP packet carrying UDP, ready for an IP_HDRINCL (IPPROTO_RAW) socket. */
export function buildUdpPacket(spec: PacketSpec, srcPort: number, dstPort: number, payload: Uint8Array): Buffer {
  const l4 = UDP_HEADER_LEN + payload.length;
  return buildIp(spec, PROTO_UDP, l4, (out, off) => writeUdp(out, off, spec.src, spec.dst, srcPort, dstPort, payload));
}

/** A whole IP packet carrying a TCP SYN. */
export function buildTcpSynPacket(spec: PacketSpec, srcPort: number, dstPort: number, seq: number): Buffer {
  return buildIp(spec, PROTO_TCP, TCP_SYN_LEN, (out, off) => writeTcpSyn(out, off, spec.src, spec.dst, srcPort, dstPort, seq));
}

function buildIp(spec: PacketSpec, protocol: number, l4Len: number, writeL4: (out: Uint8Array, offset: number) => void): Buffer {
  if (spec.family === 4) {
    const out = Buffer.alloc(IPV4_HEADER_LEN + l4Len);
    writeL4(out, IPV4_HEADER_LEN);
    writeIpv4Header(out, 0, {
      tos: spec.tos,
      totalLength: out.length,
      id: spec.ipId,
      ttl: spec.ttl,
      protocol,
      src: spec.src,
      dst: spec.dst,
    });
    return out;
  }
  const out = Buffer.alloc(IPV6_HEADER_LEN + l4Len);
  writeL4(out, IPV6_HEADER_LEN);
  writeIpv6Header(out, 0, {
    trafficClass: spec.tos,
    flowLabel: spec.flowLabel,
    payloadLength: l4Len,
    nextHeader: protocol,
    hopLimit: spec.ttl,
    src: spec.src,
    dst: spec.dst,
  });
  return out;
}

/** "45 00 00 24 ..." for test comments and debugging. */
export function hexDump(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

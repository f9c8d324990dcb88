import { readU16, readU32 } from './bytes.js';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_HIP,
  IPPROTO_HOPOPTS,
  IPPROTO_MOBILITY,
  IPPROTO_ROUTING,
  IPPROTO_SHIM6,
} from './ip-protocol.js';

/**
 * IPv6 header (RFC 8200 section 3), offsets from the start of the header.
 *
 *   0                   1                   2       4          6      7      8     24    40
 *   |ver:4|traffic class:8|flow label:20          |payload len|next  |hops  | src | dst |
 *
 * The traffic class straddles bytes 0 and 1: its DSCP (RFC 2474) is the high
 * six bits, ECN (RFC 3168) the low two, i.e. bits 2..3 of byte 1's high nibble.
 */
export const IPV6_VERSION_TC_FLOW = 0;
export const IPV6_PAYLOAD_LENGTH = 4;
export const IPV6_NEXT_HEADER = 6;
export const IPV6_HOP_LIMIT = 7;
export const IPV6_SRC = 8;
export const IPV6_DST = 24;
export const IPV6_HEADER_LEN = 40;
export const IPV6_ADDR_LEN = 16;

/** Extension headers followed before giving up (counted as malformed). */
export const MAX_IPV6_EXTENSIONS = 8;

/** Fragment header (RFC 8200 section 4.5): next(1) reserved(1) offset:13|res:2|M:1 (2) ident(4). */
export const IPV6_FRAG_NEXT_HEADER = 0;
export const IPV6_FRAG_OFFSET_FLAGS = 2;
export const IPV6_FRAG_IDENT = 4;
export const IPV6_FRAG_HEADER_LEN = 8;

export function ipv6TrafficClass(buf: Uint8Array, ipOff: number): number {
  return ((buf[ipOff] & 0x0f) << 4) | (buf[ipOff + 1] >>> 4);
}

export function ipv6Dscp(buf: Uint8Array, ipOff: number): number {
  return ipv6TrafficClass(buf, ipOff) >>> 2;
}

export function ipv6Ecn(buf: Uint8Array, ipOff: number): number {
  return (buf[ipOff + 1] >>> 4) & 0x03;
}

/** Writes the six DSCP bits of the traffic class; version, ECN and flow label are kept. */
export function setIpv6Dscp(buf: Uint8Array, ipOff: number, dscp: number): void {
  buf[ipOff] = (buf[ipOff] & 0xf0) | (dscp >>> 2);
  buf[ipOff + 1] = (buf[ipOff + 1] & 0x3f) | ((dscp & 0x03) << 6);
}

export function ipv6PayloadLength(buf: Uint8Array, ipOff: number): number {
  return readU16(buf, ipOff + IPV6_PAYLOAD_LENGTH);
}

/**
 * Extension headers that use the generic "next header, length" layout
 * (RFC 8200 section 4, RFC 7045), walked to find the upper-layer header.
 */
export function isIpv6GenericExtension(nextHeader: number): boolean {
  return (
    nextHeader === IPPROTO_HOPOPTS ||
    nextHeader === IPPROTO_ROUTING ||
    nextHeader === IPPROTO_DSTOPTS ||
    nextHeader === IPPROTO_MOBILITY ||
    nextHeader === IPPROTO_HIP ||
    nextHeader === IPPROTO_SHIM6
  );
}

/** Generic extension length: 8-octet units, not counting the first 8 (RFC 8200 4.3). */
export function ipv6GenericExtensionLen(buf: Uint8Array, extOff: number): number {
  return (buf[extOff + 1] + 1) * 8;
}

/** AH payload length is in 4-octet units, minus 2 (RFC 4302 section 2.2). */
export function ipv6AhLen(buf: Uint8Array, extOff: number): number {
  return (buf[extOff + 1] + 2) * 4;
}

export function isIpv6Ah(nextHeader: number): boolean {
  return nextHeader === IPPROTO_AH;
}

export function ipv6FragmentOffsetUnits(buf: Uint8Array, fragOff: number): number {
  return readU16(buf, fragOff + IPV6_FRAG_OFFSET_FLAGS) >>> 3;
}

export function ipv6MoreFragments(buf: Uint8Array, fragOff: number): boolean {
  return (buf[fragOff + IPV6_FRAG_OFFSET_FLAGS + 1] & 0x01) !== 0;
}

export function ipv6FragmentIdent(buf: Uint8Array, fragOff: number): number {
  return readU32(buf, fragOff + IPV6_FRAG_IDENT);
}

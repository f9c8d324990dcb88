import { readU16 } from './bytes.js';

/**
 * IPv4 header (RFC 791 section 3.1), offsets from the start of the header.
 *
 *   0       1       2       4       6        8     9     10       12    16    20
 *   |ver|ihl| DS/ECN| total | ident |flg|frag| TTL | prot| checksum| src | dst | options...
 *
 * Byte 1 is the DS field (RFC 2474) with ECN in its low two bits (RFC 3168).
 */
export const IPV4_VERSION_IHL = 0;
export const IPV4_DSCP_ECN = 1;
export const IPV4_TOTAL_LENGTH = 2;
export const IPV4_IDENT = 4;
export const IPV4_FLAGS_FRAGMENT = 6;
export const IPV4_TTL = 8;
export const IPV4_PROTOCOL = 9;
export const IPV4_CHECKSUM = 10;
export const IPV4_SRC = 12;
export const IPV4_DST = 16;

/** IHL counts 32-bit words: 5 (no options) to 15 (40 bytes of options). */
export const IPV4_MIN_IHL_WORDS = 5;
export const IPV4_MIN_HEADER_LEN = 20;
export const IPV4_ADDR_LEN = 4;

const MORE_FRAGMENTS = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;

export function ipv4IhlWords(buf: Uint8Array, ipOff: number): number {
  return buf[ipOff + IPV4_VERSION_IHL] & 0x0f;
}

export function ipv4TotalLength(buf: Uint8Array, ipOff: number): number {
  return readU16(buf, ipOff + IPV4_TOTAL_LENGTH);
}

export function ipv4Dscp(buf: Uint8Array, ipOff: number): number {
  return buf[ipOff + IPV4_DSCP_ECN] >>> 2;
}

export function ipv4Ecn(buf: Uint8Array, ipOff: number): number {
  return buf[ipOff + IPV4_DSCP_ECN] & 0x03;
}

export function ipv4Checksum(buf: Uint8Array, ipOff: number): number {
  return readU16(buf, ipOff + IPV4_CHECKSUM);
}

/** Fragment offset in 8-byte units; non-zero means a non-first fragment. */
export function ipv4FragmentOffsetUnits(buf: Uint8Array, ipOff: number): number {
  return readU16(buf, ipOff + IPV4_FLAGS_FRAGMENT) & FRAGMENT_OFFSET_MASK;
}

export function ipv4MoreFragments(buf: Uint8Array, ipOff: number): boolean {
  return (readU16(buf, ipOff + IPV4_FLAGS_FRAGMENT) & MORE_FRAGMENTS) !== 0;
}

/** True for any fragment: more-fragments set or a non-zero offset. */
export function ipv4IsFragment(buf: Uint8Array, ipOff: number): boolean {
  return (readU16(buf, ipOff + IPV4_FLAGS_FRAGMENT) & (MORE_FRAGMENTS | FRAGMENT_OFFSET_MASK)) !== 0;
}

export function ipv4Ident(buf: Uint8Array, ipOff: number): number {
  return readU16(buf, ipOff + IPV4_IDENT);
}

export function ipv4Protocol(buf: Uint8Array, ipOff: number): number {
  return buf[ipOff + IPV4_PROTOCOL];
}

/**
 * RFC 1071 Internet checksum of a whole header, as a sender computes it (the
 * checksum field counted as zero). Used off the hot path: tests, generators.
 */
export function ipv4HeaderChecksum(buf: Uint8Array, ipOff: number, headerLen: number): number {
  let sum = 0;
  for (let i = 0; i < headerLen; i += 2) {
    if (i === IPV4_CHECKSUM) continue;
    sum += (buf[ipOff + i] << 8) | buf[ipOff + i + 1];
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

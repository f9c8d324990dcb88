/**
 * DS field rewrites in the style of Linux's ipv4_change_dsfield(): the new
 * byte is (old & mask) | value. Callers pass a mask that keeps the ECN bits
 * (RFC 3168): qosmark never changes ECN.
 */
import { readU16, writeU16 } from '../parse/bytes.js';
import { IPV4_CHECKSUM, IPV4_DSCP_ECN, IPV4_VERSION_IHL } from '../parse/ipv4.js';
import { ipv6TrafficClass } from '../parse/ipv6.js';
import { checksumAdjust } from './checksum.js';

/** Mask that keeps only the ECN bits of the DS byte. */
export const KEEP_ECN_MASK = 0x03;

/**
 * Rewrites the IPv4 DS byte and updates the header checksum incrementally.
 * The header's first 12 bytes must have been length-checked by the parser.
 * Returns true when the byte changed.
 */
export function ipv4ChangeDsfield(buf: Uint8Array, ipOff: number, mask: number, value: number): boolean {
  const oldDs = buf[ipOff + IPV4_DSCP_ECN];
  const newDs = (oldDs & mask) | value;
  if (newDs === oldDs) return false;
  // The DS byte shares its 16-bit checksum word with version/IHL (RFC 791 layout).
  const versionIhl = buf[ipOff + IPV4_VERSION_IHL];
  const oldWord = (versionIhl << 8) | oldDs;
  const newWord = (versionIhl << 8) | newDs;
  buf[ipOff + IPV4_DSCP_ECN] = newDs;
  writeU16(buf, ipOff + IPV4_CHECKSUM, checksumAdjust(readU16(buf, ipOff + IPV4_CHECKSUM), oldWord, newWord));
  return true;
}

/** Rewrites the IPv6 traffic class (no header checksum in IPv6). Returns true when it changed. */
export function ipv6ChangeDsfield(buf: Uint8Array, ipOff: number, mask: number, value: number): boolean {
  const oldTc = ipv6TrafficClass(buf, ipOff);
  const newTc = (oldTc & mask) | value;
  if (newTc === oldTc) return false;
  buf[ipOff] = (buf[ipOff] & 0xf0) | (newTc >>> 4);
  buf[ipOff + 1] = (buf[ipOff + 1] & 0x0f) | ((newTc & 0x0f) << 4);
  return true;
}

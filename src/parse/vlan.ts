import { ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY, ETHERTYPE_VLAN } from './ethernet.js';

/**
 * IEEE 802.1Q tag, as it follows its TPID:
 *
 *   0                 2            4
 *   | PCP:3 DEI:1 VID:12 | EtherType |
 *
 * Offsets here are relative to the tag control information (TCI), which is
 * where the parser records each tag.
 */
export const VLAN_TCI = 0;
export const VLAN_INNER_TYPE = 2;
/** Bytes after the TPID: TCI plus the encapsulated EtherType. */
export const VLAN_TAG_LEN = 4;

/** Deepest tag stack followed; deeper stacks are counted as malformed. */
export const MAX_VLAN_TAGS = 8;

const PCP_SHIFT = 5;
const PCP_MASK = 0xe0;

/** 802.1p priority code point, 0..7. */
export type VlanPcp = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7;

export function isVlanTpid(etherType: number): boolean {
  return etherType === ETHERTYPE_VLAN || etherType === ETHERTYPE_QINQ || etherType === ETHERTYPE_QINQ_LEGACY;
}

export function vlanPcp(buf: Uint8Array, tciOff: number): number {
  return buf[tciOff] >>> PCP_SHIFT;
}

export function vlanDei(buf: Uint8Array, tciOff: number): number {
  return (buf[tciOff] >>> 4) & 1;
}

export function vlanVid(buf: Uint8Array, tciOff: number): number {
  return ((buf[tciOff] & 0x0f) << 8) | buf[tciOff + 1];
}

/** Writes the PCP bits only; DEI and VID are kept. */
export function setVlanPcp(buf: Uint8Array, tciOff: number, pcp: number): void {
  buf[tciOff] = (buf[tciOff] & ~PCP_MASK & 0xff) | (pcp << PCP_SHIFT);
}

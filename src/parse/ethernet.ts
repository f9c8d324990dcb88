/**
 * Ethernet II header (IEEE 802.3 clause 3.2.6 "type" interpretation).
 *
 *   0      6      12     14
 *   | dst  | src  | type |
 *
 * A type/length value below 0x0600 is an 802.3 length (LLC follows): no IP.
 */
export const ETH_DST = 0;
export const ETH_SRC = 6;
export const ETH_TYPE = 12;
export const ETH_HEADER_LEN = 14;

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV6 = 0x86dd;
/** IEEE 802.1Q customer VLAN tag. */
export const ETHERTYPE_VLAN = 0x8100;
/** IEEE 802.1ad service VLAN tag (QinQ outer tag). */
export const ETHERTYPE_QINQ = 0x88a8;
/** Pre-standard QinQ outer tag used by older switches. */
export const ETHERTYPE_QINQ_LEGACY = 0x9100;

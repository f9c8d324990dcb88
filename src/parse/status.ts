/**
 * Numeric parse outcomes. The hot loop only stores and counts these numbers;
 * the words for them are looked up outside the loop (summaries, audit rows).
 *
 * Two families of "too short":
 *  - TRUNC_*: the header is cut off by the capture's snap length (the bytes
 *    existed on the wire, the capture did not keep them). Not malformed.
 *  - SHORT_* / BAD_*: the frame itself is inconsistent. Malformed.
 */

export const ST_OK = 0;
/** Parsed, but the frame carries no IP (ARP, LLDP, unknown EtherType...). */
export const ST_NOT_IP = 1;
/** The capture's link type is not one qosmark parses. */
export const ST_UNSUPPORTED_LINKTYPE = 2;

export const ST_TRUNC_LINK = 3;
export const ST_SHORT_LINK = 4;
export const ST_TRUNC_VLAN = 5;
export const ST_SHORT_VLAN = 6;
export const ST_TOO_MANY_TAGS = 7;
export const ST_TRUNC_IP = 8;
export const ST_SHORT_IP = 9;
export const ST_BAD_IP_VERSION = 10;
export const ST_BAD_IHL = 11;
export const ST_BAD_IP_LENGTH = 12;
export const ST_TRUNC_IPV6_EXT = 13;
export const ST_BAD_IPV6_EXT = 14;
export const ST_TOO_MANY_IPV6_EXT = 15;
export const ST_TRUNC_PORTS = 16;
export const ST_BAD_L4_LENGTH = 17;
export const ST_COUNT = 18;

const NAMES: readonly string[] = [
  'ok',
  'not-ip',
  'unsupported-linktype',
  'truncated-link-header',
  'short-link-header',
  'truncated-vlan-tag',
  'short-vlan-tag',
  'too-many-vlan-tags',
  'truncated-ip-header',
  'short-ip-header',
  'bad-ip-version',
  'bad-ihl',
  'bad-ip-length',
  'truncated-ipv6-extension',
  'bad-ipv6-extension',
  'too-many-ipv6-extensions',
  'truncated-before-ports',
  'bad-l4-length',
];

const DESCRIPTIONS: readonly string[] = [
  'parsed',
  'no IP header (other EtherType)',
  'link type not supported',
  'link-layer header cut by snap length',
  'frame shorter than its link-layer header',
  'VLAN tag cut by snap length',
  'frame ends inside a VLAN tag',
  'more VLAN tags than the parser follows',
  'IP header cut by snap length',
  'frame shorter than its IP header',
  'IP version does not match the EtherType',
  'IPv4 header length (IHL) below 5 words or past the total length',
  'IP length field disagrees with the frame',
  'IPv6 extension header cut by snap length',
  'IPv6 extension header runs past the payload',
  'more IPv6 extension headers than the parser follows',
  'TCP/UDP ports cut by snap length',
  'IP payload too short for TCP/UDP ports',
];

export function statusName(status: number): string {
  return NAMES[status] ?? `status-${status}`;
}

export function statusDescription(status: number): string {
  return DESCRIPTIONS[status] ?? `status ${status}`;
}

/** Malformed frames pass through unchanged and are reported as such. */
export function isMalformed(status: number): boolean {
  return (
    status === ST_SHORT_LINK ||
    status === ST_SHORT_VLAN ||
    status === ST_TOO_MANY_TAGS ||
    status === ST_SHORT_IP ||
    status === ST_BAD_IP_VERSION ||
    status === ST_BAD_IHL ||
    status === ST_BAD_IP_LENGTH ||
    status === ST_BAD_IPV6_EXT ||
    status === ST_TOO_MANY_IPV6_EXT ||
    status === ST_BAD_L4_LENGTH
  );
}

/** False when the IP header itself is inconsistent: its fields are not to be reported. */
export function ipHeaderUsable(status: number): boolean {
  return status !== ST_BAD_IP_VERSION && status !== ST_BAD_IHL && status !== ST_BAD_IP_LENGTH;
}

/** Cut by the snap length: not malformed, but the needed bytes are missing. */
export function isSnapTruncated(status: number): boolean {
  return (
    status === ST_TRUNC_LINK ||
    status === ST_TRUNC_VLAN ||
    status === ST_TRUNC_IP ||
    status === ST_TRUNC_IPV6_EXT ||
    status === ST_TRUNC_PORTS
  );
}

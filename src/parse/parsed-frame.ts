import { MAX_VLAN_TAGS } from './vlan.js';

export const FRAG_NONE = 0;
/** Offset 0 with more fragments to come: carries the ports. */
export const FRAG_FIRST = 1;
/** Offset above 0: no ports; takes its first fragment's class. */
export const FRAG_NONFIRST = 2;

export const FRAGMENT_NAMES = ['none', 'first', 'nonfirst'] as const;

/**
 * Caller-owned decode state, reused for every frame (gopacket's
 * DecodingLayerParser style): parseFrame overwrites every field, so one
 * instance serves a whole capture with no allocation per frame.
 *
 * Offsets are absolute indexes into the buffer that was parsed. Lax parsing:
 * when `status` is not ST_OK the layers before the failure are still filled in
 * (a frame whose ports were cut still has its l3Off, ipVersion...).
 */
export class ParsedFrame {
  status = 0;
  linkType = 0;
  frameOff = 0;
  /** Index one past the last captured byte. */
  capEnd = 0;
  /** Bytes the frame had on the wire (pcap orig_len); at least the captured length. */
  wireLen = 0;

  tagCount = 0;
  /** Offset of each tag's TCI, outermost first. */
  readonly tagTciOff = new Int32Array(MAX_VLAN_TAGS);
  /** EtherType after the tags (or from SLL); -1 for raw IP and loopback link types. */
  etherType = -1;

  /** 4 or 6, 0 when no IP header was found. */
  ipVersion = 0;
  l3Off = -1;
  /** End of the IP datagram as its length field says; may lie past capEnd when snapped. */
  ipEnd = 0;

  /** Upper-layer protocol after any IPv6 extension headers; -1 before IP. */
  proto = -1;
  l4Off = -1;

  fragment = 0;
  /** IPv4 identification (16 bits) or IPv6 fragment identification (32 bits). */
  fragId = 0;
  /**
   * The protocol that keys a fragmented datagram: IPv4's protocol field, or the
   * next header of IPv6's fragment header (the one value every fragment carries).
   */
  fragProto = -1;
  /** Byte offset of this fragment's data in the original datagram's payload. */
  fragOffset = 0;
  /** The more-fragments flag. */
  fragMore = false;

  /** -1 when the frame has no ports (not TCP/UDP, non-first fragment, cut short). */
  srcPort = -1;
  dstPort = -1;

  reset(): void {
    this.status = 0;
    this.tagCount = 0;
    this.etherType = -1;
    this.ipVersion = 0;
    this.l3Off = -1;
    this.ipEnd = 0;
    this.proto = -1;
    this.l4Off = -1;
    this.fragment = 0;
    this.fragId = 0;
    this.fragProto = -1;
    this.fragOffset = 0;
    this.fragMore = false;
    this.srcPort = -1;
    this.dstPort = -1;
  }
}

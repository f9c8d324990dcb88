/**
 * Bidirectional conversations (5-tuples, both directions as one) seen by the
 * audit, with per-direction packet, mismarking and DSCP counts. A packet of a
 * known conversation allocates nothing; a new conversation allocates its entry
 * once. The table is bounded; conversations beyond the bound are counted.
 */
import { readU32 } from '../parse/bytes.js';
import { IPV4_ADDR_LEN, IPV4_SRC } from '../parse/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_SRC } from '../parse/ipv6.js';
import { formatIp } from '../parse/ip-text.js';
import type { ParsedFrame } from '../parse/parsed-frame.js';

/** Conversations tracked; a capture with more counts the rest as overflow (memory stays bounded). */
export const MAX_CONVERSATIONS = 16_384;
/**
 * Hash chains: a power of two, twice the conversations. An array indexed by
 * the hash's low bits, not a Map keyed by the hash: a 32-bit hash is not a
 * small integer to V8, so a Map lookup could box it in a new heap number
 * (an audit of 1,000,000 cupc packets: 9 scavenges with the Map, 6 without).
 */
const BUCKET_COUNT = 2 * MAX_CONVERSATIONS;
const BUCKET_MASK = BUCKET_COUNT - 1;
/** Distinct DSCP values counted per direction; further values go to an "other" count. */
export const DSCP_SLOTS = 4;

export class Conversation {
  /** Direction 0 is from endpoint A (the smaller address, then port) to B. */
  readonly packets = [0, 0];
  readonly mismarked = [0, 0];
  /**
   * DSCP values seen and their packet counts, DSCP_SLOTS per direction
   * (direction d uses slots d*DSCP_SLOTS...). A conversation rarely carries
   * more than one or two values; small plain arrays keep each entry a few
   * hundred bytes.
   */
  readonly dscpValue: number[] = new Array<number>(2 * DSCP_SLOTS).fill(-1);
  readonly dscpCount: number[] = new Array<number>(2 * DSCP_SLOTS).fill(0);
  readonly dscpOther = [0, 0];
  firstSec = 0;
  lastSec = 0;
  /** Packets whose class --rtp-heuristic decided. */
  heuristicPackets = 0;
  /** Next conversation with the same hash (the table chains collisions). */
  next: Conversation | null = null;

  constructor(
    /** Source then destination address of direction 0, as in the header. */
    readonly addrs: Uint8Array,
    readonly ipVersion: number,
    readonly proto: number,
    readonly portA: number,
    readonly portB: number,
    /** The class of its latest packet (SDP or the RTP heuristic may move a flow). */
    public classIndex: number,
    readonly ruleIndex: number,
  ) {}

  countDscp(direction: number, dscp: number): void {
    const base = direction * DSCP_SLOTS;
    for (let i = base; i < base + DSCP_SLOTS; i++) {
      if (this.dscpValue[i] === dscp) {
        this.dscpCount[i]++;
        return;
      }
      if (this.dscpValue[i] < 0) {
        this.dscpValue[i] = dscp;
        this.dscpCount[i] = 1;
        return;
      }
    }
    this.dscpOther[direction]++;
  }

  /** DSCP value → packets for one direction ("other" for values past the slots). */
  dscpHistogram(direction: number): Record<string, number> {
    const out: Record<string, number> = {};
    const base = direction * DSCP_SLOTS;
    for (let i = base; i < base + DSCP_SLOTS; i++) if (this.dscpValue[i] >= 0) out[String(this.dscpValue[i])] = this.dscpCount[i];
    if (this.dscpOther[direction] > 0) out.other = this.dscpOther[direction];
    return out;
  }

  /** The most frequent DSCP in a direction, or -1 when none was seen. */
  dominantDscp(direction: number): number {
    let best = -1;
    let bestCount = 0;
    const base = direction * DSCP_SLOTS;
    for (let i = base; i < base + DSCP_SLOTS; i++) {
      if (this.dscpValue[i] >= 0 && this.dscpCount[i] > bestCount) {
        best = this.dscpValue[i];
        bestCount = this.dscpCount[i];
      }
    }
    return best;
  }

  get totalPackets(): number {
    return this.packets[0] + this.packets[1];
  }

  get totalMismarked(): number {
    return this.mismarked[0] + this.mismarked[1];
  }
}

export class ConversationTable {
  private readonly buckets: (Conversation | null)[] = new Array<Conversation | null>(BUCKET_COUNT).fill(null);
  readonly all: Conversation[] = [];
  /** Packets of conversations that found the table full. */
  overflow = 0;
  /** Set by track(): 0 when the packet went A→B, 1 when B→A. */
  direction = 0;

  /** Finds or creates the packet's conversation; null when the table is full. */
  track(buf: Uint8Array, p: ParsedFrame, classIndex: number, ruleIndex: number): Conversation | null {
    const v4 = p.ipVersion === 4;
    const addrLen = v4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN;
    const srcOff = p.l3Off + (v4 ? IPV4_SRC : IPV6_SRC);
    const dstOff = srcOff + addrLen;
    const srcPort = p.srcPort < 0 ? 0 : p.srcPort;
    const dstPort = p.dstPort < 0 ? 0 : p.dstPort;
    const proto = p.proto;
    // The same for both directions, so that no ordering of the endpoints is
    // needed before the lookup.
    const h = Math.imul(endpointHash(buf, srcOff, addrLen, srcPort) ^ endpointHash(buf, dstOff, addrLen, dstPort), 0x01000193) ^ proto;
    const bucket = (h ^ (h >>> 15)) & BUCKET_MASK;

    for (let c = this.buckets[bucket]; c !== null; c = c.next) {
      if (c.ipVersion !== p.ipVersion || c.proto !== proto) continue;
      if (c.portA === srcPort && c.portB === dstPort && sameAddrs(c.addrs, buf, srcOff, dstOff, addrLen)) {
        this.direction = 0;
        return c;
      }
      if (c.portA === dstPort && c.portB === srcPort && sameAddrs(c.addrs, buf, dstOff, srcOff, addrLen)) {
        this.direction = 1;
        return c;
      }
    }
    if (this.all.length >= MAX_CONVERSATIONS) {
      this.overflow++;
      return null;
    }
    // Endpoint A is the smaller (address, then port), whichever direction came first.
    const srcFirst = compareEndpoints(buf, srcOff, srcPort, dstOff, dstPort, addrLen) <= 0;
    const aOff = srcFirst ? srcOff : dstOff;
    const bOff = srcFirst ? dstOff : srcOff;
    const addrs = new Uint8Array(2 * addrLen);
    addrs.set(buf.subarray(aOff, aOff + addrLen), 0);
    addrs.set(buf.subarray(bOff, bOff + addrLen), addrLen);
    const conv = new Conversation(addrs, p.ipVersion, proto, srcFirst ? srcPort : dstPort, srcFirst ? dstPort : srcPort, classIndex, ruleIndex);
    conv.next = this.buckets[bucket];
    this.buckets[bucket] = conv;
    this.all.push(conv);
    this.direction = srcFirst ? 0 : 1;
    return conv;
  }
}

/**
 * Mixes an address and a port. An IPv4 address goes in whole; of an IPv6
 * address, bytes 4-7 (where a site's subnets differ) and 12-15 (the low end
 * of the interface identifier), so that hosts numbered alike in different
 * subnets (2001:db8:1::1, 2001:db8:2::1) still spread. The chain compares
 * whole addresses, so this only has to spread, not to identify.
 */
function endpointHash(buf: Uint8Array, addrOff: number, addrLen: number, port: number): number {
  let h = Math.imul(0x811c9dc5 ^ readU32(buf, addrOff + addrLen - 4), 0x01000193);
  if (addrLen === IPV6_ADDR_LEN) h = Math.imul(h ^ readU32(buf, addrOff + 4), 0x01000193);
  return Math.imul(h ^ port, 0x01000193);
}

function compareEndpoints(
  buf: Uint8Array,
  srcOff: number,
  srcPort: number,
  dstOff: number,
  dstPort: number,
  addrLen: number,
): number {
  for (let i = 0; i < addrLen; i++) {
    const d = buf[srcOff + i] - buf[dstOff + i];
    if (d !== 0) return d;
  }
  return srcPort - dstPort;
}

/** Whether the stored pair is (A at aOff, B at bOff); from the last byte back, where addresses differ most. */
function sameAddrs(stored: Uint8Array, buf: Uint8Array, aOff: number, bOff: number, addrLen: number): boolean {
  for (let i = addrLen - 1; i >= 0; i--) {
    if (stored[i] !== buf[aOff + i] || stored[addrLen + i] !== buf[bOff + i]) return false;
  }
  return true;
}

/** Address `index` (0 or 1) of a conversation's stored pair, as text. */
export function formatAddress(addrs: Uint8Array, index: number, ipVersion: number): string {
  const len = ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN;
  return formatIp(addrs, index * len, len);
}

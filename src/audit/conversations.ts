/**
 * Bidirectional conversations (5-tuples, both directions as one) seen by the
 * audit, with per-direction packet, mismarking and DSCP counts. A packet of a
 * known conversation allocates nothing; a new conversation allocates its entry
 * once. The table is bounded; conversations beyond the bound are counted.
 */
import { IPV4_ADDR_LEN, IPV4_SRC } from '../parse/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_SRC } from '../parse/ipv6.js';
import type { ParsedFrame } from '../parse/parsed-frame.js';

export const MAX_CONVERSATIONS = 200_000;

export class Conversation {
  /** Direction 0 is from endpoint A (the smaller address, then port) to B. */
  readonly packets = [0, 0];
  readonly mismarked = [0, 0];
  /** DSCP value → packets, per direction (64 entries each). */
  readonly dscp = [new Float64Array(64), new Float64Array(64)];
  firstSec = 0;
  lastSec = 0;
  /** Packets whose class --rtp-heuristic decided. */
  heuristicPackets = 0;

  constructor(
    /** Source then destination address of direction 0, as in the header. */
    readonly addrs: Uint8Array,
    readonly ipVersion: number,
    readonly proto: number,
    readonly portA: number,
    readonly portB: number,
    readonly classIndex: number,
    readonly ruleIndex: number,
  ) {}

  get totalPackets(): number {
    return this.packets[0] + this.packets[1];
  }

  get totalMismarked(): number {
    return this.mismarked[0] + this.mismarked[1];
  }
}

export class ConversationTable {
  private readonly buckets = new Map<number, Conversation[]>();
  readonly all: Conversation[] = [];
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
    const order = compareEndpoints(buf, srcOff, srcPort, dstOff, dstPort, addrLen);
    const aOff = order <= 0 ? srcOff : dstOff;
    const bOff = order <= 0 ? dstOff : srcOff;
    const portA = order <= 0 ? srcPort : dstPort;
    const portB = order <= 0 ? dstPort : srcPort;
    this.direction = order <= 0 ? 0 : 1;

    let h = Math.imul(0x811c9dc5 ^ p.proto, 0x01000193);
    for (let i = 0; i < addrLen; i++) h = Math.imul(h ^ buf[aOff + i], 0x01000193);
    for (let i = 0; i < addrLen; i++) h = Math.imul(h ^ buf[bOff + i], 0x01000193);
    h = Math.imul(h ^ ((portA << 16) | portB), 0x01000193);

    const bucket = this.buckets.get(h);
    if (bucket !== undefined) {
      for (let i = 0; i < bucket.length; i++) {
        const c = bucket[i];
        if (c.ipVersion === p.ipVersion && c.proto === p.proto && c.portA === portA && c.portB === portB && sameAddrs(c.addrs, buf, aOff, bOff, addrLen)) {
          return c;
        }
      }
    }
    if (this.all.length >= MAX_CONVERSATIONS) {
      this.overflow++;
      return null;
    }
    const addrs = new Uint8Array(2 * addrLen);
    addrs.set(buf.subarray(aOff, aOff + addrLen), 0);
    addrs.set(buf.subarray(bOff, bOff + addrLen), addrLen);
    const conv = new Conversation(addrs, p.ipVersion, p.proto, portA, portB, classIndex, ruleIndex);
    if (bucket === undefined) this.buckets.set(h, [conv]);
    else bucket.push(conv);
    this.all.push(conv);
    return conv;
  }
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

function sameAddrs(stored: Uint8Array, buf: Uint8Array, aOff: number, bOff: number, addrLen: number): boolean {
  for (let i = 0; i < addrLen; i++) {
    if (stored[i] !== buf[aOff + i] || stored[addrLen + i] !== buf[bOff + i]) return false;
  }
  return true;
}

export function formatAddress(addrs: Uint8Array, index: number, ipVersion: number): string {
  if (ipVersion === 4) {
    const o = index * 4;
    return `${addrs[o]}.${addrs[o + 1]}.${addrs[o + 2]}.${addrs[o + 3]}`;
  }
  const o = index * 16;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((addrs[o + i] << 8) | addrs[o + i + 1]).toString(16));
  // RFC 5952: compress the longest run of two or more zero groups.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(':');
  return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLen).join(':')}`;
}

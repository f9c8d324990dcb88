/**
 * Naive, deliberately independent reference implementation of the qosmark
 * classifier/marker, used as the oracle in differential property tests.
 *
 * Written from the specification only (nothing under src/ is read or imported).
 * Readability over speed: DataView, plain objects, a Map for the fragment table,
 * a full IPv4 header checksum recomputation.
 *
 * Resolved ambiguities (see also the comments at each place):
 *  - Header checks are done in the order the spec lists them. For IPv4 that is:
 *    20 bytes present, then version nibble, then IHL/total length, then the
 *    datagram vs wireEnd, then the IHL*4 header vs capEnd. So e.g. a 10-byte
 *    IPv4 (link type 228) frame with a version nibble of 6 is 'truncated' /
 *    'malformed' by length before the version is looked at.
 *  - RAW (101): the version byte is a 1-byte "header": with capLen 0 the status is
 *    'truncated' (wireEnd >= 1) or 'malformed' (wireEnd 0), ipVersion 0.
 *  - ipVersion is the version chosen by the link layer (EtherType / address
 *    family / link type / RAW nibble), reported even if the IP header is then
 *    found truncated or malformed; 0 if no IP header was reached.
 *  - fragment reports what was parsed before a failure; srcPort/dstPort are
 *    non-null only when the 4 port bytes were read (that implies status 'ok').
 *  - More than 8 VLAN tags: when the type field after the 8th tag is yet another
 *    TPID the frame is 'malformed' (no length check for the 9th tag first).
 *  - IPv6 extension headers: the 9th extension header is 'malformed' before any
 *    length check on it. A generic/AH extension whose first 2 bytes are captured
 *    but whose body runs past capEnd (still inside the datagram) is NOT by itself
 *    'truncated' (spec lists no such rule); whatever follows it is then checked.
 *  - IPv6 fragment key protocol = the Next Header field of the fragment header
 *    (the only value that both first and non-first fragments carry). In the
 *    usual layout (fragment header directly followed by TCP/UDP) it is the
 *    upper-layer protocol. If a chain holds several fragment headers, the last
 *    one read wins (a non-first one stops the walk immediately).
 *  - The fragment table stores every first fragment that parsed (status 'ok'),
 *    with its ports' class or the default; a repeated first fragment
 *    overwrites the entry.
 *  - A rule's className must name a class in policy.classes (constructor throws
 *    otherwise), except the literal 'default' which then means policy.default.
 *
 * IPv4 checksum:
 *  - "valid" means the ones-complement sum (end-around carry, 16-bit words) of
 *    the whole IHL*4 header, checksum included, is 0xFFFF.
 *  - valid input  -> checksum field zeroed and fully recomputed: ~sum & 0xFFFF.
 *    The folded sum of a non-zero header is in 1..0xFFFF, so recomputation gives
 *    0x0000..0xFFFE, never 0xFFFF (a valid input of 0xFFFF becomes whatever the
 *    recomputation gives, normally not 0xFFFF).
 *  - invalid input -> RFC 1624 eqn. 3 literally: HC' = ~(~HC +' ~m +' m'), where
 *    m/m' are the old/new 16-bit word at ipOff (version/IHL byte + TOS byte).
 *  - Eqn. 3 and recomputation agree on every valid header with version 4: they
 *    are congruent mod 0xFFFF and both sums lie in 1..0xFFFF; eqn. 3 could only
 *    yield a different representation if ~HC = ~m = m' = 0, i.e. m = 0xFFFF,
 *    impossible with version nibble 4. (Also checked by a property test.)
 *  - TOS unchanged -> checksum untouched (even a valid 0xFFFF stays 0xFFFF).
 */

export type Marking = { dscp: number | 'keep'; cos: number | 'keep' };
export type RefRule = {
  name: string;
  protocols: ('udp' | 'tcp')[];
  ports: (number | [number, number])[];
  side: 'src' | 'dst' | 'either';
  className: string;
};
export type RefPolicy = { classes: Record<string, Marking>; rules: RefRule[]; default: Marking };
export type RefResult = {
  out: Uint8Array;
  status: 'ok' | 'not-ip' | 'truncated' | 'malformed' | 'unsupported';
  rule: string | null;
  className: string | null;
  ipVersion: 0 | 4 | 6;
  srcPort: number | null;
  dstPort: number | null;
  fragment: 'none' | 'first' | 'nonfirst';
};

type Status = RefResult['status'];

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;

const VLAN_TPIDS = [0x8100, 0x88a8, 0x9100];
const MAX_VLAN_TAGS = 8;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const NULL_AF_IPV4 = [2];
const NULL_AF_IPV6 = [10, 24, 28, 30];

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;
const IPV6_GENERIC_EXT = [0, 43, 60, 135, 139, 140];
const IPV6_AH = 51;
const IPV6_FRAGMENT = 44;
const MAX_IPV6_EXT = 8;

// ---------------------------------------------------------------------------
// Built-in policy
// ---------------------------------------------------------------------------

function dataRule(name: string, port: number): RefRule {
  return { name, protocols: ['tcp'], ports: [port], side: 'either', className: 'data' };
}

export const BUILTIN_REF_POLICY: RefPolicy = {
  classes: {
    voice: { dscp: 46, cos: 5 },
    video: { dscp: 32, cos: 4 },
    signalling: { dscp: 24, cos: 3 },
    data: { dscp: 'keep', cos: 'keep' },
  },
  default: { dscp: 'keep', cos: 'keep' },
  rules: [
    { name: 'sip', protocols: ['udp', 'tcp'], ports: [5060, 5061], side: 'either', className: 'signalling' },
    { name: 'ctiqbe', protocols: ['tcp'], ports: [2748], side: 'either', className: 'signalling' },
    { name: 'tftp', protocols: ['udp'], ports: [69], side: 'either', className: 'data' },
    dataRule('http', 80),
    dataRule('imap', 143),
    dataRule('ldap', 389),
    dataRule('https', 443),
    dataRule('imaps', 993),
    dataRule('xmpp', 5222),
    dataRule('imap-tls', 7993),
    dataRule('ccmcip', 8080),
    dataRule('soap', 8191),
    { name: 'rtp', protocols: ['udp'], ports: [[16384, 32766]], side: 'either', className: 'voice' },
  ],
};

// ---------------------------------------------------------------------------
// Ones-complement helpers (exported so tests can use them)
// ---------------------------------------------------------------------------

/** Ones-complement 16-bit addition with end-around carry. */
export function onesAdd(a: number, b: number): number {
  const s = (a & 0xffff) + (b & 0xffff);
  return (s & 0xffff) + (s >>> 16);
}

export function not16(x: number): number {
  return ~x & 0xffff;
}

/** Ones-complement sum of the 16-bit big-endian words in bytes[start, start+len). len must be even. */
export function onesSum(bytes: Uint8Array, start: number, len: number): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let sum = 0;
  for (let i = 0; i < len; i += 2) {
    sum = onesAdd(sum, view.getUint16(start + i));
  }
  return sum;
}

/** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
export function rfc1624Eqn3(hc: number, oldWord: number, newWord: number): number {
  return not16(onesAdd(onesAdd(not16(hc), not16(oldWord)), newWord & 0xffff));
}

/** Full recomputation of an IPv4 header checksum (does not modify `header`). */
export function recomputeIpv4Checksum(bytes: Uint8Array, ipOff: number, headerLen: number): number {
  const copy = bytes.slice(ipOff, ipOff + headerLen);
  copy[10] = 0;
  copy[11] = 0;
  return not16(onesSum(copy, 0, headerLen));
}

export function ipv4ChecksumValid(bytes: Uint8Array, ipOff: number, headerLen: number): boolean {
  return onesSum(bytes, ipOff, headerLen) === 0xffff;
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/** Thrown to stop parsing with a final status. */
class Halt {
  constructor(readonly status: Status) {}
}

type Parsed = {
  status: Status;
  ipVersion: 0 | 4 | 6;
  ipOff: number;
  ipv4HeaderLen: number;
  tagTciOffsets: number[];
  protocol: number | null;
  srcPort: number | null;
  dstPort: number | null;
  fragment: 'none' | 'first' | 'nonfirst';
  fragKey: string | null;
};

class Parser {
  readonly view: DataView;
  readonly capEnd: number;
  readonly wireEnd: number;
  readonly p: Parsed = {
    status: 'ok',
    ipVersion: 0,
    ipOff: -1,
    ipv4HeaderLen: 0,
    tagTciOffsets: [],
    protocol: null,
    srcPort: null,
    dstPort: null,
    fragment: 'none',
    fragKey: null,
  };

  constructor(readonly bytes: Uint8Array, wireLen: number) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.capEnd = bytes.length;
    this.wireEnd = Math.max(wireLen, bytes.length);
  }

  /** General rule: a header ending past capEnd is 'malformed' if also past wireEnd, else 'truncated'. */
  need(end: number): void {
    if (end > this.capEnd) {
      throw new Halt(end > this.wireEnd ? 'malformed' : 'truncated');
    }
  }

  /** Explicit rule used inside a datagram: past datagram end -> malformed, past capEnd -> truncated. */
  needWithin(end: number, datagramEnd: number): void {
    if (end > datagramEnd) throw new Halt('malformed');
    if (end > this.capEnd) throw new Halt('truncated');
  }

  u8(off: number): number {
    return this.view.getUint8(off);
  }

  u16(off: number): number {
    return this.view.getUint16(off, false);
  }

  u32(off: number): number {
    return this.view.getUint32(off, false);
  }

  hex(off: number, len: number): string {
    return Array.from(this.bytes.subarray(off, off + len), (b) => b.toString(16).padStart(2, '0')).join('');
  }

  run(linkType: number): Parsed {
    try {
      this.linkLayer(linkType);
    } catch (e) {
      if (e instanceof Halt) this.p.status = e.status;
      else throw e;
    }
    return this.p;
  }

  linkLayer(linkType: number): void {
    switch (linkType) {
      case LINKTYPE_ETHERNET:
        this.need(14);
        this.etherTypeAndTags(12);
        return;
      case LINKTYPE_LINUX_SLL:
        this.need(16);
        this.etherTypeAndTags(14);
        return;
      case LINKTYPE_LINUX_SLL2:
        this.need(20);
        this.etherTypeAndTags(0, 20);
        return;
      case LINKTYPE_RAW: {
        // The version byte is needed to know which IP header to expect.
        this.need(1);
        const version = this.u8(0) >> 4;
        if (version === 4) this.ipv4(0);
        else if (version === 6) this.ipv6(0);
        else throw new Halt('malformed');
        return;
      }
      case LINKTYPE_IPV4:
        this.ipv4(0);
        return;
      case LINKTYPE_IPV6:
        this.ipv6(0);
        return;
      case LINKTYPE_NULL:
      case LINKTYPE_LOOP: {
        this.need(4);
        const b = [this.u8(0), this.u8(1), this.u8(2), this.u8(3)];
        let af: number | null = null;
        if (b[0] === 0 && b[1] === 0 && b[2] === 0) af = b[3]; // network byte order
        else if (linkType === LINKTYPE_NULL && b[1] === 0 && b[2] === 0 && b[3] === 0) af = b[0]; // little-endian host
        if (af !== null && NULL_AF_IPV4.includes(af)) this.ipv4(4);
        else if (af !== null && NULL_AF_IPV6.includes(af)) this.ipv6(4);
        else throw new Halt('not-ip');
        return;
      }
      default:
        throw new Halt('unsupported');
    }
  }

  /**
   * typeOff: offset of the (first) EtherType field.
   * firstTagOff: offset where the first VLAN tag would start (right after that field,
   * except for SLL2 where the protocol type sits at offset 0 of a 20-byte header).
   */
  etherTypeAndTags(typeOff: number, firstTagOff: number = typeOff + 2): void {
    let etherType = this.u16(typeOff);
    let off = firstTagOff;
    while (VLAN_TPIDS.includes(etherType)) {
      if (this.p.tagTciOffsets.length === MAX_VLAN_TAGS) throw new Halt('malformed');
      this.need(off + 4);
      this.p.tagTciOffsets.push(off);
      etherType = this.u16(off + 2);
      off += 4;
    }
    if (etherType === ETHERTYPE_IPV4) this.ipv4(off);
    else if (etherType === ETHERTYPE_IPV6) this.ipv6(off);
    else throw new Halt('not-ip');
  }

  ipv4(ipOff: number): void {
    this.p.ipVersion = 4;
    this.p.ipOff = ipOff;
    this.need(ipOff + 20);
    const version = this.u8(ipOff) >> 4;
    if (version !== 4) throw new Halt('malformed');
    const ihl = this.u8(ipOff) & 0x0f;
    const headerLen = ihl * 4;
    const totalLength = this.u16(ipOff + 2);
    if (ihl < 5 || headerLen > totalLength) throw new Halt('malformed');
    const datagramEnd = ipOff + totalLength;
    if (datagramEnd > this.wireEnd) throw new Halt('malformed');
    if (ipOff + headerLen > this.capEnd) throw new Halt('truncated');
    this.p.ipv4HeaderLen = headerLen;

    const flagsFrag = this.u16(ipOff + 6);
    const moreFragments = (flagsFrag & 0x2000) !== 0;
    const fragOffset = flagsFrag & 0x1fff;
    const protocol = this.u8(ipOff + 9);
    this.p.protocol = protocol;
    if (fragOffset > 0 || moreFragments) {
      const id = this.u16(ipOff + 4);
      this.p.fragKey = ['4', this.hex(ipOff + 12, 4), this.hex(ipOff + 16, 4), id, protocol].join('|');
    }
    if (fragOffset > 0) {
      this.p.fragment = 'nonfirst';
      return; // status ok, no ports
    }
    if (moreFragments) this.p.fragment = 'first';

    if (protocol === IPPROTO_TCP || protocol === IPPROTO_UDP) {
      this.ports(ipOff + headerLen, datagramEnd);
    }
  }

  ipv6(ipOff: number): void {
    this.p.ipVersion = 6;
    this.p.ipOff = ipOff;
    this.need(ipOff + 40);
    const version = this.u8(ipOff) >> 4;
    if (version !== 6) throw new Halt('malformed');
    const payloadLength = this.u16(ipOff + 4);
    const datagramEnd = ipOff + 40 + payloadLength;
    if (datagramEnd > this.wireEnd) throw new Halt('malformed');

    const src = this.hex(ipOff + 8, 16);
    const dst = this.hex(ipOff + 24, 16);
    let nextHeader = this.u8(ipOff + 6);
    let off = ipOff + 40;
    let extCount = 0;

    for (;;) {
      const isGeneric = IPV6_GENERIC_EXT.includes(nextHeader);
      const isAh = nextHeader === IPV6_AH;
      const isFrag = nextHeader === IPV6_FRAGMENT;
      if (!isGeneric && !isAh && !isFrag) break;
      extCount += 1;
      if (extCount > MAX_IPV6_EXT) throw new Halt('malformed');

      if (isFrag) {
        this.needWithin(off + 8, datagramEnd);
        const fragNext = this.u8(off);
        const fragOffset = this.u16(off + 2) >> 3;
        const more = (this.u8(off + 3) & 1) !== 0;
        const id = this.u32(off + 4);
        if (fragOffset > 0 || more) {
          this.p.fragKey = ['6', src, dst, id, fragNext].join('|');
        }
        if (fragOffset > 0) {
          this.p.fragment = 'nonfirst';
          this.p.protocol = fragNext;
          return; // status ok, no ports
        }
        // Last fragment header read wins (an atomic one resets to 'none').
        this.p.fragment = more ? 'first' : 'none';
        if (!more) this.p.fragKey = null;
        nextHeader = fragNext;
        off += 8;
        continue;
      }

      // Generic extension header or AH: next header + length byte first.
      if (off + 2 > datagramEnd) throw new Halt('malformed');
      if (off + 2 > this.capEnd) throw new Halt('truncated');
      const lenByte = this.u8(off + 1);
      const extLen = isAh ? (lenByte + 2) * 4 : (lenByte + 1) * 8;
      if (off + extLen > datagramEnd) throw new Halt('malformed');
      nextHeader = this.u8(off);
      off += extLen;
    }

    this.p.protocol = nextHeader;
    if (nextHeader === IPPROTO_TCP || nextHeader === IPPROTO_UDP) {
      this.ports(off, datagramEnd);
    }
  }

  ports(l4Off: number, datagramEnd: number): void {
    this.needWithin(l4Off + 4, datagramEnd);
    this.p.srcPort = this.u16(l4Off);
    this.p.dstPort = this.u16(l4Off + 2);
  }
}

// ---------------------------------------------------------------------------
// Marker
// ---------------------------------------------------------------------------

type Decision = { rule: string | null; className: string };

function portInSet(port: number, set: (number | [number, number])[]): boolean {
  for (const entry of set) {
    if (typeof entry === 'number') {
      if (entry === port) return true;
    } else if (port >= entry[0] && port <= entry[1]) {
      return true;
    }
  }
  return false;
}

export class ReferenceMarker {
  private readonly fragments = new Map<string, Decision>();

  constructor(
    private readonly policy: RefPolicy,
    private readonly cosTag: 'outer' | 'inner' | 'all' = 'outer',
  ) {
    for (const rule of policy.rules) {
      if (!(rule.className in policy.classes) && rule.className !== 'default') {
        throw new Error(`rule ${rule.name}: unknown class ${rule.className}`);
      }
    }
  }

  /** Number of remembered first fragments (for tests). */
  get fragmentTableSize(): number {
    return this.fragments.size;
  }

  mark(frame: Uint8Array, wireLen: number, linkType: number): RefResult {
    // new Uint8Array(x) always copies (Buffer.prototype.slice would share memory).
    const out = new Uint8Array(frame);
    const p = new Parser(out, wireLen).run(linkType);

    const result: RefResult = {
      out,
      status: p.status,
      rule: null,
      className: null,
      ipVersion: p.ipVersion,
      srcPort: p.srcPort,
      dstPort: p.dstPort,
      fragment: p.fragment,
    };
    if (p.status !== 'ok' || p.ipVersion === 0) return result;

    const decision = this.decide(p);
    if (decision === null) return result;
    result.rule = decision.rule;
    result.className = decision.className;
    this.apply(out, p, this.markingFor(decision));
    return result;
  }

  private decide(p: Parsed): Decision | null {
    if (p.fragment === 'nonfirst') {
      return p.fragKey !== null ? (this.fragments.get(p.fragKey) ?? null) : null;
    }
    // Every first fragment is remembered, with ports or not (an ICMP first
    // fragment's class is the default, and its later fragments take it too).
    const decision: Decision =
      p.srcPort !== null && p.dstPort !== null
        ? this.matchRules(p.protocol!, p.srcPort, p.dstPort)
        : { rule: null, className: 'default' };
    if (p.fragment === 'first' && p.fragKey !== null) this.fragments.set(p.fragKey, decision);
    return decision;
  }

  private matchRules(protocol: number, srcPort: number, dstPort: number): Decision {
    const protoName = protocol === IPPROTO_TCP ? 'tcp' : 'udp';
    for (const rule of this.policy.rules) {
      if (!rule.protocols.includes(protoName)) continue;
      const srcHit = (rule.side === 'src' || rule.side === 'either') && portInSet(srcPort, rule.ports);
      const dstHit = (rule.side === 'dst' || rule.side === 'either') && portInSet(dstPort, rule.ports);
      if (srcHit || dstHit) return { rule: rule.name, className: rule.className };
    }
    return { rule: null, className: 'default' };
  }

  private markingFor(decision: Decision): Marking {
    if (decision.rule === null) return this.policy.default;
    return this.policy.classes[decision.className] ?? this.policy.default;
  }

  private apply(out: Uint8Array, p: Parsed, marking: Marking): void {
    const view = new DataView(out.buffer, out.byteOffset, out.byteLength);

    if (marking.dscp !== 'keep') {
      const dscp = marking.dscp & 0x3f;
      if (p.ipVersion === 4) {
        const tosOff = p.ipOff + 1;
        const oldTos = out[tosOff];
        const newTos = (dscp << 2) | (oldTos & 0x03);
        if (newTos !== oldTos) {
          const headerLen = p.ipv4HeaderLen;
          const wasValid = ipv4ChecksumValid(out, p.ipOff, headerLen);
          const oldWord = view.getUint16(p.ipOff);
          const oldChecksum = view.getUint16(p.ipOff + 10);
          out[tosOff] = newTos;
          const newWord = view.getUint16(p.ipOff);
          const newChecksum = wasValid
            ? recomputeIpv4Checksum(out, p.ipOff, headerLen)
            : rfc1624Eqn3(oldChecksum, oldWord, newWord);
          view.setUint16(p.ipOff + 10, newChecksum);
        }
      } else {
        // version(4) | traffic class(8) | flow label(20)
        const b0 = out[p.ipOff];
        const b1 = out[p.ipOff + 1];
        const oldTc = ((b0 & 0x0f) << 4) | (b1 >> 4);
        const newTc = (dscp << 2) | (oldTc & 0x03);
        if (newTc !== oldTc) {
          out[p.ipOff] = (b0 & 0xf0) | (newTc >> 4);
          out[p.ipOff + 1] = ((newTc & 0x0f) << 4) | (b1 & 0x0f);
        }
      }
    }

    if (marking.cos !== 'keep' && p.tagTciOffsets.length > 0) {
      const pcp = marking.cos & 0x07;
      const tags = p.tagTciOffsets;
      const targets =
        this.cosTag === 'outer' ? [tags[0]] : this.cosTag === 'inner' ? [tags[tags.length - 1]] : tags;
      for (const tciOff of targets) {
        const tci = view.getUint16(tciOff);
        view.setUint16(tciOff, (pcp << 13) | (tci & 0x1fff));
      }
    }
  }
}

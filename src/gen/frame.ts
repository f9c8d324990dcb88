/**
 * Frame templates for the generator. A template is one stream direction's
 * frame, built once (slow, allocating) into a slot of the shared pool buffer,
 * with everything that stays constant precomputed: header layout, the sum of
 * the IPv4 header words that never change, the pseudo-header sum, and prefix
 * sums of the constant payload. Per packet, the generator copies the
 * template's first bytes into the output and patches the few fields that
 * change (lengths, DS byte, PCP, identification, ports, sequence numbers);
 * finishFrame() then fixes both checksums from those sums without reading
 * the payload again.
 *
 * Layout of a template frame:
 *
 *   | Ethernet | tags... | IPv4 (+options) or IPv6 (+ext headers) | L4 header | app head | payload |
 *                                                                 |<-------- head ------>|
 *
 * "head" is the part after the IP header that is patched per packet and
 * summed word by word; its length is even, so the payload starts on a
 * checksum word boundary and its sums can be precomputed.
 */
import { ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from '../parse/ethernet.js';
import {
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_FRAGMENT,
  IPPROTO_HOPOPTS,
  IPPROTO_ICMPV6,
  IPPROTO_ROUTING,
  IPPROTO_TCP,
  IPPROTO_UDP,
} from '../parse/ip-protocol.js';

export const IPPROTO_ICMP = 1;
/** Shortest Ethernet frame without FCS; shorter frames are zero-padded to it. */
export const ETH_MIN_FRAME = 60;
export const MAX_TEMPLATE_TAGS = 8;
/** TCP header with NOP NOP timestamps (RFC 7323), as Linux and macOS send it; Windows sends 20 bytes. */
export const TCP_HEADER_LEN_TS = 32;
export const TCP_HEADER_LEN = 20;
export const UDP_HEADER_LEN = 8;
export const ICMP_HEADER_LEN = 8;
export const IPV4_DF = 0x4000;
export const IPV4_MF = 0x2000;

export interface Tag {
  tpid: number;
  vid: number;
}

export interface FrameSpec {
  srcMac: Uint8Array;
  dstMac: Uint8Array;
  tags: readonly Tag[];
  /** 0: not IP (then `etherType` and `payload` make the frame). */
  ipVersion: 0 | 4 | 6;
  etherType: number;
  /** 4 or 16 bytes. */
  src: Uint8Array;
  dst: Uint8Array;
  ttl: number;
  ecn: number;
  flowLabel: number;
  dontFragment: boolean;
  /** IPv4 options, a multiple of 4 bytes, at most 40. */
  ipv4Options: Uint8Array | null;
  /** IPv6 extension headers in order (IPPROTO_HOPOPTS, _DSTOPTS, _ROUTING, _FRAGMENT, _AH). */
  ipv6Ext: readonly number[];
  /** Upper-layer protocol: TCP, UDP, ICMP, ICMPv6. */
  proto: number;
  /** TCP: carry the timestamps option (32-byte header) or not (20). */
  tcpTimestamps: boolean;
  srcPort: number;
  dstPort: number;
  /** ICMP type, for ICMP templates. */
  icmpType: number;
  /** Bytes after the L4 header that change per packet (RTP header...). */
  appHead: Uint8Array;
  /** Constant bytes after the head: the longest payload this template sends. */
  payload: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const EMPTY_PREFIX = new Uint32Array(1);
const ZERO4 = new Uint8Array(4);

export function frameSpec(partial: Partial<FrameSpec> & Pick<FrameSpec, 'srcMac' | 'dstMac'>): FrameSpec {
  return {
    srcMac: partial.srcMac,
    dstMac: partial.dstMac,
    tags: partial.tags ?? [],
    ipVersion: partial.ipVersion ?? 4,
    etherType: partial.etherType ?? 0,
    src: partial.src ?? ZERO4,
    dst: partial.dst ?? ZERO4,
    ttl: partial.ttl ?? 64,
    ecn: partial.ecn ?? 0,
    flowLabel: partial.flowLabel ?? 0,
    dontFragment: partial.dontFragment ?? true,
    ipv4Options: partial.ipv4Options ?? null,
    ipv6Ext: partial.ipv6Ext ?? [],
    proto: partial.proto ?? IPPROTO_UDP,
    tcpTimestamps: partial.tcpTimestamps ?? true,
    srcPort: partial.srcPort ?? 0,
    dstPort: partial.dstPort ?? 0,
    icmpType: partial.icmpType ?? 8,
    appHead: partial.appHead ?? EMPTY,
    payload: partial.payload ?? EMPTY,
  };
}

function extLen(type: number): number {
  switch (type) {
    case IPPROTO_HOPOPTS:
    case IPPROTO_DSTOPTS:
    case IPPROTO_FRAGMENT:
      return 8;
    case IPPROTO_ROUTING:
      return 24; // type 0, one address, segments left 0
    case IPPROTO_AH:
      return 24; // SPI, sequence, 96-bit ICV
    default:
      throw new Error(`generator: unsupported IPv6 extension header ${type}`);
  }
}

function l4HeaderLen(proto: number, tcpTimestamps: boolean): number {
  if (proto === IPPROTO_TCP) return tcpTimestamps ? TCP_HEADER_LEN_TS : TCP_HEADER_LEN;
  if (proto === IPPROTO_UDP) return UDP_HEADER_LEN;
  if (proto === IPPROTO_ICMP || proto === IPPROTO_ICMPV6) return ICMP_HEADER_LEN;
  return 0;
}

/** Bytes of a spec's frame before the payload: the template slot. */
export function specHeaderLen(spec: FrameSpec): number {
  let n = 14 + 4 * spec.tags.length;
  if (spec.ipVersion === 4) n += 20 + (spec.ipv4Options?.length ?? 0);
  else if (spec.ipVersion === 6) n += 40 + spec.ipv6Ext.reduce((a, t) => a + extLen(t), 0);
  if (spec.ipVersion !== 0) n += l4HeaderLen(spec.proto, spec.tcpTimestamps) + spec.appHead.length;
  return n;
}

/** Ones'-complement sum (unfolded) of `len` bytes as big-endian words; an odd last byte is padded. */
export function sumWords(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  let i = 0;
  for (; i + 1 < len; i += 2) s += (b[off + i] << 8) | b[off + i + 1];
  if (i < len) s += b[off + i] << 8;
  return s;
}

export function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 65536);
  return s;
}

export class Template {
  /** Header slot in the pool. */
  off = -1;
  readonly cap: number;
  /** Where the (shared) payload bytes sit in the pool. */
  paySrc = -1;
  /** Set by build(). */
  ipVersion = 0;
  tagCount = 0;
  readonly tci: number[] = [0, 0, 0, 0, 0, 0, 0, 0];
  l3Off = -1;
  /** IPv4 header with options, or IPv6 header with its extension headers. */
  l3HdrLen = 0;
  /** Offset of the IPv6 fragment header, -1 when none. */
  fragHdrOff = -1;
  l4Off = -1;
  proto = -1;
  /** L4 header alone (TCP 20 or 32, UDP 8, ICMP 8). */
  l4HdrLen = 0;
  headLen = 0;
  /** Frame offset of the first payload byte: the header slot's length. */
  payloadOff = 0;
  maxPayload = 0;
  /** L4 checksum offset from l4Off; -1 when the protocol has none we fill. */
  csumOff = -1;
  /** Pseudo-header sum without the length, and whether the length joins it. */
  pseudo = 0;
  pseudoLen = false;
  /** IPv4: sum of the header words that never change (TTL/protocol, addresses, options). */
  ipBase = 0;
  fragWord = 0;
  ecn = 0;
  /** Low nibble of IPv6 byte 1: the flow label's top bits. */
  flowHi = 0;
  /** prefix[n]: unfolded sum of the first n payload bytes. */
  prefix: Uint32Array = EMPTY_PREFIX;
  /** The payload as a view of the pool, for one TypedArray.set of long payloads. */
  payView: Uint8Array = EMPTY;

  constructor(public spec: FrameSpec) {
    this.cap = specHeaderLen(spec);
  }

  /** (Re)builds the frame into its pool slot from `spec`, which may have changed in place. */
  build(pool: Uint8Array): void {
    const s = this.spec;
    if (specHeaderLen(s) !== this.cap) throw new Error('generator: template changed its header length');
    const b = pool;
    const base = this.off;
    b.fill(0, base, base + this.cap);
    b.set(s.dstMac, base);
    b.set(s.srcMac, base + 6);
    let o = 12;
    this.tagCount = s.tags.length;
    for (let i = 0; i < s.tags.length; i++) {
      const tag = s.tags[i];
      b[base + o] = tag.tpid >>> 8;
      b[base + o + 1] = tag.tpid & 0xff;
      this.tci[i] = o + 2;
      b[base + o + 2] = (tag.vid >>> 8) & 0x0f;
      b[base + o + 3] = tag.vid & 0xff;
      o += 4;
    }
    const etherType = s.ipVersion === 4 ? ETHERTYPE_IPV4 : s.ipVersion === 6 ? ETHERTYPE_IPV6 : s.etherType;
    b[base + o] = etherType >>> 8;
    b[base + o + 1] = etherType & 0xff;
    o += 2;
    this.ipVersion = s.ipVersion;
    this.ecn = s.ecn;
    this.csumOff = -1;
    this.fragHdrOff = -1;
    if (s.ipVersion === 0) {
      this.l3Off = -1;
      this.l4Off = o;
      this.headLen = 0;
      this.proto = -1;
      this.setPayload(o, s.payload);
      return;
    }
    this.l3Off = o;
    const ip = base + o;
    if (s.ipVersion === 4) {
      const options = s.ipv4Options ?? new Uint8Array(0);
      if (options.length % 4 !== 0 || options.length > 40) throw new Error('generator: bad IPv4 options length');
      const hdr = 20 + options.length;
      b[ip] = 0x40 | (hdr >>> 2);
      this.fragWord = s.dontFragment ? IPV4_DF : 0;
      b[ip + 6] = this.fragWord >>> 8;
      b[ip + 8] = s.ttl;
      b[ip + 9] = s.proto;
      b.set(s.src, ip + 12);
      b.set(s.dst, ip + 16);
      b.set(options, ip + 20);
      this.l3HdrLen = hdr;
      this.ipBase = ((s.ttl << 8) | s.proto) + sumWords(b, ip + 12, hdr - 12);
      this.pseudo = sumWords(s.src, 0, 4) + sumWords(s.dst, 0, 4) + s.proto;
      this.pseudoLen = true;
    } else {
      b[ip] = 0x60;
      this.flowHi = (s.flowLabel >>> 16) & 0x0f;
      b[ip + 1] = this.flowHi;
      b[ip + 2] = (s.flowLabel >>> 8) & 0xff;
      b[ip + 3] = s.flowLabel & 0xff;
      b[ip + 6] = s.ipv6Ext.length > 0 ? s.ipv6Ext[0] : s.proto;
      b[ip + 7] = s.ttl;
      b.set(s.src, ip + 8);
      b.set(s.dst, ip + 24);
      let e = ip + 40;
      for (let i = 0; i < s.ipv6Ext.length; i++) {
        const type = s.ipv6Ext[i];
        const next = i + 1 < s.ipv6Ext.length ? s.ipv6Ext[i + 1] : s.proto;
        const len = extLen(type);
        b[e] = next;
        if (type === IPPROTO_HOPOPTS || type === IPPROTO_DSTOPTS) {
          b[e + 1] = 0;
          b[e + 2] = 1; // PadN
          b[e + 3] = 4;
        } else if (type === IPPROTO_ROUTING) {
          b[e + 1] = 2; // 2 × 8 bytes after the first 8
          b[e + 2] = 0; // type 0
          b[e + 3] = 0; // segments left: the IPv6 destination is final
          b.set(s.dst, e + 8);
        } else if (type === IPPROTO_FRAGMENT) {
          this.fragHdrOff = e - base;
        } else if (type === IPPROTO_AH) {
          b[e + 1] = 4; // (4 + 2) × 4 = 24 bytes
          b[e + 4] = 0x00;
          b[e + 5] = 0x00;
          b[e + 6] = 0x10;
          b[e + 7] = 0x01; // SPI 0x1001
          b[e + 11] = 1; // sequence 1
          for (let k = 12; k < 24; k++) b[e + k] = (k * 37) & 0xff; // ICV
        }
        e += len;
      }
      this.l3HdrLen = e - ip;
      this.pseudo = sumWords(s.src, 0, 16) + sumWords(s.dst, 0, 16) + s.proto;
      this.pseudoLen = true;
    }
    const l4 = o + this.l3HdrLen;
    this.l4Off = l4;
    this.proto = s.proto;
    const l4b = base + l4;
    const hl = l4HeaderLen(s.proto, s.tcpTimestamps);
    this.l4HdrLen = hl;
    if (s.proto === IPPROTO_UDP || s.proto === IPPROTO_TCP) {
      b[l4b] = s.srcPort >>> 8;
      b[l4b + 1] = s.srcPort & 0xff;
      b[l4b + 2] = s.dstPort >>> 8;
      b[l4b + 3] = s.dstPort & 0xff;
    }
    if (s.proto === IPPROTO_UDP) {
      this.csumOff = 6;
    } else if (s.proto === IPPROTO_TCP) {
      this.csumOff = 16;
      b[l4b + 12] = (hl / 4) << 4;
      b[l4b + 13] = 0x10; // ACK
      if (hl === TCP_HEADER_LEN_TS) {
        b[l4b + 20] = 1; // NOP
        b[l4b + 21] = 1; // NOP
        b[l4b + 22] = 8; // timestamps
        b[l4b + 23] = 10;
      }
    } else if (s.proto === IPPROTO_ICMP || s.proto === IPPROTO_ICMPV6) {
      this.csumOff = 2;
      b[l4b] = s.icmpType;
      if (s.proto === IPPROTO_ICMP) {
        this.pseudo = 0;
        this.pseudoLen = false;
      }
    }
    b.set(s.appHead, l4b + hl);
    this.headLen = hl + s.appHead.length;
    if (this.headLen % 2 !== 0) throw new Error('generator: template head must have an even length');
    this.setPayload(l4 + this.headLen, s.payload);
  }

  private setPayload(payloadOff: number, payload: Uint8Array): void {
    if (payloadOff !== this.cap) throw new Error('generator: template header length mismatch');
    this.payloadOff = payloadOff;
    this.maxPayload = payload.length;
    this.prefix = prefixSums(payload);
  }
}

const prefixCache = new WeakMap<Uint8Array, Uint32Array>();

/** prefix[n]: unfolded ones'-complement sum of the first n bytes; cached per payload buffer. */
function prefixSums(payload: Uint8Array): Uint32Array {
  let p = prefixCache.get(payload);
  if (p !== undefined) return p;
  p = new Uint32Array(payload.length + 1);
  let run = 0;
  for (let n = 1; n <= payload.length; n++) {
    if ((n & 1) === 1) {
      p[n] = run + (payload[n - 1] << 8);
    } else {
      run += (payload[n - 2] << 8) | payload[n - 1];
      p[n] = run;
    }
  }
  prefixCache.set(payload, p);
  return p;
}

/**
 * Completes a frame copied from template `t` to `b[f]`: L3 and L4 lengths for
 * an L4 segment of `l4Len` bytes, the DS byte (ECN kept from the template),
 * the PCP of every tag, the IPv4 identification and header checksum, the L4
 * checksum (head words read from the frame, payload from `paySum`), and
 * padding to the Ethernet minimum. Returns the frame length.
 */
export function finishFrame(
  b: Uint8Array,
  f: number,
  t: Template,
  l4Len: number,
  paySum: number,
  dscp: number,
  pcp: number,
  ipId: number,
): number {
  let frameLen = t.l4Off + l4Len;
  const v = t.ipVersion;
  if (v === 4) {
    const ip = f + t.l3Off;
    const tot = t.l3HdrLen + l4Len;
    const tos = (dscp << 2) | t.ecn;
    b[ip + 1] = tos;
    b[ip + 2] = tot >>> 8;
    b[ip + 3] = tot & 0xff;
    b[ip + 4] = ipId >>> 8;
    b[ip + 5] = ipId & 0xff;
    let s = t.ipBase + ((b[ip] << 8) | tos) + tot + ipId + t.fragWord;
    s = (s & 0xffff) + (s >>> 16);
    s = (s & 0xffff) + (s >>> 16);
    s = ~s & 0xffff;
    b[ip + 10] = s >>> 8;
    b[ip + 11] = s & 0xff;
  } else if (v === 6) {
    const ip = f + t.l3Off;
    const tc = (dscp << 2) | t.ecn;
    const plen = t.l3HdrLen - 40 + l4Len;
    b[ip] = 0x60 | (tc >>> 4);
    b[ip + 1] = ((tc & 0x0f) << 4) | t.flowHi;
    b[ip + 4] = plen >>> 8;
    b[ip + 5] = plen & 0xff;
  }
  if (t.csumOff >= 0) {
    const l4 = f + t.l4Off;
    if (t.proto === IPPROTO_UDP) {
      b[l4 + 4] = l4Len >>> 8;
      b[l4 + 5] = l4Len & 0xff;
    }
    let s = t.pseudo + paySum;
    if (t.pseudoLen) s += l4Len;
    const h = l4Len < t.headLen ? l4Len : t.headLen;
    let i = 0;
    for (; i + 1 < h; i += 2) s += (b[l4 + i] << 8) | b[l4 + i + 1];
    if (i < h) s += b[l4 + i] << 8;
    s = (s & 0xffff) + (s >>> 16);
    s = (s & 0xffff) + (s >>> 16);
    s = (s & 0xffff) + (s >>> 16);
    let c = ~s & 0xffff;
    if (c === 0 && t.proto === IPPROTO_UDP) c = 0xffff;
    b[l4 + t.csumOff] = c >>> 8;
    b[l4 + t.csumOff + 1] = c & 0xff;
  }
  for (let i = 0; i < t.tagCount; i++) {
    const o = f + t.tci[i];
    b[o] = (b[o] & 0x1f) | (pcp << 5);
  }
  if (frameLen < ETH_MIN_FRAME) {
    for (let i = f + frameLen; i < f + ETH_MIN_FRAME; i++) b[i] = 0;
    frameLen = ETH_MIN_FRAME;
  }
  return frameLen;
}

/** Payload sum for a frame whose L4 segment is `l4Len` bytes, from the template's prefix sums. */
export function templatePaySum(t: Template, l4Len: number): number {
  return l4Len > t.headLen ? t.prefix[l4Len - t.headLen] : 0;
}

/** Full RFC 1071 checksum of an IPv4 header, written in place. */
export function writeIpv4Checksum(b: Uint8Array, ip: number): void {
  const hdr = (b[ip] & 0x0f) * 4;
  b[ip + 10] = 0;
  b[ip + 11] = 0;
  const c = ~fold(sumWords(b, ip, hdr)) & 0xffff;
  b[ip + 10] = c >>> 8;
  b[ip + 11] = c & 0xff;
}

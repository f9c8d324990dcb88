/**
 * The frame decoder: link layer → VLAN tags → IPv4/IPv6 (+ extension headers)
 * → TCP/UDP ports, in place, into a caller-owned ParsedFrame.
 *
 * Length contract: every layer checks, once, that the bytes it is about to
 * read lie inside the captured frame (and inside the length the enclosing
 * header claims); after that check its accessors read without bounds checks
 * and cannot fail. A failed check stops the walk with a numeric status and
 * keeps the layers already decoded. Nothing here allocates or throws.
 *
 * "Too short" is told apart by where the missing bytes were: past the wire
 * length the frame is malformed (SHORT_*), within it the snap length cut them
 * (TRUNC_*).
 */
import { readU16 } from './bytes.js';
import { ETH_HEADER_LEN, ETH_TYPE, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from './ethernet.js';
import { IPPROTO_FRAGMENT, IPPROTO_TCP, IPPROTO_UDP } from './ip-protocol.js';
import {
  IPV4_MIN_HEADER_LEN,
  IPV4_MIN_IHL_WORDS,
  ipv4FragmentOffsetUnits,
  ipv4Ident,
  ipv4IhlWords,
  ipv4IsFragment,
  ipv4MoreFragments,
  ipv4Protocol,
  ipv4TotalLength,
} from './ipv4.js';
import {
  IPV6_FRAG_HEADER_LEN,
  IPV6_FRAG_NEXT_HEADER,
  IPV6_HEADER_LEN,
  IPV6_NEXT_HEADER,
  MAX_IPV6_EXTENSIONS,
  ipv6AhLen,
  ipv6FragmentIdent,
  ipv6FragmentOffsetUnits,
  ipv6GenericExtensionLen,
  ipv6MoreFragments,
  ipv6PayloadLength,
  isIpv6Ah,
  isIpv6GenericExtension,
} from './ipv6.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from './linktype.js';
import { LOOPBACK_HEADER_LEN, loopFamily, loopbackIpVersion, nullFamily } from './loopback.js';
import { FRAG_FIRST, FRAG_NONFIRST, type ParsedFrame } from './parsed-frame.js';
import { SLL2_HEADER_LEN, SLL2_PROTOCOL, SLL_HEADER_LEN, SLL_PROTOCOL } from './sll.js';
import {
  ST_BAD_IHL,
  ST_BAD_IP_LENGTH,
  ST_BAD_IP_VERSION,
  ST_BAD_IPV6_EXT,
  ST_BAD_L4_LENGTH,
  ST_NOT_IP,
  ST_OK,
  ST_SHORT_IP,
  ST_SHORT_LINK,
  ST_SHORT_VLAN,
  ST_TOO_MANY_IPV6_EXT,
  ST_TOO_MANY_TAGS,
  ST_TRUNC_IP,
  ST_TRUNC_IPV6_EXT,
  ST_TRUNC_LINK,
  ST_TRUNC_PORTS,
  ST_TRUNC_VLAN,
  ST_UNSUPPORTED_LINKTYPE,
} from './status.js';
import { UDP_DST_PORT, UDP_SRC_PORT } from './udp.js';
import { MAX_VLAN_TAGS, VLAN_INNER_TYPE, VLAN_TAG_LEN, isVlanTpid } from './vlan.js';

/** TCP (RFC 9293) and UDP (RFC 768) both open with source and destination port. */
const PORTS_LEN = 4;

/**
 * Decodes one frame of `capLen` captured bytes at `buf[off]` that was
 * `wireLen` bytes on the wire. Returns the status, also stored in `p.status`.
 */
export function parseFrame(
  buf: Uint8Array,
  off: number,
  capLen: number,
  wireLen: number,
  linkType: number,
  p: ParsedFrame,
): number {
  p.reset();
  p.linkType = linkType;
  p.frameOff = off;
  p.capEnd = off + capLen;
  p.wireLen = wireLen > capLen ? wireLen : capLen;
  const wireEnd = off + p.wireLen;
  // Ethernet is nearly every capture's link type; keeping its path apart from
  // the others keeps the per-frame code small enough for the JIT to inline whole.
  const status =
    linkType === LINKTYPE_ETHERNET ? parseEthernet(buf, off, wireEnd, p) : parseOtherLink(buf, off, wireEnd, linkType, p);
  p.status = status;
  return status;
}

function parseOtherLink(buf: Uint8Array, off: number, wireEnd: number, linkType: number, p: ParsedFrame): number {
  switch (linkType) {
    case LINKTYPE_RAW:
      return parseRawIp(buf, off, wireEnd, p);
    case LINKTYPE_IPV4:
      return parseIpv4(buf, off, wireEnd, p);
    case LINKTYPE_IPV6:
      return parseIpv6(buf, off, wireEnd, p);
    case LINKTYPE_LINUX_SLL:
      return parseCooked(buf, off, SLL_HEADER_LEN, off + SLL_PROTOCOL, wireEnd, p);
    case LINKTYPE_LINUX_SLL2:
      return parseCooked(buf, off, SLL2_HEADER_LEN, off + SLL2_PROTOCOL, wireEnd, p);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return parseLoopback(buf, off, wireEnd, linkType, p);
    default:
      return ST_UNSUPPORTED_LINKTYPE;
  }
}

/** Status for a header that ends at `need` but the capture ends before it. */
function cut(need: number, wireEnd: number, truncStatus: number, shortStatus: number): number {
  return need > wireEnd ? shortStatus : truncStatus;
}

function parseEthernet(buf: Uint8Array, off: number, wireEnd: number, p: ParsedFrame): number {
  const headerEnd = off + ETH_HEADER_LEN;
  if (headerEnd > p.capEnd) return cut(headerEnd, wireEnd, ST_TRUNC_LINK, ST_SHORT_LINK);
  return parseTagsThenNetwork(buf, headerEnd, readU16(buf, off + ETH_TYPE), wireEnd, p);
}

function parseCooked(
  buf: Uint8Array,
  off: number,
  headerLen: number,
  protocolOff: number,
  wireEnd: number,
  p: ParsedFrame,
): number {
  const headerEnd = off + headerLen;
  if (headerEnd > p.capEnd) return cut(headerEnd, wireEnd, ST_TRUNC_LINK, ST_SHORT_LINK);
  return parseTagsThenNetwork(buf, headerEnd, readU16(buf, protocolOff), wireEnd, p);
}

function parseLoopback(buf: Uint8Array, off: number, wireEnd: number, linkType: number, p: ParsedFrame): number {
  const headerEnd = off + LOOPBACK_HEADER_LEN;
  if (headerEnd > p.capEnd) return cut(headerEnd, wireEnd, ST_TRUNC_LINK, ST_SHORT_LINK);
  const family = linkType === LINKTYPE_NULL ? nullFamily(buf, off) : loopFamily(buf, off);
  const version = loopbackIpVersion(family);
  if (version === 4) return parseIpv4(buf, headerEnd, wireEnd, p);
  if (version === 6) return parseIpv6(buf, headerEnd, wireEnd, p);
  return ST_NOT_IP;
}

/** Follows any stack of 802.1Q / 802.1ad / 0x9100 tags, recording each TCI offset. */
function parseTagsThenNetwork(
  buf: Uint8Array,
  pos: number,
  etherType: number,
  wireEnd: number,
  p: ParsedFrame,
): number {
  let type = etherType;
  while (isVlanTpid(type)) {
    if (p.tagCount === MAX_VLAN_TAGS) return ST_TOO_MANY_TAGS;
    const tagEnd = pos + VLAN_TAG_LEN;
    if (tagEnd > p.capEnd) return cut(tagEnd, wireEnd, ST_TRUNC_VLAN, ST_SHORT_VLAN);
    p.tagTciOff[p.tagCount++] = pos;
    type = readU16(buf, pos + VLAN_INNER_TYPE);
    pos = tagEnd;
  }
  p.etherType = type;
  if (type === ETHERTYPE_IPV4) return parseIpv4(buf, pos, wireEnd, p);
  if (type === ETHERTYPE_IPV6) return parseIpv6(buf, pos, wireEnd, p);
  return ST_NOT_IP;
}

function parseRawIp(buf: Uint8Array, pos: number, wireEnd: number, p: ParsedFrame): number {
  if (pos >= p.capEnd) return cut(pos + 1, wireEnd, ST_TRUNC_IP, ST_SHORT_IP);
  const version = buf[pos] >>> 4;
  if (version === 4) return parseIpv4(buf, pos, wireEnd, p);
  if (version === 6) return parseIpv6(buf, pos, wireEnd, p);
  return ST_BAD_IP_VERSION;
}

function parseIpv4(buf: Uint8Array, ipOff: number, wireEnd: number, p: ParsedFrame): number {
  const minEnd = ipOff + IPV4_MIN_HEADER_LEN;
  if (minEnd > p.capEnd) return cut(minEnd, wireEnd, ST_TRUNC_IP, ST_SHORT_IP);
  if (buf[ipOff] >>> 4 !== 4) return ST_BAD_IP_VERSION;
  p.ipVersion = 4;
  p.l3Off = ipOff;
  const ihlWords = ipv4IhlWords(buf, ipOff);
  const headerLen = ihlWords * 4;
  const totalLen = ipv4TotalLength(buf, ipOff);
  if (ihlWords < IPV4_MIN_IHL_WORDS || headerLen > totalLen) return ST_BAD_IHL;
  const ipEnd = ipOff + totalLen;
  if (ipEnd > wireEnd) return ST_BAD_IP_LENGTH;
  p.ipEnd = ipEnd;
  const headerEnd = ipOff + headerLen;
  if (headerEnd > p.capEnd) return ST_TRUNC_IP;

  const proto = ipv4Protocol(buf, ipOff);
  p.proto = proto;
  p.l4Off = headerEnd;
  if (ipv4IsFragment(buf, ipOff) && noteIpv4Fragment(buf, ipOff, proto, p)) return ST_OK;
  return parsePorts(buf, headerEnd, proto, ipEnd, p);
}

/** Records a fragment's identity; returns true for a non-first fragment, which has no ports. */
function noteIpv4Fragment(buf: Uint8Array, ipOff: number, proto: number, p: ParsedFrame): boolean {
  const fragmentUnits = ipv4FragmentOffsetUnits(buf, ipOff);
  p.fragId = ipv4Ident(buf, ipOff);
  p.fragProto = proto;
  p.fragOffset = fragmentUnits * 8;
  p.fragMore = ipv4MoreFragments(buf, ipOff);
  p.fragment = fragmentUnits !== 0 ? FRAG_NONFIRST : FRAG_FIRST;
  return fragmentUnits !== 0;
}

function parseIpv6(buf: Uint8Array, ipOff: number, wireEnd: number, p: ParsedFrame): number {
  const headerEnd = ipOff + IPV6_HEADER_LEN;
  if (headerEnd > p.capEnd) return cut(headerEnd, wireEnd, ST_TRUNC_IP, ST_SHORT_IP);
  if (buf[ipOff] >>> 4 !== 6) return ST_BAD_IP_VERSION;
  p.ipVersion = 6;
  p.l3Off = ipOff;
  const ipEnd = headerEnd + ipv6PayloadLength(buf, ipOff);
  if (ipEnd > wireEnd) return ST_BAD_IP_LENGTH;
  p.ipEnd = ipEnd;

  const next = buf[ipOff + IPV6_NEXT_HEADER];
  if (next === IPPROTO_UDP || next === IPPROTO_TCP) {
    p.proto = next;
    p.l4Off = headerEnd;
    return parsePorts(buf, headerEnd, next, ipEnd, p);
  }
  return parseIpv6Extensions(buf, headerEnd, next, ipEnd, p);
}

/** Walks the extension-header chain (bounded) to the upper-layer header. */
function parseIpv6Extensions(buf: Uint8Array, headerEnd: number, firstNext: number, ipEnd: number, p: ParsedFrame): number {
  let next = firstNext;
  let pos = headerEnd;
  for (let extensions = 0; ; extensions++) {
    const generic = isIpv6GenericExtension(next);
    const ah = !generic && isIpv6Ah(next);
    if (!generic && !ah && next !== IPPROTO_FRAGMENT) break;
    if (extensions === MAX_IPV6_EXTENSIONS) return ST_TOO_MANY_IPV6_EXT;
    if (next === IPPROTO_FRAGMENT) {
      const fragEnd = pos + IPV6_FRAG_HEADER_LEN;
      if (fragEnd > ipEnd) return ST_BAD_IPV6_EXT;
      if (fragEnd > p.capEnd) return ST_TRUNC_IPV6_EXT;
      const units = ipv6FragmentOffsetUnits(buf, pos);
      const more = ipv6MoreFragments(buf, pos);
      next = buf[pos + IPV6_FRAG_NEXT_HEADER];
      pos = fragEnd;
      if (units !== 0 || more) {
        p.fragId = ipv6FragmentIdent(buf, pos - IPV6_FRAG_HEADER_LEN);
        p.fragProto = next;
        p.fragOffset = units * 8;
        p.fragMore = more;
        if (units !== 0) {
          p.fragment = FRAG_NONFIRST;
          p.proto = next;
          p.l4Off = pos;
          return ST_OK;
        }
        p.fragment = FRAG_FIRST;
      }
      continue;
    }
    // Generic and AH headers both keep next-header and length in their first two bytes.
    if (pos + 2 > ipEnd) return ST_BAD_IPV6_EXT;
    if (pos + 2 > p.capEnd) return ST_TRUNC_IPV6_EXT;
    const extLen = generic ? ipv6GenericExtensionLen(buf, pos) : ipv6AhLen(buf, pos);
    if (pos + extLen > ipEnd) return ST_BAD_IPV6_EXT;
    next = buf[pos];
    pos += extLen;
  }
  p.proto = next;
  p.l4Off = pos;
  return parsePorts(buf, pos, next, ipEnd, p);
}

function parsePorts(buf: Uint8Array, l4Off: number, proto: number, ipEnd: number, p: ParsedFrame): number {
  if (proto !== IPPROTO_TCP && proto !== IPPROTO_UDP) return ST_OK;
  const portsEnd = l4Off + PORTS_LEN;
  if (portsEnd > ipEnd) return ST_BAD_L4_LENGTH;
  if (portsEnd > p.capEnd) return ST_TRUNC_PORTS;
  p.srcPort = readU16(buf, l4Off + UDP_SRC_PORT);
  p.dstPort = readU16(buf, l4Off + UDP_DST_PORT);
  return ST_OK;
}

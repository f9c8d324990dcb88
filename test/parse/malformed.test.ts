/**
 * Malformed and unsupported frames: each gets the status src/parse/status.ts
 * documents for it, keeps the layers decoded before the fault, and never
 * exposes ports.
 */
import { describe, expect, it } from 'vitest';
import { LINKTYPE_ETHERNET, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_NULL, LINKTYPE_RAW } from '../../src/parse/linktype.js';
import {
  ST_BAD_IHL,
  ST_BAD_IPV6_EXT,
  ST_BAD_IP_LENGTH,
  ST_BAD_IP_VERSION,
  ST_BAD_L4_LENGTH,
  ST_COUNT,
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
  isMalformed,
  isSnapTruncated,
  statusDescription,
  statusName,
} from '../../src/parse/status.js';
import { concat, eth, hex, ipv4, ipv6, udp, type Tag } from '../support/bytes.js';
import { expected, parse, snapshot } from './helpers.js';

const V6_ADDRS = `
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02`;

describe('malformed IPv4', () => {
  it('IHL below 5 words is bad-ihl (IPv4 found, nothing after it)', () => {
    // 0000  44 00 00 1c 12 34 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02   IHL 4
    // 0014  13 c4 4e 20 00 08 00 00
    const b = hex(`44 00 00 1c 12 34 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02
                   13 c4 4e 20 00 08 00 00`);
    expect(snapshot(parse(b, LINKTYPE_RAW))).toEqual(expected({ status: ST_BAD_IHL, ipVersion: 4, l3Off: 0 }));
  });

  it('IHL 0 is bad-ihl', () => {
    const b = ipv4({ proto: 17 }, udp(1, 2));
    b[0] = 0x40;
    expect(parse(b, LINKTYPE_RAW).status).toBe(ST_BAD_IHL);
  });

  it('IHL past the total length is bad-ihl', () => {
    // 0000  4f 00 00 28 ...   IHL 15 (60 bytes) but total length 40
    const b = concat(hex('4f 00 00 28 12 34 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02'), new Uint8Array(48));
    expect(snapshot(parse(b, LINKTYPE_RAW))).toEqual(expected({ status: ST_BAD_IHL, ipVersion: 4, l3Off: 0 }));
  });

  it('IHL equal to the total length is fine (header only, no payload)', () => {
    // 0000  45 00 00 14 ... proto ICMP   total 20
    const b = hex('45 00 00 14 12 34 00 00 40 01 00 00 0a 00 00 01 0a 00 00 02');
    expect(snapshot(parse(b, LINKTYPE_RAW))).toEqual(expected({ status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 20, proto: 1, l4Off: 20 }));
  });

  it('total length past the wire length is bad-ip-length, also when the capture is snapped', () => {
    // 000e  45 00 05 dc ...    total 1500 in a 42-byte frame
    const frame = eth(0x0800, ipv4({ proto: 17, totalLength: 1500 }, udp(5060, 20000)));
    expect(snapshot(parse(frame, LINKTYPE_ETHERNET))).toEqual(
      expected({ status: ST_BAD_IP_LENGTH, etherType: 0x0800, ipVersion: 4, l3Off: 14 }),
    );
    // Captured 40 bytes of a 42-byte wire frame: still the length field disagrees with the wire.
    expect(parse(frame, LINKTYPE_ETHERNET, 40, 42).status).toBe(ST_BAD_IP_LENGTH);
    // The same frame with a wire length of 1514 is only snapped.
    expect(parse(frame, LINKTYPE_ETHERNET, 42, 1514).status).toBe(ST_OK);
  });

  it('an IPv4 header inside an IPv4 EtherType with version 6 is bad-ip-version', () => {
    const b = eth(0x0800, ipv6({ next: 17 }, udp(1, 2)));
    expect(snapshot(parse(b, LINKTYPE_ETHERNET))).toEqual(expected({ status: ST_BAD_IP_VERSION, etherType: 0x0800 }));
  });

  it('UDP whose IP payload is shorter than the 4 port bytes is bad-l4-length', () => {
    // total length 22: 2 bytes of UDP inside the datagram, more bytes after it in the frame
    const b = ipv4({ proto: 17, totalLength: 22 }, udp(5060, 20000));
    expect(snapshot(parse(b, LINKTYPE_RAW))).toEqual(
      expected({ status: ST_BAD_L4_LENGTH, ipVersion: 4, l3Off: 0, ipEnd: 22, proto: 17, l4Off: 20 }),
    );
  });

  it('TCP with no payload at all is bad-l4-length; ICMP with none is fine', () => {
    expect(parse(ipv4({ proto: 6 }, []), LINKTYPE_RAW).status).toBe(ST_BAD_L4_LENGTH);
    expect(parse(ipv4({ proto: 1 }, []), LINKTYPE_RAW).status).toBe(ST_OK);
  });

  it('exactly 4 bytes of UDP in the datagram is enough for the ports', () => {
    const b = ipv4({ proto: 17, totalLength: 24 }, udp(7, 9));
    const p = parse(b, LINKTYPE_RAW);
    expect([p.status, p.srcPort, p.dstPort]).toEqual([ST_OK, 7, 9]);
  });
});

describe('malformed IPv6', () => {
  it('payload length past the wire length is bad-ip-length', () => {
    // 0000  60 00 00 00 00 40 11 40 + addrs   plen 64, only 8 bytes follow
    const b = hex(`60 00 00 00 00 40 11 40 ${V6_ADDRS} 13 c4 4e 20 00 08 00 00`);
    expect(snapshot(parse(b, LINKTYPE_IPV6))).toEqual(expected({ status: ST_BAD_IP_LENGTH, ipVersion: 6, l3Off: 0 }));
  });

  it('a Hop-by-Hop header longer than the payload is bad-ipv6-extension', () => {
    // 0000  60 00 00 00 00 08 00 40 + addrs   plen 8
    // 0028  11 01 00 00 00 00 00 00           HBH len 1 = 16 bytes > 8
    // 0030  13 c4 4e 20 00 08 00 00           (outside the payload)
    const b = hex(`60 00 00 00 00 08 00 40 ${V6_ADDRS} 11 01 00 00 00 00 00 00 13 c4 4e 20 00 08 00 00`);
    expect(snapshot(parse(b, LINKTYPE_IPV6))).toEqual(expected({ status: ST_BAD_IPV6_EXT, ipVersion: 6, l3Off: 0, ipEnd: 48 }));
  });

  it('an extension header whose first two bytes lie past the payload is bad-ipv6-extension', () => {
    // plen 1, next HBH: only one byte of the header is inside the payload
    const b = hex(`60 00 00 00 00 01 00 40 ${V6_ADDRS} 11 00 00 00 00 00 00 00`);
    expect(parse(b, LINKTYPE_IPV6).status).toBe(ST_BAD_IPV6_EXT);
  });

  it('a Fragment header cut by the payload length is bad-ipv6-extension', () => {
    // plen 4, next Fragment (8 bytes)
    const b = hex(`60 00 00 00 00 04 2c 40 ${V6_ADDRS} 11 00 00 01 de ad be ef`);
    expect(parse(b, LINKTYPE_IPV6).status).toBe(ST_BAD_IPV6_EXT);
  });

  it('an AH header longer than the payload is bad-ipv6-extension', () => {
    // plen 16, AH payload len 4 = 24 bytes
    const b = hex(`60 00 00 00 00 10 33 40 ${V6_ADDRS} 11 04 00 00 00 00 10 01 00 00 00 01 aa aa aa aa`);
    expect(parse(b, LINKTYPE_IPV6).status).toBe(ST_BAD_IPV6_EXT);
  });

  it('an IPv6 EtherType carrying version 4 is bad-ip-version', () => {
    const b = eth(0x86dd, concat(ipv4({ proto: 17 }, udp(1, 2)), new Uint8Array(20)));
    expect(snapshot(parse(b, LINKTYPE_ETHERNET))).toEqual(expected({ status: ST_BAD_IP_VERSION, etherType: 0x86dd }));
  });

  it('UDP with 2 bytes of payload is bad-l4-length', () => {
    const b = ipv6({ next: 17, payloadLength: 2 }, udp(1, 2));
    expect(snapshot(parse(b, LINKTYPE_IPV6))).toEqual(
      expected({ status: ST_BAD_L4_LENGTH, ipVersion: 6, l3Off: 0, ipEnd: 42, proto: 17, l4Off: 40 }),
    );
  });

  function dstoptsChain(n: number): Uint8Array {
    const exts: number[] = [];
    for (let i = 0; i < n; i++) exts.push(i === n - 1 ? 17 : 60, 0, 1, 4, 0, 0, 0, 0);
    return ipv6({ next: n === 0 ? 17 : 60 }, concat(exts, udp(5060, 5061)));
  }

  it('8 extension headers are followed to the ports', () => {
    const p = parse(dstoptsChain(8), LINKTYPE_IPV6);
    expect(snapshot(p)).toEqual(
      expected({ status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 40 + 64 + 8, proto: 17, l4Off: 104, srcPort: 5060, dstPort: 5061 }),
    );
  });

  it('9 extension headers are too-many-ipv6-extensions', () => {
    const p = parse(dstoptsChain(9), LINKTYPE_IPV6);
    expect(snapshot(p)).toEqual(expected({ status: ST_TOO_MANY_IPV6_EXT, ipVersion: 6, l3Off: 0, ipEnd: 40 + 72 + 8 }));
  });

  it('9 headers mixing Fragment (atomic) and AH also count', () => {
    // HBH, DST, RT, FRAG(atomic), AH, DST, DST, DST, DST -> UDP
    const e = (next: number) => [next, 0, 1, 4, 0, 0, 0, 0];
    const payload = concat(
      e(60), // HBH -> DST
      e(43), // DST -> RT
      e(44), // RT -> FRAG
      [51, 0, 0, 0, 0, 0, 0, 1], // FRAG (atomic) -> AH
      [60, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], // AH len 1 = 12 bytes -> DST
      e(60),
      e(60),
      e(60),
      e(17),
      udp(1, 2),
    );
    expect(parse(ipv6({ next: 0 }, payload), LINKTYPE_IPV6).status).toBe(ST_TOO_MANY_IPV6_EXT);
  });
});

describe('VLAN stacks', () => {
  const tags = (n: number): Tag[] => Array.from({ length: n }, (_, i) => ({ tpid: [0x88a8, 0x9100, 0x8100][i % 3], pcp: i % 8, vid: i + 1 }));

  it('8 tags are followed', () => {
    const frame = eth(0x0800, ipv4({ proto: 17 }, udp(5060, 20000)), tags(8));
    const p = parse(frame, LINKTYPE_ETHERNET);
    expect(snapshot(p)).toEqual(
      expected({
        status: ST_OK,
        etherType: 0x0800,
        tagTciOff: [14, 18, 22, 26, 30, 34, 38, 42],
        ipVersion: 4,
        l3Off: 46,
        ipEnd: 74,
        proto: 17,
        l4Off: 66,
        srcPort: 5060,
        dstPort: 20000,
      }),
    );
  });

  it('9 tags are too-many-vlan-tags, with the first 8 recorded', () => {
    const frame = eth(0x0800, ipv4({ proto: 17 }, udp(5060, 20000)), tags(9));
    expect(snapshot(parse(frame, LINKTYPE_ETHERNET))).toEqual(
      expected({ status: ST_TOO_MANY_TAGS, tagTciOff: [14, 18, 22, 26, 30, 34, 38, 42] }),
    );
  });

  it('a frame ending inside a tag is short-vlan-tag (or truncated-vlan-tag when snapped)', () => {
    const frame = eth(0x0800, ipv4({ proto: 17 }, udp(1, 2)), [{ tpid: 0x8100 }]);
    expect(parse(frame.subarray(0, 16), LINKTYPE_ETHERNET).status).toBe(ST_SHORT_VLAN);
    expect(parse(frame, LINKTYPE_ETHERNET, 16, frame.length).status).toBe(ST_TRUNC_VLAN);
  });
});

describe('link layer', () => {
  it('an unsupported link type is reported and nothing is decoded', () => {
    const b = ipv4({ proto: 17 }, udp(1, 2));
    const p = parse(b, 147);
    expect(snapshot(p)).toEqual(expected({ status: ST_UNSUPPORTED_LINKTYPE }));
    expect(p.linkType).toBe(147);
  });

  it('a frame shorter than the Ethernet header is short-link-header; snapped it is truncated', () => {
    const b = new Uint8Array(13);
    expect(parse(b, LINKTYPE_ETHERNET).status).toBe(ST_SHORT_LINK);
    expect(parse(b, LINKTYPE_ETHERNET, 13, 60).status).toBe(ST_TRUNC_LINK);
  });

  it('a NULL header cut short is short/truncated link header', () => {
    const b = new Uint8Array([2, 0, 0]);
    expect(parse(b, LINKTYPE_NULL).status).toBe(ST_SHORT_LINK);
    expect(parse(b, LINKTYPE_NULL, 3, 40).status).toBe(ST_TRUNC_LINK);
  });

  it('RAW: empty frame, version 5, version 0', () => {
    expect(parse(new Uint8Array(0), LINKTYPE_RAW).status).toBe(ST_SHORT_IP);
    expect(parse(new Uint8Array(0), LINKTYPE_RAW, 0, 40).status).toBe(ST_TRUNC_IP);
    const v5 = ipv4({ proto: 17 }, udp(1, 2));
    v5[0] = 0x55;
    expect(parse(v5, LINKTYPE_RAW).status).toBe(ST_BAD_IP_VERSION);
    v5[0] = 0x05;
    expect(parse(v5, LINKTYPE_RAW).status).toBe(ST_BAD_IP_VERSION);
  });

  it('LINKTYPE_IPV4 with an IPv6 packet, LINKTYPE_IPV6 with an IPv4 packet: bad-ip-version', () => {
    const v6 = ipv6({ next: 17 }, udp(1, 2));
    const v4 = concat(ipv4({ proto: 17 }, udp(1, 2)), new Uint8Array(20));
    expect(parse(v6, LINKTYPE_IPV4).status).toBe(ST_BAD_IP_VERSION);
    expect(parse(v4, LINKTYPE_IPV6).status).toBe(ST_BAD_IP_VERSION);
  });

  it('NULL AF_INET with an IPv6 packet is bad-ip-version', () => {
    const b = concat([2, 0, 0, 0], ipv6({ next: 17 }, udp(1, 2)));
    expect(parse(b, LINKTYPE_NULL).status).toBe(ST_BAD_IP_VERSION);
  });

  it('a short IPv4 header in a frame that ends there is short-ip-header', () => {
    const frame = eth(0x0800, ipv4({ proto: 17 }, udp(1, 2)));
    expect(parse(frame.subarray(0, 30), LINKTYPE_ETHERNET).status).toBe(ST_SHORT_IP);
  });

  it('a non-IP EtherType after SLL is not-ip', () => {
    const b = hex('00 00 00 01 00 06 66 77 88 99 aa bb 00 00 08 06 00 01 08 00');
    const p = parse(b, 113);
    expect(snapshot(p)).toEqual(expected({ status: ST_NOT_IP, etherType: 0x0806 }));
  });
});

describe('status table', () => {
  const all = Array.from({ length: ST_COUNT }, (_, i) => i);
  const MALFORMED = [
    ST_SHORT_LINK,
    ST_SHORT_VLAN,
    ST_TOO_MANY_TAGS,
    ST_SHORT_IP,
    ST_BAD_IP_VERSION,
    ST_BAD_IHL,
    ST_BAD_IP_LENGTH,
    ST_BAD_IPV6_EXT,
    ST_TOO_MANY_IPV6_EXT,
    ST_BAD_L4_LENGTH,
  ];
  const TRUNCATED = [ST_TRUNC_LINK, ST_TRUNC_VLAN, ST_TRUNC_IP, ST_TRUNC_IPV6_EXT, ST_TRUNC_PORTS];

  it('malformed and snap-truncated are exactly the documented sets and never overlap', () => {
    expect(all.filter(isMalformed).sort((a, b) => a - b)).toEqual([...MALFORMED].sort((a, b) => a - b));
    expect(all.filter(isSnapTruncated).sort((a, b) => a - b)).toEqual([...TRUNCATED].sort((a, b) => a - b));
    for (const s of [ST_OK, ST_NOT_IP, ST_UNSUPPORTED_LINKTYPE]) {
      expect(isMalformed(s)).toBe(false);
      expect(isSnapTruncated(s)).toBe(false);
    }
  });

  it('every status has a distinct name and description; unknown codes get a fallback', () => {
    expect(new Set(all.map(statusName)).size).toBe(ST_COUNT);
    expect(new Set(all.map(statusDescription)).size).toBe(ST_COUNT);
    expect(statusName(ST_TRUNC_PORTS)).toBe('truncated-before-ports');
    expect(statusName(ST_OK)).toBe('ok');
    expect(statusName(99)).toBe('status-99');
    expect(statusDescription(99)).toBe('status 99');
  });
});

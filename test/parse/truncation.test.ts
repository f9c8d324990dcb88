/**
 * Truncation sweeps: every capture length from 0 to the whole frame, once as
 * a snap-length cut (wire length = whole frame) and once as a frame that
 * really ended there (wire length = capture length).
 *
 * Each representative frame lists, by hand, the end offset of every header
 * the parser must see and the status it reports while that end is missing.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import type { Policy } from '../../src/classify/policy.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { parseFrame } from '../../src/parse/frame.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../../src/parse/linktype.js';
import { ParsedFrame } from '../../src/parse/parsed-frame.js';
import {
  ST_BAD_IP_LENGTH,
  ST_OK,
  ST_SHORT_IP,
  ST_SHORT_LINK,
  ST_SHORT_VLAN,
  ST_TRUNC_IP,
  ST_TRUNC_IPV6_EXT,
  ST_TRUNC_LINK,
  ST_TRUNC_PORTS,
  ST_TRUNC_VLAN,
  isMalformed,
  statusName,
} from '../../src/parse/status.js';
import { concat, eth, ipv4, ipv6, tcp, udp, toHex } from '../support/bytes.js';

interface Representative {
  name: string;
  linkType: number;
  frame: Uint8Array;
  /** [end offset, status while capLen < end], in increasing order. */
  bounds: [number, number][];
  l3Off: number;
  /** 20 for IPv4, 40 for IPv6. */
  ipMin: number;
  ipEnd: number;
  /** End of the port bytes, or -1 when the frame has no ports (then the IP header end). */
  portsEnd: number;
  ports: [number, number] | null;
}

const ETH_HDR = (type: number, tags: number[] = []) => {
  const parts: number[][] = [[0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb]];
  for (const tpid of tags) parts.push([tpid >> 8, tpid & 0xff, 0x00, 0x64]);
  parts.push([type >> 8, type & 0xff]);
  return concat(...parts);
};

const REPS: Representative[] = [
  {
    name: 'Ethernet / 802.1Q / IPv4 (IHL 6) / UDP',
    linkType: LINKTYPE_ETHERNET,
    // eth 0-12, TPID 12, TCI 14-16, type 16-18, IPv4 18-42 (24 bytes), UDP 42-50
    frame: concat(ETH_HDR(0x0800, [0x8100]), ipv4({ proto: 17, options: [1, 1, 1, 0] }, udp(5060, 20000))),
    bounds: [
      [14, ST_TRUNC_LINK],
      [18, ST_TRUNC_VLAN],
      [38, ST_TRUNC_IP],
      [42, ST_TRUNC_IP],
      [46, ST_TRUNC_PORTS],
    ],
    l3Off: 18,
    ipMin: 20,
    ipEnd: 50,
    portsEnd: 46,
    ports: [5060, 20000],
  },
  {
    name: 'Ethernet / 802.1ad / 802.1Q / IPv6 / HBH / Fragment(first) / AH / TCP',
    linkType: LINKTYPE_ETHERNET,
    // tags 14-18, 18-22; IPv6 22-62; HBH 62-70; Frag 70-78; AH 78-102; TCP 102-122
    frame: concat(
      ETH_HDR(0x86dd, [0x88a8, 0x8100]),
      ipv6(
        { next: 0 },
        concat(
          [44, 0, 1, 4, 0, 0, 0, 0],
          [51, 0, 0, 1, 0, 0, 0, 9],
          [6, 4, 0, 0, 0, 0, 0x10, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
          tcp(5061, 2748),
        ),
      ),
    ),
    bounds: [
      [14, ST_TRUNC_LINK],
      [18, ST_TRUNC_VLAN],
      [22, ST_TRUNC_VLAN],
      [62, ST_TRUNC_IP],
      [64, ST_TRUNC_IPV6_EXT],
      [78, ST_TRUNC_IPV6_EXT],
      [80, ST_TRUNC_IPV6_EXT],
      [106, ST_TRUNC_PORTS],
    ],
    l3Off: 22,
    ipMin: 40,
    ipEnd: 122,
    portsEnd: 106,
    ports: [5061, 2748],
  },
  {
    name: 'SLL2 / IPv6 / UDP',
    linkType: LINKTYPE_LINUX_SLL2,
    frame: concat(
      [0x86, 0xdd, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0, 0],
      ipv6({ next: 17 }, udp(20000, 5060, [1, 2, 3, 4])),
    ),
    bounds: [
      [20, ST_TRUNC_LINK],
      [60, ST_TRUNC_IP],
      [64, ST_TRUNC_PORTS],
    ],
    l3Off: 20,
    ipMin: 40,
    ipEnd: 72,
    portsEnd: 64,
    ports: [20000, 5060],
  },
  {
    name: 'SLL / 802.1Q / IPv4 first fragment / UDP',
    linkType: LINKTYPE_LINUX_SLL,
    frame: concat(
      [0, 0, 0, 1, 0, 6, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0, 0, 0x81, 0x00],
      [0xa0, 0x64, 0x08, 0x00],
      ipv4({ proto: 17, flagsFrag: 0x2000, id: 0x4242 }, udp(16384, 32766, [9, 9, 9, 9, 9, 9, 9, 9])),
    ),
    bounds: [
      [16, ST_TRUNC_LINK],
      [20, ST_TRUNC_VLAN],
      [40, ST_TRUNC_IP],
      [44, ST_TRUNC_PORTS],
    ],
    l3Off: 20,
    ipMin: 20,
    ipEnd: 56,
    portsEnd: 44,
    ports: [16384, 32766],
  },
  {
    name: 'NULL / IPv4 / TCP',
    linkType: LINKTYPE_NULL,
    frame: concat([2, 0, 0, 0], ipv4({ proto: 6 }, tcp(443, 50000))),
    bounds: [
      [4, ST_TRUNC_LINK],
      [24, ST_TRUNC_IP],
      [28, ST_TRUNC_PORTS],
    ],
    l3Off: 4,
    ipMin: 20,
    ipEnd: 44,
    portsEnd: 28,
    ports: [443, 50000],
  },
  {
    name: 'RAW / IPv6 / Destination Options (16) / UDP',
    linkType: LINKTYPE_RAW,
    frame: ipv6({ next: 60 }, concat([17, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], udp(5060, 5060))),
    bounds: [
      [40, ST_TRUNC_IP],
      [42, ST_TRUNC_IPV6_EXT],
      [60, ST_TRUNC_PORTS],
    ],
    l3Off: 0,
    ipMin: 40,
    ipEnd: 64,
    portsEnd: 60,
    ports: [5060, 5060],
  },
  {
    name: 'Ethernet / IPv4 / UDP padded to 60 bytes',
    linkType: LINKTYPE_ETHERNET,
    frame: concat(eth(0x0800, ipv4({ proto: 17 }, udp(5060, 20000))), new Uint8Array(18)),
    bounds: [
      [14, ST_TRUNC_LINK],
      [34, ST_TRUNC_IP],
      [38, ST_TRUNC_PORTS],
    ],
    l3Off: 14,
    ipMin: 20,
    ipEnd: 42,
    portsEnd: 38,
    ports: [5060, 20000],
  },
  {
    name: 'LOOP / IPv4 / ICMP (no ports)',
    linkType: LINKTYPE_LOOP,
    frame: concat([0, 0, 0, 2], ipv4({ proto: 1 }, [8, 0, 0xf7, 0xff, 0, 0, 0, 0])),
    bounds: [
      [4, ST_TRUNC_LINK],
      [24, ST_TRUNC_IP],
    ],
    l3Off: 4,
    ipMin: 20,
    ipEnd: 32,
    portsEnd: -1,
    ports: null,
  },
];

function snapStatus(r: Representative, capLen: number): number {
  for (const [end, status] of r.bounds) if (capLen < end) return status;
  return ST_OK;
}

function shortStatus(r: Representative, capLen: number): number {
  const snapped = snapStatus(r, capLen);
  if (snapped === ST_TRUNC_LINK) return ST_SHORT_LINK;
  if (snapped === ST_TRUNC_VLAN) return ST_SHORT_VLAN;
  if (capLen < r.l3Off + r.ipMin) return ST_SHORT_IP;
  if (capLen < r.ipEnd) return ST_BAD_IP_LENGTH;
  return snapped;
}

/** Everything gets EF and CoS 5: any frame that reaches classification would change. */
const REMARK_ALL: Policy = {
  classes: new Map([['all', { dscp: 46, cos: 5 }]]),
  rules: [{ name: 'any', protocols: ['udp', 'tcp'], ports: [{ lo: 0, hi: 65535 }], side: 'either', className: 'all' }],
  defaultMarking: { dscp: 46, cos: 5 },
  media: new Map(),
};

describe.each(REPS.map((r) => [r.name, r] as const))('truncation sweep: %s', (_name, r) => {
  const full = r.frame.length;

  it('the representative frame parses whole (sanity of the hand-worked offsets)', () => {
    const p = new ParsedFrame();
    expect(parseFrame(r.frame, 0, full, full, r.linkType, p)).toBe(ST_OK);
    expect(p.l3Off).toBe(r.l3Off);
    expect(p.ipEnd).toBe(r.ipEnd);
    if (r.ports) expect(p.l4Off + 4).toBe(r.portsEnd);
  });

  it('snap-length cut: right truncated-* status, never malformed, ports only when all 4 bytes are there', () => {
    const p = new ParsedFrame();
    for (let capLen = 0; capLen <= full; capLen++) {
      const status = parseFrame(r.frame, 0, capLen, full, r.linkType, p);
      const want = snapStatus(r, capLen);
      expect(statusName(status), `capLen ${capLen}`).toBe(statusName(want));
      expect(isMalformed(status), `capLen ${capLen}`).toBe(false);
      const havePorts = r.ports !== null && capLen >= r.portsEnd;
      expect([p.srcPort, p.dstPort], `capLen ${capLen}`).toEqual(havePorts ? r.ports : [-1, -1]);
      expect(p.capEnd).toBe(capLen);
      expect(p.wireLen).toBe(full);
    }
  });

  it('frame really that short: malformed (short-*/bad-*) status, never truncated-*, no ports', () => {
    const p = new ParsedFrame();
    for (let capLen = 0; capLen <= full; capLen++) {
      const status = parseFrame(r.frame, 0, capLen, capLen, r.linkType, p);
      const want = shortStatus(r, capLen);
      expect(statusName(status), `capLen ${capLen}`).toBe(statusName(want));
      if (capLen < r.ipEnd) {
        expect(isMalformed(status), `capLen ${capLen}`).toBe(true);
        expect([p.srcPort, p.dstPort], `capLen ${capLen}`).toEqual([-1, -1]);
      }
    }
  });

  it('marking through the Pipeline changes no byte unless every needed byte was captured', () => {
    const pipeline = new Pipeline(compilePolicy(REMARK_ALL));
    const needEnd = r.ports ? r.portsEnd : r.l3Off + r.ipMin;
    const off = 5;
    for (const mode of ['snap', 'short'] as const) {
      for (let capLen = 0; capLen <= full; capLen++) {
        // The rest of the real frame follows capEnd in the buffer, so a read past it would find valid data.
        const buf = concat([0xee, 0xee, 0xee, 0xee, 0xee], r.frame, [0xee, 0xee]);
        const before = buf.slice();
        const wireLen = mode === 'snap' ? full : capLen;
        pipeline.handle(buf, off, capLen, wireLen, r.linkType, 1, 0);
        const parsedOk = pipeline.parsed.status === ST_OK;
        const shouldChange = capLen >= needEnd && (mode === 'snap' || capLen >= r.ipEnd);
        expect(parsedOk, `${mode} capLen ${capLen}`).toBe(shouldChange);
        if (!shouldChange) {
          expect(toHex(buf), `${mode} capLen ${capLen}`).toBe(toHex(before));
        } else {
          expect(toHex(buf), `${mode} capLen ${capLen}: should have been re-marked`).not.toBe(toHex(before));
          // Only bytes inside the captured part may change.
          for (let i = 0; i < buf.length; i++) {
            if (i < off || i >= off + capLen) expect(buf[i], `${mode} capLen ${capLen} byte ${i}`).toBe(before[i]);
          }
        }
      }
    }
  });
});

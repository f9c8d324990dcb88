/**
 * A structured random frame generator for the property tests of this suite.
 * It records, from construction, where the IP header and each VLAN TCI sit,
 * so the properties do not have to trust the parser for those positions.
 */
import fc from 'fast-check';
import { concat, fixIpv4Checksum, ipv4, ipv6, tcp, udp } from '../support/bytes.js';

export interface GenFrame {
  bytes: Uint8Array;
  linkType: number;
  ipVersion: 4 | 6;
  l3Off: number;
  ipHeaderLen: number;
  tciOffs: readonly number[];
  /** Whether the IPv4 checksum was written correctly. */
  checksumValid: boolean;
}

export const PORTS = [0, 53, 69, 80, 443, 2748, 5060, 5061, 5222, 8080, 16383, 16384, 20000, 32766, 32767, 65535];

const arbPort = fc.oneof(fc.constantFrom(...PORTS), fc.integer({ min: 0, max: 65535 }));
const arbTpid = fc.constantFrom(0x8100, 0x88a8, 0x9100);
const arbTci = fc.integer({ min: 0, max: 0xffff });

type L4 = { proto: number; bytes: Uint8Array };

const arbL4: fc.Arbitrary<L4> = fc.oneof(
  fc.tuple(arbPort, arbPort, fc.uint8Array({ maxLength: 12 })).map(([s, d, pl]) => ({ proto: 17, bytes: udp(s, d, pl) })),
  fc.tuple(arbPort, arbPort).map(([s, d]) => ({ proto: 6, bytes: tcp(s, d) })),
  fc.uint8Array({ minLength: 0, maxLength: 12 }).map((b) => ({ proto: 1, bytes: b })),
);

type Ext = { kind: 'hbh' | 'dst' | 'rt' | 'ah' | 'frag'; units: number; more: boolean; ident: number; len: number };

const arbExt: fc.Arbitrary<Ext> = fc.record({
  kind: fc.constantFrom('hbh', 'dst', 'rt', 'ah', 'frag'),
  units: fc.constantFrom(0, 0, 1, 185),
  more: fc.boolean(),
  ident: fc.integer({ min: 0, max: 0xffffffff }),
  len: fc.integer({ min: 0, max: 2 }),
}) as fc.Arbitrary<Ext>;

const EXT_CODE = { hbh: 0, dst: 60, rt: 43, ah: 51, frag: 44 } as const;

function buildExts(exts: Ext[], l4: L4): { first: number; bytes: Uint8Array } {
  let next = l4.proto;
  let body = l4.bytes;
  for (let i = exts.length - 1; i >= 0; i--) {
    const e = exts[i];
    let h: number[];
    if (e.kind === 'frag') {
      const off = (e.units << 3) | (e.more ? 1 : 0);
      h = [next, 0, off >> 8, off & 0xff, (e.ident >>> 24) & 0xff, (e.ident >>> 16) & 0xff, (e.ident >>> 8) & 0xff, e.ident & 0xff];
    } else if (e.kind === 'ah') {
      const words = 1 + e.len; // payload len field, bytes = (field+2)*4
      h = [next, words, 0, 0, ...new Array((words + 2) * 4 - 4).fill(0xab)];
    } else {
      h = [next, e.len, ...new Array((e.len + 1) * 8 - 2).fill(0)];
    }
    body = concat(h, body);
    next = EXT_CODE[e.kind];
  }
  return { first: next, bytes: body };
}

const arbIpv4 = fc.record({
  tos: fc.integer({ min: 0, max: 255 }),
  id: fc.integer({ min: 0, max: 0xffff }),
  frag: fc.constantFrom(0, 0x4000, 0x2000, 0x0001, 0x20b9, 0x0100),
  optWords: fc.integer({ min: 0, max: 10 }),
  ttl: fc.integer({ min: 0, max: 255 }),
  src: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 1]),
  dst: fc.constantFrom<number[]>([10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 1]),
  l4: arbL4,
  badChecksum: fc.option(fc.integer({ min: 0, max: 0xffff }), { freq: 3 }),
});

const arbIpv6 = fc.record({
  tc: fc.integer({ min: 0, max: 255 }),
  flow: fc.integer({ min: 0, max: 0xfffff }),
  exts: fc.array(arbExt, { maxLength: 4 }),
  l4: arbL4,
});

type Ip = { version: 4 | 6; bytes: Uint8Array; headerLen: number; checksumValid: boolean };

const arbIp: fc.Arbitrary<Ip> = fc.oneof(
  arbIpv4.map((o) => {
    const b = ipv4(
      { tos: o.tos, id: o.id, flagsFrag: o.frag, ttl: o.ttl, proto: o.l4.proto, src: o.src, dst: o.dst, options: new Array(o.optWords * 4).fill(1) },
      o.l4.bytes,
    );
    let valid = true;
    if (o.badChecksum !== null) {
      b[10] = o.badChecksum >>> 8;
      b[11] = o.badChecksum & 0xff;
      const copy = b.slice();
      fixIpv4Checksum(copy, 0);
      valid = copy[10] === b[10] && copy[11] === b[11];
    }
    return { version: 4 as const, bytes: b, headerLen: 20 + o.optWords * 4, checksumValid: valid };
  }),
  arbIpv6.map((o) => {
    const chain = buildExts(o.exts, o.l4);
    return { version: 6 as const, bytes: ipv6({ tc: o.tc, flow: o.flow, next: chain.first }, chain.bytes), headerLen: 40, checksumValid: true };
  }),
);

type Link = { linkType: number; head: (ipVersion: 4 | 6) => Uint8Array; tciOffs: readonly number[] };

const MACS = [0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

const arbLink: fc.Arbitrary<Link> = fc.oneof(
  fc.array(fc.tuple(arbTpid, arbTci), { maxLength: 3 }).map((tags) => ({
    linkType: 1,
    tciOffs: tags.map((_, i) => 14 + 4 * i),
    head: (v: 4 | 6) => {
      const parts: number[][] = [MACS];
      for (const [tpid, tci] of tags) parts.push([tpid >> 8, tpid & 0xff], [tci >> 8, tci & 0xff]);
      parts.push(v === 4 ? [0x08, 0x00] : [0x86, 0xdd]);
      // MACs | TPID TCI | TPID TCI ... | type: TCI i sits at 14 + 4i.
      return concat(...parts);
    },
  })),
  fc.option(arbTci, { freq: 2 }).map((tci) => ({
    linkType: 113,
    tciOffs: tci === null ? [] : [16],
    head: (v: 4 | 6) => {
      const type = v === 4 ? [0x08, 0x00] : [0x86, 0xdd];
      const base = [0, 0, 0, 1, 0, 6, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0, 0];
      return tci === null ? concat(base, type) : concat(base, [0x81, 0x00, tci >> 8, tci & 0xff], type);
    },
  })),
  fc.constant({
    linkType: 276,
    tciOffs: [],
    head: (v: 4 | 6) => concat(v === 4 ? [0x08, 0x00] : [0x86, 0xdd], [0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]),
  }),
  fc.boolean().map((le) => ({
    linkType: 0,
    tciOffs: [],
    head: (v: 4 | 6) => {
      const fam = v === 4 ? 2 : 30;
      return Uint8Array.from(le ? [fam, 0, 0, 0] : [0, 0, 0, fam]);
    },
  })),
  fc.constant({ linkType: 108, tciOffs: [], head: (v: 4 | 6) => Uint8Array.from([0, 0, 0, v === 4 ? 2 : 24]) }),
  fc.constant({ linkType: 101, tciOffs: [], head: () => new Uint8Array(0) }),
  fc.constant({ linkType: -4, tciOffs: [], head: () => new Uint8Array(0) }), // 228/229 by version
);

export const arbGenFrame: fc.Arbitrary<GenFrame> = fc.tuple(arbLink, arbIp, fc.integer({ min: 0, max: 6 })).map(([link, ip, pad]) => {
  const head = link.head(ip.version);
  const linkType = link.linkType === -4 ? (ip.version === 4 ? 228 : 229) : link.linkType;
  return {
    bytes: concat(head, ip.bytes, new Uint8Array(pad)),
    linkType,
    ipVersion: ip.version,
    l3Off: head.length,
    ipHeaderLen: ip.headerLen,
    tciOffs: link.tciOffs,
    checksumValid: ip.checksumValid,
  };
});

/** Link types the parser supports and a spread of ones it does not. */
export const arbAnyLinkType = fc.oneof(
  fc.constantFrom(0, 1, 101, 108, 113, 228, 229, 276),
  fc.constantFrom(9, 104, 105, 127, 147, 192, 239, 275, 277, 65535),
  fc.integer({ min: -2, max: 70000 }),
);

/**
 * fast-check arbitraries that build random, structured capture frames for the
 * differential tests (reference marker vs. optimised marker).
 *
 *  - arbFrame():        structured, mostly well-formed frames.
 *  - arbMutatedFrame(): arbFrame() plus damage (snap, wireLen, bit flips, length fields).
 *  - arbRandomBytes():  uniformly random bytes under a random (partly unsupported) link type.
 *
 * Invariant: bytes.length === capLen. wireLen is normally >= capLen; arbMutatedFrame
 * occasionally produces wireLen < capLen on purpose (spec: wireEnd = max(wireLen, capLen)).
 *
 * Fragment keys are drawn from small pools of addresses and ids so that a
 * fc.array(arbFrame()) sequence often contains a first fragment followed by
 * matching non-first fragments.
 */
import fc from 'fast-check';

export type ArbFrame = { bytes: Uint8Array; capLen: number; wireLen: number; linkType: number };

export const SUPPORTED_LINK_TYPES = [0, 1, 101, 108, 113, 228, 229, 276] as const;
export const UNSUPPORTED_LINK_TYPES = [9, 104, 105, 127, 147, 192, 239, 275, 277, 65535] as const;
export const INTERESTING_PORTS = [
  69, 80, 143, 389, 443, 993, 2748, 5060, 5061, 5222, 7993, 8080, 8191, 16383, 16384, 20000, 32766, 32767, 0, 65535,
] as const;

const TPIDS = [0x8100, 0x88a8, 0x9100] as const;

// ---------------------------------------------------------------------------
// Small byte helpers
// ---------------------------------------------------------------------------

class Bytes {
  readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v);
  }
  raw(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.u8(b[i]);
    return this;
  }
  set16(off: number, v: number): void {
    this.parts[off] = (v >>> 8) & 0xff;
    this.parts[off + 1] = v & 0xff;
  }
  toUint8Array(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function onesAdd(a: number, b: number): number {
  const s = (a & 0xffff) + (b & 0xffff);
  return (s & 0xffff) + (s >>> 16);
}

function onesSumWords(b: number[], start: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s = onesAdd(s, (b[start + i] << 8) | b[start + i + 1]);
  return s;
}

// ---------------------------------------------------------------------------
// Field arbitraries
// ---------------------------------------------------------------------------

const arbPort = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...INTERESTING_PORTS) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  );

const arbBytes = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: min, maxLength: max });

const V4_ADDRS = [
  [10, 0, 0, 1],
  [10, 0, 0, 2],
  [192, 168, 1, 20],
];
/** Addresses: mostly a canonical pair (src = pool[0], dst = pool[1]) so that fragment keys collide. */
const arbAddr = (pool: number[][], canonical: number, size: number): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 16, arbitrary: fc.constant(pool[canonical]).map((a) => Uint8Array.from(a)) },
    { weight: 2, arbitrary: fc.constantFrom(...pool).map((a) => Uint8Array.from(a)) },
    { weight: 1, arbitrary: arbBytes(size, size) },
  );
const arbV4Addr = (canonical: number): fc.Arbitrary<Uint8Array> => arbAddr(V4_ADDRS, canonical, 4);

const V6_ADDRS = [
  [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
  [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
  [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55],
];
const arbV6Addr = (canonical: number): fc.Arbitrary<Uint8Array> => arbAddr(V6_ADDRS, canonical, 16);

const arbFragId16 = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(1) },
    { weight: 2, arbitrary: fc.constantFrom(2, 0x1234) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
  );
const arbFragId32 = (): fc.Arbitrary<number> =>
  fc.oneof(
    { weight: 12, arbitrary: fc.constant(1) },
    { weight: 2, arbitrary: fc.constantFrom(2, 0x12345678) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
  );

// ---------------------------------------------------------------------------
// Layer-4 and IP specs
// ---------------------------------------------------------------------------

type L4Spec =
  | { kind: 'udp' | 'tcp'; src: number; dst: number; payload: Uint8Array; seq: number; flags: number }
  | { kind: 'other'; proto: number; payload: Uint8Array };

const arbL4 = (): fc.Arbitrary<L4Spec> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc.record({
        kind: fc.constantFrom('udp' as const, 'tcp' as const),
        src: arbPort(),
        dst: arbPort(),
        payload: arbBytes(0, 48),
        seq: fc.integer({ min: 0, max: 0xffffffff }),
        flags: fc.integer({ min: 0, max: 0xff }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('other' as const),
        proto: fc.constantFrom(1, 2, 47, 50, 58, 59, 132, 255),
        payload: arbBytes(0, 32),
      }),
    },
  );

function l4Proto(l4: L4Spec): number {
  if (l4.kind === 'other') return l4.proto;
  return l4.kind === 'udp' ? 17 : 6;
}

function l4Bytes(l4: L4Spec): number[] {
  const b = new Bytes();
  if (l4.kind === 'udp') {
    b.u16(l4.src).u16(l4.dst).u16(8 + l4.payload.length).u16(0).raw(l4.payload);
  } else if (l4.kind === 'tcp') {
    b.u16(l4.src).u16(l4.dst).u32(l4.seq).u32(0).u8(5 << 4).u8(l4.flags).u16(0xffff).u16(0).u16(0).raw(l4.payload);
  } else {
    b.raw(l4.payload);
  }
  return b.parts;
}

type ChecksumMode = 'valid' | 'invalid' | 'negzero-ffff' | 'negzero-0000';

type V4Spec = {
  v: 4;
  dscp: number;
  ecn: number;
  id: number;
  df: boolean;
  fragment: 'none' | 'first' | 'nonfirst';
  fragOffset: number;
  moreAfter: boolean;
  ttl: number;
  src: Uint8Array;
  dst: Uint8Array;
  options: Uint8Array;
  checksum: ChecksumMode;
  invalidDelta: number;
  l4: L4Spec;
  fragBody: Uint8Array;
  /** When fragmented, usually force UDP so that fragment keys of a sequence collide. */
  fragUdp: boolean;
};

const arbV4 = (): fc.Arbitrary<V4Spec> =>
  fc.record({
    v: fc.constant(4 as const),
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    id: arbFragId16(),
    df: fc.boolean(),
    fragment: fc.oneof(
      { weight: 5, arbitrary: fc.constant('none' as const) },
      { weight: 3, arbitrary: fc.constant('first' as const) },
      { weight: 3, arbitrary: fc.constant('nonfirst' as const) },
    ),
    fragOffset: fc.integer({ min: 1, max: 0x1fff }),
    moreAfter: fc.boolean(),
    ttl: fc.integer({ min: 0, max: 255 }),
    src: arbV4Addr(0),
    dst: arbV4Addr(1),
    options: fc.oneof(
      { weight: 4, arbitrary: fc.constant(new Uint8Array(0)) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 10 }).chain((n) => arbBytes(n * 4, n * 4)) },
    ),
    checksum: fc.oneof(
      { weight: 8, arbitrary: fc.constant('valid' as const) },
      { weight: 3, arbitrary: fc.constant('invalid' as const) },
      { weight: 1, arbitrary: fc.constant('negzero-ffff' as const) },
      { weight: 1, arbitrary: fc.constant('negzero-0000' as const) },
    ),
    invalidDelta: fc.integer({ min: 1, max: 0xfffe }),
    l4: arbL4(),
    fragBody: arbBytes(0, 40),
    fragUdp: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });

type ExtSpec =
  | { t: 'generic'; code: number; lenByte: number; fill: Uint8Array }
  | { t: 'ah'; lenByte: number; fill: Uint8Array }
  | { t: 'frag'; offset: number; more: boolean; id: number; reserved: number };

const arbFragExt = (): fc.Arbitrary<ExtSpec> =>
  fc.record({
    t: fc.constant('frag' as const),
    offset: fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 0x1fff }) }),
    more: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    id: arbFragId32(),
    reserved: fc.integer({ min: 0, max: 3 }),
  });

const arbExt = (): fc.Arbitrary<ExtSpec> =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        t: fc.constant('generic' as const),
        code: fc.constantFrom(0, 43, 60, 135, 139, 140),
        lenByte: fc.integer({ min: 0, max: 3 }),
        fill: arbBytes(30, 30),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        t: fc.constant('ah' as const),
        lenByte: fc.integer({ min: 0, max: 6 }),
        fill: arbBytes(30, 30),
      }),
    },
    { weight: 3, arbitrary: arbFragExt() },
  );

type V6Spec = {
  v: 6;
  dscp: number;
  ecn: number;
  flow: number;
  hopLimit: number;
  src: Uint8Array;
  dst: Uint8Array;
  exts: ExtSpec[];
  l4: L4Spec;
  fragBody: Uint8Array;
  /** When fragmented, usually force UDP so that fragment keys of a sequence collide. */
  fragUdp: boolean;
};

const arbV6 = (): fc.Arbitrary<V6Spec> =>
  fc.record({
    v: fc.constant(6 as const),
    dscp: fc.integer({ min: 0, max: 63 }),
    ecn: fc.integer({ min: 0, max: 3 }),
    flow: fc.integer({ min: 0, max: 0xfffff }),
    hopLimit: fc.integer({ min: 0, max: 255 }),
    src: arbV6Addr(0),
    dst: arbV6Addr(1),
    exts: fc.oneof(
      { weight: 4, arbitrary: fc.array(arbExt(), { maxLength: 3 }) },
      // the common fragmented layout: [generic...] fragment -> upper layer
      {
        weight: 4,
        arbitrary: fc.tuple(fc.array(arbExt().filter((e) => e.t !== 'frag'), { maxLength: 1 }), arbFragExt()).map(([pre, frag]) => [...pre, frag]),
      },
      { weight: 1, arbitrary: fc.array(arbExt(), { minLength: 7, maxLength: 10 }) },
    ),
    l4: arbL4(),
    fragBody: arbBytes(0, 40),
    fragUdp: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
  });

type IpSpec = V4Spec | V6Spec;

/** A length/type field that arbMutatedFrame may corrupt. */
type Field = { off: number; kind: 'u8' | 'u16' | 'lowNibble' | 'highNibble' };

type Built = { frame: ArbFrame; fields: Field[] };

/** Fragmented datagrams are mostly UDP (fragmented SIP/RTP), so first/non-first keys often match. */
function effectiveL4(l4: L4Spec, fragmented: boolean, fragUdp: boolean): L4Spec {
  if (!fragmented || !fragUdp || l4.kind === 'udp') return l4;
  if (l4.kind === 'tcp') return { ...l4, kind: 'udp' };
  return { kind: 'udp', src: 5060, dst: 5060, payload: l4.payload, seq: 0, flags: 0 };
}

function ipv4Bytes(spec: V4Spec, base: number, fields: Field[]): number[] {
  const s: V4Spec = { ...spec, l4: effectiveL4(spec.l4, spec.fragment !== 'none', spec.fragUdp) };
  const afterHeader = s.fragment === 'nonfirst' ? Array.from(s.fragBody) : l4Bytes(s.l4);
  const headerLen = 20 + s.options.length;
  const totalLength = headerLen + afterHeader.length;
  const df = s.df ? 0x4000 : 0;
  const flagsFrag =
    s.fragment === 'none' ? df : s.fragment === 'first' ? df | 0x2000 : df | (s.moreAfter ? 0x2000 : 0) | s.fragOffset;
  const b = new Bytes();
  b.u8(0x40 | (headerLen / 4))
    .u8((s.dscp << 2) | s.ecn)
    .u16(totalLength)
    .u16(s.id)
    .u16(flagsFrag)
    .u8(s.ttl)
    .u8(l4Proto(s.l4))
    .u16(0)
    .raw(s.src)
    .raw(s.dst)
    .raw(s.options);
  const p = b.parts;
  if (s.checksum === 'negzero-ffff' || s.checksum === 'negzero-0000') {
    // Pick the id so that the sum of all other header words folds to 0xFFFF: then
    // both 0x0000 and 0xFFFF are valid checksums (ones-complement +0 / -0).
    p[4] = 0;
    p[5] = 0;
    const t = onesSumWords(p, 0, headerLen);
    b.set16(4, ~t & 0xffff);
    b.set16(10, s.checksum === 'negzero-ffff' ? 0xffff : 0x0000);
  } else {
    // invalidDelta is 1..0xFFFE, so valid + delta can never be the other zero
    // representation of a valid checksum: 'invalid' frames are always invalid.
    const valid = ~onesSumWords(p, 0, headerLen) & 0xffff;
    b.set16(10, s.checksum === 'valid' ? valid : (valid + s.invalidDelta) & 0xffff);
  }
  fields.push({ off: base, kind: 'lowNibble' }, { off: base, kind: 'highNibble' }, { off: base + 2, kind: 'u16' });
  fields.push({ off: base + 6, kind: 'u16' }, { off: base + 9, kind: 'u8' });
  const l4Off = base + headerLen;
  if (s.fragment !== 'nonfirst' && s.l4.kind === 'udp') fields.push({ off: l4Off + 4, kind: 'u16' });
  return p.concat(afterHeader);
}

function extCode(e: ExtSpec): number {
  return e.t === 'generic' ? e.code : e.t === 'ah' ? 51 : 44;
}

function ipv6Bytes(spec: V6Spec, base: number, fields: Field[]): number[] {
  const s: V6Spec = { ...spec, l4: effectiveL4(spec.l4, spec.exts.some((e) => e.t === 'frag'), spec.fragUdp) };
  const body = new Bytes();
  const upper = l4Proto(s.l4);
  fields.push({ off: base, kind: 'highNibble' }, { off: base + 4, kind: 'u16' }, { off: base + 6, kind: 'u8' });
  let stopped = false;
  for (let i = 0; i < s.exts.length && !stopped; i++) {
    const e = s.exts[i];
    const next = i + 1 < s.exts.length ? extCode(s.exts[i + 1]) : upper;
    const extOff = base + 40 + body.length;
    if (e.t === 'frag') {
      // A non-first fragment ends the chain: what follows is opaque fragment data.
      const nextForFrag = e.offset > 0 ? upper : next;
      body.u8(nextForFrag).u8(0).u16((e.offset << 3) | (e.reserved << 1) | (e.more ? 1 : 0)).u32(e.id);
      fields.push({ off: extOff, kind: 'u8' }, { off: extOff + 2, kind: 'u16' });
      if (e.offset > 0) stopped = true;
    } else {
      const len = e.t === 'ah' ? (e.lenByte + 2) * 4 : (e.lenByte + 1) * 8;
      body.u8(next).u8(e.lenByte);
      for (let k = 2; k < len; k++) body.u8(e.fill[k % e.fill.length]);
      fields.push({ off: extOff, kind: 'u8' }, { off: extOff + 1, kind: 'u8' });
    }
  }
  if (stopped) body.raw(s.fragBody);
  else {
    if (s.l4.kind === 'udp') fields.push({ off: base + 40 + body.length + 4, kind: 'u16' });
    body.raw(l4Bytes(s.l4));
  }
  const first = s.exts.length > 0 ? extCode(s.exts[0]) : upper;
  const tc = (s.dscp << 2) | s.ecn;
  const h = new Bytes();
  h.u32((6 << 28) | (tc << 20) | s.flow)
    .u16(body.length)
    .u8(first)
    .u8(s.hopLimit)
    .raw(s.src)
    .raw(s.dst);
  return h.parts.concat(body.parts);
}

function ipBytes(s: IpSpec, base: number, fields: Field[]): number[] {
  return s.v === 4 ? ipv4Bytes(s, base, fields) : ipv6Bytes(s, base, fields);
}

// ---------------------------------------------------------------------------
// Link layer
// ---------------------------------------------------------------------------

type TagSpec = { tpid: number; pcp: number; dei: number; vid: number };
const arbTag = (): fc.Arbitrary<TagSpec> =>
  fc.record({
    tpid: fc.constantFrom(...TPIDS),
    pcp: fc.integer({ min: 0, max: 7 }),
    dei: fc.integer({ min: 0, max: 1 }),
    vid: fc.oneof(fc.constantFrom(0, 1, 100, 4095), fc.integer({ min: 0, max: 4095 })),
  });

const arbTags = (): fc.Arbitrary<TagSpec[]> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constant<TagSpec[]>([]) },
    { weight: 3, arbitrary: fc.array(arbTag(), { minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.array(arbTag(), { minLength: 2, maxLength: 3 }) },
    { weight: 1, arbitrary: fc.array(arbTag(), { minLength: 7, maxLength: 10 }) },
  );

type LinkSpec = {
  linkType: number;
  tags: TagSpec[];
  mac: Uint8Array; // 12 bytes for Ethernet, 14 for SLL/SLL2 fillers
  nonIpType: number | null; // non-null: emit this EtherType and a random payload instead of IP
  nullLittleEndian: boolean;
  afV6: number;
  badAf: number | null; // NULL/LOOP: an address family that is not IP
  loopLittleEndian: boolean; // LOOP written in host (little-endian) order: not accepted
  padTo60: boolean;
  trailer: Uint8Array;
  extraWire: number;
};

const arbLink = (): fc.Arbitrary<LinkSpec> =>
  fc.record({
    linkType: fc.oneof(
      { weight: 5, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(0, 101, 108, 113, 228, 229, 276) },
    ),
    tags: arbTags(),
    mac: arbBytes(16, 16),
    nonIpType: fc.oneof(
      { weight: 12, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(0x0806, 0x88cc, 0x8847, 0x0000, 0x05dc, 0xffff) },
    ),
    nullLittleEndian: fc.boolean(),
    afV6: fc.constantFrom(10, 24, 28, 30),
    badAf: fc.option(fc.constantFrom(0, 1, 7, 17, 23, 26, 255), { freq: 10 }),
    loopLittleEndian: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
    padTo60: fc.boolean(),
    trailer: fc.oneof({ weight: 6, arbitrary: fc.constant(new Uint8Array(0)) }, { weight: 1, arbitrary: arbBytes(1, 8) }),
    extraWire: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }) }),
  });

function etherTypeAndTags(b: Bytes, tags: TagSpec[], etherType: number, fields: Field[], typeOff: number): void {
  // First type field already positioned by the caller at typeOff.
  if (tags.length === 0) {
    b.set16(typeOff, etherType);
    fields.push({ off: typeOff, kind: 'u16' });
    return;
  }
  b.set16(typeOff, tags[0].tpid);
  fields.push({ off: typeOff, kind: 'u16' });
  for (let i = 0; i < tags.length; i++) {
    const t = tags[i];
    const next = i + 1 < tags.length ? tags[i + 1].tpid : etherType;
    b.u16((t.pcp << 13) | (t.dei << 12) | t.vid);
    fields.push({ off: b.length, kind: 'u16' });
    b.u16(next);
  }
}

function build(link: LinkSpec, ip: IpSpec, nonIpPayload: Uint8Array): Built {
  const fields: Field[] = [];
  const b = new Bytes();
  const etherType = link.nonIpType ?? (ip.v === 4 ? 0x0800 : 0x86dd);
  let linkType = link.linkType;
  // IPV4 / IPV6 link types force the IP version; non-IP only makes sense with EtherTypes.
  switch (linkType) {
    case 1:
      b.raw(link.mac.subarray(0, 12)).u16(0);
      etherTypeAndTags(b, link.tags, etherType, fields, 12);
      break;
    case 113:
      b.u16(0).u16(1).u16(6).raw(link.mac.subarray(0, 8)).u16(0);
      etherTypeAndTags(b, link.tags, etherType, fields, 14);
      break;
    case 276:
      b.u16(0).u16(0).u32(2).u16(1).u8(0).u8(6).raw(link.mac.subarray(0, 8));
      etherTypeAndTags(b, link.tags, etherType, fields, 0);
      break;
    case 0:
    case 108: {
      const af = link.badAf ?? (ip.v === 4 ? 2 : link.afV6);
      const littleEndian = linkType === 0 ? link.nullLittleEndian : link.loopLittleEndian;
      if (littleEndian) b.u8(af).u8(0).u8(0).u8(0);
      else b.u32(af);
      fields.push({ off: 0, kind: 'u8' }, { off: 3, kind: 'u8' });
      break;
    }
    default:
      break; // 101 / 228 / 229: IP directly
  }
  if (linkType === 228 && ip.v !== 4) linkType = 229;
  else if (linkType === 229 && ip.v !== 6) linkType = 228;

  const isEtherLike = linkType === 1 || linkType === 113 || linkType === 276;
  if (isEtherLike && link.nonIpType !== null) {
    b.raw(nonIpPayload);
  } else {
    b.raw(ipBytes(ip, b.length, fields));
  }
  if (linkType === 1 && link.padTo60) while (b.length < 60) b.u8(0);
  b.raw(link.trailer);
  const bytes = b.toUint8Array();
  return {
    frame: { bytes, capLen: bytes.length, wireLen: bytes.length + link.extraWire, linkType },
    fields,
  };
}

const arbBuilt = (): fc.Arbitrary<Built> =>
  fc
    .tuple(arbLink(), fc.oneof(arbV4(), arbV6()), arbBytes(0, 46))
    .map(([link, ip, nonIp]) => build(link, ip, nonIp));

// ---------------------------------------------------------------------------
// Public arbitraries
// ---------------------------------------------------------------------------

export function arbFrame(): fc.Arbitrary<ArbFrame> {
  return arbBuilt().map((b) => b.frame);
}

type Mutation =
  | { m: 'snap'; pick: number }
  | { m: 'wire'; mode: 'shrink' | 'grow' | 'below'; pick: number }
  | { m: 'flip'; pick: number; mask: number }
  | { m: 'field'; pick: number; mode: 'random' | 'delta' | 'zero' | 'max'; value: number; delta: number };

const arbMutation = (): fc.Arbitrary<Mutation> =>
  fc.oneof(
    { weight: 3, arbitrary: fc.record({ m: fc.constant('snap' as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        m: fc.constant('wire' as const),
        mode: fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom('shrink' as const, 'grow' as const) },
          { weight: 1, arbitrary: fc.constant('below' as const) },
        ),
        pick: fc.nat(),
      }),
    },
    { weight: 3, arbitrary: fc.record({ m: fc.constant('flip' as const), pick: fc.nat(), mask: fc.integer({ min: 1, max: 255 }) }) },
    {
      weight: 4,
      arbitrary: fc.record({
        m: fc.constant('field' as const),
        pick: fc.nat(),
        mode: fc.constantFrom('random' as const, 'delta' as const, 'zero' as const, 'max' as const),
        value: fc.integer({ min: 0, max: 0xffff }),
        delta: fc.integer({ min: -12, max: 12 }),
      }),
    },
  );

function mutate(built: Built, mutations: Mutation[]): ArbFrame {
  let bytes = built.frame.bytes.slice();
  let wireLen = built.frame.wireLen;
  // Byte-level damage first (offsets refer to the unsnapped frame), then snap / wireLen.
  const ordered = [...mutations.filter((x) => x.m === 'flip' || x.m === 'field'), ...mutations.filter((x) => x.m === 'snap' || x.m === 'wire')];
  for (const mu of ordered) {
    switch (mu.m) {
      case 'flip':
        if (bytes.length > 0) bytes[mu.pick % bytes.length] ^= mu.mask;
        break;
      case 'field': {
        if (built.fields.length === 0) break;
        const f = built.fields[mu.pick % built.fields.length];
        const width = f.kind === 'u16' ? 2 : 1;
        if (f.off + width > bytes.length) break;
        const old = width === 2 ? (bytes[f.off] << 8) | bytes[f.off + 1] : bytes[f.off];
        let v =
          mu.mode === 'random' ? mu.value : mu.mode === 'delta' ? old + mu.delta : mu.mode === 'zero' ? 0 : 0xffff;
        if (f.kind === 'lowNibble') {
          const nib = mu.mode === 'delta' ? (old & 0x0f) + mu.delta : v;
          v = (old & 0xf0) | (nib & 0x0f);
        } else if (f.kind === 'highNibble') {
          const nib = mu.mode === 'delta' ? (old >> 4) + mu.delta : v;
          v = (old & 0x0f) | ((nib & 0x0f) << 4);
        }
        if (width === 2) {
          bytes[f.off] = (v >>> 8) & 0xff;
          bytes[f.off + 1] = v & 0xff;
        } else {
          bytes[f.off] = v & 0xff;
        }
        break;
      }
      case 'snap': {
        const cap = mu.pick % (bytes.length + 1);
        bytes = bytes.slice(0, cap);
        break;
      }
      case 'wire': {
        const cap = bytes.length;
        if (mu.mode === 'shrink') wireLen = cap + (mu.pick % (Math.max(wireLen, cap) - cap + 1));
        else if (mu.mode === 'grow') wireLen = Math.max(wireLen, cap) + 1 + (mu.pick % 1500);
        else wireLen = mu.pick % (cap + 1); // below capLen: deliberately inconsistent record
        break;
      }
    }
  }
  return { bytes, capLen: bytes.length, wireLen, linkType: built.frame.linkType };
}

export function arbMutatedFrame(): fc.Arbitrary<ArbFrame> {
  return fc
    .tuple(arbBuilt(), fc.array(arbMutation(), { minLength: 1, maxLength: 4 }))
    .map(([built, muts]) => mutate(built, muts));
}

export function arbRandomBytes(): fc.Arbitrary<ArbFrame> {
  return fc
    .record({
      bytes: fc.uint8Array({ maxLength: 128 }),
      linkType: fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...SUPPORTED_LINK_TYPES) },
        { weight: 1, arbitrary: fc.constantFrom(...UNSUPPORTED_LINK_TYPES) },
      ),
      extraWire: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 256 }) }),
    })
    .map(({ bytes, linkType, extraWire }) => ({
      bytes,
      capLen: bytes.length,
      wireLen: bytes.length + extraWire,
      linkType: linkType as number,
    }));
}

#!/usr/bin/env node
// Deterministic generator of golden capture fixtures for qosmark.
//
// Written from the qosmark specification only (it does not read or import
// anything under src/): it is an independent oracle. Each fixture is built
// from hand-written packet descriptions, each carrying a declared expectation
// ("ok sip", "malformed", ...). A small reference model written from the spec
// then decodes and marks every frame; the generator aborts if the model and
// the declaration disagree. The model's output is written as
// <name>.expected.json beside <name>.pcap.
//
// Usage: node scripts/gen-fixtures.mjs [outDir]
//   outDir defaults to fixtures/pcaps under the repository root.
// No dependencies, no clock, no Math.random: output is byte-identical on
// every run.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = process.argv[2] ? resolve(process.argv[2]) : join(REPO, 'fixtures', 'pcaps');

// ---------------------------------------------------------------- policy ---

const CLASSES = {
  voice: { dscp: 46, cos: 5 },
  video: { dscp: 32, cos: 4 },
  signalling: { dscp: 24, cos: 3 },
  data: { dscp: null, cos: null },
  default: { dscp: null, cos: null },
};
const TCP = 6;
const UDP = 17;
const rule = (name, protos, lo, hi, cls) => ({ name, protos, lo, hi, cls });
const RULES = [
  rule('sip', [UDP, TCP], 5060, 5061, 'signalling'),
  rule('ctiqbe', [TCP], 2748, 2748, 'signalling'),
  rule('tftp', [UDP], 69, 69, 'data'),
  rule('http', [TCP], 80, 80, 'data'),
  rule('imap', [TCP], 143, 143, 'data'),
  rule('ldap', [TCP], 389, 389, 'data'),
  rule('https', [TCP], 443, 443, 'data'),
  rule('imaps', [TCP], 993, 993, 'data'),
  rule('xmpp', [TCP], 5222, 5222, 'data'),
  rule('imap-tls', [TCP], 7993, 7993, 'data'),
  rule('ccmcip', [TCP], 8080, 8080, 'data'),
  rule('soap', [TCP], 8191, 8191, 'data'),
  rule('rtp', [UDP], 16384, 32766, 'voice'),
];
const ruleClass = (name) => RULES.find((r) => r.name === name).cls;

function classify(proto, sp, dp) {
  for (const r of RULES) {
    if (!r.protos.includes(proto)) continue;
    if ((sp >= r.lo && sp <= r.hi) || (dp >= r.lo && dp <= r.hi)) return { rule: r.name, cls: r.cls };
  }
  return { rule: null, cls: 'default' };
}

// ----------------------------------------------------------------- bytes ---

const cat = (...parts) => Buffer.concat(parts);
const u8 = (...a) => Buffer.from(a);
const be16 = (v) => { const b = Buffer.alloc(2); b.writeUInt16BE(v); return b; };
const be32 = (v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; };

function fold(s) {
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}
function onesSum(buf) {
  let s = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) s += buf.readUInt16BE(i);
  if (buf.length & 1) s += buf[buf.length - 1] << 8;
  return fold(s);
}
const inetChecksum = (buf) => ~onesSum(buf) & 0xffff;

function ip4(s) {
  const b = Buffer.from(s.split('.').map(Number));
  const ok = (b[0] === 198 && (b[1] === 18 || b[1] === 19)) || s.startsWith('192.0.2.') ||
    s.startsWith('198.51.100.') || s.startsWith('203.0.113.');
  if (b.length !== 4 || !ok) throw new Error(`address not in a documentation/benchmark range: ${s}`);
  return b;
}
function ip6(s) {
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const hp = head ? head.split(':') : [];
  const tp = tail ? tail.split(':') : [];
  const groups = tail === null ? hp : [...hp, ...Array(8 - hp.length - tp.length).fill('0'), ...tp];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  if (groups.length !== 8 || b.readUInt32BE(0) !== 0x20010db8) throw new Error(`address not in 2001:db8::/32: ${s}`);
  return b;
}
const addr = (s) => (s.includes(':') ? ip6(s) : ip4(s));

// Deterministic PRNG (mulberry32), reseeded per fixture from its name.
let rngState = 1;
function rng() {
  rngState = (rngState + 0x6d2b79f5) | 0;
  let t = Math.imul(rngState ^ (rngState >>> 15), 1 | rngState);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return (t ^ (t >>> 14)) >>> 0;
}
const rnd = (n) => Buffer.from(Array.from({ length: n }, () => rng() & 0xff));
function seed(name) {
  let h = 2166136261;
  for (const c of name) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  rngState = h | 0;
  ipId = 0x1000 + (h >>> 20);
  rtpSeq = (h >>> 16) & 0xfff;
}

// ------------------------------------------------------------ addresses ---

const C4 = '198.18.0.10'; // softphone
const S4 = '198.51.100.20'; // CUCM / servers
const P4 = '203.0.113.5'; // far-end phone
const G4 = '192.0.2.1'; // gateway
const C6 = '2001:db8::10';
const S6 = '2001:db8:1::20';
const P6 = '2001:db8:2::5';
const MAC_A = u8(0x00, 0x00, 0x5e, 0x00, 0x53, 0x01); // RFC 7042 documentation MACs
const MAC_B = u8(0x00, 0x00, 0x5e, 0x00, 0x53, 0x02);

// -------------------------------------------------------------- payloads ---

let ipId = 0x1000;
let rtpSeq = 0;
const SIP = Buffer.from(
  'OPTIONS sip:qos@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.10\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
);
function rtpPayload(n = 40) {
  const h = Buffer.alloc(12);
  h[0] = 0x80; // RTP v2, PT 0 (PCMU)
  h.writeUInt16BE(rtpSeq & 0xffff, 2);
  h.writeUInt32BE((rtpSeq * 160) >>> 0, 4);
  h.writeUInt32BE(0x5eed0001, 8);
  rtpSeq++;
  return cat(h, rnd(n));
}
const inRtp = (p) => p >= 16384 && p <= 32766;
const isSip = (p) => p === 5060 || p === 5061;
function autoPayload(proto, sp, dp) {
  if (isSip(sp) || isSip(dp)) return SIP;
  if (proto === UDP && (inRtp(sp) || inRtp(dp))) return rtpPayload();
  return rnd(proto === TCP ? 32 : 24);
}

// ------------------------------------------------------------- builders ---

function pseudoHeader(src, dst, proto, len) {
  const s = addr(src);
  const d = addr(dst);
  return s.length === 4 ? cat(s, d, u8(0, proto), be16(len)) : cat(s, d, be32(len), u8(0, 0, 0, proto));
}

// Transport segment with a valid checksum. o: {src, dst, sp, dp, payload}
function segment(proto, o) {
  let b;
  let ck;
  if (proto === UDP) {
    const pl = o.payload ?? autoPayload(UDP, o.sp, o.dp);
    b = cat(be16(o.sp), be16(o.dp), be16(8 + pl.length), be16(0), pl);
    ck = 6;
  } else if (proto === TCP) {
    const pl = o.payload ?? autoPayload(TCP, o.sp, o.dp);
    const h = Buffer.alloc(20);
    h.writeUInt16BE(o.sp, 0);
    h.writeUInt16BE(o.dp, 2);
    h.writeUInt32BE(rng(), 4);
    h.writeUInt32BE(rng(), 8);
    h[12] = 0x50;
    h[13] = 0x18; // PSH|ACK
    h.writeUInt16BE(64240, 14);
    b = cat(h, pl);
    ck = 16;
  } else if (proto === 1 || proto === 58) {
    b = cat(u8(proto === 1 ? 8 : 128, 0, 0, 0), be16(0x51), be16(rtpSeq++ & 0xffff), o.payload ?? rnd(32));
    b.writeUInt16BE(inetChecksum(proto === 1 ? b : cat(pseudoHeader(o.src, o.dst, 58, b.length), b)), 2);
    return b;
  } else {
    return o.payload ?? rnd(24);
  }
  let c = inetChecksum(cat(pseudoHeader(o.src, o.dst, proto, b.length), b));
  if (proto === UDP && c === 0) c = 0xffff;
  b.writeUInt16BE(c, ck);
  return b;
}

// IPv4 packet. Overrides for malformed cases: ihl, totalLen, version,
// checksum (fn of the correct checksum).
function ipv4(o) {
  const opts = o.options ?? Buffer.alloc(0);
  if (opts.length % 4) throw new Error('IPv4 options must be a multiple of 4 bytes');
  const hlen = 20 + opts.length;
  const h = Buffer.alloc(hlen);
  h[0] = ((o.version ?? 4) << 4) | (o.ihl ?? hlen / 4);
  h[1] = ((o.dscp ?? 0) << 2) | (o.ecn ?? 0);
  h.writeUInt16BE(o.totalLen ?? hlen + o.payload.length, 2);
  h.writeUInt16BE(o.id ?? (ipId++ & 0xffff), 4);
  h.writeUInt16BE((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (o.fragOff ?? 0), 6);
  h[8] = 64;
  h[9] = o.proto;
  ip4(o.src).copy(h, 12);
  ip4(o.dst).copy(h, 16);
  opts.copy(h, 20);
  const good = inetChecksum(h);
  const ck = o.checksum ? o.checksum(good) : good;
  if (o.checksum && (ck === good || ck === 0xffff)) throw new Error('bad checksum must differ and not be 0xffff');
  h.writeUInt16BE(ck, 10);
  return cat(h, o.payload);
}

// IPv6 extension header bytes. e: {type, size?, lenField?, off?, m?, id?}
function extHeader(e, next) {
  if (e.type === 44) {
    const b = Buffer.alloc(8);
    b[0] = next;
    b.writeUInt16BE(((e.off ?? 0) << 3) | (e.m ? 1 : 0), 2);
    b.writeUInt32BE(e.id >>> 0, 4);
    return b;
  }
  if (e.type === 51) {
    const size = e.size ?? 24;
    const b = cat(Buffer.alloc(12), rnd(size - 12));
    b[0] = next;
    b[1] = e.lenField ?? size / 4 - 2;
    b.writeUInt32BE(0x00000100, 4); // SPI
    b.writeUInt32BE(1, 8); // sequence
    return b;
  }
  const size = e.size ?? 8;
  const b = Buffer.alloc(size);
  b[0] = next;
  b[1] = e.lenField ?? size / 8 - 1;
  if (e.type === 0 || e.type === 60) { b[2] = 1; b[3] = size - 4; } // PadN
  else if (e.type === 43) { b[2] = 253; b[3] = 0; } // experimental routing type, segments left 0
  else if (e.type === 135) { b[2] = 0; } // MH type 0
  return b;
}

function ipv6(o) {
  const exts = o.exts ?? [];
  const hdrs = exts.map((e, i) => extHeader(e, i + 1 < exts.length ? exts[i + 1].type : o.proto));
  const payload = cat(...hdrs, o.upper);
  const h = Buffer.alloc(40);
  const tc = ((o.dscp ?? 0) << 2) | (o.ecn ?? 0);
  const flow = o.flow ?? 0x5eed;
  h[0] = ((o.version ?? 6) << 4) | (tc >> 4);
  h[1] = ((tc & 15) << 4) | ((flow >> 16) & 15);
  h.writeUInt16BE(flow & 0xffff, 2);
  h.writeUInt16BE(o.plen ?? payload.length, 4);
  h[6] = exts.length ? exts[0].type : o.proto;
  h[7] = 64;
  ip6(o.src).copy(h, 8);
  ip6(o.dst).copy(h, 24);
  return cat(h, payload);
}

const pkt4 = (proto, o) => ipv4({ src: C4, dst: S4, ...o, proto, payload: segment(proto, { src: C4, dst: S4, ...o }) });
const pkt6 = (proto, o) => ipv6({ src: C6, dst: S6, ...o, proto, upper: segment(proto, { src: C6, dst: S6, ...o }) });
const udp4 = (o) => pkt4(UDP, o);
const tcp4 = (o) => pkt4(TCP, o);
const udp6 = (o) => pkt6(UDP, o);
const tcp6 = (o) => pkt6(TCP, o);
const icmp4 = (o = {}) => pkt4(1, o);
const icmp6 = (o = {}) => pkt6(58, o);

// IPv4 fragments of one datagram (the transport checksum covers the whole datagram).
function frag4(proto, o, size) {
  const full = { src: C4, dst: S4, ...o };
  const s = segment(proto, full);
  const out = [];
  for (let off = 0; off < s.length; off += size) {
    out.push(ipv4({ ...full, proto, payload: s.subarray(off, off + size), mf: off + size < s.length, fragOff: off / 8 }));
  }
  return out;
}
function frag6(proto, o, size) {
  const full = { src: C6, dst: S6, ...o };
  const s = segment(proto, full);
  const out = [];
  for (let off = 0; off < s.length; off += size) {
    const fh = { type: 44, off: off / 8, m: off + size < s.length, id: o.fid };
    out.push(ipv6({ ...full, exts: [...(o.pre ?? []), fh], proto, upper: s.subarray(off, off + size) }));
  }
  return out;
}

const tag = (tpid, pcp, vid, dei = 0) => ({ tpid, pcp, vid, dei });
const q = (pcp = 0, vid = 100) => [tag(0x8100, pcp, vid)];
const ethertypeOf = (ip) => (ip.length && ip[0] >> 4 === 6 ? 0x86dd : 0x0800);
function eth(payload, { tags = [], type } = {}) {
  const tagBytes = tags.map((t) => cat(be16(t.tpid), be16((t.pcp << 13) | (t.dei << 12) | t.vid)));
  return cat(MAC_B, MAC_A, ...tagBytes, be16(type ?? ethertypeOf(payload)), payload);
}
function arp() {
  return cat(be16(1), be16(0x0800), u8(6, 4), be16(1), MAC_A, ip4(C4), Buffer.alloc(6), ip4(G4));
}
const stpBpdu = () => cat(u8(0x42, 0x42, 0x03), Buffer.alloc(35));
function sll(payload, { proto, pkttype = 0 } = {}) {
  return cat(be16(pkttype), be16(1), be16(6), MAC_A, u8(0, 0), be16(proto ?? ethertypeOf(payload)), payload);
}
function sll2(payload, { proto, pkttype = 0 } = {}) {
  return cat(be16(proto ?? ethertypeOf(payload)), be16(0), be32(2), be16(1), u8(pkttype, 6), MAC_A, u8(0, 0), payload);
}
function nullHdr(payload, family, le) {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(family); else b.writeUInt32BE(family);
  return cat(b, payload);
}
const loopHdr = (payload, family) => cat(be32(family), payload);

// ------------------------------------------------------ reference model ---

const VLAN_TPIDS = new Set([0x8100, 0x88a8, 0x9100]);
const EXT6 = new Set([0, 43, 44, 60, 51, 135, 139, 140]);
const MAX_VLAN = 8;
const MAX_EXT6 = 8;

class Stop {
  constructor(status) { this.status = status; }
}

// PCP of every complete tag (TPID + TCI) present in the captured bytes,
// outer first, independent of whether the frame is otherwise valid.
function vlanPcps(buf, linktype) {
  const out = [];
  if (linktype !== 1) return out;
  for (let p = 12; p + 4 <= buf.length && VLAN_TPIDS.has(buf.readUInt16BE(p)); p += 4) out.push(buf[p + 2] >> 5);
  return out;
}

function analyze(data, orig, hdr, frags) {
  const r = {
    status: 'ok', ipVersion: 0, rule: null, class: null, dscpIn: null, dscpOut: null, ecn: null,
    pcpIn: vlanPcps(data, hdr.linktype), pcpOut: [], changed: false, ipv4ChecksumValidIn: null,
  };
  const incl = data.length;
  // A needed byte range beyond the wire length is malformed; beyond the
  // captured length (but within the wire length) is truncated.
  const need = (end) => {
    if (end > orig) throw new Stop('malformed');
    if (end > incl) throw new Stop('truncated');
  };
  const bad = () => { throw new Stop('malformed'); };
  const hex = (o, n) => data.subarray(o, o + n).toString('hex');
  let ip = null;

  const setClass = (c) => { r.rule = c ? c.rule : null; r.class = c ? c.cls : null; };
  const l4 = (proto, p, end) => {
    let c = { rule: null, cls: 'default' };
    if (proto === TCP || proto === UDP) {
      if (p + 4 > end) bad();
      need(p + 4);
      c = classify(proto, data.readUInt16BE(p), data.readUInt16BE(p + 2));
    }
    setClass(c);
    return c;
  };
  const v4 = (off) => {
    const ihl = data[off] & 15;
    if (ihl < 5) bad();
    const hlen = ihl * 4;
    need(off + hlen);
    const tl = data.readUInt16BE(off + 2);
    if (hlen > tl || off + tl > orig) bad();
    ip = { v: 4, off, hlen };
    r.ipVersion = 4;
    r.dscpIn = data[off + 1] >> 2;
    r.ecn = data[off + 1] & 3;
    r.ipv4ChecksumValidIn = onesSum(data.subarray(off, off + hlen)) === 0xffff;
    const proto = data[off + 9];
    const ff = data.readUInt16BE(off + 6);
    const key = ['4', hex(off + 12, 4), hex(off + 16, 4), data.readUInt16BE(off + 4), proto].join('|');
    if ((ff & 0x1fff) > 0) { setClass(frags.get(key)); return; }
    const c = l4(proto, off + hlen, off + tl);
    if (ff & 0x2000) frags.set(key, c);
  };
  const v6 = (off) => {
    need(off + 40);
    const end = off + 40 + data.readUInt16BE(off + 4);
    if (end > orig) bad();
    ip = { v: 6, off };
    const tc = ((data[off] & 15) << 4) | (data[off + 1] >> 4);
    r.ipVersion = 6;
    r.dscpIn = tc >> 2;
    r.ecn = tc & 3;
    let nh = data[off + 6];
    let p = off + 40;
    let n = 0;
    let firstKey = null;
    while (EXT6.has(nh)) {
      if (++n > MAX_EXT6) bad();
      if (p + 2 > end) bad();
      need(p + 2);
      const len = nh === 44 ? 8 : nh === 51 ? (data[p + 1] + 2) * 4 : (data[p + 1] + 1) * 8;
      if (p + len > end) bad();
      need(p + len);
      if (nh === 44) {
        const fw = data.readUInt16BE(p + 2);
        const key = ['6', hex(off + 8, 16), hex(off + 24, 16), data.readUInt32BE(p + 4), data[p]].join('|');
        if (fw >> 3 > 0) { setClass(frags.get(key)); return; }
        if (fw & 1) firstKey = key;
      }
      nh = data[p];
      p += len;
    }
    const c = l4(nh, p, end);
    if (firstKey) frags.set(firstKey, c);
  };

  try {
    let off;
    let want;
    const byType = (t) => (t === 0x0800 ? 4 : t === 0x86dd ? 6 : 0);
    switch (hdr.linktype) {
      case 1: {
        need(14);
        let p = 12;
        let n = 0;
        let t;
        for (;;) {
          need(p + 2);
          t = data.readUInt16BE(p);
          if (!VLAN_TPIDS.has(t)) break;
          if (++n > MAX_VLAN) bad();
          need(p + 4);
          p += 4;
        }
        off = p + 2;
        want = byType(t);
        break;
      }
      case 113: need(16); off = 16; want = byType(data.readUInt16BE(14)); break;
      case 276: need(20); off = 20; want = byType(data.readUInt16BE(0)); break;
      case 101: need(1); off = 0; want = data[0] >> 4; if (want !== 4 && want !== 6) bad(); break;
      case 228: off = 0; want = 4; break;
      case 229: off = 0; want = 6; break;
      case 0:
      case 108: {
        need(4);
        const f = hdr.linktype === 0 && hdr.le ? data.readUInt32LE(0) : data.readUInt32BE(0);
        off = 4;
        want = f === 2 ? 4 : f === 24 || f === 28 || f === 30 ? 6 : 0;
        break;
      }
      default: throw new Error(`linktype ${hdr.linktype} not modelled`);
    }
    if (want === 0) r.status = 'not-ip';
    else {
      need(off + 1);
      if (data[off] >> 4 !== want) bad();
      if (want === 4) v4(off); else v6(off);
    }
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    r.status = e.status;
    setClass(null);
  }

  const out = Buffer.from(data);
  if (r.status === 'ok' && r.class) {
    const k = CLASSES[r.class];
    if (k.dscp !== null && k.dscp !== r.dscpIn) markDscp(out, data, ip, k.dscp, r);
    if (k.cos !== null && r.pcpIn.length) out[14] = (out[14] & 0x1f) | (k.cos << 5);
  }
  r.pcpOut = vlanPcps(out, hdr.linktype);
  if (ip) r.dscpOut = ip.v === 4 ? out[ip.off + 1] >> 2 : (((out[ip.off] & 15) << 4) | (out[ip.off + 1] >> 4)) >> 2;
  r.changed = !out.equals(data);
  return r;
}

function markDscp(out, data, ip, dscp, r) {
  const o = ip.off;
  if (ip.v === 6) {
    const tc = (dscp << 2) | r.ecn;
    out[o] = (out[o] & 0xf0) | (tc >> 4);
    out[o + 1] = (out[o + 1] & 0x0f) | ((tc & 15) << 4);
    return;
  }
  const m = out.readUInt16BE(o);
  out[o + 1] = (dscp << 2) | (out[o + 1] & 3);
  const m2 = out.readUInt16BE(o);
  const hc = out.readUInt16BE(o + 10);
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')
  const hc2 = ~fold((~hc & 0xffff) + (~m & 0xffff) + m2) & 0xffff;
  out.writeUInt16BE(hc2, o + 10);
  r.ipv4ChecksumOut = hc2;
  // Self-checks: the one's-complement sum of the header is preserved (so an
  // invalid checksum stays invalid by the same amount), and for a valid input
  // the incremental result equals a full recomputation.
  const before = data.subarray(o, o + ip.hlen);
  const after = out.subarray(o, o + ip.hlen);
  if (onesSum(before) !== onesSum(after)) throw new Error('checksum representation corner case: tweak the fixture');
  if (r.ipv4ChecksumValidIn) {
    const copy = Buffer.from(after);
    copy.writeUInt16BE(0, 10);
    if (inetChecksum(copy) !== hc2) throw new Error('incremental checksum differs from full recomputation');
  }
}

// ------------------------------------------------------------------ pcap ---

function fileHeader(h) {
  const b = Buffer.alloc(24);
  const w32 = (v, o) => (h.le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const w16 = (v, o) => (h.le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  w32(h.ns ? 0xa1b23c4d : 0xa1b2c3d4, 0);
  w16(2, 4);
  w16(4, 6);
  w32(0, 8);
  w32(0, 12);
  w32(h.snaplen, 16);
  w32(h.linktype, 20);
  return b;
}
// Record i: 1700000000 s + i * 20 ms; nanosecond files add 123 + 7*i ns so
// that no fraction is a multiple of 1000.
function recordHeader(h, i, incl, orig) {
  const b = Buffer.alloc(16);
  const w32 = (v, o) => (h.le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const unit = h.ns ? 1e9 : 1e6;
  const off = h.ns ? i * 20_000_000 + 123 + 7 * i : i * 20_000;
  w32(1_700_000_000 + Math.floor(off / unit), 0);
  w32(off % unit, 4);
  w32(incl, 8);
  w32(orig, 12);
  return b;
}

// -------------------------------------------------------------- fixtures ---

const FIXTURES = [];
const DEFAULT_HDR = { linktype: 1, le: true, ns: false, snaplen: 65535 };
function fixture(name, desc, hdr, build) {
  FIXTURES.push({ name, desc, hdr: { ...DEFAULT_HDR, ...hdr }, build });
}
// A packet: note, full frame bytes, declared expectation, optional capture cut.
// want: "<status> [<rule>|-] [<class>]", e.g. "ok sip", "ok - default", "ok - null", "malformed".
const pk = (note, buf, want, cut) => ({ note, buf, want, cut });
const pn = (proto) => (proto === UDP ? 'udp' : 'tcp');

fixture('cupc-ports', 'Ethernet + 802.1Q VLAN 100: every built-in rule port in both directions, RTP range edges, sip-vs-rtp precedence, protocol mismatches, unrelated traffic; initial DSCP 0/40/already-correct',
  {}, () => {
    const out = [];
    const TABLE = [
      ['sip', UDP, 5060], ['sip', TCP, 5060], ['sip', UDP, 5061], ['sip', TCP, 5061], ['ctiqbe', TCP, 2748],
      ['tftp', UDP, 69], ['http', TCP, 80], ['imap', TCP, 143], ['ldap', TCP, 389], ['https', TCP, 443],
      ['imaps', TCP, 993], ['xmpp', TCP, 5222], ['imap-tls', TCP, 7993], ['ccmcip', TCP, 8080], ['soap', TCP, 8191],
    ];
    let k = 0;
    for (const [name, proto, port] of TABLE) {
      for (const c2s of [true, false]) {
        const eph = 49152 + k;
        const pat = k % 3;
        k++;
        const target = CLASSES[ruleClass(name)];
        const dscp = pat === 0 ? 0 : pat === 1 ? 40 : (target.dscp ?? 10);
        const pcp = pat === 2 && target.cos !== null ? target.cos : 0;
        const o = c2s ? { src: C4, dst: S4, sp: eph, dp: port } : { src: S4, dst: C4, sp: port, dp: eph };
        out.push(pk(`${pn(proto)} ${o.sp}->${o.dp} ${name}${pat === 2 ? ' (already correct)' : ''}, dscp ${dscp} pcp ${pcp}`,
          eth(pkt4(proto, { ...o, dscp }), { tags: q(pcp) }), `ok ${name}`));
      }
    }
    const add = (proto, sp, dp, dscp, pcp, want, what) => out.push(pk(`${pn(proto)} ${sp}->${dp} ${what}, dscp ${dscp} pcp ${pcp}`,
      eth(pkt4(proto, { src: C4, dst: P4, sp, dp, dscp }), { tags: q(pcp) }), want));
    add(UDP, 49200, 16384, 0, 0, 'ok rtp', 'rtp low edge 16384');
    add(UDP, 20000, 49201, 40, 0, 'ok rtp', 'rtp 20000');
    add(UDP, 32766, 49202, 0, 0, 'ok rtp', 'rtp high edge 32766');
    add(UDP, 20002, 20000, 46, 5, 'ok rtp', 'rtp already EF/CoS 5');
    add(UDP, 20004, 20006, 46, 0, 'ok rtp', 'rtp DSCP already EF, CoS wrong');
    add(UDP, 49203, 16383, 40, 0, 'ok - default', 'just below rtp range (16383)');
    add(UDP, 32767, 49204, 0, 0, 'ok - default', 'just above rtp range (32767)');
    add(UDP, 5060, 20000, 0, 0, 'ok sip', 'sip listed before rtp');
    add(UDP, 20000, 5060, 46, 0, 'ok sip', 'sip listed before rtp');
    add(UDP, 12345, 54321, 40, 0, 'ok - default', 'unrelated');
    add(TCP, 12345, 54321, 40, 0, 'ok - default', 'unrelated');
    add(TCP, 20000, 30000, 0, 0, 'ok - default', 'tcp on rtp-range ports (rtp rule is udp-only)');
    add(UDP, 49205, 443, 0, 0, 'ok - default', 'udp 443 (https rule is tcp-only)');
    add(TCP, 49206, 69, 40, 0, 'ok - default', 'tcp 69 (tftp rule is udp-only)');
    return out;
  });

// Shared packet sets for the link-type fixtures.
const basic4 = () => [
  ['ipv4 udp 20000->20002 rtp, dscp 0', udp4({ sp: 20000, dp: 20002 }), 'ok rtp'],
  ['ipv4 tcp 49152->5061 sip, dscp 40', tcp4({ sp: 49152, dp: 5061, dscp: 40 }), 'ok sip'],
  ['ipv4 udp 12345->54321 unmatched, dscp 40', udp4({ sp: 12345, dp: 54321, dscp: 40 }), 'ok - default'],
];
const basic6 = () => [
  ['ipv6 udp 30000->16400 rtp, dscp 0', udp6({ sp: 30000, dp: 16400 }), 'ok rtp'],
  ['ipv6 udp 5060->5060 sip, dscp 40', udp6({ src: S6, dst: C6, sp: 5060, dp: 5060, dscp: 40 }), 'ok sip'],
  ['ipv6 tcp 49153->443 https, dscp 40', tcp6({ sp: 49153, dp: 443, dscp: 40 }), 'ok https'],
  ['ipv6 udp 40000->40001 unmatched, dscp 0', udp6({ sp: 40000, dp: 40001 }), 'ok - default'],
];
const icmpSet = () => [['ipv4 icmp echo, dscp 40 (not tcp/udp)', icmp4({ dscp: 40 }), 'ok - default']];

for (const le of [true, false]) {
  const name = le ? 'linktype-null-le' : 'linktype-null-be';
  fixture(name, `DLT_NULL (0), ${le ? 'little' : 'big'}-endian file; address family in the writer's (${le ? 'little' : 'big'}-endian) byte order: 2, 24, 28, 30, and unknown 16`,
    { linktype: 0, le }, () => [
      ...[...basic4(), ...icmpSet()].map(([d, p, w]) => pk(`family 2, ${d}`, nullHdr(p, 2, le), w)),
      ...basic6().map(([d, p, w], i) => pk(`family ${[24, 28, 30, 24][i]}, ${d}`, nullHdr(p, [24, 28, 30, 24][i], le), w)),
      pk('family 16 (not IPv4/IPv6), 28 opaque bytes', nullHdr(rnd(28), 16, le), 'not-ip'),
    ]);
}
fixture('linktype-loop', 'DLT_LOOP (108) in a little-endian file: family always in network byte order (2, 24, 28, 30, unknown 16)',
  { linktype: 108 }, () => [
    ...[...basic4(), ...icmpSet()].map(([d, p, w]) => pk(`family 2, ${d}`, loopHdr(p, 2), w)),
    ...basic6().map(([d, p, w], i) => pk(`family ${[30, 24, 28, 30][i]}, ${d}`, loopHdr(p, [30, 24, 28, 30][i]), w)),
    pk('family 16 (not IPv4/IPv6), 28 opaque bytes', loopHdr(rnd(28), 16), 'not-ip'),
  ]);
fixture('linktype-raw', 'LINKTYPE_RAW (101): IPv4 and IPv6 selected by the version nibble',
  { linktype: 101 }, () => [...basic4(), ...icmpSet(), ...basic6()].map(([d, p, w]) => pk(d, p, w)));
fixture('linktype-ipv4', 'LINKTYPE_IPV4 (228): rtp, sip, ctiqbe, unmatched, icmp; an IPv6 packet on this link type is malformed (version mismatch)',
  { linktype: 228 }, () => [
    ...[...basic4(), ...icmpSet()].map(([d, p, w]) => pk(d, p, w)),
    pk('ipv4 tcp 2748->49160 ctiqbe, dscp 0', tcp4({ src: S4, dst: C4, sp: 2748, dp: 49160 }), 'ok ctiqbe'),
    pk('ipv6 rtp packet on LINKTYPE_IPV4: version mismatch', udp6({ sp: 20000, dp: 20002 }), 'malformed'),
  ]);
fixture('linktype-ipv6', 'LINKTYPE_IPV6 (229): rtp, sip, https, unmatched, icmpv6; an IPv4 packet on this link type is malformed (version mismatch)',
  { linktype: 229 }, () => [
    ...basic6().map(([d, p, w]) => pk(d, p, w)),
    pk('ipv6 icmpv6 echo, dscp 40 (not tcp/udp)', icmp6({ dscp: 40 }), 'ok - default'),
    pk('ipv4 rtp packet on LINKTYPE_IPV6: version mismatch', udp4({ sp: 20000, dp: 20002 }), 'malformed'),
  ]);
for (const [lt, name, wrap, ns] of [[113, 'linktype-sll', sll, false], [276, 'linktype-sll2', sll2, true]]) {
  fixture(name, `Linux ${lt === 113 ? 'SLL (113), 16-byte header' : 'SLL2 (276), 20-byte header, nanosecond file'}: IPv4/IPv6 rtp, sip, unmatched, and ARP (not IP)`,
    { linktype: lt, ns }, () => [
      ...[...basic4(), ...basic6()].map(([d, p, w], i) => pk(`pkttype ${[0, 4, 1, 0, 4, 0, 4][i]}, ${d}`, wrap(p, { pkttype: [0, 4, 1, 0, 4, 0, 4][i] }), w)),
      pk('pkttype 1, ARP request (not IP)', wrap(arp(), { proto: 0x0806, pkttype: 1 }), 'not-ip'),
    ]);
}

fixture('vlan-stack', 'Ethernet with 0,1,2,3,4 and 8 VLAN tags (TPIDs 0x8100/0x88a8/0x9100 in any order), 9 tags (malformed), DEI and VID 0, tagged ARP/unknown/802.3 frames',
  {}, () => {
    const mix = (n) => Array.from({ length: n }, (_, i) => tag([0x88a8, 0x8100, 0x9100][i % 3], i % 8, 100 + i));
    const rtp = (o = {}) => udp4({ sp: 20000, dp: 20002, ...o });
    const sip = (o = {}) => udp4({ sp: 49152, dp: 5060, ...o });
    return [
      pk('untagged ipv4 rtp, dscp 0', eth(rtp()), 'ok rtp'),
      pk('1 tag 0x8100 pcp 0 vid 100, ipv4 rtp', eth(rtp(), { tags: q(0) }), 'ok rtp'),
      pk('2 tags 0x88a8 pcp 1 vid 200 / 0x8100 pcp 2 vid 100, rtp: only outer pcp set', eth(rtp(), { tags: [tag(0x88a8, 1, 200), tag(0x8100, 2, 100)] }), 'ok rtp'),
      pk('2 tags 0x9100 / 0x8100, udp sip', eth(sip(), { tags: [tag(0x9100, 0, 300), tag(0x8100, 6, 100)] }), 'ok sip'),
      pk('3 tags 0x8100 / 0x88a8 / 0x9100, rtp', eth(rtp({ dscp: 40 }), { tags: [tag(0x8100, 4, 10), tag(0x88a8, 1, 20), tag(0x9100, 7, 30)] }), 'ok rtp'),
      pk('4 tags, outer DEI=1 pcp 7 vid 4094, tcp sip 5061: DEI and VID kept', eth(tcp4({ sp: 49153, dp: 5061 }), { tags: [tag(0x88a8, 7, 4094, 1), tag(0x9100, 3, 5), tag(0x8100, 2, 6, 1), tag(0x8100, 1, 7)] }), 'ok sip'),
      pk('8 tags mixed (the limit), rtp', eth(rtp(), { tags: mix(8) }), 'ok rtp'),
      pk('9 tags mixed: more than 8 tags', eth(rtp(), { tags: mix(9) }), 'malformed'),
      pk('8 tags mixed, ipv6 udp sip', eth(udp6({ sp: 5061, dp: 49154 }), { tags: mix(8) }), 'ok sip'),
      pk('1 tag 0x88a8 pcp 3, ipv6 rtp', eth(udp6({ sp: 16384, dp: 16386 }), { tags: [tag(0x88a8, 3, 42)] }), 'ok rtp'),
      pk('priority tag (vid 0) pcp 6, rtp', eth(rtp(), { tags: [tag(0x8100, 6, 0)] }), 'ok rtp'),
      pk('1 tag pcp 5, rtp already EF: nothing to change', eth(rtp({ dscp: 46 }), { tags: q(5) }), 'ok rtp'),
      pk('1 tag pcp 7, tcp https (data): pcp and dscp kept', eth(tcp4({ sp: 49155, dp: 443, dscp: 18 }), { tags: q(7) }), 'ok https'),
      pk('2 tags, udp unmatched: nothing changes', eth(udp4({ sp: 12345, dp: 54321, dscp: 40 }), { tags: [tag(0x88a8, 2, 200), tag(0x8100, 1, 100)] }), 'ok - default'),
      pk('untagged ARP', eth(arp(), { type: 0x0806 }), 'not-ip'),
      pk('1 tag pcp 2, ARP: no CoS for non-IP', eth(arp(), { type: 0x0806, tags: q(2) }), 'not-ip'),
      pk('2 tags 0x88a8 / 0x8100, ARP', eth(arp(), { type: 0x0806, tags: [tag(0x88a8, 1, 200), tag(0x8100, 2, 100)] }), 'not-ip'),
      pk('1 tag, unknown EtherType 0x88b5', eth(rnd(46), { type: 0x88b5, tags: q(1) }), 'not-ip'),
      pk('untagged 802.3 length field + LLC (STP BPDU)', eth(stpBpdu(), { type: 38 }), 'not-ip'),
      pk('1 tag, 802.3 length field + LLC (STP BPDU)', eth(stpBpdu(), { type: 38, tags: q(0) }), 'not-ip'),
      pk('1 tag 0x9100 pcp 0, ipv4 tcp sip 5060, dscp 40', eth(tcp4({ sp: 5060, dp: 49156, src: S4, dst: C4, dscp: 40 }), { tags: [tag(0x9100, 0, 100)] }), 'ok sip'),
    ];
  });

function v4options(ihl) {
  const n = (ihl - 5) * 4;
  if (ihl === 6) return ['router alert', u8(0x94, 0x04, 0x00, 0x00)];
  if (ihl === 10) return ['timestamp', cat(u8(68, 20, 5, 0), Buffer.alloc(16))];
  if (ihl === 15) return ['record route', cat(u8(7, 39, 4), Buffer.alloc(36), u8(0))];
  return [n ? 'NOPs + EOL' : 'no options', cat(Buffer.alloc(Math.max(n - 1, 0), 1), n ? u8(0) : Buffer.alloc(0))];
}
fixture('ipv4-options', 'IPv4 IHL 5..15 (0..40 option bytes: NOP/EOL, router alert, timestamp, record route) carrying rtp, sip, https and unmatched traffic',
  {}, () => {
    const out = [];
    for (let ihl = 5; ihl <= 15; ihl++) {
      const [kind, options] = v4options(ihl);
      const voice = ihl % 2 === 1;
      const o = voice ? { sp: 20000, dp: 20000 + ihl * 2 } : { sp: 49152 + ihl, dp: 5060 };
      const dscp = ihl % 3 === 0 ? 40 : 0;
      out.push(pk(`ihl ${ihl} (${kind}), udp ${o.sp}->${o.dp} ${voice ? 'rtp' : 'sip'}, dscp ${dscp}${ihl % 2 ? '' : ', 1 tag'}`,
        eth(udp4({ ...o, options, dscp }), { tags: ihl % 2 ? [] : q(0) }), voice ? 'ok rtp' : 'ok sip'));
    }
    out.push(pk('ihl 15 (record route), tcp 49170->5061 sip', eth(tcp4({ sp: 49170, dp: 5061, options: v4options(15)[1] })), 'ok sip'));
    out.push(pk('ihl 6 (router alert), tcp 49171->443 https, dscp 40', eth(tcp4({ sp: 49171, dp: 443, dscp: 40, options: v4options(6)[1] })), 'ok https'));
    out.push(pk('ihl 8 (NOPs), udp 12345->54321 unmatched, dscp 40', eth(udp4({ sp: 12345, dp: 54321, dscp: 40, options: v4options(8)[1] })), 'ok - default'));
    return out;
  });

const EXT_NAMES = { 0: 'hop-by-hop', 43: 'routing', 44: 'fragment(atomic)', 60: 'dest-opts', 51: 'AH', 135: 'mobility', 139: 'HIP', 140: 'shim6' };
fixture('ipv6-ext', 'IPv6 extension headers: each type alone, chains, AH length rule, 8 headers (ok), 9 headers (malformed), ESP and no-next-header (no ports), headers running past the payload',
  {}, () => {
    const out = [];
    const ext = (type, extra = {}) => (type === 44 ? { type, off: 0, m: false, id: 0x0a0b0c0d, ...extra } : { type, ...extra });
    const chainName = (exts) => exts.map((e) => `${EXT_NAMES[e.type]}${e.size ? `(${e.size}B)` : ''}`).join('+');
    const v = (o) => udp6({ sp: 20000, dp: 20002, ...o });
    const s = (o) => udp6({ sp: 49152, dp: 5060, ...o });
    [0, 43, 44, 60, 51, 135, 139, 140].forEach((t, i) => {
      const exts = [ext(t)];
      out.push(pk(`${chainName(exts)} + udp ${i % 2 ? 'sip' : 'rtp'}, dscp ${i % 3 ? 0 : 40}`, eth((i % 2 ? s : v)({ exts, dscp: i % 3 ? 0 : 40 })), i % 2 ? 'ok sip' : 'ok rtp'));
    });
    const chains = [
      [[ext(0), ext(60), ext(43), ext(60)], v, 'rtp'],
      [[ext(0, { size: 24 }), ext(43, { size: 24 }), ext(51, { size: 32 })], v, 'rtp'],
      [[ext(135), ext(139), ext(140)], s, 'sip'],
      [[ext(0), ext(44), ext(51)], s, 'sip'],
      [[ext(0), ext(60), ext(43), ext(44), ext(51), ext(135), ext(139), ext(140)], v, 'rtp'],
    ];
    for (const [exts, f, r] of chains) {
      out.push(pk(`${exts.length} headers ${chainName(exts)} + udp ${r}`, eth(f({ exts })), `ok ${r}`));
    }
    out.push(pk('hop-by-hop+AH + tcp 49160->5061 sip', eth(tcp6({ sp: 49160, dp: 5061, exts: [ext(0), ext(51)] })), 'ok sip'));
    out.push(pk('routing + tcp 49161->443 https, dscp 40', eth(tcp6({ sp: 49161, dp: 443, dscp: 40, exts: [ext(43)] })), 'ok https'));
    const nine = [ext(0), ext(60), ext(43), ext(44), ext(51), ext(135), ext(139), ext(140), ext(60)];
    out.push(pk(`9 headers ${chainName(nine)} + udp rtp: more than 8`, eth(v({ exts: nine })), 'malformed'));
    const esp = cat(be32(0x1000), be32(7), rnd(40));
    out.push(pk('ESP (50) alone: walk stops, no ports', eth(ipv6({ src: C6, dst: S6, proto: 50, upper: esp })), 'ok - default'));
    out.push(pk('hop-by-hop+dest-opts + ESP: no ports', eth(ipv6({ src: C6, dst: S6, exts: [ext(0), ext(60)], proto: 50, upper: esp, dscp: 40 })), 'ok - default'));
    out.push(pk('hop-by-hop + no-next-header (59)', eth(ipv6({ src: C6, dst: S6, exts: [ext(0)], proto: 59, upper: Buffer.alloc(0) })), 'ok - default'));
    out.push(pk('dest-opts + icmpv6 echo', eth(icmp6({ exts: [ext(60)] })), 'ok - default'));
    out.push(pk('hop-by-hop claiming 88 bytes (len 10) runs past the 28-byte payload', eth(v({ exts: [ext(0, { lenField: 10 })], payload: rnd(12) })), 'malformed'));
    out.push(pk('AH claiming 88 bytes (len 20) runs past the 44-byte payload', eth(s({ exts: [ext(51, { lenField: 20 })], payload: rnd(12) })), 'malformed'));
    out.push(pk('8 headers, ipv6 dest-opts chain + udp unmatched', eth(udp6({ sp: 12345, dp: 54321, exts: Array.from({ length: 8 }, () => ext(60)) })), 'ok - default'));
    return out;
  });

fixture('fragments', 'IPv4 (802.1Q) and IPv6 fragments: first fragments classified by ports, non-first fragments inherit by (src,dst,id,proto), interleaving, unseen first fragment, key mismatches',
  {}, () => {
    const T = q(0, 10);
    const e4 = (p) => eth(p, { tags: T });
    const A = frag4(UDP, { sp: 20000, dp: 20002, id: 0x1001 }, 24);
    const B = frag4(UDP, { sp: 49152, dp: 5060, id: 0x1002, dscp: 40 }, 64);
    const C = frag4(TCP, { sp: 49153, dp: 5061, id: 0x1003 }, 64);
    const F = frag4(UDP, { sp: 12345, dp: 54321, id: 0x1006, dscp: 40 }, 16);
    const G = frag4(TCP, { sp: 49154, dp: 443, id: 0x1007, dscp: 40 }, 32);
    const aLen = A[1].length - 20;
    const H = frag6(UDP, { sp: 20000, dp: 20002, fid: 0xdeadbeef }, 24);
    const I = frag6(UDP, { sp: 49152, dp: 5061, fid: 0x0000beef, dscp: 40 }, 64);
    const K = frag6(UDP, { sp: 16384, dp: 16384, fid: 0x00000042, pre: [{ type: 0 }] }, 32);
    return [
      pk('v4 A frag 1/3 (off 0, MF) udp 20000->20002 rtp, id 0x1001', e4(A[0]), 'ok rtp'),
      pk('v4 B frag 1/2 (off 0, MF) udp 49152->5060 sip, id 0x1002, dscp 40', e4(B[0]), 'ok sip'),
      pk('v4 A frag 2/3 (off 24): inherits rtp', e4(A[1]), 'ok rtp'),
      pk('v4 C frag 2/2 (off 64) arrives before its first fragment: unmatched', e4(C[1]), 'ok - null'),
      pk('v4 B frag 2/2: inherits sip', e4(B[1]), 'ok sip'),
      pk('v4 A frag 3/3: inherits rtp', e4(A[2]), 'ok rtp'),
      pk('v4 C frag 1/2 tcp 49153->5061 sip, id 0x1003', e4(C[0]), 'ok sip'),
      pk('v4 C frag 2/2 again (now its first fragment has been seen)', e4(C[1]), 'ok sip'),
      pk('v4 non-first fragment, same src/dst/id as A but protocol tcp: no match',
        e4(ipv4({ src: C4, dst: S4, proto: TCP, id: 0x1001, fragOff: 3, payload: rnd(aLen) })), 'ok - null'),
      pk('v4 non-first fragment, id 0x1001 but src/dst swapped: no match',
        e4(ipv4({ src: S4, dst: C4, proto: UDP, id: 0x1001, fragOff: 3, payload: rnd(aLen) })), 'ok - null'),
      pk('v4 F frag 1/3 udp 12345->54321 unmatched, dscp 40', e4(F[0]), 'ok - default'),
      pk('v4 F frag 2/3: inherits default', e4(F[1]), 'ok - default'),
      pk('v4 G frag 1/2 tcp 49154->443 https, dscp 40', e4(G[0]), 'ok https'),
      pk('v4 G frag 2/2: inherits https (data)', e4(G[1]), 'ok https'),
      pk('v4 DF, offset 0, MF 0 (not a fragment) udp rtp', e4(udp4({ sp: 20010, dp: 20012, df: true })), 'ok rtp'),
      pk('v6 H frag 1/3 (off 0, M) udp 20000->20002 rtp, id 0xdeadbeef', eth(H[0]), 'ok rtp'),
      pk('v6 I frag 1/2 udp 49152->5061 sip, id 0x0000beef, dscp 40', eth(I[0]), 'ok sip'),
      pk('v6 H frag 2/3: inherits rtp', eth(H[1]), 'ok rtp'),
      pk('v6 non-first fragment id 0x12345678, first never seen',
        eth(ipv6({ src: C6, dst: S6, exts: [{ type: 44, off: 4, m: false, id: 0x12345678 }], proto: UDP, upper: rnd(16) })), 'ok - null'),
      pk('v6 I frag 2/2: inherits sip', eth(I[1]), 'ok sip'),
      pk('v6 H frag 3/3: inherits rtp', eth(H[2]), 'ok rtp'),
      pk('v6 K frag 1/2 hop-by-hop + fragment, udp 16384->16384 rtp, id 0x42', eth(K[0]), 'ok rtp'),
      pk('v6 K frag 2/2 hop-by-hop + fragment: inherits rtp', eth(K[1]), 'ok rtp'),
      pk('v6 non-first fragment with H id but next header tcp: no match',
        eth(ipv6({ src: C6, dst: S6, exts: [{ type: 44, off: 3, m: false, id: 0xdeadbeef }], proto: TCP, upper: rnd(16) })), 'ok - null'),
      pk('v6 non-first fragment with H id/next header but another source: no match',
        eth(ipv6({ src: P6, dst: S6, exts: [{ type: 44, off: 3, m: false, id: 0xdeadbeef }], proto: UDP, upper: rnd(16) })), 'ok - null'),
    ];
  });

fixture('truncated', 'snaplen 96, records cut individually (incl_len < orig_len): ports captured (marked), cut before/inside ports, inside IPv4/IPv6 header, options, extension header, VLAN tag, Ethernet header',
  { snaplen: 96 }, () => {
    const big = (f, n) => f({ payload: rnd(n) });
    const v4 = eth(udp4({ sp: 20000, dp: 20002 })); // 94 bytes
    const v4t = eth(tcp4({ sp: 49152, dp: 5060 }), { tags: q(0) });
    const v4qq = eth(udp4({ sp: 20000, dp: 20002 }), { tags: [tag(0x88a8, 1, 200), tag(0x8100, 2, 100)] });
    const v4opt = eth(udp4({ sp: 20000, dp: 20004, options: v4options(15)[1] }), { tags: q(0) });
    const v6 = eth(udp6({ sp: 20000, dp: 20002 }));
    const v6h = eth(udp6({ sp: 49152, dp: 5061, exts: [{ type: 0 }] }));
    const A = frag4(UDP, { sp: 20000, dp: 20006, id: 0x2001 }, 24);
    return [
      pk('ipv4 udp rtp, not cut (baseline)', eth(udp4({ sp: 20000, dp: 20002 })), 'ok rtp'),
      pk('ipv4 udp rtp cut at 42 (udp header complete)', v4, 'ok rtp', 42),
      pk('ipv4 udp rtp cut at 38 (exactly the 4 port bytes)', v4, 'ok rtp', 38),
      pk('ipv4 udp rtp cut at 37 (3 of 4 port bytes)', v4, 'truncated', 37),
      pk('ipv4 udp rtp cut at 34 (IP header complete, no ports)', v4, 'truncated', 34),
      pk('ipv4 udp rtp cut at 30 (inside IP header)', v4, 'truncated', 30),
      pk('ipv4 udp rtp cut at 10 (inside Ethernet header)', v4, 'truncated', 10),
      pk('1 tag, ipv4 tcp sip cut at 42 (ports complete)', v4t, 'ok sip', 42),
      pk('1 tag, ipv4 tcp sip cut at 40 (2 port bytes)', v4t, 'truncated', 40),
      pk('1 tag cut at 15 (inside the TCI)', v4t, 'truncated', 15),
      pk('2 tags cut at 19 (inside the inner TCI)', v4qq, 'truncated', 19),
      pk('2 tags cut at 20 (both tags complete, EtherType missing)', v4qq, 'truncated', 20),
      pk('2 tags, ipv4 rtp cut at 46 (ports complete)', v4qq, 'ok rtp', 46),
      pk('1 tag, ipv4 IHL 15 cut at 58 (inside options)', v4opt, 'truncated', 58),
      pk('1 tag, ipv4 IHL 15 cut at 82 (ports complete)', v4opt, 'ok rtp', 82),
      pk('ipv6 udp rtp cut at 58 (ports complete)', v6, 'ok rtp', 58),
      pk('ipv6 udp rtp cut at 57 (3 port bytes)', v6, 'truncated', 57),
      pk('ipv6 udp rtp cut at 50 (inside IPv6 header)', v6, 'truncated', 50),
      pk('ipv6 hop-by-hop + udp sip cut at 66 (ports complete)', v6h, 'ok sip', 66),
      pk('ipv6 hop-by-hop + udp sip cut at 60 (inside hop-by-hop)', v6h, 'truncated', 60),
      pk('ipv4 icmp cut at 34 (IP header complete; no ports needed)', eth(icmp4({ dscp: 40 })), 'ok - default', 34),
      pk('ipv4 tcp https 1500-byte frame cut at 96', eth(big((o) => tcp4({ sp: 49153, dp: 443, ...o }), 1446)), 'ok https', 96),
      pk('ipv4 udp rtp 1500-byte frame cut at 96 (total length > captured, <= wire)', eth(big((o) => udp4({ sp: 20008, dp: 20010, ...o }), 1458)), 'ok rtp', 96),
      pk('ipv4 udp rtp frag 1/3 (not cut)', eth(A[0]), 'ok rtp'),
      pk('ipv4 frag 2/3 cut at 34 (IP header only; inherits rtp)', eth(A[1]), 'ok rtp', 34),
    ];
  });

fixture('malformed', 'each malformed case (IHL, total length, IPv6 payload length, extension overrun, 9 ext headers, 9 VLAN tags, short frames 0/1/5/13 bytes, version/EtherType mismatch) interleaved with good packets',
  {}, () => {
    const hdr = (type) => cat(MAC_B, MAC_A, be16(type));
    const good = [
      () => pk('good: 1 tag, ipv4 udp rtp', eth(udp4({ sp: 20000, dp: 20002 }), { tags: q(0) }), 'ok rtp'),
      () => pk('good: ipv4 udp sip, dscp 40', eth(udp4({ sp: 49152, dp: 5060, dscp: 40 })), 'ok sip'),
      () => pk('good: ipv6 udp rtp', eth(udp6({ sp: 30000, dp: 30002 })), 'ok rtp'),
      () => pk('good: 1 tag, ipv4 tcp ctiqbe 2748', eth(tcp4({ sp: 49153, dp: 2748 }), { tags: q(1) }), 'ok ctiqbe'),
    ];
    let g = 0;
    const G = () => good[g++ % good.length]();
    const rtp = (o = {}) => udp4({ sp: 20000, dp: 20002, ...o });
    const bad = [
      pk('ipv4 IHL 4', eth(rtp({ ihl: 4 })), 'malformed'),
      pk('ipv4 IHL 0', eth(rtp({ ihl: 0 })), 'malformed'),
      pk('ipv4 IHL 6 (24 bytes) > total length 20', eth(rtp({ options: u8(1, 1, 1, 0), totalLen: 20 })), 'malformed'),
      pk('ipv4 IHL 5, total length 12', eth(rtp({ totalLen: 12 })), 'malformed'),
      pk('ipv4 total length 1500 > 80 bytes on the wire', eth(rtp({ totalLen: 1500 })), 'malformed'),
      pk('ipv6 payload length 1000 > bytes on the wire', eth(udp6({ sp: 20000, dp: 20002, plen: 1000 })), 'malformed'),
      pk('ipv6 hop-by-hop len 10 (88 bytes) runs past the payload', eth(udp6({ sp: 20000, dp: 20002, exts: [{ type: 0, lenField: 10 }] })), 'malformed'),
      pk('ipv6 9 extension headers', eth(udp6({ sp: 5060, dp: 5060, exts: Array.from({ length: 9 }, () => ({ type: 60 })) })), 'malformed'),
      pk('9 VLAN tags', eth(rtp(), { tags: Array.from({ length: 9 }, (_, i) => tag(0x8100, 0, i + 1)) }), 'malformed'),
      pk('16-byte frame: 1 VLAN tag, no EtherType after it', cat(MAC_B, MAC_A, be16(0x8100), be16(100)), 'malformed'),
      pk('14-byte frame, EtherType 0x8100, nothing after', hdr(0x8100), 'malformed'),
      pk('14-byte frame, EtherType 0x0800, no IP header', hdr(0x0800), 'malformed'),
      pk('24-byte frame, EtherType 0x0800, 10 bytes of IPv4 header', cat(hdr(0x0800), rtp().subarray(0, 10)), 'malformed'),
      pk('44-byte frame, EtherType 0x86dd, 30 bytes of IPv6 header', cat(hdr(0x86dd), udp6({ sp: 20000, dp: 20002 }).subarray(0, 30)), 'malformed'),
      pk('EtherType 0x0800 carrying an IPv6 packet (version 6)', eth(udp6({ sp: 20000, dp: 20002 }), { type: 0x0800 }), 'malformed'),
      pk('EtherType 0x86dd carrying an IPv4 packet (version 4)', eth(rtp(), { type: 0x86dd }), 'malformed'),
      pk('EtherType 0x0800, version nibble 5', eth(rtp({ version: 5 })), 'malformed'),
      pk('0-byte frame', Buffer.alloc(0), 'malformed'),
      pk('1-byte frame', u8(0), 'malformed'),
      pk('5-byte frame', MAC_B.subarray(0, 5), 'malformed'),
      pk('13-byte frame (EtherType cut)', eth(rtp()).subarray(0, 13), 'malformed'),
    ];
    const out = [];
    for (const b of bad) out.push(G(), b);
    out.push(pk('14-byte frame, EtherType ARP, no payload (not IP: never parsed)', hdr(0x0806), 'not-ip'));
    const padded = eth(udp4({ sp: 20000, dp: 20002, payload: Buffer.alloc(0) }));
    out.push(pk('good: ipv4 udp rtp, total length 28 in a 60-byte padded frame', cat(padded, Buffer.alloc(60 - padded.length)), 'ok rtp'));
    out.push(pk('good: ipv4 icmp, dscp 40', eth(icmp4({ dscp: 40 })), 'ok - default'));
    out.push(G());
    return out;
  });

fixture('be-nsec', 'big-endian, nanosecond-resolution file (fractions not multiples of 1000), 802.1Q: rtp, sip, https, unmatched, IPv6',
  { le: false, ns: true }, () => [
    pk('1 tag, ipv4 udp rtp', eth(udp4({ sp: 20000, dp: 20002 }), { tags: q(0) }), 'ok rtp'),
    pk('1 tag, ipv4 udp sip, dscp 40', eth(udp4({ sp: 49152, dp: 5060, dscp: 40 }), { tags: q(0) }), 'ok sip'),
    pk('1 tag, ipv4 tcp sip 5061', eth(tcp4({ sp: 5061, dp: 49153, src: S4, dst: C4 }), { tags: q(2) }), 'ok sip'),
    pk('1 tag, ipv4 tcp https, dscp 40', eth(tcp4({ sp: 49154, dp: 443, dscp: 40 }), { tags: q(0) }), 'ok https'),
    pk('1 tag, ipv4 udp unmatched', eth(udp4({ sp: 12345, dp: 54321 }), { tags: q(0) }), 'ok - default'),
    pk('1 tag, ipv6 udp rtp', eth(udp6({ sp: 16384, dp: 32766 }), { tags: q(0) }), 'ok rtp'),
  ]);

fixture('ecn', 'all four ECN values under voice and signalling (and data), IPv4 and IPv6: DSCP rewritten, ECN bits untouched',
  {}, () => {
    const out = [];
    const dscps = [0, 40, 46, 63];
    for (const [v, f] of [[4, udp4], [6, udp6]]) {
      for (let ecn = 0; ecn < 4; ecn++) {
        const d = dscps[ecn];
        out.push(pk(`ipv${v} udp rtp, dscp ${d}, ecn ${ecn}`, eth(f({ sp: 20000, dp: 20002, dscp: d, ecn })), 'ok rtp'));
        out.push(pk(`ipv${v} udp sip, dscp ${dscps[3 - ecn]}, ecn ${ecn}`, eth(f({ sp: 49152, dp: 5060, dscp: dscps[3 - ecn], ecn })), 'ok sip'));
      }
    }
    out.push(pk('1 tag, ipv4 tcp sip, dscp 24, ecn 3 (already right; pcp 0 -> 3)', eth(tcp4({ sp: 49153, dp: 5061, dscp: 24, ecn: 3 }), { tags: q(0) }), 'ok sip'));
    out.push(pk('ipv4 tcp https, dscp 40, ecn 3 (data: kept)', eth(tcp4({ sp: 49154, dp: 443, dscp: 40, ecn: 3 })), 'ok https'));
    out.push(pk('ipv6 tcp https, dscp 63, ecn 1 (data: kept)', eth(tcp6({ sp: 49155, dp: 443, dscp: 63, ecn: 1 })), 'ok https'));
    return out;
  });

fixture('bad-checksum', 'IPv4 voice/signalling/data with wrong header checksums (stay wrong by the same amount after marking, RFC 1624), interleaved with valid ones',
  {}, () => [
    pk('valid checksum, udp rtp', eth(udp4({ sp: 20000, dp: 20002 })), 'ok rtp'),
    pk('checksum ^ 0x0100, udp rtp', eth(udp4({ sp: 20002, dp: 20004, checksum: (c) => c ^ 0x0100 })), 'ok rtp'),
    pk('checksum + 1, udp sip, dscp 40', eth(udp4({ sp: 49152, dp: 5060, dscp: 40, checksum: (c) => (c + 1) & 0xffff })), 'ok sip'),
    pk('checksum 0x0000, udp rtp, ecn 1', eth(udp4({ sp: 20004, dp: 20006, ecn: 1, checksum: () => 0 })), 'ok rtp'),
    pk('valid checksum, tcp sip', eth(tcp4({ sp: 49153, dp: 5061 })), 'ok sip'),
    pk('checksum bytes swapped, 1 tag, tcp sip', eth(tcp4({ sp: 49154, dp: 5061, checksum: (c) => ((c & 0xff) << 8) | (c >> 8) }), { tags: q(0) }), 'ok sip'),
    pk('checksum ^ 0x1234, IHL 6, udp rtp', eth(udp4({ sp: 20006, dp: 20008, options: u8(0x94, 4, 0, 0), checksum: (c) => c ^ 0x1234 })), 'ok rtp'),
    pk('checksum ^ 0x00ff, rtp already EF (nothing to change)', eth(udp4({ sp: 20008, dp: 20010, dscp: 46, checksum: (c) => c ^ 0x00ff })), 'ok rtp'),
    pk('checksum ^ 0x0f0f, tcp https (data: unchanged)', eth(tcp4({ sp: 49155, dp: 443, dscp: 40, checksum: (c) => c ^ 0x0f0f })), 'ok https'),
    pk('checksum - 1, udp unmatched (unchanged)', eth(udp4({ sp: 12345, dp: 54321, checksum: (c) => (c + 0xffff) & 0xffff })), 'ok - default'),
    pk('valid checksum, udp sip, dscp 63 ecn 3', eth(udp4({ sp: 5060, dp: 5060, dscp: 63, ecn: 3 })), 'ok sip'),
  ]);

fixture('oversnap', 'file snaplen 64 but 1500-byte records (incl_len > snaplen is legal; read and written whole)',
  { snaplen: 64 }, () => {
    const fill = (f, o, overhead) => eth(f({ ...o, payload: rnd(1500 - overhead) }), { tags: o.tags });
    return [
      pk('1500-byte ipv4 udp rtp', fill(udp4, { sp: 20000, dp: 20002 }, 14 + 20 + 8), 'ok rtp'),
      pk('1500-byte ipv4 udp sip', fill(udp4, { sp: 49152, dp: 5060 }, 14 + 20 + 8), 'ok sip'),
      pk('1500-byte ipv4 tcp https', fill(tcp4, { sp: 49153, dp: 443, dscp: 40 }, 14 + 20 + 20), 'ok https'),
      pk('1500-byte ipv4 udp unmatched', fill(udp4, { sp: 12345, dp: 54321 }, 14 + 20 + 8), 'ok - default'),
      pk('1500-byte 1 tag ipv4 udp rtp', fill(udp4, { sp: 20002, dp: 20004, tags: q(0) }, 18 + 20 + 8), 'ok rtp'),
      pk('1500-byte ipv6 udp rtp', fill(udp6, { sp: 20004, dp: 20006 }, 14 + 40 + 8), 'ok rtp'),
    ];
  });

fixture('empty', 'valid global header, zero records', {}, () => []);

// ---- file-level error fixtures ----
const three = () => [
  pk('ipv4 udp rtp', eth(udp4({ sp: 20000, dp: 20002 })), 'ok rtp'),
  pk('ipv4 udp sip', eth(udp4({ sp: 49152, dp: 5060 })), 'ok sip'),
  pk('ipv4 udp unmatched', eth(udp4({ sp: 12345, dp: 54321 })), 'ok - default'),
];
fixture('bad-magic', 'error: garbage magic number (offset 0); no records delivered', { raw: true }, () => {
  const h = fileHeader(DEFAULT_HDR);
  h.write('QOSM', 0, 'latin1');
  const f = eth(udp4({ sp: 20000, dp: 20002 }));
  return { packets: [], raw: cat(h, recordHeader(DEFAULT_HDR, 0, f.length, f.length), f), error: { offset: 0, what: 'bad magic' } };
});
fixture('short-file-header', 'error: file ends inside the 24-byte global header (offset 0)', { raw: true }, () => (
  { packets: [], raw: fileHeader(DEFAULT_HDR).subarray(0, 10), error: { offset: 0, what: 'truncated file header' } }
));
fixture('truncated-record', "error: the last record's data is cut (offset = that record's header); 3 good records first", {}, () => {
  const f = eth(udp4({ sp: 20002, dp: 20004 }));
  return { packets: three(), tail: (i) => cat(recordHeader(DEFAULT_HDR, i, f.length, f.length), f.subarray(0, 30)), error: { what: 'truncated record' } };
});
fixture('truncated-header', 'error: file ends 10 bytes into a record header (offset = that header); 3 good records first', {}, () => {
  const f = eth(udp4({ sp: 20002, dp: 20004 }));
  return { packets: three(), tail: (i) => recordHeader(DEFAULT_HDR, i, f.length, f.length).subarray(0, 10), error: { what: 'truncated record header' } };
});
fixture('huge-record', 'error: record header claims incl_len 300000 > 256 KiB (offset = that header); 3 good records first', {}, () => ({
  packets: three(),
  tail: (i) => cat(recordHeader(DEFAULT_HDR, i, 300000, 300000), rnd(64)),
  error: { what: 'record too large' },
}));

// ---------------------------------------------------------------- pcapng ---
//
// Written from draft-ietf-opsawg-pcapng: every block is
//   block type (32) | block total length (32) | body, padded to 32 bits | block total length (32)
// in the byte order of its section, set by the Section Header Block's
// byte-order magic 0x1A2B3C4D. Options are code (16) | length (16) | value
// padded to 32 bits, ended by opt_endofopt (code 0, length 0).

const NG = {
  SHB: 0x0a0d0d0a, IDB: 1, OPB: 2, SPB: 3, NRB: 4, ISB: 5, EPB: 6, DSB: 0x0000000a, CB_COPY: 0x00000bad,
};
const OPT = {
  endofopt: 0, comment: 1, shb_hardware: 2, shb_os: 3, shb_userappl: 4,
  if_name: 2, if_description: 3, if_tsresol: 9, if_tsoffset: 14,
  epb_flags: 2, epb_dropcount: 4, pack_flags: 2,
  ns_dnsname: 2, isb_starttime: 2, isb_endtime: 3, isb_ifrecv: 4, isb_ifdrop: 5,
};
const BOM = 0x1a2b3c4d;
const NO_SNAP_LIMIT = 0; // an IDB SnapLen of 0 means "no limit"

function ngWriter(le) {
  const n = (size, fn) => (v) => { const b = Buffer.alloc(size); fn(b, v); return b; };
  return {
    le,
    u8: n(1, (b, v) => b.writeUInt8(v)),
    u16: n(2, (b, v) => (le ? b.writeUInt16LE(v) : b.writeUInt16BE(v))),
    u32: n(4, (b, v) => (le ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0))),
    u64: n(8, (b, v) => { const x = BigInt.asUintN(64, BigInt(v)); if (le) b.writeBigUInt64LE(x); else b.writeBigUInt64BE(x); }),
  };
}
const pad4 = (b) => cat(b, Buffer.alloc((4 - (b.length % 4)) % 4));

// opts: [[code, value]], value a string (UTF-8), a Buffer, or (w) => Buffer
// for values in the section's byte order.
function ngOptions(w, opts) {
  if (!opts || opts.length === 0) return Buffer.alloc(0);
  const one = ([code, v]) => {
    const val = typeof v === 'string' ? Buffer.from(v, 'utf8') : typeof v === 'function' ? v(w) : v;
    return cat(w.u16(code), w.u16(val.length), pad4(val));
  };
  return cat(...opts.map(one), w.u16(OPT.endofopt), w.u16(0));
}
function ngBlock(w, type, body) {
  const b = pad4(body);
  return cat(w.u32(type), w.u32(12 + b.length), b, w.u32(12 + b.length));
}
const tsWords = (w, units) => cat(w.u32(Number(units >> 32n)), w.u32(Number(units & 0xffffffffn)));
const epbBytes = (w, iface, units, data, orig, opts) =>
  ngBlock(w, NG.EPB, cat(w.u32(iface), tsWords(w, units), w.u32(data.length), w.u32(orig), pad4(data), ngOptions(w, opts)));
const opbBytes = (w, iface, drops, units, data, orig, opts) =>
  ngBlock(w, NG.OPB, cat(w.u16(iface), w.u16(drops), tsWords(w, units), w.u32(data.length), w.u32(orig), pad4(data), ngOptions(w, opts)));
const spbBytes = (w, data, orig) => ngBlock(w, NG.SPB, cat(w.u32(orig), pad4(data)));
const shbBytes = (w, opts, sectionLength = -1n, bom = BOM) =>
  ngBlock(w, NG.SHB, cat(w.u32(bom), w.u16(1), w.u16(0), w.u64(sectionLength), ngOptions(w, opts)));

// if_tsresol: MSB clear, a negative power of 10; MSB set, a negative power of 2.
const unitsPerSec = (tsresol) => (tsresol === undefined ? 1_000_000n : tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol));

// Frame k of a pcapng fixture happens at 1700000000 s + k * 20 ms + (123 + 7k) ns.
const ngTimeNs = (k) => 1_700_000_000n * 1_000_000_000n + BigInt(k) * 20_000_000n + 123n + 7n * BigInt(k);
// The interface's 64-bit timestamp for an instant (rounded down to its unit), and what a reader must
// deliver for it: whole seconds plus if_tsoffset, and the fraction in nanoseconds, rounded down.
function ngStamp(iface, ns) {
  const ups = unitsPerSec(iface.tsresol);
  const units = ((ns - iface.tsoffset * 1_000_000_000n) * ups) / 1_000_000_000n;
  if (units < 0n || units >= 2n ** 64n) throw new Error('timestamp out of range');
  return { units, tsSec: Number(units / ups + iface.tsoffset), tsNsec: Number(((units % ups) * 1_000_000_000n) / ups) };
}

// Items of a pcapng fixture, in file order.
const SHB = (le, opts = [], o = {}) => ({ kind: 'shb', le, opts, ...o }); // o.sectionLength: 'auto' to fill it in
const IDB = (linktype, snaplen, o = {}) => ({ kind: 'idb', linktype, snaplen, opts: [], ...o }); // o: tsresol, tsoffset (s), opts
const EPB = (iface, p, opts = []) => ({ kind: 'epb', iface, p, opts });
const OPB = (iface, p, o = {}) => ({ kind: 'opb', iface, p, drops: 0, opts: [], ...o });
const SPB = (p) => ({ kind: 'spb', iface: 0, p });
const BLOCK = (type, body) => ({ kind: 'block', type, body }); // body: (w) => Buffer
// Damage: raw bytes (w, ctx) => Buffer starting at the byte offset a reader must report.
const DAMAGE = (what, bytes) => ({ kind: 'damage', what, bytes });

const NG_FIXTURES = [];
function ngFixture(name, desc, build) {
  NG_FIXTURES.push({ name, desc, build });
}

// Non-packet blocks.
const nrb = (opts = [[OPT.ns_dnsname, 'dns.example.com']]) => BLOCK(NG.NRB, (w) => {
  const rec = (type, v) => cat(w.u16(type), w.u16(v.length), pad4(v));
  const z = (s) => Buffer.from(`${s}\0`, 'latin1');
  return cat(
    rec(1, cat(ip4(S4), z('cucm.example.com'))),
    rec(2, cat(ip6(S6), z('cucm6.example.com'), z('cucm.example.net'))),
    rec(1, cat(ip4(P4), z('phone.example.org'))),
    rec(0, Buffer.alloc(0)),
    ngOptions(w, opts),
  );
});
const isb = (iface, k, recv, drop) => BLOCK(NG.ISB, (w) => cat(
  w.u32(iface), tsWords(w, BigInt(k) * 1000n), // a plain count in the interface's units; only copied through
  ngOptions(w, [[OPT.comment, `statistics for interface ${iface}`], [OPT.isb_ifrecv, (x) => x.u64(recv)], [OPT.isb_ifdrop, (x) => x.u64(drop)]]),
));
const customBlock = (text) => BLOCK(NG.CB_COPY, (w) => cat(w.u32(32473), Buffer.from(text, 'utf8'))); // PEN 32473: RFC 5612 example
const dsb = () => BLOCK(NG.DSB, (w) => {
  const keylog = Buffer.from(`CLIENT_RANDOM ${'5eed'.repeat(16)} ${'ab'.repeat(48)}\n`, 'latin1');
  return cat(w.u32(0x544c534b), w.u32(keylog.length), pad4(keylog), ngOptions(w, [[OPT.comment, 'TLS key log (fixture data)']]));
});
const unknownBlock = (type) => BLOCK(type, () => cat(Buffer.from('block type unknown to every reader: skip me', 'latin1'), rnd(13)));
const flags = (v) => [OPT.epb_flags, (w) => w.u32(v)]; // bits 0-1: 01 inbound, 10 outbound

ngFixture('ng-le-multi-if', 'little-endian pcapng, 3 interfaces: Ethernet (default µs), RAW (if_tsresol 9, ns), Linux SLL (if_tsresol 0x94 = 2^-20 s, if_tsoffset 1600000000 s); EPBs with opt_comment/epb_flags/epb_dropcount interleaved with NRB, ISB, custom (0x00000BAD), DSB (0x0000000A) and unknown (0x00000F0F) blocks; SHB with comment, shb_os, shb_userappl',
  () => [
    SHB(true, [[OPT.comment, 'qosmark pcapng fixture: three interfaces'], [OPT.shb_os, 'none (generated)'], [OPT.shb_userappl, 'qosmark scripts/gen-fixtures.mjs']]),
    IDB(1, 65535, { opts: [[OPT.if_name, 'eth0'], [OPT.comment, 'Ethernet, default resolution (microseconds)']] }),
    IDB(101, 262144, { tsresol: 9, opts: [[OPT.if_name, 'tun0'], [OPT.if_description, 'raw IP, nanoseconds']] }),
    EPB(0, pk('eth0: 1 tag pcp 0, ipv4 udp 20000->20002 rtp, dscp 0', eth(udp4({ sp: 20000, dp: 20002 }), { tags: q(0) }), 'ok rtp'),
      [[OPT.comment, 'voice on eth0'], flags(1)]),
    EPB(1, pk('tun0: ipv4 udp 49152->5060 sip, dscp 40', udp4({ sp: 49152, dp: 5060, dscp: 40 }), 'ok sip'), [flags(2)]),
    nrb(),
    IDB(113, NO_SNAP_LIMIT, { tsresol: 0x94, tsoffset: 1_600_000_000n, opts: [[OPT.if_name, 'any'], [OPT.comment, 'SLL, 2^-20 s units, offset 1600000000 s']] }),
    EPB(2, pk('any (SLL pkttype 4): ipv4 udp 16400->16402 rtp, dscp 40', sll(udp4({ sp: 16400, dp: 16402, dscp: 40 }), { pkttype: 4 }), 'ok rtp')),
    EPB(0, pk('eth0: ipv4 tcp 49153->443 https, dscp 40 (data: kept)', eth(tcp4({ sp: 49153, dp: 443, dscp: 40 })), 'ok https'),
      [[OPT.comment, 'data: nothing to change']]),
    isb(0, 3, 1000, 2),
    EPB(1, pk('tun0: ipv6 udp 30000->16400 rtp', udp6({ sp: 30000, dp: 16400 }), 'ok rtp')),
    customBlock('qosmark custom block (copiable type 0x00000BAD): copied through untouched'),
    EPB(2, pk('any (SLL pkttype 0): ipv6 udp 5061->49154 sip, dscp 46', sll(udp6({ src: S6, dst: C6, sp: 5061, dp: 49154, dscp: 46 })), 'ok sip'),
      [flags(1), [OPT.epb_dropcount, (w) => w.u64(0)]]),
    dsb(),
    EPB(0, pk('eth0: ipv4 udp 12345->54321 unmatched, dscp 40', eth(udp4({ sp: 12345, dp: 54321, dscp: 40 })), 'ok - default')),
    unknownBlock(0x00000f0f),
    EPB(1, pk('tun0: ipv4 tcp 2748->49160 ctiqbe', tcp4({ src: S4, dst: C4, sp: 2748, dp: 49160 }), 'ok ctiqbe'), [[OPT.comment, 'CTI']]),
    EPB(2, pk('any (SLL pkttype 1): ARP (not IP)', sll(arp(), { proto: 0x0806, pkttype: 1 }), 'not-ip')),
    EPB(0, pk('eth0: 1 tag pcp 0, ipv4 tcp 5061->49155 sip', eth(tcp4({ src: S4, dst: C4, sp: 5061, dp: 49155 }), { tags: q(0) }), 'ok sip'),
      [[OPT.comment, 'signalling, CoS 0 -> 3'], flags(2)]),
    EPB(2, pk('any (SLL pkttype 0): ipv4 udp 20010->20012 rtp', sll(udp4({ sp: 20010, dp: 20012 })), 'ok rtp')),
    isb(2, 9, 4, 0),
  ]);

ngFixture('ng-be', 'big-endian pcapng: Ethernet (if_tsresol 6, snaplen 128; 802.1Q, one 1500-byte frame captured to 128 bytes) and LINKTYPE_IPV6 (if_tsresol 3, ms) interfaces; EPBs, one obsolete packet block (16-bit interface id), NRB, ISB',
  () => {
    const big = eth(udp4({ sp: 20020, dp: 20022, payload: rnd(1458) }), { tags: q(1) });
    return [
      SHB(false, [[OPT.shb_userappl, 'qosmark scripts/gen-fixtures.mjs'], [OPT.comment, 'big-endian section']]),
      IDB(1, 128, { tsresol: 6, opts: [[OPT.if_name, 'eth1']] }),
      IDB(229, 65535, { tsresol: 3, opts: [[OPT.if_name, 'v6tun'], [OPT.comment, 'milliseconds']] }),
      EPB(0, pk('eth1: 1 tag pcp 0, ipv4 udp 20000->20002 rtp', eth(udp4({ sp: 20000, dp: 20002 }), { tags: q(0) }), 'ok rtp'), [flags(1)]),
      EPB(1, pk('v6tun: ipv6 udp 5060->5060 sip, dscp 40', udp6({ src: S6, dst: C6, sp: 5060, dp: 5060, dscp: 40 }), 'ok sip')),
      EPB(0, pk('eth1: 1 tag pcp 1, 1500-byte ipv4 udp rtp captured to 128 bytes', big, 'ok rtp', 128), [[OPT.comment, 'cut by the snap length']]),
      nrb(),
      EPB(1, pk('v6tun: ipv6 tcp 49153->443 https, dscp 40', tcp6({ sp: 49153, dp: 443, dscp: 40 }), 'ok https')),
      EPB(0, pk('eth1: ipv4 tcp 49154->5061 sip, dscp 0', eth(tcp4({ sp: 49154, dp: 5061, payload: rnd(32) })), 'ok sip')),
      OPB(1, pk('v6tun (obsolete packet block): ipv6 udp 16384->16386 rtp', udp6({ sp: 16384, dp: 16386 }), 'ok rtp'), { drops: 2, opts: [[OPT.pack_flags, (w) => w.u32(1)]] }),
      isb(1, 6, 20, 1),
      EPB(1, pk('v6tun: ipv4 packet on LINKTYPE_IPV6: version mismatch', udp4({ sp: 20000, dp: 20002 }), 'malformed')),
      EPB(0, pk('eth1: ipv4 udp 12345->54321 unmatched', eth(udp4({ sp: 12345, dp: 54321 })), 'ok - default')),
    ];
  });

ngFixture('ng-two-sections', 'two sections: little-endian (Ethernet µs, RAW ns; section length filled in) then big-endian (SLL2 at 2^-10 s, LINKTYPE_IPV4 at ns with if_tsoffset -86400 s; section length -1); interface numbering restarts in the second section',
  () => [
    SHB(true, [[OPT.comment, 'section 1 (little-endian)']], { sectionLength: 'auto' }),
    IDB(1, 65535, { opts: [[OPT.if_name, 'eth0']] }),
    IDB(101, 65535, { tsresol: 9, opts: [[OPT.if_name, 'tun0']] }),
    EPB(0, pk('s1 eth0: ipv4 udp 20000->20002 rtp', eth(udp4({ sp: 20000, dp: 20002 })), 'ok rtp')),
    EPB(1, pk('s1 tun0: ipv4 udp 49152->5060 sip', udp4({ sp: 49152, dp: 5060 }), 'ok sip')),
    EPB(0, pk('s1 eth0: 1 tag, ipv6 udp 16384->16386 rtp', eth(udp6({ sp: 16384, dp: 16386 }), { tags: q(0) }), 'ok rtp')),
    EPB(1, pk('s1 tun0: ipv6 tcp 49153->443 https, dscp 40', tcp6({ sp: 49153, dp: 443, dscp: 40 }), 'ok https')),
    SHB(false, [[OPT.comment, 'section 2 (big-endian): interfaces numbered from 0 again']]),
    IDB(276, 65535, { tsresol: 0x8a, opts: [[OPT.if_name, 'any']] }),
    IDB(228, 65535, { tsresol: 9, tsoffset: -86400n, opts: [[OPT.if_name, 'ipv4tun']] }),
    EPB(0, pk('s2 if0 (SLL2): ipv4 udp 20004->20006 rtp, dscp 40', sll2(udp4({ sp: 20004, dp: 20006, dscp: 40 })), 'ok rtp')),
    EPB(1, pk('s2 if1 (IPv4): ipv4 tcp 5060->49154 sip', tcp4({ src: S4, dst: C4, sp: 5060, dp: 49154 }), 'ok sip')),
    customBlock('section 2 custom block'),
    EPB(0, pk('s2 if0 (SLL2 pkttype 4): ipv6 udp 49155->5061 sip', sll2(udp6({ sp: 49155, dp: 5061 }), { pkttype: 4 }), 'ok sip')),
    EPB(1, pk('s2 if1 (IPv4): ipv4 udp 12345->54321 unmatched, dscp 40', udp4({ sp: 12345, dp: 54321, dscp: 40 }), 'ok - default')),
    isb(0, 4, 2, 0),
    EPB(0, pk('s2 if0 (SLL2): ARP (not IP)', sll2(arp(), { proto: 0x0806 }), 'not-ip')),
  ]);

ngFixture('ng-spb-opb', 'simple packet blocks (interface 0, Ethernet snaplen 96: captured part is min(snaplen, original length), odd lengths padded) and obsolete packet blocks (type 2) on both interfaces, mixed with EPBs',
  () => {
    const frame61 = eth(udp4({ sp: 20000, dp: 20002, payload: rnd(19) }));
    if (frame61.length !== 61) throw new Error('frame61');
    return [
      SHB(true, [[OPT.shb_userappl, 'qosmark scripts/gen-fixtures.mjs']]),
      IDB(1, 96, { opts: [[OPT.if_name, 'eth0'], [OPT.comment, 'snaplen 96']] }),
      IDB(101, 65535, { tsresol: 9, opts: [[OPT.if_name, 'tun0']] }),
      SPB(pk('SPB: 1 tag, ipv4 udp 20000->20002 rtp (94 bytes)', eth(udp4({ sp: 20000, dp: 20002 }), { tags: q(0) }), 'ok rtp')),
      SPB(pk('SPB: 61-byte ipv4 udp rtp (3 bytes of padding)', frame61, 'ok rtp')),
      SPB(pk('SPB: 1500-byte ipv4 udp 20004->20006 rtp, original length > snaplen: 96 bytes captured', eth(udp4({ sp: 20004, dp: 20006, payload: rnd(1458) })), 'ok rtp')),
      OPB(0, pk('OPB eth0: ipv4 tcp 49152->5061 sip, dscp 40', eth(tcp4({ sp: 49152, dp: 5061, dscp: 40, payload: rnd(24) })), 'ok sip'), { drops: 3, opts: [[OPT.pack_flags, (w) => w.u32(2)], [OPT.comment, 'obsolete packet block']] }),
      OPB(1, pk('OPB tun0: ipv6 udp 16384->16386 rtp', udp6({ sp: 16384, dp: 16386 }), 'ok rtp')),
      SPB(pk('SPB: 1500-byte ipv4 tcp 49153->443 https, dscp 40: 96 bytes captured', eth(tcp4({ sp: 49153, dp: 443, dscp: 40, payload: rnd(1446) })), 'ok https')),
      EPB(1, pk('EPB tun0: ipv4 udp 49154->5060 sip', udp4({ sp: 49154, dp: 5060 }), 'ok sip')),
      SPB(pk('SPB: 1 tag pcp 2, ipv6 udp 5060->5060 sip, 150 bytes: 96 captured', eth(udp6({ sp: 5060, dp: 5060, payload: rnd(88) }), { tags: q(2) }), 'ok sip')),
      SPB(pk('SPB: ARP (not IP)', eth(arp(), { type: 0x0806 }), 'not-ip')),
      OPB(0, pk('OPB eth0: ipv4 udp 12345->54321 unmatched', eth(udp4({ sp: 12345, dp: 54321 })), 'ok - default')),
    ];
  });

// ---- damaged pcapng files: a reader reports the block's byte offset after writing every whole block before it ----
const ngHead = () => [
  SHB(true, [[OPT.comment, 'damaged fixture']]),
  IDB(1, 65535, { opts: [[OPT.if_name, 'eth0']] }),
  EPB(0, pk('ipv4 udp rtp', eth(udp4({ sp: 20000, dp: 20002 })), 'ok rtp')),
  nrb(),
  EPB(0, pk('ipv4 udp sip', eth(udp4({ sp: 49152, dp: 5060 })), 'ok sip')),
  EPB(0, pk('ipv4 udp unmatched', eth(udp4({ sp: 12345, dp: 54321 })), 'ok - default')),
];
const goodAfter = (w) => epbBytes(w, 0, 0n, eth(udp4({ sp: 20002, dp: 20004 })), 94, []);
ngFixture('ng-bad-trailer', 'error: an EPB whose trailing block total length (len + 4) differs from the leading one (offset = that block); 3 packets and an NRB first, a good EPB after',
  () => [...ngHead(), DAMAGE('block total length does not match its trailer', (w) => {
    const b = epbBytes(w, 0, 0n, eth(udp4({ sp: 20000, dp: 20004 })), 94, []);
    b.writeUInt32LE(b.length + 4, b.length - 4);
    return cat(b, goodAfter(w));
  })]);
ngFixture('ng-block-past-end', 'error: the last block (an EPB of a 1500-byte frame) runs past the end of the file (offset = that block); 3 packets and an NRB first',
  () => [...ngHead(), DAMAGE('block runs past the end of the file', (w) => {
    const b = epbBytes(w, 0, 0n, eth(udp4({ sp: 20000, dp: 20004, payload: rnd(1458) })), 1500, []);
    return b.subarray(0, 700);
  })]);
ngFixture('ng-undefined-interface', 'error: in a second section defining only interface 0, an EPB on interface 1 (defined in the first section only: numbering restarts); offset = that block',
  () => [
    ...ngHead(),
    IDB(101, 65535, { opts: [[OPT.if_name, 'tun0']] }),
    EPB(1, pk('s1 tun0: ipv4 udp 20006->20008 rtp', udp4({ sp: 20006, dp: 20008 }), 'ok rtp')),
    SHB(true, [[OPT.comment, 'section 2: one interface']]),
    IDB(101, 65535, { opts: [[OPT.if_name, 'tun0']] }),
    EPB(0, pk('s2 if0: ipv4 udp 49156->5060 sip', udp4({ sp: 49156, dp: 5060 }), 'ok sip')),
    DAMAGE('packet on interface 1, which is not defined in this section', (w) => cat(epbBytes(w, 1, 0n, udp4({ sp: 20010, dp: 20012 }), 80, []), goodAfter(w))),
  ]);
ngFixture('ng-bad-bom', 'error: a second Section Header Block whose byte-order magic is 0x1A2B3C4E in either byte order (offset = that block); the first section (3 packets) is written',
  () => [...ngHead(), DAMAGE('bad byte-order magic', (w) => cat(shbBytes(w, [], -1n, 0x1a2b3c4e), ngBlock(w, NG.IDB, cat(w.u16(1), w.u16(0), w.u32(65535))), goodAfter(w)))]);

function buildNg(fx) {
  seed(fx.name);
  const items = fx.build();
  const parts = [];
  let size = 0;
  const put = (b) => { parts.push(b); size += b.length; };
  const frags = new Map();
  const sections = [];
  const packets = [];
  let sec = null;
  let w = null;
  let error = null;
  let lengthPatch = null; // { at, from }: a section length to fill in once the section ends
  const endSection = () => {
    if (lengthPatch) lengthPatch.value = BigInt(size - lengthPatch.from);
    lengthPatch = null;
  };
  for (const it of items) {
    if (error) throw new Error(`${fx.name}: items after the damage`);
    switch (it.kind) {
      case 'shb': {
        endSection();
        w = ngWriter(it.le);
        sec = { byteOrder: it.le ? 'le' : 'be', interfaces: [] };
        sections.push(sec);
        const b = shbBytes(w, it.opts);
        if (it.sectionLength === 'auto') lengthPatch = { part: parts.length, le: it.le, from: size + b.length };
        put(b);
        if (lengthPatch) sec.patch = lengthPatch;
        break;
      }
      case 'idb': {
        const opts = [...it.opts];
        if (it.tsresol !== undefined) opts.push([OPT.if_tsresol, u8(it.tsresol)]);
        if (it.tsoffset !== undefined) opts.push([OPT.if_tsoffset, (x) => x.u64(it.tsoffset)]);
        sec.interfaces.push({ linktype: it.linktype, snaplen: it.snaplen, tsresol: it.tsresol ?? null, unitsPerSec: Number(unitsPerSec(it.tsresol)), tsoffset: Number(it.tsoffset ?? 0n) });
        put(ngBlock(w, NG.IDB, cat(w.u16(it.linktype), w.u16(0), w.u32(it.snaplen), ngOptions(w, opts))));
        break;
      }
      case 'epb':
      case 'opb':
      case 'spb': {
        const i = packets.length;
        const iface = sec.interfaces[it.iface];
        if (!iface) throw new Error(`${fx.name} frame ${i + 1}: no interface ${it.iface}`);
        const p = it.p;
        const snap = iface.snaplen === NO_SNAP_LIMIT ? Infinity : iface.snaplen;
        let data;
        if (it.kind === 'spb') {
          if (p.cut !== undefined) throw new Error(`${fx.name} frame ${i + 1}: SPBs are cut by the snap length only`);
          data = p.buf.subarray(0, Math.min(snap, p.buf.length));
        } else {
          if (p.cut !== undefined && !(p.cut < p.buf.length && p.cut <= snap)) throw new Error(`${fx.name} #${i + 1}: bad cut`);
          data = p.cut === undefined ? p.buf : p.buf.subarray(0, p.cut);
          if (data.length > snap) throw new Error(`${fx.name} frame ${i + 1}: longer than the snap length`);
        }
        const e = expectFrame(fx.name, i, p, data, { linktype: iface.linktype, le: w.le }, frags);
        let stamp = { tsSec: null, tsNsec: null };
        if (it.kind === 'spb') put(spbBytes(w, data, p.buf.length));
        else {
          stamp = ngStamp({ tsresol: iface.tsresol ?? undefined, tsoffset: BigInt(iface.tsoffset) }, ngTimeNs(i));
          put(it.kind === 'epb'
            ? epbBytes(w, it.iface, stamp.units, data, p.buf.length, it.opts)
            : opbBytes(w, it.iface, it.drops, stamp.units, data, p.buf.length, it.opts));
        }
        packets.push({
          ...e, section: sections.length - 1, interface: it.iface, block: it.kind, linktype: iface.linktype,
          capLen: data.length, origLen: p.buf.length, tsSec: stamp.tsSec, tsNsec: stamp.tsNsec,
        });
        break;
      }
      case 'block':
        put(ngBlock(w, it.type, it.body(w)));
        break;
      case 'damage':
        error = { offset: size, what: it.what };
        put(it.bytes(w));
        break;
      default:
        throw new Error(`unknown item ${it.kind}`);
    }
  }
  endSection();
  const bytes = cat(...parts);
  for (const s of sections) {
    if (!s.patch) continue;
    const at = parts.slice(0, s.patch.part).reduce((n, b) => n + b.length, 0) + 16;
    if (s.patch.le) bytes.writeBigInt64LE(s.patch.value, at); else bytes.writeBigInt64BE(s.patch.value, at);
    s.sectionLength = Number(s.patch.value);
    delete s.patch;
  }
  const orders = [...new Set(sections.map((s) => s.byteOrder))];
  const expected = {
    file: `${fx.name}.pcapng`,
    format: 'pcapng',
    linktype: null,
    byteOrder: orders.length === 1 ? orders[0] : 'mixed',
    tsResolution: null,
    snaplen: null,
    sections,
    error,
    packets,
    totals: totalsOf(packets),
  };
  if (packets.length > 50) throw new Error(`${fx.name}: too many packets`);
  return { bytes, json: toJson(expected) };
}

// ---------------------------------------------------------------- output ---

function parseWant(want) {
  const [status, rname = '-', cls] = want.split(' ');
  if (status !== 'ok') return { status, rule: null, class: null };
  const r = rname === '-' ? null : rname;
  return { status, rule: r, class: cls === 'null' ? null : cls ?? (r ? ruleClass(r) : 'default') };
}

function summary(r) {
  if (r.status !== 'ok') return `${r.status}, unchanged`;
  const parts = [r.class ?? 'no class (first fragment not seen)'];
  if (r.dscpIn !== null) parts.push(r.dscpOut !== r.dscpIn ? `dscp ${r.dscpIn}->${r.dscpOut}` : `dscp ${r.dscpIn} kept`);
  if (r.pcpIn.length) parts.push(r.pcpOut[0] !== r.pcpIn[0] ? `pcp ${r.pcpIn[0]}->${r.pcpOut[0]}` : `pcp ${r.pcpIn[0]} kept`);
  return parts.join(', ');
}

function build(fx) {
  seed(fx.name);
  let res = fx.build();
  if (Array.isArray(res)) res = { packets: res };
  const hdr = fx.hdr;
  const frags = new Map();
  const records = [];
  const packets = res.packets.map((p, i) => {
    const data = p.cut === undefined ? p.buf : p.buf.subarray(0, p.cut);
    if (p.cut !== undefined && !(p.cut < p.buf.length && p.cut <= hdr.snaplen)) throw new Error(`${fx.name} #${i + 1}: bad cut`);
    records.push(cat(recordHeader(hdr, i, data.length, p.buf.length), data));
    return expectFrame(fx.name, i, p, data, hdr, frags);
  });
  let bytes;
  let error = null;
  if (hdr.raw) {
    bytes = res.raw;
    error = res.error;
  } else {
    bytes = cat(fileHeader(hdr), ...records);
    if (res.tail) {
      error = { offset: bytes.length, what: res.error.what };
      bytes = cat(bytes, res.tail(records.length));
    }
  }
  const expected = {
    file: `${fx.name}.pcap`,
    linktype: hdr.raw ? null : hdr.linktype,
    byteOrder: hdr.raw ? null : hdr.le ? 'le' : 'be',
    tsResolution: hdr.raw ? null : hdr.ns ? 'ns' : 'us',
    snaplen: hdr.raw ? null : hdr.snaplen,
    error,
    packets,
    totals: totalsOf(packets),
  };
  if (packets.length > 50) throw new Error(`${fx.name}: too many packets`);
  return { bytes, json: toJson(expected) };
}

// Runs the reference model on one captured frame, checks it against the
// declaration and returns the frame's expected JSON entry.
function expectFrame(name, i, p, data, hdr, frags) {
  const r = analyze(data, p.buf.length, hdr, frags);
  const w = parseWant(p.want);
  if (w.status !== r.status || w.rule !== r.rule || w.class !== r.class) {
    throw new Error(`${name} frame ${i + 1} (${p.note}): declared ${JSON.stringify(w)}, model says ${JSON.stringify({ status: r.status, rule: r.rule, class: r.class })}`);
  }
  if (r.status !== 'ok' && r.changed) throw new Error(`${name} frame ${i + 1}: non-ok frame changed`);
  let note = `${p.note} => ${summary(r)}`;
  if (r.ipv4ChecksumValidIn === false) {
    const ck = data.readUInt16BE(ipOffset(data) + 10);
    note += `; header checksum 0x${hex4(ck)} -> 0x${hex4(r.ipv4ChecksumOut ?? ck)} (still invalid)`;
  }
  return {
    frame: i + 1, note, status: r.status, ipVersion: r.ipVersion, rule: r.rule, class: r.class,
    dscpIn: r.dscpIn, dscpOut: r.dscpOut, ecn: r.ecn, pcpIn: r.pcpIn, pcpOut: r.pcpOut, changed: r.changed,
    ipv4ChecksumValidIn: r.ipv4ChecksumValidIn,
  };
}

function totalsOf(packets) {
  const count = (s) => packets.filter((p) => p.status === s).length;
  const byClass = { signalling: 0, voice: 0, data: 0, default: 0 };
  for (const p of packets) if (p.class) byClass[p.class]++;
  return {
    packets: packets.length,
    malformed: count('malformed'),
    truncated: count('truncated'),
    notIp: count('not-ip'),
    dscpChanged: packets.filter((p) => p.dscpIn !== p.dscpOut).length,
    cosChanged: packets.filter((p) => p.pcpIn[0] !== p.pcpOut[0]).length,
    byClass,
  };
}

const hex4 = (v) => v.toString(16).padStart(4, '0');
// Offset of the IPv4 header in an Ethernet frame (only used for notes of
// bad-checksum frames, which are all Ethernet).
function ipOffset(f) {
  let p = 12;
  while (VLAN_TPIDS.has(f.readUInt16BE(p))) p += 4;
  return p + 2;
}

// Stable, diff-friendly JSON: one packet per line.
function toJson(o) {
  const lines = Object.entries(o).map(([k, v]) => {
    if (k !== 'packets' || v.length === 0) return `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`;
    return `  "packets": [\n${v.map((p) => `    ${JSON.stringify(p)}`).join(',\n')}\n  ]`;
  });
  return `{\n${lines.join(',\n')}\n}\n`;
}

function readme() {
  const lines = [
    '# qosmark golden capture fixtures',
    '',
    'Generated by `scripts/gen-fixtures.mjs`, written from the qosmark specification only (independent of `src/`). Do not edit by hand.',
    'Regenerate from the repository root with `node scripts/gen-fixtures.mjs` (optional argument: output directory);',
    '`test/fixtures-generator.test.ts` checks that regeneration is byte-identical.',
    '',
    'Each `<name>.pcap` (classic libpcap) has a `<name>.expected.json` with the expected per-frame result under the built-in policy.',
    'Conventions: `ipVersion`/`dscpIn`/`dscpOut`/`ecn` are set once the fixed IP header (IPv4: IHL*4 bytes, IPv6: 40 bytes) is captured',
    'and passes the IHL/total-length/payload-length checks, else 0/null; `pcpIn`/`pcpOut` list every complete VLAN tag in the captured',
    'bytes whatever the status; a non-first fragment whose first fragment was not seen has status "ok", rule null, class null;',
    'timestamps are 1700000000 s + 20 ms per record (nanosecond files add 123 + 7*i ns).',
    '',
    ...FIXTURES.map((fx) => `- \`${fx.name}.pcap\` — ${fx.desc}`),
    '',
    '## pcapng',
    '',
    'Each `<name>.pcapng` is written from draft-ietf-opsawg-pcapng (independently of `src/io/pcapng.ts`). Its `<name>.expected.json` has',
    'the same schema with `"format": "pcapng"`, top-level `linktype`/`tsResolution`/`snaplen` null, `byteOrder` "le", "be" or "mixed",',
    'and `sections` listing each section\'s byte order and interfaces (`linktype`, `snaplen` (0: no limit), raw `tsresol` (null: absent,',
    'i.e. microseconds), `unitsPerSec`, `tsoffset` in seconds). Each packet also has `section`, `interface` (numbered from 0 in each section),',
    '`block` ("epb", "opb" or "spb"), `linktype`, `capLen`, `origLen`, and `tsSec`/`tsNsec`: the time a reader must deliver, i.e. the',
    '64-bit timestamp divided by the interface\'s units per second plus `if_tsoffset`, the fraction converted to nanoseconds rounded down',
    '(null for simple packet blocks, which have no timestamp). Packet k (from 0) of a file is stamped at 1700000000 s + k * 20 ms + (123 + 7k) ns,',
    'rounded down to its interface\'s unit (minus `if_tsoffset`). Marking must copy every block through in order, byte for byte, except the',
    'packet bytes marking changes; an `error` gives the byte offset of the damaged block, and every whole block before it must be written.',
    '',
    ...NG_FIXTURES.map((fx) => `- \`${fx.name}.pcapng\` — ${fx.desc}`),
    '',
  ];
  return lines.join('\n');
}

mkdirSync(OUT_DIR, { recursive: true });
const show = (p) => relative(process.cwd(), p) || p;
let total = 0;
const outputs = [
  ...FIXTURES.map((fx) => [`${fx.name}.pcap`, fx, build]),
  ...NG_FIXTURES.map((fx) => [`${fx.name}.pcapng`, fx, buildNg]),
];
for (const [capture, fx, make] of outputs) {
  const { bytes, json } = make(fx);
  for (const [file, content] of [[capture, bytes], [`${fx.name}.expected.json`, json]]) {
    const path = join(OUT_DIR, file);
    writeFileSync(path, content);
    total += Buffer.byteLength(content);
    console.log(`wrote ${show(path)}`);
  }
}
const readmePath = join(OUT_DIR, 'README.md');
writeFileSync(readmePath, readme());
console.log(`wrote ${show(readmePath)}`);
if (total > 200 * 1024) throw new Error(`fixtures total ${total} bytes > 200 KiB`);

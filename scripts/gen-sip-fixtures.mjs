#!/usr/bin/env node
// Deterministic generator of SIP/SDP-following fixtures for qosmark.
//
// Written from the SIP/SDP-following specification only (it reads and imports
// nothing under src/). Every media packet of a scenario carries the class
// its author declared from the rules; a small reference model of those rules
// (dialogs, sides, endpoint entries, idle time) replays the scenario's SIP
// events and the generator aborts when the model and a declaration disagree.
//
// Rules modelled (the issue's wording):
// - SIP is read on 5060/5061 (udp+tcp); the SIP frames themselves are
//   signalling by the port rules.
// - Each SDP media line (audio -> voice, video -> video; other types
//   unmapped) with a non-zero port adds entries (address, RTP port) and
//   (address, RTCP port: a=rtcp, else RTP + 1), owned by the dialog (Call-ID)
//   and the side that advertised them; a later SDP of the same side in the
//   same dialog replaces that side's entries.
// - An entry applies from the frame after the SIP message that made it (the
//   frame that completes it, for fragments and TCP segments).
// - BYE, CANCEL and a final error response to the INVITE remove the dialog's
//   entries. An entry idle 300 s expires.
// - A UDP packet whose source or destination endpoint has an entry takes that
//   class ahead of the port rules; otherwise the built-in port rules decide.
//
// Output: <outDir>/<name>.pcap and <name>.expected.json per capture, and a
// README.md. Usage: node scripts/gen-sip-fixtures.mjs [outDir]
//   (default fixtures/pcaps/sip). No clock, no Math.random.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = process.argv[2] ? resolve(process.argv[2]) : join(REPO, 'fixtures', 'pcaps', 'sip');

// ---------------------------------------------------------------- policy ---

const MARKINGS = {
  voice: { dscp: 46, cos: 5 },
  video: { dscp: 32, cos: 4 },
  signalling: { dscp: 24, cos: 3 },
  data: { dscp: null, cos: null },
  default: { dscp: null, cos: null },
};
const MEDIA_CLASS = { audio: 'voice', video: 'video' };
const TCP = 6;
const UDP = 17;
const RULES = [
  ['sip', [UDP, TCP], 5060, 5061, 'signalling'],
  ['ctiqbe', [TCP], 2748, 2748, 'signalling'],
  ['tftp', [UDP], 69, 69, 'data'],
  ['http', [TCP], 80, 80, 'data'],
  ['imap', [TCP], 143, 143, 'data'],
  ['ldap', [TCP], 389, 389, 'data'],
  ['https', [TCP], 443, 443, 'data'],
  ['imaps', [TCP], 993, 993, 'data'],
  ['xmpp', [TCP], 5222, 5222, 'data'],
  ['imap-tls', [TCP], 7993, 7993, 'data'],
  ['ccmcip', [TCP], 8080, 8080, 'data'],
  ['soap', [TCP], 8191, 8191, 'data'],
  ['rtp', [UDP], 16384, 32766, 'voice'],
];

/** The built-in port rules: first rule matching either port. */
function portClass(proto, sp, dp) {
  for (const [, protos, lo, hi, cls] of RULES) {
    if (!protos.includes(proto)) continue;
    if ((sp >= lo && sp <= hi) || (dp >= lo && dp <= hi)) return cls;
  }
  return 'default';
}

const IDLE_SEC = 300;

// ------------------------------------------------------------- bytes -------

function u16(v) {
  return [(v >>> 8) & 0xff, v & 0xff];
}
function u32(v) {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}
function concat(...parts) {
  const len = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(len);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const ascii = (s) => Uint8Array.from(Buffer.from(s, 'latin1'));

function sum16(bytes, sum = 0) {
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  return sum;
}
function fold(sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function parseV4(text) {
  return Uint8Array.from(text.split('.').map(Number));
}
function parseV6(text) {
  const [l, r] = text.split('::');
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return Uint8Array.from(groups.flatMap((g) => u16(parseInt(g, 16))));
}

/** A host: address text, version, bytes, MAC. */
function host(addr) {
  const v6 = addr.includes(':');
  const bytes = v6 ? parseV6(addr) : parseV4(addr);
  const mac = Uint8Array.from([0x02, 0x00, 0x5e, bytes[bytes.length - 3], bytes[bytes.length - 2], bytes[bytes.length - 1]]);
  return { addr, v6, bytes, mac };
}

// -------------------------------------------------------------- layers -----

function ipv4Header(src, dst, proto, payloadLen, o) {
  const h = Uint8Array.from([
    0x45, ((o.dscp ?? 0) << 2) | (o.ecn ?? 0), ...u16(20 + payloadLen),
    ...u16(o.id ?? 0), ...u16((o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | (o.fragUnits ?? 0)),
    64, proto, 0, 0, ...src.bytes, ...dst.bytes,
  ]);
  const c = fold(sum16(h));
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return h;
}

function ipv6Header(src, dst, next, payloadLen, o) {
  const tc = ((o.dscp ?? 0) << 2) | (o.ecn ?? 0);
  return Uint8Array.from([
    0x60 | (tc >>> 4), ((tc & 0x0f) << 4) | 0x0, 0x00, 0x01, ...u16(payloadLen), next, 64, ...src.bytes, ...dst.bytes,
  ]);
}

function pseudoSum(src, dst, proto, len) {
  if (src.v6) return sum16(concat(src.bytes, dst.bytes, Uint8Array.from([...u32(len), 0, 0, 0, proto])));
  return sum16(concat(src.bytes, dst.bytes, Uint8Array.from([0, proto, ...u16(len)])));
}

function udpSegment(src, dst, sp, dp, payload) {
  const h = Uint8Array.from([...u16(sp), ...u16(dp), ...u16(8 + payload.length), 0, 0]);
  const seg = concat(h, payload);
  let c = fold(pseudoSum(src, dst, UDP, seg.length) + sum16(seg));
  if (c === 0) c = 0xffff;
  seg[6] = c >>> 8;
  seg[7] = c & 0xff;
  return seg;
}

const FIN = 0x01;
const SYN = 0x02;
const PSH = 0x08;
const ACK = 0x10;

function tcpSegment(src, dst, sp, dp, seq, ack, flags, payload) {
  const h = Uint8Array.from([...u16(sp), ...u16(dp), ...u32(seq), ...u32(ack), 0x50, flags, ...u16(64240), 0, 0, 0, 0]);
  const seg = concat(h, payload);
  const c = fold(pseudoSum(src, dst, TCP, seg.length) + sum16(seg));
  seg[16] = c >>> 8;
  seg[17] = c & 0xff;
  return seg;
}

function ethernet(src, dst, etherType, payload, vlan) {
  const tag = vlan ? Uint8Array.from([0x81, 0x00, ((vlan.pcp & 7) << 5) | ((vlan.vid >>> 8) & 0x0f), vlan.vid & 0xff]) : new Uint8Array(0);
  return concat(dst.mac, src.mac, tag, Uint8Array.from(u16(etherType)), payload);
}

// ------------------------------------------------------------- capture -----

const BASE_SEC = 1_700_000_000;

class Capture {
  constructor(name, description, opts = {}) {
    this.name = name;
    this.description = description;
    this.vlan = opts.vlan ?? null;
    this.frames = [];
    this.packets = [];
    this.usec = 0;
    this.model = new Model();
    this.ipId = 0x100;
    this.counts = opts.counts ?? {};
  }

  get frameNo() {
    return this.frames.length + 1;
  }

  wait(seconds) {
    this.usec += Math.round(seconds * 1e6) - 20_000;
  }

  /** Appends one frame with its expectation; `cls` is the class after marking. */
  push(bytes, info) {
    const m = MARKINGS[info.cls];
    if (m === undefined) throw new Error(`${this.name}: unknown class ${info.cls}`);
    const noSdp = MARKINGS[info.noSdpClass];
    const record = {
      frame: this.frameNo,
      time: `${BASE_SEC + Math.floor(this.usec / 1e6)}.${String(this.usec % 1e6).padStart(6, '0')}`,
      note: info.note,
      ipVersion: info.ipVersion,
      proto: info.proto === UDP ? 'udp' : 'tcp',
      sport: info.sport,
      dport: info.dport,
      fragment: info.fragment ?? 'none',
      media: info.media ?? false,
      class: info.cls,
      dscpIn: info.dscp,
      dscpOut: m.dscp ?? info.dscp,
      ecn: info.ecn,
      pcpIn: this.vlan ? this.vlan.pcp : null,
      pcpOut: this.vlan ? m.cos ?? this.vlan.pcp : null,
      noSdpClass: info.noSdpClass,
      noSdpDscpOut: noSdp.dscp ?? info.dscp,
      noSdpPcpOut: this.vlan ? noSdp.cos ?? this.vlan.pcp : null,
    };
    this.frames.push({ usec: this.usec, bytes });
    this.packets.push(record);
    this.usec += 20_000;
    return record.frame;
  }

  nowSec() {
    return this.usec / 1e6;
  }

  /** An IP packet (v4 or v6) in an Ethernet frame. */
  ipFrame(src, dst, proto, l4, o) {
    if (src.v6 !== dst.v6) throw new Error('address family mismatch');
    const ip = src.v6
      ? concat(ipv6Header(src, dst, proto, l4.length, o), l4)
      : concat(ipv4Header(src, dst, proto, l4.length, { ...o, id: o.id ?? this.ipId++, df: o.df ?? true }), l4);
    return ethernet(src, dst, src.v6 ? 0x86dd : 0x0800, ip, this.vlan);
  }

  /** A UDP datagram carrying media (RTP or RTCP); `expect` is the declared class. */
  media(src, sp, dst, dp, payload, expect, note, o = {}) {
    const modelled = this.model.classify(src, sp, dst, dp, this.nowSec());
    const declared = expect;
    if (modelled !== declared) {
      throw new Error(`${this.name} frame ${this.frameNo} (${note}): declared ${declared}, model says ${modelled}`);
    }
    const bytes = this.ipFrame(src, dst, UDP, udpSegment(src, dst, sp, dp, payload), o);
    return this.push(bytes, {
      note: `${note} [${src.addr}:${sp} -> ${dst.addr}:${dp}] => ${declared}`,
      ipVersion: src.v6 ? 6 : 4,
      proto: UDP,
      sport: sp,
      dport: dp,
      media: true,
      cls: declared,
      noSdpClass: portClass(UDP, sp, dp),
      dscp: o.dscp ?? 0,
      ecn: o.ecn ?? 0,
    });
  }

  /** A SIP message over UDP, unfragmented. */
  sipUdp(src, sp, dst, dp, text, note, o = {}) {
    const bytes = this.ipFrame(src, dst, UDP, udpSegment(src, dst, sp, dp, ascii(text)), o);
    const frame = this.push(bytes, this.signallingInfo(src, UDP, sp, dp, note, o));
    this.model.sip(text, this.nowSec());
    return frame;
  }

  /** A SIP message over UDP in IPv4 fragments of `fragSize` payload bytes; returns the frames. */
  sipUdpFragmented(src, sp, dst, dp, text, fragSize, note, o = {}, between = {}) {
    if (src.v6) throw new Error('IPv4 fragments only');
    const datagram = udpSegment(src, dst, sp, dp, ascii(text));
    const id = this.ipId++;
    const frames = [];
    const count = Math.ceil(datagram.length / fragSize);
    for (let i = 0; i < count; i++) {
      const part = datagram.subarray(i * fragSize, Math.min(datagram.length, (i + 1) * fragSize));
      const last = i === count - 1;
      const ip = concat(ipv4Header(src, dst, UDP, part.length, { ...o, id, df: false, mf: !last, fragUnits: (i * fragSize) / 8 }), part);
      const bytes = ethernet(src, dst, 0x0800, ip, this.vlan);
      const info = this.signallingInfo(src, UDP, sp, dp, `${note}, fragment ${i + 1}/${count} (offset ${i * fragSize})`, o);
      if (i > 0) {
        info.sport = null;
        info.dport = null;
        info.fragment = 'nonfirst';
      } else info.fragment = 'first';
      frames.push(this.push(bytes, info));
      if (last) this.model.sip(text, this.nowSec());
      else between[i]?.();
    }
    return frames;
  }

  signallingInfo(src, proto, sp, dp, note, o) {
    const cls = portClass(proto, sp, dp);
    return {
      note: `${note} => ${cls}`,
      ipVersion: src.v6 ? 6 : 4,
      proto,
      sport: sp,
      dport: dp,
      cls,
      noSdpClass: cls,
      dscp: o.dscp ?? 0,
      ecn: o.ecn ?? 0,
    };
  }

  pcap() {
    const size = 24 + this.frames.reduce((n, f) => n + 16 + f.bytes.length, 0);
    const out = Buffer.alloc(size);
    out.writeUInt32LE(0xa1b2c3d4, 0);
    out.writeUInt16LE(2, 4);
    out.writeUInt16LE(4, 6);
    out.writeUInt32LE(65535, 16);
    out.writeUInt32LE(1, 20);
    let pos = 24;
    for (const f of this.frames) {
      out.writeUInt32LE(BASE_SEC + Math.floor(f.usec / 1e6), pos);
      out.writeUInt32LE(f.usec % 1e6, pos + 4);
      out.writeUInt32LE(f.bytes.length, pos + 8);
      out.writeUInt32LE(f.bytes.length, pos + 12);
      out.set(f.bytes, pos + 16);
      pos += 16 + f.bytes.length;
    }
    return out;
  }

  expected() {
    const lines = [
      '{',
      `  "file": ${JSON.stringify(`${this.name}.pcap`)},`,
      `  "description": ${JSON.stringify(this.description)},`,
      '  "linktype": 1,',
      '  "policy": "built-in",',
      `  "sip": ${JSON.stringify(this.counts)},`,
      `  "calls": ${JSON.stringify(this.model.calls)},`,
      '  "packets": [',
      this.packets.map((p) => `    ${JSON.stringify(p)}`).join(',\n'),
      '  ]',
      '}',
      '',
    ];
    return lines.join('\n');
  }
}

/** A TCP connection between a client and a server (5060/5061), with sequence numbers. */
class TcpConn {
  constructor(cap, client, cport, server, sport, isn = [0x1000, 0x8000]) {
    this.cap = cap;
    this.ends = { c: { h: client, port: cport, seq: isn[0] }, s: { h: server, port: sport, seq: isn[1] } };
  }

  seg(side, flags, payload, note, advance = true) {
    const a = this.ends[side];
    const b = this.ends[side === 'c' ? 's' : 'c'];
    const l4 = tcpSegment(a.h, b.h, a.port, b.port, a.seq >>> 0, b.seq >>> 0, flags, payload);
    const bytes = this.cap.ipFrame(a.h, b.h, TCP, l4, {});
    const frame = this.cap.push(bytes, this.cap.signallingInfo(a.h, TCP, a.port, b.port, note, {}));
    if (advance) a.seq = (a.seq + payload.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    return frame;
  }

  handshake() {
    this.seg('c', SYN, new Uint8Array(0), 'tcp SYN');
    this.seg('s', SYN | ACK, new Uint8Array(0), 'tcp SYN-ACK');
    this.seg('c', ACK, new Uint8Array(0), 'tcp ACK');
  }

  ack(side) {
    return this.seg(side, ACK, new Uint8Array(0), 'tcp ACK');
  }

  /**
   * Sends SIP messages as TCP payload, cut at the given byte offsets of the
   * concatenated text; the model learns each message when its last byte is sent.
   */
  send(side, messages, cuts, note, between = {}) {
    const text = messages.join('');
    const ends = [];
    let o = 0;
    for (const m of messages) ends.push((o += m.length));
    const bounds = [0, ...cuts, text.length];
    const frames = [];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const chunk = ascii(text.slice(bounds[i], bounds[i + 1]));
      frames.push(this.seg(side, PSH | ACK, chunk, `${note}, segment ${i + 1}/${bounds.length - 1} (${chunk.length} bytes)`));
      messages.forEach((m, k) => {
        if (ends[k] > bounds[i] && ends[k] <= bounds[i + 1]) this.cap.model.sip(m, this.cap.nowSec());
      });
      if (i + 2 < bounds.length) between[i]?.();
    }
    return frames;
  }

  /** Sends raw bytes the model must not read (TLS, or data after a gap). */
  raw(side, bytes, note) {
    return this.seg(side, PSH | ACK, bytes, note);
  }

  /** Loses `n` bytes of this side's stream: they are never captured. */
  lose(side, n) {
    this.ends[side].seq = (this.ends[side].seq + n) >>> 0;
  }
}

// ----------------------------------------------------------- the model -----

/** The rules, applied to SIP text the scenario already knows to be whole. */
class Model {
  constructor() {
    /** key "addr|port" → { cls, dialog, side, last } */
    this.entries = new Map();
    /** Call-IDs whose SDP was followed, in order of their first SDP. */
    this.calls = [];
  }

  classify(src, sp, dst, dp, now) {
    let cls = null;
    for (const key of [`${src.addr}|${sp}`, `${dst.addr}|${dp}`]) {
      const e = this.entries.get(key);
      if (e === undefined) continue;
      if (now - e.last > IDLE_SEC) {
        this.entries.delete(key);
        continue;
      }
      e.last = now;
      cls ??= e.cls;
    }
    return cls ?? portClass(UDP, sp, dp);
  }

  sip(text, now) {
    const headEnd = text.indexOf('\r\n\r\n');
    const lines = text.slice(0, headEnd).split('\r\n');
    const start = lines[0];
    const header = (long, short) => {
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        const name = l.slice(0, c).trim().toLowerCase();
        if (name === long || name === short) return l.slice(c + 1).trim();
      }
      return '';
    };
    const callId = header('call-id', 'i');
    const cseqMethod = header('cseq', '').split(/\s+/)[1] ?? '';
    const request = !start.startsWith('SIP/2.0 ');
    const method = request ? start.split(' ')[0] : '';
    const status = request ? 0 : Number(start.split(' ')[1]);
    if ((request && (method === 'BYE' || method === 'CANCEL')) || (!request && cseqMethod === 'INVITE' && status >= 300)) {
      for (const [k, e] of this.entries) if (e.dialog === callId) this.entries.delete(k);
      return;
    }
    const type = header('content-type', 'c');
    const body = text.slice(headEnd + 4);
    let sdp = null;
    if (type.startsWith('application/sdp')) sdp = body;
    else if (type.startsWith('multipart/mixed')) {
      const boundary = /boundary=([^;\s]+)/.exec(type)[1];
      for (const part of body.split(`--${boundary}`)) {
        const i = part.indexOf('\r\n\r\n');
        if (i >= 0 && /content-type: application\/sdp/i.test(part.slice(0, i))) sdp = part.slice(i + 4);
      }
    }
    if (sdp === null) return;
    if (!this.calls.includes(callId)) this.calls.push(callId);
    const side = /^o=(\S+) (\S+) \S+ \S+ \S+ (\S+)/m.exec(sdp).slice(1).join(' ');
    for (const [k, e] of this.entries) if (e.dialog === callId && e.side === side) this.entries.delete(k);
    let session = null;
    let media = null;
    const streams = [];
    for (const line of sdp.split('\r\n')) {
      if (line.startsWith('c=')) {
        const addr = line.split(' ')[2].split('/')[0];
        if (media) media.addr = addr;
        else session = addr;
      } else if (line.startsWith('m=')) {
        const f = line.slice(2).split(' ');
        media = { type: f[0], port: Number(f[1]), rtcp: Number(f[1]) + 1, addr: session };
        streams.push(media);
      } else if (line.startsWith('a=rtcp:') && media) media.rtcp = Number(line.slice(7).split(' ')[0]);
    }
    for (const s of streams) {
      const cls = MEDIA_CLASS[s.type];
      if (s.port === 0 || cls === undefined) continue;
      for (const port of [s.port, s.rtcp]) this.entries.set(`${s.addr}|${port}`, { cls, dialog: callId, side, last: now });
    }
  }
}

// ------------------------------------------------------------ SIP text -----

/** A SIP message with CRLF line ends and a Content-Length (long or compact name). */
function sipMessage(startLine, headers, body = '', compact = false) {
  const all = [...headers];
  if (body !== '' && !headers.some((h) => /^(content-type|c)\s*:/i.test(h))) {
    all.push(`${compact ? 'c' : 'Content-Type'}: application/sdp`);
  }
  all.push(`${compact ? 'l' : 'Content-Length'}: ${Buffer.byteLength(body, 'latin1')}`);
  return `${startLine}\r\n${all.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * SDP: `conn` the session-level address (or null), media lines
 * { type, port, fmt, conn?, rtcp?, dir?, extra? }.
 */
function sdp({ user, sessId, version = 1, origin, conn, media, extra = [] }) {
  const ipv = (a) => (a.includes(':') ? 'IP6' : 'IP4');
  const lines = ['v=0', `o=${user} ${sessId} ${version} IN ${ipv(origin)} ${origin}`, 's=qosmark fixture'];
  if (conn) lines.push(`c=IN ${ipv(conn)} ${conn}`);
  lines.push('t=0 0', ...extra);
  for (const m of media) {
    const fmt = m.fmt ?? (m.type === 'audio' ? '0' : m.type === 'video' ? '96' : '0');
    const proto = m.type === 'image' ? 'udptl' : 'RTP/AVP';
    lines.push(`m=${m.type} ${m.port} ${proto} ${m.type === 'image' ? 't38' : fmt}`);
    if (m.conn) lines.push(`c=IN ${ipv(m.conn)} ${m.conn}`);
    if (m.type === 'audio') lines.push('a=rtpmap:0 PCMU/8000');
    if (m.type === 'video') lines.push('a=rtpmap:96 H264/90000', 'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1');
    if (m.rtcp !== undefined) lines.push(`a=rtcp:${m.rtcp}`);
    if (m.dir) lines.push(`a=${m.dir}`);
    if (m.extra) lines.push(...m.extra);
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A dialog's header lines between two user agents. */
class Dialog {
  constructor(callId, a, b, transport = 'UDP', compact = false) {
    this.callId = callId;
    this.a = a;
    this.b = b;
    this.transport = transport;
    this.compact = compact;
    this.cseq = 1;
    this.branch = 1;
  }

  h(name, value) {
    const short = { 'Call-ID': 'i', From: 'f', To: 't', Via: 'v', Contact: 'm', 'Content-Type': 'c' };
    return `${this.compact && short[name] ? short[name] : name}: ${value}`;
  }

  hostText(x) {
    return x.v6 ? `[${x.addr}]` : x.addr;
  }

  /** A request from a (or from b when reverse). */
  request(method, body = '', { reverse = false, cseq, contentType } = {}) {
    const [from, to] = reverse ? [this.b, this.a] : [this.a, this.b];
    const n = cseq ?? (method === 'ACK' || method === 'CANCEL' ? this.cseq - 1 : this.cseq++);
    const headers = [
      this.h('Via', `SIP/2.0/${this.transport} ${this.hostText(from)}:5060;branch=z9hG4bK-${this.callId.replace(/\W/g, '')}-${this.branch++}`),
      'Max-Forwards: 70',
      this.h('From', `<sip:${reverse ? 'bob' : 'alice'}@${this.hostText(from)}>;tag=${reverse ? 'b' : 'a'}${this.callId.length}`),
      this.h('To', `<sip:${reverse ? 'alice' : 'bob'}@${this.hostText(to)}>${method === 'INVITE' && this.cseq === 2 && !reverse ? '' : `;tag=${reverse ? 'a' : 'b'}${this.callId.length}`}`),
      this.h('Call-ID', this.callId),
      `CSeq: ${n} ${method}`,
      this.h('Contact', `<sip:${reverse ? 'bob' : 'alice'}@${this.hostText(from)}:5060;transport=${this.transport.toLowerCase()}>`),
    ];
    if (contentType) headers.push(this.h('Content-Type', contentType));
    return sipMessage(`${method} sip:${reverse ? 'alice' : 'bob'}@${this.hostText(to)}:5060 SIP/2.0`, headers, body, this.compact);
  }

  /** A response to the request with CSeq `n method`, sent by b (or by a when reverse). */
  response(code, reason, n, method, body = '', { reverse = false } = {}) {
    const [from, to] = reverse ? [this.b, this.a] : [this.a, this.b];
    const headers = [
      this.h('Via', `SIP/2.0/${this.transport} ${this.hostText(reverse ? to : from)}:5060;branch=z9hG4bK-${this.callId.replace(/\W/g, '')}-r${n}`),
      this.h('From', `<sip:${reverse ? 'bob' : 'alice'}@${this.hostText(reverse ? to : from)}>;tag=${reverse ? 'b' : 'a'}${this.callId.length}`),
      this.h('To', `<sip:${reverse ? 'alice' : 'bob'}@${this.hostText(reverse ? from : to)}>;tag=${reverse ? 'a' : 'b'}${this.callId.length}`),
      this.h('Call-ID', this.callId),
      `CSeq: ${n} ${method}`,
    ];
    if (body !== '') headers.push(this.h('Contact', `<sip:${reverse ? 'alice' : 'bob'}@${this.hostText(reverse ? from : to)}:5060>`));
    return sipMessage(`SIP/2.0 ${code} ${reason}`, headers, body, this.compact);
  }
}

// --------------------------------------------------------- RTP payloads -----

let lcg = 12345;
function bytes(n) {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    lcg = (Math.imul(lcg, 1103515245) + 12345) >>> 0;
    out[i] = lcg >>> 24;
  }
  return out;
}

const rtpSeq = new Map();
/** An RTP packet: version 2, audio PCMU (160 bytes) or H.264 video (600 bytes). */
function rtp(kind, ssrc) {
  const seq = rtpSeq.get(ssrc) ?? 1;
  rtpSeq.set(ssrc, seq + 1);
  const pt = kind === 'video' ? 96 : 0;
  const ts = kind === 'video' ? seq * 3000 : seq * 160;
  return concat(Uint8Array.from([0x80, pt, ...u16(seq), ...u32(ts), ...u32(ssrc)]), bytes(kind === 'video' ? 600 : 160));
}

/** An RTCP receiver report with no report blocks. */
function rtcp(ssrc) {
  return Uint8Array.from([0x80, 201, 0, 1, ...u32(ssrc)]);
}

// ------------------------------------------------------------- scenarios ---

const captures = [];

/** Audio and video in both directions over UDP/IPv4, media-level c=, a=rtcp, RTP before and after its SDP. */
function udpV4() {
  const cap = new Capture('sip-udp-av-v4', 'SIP over UDP/IPv4: audio and video in both directions, RTP and RTCP; the answer puts video on another host (media-level c=) with a=rtcp; RTP on an endpoint before, in and after the message that creates its entry; BYE ends the call');
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const BV = host('198.18.0.21');
  const P = host('198.18.0.30');
  const d = new Dialog('av-v4-1@198.18.0.10', A, B);
  const offer = sdp({ user: 'alice', sessId: 1001, origin: A.addr, conn: A.addr, media: [{ type: 'audio', port: 20000 }, { type: 'video', port: 20002 }] });
  const answer = sdp({ user: 'bob', sessId: 2001, origin: B.addr, conn: B.addr, media: [{ type: 'audio', port: 30000 }, { type: 'video', port: 30002, conn: BV.addr, rtcp: 30013 }] });
  cap.media(A, 20002, BV, 30002, rtp('video', 0xa1), 'voice', 'video RTP before any SIP: port rules', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', offer), 'INVITE with SDP offer (audio 20000, video 20002)');
  cap.media(BV, 30002, A, 20002, rtp('video', 0xb1), 'video', 'video RTP to the offer\'s video port, the frame after the INVITE');
  cap.media(A, 20002, BV, 30002, rtp('video', 0xa1), 'video', 'video RTP from the offer\'s video port (early media)', { dscp: 46, ecn: 1 });
  cap.media(P, 25000, BV, 30002, rtp('video', 0xc1), 'voice', 'video RTP from an unadvertised port to the answer\'s video port, before the answer', { dscp: 46 });
  cap.sipUdp(B, 5060, A, 5060, d.response(100, 'Trying', 1, 'INVITE'), '100 Trying');
  cap.sipUdp(B, 5060, A, 5060, d.response(180, 'Ringing', 1, 'INVITE'), '180 Ringing');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', answer), '200 OK with SDP answer (audio 30000; video 198.18.0.21:30002, a=rtcp:30013)');
  cap.media(P, 25000, BV, 30002, rtp('video', 0xc1), 'video', 'video RTP from an unadvertised port to the answer\'s video port, after the answer', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  for (let i = 0; i < 2; i++) {
    cap.media(A, 20000, B, 30000, rtp('audio', 0xa0), 'voice', 'audio RTP A->B');
    cap.media(B, 30000, A, 20000, rtp('audio', 0xb0), 'voice', 'audio RTP B->A', { dscp: 0, ecn: 2 });
    cap.media(A, 20002, BV, 30002, rtp('video', 0xa1), 'video', 'video RTP A->B', { dscp: 46 });
    cap.media(BV, 30002, A, 20002, rtp('video', 0xb1), 'video', 'video RTP B->A', { dscp: 0 });
  }
  cap.media(A, 20001, B, 30001, rtcp(0xa0), 'voice', 'audio RTCP (RTP port + 1 both sides)');
  cap.media(A, 20003, BV, 30013, rtcp(0xa1), 'video', 'video RTCP A->B (offer: 20002+1; answer: a=rtcp:30013)', { dscp: 46 });
  cap.media(BV, 30013, A, 20003, rtcp(0xb1), 'video', 'video RTCP B->A from a=rtcp port', { dscp: 46 });
  cap.media(P, 25002, BV, 30003, rtcp(0xc1), 'voice', 'RTCP to the answer\'s video RTP port + 1: not an entry (a=rtcp names 30013)', { dscp: 32 });
  cap.sipUdp(A, 5060, B, 5060, d.request('BYE'), 'BYE');
  cap.media(BV, 30002, A, 20002, rtp('video', 0xb1), 'voice', 'video RTP after BYE, before its 200 OK: entries gone');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 2, 'BYE'), '200 OK to BYE');
  cap.media(A, 20002, BV, 30002, rtp('video', 0xa1), 'voice', 'video RTP after the call: port rules', { dscp: 32 });
  captures.push(cap);
}

/** IPv6, 802.1Q tagged: audio and video both ways; media-level c= only in the answer; an IPv4 packet on the same port numbers. */
function udpV6() {
  const cap = new Capture('sip-udp-av-v6', 'SIP over UDP/IPv6 on 802.1Q VLAN 100 (PCP 0): audio and video in both directions; session-level c= IP6 in the offer, media-level c= IP6 only in the answer; IPv4 packets on the same port numbers keep the port class; the callee sends BYE', { vlan: { pcp: 0, vid: 100 } });
  const A = host('2001:db8:5153::10');
  const B = host('2001:db8:5153::20');
  const BV = host('2001:db8:5153::21');
  const P = host('2001:db8:5153::30');
  const A4 = host('198.18.0.10');
  const B4 = host('198.18.0.20');
  const d = new Dialog('av-v6-1@2001.db8.5153..10', A, B);
  const offer = sdp({ user: 'alice', sessId: 3001, origin: A.addr, conn: A.addr, media: [{ type: 'audio', port: 20100 }, { type: 'video', port: 20102 }] });
  const answer = sdp({ user: 'bob', sessId: 4001, origin: B.addr, conn: null, media: [{ type: 'audio', port: 30100, conn: B.addr }, { type: 'video', port: 30102, conn: BV.addr }] });
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', offer), 'INVITE with SDP offer (IP6 audio 20100, video 20102)');
  cap.media(P, 25100, BV, 30102, rtp('video', 0x61), 'voice', 'video RTP to the answer\'s video endpoint before the answer');
  cap.sipUdp(B, 5060, A, 5060, d.response(180, 'Ringing', 1, 'INVITE'), '180 Ringing');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', answer), '200 OK with SDP answer (media-level c= IP6 per stream)');
  cap.media(P, 25100, BV, 30102, rtp('video', 0x61), 'video', 'video RTP to the answer\'s video endpoint after the answer', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  for (let i = 0; i < 2; i++) {
    cap.media(A, 20100, B, 30100, rtp('audio', 0x60), 'voice', 'audio RTP A->B', { dscp: 0 });
    cap.media(B, 30100, A, 20100, rtp('audio', 0x70), 'voice', 'audio RTP B->A', { dscp: 34 });
    cap.media(A, 20102, BV, 30102, rtp('video', 0x62), 'video', 'video RTP A->B', { dscp: 46, ecn: 1 });
    cap.media(BV, 30102, A, 20102, rtp('video', 0x72), 'video', 'video RTP B->A', { dscp: 0 });
  }
  cap.media(A, 20103, BV, 30103, rtcp(0x62), 'video', 'video RTCP (RTP port + 1)');
  cap.media(A4, 20102, B4, 30102, rtp('video', 0x63), 'voice', 'IPv4 packet on the video port numbers: the entries are IPv6');
  cap.sipUdp(B, 5060, A, 5060, d.request('BYE', '', { reverse: true, cseq: 1 }), 'BYE from the callee');
  cap.sipUdp(A, 5060, B, 5060, d.response(200, 'OK', 1, 'BYE', '', { reverse: true }), '200 OK to BYE');
  cap.media(BV, 30102, A, 20102, rtp('video', 0x72), 'voice', 'video RTP after the call: port rules');
  captures.push(cap);
}

/** SIP over TCP: a message cut across two segments, two messages in one segment, a gap, TLS on 5061. */
function tcpV4() {
  const cap = new Capture('sip-tcp-v4', 'SIP over TCP/IPv4: the INVITE cut inside its SDP across two segments (RTP between them keeps the port class), 180 and 200-with-SDP in one segment, a retransmitted segment, BYE and 200 in separate segments; a second connection loses a segment (gap: its later INVITE is not followed); a TLS connection on 5061 (counted, not read)', { counts: { tcpGaps: 1, tlsConnections: 1 } });
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const C = host('198.18.0.40');
  const D = host('198.18.0.50');
  const P = host('198.18.0.30');
  const d = new Dialog('tcp-1@198.18.0.10', A, B, 'TCP');
  const conn = new TcpConn(cap, A, 49200, B, 5060);
  conn.handshake();
  const offer = sdp({ user: 'alice', sessId: 5001, origin: A.addr, conn: A.addr, media: [{ type: 'audio', port: 20200 }, { type: 'video', port: 20202 }] });
  const invite = d.request('INVITE', offer);
  const cut = invite.indexOf('m=video') + 4; // inside the video media line
  conn.send('c', [invite], [cut], 'INVITE over TCP', {
    0: () => cap.media(P, 25200, A, 20202, rtp('video', 0x81), 'voice', 'video RTP to the offer\'s video port between the two INVITE segments', { dscp: 46 }),
  });
  cap.media(P, 25200, A, 20202, rtp('video', 0x81), 'video', 'video RTP to the offer\'s video port after the last INVITE segment', { dscp: 46 });
  conn.ack('s');
  const answer = sdp({ user: 'bob', sessId: 6001, origin: B.addr, conn: B.addr, media: [{ type: 'audio', port: 30200 }, { type: 'video', port: 30202 }] });
  const ringing = d.response(180, 'Ringing', 1, 'INVITE');
  const ok = d.response(200, 'OK', 1, 'INVITE', answer);
  const okFrame = cap.frameNo;
  conn.send('s', [ringing, ok], [], '180 Ringing and 200 OK with SDP in one segment');
  // A retransmission of the same segment (same sequence number): nothing new.
  conn.lose('s', -(ringing.length + ok.length));
  conn.send('s', [ringing, ok], [], `retransmission of frame ${okFrame}`);
  cap.media(P, 25202, B, 30202, rtp('video', 0x82), 'video', 'video RTP to the answer\'s video port (second message of the segment)');
  conn.send('c', [d.request('ACK')], [], 'ACK over TCP');
  cap.media(A, 20200, B, 30200, rtp('audio', 0x83), 'voice', 'audio RTP A->B');
  cap.media(B, 30202, A, 20202, rtp('video', 0x84), 'video', 'video RTP B->A');
  cap.media(A, 20202, B, 30202, rtp('video', 0x85), 'video', 'video RTP A->B', { dscp: 46 });

  // A second connection that loses a segment: no later message on it is followed.
  const d2 = new Dialog('tcp-gap-2@198.18.0.40', C, B, 'TCP');
  const conn2 = new TcpConn(cap, C, 49300, B, 5060, [0x20000, 0x90000]);
  conn2.handshake();
  conn2.send('c', [d2.request('OPTIONS')], [], 'OPTIONS over TCP (connection 2)');
  conn2.lose('c', 120); // 120 bytes never captured
  const offer2 = sdp({ user: 'carol', sessId: 7001, origin: C.addr, conn: C.addr, media: [{ type: 'video', port: 20302 }] });
  conn2.raw('c', ascii(d2.request('INVITE', offer2)), 'INVITE after a gap of 120 bytes: connection dropped from inspection');
  cap.media(P, 25300, C, 20302, rtp('video', 0x86), 'voice', 'video RTP to the INVITE-after-gap\'s video port: not followed');

  // SIP over TLS: counted, not read.
  const conn3 = new TcpConn(cap, D, 49400, B, 5061, [0x30000, 0xa0000]);
  conn3.handshake();
  conn3.raw('c', Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x2f, 0x01, 0x00, 0x00, 0x2b, 0x03, 0x03, ...bytes(32), 0x00, 0x00, 0x02, 0x13, 0x01, 0x01, 0x00]), 'TLS ClientHello on 5061');

  conn.send('c', [d.request('BYE')], [], 'BYE over TCP');
  cap.media(B, 30202, A, 20202, rtp('video', 0x84), 'voice', 'video RTP after BYE: port rules');
  conn.send('s', [d.response(200, 'OK', 2, 'BYE')], [], '200 OK to BYE');
  captures.push(cap);
}

/** An INVITE in three IPv4 fragments; the SDP's video line sits in the last one. */
function fragmentedV4() {
  const cap = new Capture('sip-fragmented-v4', 'SIP over UDP/IPv4: an INVITE of about 3 kB in three IPv4 fragments (its SDP video line in the last fragment); RTP to the offered video port between the fragments keeps the port class, after the last fragment it is video');
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const P = host('198.18.0.30');
  const d = new Dialog('frag-1@198.18.0.10', A, B);
  const padding = Array.from({ length: 40 }, (_, i) => `a=x-qosmark-padding:${String(i).padStart(2, '0')} ${'abcdefghij'.repeat(5)}`);
  const offer = sdp({ user: 'alice', sessId: 8001, origin: A.addr, conn: A.addr, extra: padding, media: [{ type: 'audio', port: 20400 }, { type: 'video', port: 20402 }] });
  const invite = d.request('INVITE', offer);
  cap.sipUdpFragmented(A, 5060, B, 5060, invite, 1480, 'INVITE with SDP offer (audio 20400, video 20402)', {}, {
    0: () => cap.media(P, 25400, A, 20402, rtp('video', 0x91), 'voice', 'video RTP to the offered video port between fragments 1 and 2', { dscp: 46 }),
    1: () => cap.media(P, 25400, A, 20402, rtp('video', 0x91), 'voice', 'video RTP to the offered video port between fragments 2 and 3', { dscp: 46 }),
  });
  cap.media(P, 25400, A, 20402, rtp('video', 0x91), 'video', 'video RTP to the offered video port after the last fragment', { dscp: 46 });
  const answer = sdp({ user: 'bob', sessId: 9001, origin: B.addr, conn: B.addr, media: [{ type: 'audio', port: 30400 }, { type: 'video', port: 30402 }] });
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', answer), '200 OK with SDP answer');
  cap.media(A, 20400, B, 30400, rtp('audio', 0x92), 'voice', 'audio RTP A->B');
  cap.media(B, 30402, A, 20402, rtp('video', 0x93), 'video', 'video RTP B->A');
  cap.media(A, 20402, B, 30402, rtp('video', 0x94), 'video', 'video RTP A->B', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  captures.push(cap);
}

/** Compact headers; media-level c= per stream; a=rtcp; ports outside the RTP range; unmapped image/application. */
function compactV4() {
  const cap = new Capture('sip-compact-rtcp-v4', 'SIP over UDP/IPv4 with compact headers (i:, c:, l:, f:, t:, v:, m:): the offer has no session-level c= (media-level c= per stream, three hosts), audio on 12000 (outside the RTP port range) with a=rtcp:12101, video with RTCP on RTP+1, unmapped m=image and m=application; the answer rejects image/application with port 0; RTP+1 of a stream with a=rtcp is not an entry');
  const A = host('198.18.0.10');
  const AA = host('198.18.0.11');
  const AV = host('198.18.0.12');
  const B = host('198.18.0.20');
  const P = host('198.18.0.30');
  const d = new Dialog('compact-1@198.18.0.10', A, B, 'UDP', true);
  const offer = sdp({
    user: 'alice', sessId: 1101, origin: A.addr, conn: null,
    media: [
      { type: 'audio', port: 12000, conn: AA.addr, rtcp: 12101 },
      { type: 'video', port: 21000, conn: AV.addr },
      { type: 'image', port: 22000, conn: AA.addr },
      { type: 'application', port: 9000, conn: AA.addr, fmt: '101' },
    ],
  });
  const answer = sdp({
    user: 'bob', sessId: 1201, origin: B.addr, conn: B.addr,
    media: [{ type: 'audio', port: 13000, rtcp: 13501 }, { type: 'video', port: 31000 }, { type: 'image', port: 0 }, { type: 'application', port: 0, fmt: '101' }],
  });
  cap.media(AA, 12000, B, 13000, rtp('audio', 0x11), 'default', 'audio RTP on ports outside every rule before any SDP: default (kept)', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', offer), 'INVITE (compact headers), SDP with media-level c= only');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', answer), '200 OK (compact headers) with SDP answer');
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK (compact headers)');
  cap.media(AA, 12000, B, 13000, rtp('audio', 0x11), 'voice', 'audio RTP outside the RTP range: SDP gives voice', { dscp: 0 });
  cap.media(B, 13000, AA, 12000, rtp('audio', 0x12), 'voice', 'audio RTP B->A outside the RTP range', { dscp: 10 });
  cap.media(AA, 12101, B, 13501, rtcp(0x11), 'voice', 'audio RTCP between the two a=rtcp ports', { dscp: 0 });
  cap.media(B, 13501, AA, 12101, rtcp(0x12), 'voice', 'audio RTCP B->A between the a=rtcp ports', { dscp: 0 });
  cap.media(AA, 12001, B, 13001, rtcp(0x11), 'default', 'RTCP on the audio RTP ports + 1: not entries (a=rtcp given), outside every rule', { dscp: 0 });
  cap.media(AV, 21000, B, 31000, rtp('video', 0x13), 'video', 'video RTP A->B (media-level c= 198.18.0.12)', { dscp: 46 });
  cap.media(B, 31000, AV, 21000, rtp('video', 0x14), 'video', 'video RTP B->A');
  cap.media(AV, 21001, B, 31001, rtcp(0x13), 'video', 'video RTCP on RTP+1 both sides', { dscp: 46 });
  cap.media(A, 21000, P, 26000, rtp('video', 0x15), 'voice', 'the video port on the session host (198.18.0.10): the entry is on 198.18.0.12', { dscp: 46 });
  cap.media(AA, 22000, P, 26002, bytes(40), 'voice', 'to/from the offered m=image endpoint: unmapped, port rules');
  cap.media(AA, 9000, P, 12500, bytes(40), 'default', 'from the offered m=application endpoint (outside the RTP range): unmapped, default', { dscp: 8 });
  cap.sipUdp(A, 5060, B, 5060, d.request('BYE'), 'BYE (compact headers)');
  cap.media(AA, 12000, B, 13000, rtp('audio', 0x11), 'default', 'audio RTP outside the RTP range after BYE: default (kept)', { dscp: 46 });
  captures.push(cap);
}

/** Hold and resume re-INVITEs, the resume moving the video port; then UPDATE / 200 with m=video 0. */
function holdResumeV4() {
  const cap = new Capture('sip-hold-resume-v4', 'SIP over UDP/IPv4: a call with audio and video; a hold re-INVITE (sendonly) and its recvonly answer keep the ports; a resume re-INVITE moves the caller\'s video port 20502 -> 20512 (the old port loses its entry from that frame on, the new one gets it); then the callee\'s UPDATE with m=video 0 and the 200 OK with m=video 0 take video away from each side in turn');
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const P = host('198.18.0.30');
  const d = new Dialog('hold-1@198.18.0.10', A, B);
  const aSdp = (version, video, dir) =>
    sdp({ user: 'alice', sessId: 1301, version, origin: A.addr, conn: A.addr, media: [{ type: 'audio', port: 20500, dir }, { type: 'video', port: video, dir }] });
  const bSdp = (version, video, dir) =>
    sdp({ user: 'bob', sessId: 1401, version, origin: B.addr, conn: B.addr, media: [{ type: 'audio', port: 30500, dir }, { type: 'video', port: video, dir }] });
  const probe = (port, cls, note) => cap.media(P, 25500, A, port, rtp('video', 0x20 + port % 16), cls, note, { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', aSdp(1, 20502)), 'INVITE (audio 20500, video 20502)');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', bSdp(1, 30502)), '200 OK (audio 30500, video 30502)');
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  cap.media(A, 20502, B, 30502, rtp('video', 0x31), 'video', 'video RTP A->B');
  cap.media(B, 30500, A, 20500, rtp('audio', 0x32), 'voice', 'audio RTP B->A');
  probe(20502, 'video', 'probe to A\'s video port 20502');
  probe(20512, 'voice', 'probe to 20512: not yet advertised');
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', aSdp(2, 20502, 'sendonly')), 're-INVITE: hold (a=sendonly, same ports)');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 2, 'INVITE', bSdp(2, 30502, 'recvonly')), '200 OK: recvonly, same ports');
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  probe(20502, 'video', 'probe to 20502 while on hold: still advertised');
  cap.media(A, 20502, B, 30502, rtp('video', 0x31), 'video', 'video RTP A->B while on hold (sendonly)');
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', aSdp(3, 20512, 'sendrecv')), 're-INVITE: resume, video moved to 20512');
  probe(20502, 'voice', 'probe to the old video port 20502: replaced');
  probe(20512, 'video', 'probe to the new video port 20512');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 3, 'INVITE', bSdp(3, 30502, 'sendrecv')), '200 OK: resume, same ports');
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  cap.media(A, 20512, B, 30502, rtp('video', 0x33), 'video', 'video RTP A->B from the new port');
  cap.media(B, 30502, A, 20512, rtp('video', 0x34), 'video', 'video RTP B->A to the new port');
  cap.media(P, 25500, B, 30502, rtp('video', 0x35), 'video', 'probe to B\'s video port 30502', { dscp: 46 });
  cap.sipUdp(B, 5060, A, 5060, d.request('UPDATE', bSdp(4, 0), { reverse: true, cseq: 1 }), 'UPDATE from the callee with m=video 0');
  cap.media(P, 25500, B, 30502, rtp('video', 0x35), 'voice', 'probe to B\'s old video port: B\'s side replaced without video', { dscp: 46 });
  probe(20512, 'video', 'probe to A\'s video port 20512: A\'s side unchanged so far');
  cap.sipUdp(A, 5060, B, 5060, d.response(200, 'OK', 1, 'UPDATE', aSdp(4, 0), { reverse: true }), '200 OK to UPDATE with m=video 0');
  probe(20512, 'voice', 'probe to 20512: A\'s side replaced without video');
  cap.media(A, 20500, B, 30500, rtp('audio', 0x36), 'voice', 'audio RTP still flows');
  cap.sipUdp(A, 5060, B, 5060, d.request('BYE'), 'BYE');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 4, 'BYE'), '200 OK to BYE');
  captures.push(cap);
}

/** BYE, 486 and CANCEL end calls; a new audio-only call reuses the old video port; overlapping calls on one endpoint. */
function callEndsV4() {
  const cap = new Capture('sip-call-end-reuse-v4', 'SIP over UDP/IPv4: call 1 (audio+video) ends with BYE; call 2, audio-only, reuses call 1\'s video ports (voice); call 3 is refused with 486 and call 4 cancelled (their video endpoints, outside the RTP range, go back to default); call 6 re-advertises call 5\'s video endpoint as audio before call 5\'s BYE, which must not remove call 6\'s entry');
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const P = host('198.18.0.30');
  const sdpA = (sessId, media) => sdp({ user: 'alice', sessId, origin: A.addr, conn: A.addr, media });
  const sdpB = (sessId, media) => sdp({ user: 'bob', sessId, origin: B.addr, conn: B.addr, media });
  const probe = (port, cls, note) => cap.media(P, 12900, A, port, rtp('video', 0x40 + (port % 16)), cls, note, { dscp: 46 });

  const d1 = new Dialog('end-1@198.18.0.10', A, B);
  cap.sipUdp(A, 5060, B, 5060, d1.request('INVITE', sdpA(1501, [{ type: 'audio', port: 20600 }, { type: 'video', port: 20602 }])), 'call 1 INVITE (audio 20600, video 20602)');
  cap.sipUdp(B, 5060, A, 5060, d1.response(200, 'OK', 1, 'INVITE', sdpB(1601, [{ type: 'audio', port: 30600 }, { type: 'video', port: 30602 }])), 'call 1 200 OK (audio 30600, video 30602)');
  cap.sipUdp(A, 5060, B, 5060, d1.request('ACK'), 'call 1 ACK');
  cap.media(B, 30602, A, 20602, rtp('video', 0x51), 'video', 'call 1 video RTP B->A');
  cap.media(A, 20602, B, 30602, rtp('video', 0x52), 'video', 'call 1 video RTP A->B', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d1.request('BYE'), 'call 1 BYE');
  cap.sipUdp(B, 5060, A, 5060, d1.response(200, 'OK', 2, 'BYE'), 'call 1 200 OK to BYE');
  cap.media(B, 30602, A, 20602, rtp('video', 0x51), 'voice', 'call 1\'s video ports after BYE: port rules');

  const d2 = new Dialog('end-2@198.18.0.10', A, B);
  cap.sipUdp(A, 5060, B, 5060, d2.request('INVITE', sdpA(1502, [{ type: 'audio', port: 20602 }])), 'call 2 INVITE, audio only on 20602 (call 1\'s video port)');
  cap.sipUdp(B, 5060, A, 5060, d2.response(200, 'OK', 1, 'INVITE', sdpB(1602, [{ type: 'audio', port: 30602 }])), 'call 2 200 OK, audio only on 30602 (call 1\'s video port)');
  cap.sipUdp(A, 5060, B, 5060, d2.request('ACK'), 'call 2 ACK');
  cap.media(A, 20602, B, 30602, rtp('audio', 0x53), 'voice', 'call 2 audio RTP on call 1\'s old video ports', { dscp: 32 });
  cap.media(B, 30602, A, 20602, rtp('audio', 0x54), 'voice', 'call 2 audio RTP B->A', { dscp: 32 });
  cap.media(A, 20603, B, 30603, rtcp(0x53), 'voice', 'call 2 audio RTCP', { dscp: 32 });

  const d3 = new Dialog('end-3@198.18.0.10', A, B);
  cap.sipUdp(A, 5060, B, 5060, d3.request('INVITE', sdpA(1503, [{ type: 'audio', port: 12600 }, { type: 'video', port: 12602 }])), 'call 3 INVITE (audio 12600, video 12602: outside the RTP range)');
  probe(12602, 'video', 'probe to call 3\'s offered video port');
  cap.sipUdp(B, 5060, A, 5060, d3.response(486, 'Busy Here', 1, 'INVITE'), 'call 3 486 Busy Here');
  probe(12602, 'default', 'probe to call 3\'s video port after 486: default (kept)');
  cap.sipUdp(A, 5060, B, 5060, d3.request('ACK'), 'call 3 ACK');

  const d4 = new Dialog('end-4@198.18.0.10', A, B);
  cap.sipUdp(A, 5060, B, 5060, d4.request('INVITE', sdpA(1504, [{ type: 'video', port: 12604 }])), 'call 4 INVITE (video 12604)');
  cap.sipUdp(B, 5060, A, 5060, d4.response(183, 'Session Progress', 1, 'INVITE', sdpB(1604, [{ type: 'video', port: 13604 }])), 'call 4 183 with SDP (video 13604)');
  probe(12604, 'video', 'probe to call 4\'s video port');
  cap.media(B, 13604, P, 12900, rtp('video', 0x55), 'video', 'early video from call 4\'s answer endpoint');
  cap.sipUdp(A, 5060, B, 5060, d4.request('CANCEL'), 'call 4 CANCEL');
  probe(12604, 'default', 'probe to call 4\'s video port after CANCEL');
  cap.media(B, 13604, P, 12900, rtp('video', 0x55), 'default', 'from call 4\'s answer endpoint after CANCEL', { dscp: 32 });
  cap.sipUdp(B, 5060, A, 5060, d4.response(200, 'OK', 1, 'CANCEL'), 'call 4 200 OK to CANCEL');
  cap.sipUdp(B, 5060, A, 5060, d4.response(487, 'Request Terminated', 1, 'INVITE'), 'call 4 487');
  cap.sipUdp(A, 5060, B, 5060, d4.request('ACK'), 'call 4 ACK');

  const d5 = new Dialog('end-5@198.18.0.10', A, B);
  const d6 = new Dialog('end-6@198.18.0.10', A, B);
  cap.sipUdp(A, 5060, B, 5060, d5.request('INVITE', sdpA(1505, [{ type: 'audio', port: 12700 }, { type: 'video', port: 12706 }])), 'call 5 INVITE (audio 12700, video 12706)');
  cap.sipUdp(B, 5060, A, 5060, d5.response(200, 'OK', 1, 'INVITE', sdpB(1605, [{ type: 'audio', port: 13700 }, { type: 'video', port: 13706 }])), 'call 5 200 OK');
  cap.sipUdp(A, 5060, B, 5060, d5.request('ACK'), 'call 5 ACK');
  probe(12706, 'video', 'probe to call 5\'s video port');
  cap.sipUdp(A, 5060, B, 5060, d6.request('INVITE', sdpA(1506, [{ type: 'audio', port: 12706 }])), 'call 6 INVITE: audio on 12706, call 5\'s video endpoint');
  probe(12706, 'voice', 'probe to 12706: now call 6\'s audio');
  cap.sipUdp(A, 5060, B, 5060, d5.request('BYE'), 'call 5 BYE');
  probe(12706, 'voice', 'probe to 12706 after call 5\'s BYE: call 6 still owns it');
  cap.media(P, 12900, B, 13706, rtp('video', 0x56), 'default', 'probe to call 5\'s answer video port after BYE', { dscp: 46 });
  cap.sipUdp(B, 5060, A, 5060, d6.response(200, 'OK', 1, 'INVITE', sdpB(1606, [{ type: 'audio', port: 13710 }])), 'call 6 200 OK (audio 13710)');
  cap.media(A, 12706, B, 13710, rtp('audio', 0x57), 'voice', 'call 6 audio RTP', { dscp: 0 });
  cap.sipUdp(A, 5060, B, 5060, d6.request('BYE'), 'call 6 BYE');
  probe(12706, 'default', 'probe to 12706 after call 6\'s BYE');
  captures.push(cap);
}

/** multipart/mixed bodies: SDP as the second part; a multipart body without SDP. */
function multipartV4() {
  const cap = new Capture('sip-multipart-v4', 'SIP over UDP/IPv4: an INVITE whose body is multipart/mixed (text/plain part, then the application/sdp part, then an application/pidf+xml part); a later INVITE in another call with a multipart/mixed body that has no SDP part');
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const P = host('198.18.0.30');
  const boundary = 'qosmark-boundary-42';
  const offer = sdp({ user: 'alice', sessId: 1701, origin: A.addr, conn: A.addr, media: [{ type: 'audio', port: 12800 }, { type: 'video', port: 20802 }] });
  const body = (parts) => `${parts.map(([type, text]) => `--${boundary}\r\nContent-Type: ${type}\r\n\r\n${text}\r\n`).join('')}--${boundary}--\r\n`;
  const d = new Dialog('multi-1@198.18.0.10', A, B);
  const invite = d.request('INVITE', body([
    ['text/plain', 'hello from the fixture generator'],
    ['application/sdp', offer],
    ['application/pidf+xml', '<?xml version="1.0"?><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@198.18.0.10"/>'],
  ]), { contentType: `multipart/mixed;boundary=${boundary}` });
  cap.media(P, 25800, A, 20802, rtp('video', 0x61), 'voice', 'probe to the offered video port before the INVITE', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, invite, 'INVITE with a multipart/mixed body (SDP in part 2)');
  cap.media(P, 25800, A, 20802, rtp('video', 0x61), 'video', 'probe to the offered video port after the INVITE', { dscp: 46 });
  cap.media(P, 12900, A, 12800, rtp('audio', 0x62), 'voice', 'probe to the offered audio port (outside the RTP range)', { dscp: 0 });
  const answer = sdp({ user: 'bob', sessId: 1801, origin: B.addr, conn: B.addr, media: [{ type: 'audio', port: 30800 }, { type: 'video', port: 30802 }] });
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', answer), '200 OK with SDP answer');
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  cap.media(B, 30802, A, 20802, rtp('video', 0x63), 'video', 'video RTP B->A');
  cap.media(A, 12800, B, 30800, rtp('audio', 0x64), 'voice', 'audio RTP A->B');

  const d2 = new Dialog('multi-2@198.18.0.10', A, B);
  const noSdp = d2.request('INVITE', body([
    ['text/plain', 'm=video 20812 RTP/AVP 96 (not SDP: a text/plain part)'],
    ['application/pidf+xml', '<presence/>'],
  ]), { contentType: `multipart/mixed; boundary="${boundary}"` });
  cap.sipUdp(A, 5060, B, 5060, noSdp, 'INVITE with a multipart/mixed body without an SDP part');
  cap.media(P, 25800, A, 20812, rtp('video', 0x65), 'voice', 'probe to a port named only in the text/plain part', { dscp: 46 });
  cap.sipUdp(A, 5060, B, 5060, d.request('BYE'), 'call 1 BYE');
  captures.push(cap);
}

/** Idle expiry: 299 s of silence keeps the entries, 301 s drops them. */
function idleV4() {
  const cap = new Capture('sip-idle-v4', 'SIP over UDP/IPv4: a call with audio (12900/13900, outside the RTP range) and video (20902/30902); media resumes after 299 s of silence (entries kept), then after 301 s (entries expired: audio back to default, video to voice); an OPTIONS keep-alive in between refreshes nothing');
  const A = host('198.18.0.10');
  const B = host('198.18.0.20');
  const d = new Dialog('idle-1@198.18.0.10', A, B);
  cap.sipUdp(A, 5060, B, 5060, d.request('INVITE', sdp({ user: 'alice', sessId: 1901, origin: A.addr, conn: A.addr, media: [{ type: 'audio', port: 12900 }, { type: 'video', port: 20902 }] })), 'INVITE (audio 12900, video 20902)');
  cap.sipUdp(B, 5060, A, 5060, d.response(200, 'OK', 1, 'INVITE', sdp({ user: 'bob', sessId: 2901, origin: B.addr, conn: B.addr, media: [{ type: 'audio', port: 13900 }, { type: 'video', port: 30902 }] })), '200 OK (audio 13900, video 30902)');
  cap.sipUdp(A, 5060, B, 5060, d.request('ACK'), 'ACK');
  const burst = (video, audio, tag) => {
    cap.media(A, 12900, B, 13900, rtp('audio', 0x71), audio, `audio RTP A->B ${tag}`, { dscp: 46 });
    cap.media(B, 13900, A, 12900, rtp('audio', 0x72), audio, `audio RTP B->A ${tag}`, { dscp: 46 });
    cap.media(A, 20902, B, 30902, rtp('video', 0x73), video, `video RTP A->B ${tag}`, { dscp: 0 });
    cap.media(B, 30902, A, 20902, rtp('video', 0x74), video, `video RTP B->A ${tag}`, { dscp: 0 });
  };
  burst('video', 'voice', 'at the start');
  cap.wait(150);
  cap.sipUdp(A, 5060, B, 5060, d.request('OPTIONS'), 'OPTIONS keep-alive in the dialog (no SDP)');
  cap.wait(149);
  burst('video', 'voice', 'after 299 s without media');
  cap.wait(301);
  burst('voice', 'default', 'after 301 s without media: expired');
  captures.push(cap);
}

// --------------------------------------------------------------- output ----

udpV4();
udpV6();
tcpV4();
fragmentedV4();
compactV4();
holdResumeV4();
callEndsV4();
multipartV4();
idleV4();

mkdirSync(OUT_DIR, { recursive: true });
const readme = [
  '# SIP/SDP-following fixtures',
  '',
  'Generated by `scripts/gen-sip-fixtures.mjs` from the SIP/SDP-following rules (not from `src/`). Do not edit by hand;',
  'regenerate from the repository root with `node scripts/gen-sip-fixtures.mjs` (optional argument: output directory).',
  '`test/sip/fixtures.test.ts` checks that regeneration is byte-identical and marks every capture.',
  '',
  'Each `<name>.pcap` (Ethernet, little-endian, microseconds; records 20 ms apart unless a scenario waits) has a',
  '`<name>.expected.json` with, per frame: `class` after marking under the built-in policy with SIP/SDP following on,',
  '`dscpOut`/`pcpOut` (null: untagged), `ecn` (never changed), and `noSdpClass`/`noSdpDscpOut`/`noSdpPcpOut` for `--no-sdp`',
  '(port rules only). `media` is true for the RTP/RTCP/probe datagrams whose class the SDP may decide. `sip` lists audit counters',
  'the capture must produce (at least these values).',
  '',
  ...captures.map((c) => `- \`${c.name}.pcap\` — ${c.description}`),
  '',
].join('\n');
for (const cap of captures) {
  writeFileSync(join(OUT_DIR, `${cap.name}.pcap`), cap.pcap());
  writeFileSync(join(OUT_DIR, `${cap.name}.expected.json`), cap.expected());
  process.stdout.write(`${join(OUT_DIR, `${cap.name}.pcap`)}: ${cap.packets.length} frames\n`);
}
writeFileSync(join(OUT_DIR, 'README.md'), readme);

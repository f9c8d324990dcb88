/**
 * Helpers for the SIP/SDP tests: frame builders (Ethernet, optional 802.1Q,
 * IPv4/IPv6, UDP/TCP, IPv4 fragments), a tiny classic-pcap reader, a frame
 * view (DSCP, ECN, PCP, IPv4 checksum), the "only marking changed" check and
 * SIP/SDP text builders. Written from the RFCs, independent of src/.
 */
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { Pipeline, type PipelineOptions } from '../../src/engine/pipeline.js';

export type Addr = string;

export function addrBytes(a: Addr): number[] {
  if (!a.includes(':')) return a.split('.').map(Number);
  const [l, r] = a.split('::');
  const left = l ? l.split(':') : [];
  const right = r !== undefined && r !== '' ? r.split(':') : [];
  const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

function sum16(bytes: ArrayLike<number>, sum = 0): number {
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i] << 8) | (i + 1 < bytes.length ? bytes[i + 1] : 0);
  return sum;
}

function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface FrameOptions {
  dscp?: number;
  ecn?: number;
  /** 802.1Q tag with this PCP; undefined: untagged. */
  pcp?: number;
  ipId?: number;
  /** IPv4 fragment: offset in bytes (multiple of 8) and more-fragments flag. */
  fragOffset?: number;
  more?: boolean;
}

/** Ethernet (+ 802.1Q) + IPv4/IPv6 header around an L4 payload (already built). */
export function ipFrame(src: Addr, dst: Addr, proto: number, l4: Uint8Array, o: FrameOptions = {}): Uint8Array {
  const v6 = src.includes(':');
  const tc = ((o.dscp ?? 0) << 2) | (o.ecn ?? 0);
  let ip: number[];
  if (v6) {
    ip = [0x60 | (tc >> 4), (tc & 0x0f) << 4, 0, 0, l4.length >> 8, l4.length & 0xff, proto, 64, ...addrBytes(src), ...addrBytes(dst)];
  } else {
    const total = 20 + l4.length;
    const frag = ((o.fragOffset ?? 0) >> 3) | (o.more ? 0x2000 : 0) | (o.fragOffset === undefined && !o.more ? 0x4000 : 0);
    ip = [0x45, tc, total >> 8, total & 0xff, (o.ipId ?? 1) >> 8, (o.ipId ?? 1) & 0xff, frag >> 8, frag & 0xff, 64, proto, 0, 0, ...addrBytes(src), ...addrBytes(dst)];
    const c = fold(sum16(ip));
    ip[10] = c >> 8;
    ip[11] = c & 0xff;
  }
  const tag = o.pcp === undefined ? [] : [0x81, 0x00, (o.pcp << 5) | 0, 100];
  const head = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, ...tag, ...(v6 ? [0x86, 0xdd] : [0x08, 0x00]), ...ip];
  const out = new Uint8Array(head.length + l4.length);
  out.set(head, 0);
  out.set(l4, head.length);
  return out;
}

function pseudo(src: Addr, dst: Addr, proto: number, len: number): number {
  if (src.includes(':')) return sum16([...addrBytes(src), ...addrBytes(dst), 0, 0, len >> 8, len & 0xff, 0, 0, 0, proto]);
  return sum16([...addrBytes(src), ...addrBytes(dst), 0, proto, len >> 8, len & 0xff]);
}

export function udpDatagram(src: Addr, dst: Addr, sport: number, dport: number, payload: Uint8Array): Uint8Array {
  const seg = new Uint8Array(8 + payload.length);
  seg.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, seg.length >> 8, seg.length & 0xff, 0, 0]);
  seg.set(payload, 8);
  let c = fold(pseudo(src, dst, 17, seg.length) + sum16(seg));
  if (c === 0) c = 0xffff;
  seg[6] = c >> 8;
  seg[7] = c & 0xff;
  return seg;
}

export function udpFrame(src: Addr, dst: Addr, sport: number, dport: number, payload: Uint8Array | string, o: FrameOptions = {}): Uint8Array {
  const p = typeof payload === 'string' ? Uint8Array.from(Buffer.from(payload, 'latin1')) : payload;
  return ipFrame(src, dst, 17, udpDatagram(src, dst, sport, dport, p), o);
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

export function tcpFrame(
  src: Addr,
  dst: Addr,
  sport: number,
  dport: number,
  seq: number,
  flags: number,
  payload: Uint8Array | string,
  o: FrameOptions = {},
): Uint8Array {
  const p = typeof payload === 'string' ? Uint8Array.from(Buffer.from(payload, 'latin1')) : payload;
  const seg = new Uint8Array(20 + p.length);
  seg.set([sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, seq >>> 24, (seq >>> 16) & 0xff, (seq >>> 8) & 0xff, seq & 0xff, 0, 0, 0, 1, 0x50, flags, 0xff, 0xff]);
  seg.set(p, 20);
  const c = fold(pseudo(src, dst, 6, seg.length) + sum16(seg));
  seg[16] = c >> 8;
  seg[17] = c & 0xff;
  return ipFrame(src, dst, 6, seg, o);
}

/** An IPv4 UDP datagram cut into fragments of `size` bytes (multiple of 8). */
export function udpFragments(src: Addr, dst: Addr, sport: number, dport: number, payload: string, size: number, id: number, o: FrameOptions = {}): Uint8Array[] {
  const dgram = udpDatagram(src, dst, sport, dport, Uint8Array.from(Buffer.from(payload, 'latin1')));
  const out: Uint8Array[] = [];
  for (let off = 0; off < dgram.length; off += size) {
    const part = dgram.subarray(off, Math.min(dgram.length, off + size));
    out.push(ipFrame(src, dst, 17, part, { ...o, ipId: id, fragOffset: off, more: off + size < dgram.length }));
  }
  return out;
}

/** An IPv6 UDP datagram cut into fragments (fragment header, RFC 8200 section 4.5) of `size` bytes (multiple of 8). */
export function udp6Fragments(src: Addr, dst: Addr, sport: number, dport: number, payload: string, size: number, id: number): Uint8Array[] {
  const dgram = udpDatagram(src, dst, sport, dport, Uint8Array.from(Buffer.from(payload, 'latin1')));
  const out: Uint8Array[] = [];
  for (let off = 0; off < dgram.length; off += size) {
    const part = dgram.subarray(off, Math.min(dgram.length, off + size));
    const word = off | (off + size < dgram.length ? 1 : 0);
    const l4 = new Uint8Array(8 + part.length);
    l4.set([17, 0, word >> 8, word & 0xff, id >>> 24, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);
    l4.set(part, 8);
    out.push(ipFrame(src, dst, 44, l4));
  }
  return out;
}

/** An RTP-looking payload: version 2, PT, sequence, then filler. */
export function rtpPayload(pt: number, seq: number, len = 160): Uint8Array {
  const p = new Uint8Array(12 + len);
  p.set([0x80, pt, seq >> 8, seq & 0xff, 0, 0, 0, seq & 0xff, 0x12, 0x34, 0x56, 0x78]);
  return p;
}

// ------------------------------------------------------------ frame view ---

export interface FrameView {
  /** Offset of the IP header, or -1. */
  ipOff: number;
  ipVersion: number;
  dscp: number | null;
  ecn: number | null;
  /** Offset of the first VLAN tag's TCI, or -1. */
  tciOff: number;
  pcp: number | null;
}

/** Reads an Ethernet frame's outer tag and IP DS field. */
export function viewFrame(f: Uint8Array): FrameView {
  let off = 12;
  let tciOff = -1;
  if (f.length < 14) return { ipOff: -1, ipVersion: 0, dscp: null, ecn: null, tciOff, pcp: null };
  let type = (f[12] << 8) | f[13];
  while ((type === 0x8100 || type === 0x88a8 || type === 0x9100) && off + 6 <= f.length) {
    if (tciOff < 0) tciOff = off + 2;
    off += 4;
    type = (f[off] << 8) | f[off + 1];
  }
  const ipOff = off + 2;
  const pcp = tciOff >= 0 ? f[tciOff] >> 5 : null;
  if (type === 0x0800 && ipOff + 20 <= f.length && f[ipOff] >> 4 === 4) {
    return { ipOff, ipVersion: 4, dscp: f[ipOff + 1] >> 2, ecn: f[ipOff + 1] & 3, tciOff, pcp };
  }
  if (type === 0x86dd && ipOff + 40 <= f.length && f[ipOff] >> 4 === 6) {
    const tc = ((f[ipOff] & 0x0f) << 4) | (f[ipOff + 1] >> 4);
    return { ipOff, ipVersion: 6, dscp: tc >> 2, ecn: tc & 3, tciOff, pcp };
  }
  return { ipOff: -1, ipVersion: 0, dscp: null, ecn: null, tciOff, pcp };
}

export function ipv4ChecksumOk(f: Uint8Array, ipOff: number): boolean {
  const ihl = (f[ipOff] & 0x0f) * 4;
  if (ipOff + ihl > f.length) return false;
  return fold(sum16(f.subarray(ipOff, ipOff + ihl))) === 0;
}

/**
 * Null when `after` differs from `before` only in the DSCP bits, the outer
 * PCP bits and the IPv4 header checksum (which must then be valid if it was),
 * with ECN unchanged; else a description of the first other difference.
 */
export function onlyMarkingChanged(before: Uint8Array, after: Uint8Array): string | null {
  if (before.length !== after.length) return `length ${before.length} -> ${after.length}`;
  const v = viewFrame(before);
  const allowed = new Map<number, number>(); // byte offset -> mask of bits that may change
  if (v.tciOff >= 0) allowed.set(v.tciOff, 0xe0);
  if (v.ipVersion === 4) {
    allowed.set(v.ipOff + 1, 0xfc);
    allowed.set(v.ipOff + 10, 0xff);
    allowed.set(v.ipOff + 11, 0xff);
  } else if (v.ipVersion === 6) {
    allowed.set(v.ipOff, 0x0f);
    allowed.set(v.ipOff + 1, 0xc0);
  }
  for (let i = 0; i < before.length; i++) {
    const diff = before[i] ^ after[i];
    if (diff === 0) continue;
    const mask = allowed.get(i) ?? 0;
    if ((diff & ~mask) !== 0) return `byte ${i}: ${before[i]} -> ${after[i]}`;
  }
  const w = viewFrame(after);
  if (v.ecn !== w.ecn) return `ECN ${v.ecn} -> ${w.ecn}`;
  if (v.ipVersion === 4 && ipv4ChecksumOk(before, v.ipOff) && !ipv4ChecksumOk(after, v.ipOff)) return 'IPv4 checksum no longer valid';
  return null;
}

// ---------------------------------------------------------------- pcap -----

export interface PcapRecord {
  sec: number;
  usec: number;
  data: Uint8Array;
}

/** Classic little-endian microsecond pcap (what the generators here write). */
export function readPcap(buf: Uint8Array): { linktype: number; records: PcapRecord[] } {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (b.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('not a little-endian microsecond pcap');
  const records: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= b.length) {
    const incl = b.readUInt32LE(off + 8);
    records.push({ sec: b.readUInt32LE(off), usec: b.readUInt32LE(off + 4), data: new Uint8Array(b.subarray(off + 16, off + 16 + incl)) });
    off += 16 + incl;
  }
  return { linktype: b.readUInt32LE(20), records };
}

export function writePcap(frames: Uint8Array[], times?: number[]): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(1, 20);
  let pos = 24;
  frames.forEach((f, i) => {
    const t = times ? times[i] : 1_700_000_000 + i * 0.02;
    out.writeUInt32LE(Math.floor(t), pos);
    out.writeUInt32LE(Math.round((t - Math.floor(t)) * 1e6) % 1_000_000, pos + 4);
    out.writeUInt32LE(f.length, pos + 8);
    out.writeUInt32LE(f.length, pos + 12);
    out.set(f, pos + 16);
    pos += 16 + f.length;
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

// ------------------------------------------------------------- running -----

export function builtinPipeline(options: PipelineOptions = {}): Pipeline {
  return new Pipeline(compilePolicy(builtinPolicy()), options);
}

/** Runs frames through a pipeline; returns each frame's class name (null: no class). */
export function runFrames(pipeline: Pipeline, frames: Uint8Array[], times?: number[]): (string | null)[] {
  return frames.map((f, i) => {
    const t = times ? times[i] : 1_700_000_000 + i * 0.02;
    const sec = Math.floor(t);
    pipeline.handle(f, 0, f.length, f.length, 1, sec, Math.round((t - sec) * 1e9));
    const cls = pipeline.classifier.cls;
    return cls >= 0 ? pipeline.policy.classNames[cls] : null;
  });
}

// -------------------------------------------------------------- SIP text ---

export interface MediaLine {
  type: string;
  port: number;
  conn?: Addr;
  rtcp?: number;
}

export function sdpText(user: string, sessId: number, origin: Addr, conn: Addr | null, media: MediaLine[], version = 1): string {
  const ipv = (a: Addr) => (a.includes(':') ? 'IP6' : 'IP4');
  const lines = ['v=0', `o=${user} ${sessId} ${version} IN ${ipv(origin)} ${origin}`, 's=-'];
  if (conn) lines.push(`c=IN ${ipv(conn)} ${conn}`);
  lines.push('t=0 0');
  for (const m of media) {
    lines.push(`m=${m.type} ${m.port} RTP/AVP ${m.type === 'video' ? 96 : 0}`);
    if (m.conn) lines.push(`c=IN ${ipv(m.conn)} ${m.conn}`);
    if (m.rtcp !== undefined) lines.push(`a=rtcp:${m.rtcp}`);
  }
  return `${lines.join('\r\n')}\r\n`;
}

export function sipRequest(method: string, callId: string, cseq: number, body = '', contentType = 'application/sdp'): string {
  const headers = [
    'Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-1',
    'Max-Forwards: 70',
    'From: <sip:alice@198.18.0.10>;tag=a1',
    'To: <sip:bob@198.18.0.20>',
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
    'Contact: <sip:alice@198.18.0.10:5060>',
  ];
  if (body !== '') headers.push(`Content-Type: ${contentType}`);
  headers.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return `${method} sip:bob@198.18.0.20 SIP/2.0\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

export function sipResponse(code: number, reason: string, callId: string, cseq: number, method: string, body = ''): string {
  const headers = [
    'Via: SIP/2.0/UDP 198.18.0.10:5060;branch=z9hG4bK-1',
    'From: <sip:alice@198.18.0.10>;tag=a1',
    'To: <sip:bob@198.18.0.20>;tag=b1',
    `Call-ID: ${callId}`,
    `CSeq: ${cseq} ${method}`,
  ];
  if (body !== '') headers.push('Content-Type: application/sdp');
  headers.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
  return `SIP/2.0 ${code} ${reason}\r\n${headers.join('\r\n')}\r\n\r\n${body}`;
}

/**
 * Shared byte helpers for the unit tests: hex dumps in and out, an
 * independent RFC 1071 checksum, small frame builders and a tiny pcap
 * writer/reader. Nothing here imports from src/, so the expectations the
 * tests build with it are independent of the code under test.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Bytes from a hex dump. Accepts `hexdump -C`/tcpdump-like lines: an optional
 * leading offset ("0000:" or "0000 " followed by two spaces), hex byte pairs,
 * and comments after `#` or `|` to the end of the line.
 */
export function hex(dump: string): Uint8Array {
  const out: number[] = [];
  for (const rawLine of dump.split('\n')) {
    let line = rawLine.replace(/[#|].*$/, '').trim();
    if (line === '') continue;
    // A leading 4+ digit offset column followed by ':' or two spaces.
    line = line.replace(/^[0-9a-fA-F]{4,8}(:\s*|\s{2,})/, '');
    for (const tok of line.split(/\s+/)) {
      if (tok === '') continue;
      if (!/^([0-9a-fA-F]{2})+$/.test(tok)) throw new Error(`bad hex token "${tok}" in dump`);
      for (let i = 0; i < tok.length; i += 2) out.push(parseInt(tok.slice(i, i + 2), 16));
    }
  }
  return Uint8Array.from(out);
}

export function toHex(b: Uint8Array, sep = ' '): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(sep);
}

export function concat(...parts: ArrayLike<number>[]): Uint8Array {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    out.set(p as ArrayLike<number>, o);
    o += p.length;
  }
  return out;
}

export function be16(v: number): number[] {
  return [(v >>> 8) & 0xff, v & 0xff];
}

export function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function rd16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

/** Folded 16-bit ones-complement sum of `len` bytes (len even). */
export function onesSum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i < len; i += 2) sum += (b[off + i] << 8) | b[off + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** RFC 1071 header checksum with the checksum field (bytes 10-11) taken as zero. */
export function ipv4ChecksumOf(b: Uint8Array, ipOff: number, headerLen: number): number {
  let sum = 0;
  for (let i = 0; i < headerLen; i += 2) {
    if (i === 10) continue;
    sum += (b[ipOff + i] << 8) | b[ipOff + i + 1];
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** True when the header's ones-complement sum, checksum included, is all ones. */
export function ipv4ChecksumValid(b: Uint8Array, ipOff: number, headerLen: number): boolean {
  return onesSum(b, ipOff, headerLen) === 0xffff;
}

/** Writes a correct checksum into an IPv4 header in place. */
export function fixIpv4Checksum(b: Uint8Array, ipOff: number): void {
  const headerLen = (b[ipOff] & 0x0f) * 4;
  const c = ipv4ChecksumOf(b, ipOff, headerLen);
  b[ipOff + 10] = c >>> 8;
  b[ipOff + 11] = c & 0xff;
}

// ---------------------------------------------------------------------------
// Frame builders
// ---------------------------------------------------------------------------

export interface Ipv4Opts {
  tos?: number;
  id?: number;
  flagsFrag?: number;
  ttl?: number;
  proto: number;
  src?: number[];
  dst?: number[];
  options?: number[];
  /** Override the total length field. */
  totalLength?: number;
  /** Override the checksum (default: correct). */
  checksum?: number;
}

export function ipv4(o: Ipv4Opts, payload: ArrayLike<number>): Uint8Array {
  const opts = o.options ?? [];
  if (opts.length % 4 !== 0) throw new Error('IPv4 options must be whole words');
  const hl = 20 + opts.length;
  const h = concat(
    [0x40 | (hl / 4), o.tos ?? 0],
    be16(o.totalLength ?? hl + payload.length),
    be16(o.id ?? 0x1234),
    be16(o.flagsFrag ?? 0),
    [o.ttl ?? 64, o.proto, 0, 0],
    o.src ?? [10, 0, 0, 1],
    o.dst ?? [10, 0, 0, 2],
    opts,
  );
  const c = o.checksum ?? ipv4ChecksumOf(h, 0, hl);
  h[10] = c >>> 8;
  h[11] = c & 0xff;
  return concat(h, payload);
}

export interface Ipv6Opts {
  tc?: number;
  flow?: number;
  next: number;
  hop?: number;
  src?: number[];
  dst?: number[];
  payloadLength?: number;
}

export const V6_SRC = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
export const V6_DST = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

export function ipv6(o: Ipv6Opts, payload: ArrayLike<number>): Uint8Array {
  const tc = o.tc ?? 0;
  const flow = o.flow ?? 0;
  return concat(
    [0x60 | (tc >>> 4), ((tc & 0x0f) << 4) | ((flow >>> 16) & 0x0f), (flow >>> 8) & 0xff, flow & 0xff],
    be16(o.payloadLength ?? payload.length),
    [o.next, o.hop ?? 64],
    o.src ?? V6_SRC,
    o.dst ?? V6_DST,
    payload,
  );
}

export function udp(src: number, dst: number, payload: ArrayLike<number> = []): Uint8Array {
  return concat(be16(src), be16(dst), be16(8 + payload.length), [0, 0], payload);
}

export function tcp(src: number, dst: number): Uint8Array {
  return concat(be16(src), be16(dst), be32(1), be32(0), [0x50, 0x02, 0xff, 0xff, 0, 0, 0, 0]);
}

export const MAC_DST = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
export const MAC_SRC = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];

/** A VLAN tag as it sits after the preceding type field: [TPID, TCI] is written as TPID then TCI. */
export interface Tag {
  tpid: number;
  pcp?: number;
  dei?: number;
  vid?: number;
}

/** Ethernet II with an optional tag stack (outermost first). */
export function eth(etherType: number, payload: ArrayLike<number>, tags: Tag[] = []): Uint8Array {
  const parts: ArrayLike<number>[] = [MAC_DST, MAC_SRC];
  for (const t of tags) {
    parts.push(be16(t.tpid));
    parts.push(be16(((t.pcp ?? 0) << 13) | ((t.dei ?? 0) << 12) | (t.vid ?? 1)));
  }
  parts.push(be16(etherType), payload);
  return concat(...parts);
}

// ---------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------

export interface PcapRecordIn {
  tsSec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  tsFrac: number;
  data: Uint8Array;
  /** orig_len; default data.length. */
  origLen?: number;
  /** incl_len override (default data.length). */
  inclLen?: number;
}

export interface PcapFileOpts {
  littleEndian?: boolean;
  nanos?: boolean;
  snapLen?: number;
  linkType?: number;
  versionMajor?: number;
}

function put32(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
    b[o + 2] = (v >>> 16) & 0xff;
    b[o + 3] = (v >>> 24) & 0xff;
  } else {
    b[o] = (v >>> 24) & 0xff;
    b[o + 1] = (v >>> 16) & 0xff;
    b[o + 2] = (v >>> 8) & 0xff;
    b[o + 3] = v & 0xff;
  }
}

function put16(b: Uint8Array, o: number, v: number, le: boolean): void {
  if (le) {
    b[o] = v & 0xff;
    b[o + 1] = (v >>> 8) & 0xff;
  } else {
    b[o] = (v >>> 8) & 0xff;
    b[o + 1] = v & 0xff;
  }
}

export function pcapHeader(o: PcapFileOpts = {}): Uint8Array {
  const le = o.littleEndian ?? true;
  const h = new Uint8Array(24);
  put32(h, 0, o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, le);
  put16(h, 4, o.versionMajor ?? 2, le);
  put16(h, 6, 4, le);
  put32(h, 16, o.snapLen ?? 65535, le);
  put32(h, 20, o.linkType ?? 1, le);
  return h;
}

export function pcapRecord(r: PcapRecordIn, le = true): Uint8Array {
  const b = new Uint8Array(16 + r.data.length);
  put32(b, 0, r.tsSec, le);
  put32(b, 4, r.tsFrac, le);
  put32(b, 8, r.inclLen ?? r.data.length, le);
  put32(b, 12, r.origLen ?? r.data.length, le);
  b.set(r.data, 16);
  return b;
}

export function pcapFile(o: PcapFileOpts, records: PcapRecordIn[]): Uint8Array {
  const le = o.littleEndian ?? true;
  return concat(pcapHeader(o), ...records.map((r) => pcapRecord(r, le)));
}

export interface PcapRecordOut {
  /** File offset of the record header. */
  offset: number;
  tsSec: number;
  tsFrac: number;
  inclLen: number;
  origLen: number;
  data: Uint8Array;
}

/** Strict reader for checking outputs: throws unless the file is whole records. */
export function readPcap(b: Uint8Array): { littleEndian: boolean; nanos: boolean; snapLen: number; linkType: number; records: PcapRecordOut[] } {
  if (b.length < 24) throw new Error(`pcap shorter than its header (${b.length})`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const magicLe = dv.getUint32(0, true);
  let le: boolean;
  if (magicLe === 0xa1b2c3d4 || magicLe === 0xa1b23c4d) le = true;
  else if (dv.getUint32(0, false) === 0xa1b2c3d4 || dv.getUint32(0, false) === 0xa1b23c4d) le = false;
  else throw new Error('bad magic');
  const nanos = dv.getUint32(0, le) === 0xa1b23c4d;
  const records: PcapRecordOut[] = [];
  let pos = 24;
  while (pos < b.length) {
    if (pos + 16 > b.length) throw new Error(`partial record header at ${pos}`);
    const inclLen = dv.getUint32(pos + 8, le);
    if (pos + 16 + inclLen > b.length) throw new Error(`partial record at ${pos}`);
    records.push({
      offset: pos,
      tsSec: dv.getUint32(pos, le),
      tsFrac: dv.getUint32(pos + 4, le),
      inclLen,
      origLen: dv.getUint32(pos + 12, le),
      data: b.slice(pos + 16, pos + 16 + inclLen),
    });
    pos += 16 + inclLen;
  }
  return { littleEndian: le, nanos, snapLen: dv.getUint32(16, le), linkType: dv.getUint32(20, le), records };
}

export interface Recorded {
  off: number;
  capLen: number;
  wireLen: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  bytes: Uint8Array;
}

/** A FrameHandler that copies every frame it is handed. */
export class RecordingHandler {
  readonly frames: Recorded[] = [];
  handle(buf: Uint8Array, off: number, capLen: number, wireLen: number, linkType: number, tsSec: number, tsNsec: number): void {
    this.frames.push({ off, capLen, wireLen, linkType, tsSec, tsNsec, bytes: buf.slice(off, off + capLen) });
  }
}

/** A fresh temporary directory (removed by the caller via removeDir). */
export function tempDir(prefix = 'qosmark-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Deterministic pseudo-random bytes (xorshift32), for bulk test data. */
export function pseudoRandomBytes(n: number, seed = 0x12345678): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * What every stream writes through: the pool buffer (templates, then the
 * output area), the marking decision per packet, the fast path (copy a
 * template, patch, finish) and the slow path (build in a scratch buffer,
 * fragment if needed, copy out).
 */
import { IPV4_MF, Template, type FrameSpec, finishFrame, sumWords, templatePaySum, writeIpv4Checksum, ETH_MIN_FRAME } from './frame.js';
import type { GenOut } from './pcap-out.js';
import type { Rng } from './rng.js';
import { Schedule } from './schedule.js';

export const CLASS_VOICE = 0;
export const CLASS_VIDEO = 1;
export const CLASS_SIGNALLING = 2;
export const CLASS_DATA = 3;
export const CLASS_OTHER = 4;
export const CLASS_NAMES = ['voice', 'video', 'signalling', 'data', 'other'] as const;

/** Markings the built-in policy wants: voice EF/5, video CS4/4, signalling CS3/3. */
export const CLASS_DSCP = [46, 32, 24, 0, 0];
export const CLASS_COS = [5, 4, 3, 0, 0];

/** The wrong markings seen in the field. */
export const WRONG_DSCP_ZERO = 0;
export const WRONG_DSCP_40 = 1;
export const WRONG_COS_ZERO = 2;

/** Makes the record writer over the pool's output area, bytes [start, end). */
export type OutFactory = (pool: Uint8Array, start: number, end: number) => GenOut;

/** Output area: records are handed to the sink in chunks of about this size. */
export const OUT_AREA_LEN = 4 * 1024 * 1024;
/** Largest run of records one emit may produce (a fragmented SIP message). */
const MAX_EMIT_BYTES = 64 * 1024;
export const MTU = 1500;

export const KIND_RTP = 0;
export const KIND_TCP = 1;
export const KIND_REQRESP = 2;
export const KIND_SIP = 3;
export const KIND_TFTP = 4;
export const KIND_ARP = 5;

/** Common part of every stream: its class and the marking it should carry. */
export abstract class Stream {
  index = -1;
  /** Which subclass (KIND_*): the send loop dispatches on it so each call site stays monomorphic. */
  abstract readonly kind: number;
  constructor(
    readonly cls: number,
    /** The correct marking (for data/other classes: what it carries as found). */
    public dscp: number,
    public cos: number,
    readonly tagged: boolean,
  ) {}

  /** Time of the first packet (µs), or Infinity to wait until woken. */
  abstract start(g: GenContext): number;

  /** Sends the packet(s) due at `now`; returns the next send time, or Infinity to wait. */
  abstract emit(g: GenContext, now: number): number;
}

export class GenContext {
  pool = new Uint8Array(0);
  out!: GenOut;
  schedule!: Schedule;
  /** A view of the pool's last MAX_EMIT_BYTES, at pool offset scratchOff: copies to and from it need no allocation. */
  scratch = new Uint8Array(0);
  private scratchOff = 0;
  /** Length of the fragment startFragment() reserved last. */
  private fragmentLen = 0;
  readonly templates: Template[] = [];
  readonly streams: Stream[] = [];
  /** Stop after this many records (a fragmented message is cut off at the limit). */
  limit = Infinity;

  /** First send time of each stream, filled by start() (a call slot sets its media's). */
  startKeys: number[] = [];

  /** The marking chosen for the packet being built. */
  dscp = 0;
  pcp = 0;

  readonly byClass = new Float64Array(CLASS_NAMES.length);
  readonly bytesByClass = new Float64Array(CLASS_NAMES.length);
  readonly wrongByKind = new Float64Array(3);
  fragments = 0;

  constructor(
    readonly rng: Rng,
    /** Share of markable packets that carry a wrong marking. */
    readonly wrongShare: number,
  ) {}

  private readonly sharedBytes = new Map<string, Uint8Array>();

  /** Payload bytes shared by every template that asks under `key` (built once). */
  shared(key: string, make: () => Uint8Array): Uint8Array {
    let b = this.sharedBytes.get(key);
    if (b === undefined) {
      b = make();
      this.sharedBytes.set(key, b);
    }
    return b;
  }

  template(spec: FrameSpec): Template {
    const t = new Template(spec);
    this.templates.push(t);
    return t;
  }

  add<S extends Stream>(s: S): S {
    s.index = this.streams.length;
    this.streams.push(s);
    return s;
  }

  /**
   * Lays out the pool: template header slots, then each distinct payload
   * once (templates share payload buffers), then the output area.
   */
  allocate(makeOut: OutFactory): void {
    let total = 0;
    for (const t of this.templates) {
      t.off = total;
      total += (t.cap + 7) & ~7;
    }
    const payloads = new Map<Uint8Array, number>();
    for (const t of this.templates) {
      const p = t.spec.payload;
      if (!payloads.has(p)) {
        payloads.set(p, total);
        total += (p.length + 7) & ~7;
      }
    }
    this.pool = new Uint8Array(total + OUT_AREA_LEN + MAX_EMIT_BYTES);
    this.scratchOff = total + OUT_AREA_LEN;
    this.scratch = this.pool.subarray(this.scratchOff);
    for (const [p, off] of payloads) this.pool.set(p, off);
    for (const t of this.templates) {
      const p = t.spec.payload;
      t.paySrc = payloads.get(p)!;
      t.payView = this.pool.subarray(t.paySrc, t.paySrc + p.length);
      t.build(this.pool);
    }
    this.out = makeOut(this.pool, total, total + OUT_AREA_LEN);
    this.schedule = new Schedule(this.streams.length);
  }

  /** Chooses the marking of the next packet of `s`. */
  mark(s: Stream): void {
    if (this.wrongShare > 0 && s.cls <= CLASS_SIGNALLING && this.rng.float() < this.wrongShare) {
      const kind = this.rng.u32() % (s.tagged ? 3 : 2);
      this.wrongByKind[kind]++;
      if (kind === WRONG_DSCP_ZERO) {
        this.dscp = 0;
        this.pcp = s.cos;
      } else if (kind === WRONG_DSCP_40) {
        this.dscp = 40;
        this.pcp = s.cos;
      } else {
        this.dscp = s.dscp;
        this.pcp = 0;
      }
    } else {
      this.dscp = s.dscp;
      this.pcp = s.cos;
    }
  }

  // ---- fast path ----------------------------------------------------------

  /** Starts a record with the first `frameLen` bytes of `t`; returns the frame's offset in the pool. */
  begin(t: Template, frameLen: number): number {
    const pool = this.pool;
    const hdr = t.payloadOff < frameLen ? t.payloadOff : frameLen;
    const f = this.out.reserve(frameLen < ETH_MIN_FRAME ? ETH_MIN_FRAME : frameLen);
    // copyWithin is a memmove without allocation: far faster than a byte loop even for 60 bytes.
    pool.copyWithin(f, t.off, t.off + hdr);
    if (frameLen > hdr) pool.copyWithin(f + hdr, t.paySrc, t.paySrc + (frameLen - hdr));
    return f;
  }

  /** Finishes the record begun at `f` (payload from the template). */
  finish(t: Template, f: number, l4Len: number, ipId: number, now: number, cls: number): void {
    const len = finishFrame(this.pool, f, t, l4Len, templatePaySum(t, l4Len), this.dscp, this.pcp, ipId);
    this.commitRecord(f, len, now, cls);
  }

  /** Commits the record whose frame of `len` bytes is at `f`, and counts it for its class. */
  private commitRecord(f: number, len: number, now: number, cls: number): void {
    this.out.commit(f, len, now);
    this.byClass[cls]++;
    this.bytesByClass[cls] += len;
  }

  /** Copies a whole frame from a non-IP template. */
  emitRaw(t: Template, now: number, cls: number): void {
    const len = t.payloadOff + t.maxPayload;
    const f = this.begin(t, len);
    const n = finishFrame(this.pool, f, t, len - t.l4Off, 0, 0, this.pcp, 0);
    this.commitRecord(f, n, now, cls);
  }

  // ---- slow path ----------------------------------------------------------

  /** Loads the template's headers and constant payload into the scratch buffer at 0. */
  loadScratch(t: Template): Uint8Array {
    const S = this.scratchOff;
    this.pool.copyWithin(S, t.off, t.off + t.payloadOff);
    this.pool.copyWithin(S + t.payloadOff, t.paySrc, t.paySrc + t.maxPayload);
    return this.scratch;
  }

  /**
   * Finishes the frame in the scratch buffer and writes it out, as IP
   * fragments of at most `fragData` data bytes each when it is larger
   * (`fragData` a multiple of 8; 0: only when it exceeds the MTU).
   * `paySum`: sum of the payload after the template head, or -1 to use the template's.
   */
  emitScratch(t: Template, l4Len: number, paySum: number, ipId: number, now: number, cls: number, fragData = 0, fragIdent = 0): void {
    const s = this.scratch;
    const sum = paySum >= 0 ? paySum : templatePaySum(t, l4Len);
    const frameLen = finishFrame(s, 0, t, l4Len, sum, this.dscp, this.pcp, ipId);
    const ipLen = t.l4Off + l4Len - t.l3Off;
    let data = fragData;
    if (data === 0 && ipLen > MTU) data = (MTU - t.l3HdrLen) & ~7;
    if (data > 0 && t.ipVersion === 4 && l4Len > data) {
      this.fragmentIpv4(t, t.l4Off + l4Len, data, now, cls);
    } else if (data > 0 && t.ipVersion === 6 && t.fragHdrOff >= 0 && t.l4Off + l4Len - (t.fragHdrOff + 8) > data) {
      this.fragmentIpv6(t, t.l4Off + l4Len, data, fragIdent, now, cls);
    } else {
      this.copyOut(0, frameLen, now, cls);
    }
  }

  /** Sum of `len` scratch bytes from `off` (payload sums for emitScratch). */
  scratchSum(off: number, len: number): number {
    return sumWords(this.scratch, off, len);
  }

  private copyOut(from: number, len: number, now: number, cls: number): void {
    if (this.out.records >= this.limit) return;
    const f = this.out.reserve(len);
    this.pool.copyWithin(f, this.scratchOff + from, this.scratchOff + from + len);
    this.commitRecord(f, len, now, cls);
  }

  private fragmentIpv4(t: Template, frameLen: number, fragData: number, now: number, cls: number): void {
    const hdrEnd = t.l4Off;
    const total = frameLen - hdrEnd;
    for (let off = 0; off < total && this.out.records < this.limit; off += fragData) {
      const n = Math.min(fragData, total - off);
      const f = this.startFragment(hdrEnd, off, n);
      const b = this.pool;
      const ip = f + t.l3Off;
      const tot = t.l3HdrLen + n;
      b[ip + 2] = tot >>> 8;
      b[ip + 3] = tot & 0xff;
      const word = (off + n >= total ? 0 : IPV4_MF) | (off >>> 3);
      b[ip + 6] = word >>> 8;
      b[ip + 7] = word & 0xff;
      writeIpv4Checksum(b, ip);
      this.finishFragment(f, now, cls);
    }
  }

  private fragmentIpv6(t: Template, frameLen: number, fragData: number, ident: number, now: number, cls: number): void {
    const fo = t.fragHdrOff;
    const hdrEnd = fo + 8;
    const total = frameLen - hdrEnd;
    for (let off = 0; off < total && this.out.records < this.limit; off += fragData) {
      const n = Math.min(fragData, total - off);
      const f = this.startFragment(hdrEnd, off, n);
      const b = this.pool;
      const plen = hdrEnd + n - t.l3Off - 40;
      b[f + t.l3Off + 4] = plen >>> 8;
      b[f + t.l3Off + 5] = plen & 0xff;
      const word = off | (off + n >= total ? 0 : 1); // offset in 8-byte units << 3 equals the byte offset
      b[f + fo + 2] = word >>> 8;
      b[f + fo + 3] = word & 0xff;
      b[f + fo + 4] = (ident >>> 24) & 0xff;
      b[f + fo + 5] = (ident >>> 16) & 0xff;
      b[f + fo + 6] = (ident >>> 8) & 0xff;
      b[f + fo + 7] = ident & 0xff;
      this.finishFragment(f, now, cls);
    }
  }

  /**
   * Reserves the output frame of one fragment: the template's headers up to
   * `hdrEnd`, then `n` payload bytes from payload offset `off`, zero-padded to
   * the Ethernet minimum. The caller patches the IP header, then finishes it.
   */
  private startFragment(hdrEnd: number, off: number, n: number): number {
    const len = hdrEnd + n;
    const padded = len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
    const f = this.out.reserve(padded);
    const b = this.pool;
    const S = this.scratchOff;
    b.copyWithin(f, S, S + hdrEnd);
    b.copyWithin(f + hdrEnd, S + hdrEnd + off, S + hdrEnd + off + n);
    b.fill(0, f + len, f + padded);
    this.fragmentLen = padded;
    return f;
  }

  private finishFragment(f: number, now: number, cls: number): void {
    this.commitRecord(f, this.fragmentLen, now, cls);
    this.fragments++;
  }
}

/**
 * Damaged capture files, generated (fast-check) and swept: valid pcap and
 * pcapng files with bytes overwritten, header fields set to boundary values
 * or moved by a little, blocks re-framed too short for their type, records
 * left out or repeated (packets before their interface), bytes inserted or
 * deleted, and the file cut short. Whatever the damage:
 *
 * - streaming returns, or throws a CaptureFileError; never anything else;
 * - the output is exactly a prefix of the input: on success the whole file,
 *   on an error everything before the damaged record or block, which is the
 *   byte offset the error names (nothing at all for a bad file header);
 * - every frame handed on lies inside the buffer, at most 256 KiB long;
 * - a marking Pipeline sees the same frames and stops at the same place as a
 *   handler that changes nothing;
 * - a second reader, written apart from qosmark's streaming code (the whole
 *   file in one array: no buffer, no refills, no carried-over tails), that
 *   applies the rules qosmark documents, hands on the same frames, byte for
 *   byte, and finds the first fault at the same byte. It shares those rules
 *   (the 256 KiB record and 32 MiB block limits, which fault comes first), so
 *   it catches streaming, refill and offset faults and rules applied unevenly,
 *   not a rule both get wrong; for classic pcap, the test suite's own reader
 *   (test/support readPcap) also finds the same records in what was written.
 *
 * The input arrives in reads of at most 777 or 4096 bytes as well as whole,
 * so that records and blocks straddle the stream buffer's refills.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { generateToBuffer } from '../../src/gen/generate.js';
import { ByteInput, ByteOutput } from '../../src/io/byte-stream.js';
import { openCapture } from '../../src/io/capture-file.js';
import { CaptureFileError } from '../../src/io/errors.js';
import type { FrameHandler } from '../../src/io/frame-handler.js';
import { MAX_RECORD_LEN, PCAP_FILE_HEADER_LEN } from '../../src/io/pcap.js';
import { readPcap } from '../support/bytes.js';
import { ROOT } from '../support/build.js';

/** A capture held in memory, read in the short pieces a pipe would give. */
class MemoryInput extends ByteInput {
  private at = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly maxRead: number,
  ) {
    super(-1, 'mem.cap', bytes.length, false);
  }
  override read(buf: Uint8Array, offset: number, length: number): number {
    const n = Math.min(length, this.maxRead, this.bytes.length - this.at);
    buf.set(this.bytes.subarray(this.at, this.at + n), offset);
    this.at += n;
    this.position += n;
    return n;
  }
  override readFully(buf: Uint8Array, offset: number, length: number): number {
    let done = 0;
    while (done < length) {
      const n = this.read(buf, offset + done, length - done);
      if (n === 0) break;
      done += n;
    }
    return done;
  }
  override close(): void {}
}

class MemoryOutput extends ByteOutput {
  private readonly parts: Uint8Array[] = [];
  constructor() {
    super(-1, 'mem.out', false);
  }
  override write(buf: Uint8Array, offset: number, length: number): void {
    if (length > 0) this.parts.push(buf.slice(offset, offset + length));
  }
  bytes(): Uint8Array {
    return Buffer.concat(this.parts);
  }
  override close(): void {}
}

/** Checks each frame's bounds and keeps a copy of its bytes as handed on (before any marking). */
class CheckingHandler implements FrameHandler {
  readonly frames: Uint8Array[] = [];
  outOfBounds = 0;
  constructor(private readonly inner: FrameHandler | null = null) {}
  handle(buf: Uint8Array, off: number, capLen: number, wireLen: number, linkType: number, tsSec: number, tsNsec: number): void {
    if (!(off >= 0 && capLen >= 0 && capLen <= MAX_RECORD_LEN && off + capLen <= buf.length)) this.outOfBounds++;
    this.frames.push(buf.slice(off, off + capLen));
    this.inner?.handle(buf, off, capLen, wireLen, linkType, tsSec, tsNsec);
  }
}

interface Outcome {
  /** The count streaming returned (0 when it threw). */
  frames: number;
  /** The frames handed on, as copies. */
  handed: Uint8Array[];
  outOfBounds: number;
  output: Uint8Array;
  error: CaptureFileError | null;
}

/** Streams `bytes`, read at most `maxRead` at a time, through the usual stream buffer. */
function streamBytes(bytes: Uint8Array, maxRead: number, inner: FrameHandler | null): Outcome {
  const input = new MemoryInput(bytes, maxRead);
  const output = new MemoryOutput();
  const handler = new CheckingHandler(inner);
  let error: CaptureFileError | null = null;
  let frames = 0;
  try {
    frames = openCapture(input).stream(output, handler);
  } catch (err) {
    // Anything but a CaptureFileError fails the property here.
    if (!(err instanceof CaptureFileError)) throw err;
    error = err;
  }
  return { frames, handed: handler.frames, outOfBounds: handler.outOfBounds, output: output.bytes(), error };
}

// ---- seeds -----------------------------------------------------------------

const fixture = (name: string) => new Uint8Array(fs.readFileSync(path.join(ROOT, 'fixtures/pcaps', name)));

const SEEDS: { name: string; bytes: Uint8Array }[] = [
  { name: 'gen cupc pcap', bytes: generateToBuffer({ packets: 40, profile: 'cupc', seed: 3 }).pcap },
  { name: 'gen worst-case pcapng', bytes: generateToBuffer({ packets: 40, profile: 'worst-case', seed: 4, format: 'pcapng' }).pcap },
  { name: 'be-nsec.pcap', bytes: fixture('be-nsec.pcap') },
  { name: 'vlan-stack.pcap', bytes: fixture('vlan-stack.pcap') },
  { name: 'ng-be.pcapng', bytes: fixture('ng-be.pcapng') },
  { name: 'ng-le-multi-if.pcapng', bytes: fixture('ng-le-multi-if.pcapng') },
  { name: 'ng-spb-opb.pcapng', bytes: fixture('ng-spb-opb.pcapng') },
  { name: 'ng-two-sections.pcapng', bytes: fixture('ng-two-sections.pcapng') },
];

// ---- damage ----------------------------------------------------------------

/**
 * Where each pcap record or pcapng block of a valid file starts: the places
 * where damage meets the readers' checks (lengths, types, interface ids).
 */
interface RecordStart {
  at: number;
  le: boolean;
  /** The pcapng block type (byte-order independent); 0 for a pcap record. */
  type: number;
}

function recordStarts(b: Uint8Array): RecordStart[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const starts: RecordStart[] = [];
  if (b.length < PCAP_FILE_HEADER_LEN) return starts;
  if (dv.getUint32(0, true) === 0x0a0d0d0a) {
    let le = true;
    for (let at = 0; at + 12 <= b.length; ) {
      if (dv.getUint32(at, true) === 0x0a0d0d0a) le = dv.getUint32(at + 8, true) === 0x1a2b3c4d;
      starts.push({ at, le, type: dv.getUint32(at, le) });
      const len = dv.getUint32(at + 4, le);
      if (len < 12) break; // damaged: the walk cannot go on
      at += len;
    }
  } else {
    const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
    for (let at = PCAP_FILE_HEADER_LEN; at + 16 <= b.length; at += 16 + dv.getUint32(at + 8, le)) starts.push({ at, le, type: 0 });
  }
  return starts;
}

type Edit =
  | { kind: 'field'; which: number; fieldOff: number; value: number; le: boolean }
  | { kind: 'nudge'; which: number; fieldOff: number; delta: number }
  | { kind: 'reframe'; which: number; len: number }
  | { kind: 'drop'; which: number }
  | { kind: 'repeat'; which: number }
  | { kind: 'dropType'; which: number }
  | { kind: 'byte'; at: number; value: number }
  | { kind: 'word'; at: number; value: number; le: boolean }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number }
  | { kind: 'cut'; at: number };

/** Values that sit on the readers' checks: lengths around limits, magics, block types. */
const WORDS = [
  0, 1, 3, 4, 11, 12, 16, 20, 28, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff, MAX_RECORD_LEN, MAX_RECORD_LEN + 1, 65535, 65536,
  0x0a0d0d0a, 0x1a2b3c4d, 0x4d3c2b1a, 0xa1b2c3d4, 0xa1b23c4d, 0x00000001, 0x00000006, 0x00000003, 0x00000002, 0x00000005,
];

// Positions are fractions of the file, so that one edit list applies to any seed.
const arbAt = fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true });
/** Lengths for re-framed blocks: too short for one type or another, and two that are not whole words. */
const REFRAME_LENS = [12, 14, 16, 20, 24, 28, 30, 32, 36];

const arbWord = fc.oneof(fc.constantFrom(...WORDS), fc.nat());
const arbEdit = fc.oneof(
  // Twice as likely as the others: a 32-bit field of some record or block header.
  {
    arbitrary: fc.record({ kind: fc.constant('field' as const), which: arbAt, fieldOff: fc.constantFrom(-4, 0, 4, 8, 12, 16, 20, 24, 28), value: arbWord, le: fc.boolean() }),
    weight: 2,
  },
  // A header field moved by a little, in the file's own byte order: a block type turned into
  // its neighbour, an interface id one past the last interface, a length one word short.
  fc.record({ kind: fc.constant('nudge' as const), which: arbAt, fieldOff: fc.constantFrom(0, 4, 8, 12, 20), delta: fc.integer({ min: -4, max: 4 }).filter((d) => d !== 0) }),
  // A pcapng block given a new total length, with a trailer to match: a consistent block
  // that is too short for its type (the bytes after it no longer line up).
  fc.record({ kind: fc.constant('reframe' as const), which: arbAt, len: fc.constantFrom(...REFRAME_LENS) }),
  // A whole record left out or given twice: packets before their interface, two section headers...
  fc.record({ kind: fc.constantFrom('drop' as const, 'repeat' as const, 'dropType' as const), which: arbAt }),
  fc.record({ kind: fc.constant('byte' as const), at: arbAt, value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('word' as const), at: arbAt, value: arbWord, le: fc.boolean() }),
  fc.record({ kind: fc.constant('insert' as const), at: arbAt, bytes: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: arbAt, count: fc.integer({ min: 1, max: 12 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: arbAt }),
);

function damage(seed: Uint8Array, edits: Edit[]): Uint8Array {
  let b: Uint8Array = seed.slice();
  // Record edits first, each on the records as the file then walks (an earlier edit may have
  // moved, dropped or re-framed some); then the byte edits.
  const structural = (e: Edit): e is Extract<Edit, { which: number }> => 'which' in e;
  for (const e of edits.filter(structural)) {
    const starts = recordStarts(b);
    if (starts.length > 0) b = editRecord(b, starts, pick(starts, e.which), e);
  }
  for (const e of edits) {
    if (structural(e)) continue;
    const at = Math.floor(e.at * b.length);
    switch (e.kind) {
      case 'byte':
        if (at < b.length) b[at] = e.value;
        break;
      case 'word':
        if (at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, e.value >>> 0, e.le);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), e.bytes, b.subarray(at)]);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + e.count)]);
        break;
      case 'cut':
        b = b.slice(0, at);
        break;
    }
  }
  return new Uint8Array(b);
}

/**
 * One edit of record `k` of a file whose records start at `starts`: header
 * fields in place, or the record left out or repeated (a new array).
 */
function editRecord(b: Uint8Array, starts: RecordStart[], k: number, e: Extract<Edit, { which: number }>): Uint8Array {
  const { at: start, le } = starts[k];
  const end = Math.min(starts[k + 1]?.at ?? b.length, b.length);
  if (e.kind === 'drop') return new Uint8Array(Buffer.concat([b.subarray(0, start), b.subarray(end)]));
  if (e.kind === 'dropType') {
    // Every record of this one's type (every interface description, say); the last record runs to the end.
    const kept = starts.flatMap((r, i) => (r.type === starts[k].type ? [] : [b.subarray(r.at, Math.min(starts[i + 1]?.at ?? b.length, b.length))]));
    return new Uint8Array(Buffer.concat([b.subarray(0, starts[0].at), ...kept]));
  }
  if (e.kind === 'repeat') return new Uint8Array(Buffer.concat([b.subarray(0, end), b.subarray(start, end), b.subarray(end)]));
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (e.kind === 'reframe') {
    if (start + e.len <= b.length) {
      dv.setUint32(start + 4, e.len, le);
      dv.setUint32(start + e.len - 4, e.len, le);
    }
    return b;
  }
  // A negative offset counts back from the next record's start: -4 is a pcapng block's trailer.
  const at = (e.fieldOff < 0 ? end : start) + e.fieldOff;
  if (at < 0 || at + 4 > b.length) return b;
  if (e.kind === 'field') dv.setUint32(at, e.value >>> 0, e.le);
  else dv.setUint32(at, (dv.getUint32(at, le) + e.delta) >>> 0, le);
  return b;
}

/** `seed` with one edit of its record `k`. */
function damageAt(seed: Uint8Array, starts: RecordStart[], k: number, e: Extract<Edit, { which: number }>): Uint8Array {
  return editRecord(seed.slice(), starts, k, e);
}

/**
 * The record that a fraction in [0, 1) picks: first a block type, then a block
 * of that type, so that the few interface and section header blocks of a file
 * are damaged about as often as its many packet blocks.
 */
function pick(starts: RecordStart[], which: number): number {
  const types = [...new Set(starts.map((r) => r.type))];
  const scaled = which * types.length;
  const ofType = starts.flatMap((r, i) => (r.type === types[Math.floor(scaled)] ? [i] : []));
  return ofType[Math.floor((scaled % 1) * ofType.length)];
}

/** A damaged file that prints as its seed and edits (a counterexample's bytes would fill the screen). */
function damaged(seeds: typeof SEEDS) {
  return fc
    .tuple(fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(arbEdit, { minLength: 1, maxLength: 4 }))
    .map(([i, edits]) => {
      const bytes = damage(seeds[i].bytes, edits as Edit[]);
      const shown = edits.map((e) => ('bytes' in e ? { ...e, bytes: Array.from(e.bytes) } : e));
      return { bytes, [fc.toStringMethod]: () => `${seeds[i].name} with ${JSON.stringify(shown)} (${bytes.length} bytes)` };
    });
}

const arbDamaged = damaged(SEEDS);

/** Whole, or in the short reads of a pipe: records and blocks then straddle refills. */
const arbMaxRead = fc.constantFrom(1 << 30, 4096, 777);
const SHORT_READS = 777;

/** The frames before the first fault, and the fault's byte offset (null: the file is sound). */
interface Verdict {
  frames: Uint8Array[];
  errorAt: number | null;
}

/**
 * The second reader: the whole file in one array, no streaming. It applies
 * the rules qosmark documents (pcap-savefile(5) and draft-ietf-opsawg-pcapng;
 * records up to 256 KiB, blocks up to 32 MiB) and says which frames come
 * before the first broken record or block, and where that starts.
 */
function referenceVerdict(b: Uint8Array): Verdict {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return b.length >= 4 && dv.getUint32(0, true) === 0x0a0d0d0a ? pcapngVerdict(b, dv) : pcapVerdict(b, dv);
}

function pcapVerdict(b: Uint8Array, dv: DataView): Verdict {
  const frames: Uint8Array[] = [];
  if (b.length < 24) return { frames, errorAt: 0 };
  const magics = [0xa1b2c3d4, 0xa1b23c4d];
  const le = magics.includes(dv.getUint32(0, true));
  if (!le && !magics.includes(dv.getUint32(0, false))) return { frames, errorAt: 0 };
  if (dv.getUint16(4, le) !== 2) return { frames, errorAt: 4 };
  for (let at = 24; at < b.length; ) {
    if (at + 16 > b.length) return { frames, errorAt: at };
    const captured = dv.getUint32(at + 8, le);
    if (captured > 262144 || at + 16 + captured > b.length) return { frames, errorAt: at };
    frames.push(b.subarray(at + 16, at + 16 + captured));
    at += 16 + captured;
  }
  return { frames, errorAt: null };
}

function pcapngVerdict(b: Uint8Array, dv: DataView): Verdict {
  const SHB = 0x0a0d0d0a;
  const MAGIC = 0x1a2b3c4d;
  const frames: Uint8Array[] = [];
  let le = true;
  let inSection = false;
  let interfaces = 0;
  /** Interface 0's snap length: simple packet blocks are cut to it. */
  let snapLen0 = 0;
  for (let at = 0; at < b.length; ) {
    const fault = { frames, errorAt: at };
    if (b.length - at < 12) return fault;
    const typeLe = dv.getUint32(at, true);
    if (typeLe === SHB) {
      if (dv.getUint32(at + 8, true) === MAGIC) le = true;
      else if (dv.getUint32(at + 8, false) === MAGIC) le = false;
      else return fault;
    } else if (!inSection) return fault;
    const type = le ? typeLe : dv.getUint32(at, false);
    const len = dv.getUint32(at + 4, le);
    if (len < 12 || len % 4 !== 0 || len > 32 * 2 ** 20 || at + len > b.length || dv.getUint32(at + len - 4, le) !== len) return fault;
    switch (type) {
      case SHB:
        if (len < 28) return fault;
        inSection = true;
        interfaces = 0;
        break;
      case 1: // interface description: link type, reserved, snap length, options
        if (len < 20) return fault;
        if (interfaces === 0) snapLen0 = dv.getUint32(at + 12, le);
        interfaces++;
        break;
      case 6: // enhanced packet
      case 2: {
        // obsolete packet: a 16-bit interface id
        const iface = type === 6 ? dv.getUint32(at + 8, le) : dv.getUint16(at + 8, le);
        if (len < 32 || iface >= interfaces) return fault;
        const captured = dv.getUint32(at + 20, le);
        if (captured > 262144 || 28 + captured + 4 > len) return fault;
        frames.push(b.subarray(at + 28, at + 28 + captured));
        break;
      }
      case 3: {
        // simple packet: original length, then min(original length, interface 0's snap length) bytes,
        // which the block must have room for
        if (len < 16 || interfaces === 0) return fault;
        let captured = dv.getUint32(at + 8, le);
        if (snapLen0 > 0) captured = Math.min(captured, snapLen0);
        if (captured > 262144 || captured > len - 16) return fault;
        frames.push(b.subarray(at + 12, at + 12 + captured));
        break;
      }
    }
    at += len;
  }
  return { frames, errorAt: null };
}

/** qosmark's frames and stopping byte against the second reader's. */
function expectSameAsReference(bytes: Uint8Array, got: Outcome, what = ''): void {
  const want = referenceVerdict(bytes);
  expect(got.error?.offset ?? null, what).toBe(want.errorAt);
  expect(lengths(got.handed), what).toEqual(lengths(want.frames));
  got.handed.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(want.frames[i])), `${what} frame ${i + 1}`).toBe(true));
}

const lengths = (frames: Uint8Array[]): number[] => frames.map((f) => f.length);

function isPrefix(prefix: Uint8Array, of: Uint8Array): boolean {
  return prefix.length <= of.length && Buffer.from(prefix).equals(Buffer.from(of.subarray(0, prefix.length)));
}

const RUNS = { numRuns: 1000 };

describe('damaged capture files (fast-check)', () => {
  it('the seeds stream whole and unchanged', () => {
    for (const s of SEEDS) {
      const r = streamBytes(s.bytes, SHORT_READS, null);
      expect(r.error, s.name).toBeNull();
      expect(r.frames, s.name).toBeGreaterThan(0);
      expect(Buffer.from(r.output).equals(Buffer.from(s.bytes)), s.name).toBe(true);
    }
  });

  it('return or throw a CaptureFileError; the output is the input up to the offset the error names', () => {
    fc.assert(
      fc.property(arbDamaged, arbMaxRead, ({ bytes }, maxRead) => {
        const r = streamBytes(bytes, maxRead, null);
        expect(r.outOfBounds).toBe(0);
        expect(isPrefix(r.output, bytes)).toBe(true);
        if (r.error === null) {
          expect(r.frames).toBe(r.handed.length);
          expect(r.output.length).toBe(bytes.length);
        } else {
          const at = r.error.offset;
          expect(at).toBeGreaterThanOrEqual(0);
          expect(at).toBeLessThanOrEqual(bytes.length);
          // A bad file header stops before anything is written; else everything before the fault is.
          if (r.output.length === 0) expect(at).toBeLessThan(PCAP_FILE_HEADER_LEN);
          else expect(r.output.length).toBe(at);
          // One line naming the file and the offset, whatever the damage.
          expect(r.error.message).toMatch(/^mem\.cap: byte \d+: \S/);
          expect(r.error.message).not.toContain('\n');
        }
      }),
      RUNS,
    );
  });

  it('a marking Pipeline sees the same frames and stops at the same byte as a handler that changes nothing', () => {
    const policy = compilePolicy(builtinPolicy());
    fc.assert(
      fc.property(arbDamaged, arbMaxRead, ({ bytes }, maxRead) => {
        const plain = streamBytes(bytes, maxRead, null);
        const marked = streamBytes(bytes, maxRead, new Pipeline(policy));
        expect(lengths(marked.handed)).toEqual(lengths(plain.handed));
        expect(marked.output.length).toBe(plain.output.length);
        expect(marked.error?.message ?? null).toBe(plain.error?.message ?? null);
      }),
      { numRuns: 200 },
    );
  });

  it('the frames handed on, byte for byte, and the byte where streaming stops agree with the second reader', () => {
    fc.assert(
      fc.property(arbDamaged, arbMaxRead, ({ bytes }, maxRead) => {
        expectSameAsReference(bytes, streamBytes(bytes, maxRead, null));
      }),
      RUNS,
    );
  });

  it('a sweep: up to 3 records of every type, each header field moved by -4..4, re-framed, left out, repeated, or all of its type left out: agrees with the second reader', () => {
    let cases = 0;
    for (const seed of SEEDS) {
      const starts = recordStarts(seed.bytes);
      const seen = new Map<number, number>();
      const chosen = starts.filter((r) => {
        const n = seen.get(r.type) ?? 0;
        seen.set(r.type, n + 1);
        return n < 3;
      });
      for (const r of chosen) {
        const which = (starts.indexOf(r) + 0.5) / starts.length;
        const edits: Extract<Edit, { which: number }>[] = [];
        for (const fieldOff of [-4, 0, 4, 8, 12, 16, 20, 24]) {
          for (let delta = -4; delta <= 4; delta++) if (delta !== 0) edits.push({ kind: 'nudge', which, fieldOff, delta });
        }
        for (const len of REFRAME_LENS) edits.push({ kind: 'reframe', which, len });
        edits.push({ kind: 'drop', which }, { kind: 'repeat', which }, { kind: 'dropType', which });
        for (const e of edits) {
          // `which` picks by type first: point it straight at the record instead.
          const bytes = damageAt(seed.bytes, starts, starts.indexOf(r), e);
          const got = streamBytes(bytes, SHORT_READS, null);
          expectSameAsReference(bytes, got, `${seed.name} ${JSON.stringify(e)} at ${r.at}`);
          expect(isPrefix(got.output, bytes)).toBe(true);
          cases++;
        }
      }
    }
    expect(cases).toBeGreaterThan(2000);
  });

  it('classic pcap: an independent reader finds the records qosmark handed on, in what it wrote', () => {
    const arbPcap = damaged(SEEDS.filter((s) => s.name.endsWith('pcap')));
    fc.assert(
      fc.property(arbPcap, arbMaxRead, ({ bytes }, maxRead) => {
        const r = streamBytes(bytes, maxRead, null);
        if (r.output.length === 0) return;
        const records = readPcap(r.output).records.map((x) => Buffer.from(x.data));
        expect(records.length).toBe(r.handed.length);
        records.forEach((rec, i) => expect(rec.equals(r.handed[i])).toBe(true));
      }),
      RUNS,
    );
  });
});

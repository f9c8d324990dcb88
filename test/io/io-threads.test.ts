/**
 * Read-ahead and write-behind (I/O threads) against the synchronous
 * ByteInput/ByteOutput: the same output bytes, frame counts and capture-file
 * errors (message and byte offset) on every fixture and on generated files,
 * with tiny slots so that records straddle many slot and stream-buffer
 * boundaries; I/O errors in the thread come back as errors, not hangs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineSetup } from '../../src/cli/pipeline-options.js';
import { ensureBuilt } from '../support/build.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { generateToBuffer } from '../../src/gen/generate.js';
import { ByteInput, ByteOutput } from '../../src/io/byte-stream.js';
import { STREAM_BUFFER_LEN, openCapture } from '../../src/io/capture-file.js';
import { CaptureFileError } from '../../src/io/errors.js';
import { PcapngWriter } from '../../src/io/pcapng-writer.js';
import { ReadAheadInput } from '../../src/io/read-ahead.js';
import { WRITE_BEHIND_SLOTS, WRITE_BEHIND_SLOT_BYTES, WriteBehindOutput } from '../../src/io/write-behind.js';
import { readPcap, removeDir, tempDir } from '../support/bytes.js';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(ROOT, 'fixtures/pcaps');

let dir: string;
beforeAll(() => {
  dir = tempDir('qosmark-iothreads-');
});
afterAll(() => removeDir(dir));

function fixtureFiles(d: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) out.push(...fixtureFiles(p));
    else if (/\.pcap(ng)?$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

interface Threads {
  /** Slot size and count for both threads. */
  slotSize: number;
  slots: number;
  /** Wait for the threads before the first byte, so no I/O is done on the main thread. */
  awaitThreads: boolean;
}

interface Outcome {
  frames: number | null;
  error: { message: string; offset: number } | null;
  output: Buffer;
  readStats?: { slotBytes: number; directBytes: number };
  writeStats?: { slotWrites: number; lentSlots: number; directWrites: number };
}

let counter = 0;

/** Marks `inPath` with the default policy, synchronously or through the I/O threads. */
function mark(inPath: string, threads: Threads | null, bufLen?: number): Outcome {
  const outPath = path.join(dir, `out-${counter++}`);
  const setup = pipelineSetup('mark', { 'cos-tag': 'outer', 'no-sdp': false, 'rtp-heuristic': false });
  const pipeline = new Pipeline(setup.policy, setup.options);
  let input: ByteInput = ByteInput.open(inPath);
  let output: ByteOutput = ByteOutput.create(outPath);
  let ra: ReadAheadInput | null = null;
  let wb: WriteBehindOutput | null = null;
  if (threads) {
    input = ra = new ReadAheadInput(input.fd, input.name, input.size, true, threads.slotSize, threads.slots);
    output = wb = new WriteBehindOutput(output.fd, output.name, true, threads.slotSize, threads.slots);
    if (threads.awaitThreads) {
      ra.awaitThread();
      wb.awaitThread();
    }
  }
  const outcome: Outcome = { frames: null, error: null, output: Buffer.alloc(0) };
  try {
    const cap = bufLen === undefined ? openCapture(input) : openCapture(input, new Uint8Array(bufLen));
    outcome.frames = cap.stream(output, pipeline);
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    outcome.error = { message: err.message, offset: err.offset };
  } finally {
    input.close();
    output.close();
  }
  outcome.output = fs.readFileSync(outPath);
  fs.rmSync(outPath);
  if (ra) outcome.readStats = { ...ra.stats };
  if (wb) outcome.writeStats = { ...wb.stats };
  return outcome;
}

function expectSame(threaded: Outcome, sync: Outcome): void {
  expect(threaded.error).toEqual(sync.error);
  expect(threaded.frames).toBe(sync.frames);
  expect(threaded.output.length).toBe(sync.output.length);
  expect(threaded.output.equals(sync.output)).toBe(true);
}

const TINY: Threads = { slotSize: 61, slots: 3, awaitThreads: true };
/** Slots as big as the 2 KiB stream buffer: the stream reads into them and they are written uncopied. */
const LENDING: Threads = { slotSize: 2048, slots: 3, awaitThreads: true };

describe('read-ahead and write-behind on the fixtures', () => {
  const files = fixtureFiles(FIXTURES);

  it('finds the fixtures, damaged ones and pcapng included', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(files.some((f) => f.endsWith('.pcapng'))).toBe(true);
    expect(files.some((f) => f.includes(`${path.sep}sip${path.sep}`))).toBe(true);
  });

  // A 2 KiB stream buffer makes the stream functions refill many times per file (pcapng blocks
  // larger than that grow it; larger pcap records fail the same way on both paths).
  it.each(files.map((f) => [path.relative(FIXTURES, f), f]))('%s: same bytes and errors as the synchronous path', (_name, file) => {
    for (const [threads, bufLen] of [[TINY, undefined], [TINY, 2048], [LENDING, 2048]] as const) {
      const sync = mark(file, null, bufLen);
      const threaded = mark(file, threads, bufLen);
      expectSame(threaded, sync);
      // The bytes really went through the slots.
      expect(threaded.readStats!.directBytes).toBe(0);
      const size = fs.statSync(file).size;
      if (sync.error) expect(threaded.readStats!.slotBytes).toBeLessThanOrEqual(size);
      else expect(threaded.readStats!.slotBytes).toBe(size);
      // Output goes through the slots; what finds them all busy is written at its offset directly.
      if (sync.output.length > 0) expect(threaded.writeStats!.slotWrites).toBeGreaterThan(0);
    }
  });

  it('the fixtures include damaged files whose errors are compared', () => {
    // The synchronous path is enough to find them: the cases above compare the threaded one with it.
    const errors = files.map((f) => mark(f, null).error).filter((e) => e !== null);
    expect(errors.length).toBeGreaterThan(5);
    expect(errors.some((e) => e!.offset > 0)).toBe(true);
  });
});

/** A generated capture of `packets` packets (pcap), and the same packets as pcapng. */
function generated(packets: number, seed: number): { pcap: string; pcapng: string; bytes: Uint8Array } {
  const { pcap } = generateToBuffer({ packets, seed });
  const pcapPath = path.join(dir, `gen-${seed}.pcap`);
  fs.writeFileSync(pcapPath, pcap);
  const ngPath = path.join(dir, `gen-${seed}.pcapng`);
  const w = PcapngWriter.create(ngPath, { bufferBytes: 70_000 });
  const parsed = readPcap(pcap);
  const ifId = w.addInterface({ linkType: parsed.linkType, snapLen: parsed.snapLen });
  for (const r of parsed.records) w.writePacket(ifId, r.tsSec, r.tsFrac * (parsed.nanos ? 1 : 1000), r.data, 0, r.data.length, r.origLen);
  w.close();
  return { pcap: pcapPath, pcapng: ngPath, bytes: pcap };
}

describe('read-ahead and write-behind on generated files', () => {
  const configs: [string, Threads, number | undefined, number][] = [
    ['tiny slots, 2 KiB stream buffer', { slotSize: 61, slots: 3, awaitThreads: true }, 2048, 20_000],
    ['odd slots, 64 KiB stream buffer', { slotSize: 4093, slots: 2, awaitThreads: true }, 65536, 20_000],
    ['1 MiB slots, default buffer, thread started late', { slotSize: 1 << 20, slots: 4, awaitThreads: false }, undefined, 20_000],
    ['slots lent to the stream, 64 KiB', { slotSize: 65536, slots: 3, awaitThreads: true }, 65536, 20_000],
    ['slots lent to the stream, two of them, thread started late', { slotSize: 65536, slots: 2, awaitThreads: false }, 65536, 20_000],
    // Over two stream buffers' worth, so that a slot is lent at the sizes `mark` uses.
    ['slots lent to the stream, the default sizes', { slotSize: WRITE_BEHIND_SLOT_BYTES, slots: WRITE_BEHIND_SLOTS, awaitThreads: true }, undefined, 80_000],
  ];

  it.each(configs)('%s: same bytes as the synchronous path', (_name, threads, bufLen, packets) => {
    const g = generated(packets, 11);
    for (const file of [g.pcap, g.pcapng]) {
      const sync = mark(file, null, bufLen);
      expect(sync.error).toBeNull();
      expect(sync.frames).toBe(packets);
      // The policy changes markings: the output is not a plain copy of the input.
      expect(sync.output.equals(fs.readFileSync(file))).toBe(false);
      const threaded = mark(file, threads, bufLen);
      expectSame(threaded, sync);
      expect(threaded.readStats!.slotBytes + threaded.readStats!.directBytes).toBe(fs.statSync(file).size);
      if (threads.awaitThreads) expect(threaded.readStats!.directBytes).toBe(0);
      // Slots at least as big as the stream buffer are lent to it; smaller ones never are. The
      // first chunk is read into the capture's own buffer; the second goes into a slot even when
      // the thread has not started, since the first took only one of them.
      const lends = threads.slotSize >= (bufLen ?? STREAM_BUFFER_LEN);
      if (lends && fs.statSync(file).size > 2 * threads.slotSize) expect(threaded.writeStats!.lentSlots).toBeGreaterThan(0);
      if (!lends) expect(threaded.writeStats!.lentSlots).toBe(0);
    }
  });

  it('a file damaged deep inside: same message, offset and output prefix', () => {
    const g = generated(20_000, 12);
    const bytes = Buffer.from(g.bytes);
    // Record 15001's captured length, far past the first slots and stream chunks, made impossible.
    let pos = 24;
    for (let i = 0; i < 15_000; i++) pos += 16 + bytes.readUInt32LE(pos + 8);
    bytes.writeUInt32LE(300_000, pos + 8);
    const damaged = path.join(dir, 'damaged.pcap');
    fs.writeFileSync(damaged, bytes);
    const truncated = path.join(dir, 'truncated.pcap');
    fs.writeFileSync(truncated, g.bytes.subarray(0, pos + 20));
    for (const file of [damaged, truncated]) {
      for (const [threads, bufLen] of [[TINY, 2048], [{ slotSize: 4093, slots: 2, awaitThreads: false }, undefined], [LENDING, 2048]] as const) {
        const sync = mark(file, null, bufLen);
        expect(sync.error?.offset).toBe(pos);
        expect(sync.output.length).toBe(pos);
        expectSame(mark(file, threads, bufLen), sync);
      }
    }
  });
});

describe('slots lent to the stream', () => {
  it('the stream reads into a free slot, which then goes to the thread uncopied', () => {
    const file = path.join(dir, 'lend.bin');
    const out = new WriteBehindOutput(fs.openSync(file, 'w'), file, true, 4096, 2).awaitThread();
    const own = new Uint8Array(4096).map((_, i) => i & 0xff);
    out.write(own, 0, 100); // copied: the stream's own buffer is not a slot
    const slot = out.carry(own, 100, 150);
    expect(slot).not.toBe(own);
    expect(slot.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(slot.subarray(0, 50))).toEqual(Array.from(own.subarray(100, 150)));
    slot.fill(9, 50, 300);
    out.write(slot, 0, 300);
    out.close();
    expect(out.stats).toEqual({ slotWrites: 2, lentSlots: 1, directWrites: 0 });
    const want = Buffer.concat([Buffer.from(own.subarray(0, 150)), Buffer.alloc(250, 9)]);
    expect(fs.readFileSync(file).equals(want)).toBe(true);
  });

  it('a lent slot the stream leaves unwritten (a pcapng block too big for it) is free again at the next carry', () => {
    const file = path.join(dir, 'unlend.bin');
    const out = new WriteBehindOutput(fs.openSync(file, 'w'), file, true, 4096, 2).awaitThread();
    const own = new Uint8Array(4096).fill(1);
    out.write(own, 0, 100);
    out.carry(own, 100, 100); // slot lent, nothing carried over
    // As streamPcapng does for a block larger than its buffer: it moves to a bigger one of its own.
    const bigger = new Uint8Array(10_000).fill(2);
    out.write(bigger, 0, 5000); // the next slot is lent: written here
    expect(out.carry(bigger, 5000, 6000)).toBe(bigger); // too big for a slot: the stream stays
    out.write(bigger, 0, 3000); // the lent slot was freed: through a slot again
    out.close();
    expect(out.stats).toEqual({ slotWrites: 2, lentSlots: 0, directWrites: 1 });
    const want = Buffer.concat([Buffer.alloc(100, 1), Buffer.alloc(8000, 2)]);
    expect(fs.readFileSync(file).equals(want)).toBe(true);
  });
});

describe('I/O errors in the threads', () => {
  it('a write error (ENOSPC on /dev/full) is a file error naming the output, as from the synchronous output, not a hang', () => {
    const chunk = new Uint8Array(10_000).fill(7);
    const sync = ByteOutput.create('/dev/full');
    let syncError: unknown;
    try {
      sync.write(chunk, 0, chunk.length);
    } catch (err) {
      syncError = err;
    } finally {
      sync.close();
    }
    expect(syncError).toBeInstanceOf(CaptureFileError);
    expect((syncError as Error).message).toBe('/dev/full: byte 0: cannot write: no space left on device');
    const out = new WriteBehindOutput(fs.openSync('/dev/full', 'w'), '/dev/full', true, 4096, 2).awaitThread();
    let thrown: unknown;
    try {
      for (let i = 0; i < 5; i++) out.write(chunk, 0, chunk.length);
      out.close();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CaptureFileError);
    expect((thrown as CaptureFileError).file).toBe('/dev/full');
    expect((thrown as CaptureFileError).what).toBe('cannot write: no space left on device');
    // close after a failure still releases the descriptor and does not throw twice into a hang.
    expect(() => out.close()).not.toThrow();
  });

  it('a write error on the last chunk surfaces from close', () => {
    const out = new WriteBehindOutput(fs.openSync('/dev/full', 'w'), '/dev/full', true, 4096, 4).awaitThread();
    out.write(new Uint8Array(100), 0, 100);
    expect(() => out.close()).toThrow('/dev/full: byte 0: cannot write: no space left on device');
  });

  it('a read error (EISDIR) in the read-ahead thread is thrown', () => {
    const fd = fs.openSync(dir, 'r');
    const input = new ReadAheadInput(fd, dir, 1 << 30, true, 4096, 2).awaitThread();
    const buf = new Uint8Array(100);
    try {
      expect(() => input.readFully(buf, 0, 100)).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    } finally {
      input.close();
    }
  });
});

describe('the command line with I/O threads', () => {
  const CLI = path.join(ROOT, 'dist/cli/main.js');
  const run = (env: string, ...args: string[]) =>
    spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, QOSMARK_IO_THREADS: env } });

  beforeAll(() => ensureBuilt(), 120_000);

  it('mark and audit give the same bytes, summaries and exit status, and exit promptly', () => {
    const g = generated(30_000, 13);
    for (const file of [g.pcap, g.pcapng, path.join(FIXTURES, 'truncated-record.pcap'), path.join(FIXTURES, 'ng-bad-trailer.pcapng')]) {
      const outs = ['off', 'on'].map((mode) => {
        const out = path.join(dir, `cli-${mode}`);
        const r = run(mode, 'mark', file, '-o', out, '--json');
        const a = run(mode, 'audit', file, '--json');
        const doc = JSON.parse(r.stdout);
        const adoc = JSON.parse(a.stdout);
        return {
          status: [r.status, a.status],
          stderr: [r.stderr, a.stderr],
          bytes: fs.readFileSync(out),
          counts: [doc.packets, doc.dscpChanged, doc.cosChanged, doc.error, adoc.packets, adoc.mismarked, adoc.error],
        };
      });
      expect(outs[1].status).toEqual(outs[0].status);
      expect(outs[1].stderr).toEqual(outs[0].stderr);
      expect(outs[1].counts).toEqual(outs[0].counts);
      expect(outs[1].bytes.equals(outs[0].bytes)).toBe(true);
    }
  });

  it('gen writes the same bytes through the write-behind thread as without it, in both formats', () => {
    for (const format of ['pcap', 'pcapng']) {
      const [off, on] = ['off', 'on'].map((mode) => {
        const out = path.join(dir, `gen-${mode}.${format}`);
        const r = run(mode, 'gen', '--packets', '40000', '--seed', '5', '--format', format, '-o', out);
        return { status: r.status, stderr: r.stderr, bytes: fs.readFileSync(out) };
      });
      expect([on.status, on.stderr]).toEqual([off.status, off.stderr]);
      expect(on.bytes.length).toBeGreaterThan(4 * 2 ** 20);
      expect(on.bytes.equals(off.bytes)).toBe(true);
    }
  });

  it('an unknown QOSMARK_IO_THREADS value is named once on stderr and ignored', () => {
    const out = path.join(dir, 'cli-bogus');
    const r = run('bogus', 'mark', path.join(FIXTURES, 'cupc-ports.pcap'), '-o', out, '-q');
    expect([r.status, r.stderr]).toEqual([0, 'qosmark: QOSMARK_IO_THREADS=bogus: expected off, on, read, write; ignored\n']);
    expect(run('', 'mark', path.join(FIXTURES, 'cupc-ports.pcap'), '-o', out, '-q').stderr).toBe('');
  });
});

/**
 * Classic pcap streaming: both byte orders, µs and ns magics, oversized and
 * damaged records, error offsets, the output written before a fault, and a
 * ~10 MB file streamed across buffer refills.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteInput, ByteOutput } from '../../src/io/byte-stream.js';
import { STREAM_BUFFER_LEN, openCapture, streamCapture } from '../../src/io/capture-file.js';
import { CaptureFileError } from '../../src/io/errors.js';
import { MAX_RECORD_LEN, isPcapMagic, parsePcapHeader } from '../../src/io/pcap.js';
import {
  RecordingHandler,
  concat,
  hex,
  pcapFile,
  pcapHeader,
  pcapRecord,
  pseudoRandomBytes,
  readPcap,
  removeDir,
  tempDir,
  type PcapRecordIn,
} from '../support/bytes.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('qosmark-io-');
});
afterAll(() => removeDir(dir));

let counter = 0;
function writeTemp(bytes: Uint8Array, name = `f${counter++}.pcap`): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

interface Streamed {
  handler: RecordingHandler;
  frames?: number;
  format?: string;
  error?: CaptureFileError;
  output: Uint8Array;
}

/** Streams `bytes` from a temp file through a RecordingHandler, writing a temp output. */
function stream(bytes: Uint8Array, opts: { buf?: Uint8Array; handler?: RecordingHandler & { handle: RecordingHandler['handle'] } } = {}): Streamed {
  const inPath = writeTemp(bytes);
  const outPath = `${inPath}.out`;
  const input = ByteInput.open(inPath);
  const output = ByteOutput.create(outPath);
  const handler = opts.handler ?? new RecordingHandler();
  const result: Streamed = { handler, output: new Uint8Array(0) };
  try {
    const cap = opts.buf ? openCapture(input, opts.buf) : openCapture(input);
    result.format = cap.format;
    result.frames = cap.stream(output, handler);
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    result.error = err;
  } finally {
    input.close();
    output.close();
  }
  result.output = new Uint8Array(fs.readFileSync(outPath));
  return result;
}

const REC: PcapRecordIn[] = [
  { tsSec: 1_700_000_000, tsFrac: 123_456, data: pseudoRandomBytes(60, 1) },
  { tsSec: 1_700_000_001, tsFrac: 999_999, data: pseudoRandomBytes(54, 2), origLen: 1514 },
  { tsSec: 0, tsFrac: 0, data: new Uint8Array(0) },
  { tsSec: 0xffffffff, tsFrac: 1, data: pseudoRandomBytes(1, 3) },
];

describe('pcap header recognition', () => {
  it('knows the four classic magics and nothing else', () => {
    // d4 c3 b2 a1 (LE µs), a1 b2 c3 d4 (BE µs), 4d 3c b2 a1 (LE ns), a1 b2 3c 4d (BE ns)
    for (const m of ['d4 c3 b2 a1', 'a1 b2 c3 d4', '4d 3c b2 a1', 'a1 b2 3c 4d']) expect(isPcapMagic(hex(m)), m).toBe(true);
    for (const m of ['0a 0d 0d 0a', 'd4 c3 b2 a2', '00 00 00 00', 'a1 b2 c3 d5']) expect(isPcapMagic(hex(m)), m).toBe(false);
  });

  it('parses a big-endian nanosecond header, keeping only the low 16 bits of the link type', () => {
    // 0000  a1 b2 3c 4d 00 02 00 04 00 00 00 00 00 00 00 00   magic (BE ns), v2.4, thiszone, sigfigs
    // 0010  00 00 ff ff 10 00 00 71                           snaplen 65535, linktype 113 with FCS bits
    const h = hex('a1 b2 3c 4d 00 02 00 04 00 00 00 00 00 00 00 00 00 00 ff ff 10 00 00 71');
    expect(parsePcapHeader(h, 'x')).toEqual({ littleEndian: false, nanosecond: true, versionMajor: 2, versionMinor: 4, snapLen: 65535, linkType: 113 });
  });

  it('parses a little-endian microsecond header', () => {
    // 0000  d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 40 00 00 00 01 00 00 00
    const h = hex('d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 40 00 00 00 01 00 00 00');
    expect(parsePcapHeader(h, 'x')).toEqual({ littleEndian: true, nanosecond: false, versionMajor: 2, versionMinor: 4, snapLen: 64, linkType: 1 });
  });
});

describe.each([
  ['little-endian µs', true, false],
  ['big-endian µs', false, false],
  ['little-endian ns', true, true],
  ['big-endian ns', false, true],
])('streaming a %s pcap', (_name, littleEndian, nanos) => {
  it('hands every record to the handler with its timestamp in ns, lengths and link type; output is identical', () => {
    const file = pcapFile({ littleEndian, nanos, linkType: 113, snapLen: 65535 }, REC);
    const r = stream(file);
    expect(r.error).toBeUndefined();
    expect(r.format).toBe('pcap');
    expect(r.frames).toBe(REC.length);
    expect(r.handler.frames.map((f) => [f.tsSec, f.tsNsec, f.capLen, f.wireLen, f.linkType])).toEqual(
      REC.map((x) => [x.tsSec, nanos ? x.tsFrac : x.tsFrac * 1000, x.data.length, x.origLen ?? x.data.length, 113]),
    );
    r.handler.frames.forEach((f, i) => expect(Array.from(f.bytes)).toEqual(Array.from(REC[i].data)));
    expect(Buffer.from(r.output).equals(Buffer.from(file))).toBe(true);
  });

  it('writes the handler rewrites into the output in place, keeping everything else bit for bit', () => {
    const file = pcapFile({ littleEndian, nanos, linkType: 1 }, REC);
    const handler = new RecordingHandler();
    const inner = handler.handle.bind(handler);
    handler.handle = (buf, off, capLen, wireLen, lt, s, ns) => {
      if (capLen > 0) buf[off] ^= 0xff;
      inner(buf, off, capLen, wireLen, lt, s, ns);
    };
    const r = stream(file, { handler });
    const want = readPcap(file);
    const got = readPcap(r.output);
    expect(got.littleEndian).toBe(littleEndian);
    expect(got.nanos).toBe(nanos);
    expect(got.records.map((x) => [x.tsSec, x.tsFrac, x.inclLen, x.origLen])).toEqual(want.records.map((x) => [x.tsSec, x.tsFrac, x.inclLen, x.origLen]));
    got.records.forEach((rec, i) => {
      const exp = want.records[i].data.slice();
      if (exp.length > 0) exp[0] ^= 0xff;
      expect(Array.from(rec.data)).toEqual(Array.from(exp));
    });
    expect(r.output.subarray(0, 24)).toEqual(file.subarray(0, 24));
  });
});

describe('record sizes', () => {
  it('a header-only file has no records', () => {
    const r = stream(pcapHeader());
    expect(r.frames).toBe(0);
    expect(r.handler.frames).toEqual([]);
    expect(r.output).toEqual(pcapHeader());
  });

  it('records larger than the snap length but up to 256 KiB are read', () => {
    const big = pseudoRandomBytes(MAX_RECORD_LEN, 9);
    const file = pcapFile({ snapLen: 64 }, [
      { tsSec: 1, tsFrac: 0, data: pseudoRandomBytes(1000, 8) },
      { tsSec: 2, tsFrac: 0, data: big },
      { tsSec: 3, tsFrac: 0, data: pseudoRandomBytes(10, 7) },
    ]);
    const r = stream(file);
    expect(r.error).toBeUndefined();
    expect(r.handler.frames.map((f) => f.capLen)).toEqual([1000, MAX_RECORD_LEN, 10]);
    expect(Buffer.from(r.handler.frames[1].bytes).equals(Buffer.from(big))).toBe(true);
    expect(Buffer.from(r.output).equals(Buffer.from(file))).toBe(true);
  });

  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('%s: a record over 256 KiB is an error at its header offset; the records before it are written', (_n, littleEndian) => {
    const before = [
      { tsSec: 1, tsFrac: 0, data: pseudoRandomBytes(100, 1) },
      { tsSec: 2, tsFrac: 0, data: pseudoRandomBytes(33, 2) },
    ];
    const badHeaderOff = 24 + 16 + 100 + 16 + 33;
    const file = concat(
      pcapFile({ littleEndian }, before),
      pcapRecord({ tsSec: 3, tsFrac: 0, data: new Uint8Array(8), inclLen: MAX_RECORD_LEN + 1 }, littleEndian),
    );
    const r = stream(file);
    expect(r.error).toBeInstanceOf(CaptureFileError);
    expect(r.error!.offset).toBe(badHeaderOff);
    expect(r.error!.what).toBe(`record 3 claims ${MAX_RECORD_LEN + 1} captured bytes, more than the 256 KiB limit`);
    expect(r.error!.message).toMatch(new RegExp(`: byte ${badHeaderOff}: record 3 claims`));
    expect(r.handler.frames).toHaveLength(2);
    const out = readPcap(r.output);
    expect(out.records.map((x) => Array.from(x.data))).toEqual(before.map((x) => Array.from(x.data)));
    expect(r.output.length).toBe(badHeaderOff);
  });
});

describe('damaged files', () => {
  const good = [
    { tsSec: 1, tsFrac: 5, data: pseudoRandomBytes(60, 4) },
    { tsSec: 2, tsFrac: 6, data: pseudoRandomBytes(70, 5) },
  ];
  const goodLen = 24 + 16 + 60 + 16 + 70;

  it('a truncated last record: error at its header offset, output is exactly the whole records before it', () => {
    const last = pcapRecord({ tsSec: 3, tsFrac: 0, data: pseudoRandomBytes(60, 6) });
    const file = concat(pcapFile({}, good), last.subarray(0, 16 + 10));
    const r = stream(file);
    expect(r.error).toBeInstanceOf(CaptureFileError);
    expect(r.error!.offset).toBe(goodLen);
    expect(r.error!.what).toBe('file ends inside record 3 (10 of 60 data bytes)');
    expect(r.handler.frames).toHaveLength(2);
    const out = readPcap(r.output);
    expect(out.records).toHaveLength(2);
    expect(r.output.length).toBe(goodLen);
    expect(Buffer.from(r.output).equals(Buffer.from(file.subarray(0, goodLen)))).toBe(true);
  });

  it('a truncated record header: error at its offset', () => {
    const file = concat(pcapFile({ littleEndian: false }, good), new Uint8Array([0, 0, 0, 3, 0]));
    const r = stream(file);
    expect(r.error!.offset).toBe(goodLen);
    expect(r.error!.what).toBe('file ends inside the header of record 3 (5 of 16 bytes)');
    expect(r.output.length).toBe(goodLen);
    expect(readPcap(r.output).records).toHaveLength(2);
  });

  it('a record header with no data at all', () => {
    const file = concat(pcapFile({}, good), pcapRecord({ tsSec: 3, tsFrac: 0, data: new Uint8Array(20) }).subarray(0, 16));
    const r = stream(file);
    expect(r.error!.offset).toBe(goodLen);
    expect(r.error!.what).toBe('file ends inside record 3 (0 of 20 data bytes)');
  });

  it('bad magic: error at byte 0 naming the first bytes', () => {
    const r = stream(hex('de ad be ef 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00'));
    expect(r.error!.offset).toBe(0);
    expect(r.error!.what).toBe('not a pcap or pcapng file (starts with 0xdeadbeef)');
    expect(r.handler.frames).toEqual([]);
  });

  it('empty file: error at byte 0', () => {
    const r = stream(new Uint8Array(0));
    expect(r.error!.offset).toBe(0);
    expect(r.error!.what).toBe('empty file: no capture file header');
    expect(r.output.length).toBe(0);
  });

  it('a 2-byte file is not a capture', () => {
    const r = stream(hex('d4 c3'));
    expect(r.error!.offset).toBe(0);
    expect(r.error!.what).toBe('not a pcap or pcapng file (starts with 0xd4c3)');
  });

  it('a file that ends inside the pcap file header', () => {
    const r = stream(pcapHeader().subarray(0, 10));
    expect(r.error).toBeInstanceOf(CaptureFileError);
    expect(r.error!.what).toBe('file ends inside the pcap file header (10 of 24 bytes)');
    expect(r.error!.offset).toBe(0);
  });

  it('an unsupported major version is an error at byte 4', () => {
    const r = stream(pcapFile({ versionMajor: 3 }, good));
    expect(r.error!.offset).toBe(4);
    expect(r.error!.what).toBe('unsupported pcap version 3 (expected 2)');
  });

  it('CaptureFileError messages: "file: byte N: what", or "file: what" without an offset', () => {
    expect(new CaptureFileError('a.pcap', 40, 'boom').message).toBe('a.pcap: byte 40: boom');
    expect(new CaptureFileError('a.pcap', 0, 'boom').message).toBe('a.pcap: byte 0: boom');
    expect(new CaptureFileError('a.pcap', -1, 'boom').message).toBe('a.pcap: boom');
  });

  it('opening a missing file or a directory is a CaptureFileError without an offset', () => {
    expect(() => ByteInput.open(path.join(dir, 'nope.pcap'))).toThrow(expect.objectContaining({ offset: -1, what: 'no such file or directory' }));
    expect(() => ByteInput.open(dir)).toThrow(expect.objectContaining({ offset: -1, what: 'is a directory' }));
  });
});

describe('buffer refills', () => {
  it('a small stream buffer: every record survives many refills', () => {
    const recs: PcapRecordIn[] = [];
    for (let i = 0; i < 400; i++) recs.push({ tsSec: i, tsFrac: i * 7, data: pseudoRandomBytes((i * 37) % 1500, i + 1) });
    const file = pcapFile({ littleEndian: false, nanos: true }, recs);
    const r = stream(file, { buf: new Uint8Array(2048) });
    expect(r.error).toBeUndefined();
    expect(r.frames).toBe(400);
    r.handler.frames.forEach((f, i) => {
      expect(f.tsSec).toBe(i);
      expect(f.tsNsec).toBe(i * 7);
      expect(Buffer.from(f.bytes).equals(Buffer.from(recs[i].data))).toBe(true);
    });
    expect(Buffer.from(r.output).equals(Buffer.from(file))).toBe(true);
  });

  it('a small stream buffer: the error offset of a truncated record is a file offset, not a buffer offset', () => {
    const recs: PcapRecordIn[] = [];
    for (let i = 0; i < 50; i++) recs.push({ tsSec: i, tsFrac: 0, data: pseudoRandomBytes(500, i + 1) });
    const whole = pcapFile({}, recs);
    const file = whole.subarray(0, whole.length - 100);
    const lastHeader = whole.length - (16 + 500);
    const r = stream(file, { buf: new Uint8Array(1500) });
    expect(r.error!.offset).toBe(lastHeader);
    expect(r.error!.what).toBe('file ends inside record 50 (400 of 500 data bytes)');
    expect(r.output.length).toBe(lastHeader);
    expect(readPcap(r.output).records).toHaveLength(49);
  });

  it('a ~10 MB file streams across the 4 MiB buffer with a record straddling the boundary', () => {
    // Records of varying size; find one that straddles the first buffer's end.
    const recs: PcapRecordIn[] = [];
    let size = 24;
    let i = 0;
    let straddles = false;
    while (size < 10_000_000) {
      const len = 64 + ((i * 7919) % 1450);
      const start = size;
      size += 16 + len;
      if (start < STREAM_BUFFER_LEN && size > STREAM_BUFFER_LEN) straddles = true;
      recs.push({ tsSec: i, tsFrac: i % 1_000_000, data: pseudoRandomBytes(len, i + 1), origLen: len + (i % 3) });
      i++;
    }
    expect(straddles).toBe(true);
    const file = pcapFile({ linkType: 1 }, recs);
    expect(file.length).toBeGreaterThan(2 * STREAM_BUFFER_LEN);

    // A handler that checks each record as it comes (not storing 10 MB twice) and rewrites byte 0.
    let n = 0;
    let mismatches = 0;
    const handler = {
      frames: [] as never[],
      handle(buf: Uint8Array, off: number, capLen: number, wireLen: number, linkType: number, tsSec: number, tsNsec: number) {
        const want = recs[n];
        if (
          capLen !== want.data.length ||
          wireLen !== want.origLen ||
          linkType !== 1 ||
          tsSec !== want.tsSec ||
          tsNsec !== want.tsFrac * 1000 ||
          !Buffer.from(buf.buffer, buf.byteOffset + off, capLen).equals(Buffer.from(want.data))
        ) {
          mismatches++;
        }
        buf[off] ^= 0x5a;
        n++;
      },
    };
    let progressCalls = 0;
    let lastDone = -1;
    const inPath = writeTemp(file, 'big.pcap');
    const outPath = `${inPath}.out`;
    const input = ByteInput.open(inPath);
    const output = ByteOutput.create(outPath);
    const result = streamCapture(input, output, handler as unknown as RecordingHandler, (done, frames) => {
      expect(done).toBeGreaterThanOrEqual(lastDone);
      expect(frames).toBeLessThanOrEqual(recs.length);
      lastDone = done;
      progressCalls++;
    });
    input.close();
    output.close();
    expect(result).toEqual({ format: 'pcap', frames: recs.length });
    expect(n).toBe(recs.length);
    expect(mismatches).toBe(0);
    expect(progressCalls).toBeGreaterThanOrEqual(2);

    const out = fs.readFileSync(outPath);
    expect(out.length).toBe(file.length);
    // Expected output: the input with byte 0 of every record's data flipped.
    const expected = Buffer.from(file);
    let pos = 24;
    for (const r of recs) {
      expected[pos + 16] ^= 0x5a;
      pos += 16 + r.data.length;
    }
    expect(out.equals(expected)).toBe(true);
    fs.rmSync(inPath);
    fs.rmSync(outPath);
  });
});

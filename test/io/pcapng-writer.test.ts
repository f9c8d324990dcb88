/**
 * The pcapng writer: blocks that qosmark's own pcapng reader (and the
 * block layout rules) accept, nanosecond timestamps split into 64 bits
 * exactly, padding, interfaces, buffer flushes, and a file valid after
 * every flush.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ByteInput, ByteOutput } from '../../src/io/byte-stream.js';
import { openCapture } from '../../src/io/capture-file.js';
import type { FrameHandler } from '../../src/io/frame-handler.js';
import { PcapngWriter } from '../../src/io/pcapng-writer.js';
import { removeDir, tempDir } from '../support/bytes.js';

let dir: string;
beforeAll(() => {
  dir = tempDir('qosmark-pcapng-writer-');
});
afterAll(() => removeDir(dir));

interface Got {
  data: number[];
  capLen: number;
  wireLen: number;
  linkType: number;
  sec: number;
  nsec: number;
}

function readBack(file: string): { format: string; frames: Got[] } {
  const frames: Got[] = [];
  const handler: FrameHandler = {
    handle(buf, off, capLen, wireLen, linkType, sec, nsec) {
      frames.push({ data: Array.from(buf.subarray(off, off + capLen)), capLen, wireLen, linkType, sec, nsec });
    },
  };
  const input = ByteInput.open(file);
  try {
    const c = openCapture(input);
    c.stream(null, handler);
    return { format: c.format, frames };
  } finally {
    input.close();
  }
}

/** Walks the blocks: type, total length at both ends, 4-byte alignment. */
function blocks(file: string): { type: number; len: number; body: Buffer }[] {
  const b = fs.readFileSync(file);
  const out: { type: number; len: number; body: Buffer }[] = [];
  let o = 0;
  while (o < b.length) {
    const type = b.readUInt32LE(o);
    const len = b.readUInt32LE(o + 4);
    expect(len % 4).toBe(0);
    expect(b.readUInt32LE(o + len - 4)).toBe(len);
    out.push({ type, len, body: b.subarray(o + 8, o + len - 4) });
    o += len;
  }
  expect(o).toBe(b.length);
  return out;
}

let n = 0;
const file = () => path.join(dir, `w${n++}.pcapng`);

describe('PcapngWriter', () => {
  it('writes a section header, one interface block per interface and enhanced packet blocks that read back', () => {
    const f = file();
    const w = PcapngWriter.create(f, { userAppl: 'qosmark test' });
    const a = w.addInterface({ linkType: 1, name: 'eth1', description: 'eth1 -> eth2' });
    const b = w.addInterface({ linkType: 1, snapLen: 65535, name: 'eth2' });
    expect([a, b]).toEqual([0, 1]);
    const frames = [Buffer.from([1, 2, 3, 4, 5, 6, 7]), Buffer.alloc(60, 0xab), Buffer.from([9])];
    w.writePacket(a, 1700000000, 123456789, frames[0], 0, 7, 7);
    w.writePacket(b, 1700000001, 999999999, frames[1], 0, 60, 1514);
    w.writePacket(a, 0, 0, frames[2], 0, 1, 1);
    w.close();
    const bl = blocks(f);
    expect(bl.map((x) => x.type)).toEqual([0x0a0d0d0a, 1, 1, 6, 6, 6]);
    // if_tsresol 9 in both interface blocks.
    for (const idb of bl.filter((x) => x.type === 1)) expect(idb.body.includes(Buffer.from([9, 0, 1, 0, 9]))).toBe(true);
    const got = readBack(f);
    expect(got.format).toBe('pcapng');
    expect(got.frames).toEqual([
      { data: Array.from(frames[0]), capLen: 7, wireLen: 7, linkType: 1, sec: 1700000000, nsec: 123456789 },
      { data: Array.from(frames[1]), capLen: 60, wireLen: 1514, linkType: 1, sec: 1700000001, nsec: 999999999 },
      { data: [9], capLen: 1, wireLen: 1, linkType: 1, sec: 0, nsec: 0 },
    ]);
    expect(w.packets).toBe(3);
    expect(w.bytes).toBe(fs.statSync(f).size);
  });

  it('splits nanosecond timestamps into 64 bits exactly (checked against BigInt)', () => {
    const f = file();
    const w = PcapngWriter.create(f);
    w.addInterface({ linkType: 1 });
    const cases: [number, number][] = [
      [0, 0],
      [1, 1],
      [4, 294967295], // 4294967295 ns: low word all ones
      [4, 294967296], // carry into the high word
      [1700000000, 999999999],
      [2 ** 32 - 1, 999999999],
      [4102444800, 5],
    ];
    for (const [s, ns] of cases) w.writePacket(0, s, ns, Buffer.from([0]), 0, 1, 1);
    w.close();
    const epbs = blocks(f).filter((x) => x.type === 6);
    cases.forEach(([s, ns], i) => {
      const body = epbs[i].body;
      const v = (BigInt(body.readUInt32LE(4)) << 32n) | BigInt(body.readUInt32LE(8));
      expect(v).toBe(BigInt(s) * 1_000_000_000n + BigInt(ns));
    });
    expect(readBack(f).frames.map((x) => [x.sec, x.nsec])).toEqual(cases);
  });

  it('flushes when its buffer fills, and the file is valid after each flush', () => {
    const f = file();
    const w = new PcapngWriter(ByteOutput.create(f), { bufferBytes: 70_000 });
    w.addInterface({ linkType: 1 });
    const frame = Buffer.alloc(1499, 7);
    for (let i = 0; i < 100; i++) w.writePacket(0, 1700000000 + i, i, frame, 0, frame.length, frame.length);
    const partial = readBack(f).frames.length; // what was flushed so far
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(100);
    w.flush();
    expect(readBack(f).frames.length).toBe(100);
    w.close();
    const all = readBack(f).frames;
    expect(all).toHaveLength(100);
    expect(all[99]).toMatchObject({ sec: 1700000099, nsec: 99, capLen: 1499 });
  });

  it('writes a slice of a larger buffer and pads to 4 bytes with zeros', () => {
    const f = file();
    const w = PcapngWriter.create(f);
    w.addInterface({ linkType: 1 });
    const big = Uint8Array.from({ length: 20 }, (_, i) => i + 1);
    w.writePacket(0, 1, 2, big, 5, 5, 5);
    w.close();
    const epb = blocks(f).find((x) => x.type === 6)!;
    expect(epb.len).toBe(32 + 8);
    expect(Array.from(epb.body.subarray(20, 28))).toEqual([6, 7, 8, 9, 10, 0, 0, 0]);
  });

  it('refuses a packet on an undefined interface', () => {
    const w = PcapngWriter.create(file());
    expect(() => w.writePacket(0, 0, 0, Buffer.alloc(1), 0, 1, 1)).toThrow(/interface 0 is not defined/);
    w.close();
  });

  it('refuses timestamps it cannot write exactly, and writes the last one it can', () => {
    const f = file();
    const w = PcapngWriter.create(f);
    const id = w.addInterface({ linkType: 1 });
    const one = Buffer.alloc(1);
    const last = 4_611_686_018; // sec × 1953125 stays below 2^53 up to here (2116-02-20)
    for (const [sec, ns] of [[-1, 0], [last + 1, 0], [1.5, 0], [0, -1], [0, 1e9], [0, 0.5], [Number.NaN, 0], [Infinity, 0]]) {
      expect(() => w.writePacket(id, sec, ns, one, 0, 1, 1), `${sec} s ${ns} ns`).toThrow(/out of range/);
    }
    w.writePacket(id, last, 999_999_999, one, 0, 1, 1);
    w.close();
    const epb = blocks(f).find((x) => x.type === 6)!;
    const ts = (BigInt(epb.body.readUInt32LE(4)) << 32n) | BigInt(epb.body.readUInt32LE(8));
    expect(ts).toBe(BigInt(last) * 1_000_000_000n + 999_999_999n);
  });
});

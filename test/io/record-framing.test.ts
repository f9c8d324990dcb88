/**
 * Where a failed write cuts an output back to (record-framing.ts): the end of
 * its last whole record, told from the bytes the write got out.
 */
import { describe, expect, it } from 'vitest';
import {
  FRAMING_LINES,
  FRAMING_NONE,
  FRAMING_PCAP_BE,
  FRAMING_PCAP_LE,
  FRAMING_PCAPNG_BE,
  FRAMING_PCAPNG_LE,
  sniffFraming,
  wholeRecordBytes,
} from '../../src/io/record-framing.js';
import { hex } from '../support/bytes.js';

/**
 * A little-endian µs pcap: file header, a record of 4 bytes, a record of 2.
 *   0000  d4 c3 b2 a1 02 00 04 00  00 00 00 00 00 00 00 00   magic, 2.4, zone, sigfigs
 *   0010  ff ff 00 00 01 00 00 00                           snaplen 65535, Ethernet
 *   0018  01 00 00 00 00 00 00 00  04 00 00 00 04 00 00 00   ts 1.0, incl 4, orig 4
 *   0028  aa bb cc dd                                       frame (ends at 44)
 *   002c  02 00 00 00 00 00 00 00  02 00 00 00 02 00 00 00   ts 2.0, incl 2, orig 2
 *   003c  ee ff                                             frame (ends at 62)
 */
const PCAP_LE = hex(`
  d4 c3 b2 a1 02 00 04 00 00 00 00 00 00 00 00 00 ff ff 00 00 01 00 00 00
  01 00 00 00 00 00 00 00 04 00 00 00 04 00 00 00 aa bb cc dd
  02 00 00 00 00 00 00 00 02 00 00 00 02 00 00 00 ee ff
`);

/** The same records big-endian, without the file header (a later write call): records end at 20 and 38. */
const PCAP_BE_RECORDS = hex(`
  00 00 00 01 00 00 00 00 00 00 00 04 00 00 00 04 aa bb cc dd
  00 00 00 02 00 00 00 00 00 00 00 02 00 00 00 02 ee ff
`);

/**
 * pcapng, little-endian: a 28-byte section header block, a 20-byte interface
 * description block, a 32-byte enhanced packet block (4 bytes of data).
 *   0000  0a 0d 0d 0a 1c 00 00 00  4d 3c 2b 1a 01 00 00 00   SHB, len 28, BOM, 1.0
 *   0010  ff ff ff ff ff ff ff ff  1c 00 00 00               section length -1, len (ends at 28)
 *   001c  01 00 00 00 14 00 00 00  01 00 00 00 00 00 04 00   IDB, len 20, Ethernet, snaplen 262144
 *   002c  14 00 00 00                                       len (ends at 48)
 *   0030  06 00 00 00 24 00 00 00  00 00 00 00 00 00 00 00   EPB, len 36, if 0, ts
 *   0040  00 00 00 00 04 00 00 00  04 00 00 00 aa bb cc dd   ts, incl 4, orig 4, data
 *   0050  24 00 00 00                                       len (ends at 84)
 */
const PCAPNG_LE = hex(`
  0a 0d 0d 0a 1c 00 00 00 4d 3c 2b 1a 01 00 00 00 ff ff ff ff ff ff ff ff 1c 00 00 00
  01 00 00 00 14 00 00 00 01 00 00 00 00 00 04 00 14 00 00 00
  06 00 00 00 24 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 04 00 00 00 04 00 00 00 aa bb cc dd 24 00 00 00
`);

/** The same section header block big-endian. */
const SHB_BE = hex(`0a 0d 0d 0a 00 00 00 1c 1a 2b 3c 4d 00 01 00 00 ff ff ff ff ff ff ff ff 00 00 00 1c`);

describe('sniffFraming', () => {
  it('tells pcap (both byte orders), pcapng (both), JSON Lines and anything else from the first bytes', () => {
    expect(sniffFraming(PCAP_LE, 0, PCAP_LE.length)).toBe(FRAMING_PCAP_LE);
    const be = hex('a1 b2 3c 4d 00 02 00 04'); // nanosecond magic, big-endian
    expect(sniffFraming(be, 0, be.length)).toBe(FRAMING_PCAP_BE);
    expect(sniffFraming(PCAPNG_LE, 0, PCAPNG_LE.length)).toBe(FRAMING_PCAPNG_LE);
    expect(sniffFraming(SHB_BE, 0, SHB_BE.length)).toBe(FRAMING_PCAPNG_BE);
    const line = new TextEncoder().encode('{"frame":1}\n');
    expect(sniffFraming(line, 0, line.length)).toBe(FRAMING_LINES);
    expect(sniffFraming(hex('00 01 02 03 04'), 0, 5)).toBe(FRAMING_NONE);
    expect(sniffFraming(hex('d4 c3'), 0, 2)).toBe(FRAMING_NONE);
  });
});

describe('wholeRecordBytes', () => {
  it('pcap from the file start: the header, then every record the written bytes hold whole', () => {
    const cut = (n: number) => wholeRecordBytes(FRAMING_PCAP_LE, PCAP_LE, 0, n, true);
    expect([0, 10, 23].map(cut)).toEqual([0, 0, 0]);
    expect([24, 30, 43].map(cut)).toEqual([24, 24, 24]);
    expect([44, 61].map(cut)).toEqual([44, 44]);
    expect(cut(62)).toBe(62);
  });

  it('pcap records of a later write, big-endian, at an offset in the buffer', () => {
    const buf = new Uint8Array(5 + PCAP_BE_RECORDS.length);
    buf.set(PCAP_BE_RECORDS, 5);
    const cut = (n: number) => wholeRecordBytes(FRAMING_PCAP_BE, buf, 5, n, false);
    expect([0, 19, 20, 37, 38].map(cut)).toEqual([0, 0, 20, 20, 38]);
  });

  it('pcapng blocks, each kept only whole; a big-endian section header block switches the order after it', () => {
    const cut = (n: number) => wholeRecordBytes(FRAMING_PCAPNG_LE, PCAPNG_LE, 0, n, true);
    expect([0, 27, 28, 47, 48, 83, 84].map(cut)).toEqual([0, 0, 28, 28, 48, 48, 84]);
    // A second section, big-endian, after the little-endian one.
    const two = new Uint8Array(PCAPNG_LE.length + SHB_BE.length);
    two.set(PCAPNG_LE, 0);
    two.set(SHB_BE, PCAPNG_LE.length);
    expect(wholeRecordBytes(FRAMING_PCAPNG_LE, two, 0, two.length, true)).toBe(two.length);
  });

  it('a later write call in a section of the other byte order: blocks are told by their trailing length', () => {
    // Big-endian enhanced packet blocks of 256 and 100 bytes: read little-endian, 256 (00 00 01 00)
    // would be 65536, a plausible length; its trailer does not repeat it, so the walk switches order.
    const beEpb = (total: number): Uint8Array => {
      const b = new Uint8Array(total);
      const dv = new DataView(b.buffer);
      dv.setUint32(0, 6);
      dv.setUint32(4, total);
      dv.setUint32(20, total - 32);
      dv.setUint32(24, total - 32);
      dv.setUint32(total - 4, total);
      return b;
    };
    const blocks = [beEpb(256), ...Array.from({ length: 700 }, () => beEpb(100))];
    const call = new Uint8Array(blocks.reduce((n, b) => n + b.length, 0));
    let at = 0;
    for (const b of blocks) {
      call.set(b, at);
      at += b.length;
    }
    expect(wholeRecordBytes(FRAMING_PCAPNG_LE, call, 0, call.length, false)).toBe(call.length);
    expect(wholeRecordBytes(FRAMING_PCAPNG_LE, call, 0, 256 + 150, false)).toBe(356);
  });

  it('a block length that makes no sense stops the walk there (cut back further, never into a block)', () => {
    const bad = PCAPNG_LE.slice();
    bad[28 + 4] = 3; // the IDB claims 3 bytes
    expect(wholeRecordBytes(FRAMING_PCAPNG_LE, bad, 0, bad.length, true)).toBe(28);
  });

  it('JSON Lines: up to the last newline', () => {
    const text = new TextEncoder().encode('{"a":1}\n{"b":2}\n{"c"');
    expect(wholeRecordBytes(FRAMING_LINES, text, 0, text.length, true)).toBe(16);
    expect(wholeRecordBytes(FRAMING_LINES, text, 0, 7, true)).toBe(0);
  });

  it('unknown framing keeps nothing of the failed write', () => {
    expect(wholeRecordBytes(FRAMING_NONE, PCAP_LE, 0, PCAP_LE.length, true)).toBe(0);
  });
});

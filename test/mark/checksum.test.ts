/**
 * checksumAdjust (RFC 1624 equation 3) against known values and against a
 * full RFC 1071 recomputation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checksumAdjust } from '../../src/mark/checksum.js';
import { ipv4HeaderChecksum } from '../../src/parse/ipv4.js';
import { hex, ipv4ChecksumOf, ipv4ChecksumValid, onesSum, rd16 } from '../support/bytes.js';

describe('checksumAdjust known values', () => {
  it('RFC 1624 section 4 example: 0xDD2F with 0x5555 -> 0x3285 gives 0x0000 (eqn 3, not 0xFFFF of eqn 2)', () => {
    expect(checksumAdjust(0xdd2f, 0x5555, 0x3285)).toBe(0x0000);
  });

  it('re-marking a real header from DS 0x00 to EF (0xb8) gives the checksum of the EF header', () => {
    // before: 45 00 00 1c 12 34 00 00 40 11 54 9b 0a 00 00 01 0a 00 00 02
    // after:  45 b8 00 1c 12 34 00 00 40 11 53 e3 0a 00 00 01 0a 00 00 02
    const before = hex('45 00 00 1c 12 34 00 00 40 11 54 9b 0a 00 00 01 0a 00 00 02');
    const after = hex('45 b8 00 1c 12 34 00 00 40 11 53 e3 0a 00 00 01 0a 00 00 02');
    expect(ipv4ChecksumValid(before, 0, 20)).toBe(true);
    expect(ipv4ChecksumValid(after, 0, 20)).toBe(true);
    expect(checksumAdjust(0x549b, 0x4500, 0x45b8)).toBe(0x53e3);
    // and back again
    expect(checksumAdjust(0x53e3, 0x45b8, 0x4500)).toBe(0x549b);
  });

  it('results stay 16-bit for extreme inputs', () => {
    for (const c of [0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff]) {
      for (const [m, n] of [
        [0, 0xffff],
        [0xffff, 0],
        [0x1234, 0xfedc],
      ]) {
        const r = checksumAdjust(c, m, n);
        expect(Number.isInteger(r) && r >= 0 && r <= 0xffff).toBe(true);
      }
    }
  });

  it('ipv4HeaderChecksum (src helper) agrees with an independent RFC 1071 computation', () => {
    const h = hex('46 00 00 20 12 35 00 00 40 11 51 95 0a 00 00 01 0a 00 00 02 01 01 01 00');
    expect(ipv4HeaderChecksum(h, 0, 24)).toBe(0x5195);
    expect(ipv4ChecksumOf(h, 0, 24)).toBe(0x5195);
  });
});

/** A random IPv4-like header: version 4, IHL 5..15 in the first byte, so the first word is never 0. */
const arbHeader = fc
  .tuple(fc.integer({ min: 5, max: 15 }), fc.uint8Array({ minLength: 60, maxLength: 60 }))
  .map(([ihl, rest]) => {
    const h = rest.slice(0, ihl * 4);
    h[0] = 0x40 | ihl;
    return h;
  });

describe('checksumAdjust properties', () => {
  it('equals a full recomputation whenever the input checksum was valid (any word changed)', () => {
    fc.assert(
      fc.property(arbHeader, fc.nat(), fc.integer({ min: 0, max: 0xffff }), (h, wordSeed, newWord) => {
        const len = h.length;
        const c = ipv4ChecksumOf(h, 0, len);
        h[10] = c >>> 8;
        h[11] = c & 0xff;
        // Any 16-bit word but the checksum itself; word 0 keeps a non-zero version nibble.
        const words = len / 2;
        let w = wordSeed % words;
        if (w === 5) w = 1;
        if (w === 0) newWord = (newWord & 0x0fff) | 0x4000;
        const oldWord = rd16(h, 2 * w);
        h[2 * w] = newWord >>> 8;
        h[2 * w + 1] = newWord & 0xff;
        const adjusted = checksumAdjust(c, oldWord, newWord);
        expect(adjusted).toBe(ipv4ChecksumOf(h, 0, len));
      }),
      { numRuns: 1000 },
    );
  });

  it('equals a full recomputation for DS-byte changes (the word qosmark changes)', () => {
    fc.assert(
      fc.property(arbHeader, fc.integer({ min: 0, max: 255 }), (h, ds) => {
        const c = ipv4ChecksumOf(h, 0, h.length);
        const oldWord = (h[0] << 8) | h[1];
        h[1] = ds;
        expect(checksumAdjust(c, oldWord, (h[0] << 8) | ds)).toBe(ipv4ChecksumOf(h, 0, h.length));
      }),
      { numRuns: 1000 },
    );
  });

  it('with an invalid input checksum, the ones-complement sum of the header incl. checksum is unchanged', () => {
    fc.assert(
      fc.property(arbHeader, fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 255 }), (h, bad, ds) => {
        h[10] = bad >>> 8;
        h[11] = bad & 0xff;
        const sumBefore = onesSum(h, 0, h.length);
        const oldWord = (h[0] << 8) | h[1];
        h[1] = ds;
        const c = checksumAdjust(bad, oldWord, (h[0] << 8) | ds);
        h[10] = c >>> 8;
        h[11] = c & 0xff;
        expect(onesSum(h, 0, h.length)).toBe(sumBefore);
      }),
      { numRuns: 1000 },
    );
  });

  it('changing a word and changing it back restores the checksum', () => {
    fc.assert(
      fc.property(arbHeader, fc.integer({ min: 0, max: 255 }), (h, ds) => {
        const c = ipv4ChecksumOf(h, 0, h.length);
        const a = (h[0] << 8) | h[1];
        const b = (h[0] << 8) | ds;
        expect(checksumAdjust(checksumAdjust(c, a, b), b, a)).toBe(c);
      }),
      { numRuns: 500 },
    );
  });
});

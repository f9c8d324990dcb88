/**
 * Number text for reports (src/format/numbers.ts), checked against the
 * implementation it replaces: Intl's en-US formatting through toLocaleString.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countOf, grouped, groupedFixed, verbFor } from '../../src/format/numbers.js';

describe('grouped', () => {
  it('separates thousands as en-US does', () => {
    expect(grouped(0)).toBe('0');
    expect(grouped(999)).toBe('999');
    expect(grouped(1000)).toBe('1,000');
    expect(grouped(1234567)).toBe('1,234,567');
    expect(grouped(-1234567)).toBe('-1,234,567');
    expect(grouped(10_000_000)).toBe('10,000,000');
  });

  it('keeps up to three fraction digits and drops trailing zeros', () => {
    expect(grouped(1234.5)).toBe('1,234.5');
    expect(grouped(0.125)).toBe('0.125');
    expect(grouped(2.0001)).toBe('2');
    expect(grouped(1e6 + 0.25)).toBe('1,000,000.25');
  });

  it('gives toLocaleString("en-US")\'s text for every safe integer', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(grouped(n)).toBe(n.toLocaleString('en-US'));
      }),
      { numRuns: 2000 },
    );
  });

  it('gives toLocaleString("en-US")\'s text for numbers with up to three binary-exact fraction digits', () => {
    // k / 8 is exact in binary, so no decimal tie is decided differently by toFixed and ICU.
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), (k) => {
        expect(grouped(k / 8)).toBe((k / 8).toLocaleString('en-US'));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves non-finite values to toLocaleString', () => {
    expect(grouped(Number.NaN)).toBe('NaN');
    expect(grouped(Infinity)).toBe(Infinity.toLocaleString('en-US'));
  });
});

describe('groupedFixed', () => {
  it('prints exactly the digits asked for', () => {
    expect(groupedFixed(1234.5, 2)).toBe('1,234.50');
    expect(groupedFixed(14.409487, 1)).toBe('14.4');
    expect(groupedFixed(1_449_716.9, 0)).toBe('1,449,717');
    expect(groupedFixed(-0.5, 3)).toBe('-0.500');
  });

  it('matches toLocaleString with fixed fraction digits on binary-exact values', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), fc.integer({ min: 0, max: 4 }), (k, digits) => {
        const v = k / 16;
        expect(groupedFixed(v, digits)).toBe(v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('countOf and verbFor', () => {
  it('counts a noun with grouping and the plural', () => {
    expect(countOf(0, 'packet')).toBe('0 packets');
    expect(countOf(1, 'packet')).toBe('1 packet');
    expect(countOf(1500, 'conversation')).toBe('1,500 conversations');
    expect(`${countOf(1, 'packet')} ${verbFor(1, 'carry', 'carries')}`).toBe('1 packet carries');
    expect(`${countOf(2, 'packet')} ${verbFor(2, 'carry', 'carries')}`).toBe('2 packets carry');
  });
});

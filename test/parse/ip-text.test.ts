/**
 * IP address text (src/parse/ip-text.ts), the one reader and writer that SDP,
 * the audit report, the generator and probe share.
 */
import * as net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp, parseIpText, parseIpv4Text, parseIpv6Text } from '../../src/parse/ip-text.js';

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));

describe('parseIpv4Text', () => {
  it('reads dotted quads of 0–255 and nothing else', () => {
    expect(hex(parseIpv4Text('192.0.2.1'))).toBe('c0000201');
    expect(hex(parseIpv4Text('0.0.0.0'))).toBe('00000000');
    expect(hex(parseIpv4Text('255.255.255.255'))).toBe('ffffffff');
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '1.2.3.4 ', '1..2.3', 'a.b.c.d', '1234.1.1.1', '01.2.3.4', '1.2.3.00']) {
      expect(parseIpv4Text(bad), bad).toBeNull();
    }
  });
});

describe('parseIpv6Text (RFC 4291 section 2.2)', () => {
  it.each([
    ['2001:db8:0:0:8:800:200c:417a', '20010db80000000000080800200c417a'],
    ['2001:DB8::8:800:200C:417A', '20010db80000000000080800200c417a'],
    ['ff01::101', 'ff010000000000000000000000000101'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['1::', '00010000000000000000000000000000'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['0:0:0:0:0:ffff:13.1.68.3', '00000000000000000000ffff0d014403'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
  ])('%s', (text, bytes) => {
    expect(hex(parseIpv6Text(text))).toBe(bytes);
  });

  it('rejects what is not an address', () => {
    for (const bad of [
      '',
      ':',
      ':::',
      '1::2::3',
      'g::1',
      '12345::1',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '::1.2.3',
      '1.2.3.4',
      '::1.2.3.4:5',
      '1.2.3.4::',
      'fe80::1%eth0',
      `${'0:'.repeat(7)}${'0'.repeat(40)}`,
    ]) {
      expect(parseIpv6Text(bad), bad).toBeNull();
    }
  });
});

describe('formatIp (RFC 5952 section 4)', () => {
  it.each([
    ['20010db8000000000000000000000001', '2001:db8::1'],
    // 4.2.2: a single zero group is not shortened.
    ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
    // 4.2.3: the longest run; the first of equal runs.
    ['20010000000000010000000000000001', '2001:0:0:1::1'],
    ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
    // 4.3: lower case, no leading zeros.
    ['20010DB8000A00000000000000000001'.toLowerCase(), '2001:db8:a::1'],
    ['00000000000000000000000000000000', '::'],
    ['00000000000000000000000000000001', '::1'],
    ['00010000000000000000000000000000', '1::'],
    ['c0000201', '192.0.2.1'],
  ])('%s → %s', (bytes, text) => {
    expect(formatIp(Buffer.from(bytes, 'hex'))).toBe(text);
  });

  it('reads an address at an offset inside a larger buffer', () => {
    const buf = Buffer.from('ffff' + 'c6120001' + '20010db8000000000000000000000002' + 'ffff', 'hex');
    expect(formatIp(buf, 2, 4)).toBe('198.18.0.1');
    expect(formatIp(buf, 6, 16)).toBe('2001:db8::2');
  });
});

describe('properties', () => {
  const address = fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 }));
  // Zero groups are what "::" is about: make them common.
  const sparseIpv6 = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((groups) => {
    const b = new Uint8Array(16);
    groups.forEach((g, i) => {
      b[2 * i] = g >> 8;
      b[2 * i + 1] = g & 0xff;
    });
    return b;
  });

  it('formatIp then parseIpText gives the same bytes back', () => {
    fc.assert(
      fc.property(fc.oneof(address, sparseIpv6), (bytes) => {
        expect(hex(parseIpText(formatIp(bytes)))).toBe(hex(bytes));
      }),
      { numRuns: 2000 },
    );
  });

  it('formatIp agrees with Node’s URL host serialisation of IPv6 (RFC 5952 as WHATWG applies it)', () => {
    fc.assert(
      fc.property(sparseIpv6, (bytes) => {
        const text = formatIp(bytes);
        expect(`[${text}]`).toBe(new URL(`http://[${text}]/`).hostname);
        // Node canonicalises from its own parse of the long form: the same text must come out.
        const long = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':');
        expect(new URL(`http://[${long}]/`).hostname).toBe(`[${text}]`);
      }),
      { numRuns: 2000 },
    );
  });

  // Node.js's own address check (net.isIP, the inet_pton rules) as the independent implementation.
  const group = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 0xffff }).map((g) => g.toString(16)) },
    { weight: 1, arbitrary: fc.constantFrom('0000', '00000', 'fffff', 'g', '', 'ABCD', '0x1') },
  );
  const octet = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 255 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom('256', '01', '00', '999', '', '1a') },
  );
  const ipv4Text = fc.array(octet, { minLength: 3, maxLength: 5 }).map((o) => o.join('.'));
  const ipv6Text = fc
    .tuple(fc.array(group, { minLength: 0, maxLength: 9 }), fc.integer({ min: -1, max: 9 }), fc.option(ipv4Text, { nil: undefined }))
    .map(([groups, gap, tail]) => {
      const parts = [...groups];
      if (gap >= 0 && gap <= parts.length) parts.splice(gap, 0, '');
      let text = parts.join(':');
      if (gap === 0) text = `:${text}`;
      if (gap === parts.length - 1) text = `${text}:`;
      return tail === undefined ? text : `${text}${text.endsWith(':') ? '' : ':'}${tail}`;
    });

  it('accepts exactly what Node.js net.isIP accepts, on address-like strings (zones, "%eth0", are for probe to strip)', () => {
    fc.assert(
      fc.property(fc.oneof(ipv4Text, ipv6Text), (text) => {
        expect(parseIpText(text) !== null, text).toBe(net.isIP(text) !== 0);
      }),
      { numRuns: 20_000 },
    );
  });

  it('reads the same bytes as the WHATWG URL parser, which serialises IPv6 hosts by RFC 5952', () => {
    fc.assert(
      fc.property(ipv6Text.filter((t) => net.isIPv6(t)), (text) => {
        expect(`[${formatIp(parseIpv6Text(text)!)}]`, text).toBe(new URL(`http://[${text}]/`).hostname);
      }),
      { numRuns: 5_000 },
    );
  });

  it('never throws on any string', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        parseIpText(s);
      }),
    );
  });
});

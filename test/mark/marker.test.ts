/**
 * DS field rewrites, CoS (PCP) rewrites and markFrame's result bits, on
 * known bytes.
 */
import { describe, expect, it } from 'vitest';
import { COS_TAG_ALL, COS_TAG_INNER, COS_TAG_MODES, COS_TAG_OUTER, COS_UNTAGGED, setCos } from '../../src/mark/cos.js';
import { KEEP_ECN_MASK, ipv4ChangeDsfield, ipv6ChangeDsfield } from '../../src/mark/dsfield.js';
import { MARKED_COS, MARKED_DSCP, MARK_NO_TAG, markFrame } from '../../src/mark/marker.js';
import { parseFrame } from '../../src/parse/frame.js';
import { ipv4Dscp, ipv4Ecn } from '../../src/parse/ipv4.js';
import { ipv6Dscp, ipv6Ecn, ipv6TrafficClass, setIpv6Dscp } from '../../src/parse/ipv6.js';
import { ParsedFrame } from '../../src/parse/parsed-frame.js';
import { setVlanPcp, vlanDei, vlanPcp, vlanVid } from '../../src/parse/vlan.js';
import { eth, hex, ipv4, ipv4ChecksumValid, ipv6, toHex, udp } from '../support/bytes.js';

describe('ipv4ChangeDsfield', () => {
  it('sets EF keeping ECN CE and updates the checksum', () => {
    // before: 45 03 00 1c 12 34 00 00 40 11 54 98 0a 00 00 01 0a 00 00 02   DS 0x03 (DSCP 0, ECN CE)
    // after:  45 bb 00 1c 12 34 00 00 40 11 53 e0 0a 00 00 01 0a 00 00 02   DS 0xbb (EF, ECN CE)
    const h = hex('45 03 00 1c 12 34 00 00 40 11 54 98 0a 00 00 01 0a 00 00 02');
    expect(ipv4ChecksumValid(h, 0, 20)).toBe(true);
    expect(ipv4ChangeDsfield(h, 0, KEEP_ECN_MASK, 46 << 2)).toBe(true);
    expect(toHex(h)).toBe('45 bb 00 1c 12 34 00 00 40 11 53 e0 0a 00 00 01 0a 00 00 02');
    expect(ipv4Dscp(h, 0)).toBe(46);
    expect(ipv4Ecn(h, 0)).toBe(3);
  });

  it('returns false and writes nothing when the byte already holds the value', () => {
    const h = hex('45 b9 00 1c 12 34 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02'); // bad checksum on purpose
    const before = h.slice();
    expect(ipv4ChangeDsfield(h, 0, KEEP_ECN_MASK, 46 << 2)).toBe(false);
    expect(toHex(h)).toBe(toHex(before));
  });

  it('works at an offset inside a bigger buffer and on a header with options', () => {
    const frame = eth(0x0800, ipv4({ proto: 17, tos: 0x02, options: [1, 1, 1, 0] }, udp(1, 2)));
    ipv4ChangeDsfield(frame, 14, KEEP_ECN_MASK, 24 << 2);
    expect(frame[15]).toBe((24 << 2) | 2);
    expect(ipv4ChecksumValid(frame, 14, 24)).toBe(true);
    expect(frame.subarray(0, 14)).toEqual(eth(0x0800, []).subarray(0, 14));
  });

  it('keeps an invalid checksum exactly as wrong as it was', () => {
    const h = ipv4({ proto: 17, checksum: 0x1111 }, udp(1, 2));
    const good = ipv4({ proto: 17 }, udp(1, 2));
    // Ones-complement arithmetic: the error is preserved modulo 0xffff.
    const mod = (x: number) => ((x % 0xffff) + 0xffff) % 0xffff;
    const errBefore = mod(rd(good) - 0x1111);
    expect(errBefore).not.toBe(0);
    ipv4ChangeDsfield(h, 0, KEEP_ECN_MASK, 46 << 2);
    ipv4ChangeDsfield(good, 0, KEEP_ECN_MASK, 46 << 2);
    expect(ipv4ChecksumValid(good, 0, 20)).toBe(true);
    expect(mod(rd(good) - rd(h))).toBe(errBefore);
    function rd(b: Uint8Array) {
      return (b[10] << 8) | b[11];
    }
  });
});

describe('IPv6 traffic class', () => {
  // 0000  6a bc de f0: version 6, TC 0xab (DSCP 42, ECN 3), flow label 0xcdef0
  const head = () => hex('6a bc de f0 00 00 11 40');

  it('getters read DSCP, ECN and the traffic class across bytes 0-1', () => {
    const h = head();
    expect(ipv6TrafficClass(h, 0)).toBe(0xab);
    expect(ipv6Dscp(h, 0)).toBe(42);
    expect(ipv6Ecn(h, 0)).toBe(3);
  });

  it.each([
    [0, '60 3c de f0'],
    [46, '6b bc de f0'],
    [63, '6f fc de f0'],
    [10, '62 bc de f0'],
  ])('ipv6ChangeDsfield to DSCP %i keeps version, ECN and flow label: %s', (dscp, want) => {
    const h = head();
    const changed = ipv6ChangeDsfield(h, 0, KEEP_ECN_MASK, dscp << 2);
    expect(toHex(h.subarray(0, 4))).toBe(want);
    expect(changed).toBe(dscp !== 42);
    // setIpv6Dscp does the same job
    const g = head();
    setIpv6Dscp(g, 0, dscp);
    expect(toHex(g.subarray(0, 4))).toBe(want);
  });

  it('ipv6ChangeDsfield returns false when the traffic class already matches', () => {
    const h = head();
    expect(ipv6ChangeDsfield(h, 0, KEEP_ECN_MASK, 42 << 2)).toBe(false);
    expect(toHex(h)).toBe(toHex(head()));
  });
});

describe('VLAN PCP', () => {
  it('reads PCP/DEI/VID and setVlanPcp touches only the PCP bits', () => {
    // TCI b0 64: PCP 5, DEI 1, VID 100
    const t = hex('b0 64');
    expect([vlanPcp(t, 0), vlanDei(t, 0), vlanVid(t, 0)]).toEqual([5, 1, 100]);
    setVlanPcp(t, 0, 2);
    expect(toHex(t)).toBe('50 64');
    setVlanPcp(t, 0, 7);
    expect(toHex(t)).toBe('f0 64');
    setVlanPcp(t, 0, 0);
    expect(toHex(t)).toBe('10 64');
  });
});

function parsed(frame: Uint8Array): ParsedFrame {
  const p = new ParsedFrame();
  parseFrame(frame, 0, frame.length, frame.length, 1, p);
  return p;
}

const threeTags = () =>
  eth(0x0800, ipv4({ proto: 17 }, udp(1, 2)), [
    { tpid: 0x88a8, pcp: 1, dei: 1, vid: 0xabc },
    { tpid: 0x9100, pcp: 2, vid: 0x123 },
    { tpid: 0x8100, pcp: 3, dei: 1, vid: 7 },
  ]);

describe('setCos', () => {
  const pcps = (f: Uint8Array) => [14, 18, 22].map((o) => f[o] >>> 5);

  it('outer mode changes only the outermost tag', () => {
    const f = threeTags();
    expect(setCos(f, parsed(f), 5, COS_TAG_OUTER)).toBe(1);
    expect(pcps(f)).toEqual([5, 2, 3]);
  });

  it('inner mode changes only the innermost tag', () => {
    const f = threeTags();
    expect(setCos(f, parsed(f), 5, COS_TAG_INNER)).toBe(1);
    expect(pcps(f)).toEqual([1, 2, 5]);
  });

  it('all mode changes every tag and counts only the ones that differed', () => {
    const f = threeTags();
    expect(setCos(f, parsed(f), 2, COS_TAG_ALL)).toBe(2);
    expect(pcps(f)).toEqual([2, 2, 2]);
    expect(setCos(f, parsed(f), 2, COS_TAG_ALL)).toBe(0);
  });

  it('keeps DEI and VID of every tag', () => {
    const f = threeTags();
    const before = f.slice();
    setCos(f, parsed(f), 7, COS_TAG_ALL);
    for (const o of [14, 18, 22]) {
      expect(f[o] & 0x1f).toBe(before[o] & 0x1f);
      expect(f[o + 1]).toBe(before[o + 1]);
    }
  });

  it('a single tag is both outer and inner', () => {
    for (const mode of [COS_TAG_OUTER, COS_TAG_INNER, COS_TAG_ALL]) {
      const f = eth(0x0800, ipv4({ proto: 17 }, udp(1, 2)), [{ tpid: 0x8100, pcp: 0, vid: 9 }]);
      expect(setCos(f, parsed(f), 6, mode)).toBe(1);
      expect(f[14] >>> 5).toBe(6);
    }
  });

  it('an untagged frame reports COS_UNTAGGED and is not touched', () => {
    const f = eth(0x0800, ipv4({ proto: 17 }, udp(1, 2)));
    const before = f.slice();
    expect(setCos(f, parsed(f), 5, COS_TAG_ALL)).toBe(COS_UNTAGGED);
    expect(toHex(f)).toBe(toHex(before));
  });

  it('the CLI names map to the modes', () => {
    expect(COS_TAG_MODES).toEqual({ outer: COS_TAG_OUTER, inner: COS_TAG_INNER, all: COS_TAG_ALL });
  });
});

describe('markFrame', () => {
  it('sets DSCP and CoS and reports both', () => {
    const f = eth(0x0800, ipv4({ proto: 17, tos: 0x01 }, udp(1, 2)), [{ tpid: 0x8100, pcp: 0, vid: 5 }]);
    const r = markFrame(f, parsed(f), 46, 5, COS_TAG_OUTER);
    expect(r).toBe(MARKED_DSCP | MARKED_COS);
    expect(f[19]).toBe((46 << 2) | 1);
    expect(f[14] >>> 5).toBe(5);
    expect(ipv4ChecksumValid(f, 18, 20)).toBe(true);
  });

  it('KEEP (-1) leaves the field as found', () => {
    const f = eth(0x0800, ipv4({ proto: 17, tos: 0x11 }, udp(1, 2)), [{ tpid: 0x8100, pcp: 4, vid: 5 }]);
    const before = f.slice();
    expect(markFrame(f, parsed(f), -1, -1, COS_TAG_OUTER)).toBe(0);
    expect(toHex(f)).toBe(toHex(before));
    expect(markFrame(f, parsed(f), -1, 1, COS_TAG_OUTER)).toBe(MARKED_COS);
    expect(f[19]).toBe(0x11);
  });

  it('a CoS for an untagged frame reports MARK_NO_TAG', () => {
    const f = eth(0x86dd, ipv6({ next: 17, tc: 0 }, udp(1, 2)));
    expect(markFrame(f, parsed(f), 46, 5, COS_TAG_OUTER)).toBe(MARKED_DSCP | MARK_NO_TAG);
    expect(ipv6Dscp(f, 14)).toBe(46);
    expect(markFrame(f, parsed(f), 46, 5, COS_TAG_OUTER)).toBe(MARK_NO_TAG);
  });

  it('nothing to change reports 0', () => {
    const f = eth(0x86dd, ipv6({ next: 17, tc: 46 << 2 }, udp(1, 2)), [{ tpid: 0x8100, pcp: 5 }]);
    expect(markFrame(f, parsed(f), 46, 5, COS_TAG_OUTER)).toBe(0);
  });
});

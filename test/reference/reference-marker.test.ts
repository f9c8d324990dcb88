/**
 * Sanity tests of the naive reference marker itself (and of the frame arbitraries).
 * Expected bytes below were computed independently (by hand / a throwaway script),
 * not by running the reference.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  BUILTIN_REF_POLICY,
  ReferenceMarker,
  ipv4ChecksumValid,
  onesSum,
  recomputeIpv4Checksum,
  rfc1624Eqn3,
  type RefPolicy,
} from './reference-marker.js';
import { arbFrame, arbMutatedFrame, arbRandomBytes, type ArbFrame } from '../support/frame-arbitraries.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const ETH = '001122334455 66778899aabb';

describe('ReferenceMarker: hand-built frames', () => {
  it('Ethernet + 802.1Q + IPv4 + UDP 49152->5060 becomes DSCP 24 / PCP 3 with a valid checksum', () => {
    // 00112233445566778899aabb  dst, src
    // 8100 1064                 802.1Q, PCP 0 DEI 1 VID 100
    // 0800                      IPv4
    // 45 01 0020 1c46 4000 40 11 0a84 0a000001 0a000002   TOS 0x01 (DSCP 0, ECN 1), checksum 0x0a84
    // c000 13c4 000c 0000 deadbeef                         UDP 49152 -> 5060
    const input = hex(`${ETH} 8100 1064 0800 450100201c46400040110a840a0000010a000002 c00013c4000c0000deadbeef`);
    // expected: TCI 0x7064 (PCP 3, DEI/VID kept), TOS 0x61 (DSCP 24, ECN 1), checksum 0x0a24
    const expected = `${ETH} 8100 7064 0800 456100201c46400040110a240a0000010a000002 c00013c4000c0000deadbeef`;
    const snapshot = toHex(input);
    const r = new ReferenceMarker(BUILTIN_REF_POLICY).mark(input, input.length, 1);
    expect(r).toMatchObject({
      status: 'ok',
      rule: 'sip',
      className: 'signalling',
      ipVersion: 4,
      srcPort: 49152,
      dstPort: 5060,
      fragment: 'none',
    });
    expect(toHex(r.out)).toBe(expected.replace(/\s+/g, ''));
    expect(ipv4ChecksumValid(r.out, 18, 20)).toBe(true);
    expect(toHex(input)).toBe(snapshot); // input untouched
  });

  it('IPv6 UDP RTP becomes EF with ECN and flow label kept (untagged: no CoS)', () => {
    // 00112233445566778899aabb 86dd
    // 6 02 12345   version 6, TC 0x02 (DSCP 0, ECN 2), flow 0x12345
    // 000c 11 40   payload 12, UDP, hop limit 64
    // 2001:db8::1 -> 2001:db8::2
    // 4e20 7530 000c 0000 80000001   UDP 20000 -> 30000
    const input = hex(
      `${ETH} 86dd 60212345000c1140 20010db8000000000000000000000001 20010db8000000000000000000000002 4e207530000c000080000001`,
    );
    // expected: TC 0xba (DSCP 46, ECN 2): 6 ba 12345
    const expected = `${ETH} 86dd 6ba12345000c1140 20010db8000000000000000000000001 20010db8000000000000000000000002 4e207530000c000080000001`;
    const r = new ReferenceMarker(BUILTIN_REF_POLICY).mark(input, input.length, 1);
    expect(r).toMatchObject({ status: 'ok', rule: 'rtp', className: 'voice', ipVersion: 6, srcPort: 20000, dstPort: 30000 });
    expect(toHex(r.out)).toBe(expected.replace(/\s+/g, ''));
  });

  it('a non-first IPv4 fragment after its first fragment takes voice; an unknown one is left alone', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    // RAW (101). First fragment: id 0xbeef, MF, offset 0, UDP 16500 -> 16500
    // 45 00 0024 beef 2000 40 11 186b c0a8010a c0a80114 | 4074 4074 05d0 0000 0000000000000000
    const first = hex('45000024beef20004011186bc0a8010ac0a80114 4074407405d00000 0000000000000000');
    const r1 = m.mark(first, first.length, 101);
    expect(r1).toMatchObject({ status: 'ok', rule: 'rtp', className: 'voice', fragment: 'first', srcPort: 16500 });
    expect(toHex(r1.out)).toBe('45b80024beef2000401117b3c0a8010ac0a801144074407405d000000000000000000000');

    // Non-first fragment: same key, offset 185 (1480 bytes), no MF, 16 bytes of data
    // 45 00 0024 beef 00b9 40 11 37b2 c0a8010a c0a80114 | 00 * 16
    const nonfirst = hex('45000024beef00b9401137b2c0a8010ac0a80114 00000000000000000000000000000000');
    const r2 = m.mark(nonfirst, nonfirst.length, 101);
    expect(r2).toMatchObject({ status: 'ok', rule: 'rtp', className: 'voice', fragment: 'nonfirst', srcPort: null, dstPort: null });
    expect(toHex(r2.out)).toBe('45b80024beef00b9401136fac0a8010ac0a8011400000000000000000000000000000000');

    // Different id 0xbef0: never saw its first fragment -> unchanged, className null
    const orphan = hex('45000024bef000b9401137b1c0a8010ac0a80114 00000000000000000000000000000000');
    const r3 = m.mark(orphan, orphan.length, 101);
    expect(r3).toMatchObject({ status: 'ok', rule: null, className: null, fragment: 'nonfirst' });
    expect(toHex(r3.out)).toBe(toHex(orphan));
  });

  it('IPv6 fragments: first fragment (frag hdr -> UDP) remembered, non-first takes its class', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    const addrs = '20010db8000000000000000000000001 20010db8000000000000000000000002';
    // 60000000 0018 2c 40 <addrs> | frag: 11 00 0001 0000abcd | UDP 40000 -> 5060 len 8 ...
    const first = hex(`60000000 0018 2c40 ${addrs} 11000001 0000abcd 9c4013c4 00100000 0000000000000000`);
    const r1 = m.mark(first, first.length, 229);
    expect(r1).toMatchObject({ status: 'ok', rule: 'sip', fragment: 'first', dstPort: 5060 });
    expect(toHex(r1.out).slice(0, 8)).toBe('66000000'); // DSCP 24
    // non-first: offset 2 (16 bytes) -> u16 = 0x0010
    const nonfirst = hex(`60000000 0010 2c40 ${addrs} 11000010 0000abcd 0000000000000000`);
    const r2 = m.mark(nonfirst, nonfirst.length, 229);
    expect(r2).toMatchObject({ status: 'ok', rule: 'sip', className: 'signalling', fragment: 'nonfirst' });
    expect(toHex(r2.out).slice(0, 8)).toBe('66000000');
  });

  it('an invalid IPv4 checksum stays exactly as wrong (RFC 1624 eqn. 3)', () => {
    // RAW: 45 02 001c 0007 0000 40 11 1234(bogus) 0a000001 0a000002 | 13c4 13c4 0008 0000 (UDP 5060)
    const input = hex('4502001c00070000401112340a0000010a000002 13c413c400080000');
    expect(onesSum(input, 0, 20)).toBe(0xab6d); // not 0xffff: invalid
    const r = new ReferenceMarker(BUILTIN_REF_POLICY).mark(input, input.length, 101);
    // TOS 0x62 (DSCP 24, ECN 2); HC' = ~(~0x1234 + ~0x4502 + 0x4562) = 0x11d4
    expect(toHex(r.out)).toBe('4562001c00070000401111d40a0000010a00000213c413c400080000');
    expect(onesSum(r.out, 0, 20)).toBe(0xab6d);
  });

  it('a valid checksum written as 0xffff (ones-complement -0) is recomputed', () => {
    // 45 00 0028 26ce 4000 40 06 ffff 0a000001 0a000002 | TCP 40000 -> 5061
    // The other header words sum to 0xffff, so both 0x0000 and 0xffff are valid.
    const input = hex('4500002826ce40004006ffff0a0000010a000002 9c4013c500000001000000005002ffff00000000');
    expect(ipv4ChecksumValid(input, 0, 20)).toBe(true);
    const r = new ReferenceMarker(BUILTIN_REF_POLICY).mark(input, input.length, 228);
    expect(r).toMatchObject({ status: 'ok', rule: 'sip' });
    expect(toHex(r.out)).toBe('4560002826ce40004006ff9f0a0000010a0000029c4013c500000001000000005002ffff00000000');
    expect(rfc1624Eqn3(0xffff, 0x4500, 0x4560)).toBe(0xff9f); // eqn. 3 agrees
  });

  it('QinQ: cosTag outer / inner / all', () => {
    // 88a8 a00a (PCP 5 DEI 0 VID 10) 8100 3014 (PCP 1 DEI 1 VID 20) 0800, IPv4 UDP 20000 -> 20000
    const ip = '4500001c000100004011 0000 0a0000010a000002 4e204e2000080000'.replace(/\s+/g, '');
    const ipBytes = hex(ip);
    const ck = recomputeIpv4Checksum(ipBytes, 0, 20);
    ipBytes[10] = ck >> 8;
    ipBytes[11] = ck & 0xff;
    const frame = hex(`${ETH} 88a8 000a 8100 3014 0800 ${toHex(ipBytes)}`);
    const tci = (out: Uint8Array, off: number) => (out[off] << 8) | out[off + 1];
    const run = (cosTag: 'outer' | 'inner' | 'all') => new ReferenceMarker(BUILTIN_REF_POLICY, cosTag).mark(frame, frame.length, 1).out;
    expect([tci(run('outer'), 14), tci(run('outer'), 18)]).toEqual([0xa00a, 0x3014]);
    expect([tci(run('inner'), 14), tci(run('inner'), 18)]).toEqual([0x000a, 0xb014]);
    expect([tci(run('all'), 14), tci(run('all'), 18)]).toEqual([0xa00a, 0xb014]);
  });

  it('TCP 443 takes https/data (keep): bytes unchanged; ICMP takes default', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    const tcp = hex('45000028000100004006 0000 0a0000010a000002 c35001bb00000000000000005002ffff00000000');
    const r = m.mark(tcp, tcp.length, 101);
    expect(r).toMatchObject({ status: 'ok', rule: 'https', className: 'data' });
    expect(toHex(r.out)).toBe(toHex(tcp));
    const icmp = hex('4500001c000100004001 0000 0a0000010a000002 0800f7ff00000000');
    expect(m.mark(icmp, icmp.length, 101)).toMatchObject({ status: 'ok', rule: null, className: 'default', srcPort: null });
  });

  it('link types: NULL both orders, LOOP network order only, SLL, SLL2, unsupported', () => {
    const ip = '4500001c00010000401100000a0000010a00000213c413c400080000';
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    expect(m.mark(hex(`02000000 ${ip}`), 32, 0)).toMatchObject({ status: 'ok', rule: 'sip' });
    expect(m.mark(hex(`00000002 ${ip}`), 32, 0)).toMatchObject({ status: 'ok', rule: 'sip' });
    expect(m.mark(hex(`00000002 ${ip}`), 32, 108)).toMatchObject({ status: 'ok', rule: 'sip' });
    expect(m.mark(hex(`02000000 ${ip}`), 32, 108)).toMatchObject({ status: 'not-ip', ipVersion: 0 });
    expect(m.mark(hex(`00000018 ${ip}`), 32, 0)).toMatchObject({ status: 'malformed', ipVersion: 6 }); // AF says v6, header is v4
    // SLL: pkttype 0000, hatype 0001, halen 0006, addr 8 bytes, protocol 0800
    expect(m.mark(hex(`0000 0001 0006 66778899aabb0000 0800 ${ip}`), 44, 113)).toMatchObject({ status: 'ok', rule: 'sip' });
    // SLL2: protocol 0800, reserved, ifindex, hatype, pkttype, halen, addr
    expect(m.mark(hex(`0800 0000 00000002 0001 00 06 66778899aabb0000 ${ip}`), 48, 276)).toMatchObject({ status: 'ok' });
    const u = hex(ip);
    const ru = m.mark(u, u.length, 105);
    expect(ru).toMatchObject({ status: 'unsupported', ipVersion: 0, rule: null, className: null });
    expect(toHex(ru.out)).toBe(ip);
    expect(m.mark(hex(`${ETH} 0806 0001`), 16, 1)).toMatchObject({ status: 'not-ip' });
    expect(m.mark(hex(`5500001c`), 4, 101)).toMatchObject({ status: 'malformed' });
  });

  it('truncated vs malformed', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    const full = hex(`${ETH} 0800 4500001c00010000401100000a0000010a00000213c413c400080000`);
    // snap inside the IPv4 header, wire is long enough -> truncated
    expect(m.mark(full.subarray(0, 20), full.length, 1).status).toBe('truncated');
    // same bytes, but the wire length claims the frame really ended there -> malformed
    expect(m.mark(full.subarray(0, 20), 20, 1).status).toBe('malformed');
    // ports cut by the snap length -> truncated; total length too small for ports -> malformed
    expect(m.mark(full.subarray(0, 36), full.length, 1).status).toBe('truncated');
    const short = full.slice();
    short[17] = 0x16; // total length 22: ports would end at 24
    expect(m.mark(short, short.length, 1).status).toBe('malformed');
    const badIhl = full.slice();
    badIhl[14] = 0x44;
    expect(m.mark(badIhl, badIhl.length, 1).status).toBe('malformed');
    // total length past the wire
    const longTl = full.slice();
    longTl[17] = 0x40;
    expect(m.mark(longTl, longTl.length, 1).status).toBe('malformed');
    expect(m.mark(longTl, longTl.length + 36, 1).status).toBe('ok');
  });

  it('9 VLAN tags and 9 IPv6 extension headers are malformed, 8 are fine', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    const ip = '4500001c00010000401100000a0000010a00000213c413c400080000';
    const mk = (n: number) => {
      // dst src | TPID TCI ... | 0800 | IP
      let s = ETH.replace(/\s+/g, '');
      for (let i = 0; i < n; i++) s += '8100' + '0001';
      return hex(s + '0800' + ip);
    };
    expect(m.mark(mk(8), mk(8).length, 1)).toMatchObject({ status: 'ok', rule: 'sip' });
    expect(m.mark(mk(9), mk(9).length, 1).status).toBe('malformed');

    const addrs = '20010db8000000000000000000000001 20010db8000000000000000000000002';
    const v6 = (n: number) => {
      let exts = '';
      for (let i = 0; i < n; i++) exts += (i + 1 < n ? '3c' : '11') + '00 000000000000'; // dest opts, 8 bytes
      const udp = '13c413c400080000';
      const plen = (n * 8 + 8).toString(16).padStart(4, '0');
      return hex(`60000000 ${plen} ${n > 0 ? '3c' : '11'} 40 ${addrs} ${exts} ${udp}`);
    };
    expect(m.mark(v6(8), v6(8).length, 229)).toMatchObject({ status: 'ok', rule: 'sip' });
    expect(m.mark(v6(9), v6(9).length, 229).status).toBe('malformed');
  });

  it('never mutates a Buffer input (Buffer.slice shares memory)', () => {
    const buf = Buffer.from('4500001c00010000401100000a0000010a00000213c413c400080000', 'hex');
    const r = new ReferenceMarker(BUILTIN_REF_POLICY).mark(buf, buf.length, 101);
    expect(r.out[1]).toBe(0x60);
    expect(buf[1]).toBe(0x00);
  });

  it('constructor rejects rules naming unknown classes', () => {
    const p: RefPolicy = {
      classes: {},
      default: { dscp: 'keep', cos: 'keep' },
      rules: [{ name: 'x', protocols: ['udp'], ports: [1], side: 'src', className: 'nope' }],
    };
    expect(() => new ReferenceMarker(p)).toThrow();
  });
});

describe('RFC 1624 eqn. 3 vs full recomputation', () => {
  it('agree for every valid IPv4 header (version 4) and any TOS change', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 15 }),
        fc.uint8Array({ minLength: 60, maxLength: 60 }),
        fc.integer({ min: 0, max: 255 }),
        fc.boolean(),
        (ihl, raw, newTos, negZero) => {
          const len = ihl * 4;
          const h = raw.slice(0, len);
          h[0] = 0x40 | ihl;
          h[10] = 0;
          h[11] = 0;
          if (negZero) {
            // force the other words to sum to 0xffff so that 0xffff is also a valid checksum
            h[4] = 0;
            h[5] = 0;
            const t = onesSum(h, 0, len);
            h[4] = (~t >> 8) & 0xff;
            h[5] = ~t & 0xff;
            h[10] = 0xff;
            h[11] = 0xff;
          } else {
            const ck = recomputeIpv4Checksum(h, 0, len);
            h[10] = ck >> 8;
            h[11] = ck & 0xff;
          }
          expect(ipv4ChecksumValid(h, 0, len)).toBe(true);
          const hc = (h[10] << 8) | h[11];
          const m = (h[0] << 8) | h[1];
          const after = h.slice();
          after[1] = newTos;
          const m2 = (after[0] << 8) | after[1];
          expect(rfc1624Eqn3(hc, m, m2)).toBe(recomputeIpv4Checksum(after, 0, len));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('ReferenceMarker over the arbitraries', () => {
  const check = (f: ArbFrame, m: ReferenceMarker) => {
    expect(f.bytes.length).toBe(f.capLen);
    const before = toHex(f.bytes);
    const r = m.mark(f.bytes, f.wireLen, f.linkType);
    expect(toHex(f.bytes)).toBe(before);
    expect(r.out.length).toBe(f.capLen);
    if (r.status !== 'ok' || r.className === null) expect(toHex(r.out)).toBe(before);
    return r;
  };

  it('never throws; unchanged unless ok and classified (structured, sequences)', () => {
    fc.assert(
      fc.property(fc.array(arbFrame(), { maxLength: 12 }), (frames) => {
        const m = new ReferenceMarker(BUILTIN_REF_POLICY, 'all');
        for (const f of frames) {
          const r = check(f, m);
          if (r.status === 'ok' && r.ipVersion === 4 && r.className !== null) {
            // valid-in => valid-out, invalid-in => header sum unchanged
            const ipOff = findIpv4(f);
            if (ipOff !== null) {
              const hl = (f.bytes[ipOff] & 0x0f) * 4;
              if (ipv4ChecksumValid(f.bytes, ipOff, hl)) expect(ipv4ChecksumValid(r.out, ipOff, hl)).toBe(true);
              else expect(onesSum(r.out, ipOff, hl) % 0xffff).toBe(onesSum(f.bytes, ipOff, hl) % 0xffff);
            }
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('arbFrame mostly yields ok frames, with a spread of statuses and classes', () => {
    const stats = new Map<string, number>();
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    for (const f of fc.sample(arbFrame(), { numRuns: 3000, seed: 42 })) {
      const r = check(f, m);
      for (const k of [r.status, `class:${r.className}`, `frag:${r.fragment}`, `lt:${f.linkType}`]) stats.set(k, (stats.get(k) ?? 0) + 1);
    }
    expect(stats.get('ok')! / 3000).toBeGreaterThan(0.7);
    for (const k of ['class:voice', 'class:signalling', 'class:data', 'class:default', 'frag:first', 'frag:nonfirst', 'not-ip', 'malformed'])
      expect(stats.get(k) ?? 0, k).toBeGreaterThan(0);
  });

  it('sequences of arbFrame() often pair a non-first fragment with its first fragment', () => {
    let hits = 0;
    for (const frames of fc.sample(fc.array(arbFrame(), { minLength: 5, maxLength: 30 }), { numRuns: 200, seed: 11 })) {
      const m = new ReferenceMarker(BUILTIN_REF_POLICY);
      for (const f of frames) {
        const r = m.mark(f.bytes, f.wireLen, f.linkType);
        if (r.fragment === 'nonfirst' && r.className !== null) hits++;
      }
    }
    expect(hits).toBeGreaterThan(20);
  });

  it('never throws on mutated frames and random bytes', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY, 'inner');
    fc.assert(fc.property(arbMutatedFrame(), (f) => void check(f, m)), { numRuns: 2000 });
    fc.assert(fc.property(arbRandomBytes(), (f) => void check(f, m)), { numRuns: 2000 });
  });

  it('mutated frames reach every status', () => {
    const m = new ReferenceMarker(BUILTIN_REF_POLICY);
    const seen = new Set<string>();
    for (const f of fc.sample(arbMutatedFrame(), { numRuns: 3000, seed: 7 })) seen.add(m.mark(f.bytes, f.wireLen, f.linkType).status);
    for (const f of fc.sample(arbRandomBytes(), { numRuns: 500, seed: 7 })) seen.add(m.mark(f.bytes, f.wireLen, f.linkType).status);
    expect([...seen].sort()).toEqual(['malformed', 'not-ip', 'ok', 'truncated', 'unsupported']);
  });
});

/** Locate the IPv4 header offset of a well-formed frame (test helper, link-layer only). */
function findIpv4(f: ArbFrame): number | null {
  const b = f.bytes;
  const u16 = (o: number) => (b[o] << 8) | b[o + 1];
  let typeOff: number;
  let off: number;
  switch (f.linkType) {
    case 1:
      typeOff = 12;
      off = 14;
      break;
    case 113:
      typeOff = 14;
      off = 16;
      break;
    case 276:
      typeOff = 0;
      off = 20;
      break;
    case 0:
    case 108:
      return 4;
    default:
      return 0;
  }
  let t = u16(typeOff);
  while (t === 0x8100 || t === 0x88a8 || t === 0x9100) {
    t = u16(off + 2);
    off += 4;
  }
  return t === 0x0800 ? off : null;
}

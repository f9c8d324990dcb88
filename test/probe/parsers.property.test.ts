import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseExtension, parseIcmpV4, parseIcmpV4Packet, parseIcmpV6, parseQuote, parseTcpReply } from '../../src/probe/icmp.js';
import { ipv6Start, parseUdp4, parseUdp6 } from '../../src/probe/raw.js';
import { decodeReflectorPacket, decodeSenderPacket, decodeTlvs, reflect } from '../../src/probe/stamp.js';
import { addressBytes, buildUdpPacket } from '../../src/probe/wire.js';
import { formatIp } from '../../src/parse/ip-text.js';
import { icmpV4Error, icmpV6Error } from './icmp-builders.js';

const bytes = fc.uint8Array({ minLength: 0, maxLength: 700 });
const RUNS = { numRuns: 2000 };

/** Random bytes that start like the real thing, so the parsers get past their first checks. */
const icmpish = fc.tuple(fc.constantFrom(3, 11, 1), fc.nat(16), bytes).map(([type, code, rest]) => Uint8Array.from([type, code, 0, 0, 0, rest[0] ?? 0, 0, 0, 0x45, ...rest]));

describe('parsers never throw on random bytes (fast-check)', () => {
  it('ICMPv4 (with and without the outer header), ICMPv6, quotes, extensions, TCP', () => {
    fc.assert(
      fc.property(fc.oneof(bytes, icmpish), (b) => {
        parseIcmpV4Packet(b);
        parseIcmpV4(b, 'x');
        parseIcmpV6(b, 'x');
        parseQuote(b);
        parseExtension(b);
        parseExtension(b, true);
        parseTcpReply(4, b, 'x');
        parseTcpReply(6, b, 'x');
        parseUdp4(b);
        parseUdp6(b);
        ipv6Start('LINKTYPE_ETHERNET', b);
        ipv6Start('LINKTYPE_LINUX_SLL', b);
        ipv6Start('LINKTYPE_LINUX_SLL2', b);
      }),
      RUNS,
    );
  });

  it('valid ICMP errors around random quotes parse or give null, never throw', () => {
    fc.assert(
      fc.property(bytes, fc.constantFrom(3, 11), fc.nat(15), (quote, type, code) => {
        const withVersion = Uint8Array.from([0x45, ...quote]);
        const r = parseIcmpV4Packet(icmpV4Error(type, code, '10.0.0.1', '10.0.0.2', withVersion));
        if (r !== null) expect(r.quote.family).toBe(4);
        const r6 = parseIcmpV6(icmpV6Error(type === 11 ? 3 : 1, code, Uint8Array.from([0x60, ...quote])), 'x');
        if (r6 !== null) expect(r6.quote.family).toBe(6);
      }),
      RUNS,
    );
  });

  it('STAMP: decoders and the reflector', () => {
    fc.assert(
      fc.property(bytes, fc.nat(255), fc.nat(255), (b, tos, ttl) => {
        decodeSenderPacket(b);
        decodeReflectorPacket(b);
        decodeTlvs(b);
        const r = reflect(b, { tos, ttl, receivedMs: 0 }, 0);
        if (r !== null) {
          expect(r.packet.length).toBe(b.length);
          expect(r.dscp).toBeGreaterThanOrEqual(0);
          expect(r.dscp).toBeLessThan(64);
        }
      }),
      RUNS,
    );
  });

  it('an IPv4 or IPv6 UDP packet round-trips its quoted fields', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.nat(255), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 0xffff }), fc.nat(0xffff), fc.nat(0xffff), (six, tos, ttl, id, sp, dp) => {
        const src = addressBytes(six ? '2001:db8::1' : '198.18.0.1')!;
        const dst = addressBytes(six ? '2001:db8::2' : '198.18.0.2')!;
        const p = buildUdpPacket({ family: six ? 6 : 4, src, dst, tos, ttl, ipId: id, flowLabel: id }, sp, dp, new Uint8Array(4));
        const q = parseQuote(p)!;
        expect([q.tos, q.ttl, q.srcPort, q.dstPort, q.dst]).toEqual([tos, ttl, sp, dp, formatIp(dst)]);
        expect(six ? q.flowLabel : q.ipId).toBe(id);
      }),
      { numRuns: 500 },
    );
  });
});

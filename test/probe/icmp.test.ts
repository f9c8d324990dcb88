import { describe, expect, it } from 'vitest';
import { parseExtension, parseIcmpV4, parseIcmpV4Packet, parseIcmpV6, parseQuote, parseTcpReply } from '../../src/probe/icmp.js';
import { addressBytes, buildTcpSynPacket, buildUdpPacket, type PacketSpec } from '../../src/probe/wire.js';
import { icmpV4Error, icmpV6Error, mplsExtension } from './icmp-builders.js';

const spec4: PacketSpec = {
  family: 4,
  src: addressBytes('198.18.10.1')!,
  dst: addressBytes('198.18.13.2')!,
  tos: (46 << 2) | 2,
  ttl: 1,
  ipId: 0x4242,
  flowLabel: 0,
};
const spec6: PacketSpec = {
  family: 6,
  src: addressBytes('2001:db8:a:10::1')!,
  dst: addressBytes('2001:db8:a:13::2')!,
  tos: (46 << 2) | 2,
  ttl: 1,
  ipId: 0,
  flowLabel: 0x4242,
};
const payload = Uint8Array.from([0x71, 0x6d, 0x70, 0x62, 0x42, 0x42, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/** A router re-marked the probe to CS0 (DS field 0x02: CS0 | ECT(0)) before quoting it. */
function remarked(p: Uint8Array, family: 4 | 6): Uint8Array {
  const q = Uint8Array.from(p);
  if (family === 4) q[1] = 0x02;
  else {
    q[0] = 0x60;
    q[1] = (q[1] & 0x0f) | 0x20;
  }
  return q;
}

describe('ICMPv4 errors', () => {
  const probe = buildUdpPacket(spec4, 16384, 16384, payload);

  it('Time Exceeded quoting 8 bytes past the header (RFC 792 minimum)', () => {
    const e = parseIcmpV4Packet(icmpV4Error(11, 0, '198.18.11.2', '198.18.10.1', remarked(probe, 4).subarray(0, 28)), '198.18.11.2')!;
    expect(e).toMatchObject({ family: 4, from: '198.18.11.2', kind: 'time-exceeded', type: 11, code: 0, originalLength: null, extension: null });
    expect(e.quote).toMatchObject({ dscp: 0, ecn: 2, ttl: 1, ipId: 0x4242, protocol: 17, srcPort: 16384, dstPort: 16384, dst: '198.18.13.2' });
  });

  it('Destination Unreachable (port) quoting the whole probe', () => {
    const e = parseIcmpV4Packet(icmpV4Error(3, 3, '198.18.13.2', '198.18.10.1', probe), '198.18.13.2')!;
    expect(e).toMatchObject({ kind: 'unreachable', reason: 'port' });
    expect(e.quote).toMatchObject({ dscp: 46, ecn: 2, ipId: 0x4242 });
    expect(Array.from(e.quote.payload.subarray(0, 6))).toEqual([0x71, 0x6d, 0x70, 0x62, 0x42, 0x42]);
  });

  it('RFC 4884: length in 32-bit words, an MPLS extension after the 128-byte original datagram', () => {
    const e = parseIcmpV4Packet(icmpV4Error(11, 0, '198.18.11.2', '198.18.10.1', probe, { rfc4884Length: 128, extension: mplsExtension(16) }))!;
    expect(e.originalLength).toBe(128);
    expect(e.extension).toEqual({ version: 2, objects: [{ classNum: 1, cType: 1, length: 8 }] });
    expect(e.quote.dscp).toBe(46);
  });

  it('pre-RFC 4884 layout: no length, a valid extension at byte 128', () => {
    const msg = icmpV4Error(11, 0, '198.18.11.2', '198.18.10.1', new Uint8Array([...padded(probe), ...mplsExtension(16)]));
    const e = parseIcmpV4Packet(msg)!;
    expect(e.originalLength).toBeNull();
    expect(e.extension?.objects[0].classNum).toBe(1);
    expect(e.quote.ipId).toBe(0x4242);
  });

  it('a TCP SYN quote gives the sequence number', () => {
    const syn = buildTcpSynPacket({ ...spec4, tos: 24 << 2 }, 40000, 5060, 0x716d4242);
    const e = parseIcmpV4Packet(icmpV4Error(11, 0, '198.18.11.2', '198.18.10.1', syn.subarray(0, 28)))!;
    expect(e.quote).toMatchObject({ protocol: 6, srcPort: 40000, dstPort: 5060, tcpSeq: 0x716d4242, dscp: 24 });
  });

  it('ignores without throwing: truncated, echo reply, bad checksum, fragment reassembly, non-IP quote', () => {
    const good = icmpV4Error(11, 0, '198.18.11.2', '198.18.10.1', probe);
    for (let n = 0; n < good.length; n += 7) expect(() => parseIcmpV4Packet(good.subarray(0, n))).not.toThrow();
    expect(parseIcmpV4Packet(good.subarray(0, 20 + 8 + 19))).toBeNull();
    expect(parseIcmpV4Packet(icmpV4Error(0, 0, '198.18.11.2', '198.18.10.1', probe))).toBeNull();
    expect(parseIcmpV4Packet(icmpV4Error(11, 1, '198.18.11.2', '198.18.10.1', probe))).toBeNull();
    const bad = Uint8Array.from(good);
    bad[30] ^= 0xff;
    expect(parseIcmpV4Packet(bad)).toBeNull();
    const garbage = new Uint8Array(40).fill(0x11);
    expect(parseIcmpV4Packet(icmpV4Error(11, 0, '198.18.11.2', '198.18.10.1', garbage))).toBeNull();
    expect(parseIcmpV4(new Uint8Array(8), 'x')).toBeNull();
  });
});

function padded(p: Uint8Array): Uint8Array {
  const out = new Uint8Array(128);
  out.set(p.subarray(0, 128));
  return out;
}

describe('ICMPv6 errors', () => {
  const probe = buildUdpPacket(spec6, 16384, 16384, payload);

  it('Time Exceeded (type 3) quoting the IPv6 header as received', () => {
    const e = parseIcmpV6(icmpV6Error(3, 0, remarked(probe, 6)), '2001:db8:a:11::2')!;
    expect(e).toMatchObject({ family: 6, kind: 'time-exceeded', from: '2001:db8:a:11::2' });
    expect(e.quote).toMatchObject({ dscp: 0, ecn: 2, ttl: 1, flowLabel: 0x4242, ipId: null, srcPort: 16384, dst: '2001:db8:a:13::2' });
  });

  it('Destination Unreachable (type 1, code 4: port)', () => {
    const e = parseIcmpV6(icmpV6Error(1, 4, probe), '2001:db8:a:13::2')!;
    expect(e).toMatchObject({ kind: 'unreachable', reason: 'port' });
    expect(e.quote.dscp).toBe(46);
  });

  it('RFC 4884: length in 64-bit words, extension after 128 bytes', () => {
    const long = buildUdpPacket(spec6, 16384, 16384, new Uint8Array(120).fill(7));
    const e = parseIcmpV6(icmpV6Error(3, 0, long, { rfc4884Length: 128, extension: mplsExtension(99) }), 'r')!;
    expect(e.originalLength).toBe(128);
    expect(e.extension?.objects).toEqual([{ classNum: 1, cType: 1, length: 8 }]);
  });

  it('walks IPv6 extension headers in the quote', () => {
    const p = buildUdpPacket(spec6, 5060, 5060, payload);
    const withHbh = new Uint8Array(p.length + 8);
    withHbh.set(p.subarray(0, 40));
    withHbh[6] = 0; // hop-by-hop options
    withHbh[40] = 17; // next: UDP
    withHbh[41] = 0; // 8 bytes
    withHbh.set(p.subarray(40), 48);
    const q = parseQuote(withHbh)!;
    expect(q).toMatchObject({ protocol: 17, srcPort: 5060, dstPort: 5060 });
  });

  it('ignores truncated and unrelated ICMPv6 without throwing', () => {
    const good = icmpV6Error(3, 0, probe);
    for (let n = 0; n < good.length; n += 5) expect(() => parseIcmpV6(good.subarray(0, n), 'r')).not.toThrow();
    expect(parseIcmpV6(good.subarray(0, 8 + 39), 'r')).toBeNull();
    expect(parseIcmpV6(icmpV6Error(129, 0, probe), 'r')).toBeNull(); // echo reply
    expect(parseIcmpV6(icmpV6Error(2, 0, probe), 'r')).toBeNull(); // packet too big
    expect(parseIcmpV6(icmpV6Error(3, 0, buildUdpPacket(spec4, 1, 2, payload)), 'r')).toBeNull(); // IPv4 inside ICMPv6
  });
});

describe('RFC 4884 extension structure', () => {
  it('rejects a wrong version, a bad checksum, an object running past the end', () => {
    const ext = mplsExtension(5);
    expect(parseExtension(ext)).not.toBeNull();
    const v1 = Uint8Array.from(ext);
    v1[0] = 0x10;
    expect(parseExtension(v1)).toBeNull();
    const badSum = Uint8Array.from(ext);
    badSum[11] ^= 1;
    expect(parseExtension(badSum)).toBeNull();
    const zeroSum = Uint8Array.from(ext);
    zeroSum[2] = 0;
    zeroSum[3] = 0;
    expect(parseExtension(zeroSum)).not.toBeNull();
    expect(parseExtension(zeroSum, true)).toBeNull();
  });
});

describe('TCP replies', () => {
  it('reads a RST from an IPv4 raw socket and a bare IPv6 segment', () => {
    const syn = buildTcpSynPacket(spec4, 5060, 40000, 1);
    const r = parseTcpReply(4, syn, '198.18.13.2')!;
    expect(r).toMatchObject({ srcPort: 5060, dstPort: 40000, seq: 1, tos: (46 << 2) | 2, to: '198.18.13.2' });
    const r6 = parseTcpReply(6, buildTcpSynPacket(spec6, 5060, 40000, 9).subarray(40), 'x')!;
    expect(r6).toMatchObject({ srcPort: 5060, seq: 9, tos: null });
    expect(parseTcpReply(6, new Uint8Array(19), 'x')).toBeNull();
  });
});

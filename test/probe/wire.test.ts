import { describe, expect, it } from 'vitest';
import {
  addressBytes,
  buildTcpSynPacket,
  buildUdpPacket,
  finishChecksum,
  hexDump,
  internetChecksum,
  pseudoHeaderSum,
  sum16,
  type PacketSpec,
} from '../../src/probe/wire.js';
import { formatIp } from '../../src/parse/ip-text.js';

const payload = Uint8Array.from([0x71, 0x6d, 0x70, 0x62, 0x12, 0x34, 3, 1, 0, 0, 0, 0, 0, 0, 0, 0]);

const v4: PacketSpec = {
  family: 4,
  src: addressBytes('198.18.10.1')!,
  dst: addressBytes('198.18.13.2')!,
  tos: (46 << 2) | 2,
  ttl: 3,
  ipId: 0x1234,
  flowLabel: 0,
};

/** The transport checksum over the pseudo-header verifies to 0 (RFC 1071). */
function transportVerifies(packet: Uint8Array, headerLen: number, src: Uint8Array, dst: Uint8Array, proto: number): boolean {
  const l4 = packet.subarray(headerLen);
  return finishChecksum(sum16(l4, 0, l4.length, pseudoHeaderSum(src, dst, proto, l4.length))) === 0;
}

describe('probe packets (known bytes, computed independently with Python struct)', () => {
  it('IPv4 UDP: EF + ECT(0), TTL 3, id 0x1234, 16384 > 16384', () => {
    // 45 ba 00 2c 12 34 00 00 03 11 01 ac c6 12 0a 01 c6 12 0d 02   IPv4: tos 0xba = EF 46 | ECT(0), len 44, id 0x1234, TTL 3, UDP, csum 0x01ac
    // 40 00 40 00 00 18 e5 90                                        UDP: 16384 > 16384, len 24, csum 0xe590
    // 71 6d 70 62 12 34 03 01 00 00 00 00 00 00 00 00                payload: "qmpb", id, hop, slot, zeros
    const p = buildUdpPacket(v4, 16384, 16384, payload);
    expect(hexDump(p)).toBe(
      '45 ba 00 2c 12 34 00 00 03 11 01 ac c6 12 0a 01 c6 12 0d 02 40 00 40 00 00 18 e5 90 71 6d 70 62 12 34 03 01 00 00 00 00 00 00 00 00',
    );
    expect(internetChecksum(p, 0, 20)).toBe(0);
    expect(transportVerifies(p, 20, v4.src, v4.dst, 17)).toBe(true);
  });

  it('IPv4 TCP SYN: CS3 Not-ECT, TTL 2, seq 0x716d1234, MSS 1460', () => {
    // 45 60 00 2c 12 34 00 00 02 06 03 11 c6 12 0a 01 c6 12 0d 02   IPv4: tos 0x60 = CS3 24, TTL 2, TCP, csum 0x0311
    // 9c 40 13 c4 71 6d 12 34 00 00 00 00 60 02 fa f0 c6 67 00 00   TCP: 40000 > 5060, seq, offset 6, SYN, window 64240, csum 0xc667
    // 02 04 05 b4                                                    option: MSS 1460
    const p = buildTcpSynPacket({ ...v4, tos: 24 << 2, ttl: 2 }, 40000, 5060, 0x716d1234);
    expect(hexDump(p)).toBe(
      '45 60 00 2c 12 34 00 00 02 06 03 11 c6 12 0a 01 c6 12 0d 02 9c 40 13 c4 71 6d 12 34 00 00 00 00 60 02 fa f0 c6 67 00 00 02 04 05 b4',
    );
    expect(internetChecksum(p, 0, 20)).toBe(0);
    expect(transportVerifies(p, 20, v4.src, v4.dst, 6)).toBe(true);
  });

  it('IPv6 UDP: traffic class EF + ECT(0), flow label 0x1234, hop limit 3', () => {
    // 6b a0 12 34 00 18 11 03                                        version 6, tclass 0xba, flow 0x01234, payload 24, UDP, hop limit 3
    // 20 01 0d b8 00 0a 00 10 00 00 00 00 00 00 00 01                source 2001:db8:a:10::1
    // 20 01 0d b8 00 0a 00 13 00 00 00 00 00 00 00 02                destination 2001:db8:a:13::2
    // 40 00 40 00 00 18 2d 0d  + payload                             UDP, csum 0x2d0d
    const spec: PacketSpec = {
      family: 6,
      src: addressBytes('2001:db8:a:10::1')!,
      dst: addressBytes('2001:db8:a:13::2')!,
      tos: (46 << 2) | 2,
      ttl: 3,
      ipId: 0,
      flowLabel: 0x1234,
    };
    const p = buildUdpPacket(spec, 16384, 16384, payload);
    expect(hexDump(p)).toBe(
      '6b a0 12 34 00 18 11 03 20 01 0d b8 00 0a 00 10 00 00 00 00 00 00 00 01 20 01 0d b8 00 0a 00 13 00 00 00 00 00 00 00 02 ' +
        '40 00 40 00 00 18 2d 0d 71 6d 70 62 12 34 03 01 00 00 00 00 00 00 00 00',
    );
    expect(transportVerifies(p, 40, spec.src, spec.dst, 17)).toBe(true);
  });
});

describe('addresses', () => {
  it('parses and prints IPv4 and IPv6 (RFC 5952)', () => {
    for (const [text, out] of [
      ['198.18.0.1', '198.18.0.1'],
      ['2001:db8:a:10::1', '2001:db8:a:10::1'],
      ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::1%eth0', 'fe80::1'],
      ['::ffff:198.18.0.1', '::ffff:c612:1'],
    ]) {
      expect(formatIp(addressBytes(text)!)).toBe(out);
    }
    for (const bad of ['', '1.2.3', '256.1.1.1', '1::2::3', 'g::1', '1:2:3:4:5:6:7:8:9']) expect(addressBytes(bad)).toBeNull();
  });
});

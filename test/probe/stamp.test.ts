import { describe, expect, it } from 'vitest';
import {
  COS_VALUE_LEN,
  ERROR_ESTIMATE,
  STAMP_BASE_LEN,
  TLV_FLAG_M,
  TLV_FLAG_U,
  TLV_TYPE_COS,
  buildSenderPacket,
  decodeCosValue,
  decodeReflectorPacket,
  encodeCosValue,
  encodeSenderPacket,
  findCos,
  ntpFromUnixMs,
  reflect,
  unixMsFromNtp,
} from '../../src/probe/stamp.js';
import { hexDump } from '../../src/probe/wire.js';

const T = { seconds: 0xe7a1b2c3, fraction: 0x80000000 };

describe('Class of Service TLV value (RFC 8972 Figure 7: DSCP1 6 bits, DSCP2 6, ECN 2, RP 2, Reserved 16)', () => {
  it('as the Session-Sender sends it: DSCP1 = EF, the rest zero', () => {
    // 101110|00 0000|00|00 00000000 00000000
    expect(hexDump(encodeCosValue({ dscp1: 46, dscp2: 0, ecn: 0, rp: 0 }))).toBe('b8 00 00 00');
  });
  it('as a reflector fills it: DSCP2 = CS5 40, ECN = ECT(0), RP = 1', () => {
    // DSCP1 101110, DSCP2 101000 -> byte 0 = 101110|10 = 0xba, byte 1 = 1000|10|01 = 0x89
    expect(hexDump(encodeCosValue({ dscp1: 46, dscp2: 40, ecn: 2, rp: 1 }))).toBe('ba 89 00 00');
    expect(decodeCosValue(Uint8Array.from([0xba, 0x89, 0, 0]))).toEqual({ dscp1: 46, dscp2: 40, ecn: 2, rp: 1 });
  });
  it('round-trips every DSCP pair and ECN', () => {
    for (let d1 = 0; d1 < 64; d1 += 5) {
      for (let d2 = 0; d2 < 64; d2 += 3) {
        for (let ecn = 0; ecn < 4; ecn++) {
          expect(decodeCosValue(encodeCosValue({ dscp1: d1, dscp2: d2, ecn, rp: 0 }))).toEqual({ dscp1: d1, dscp2: d2, ecn, rp: 0 });
        }
      }
    }
    expect(decodeCosValue(new Uint8Array(3))).toBeNull();
  });
});

describe('Session-Sender packet (RFC 8762 Figure 2, SSID of RFC 8972)', () => {
  it('lays out sequence, timestamp, error estimate, SSID, 28 MBZ bytes, then the CoS TLV with U set', () => {
    const p = buildSenderPacket(0x01020304, 0xabcd, T, 46);
    expect(p.length).toBe(STAMP_BASE_LEN + 4 + COS_VALUE_LEN);
    expect(hexDump(p.subarray(0, 16))).toBe('01 02 03 04 e7 a1 b2 c3 80 00 00 00 16 01 ab cd');
    expect(p.subarray(16, 44).every((b) => b === 0)).toBe(true);
    // TLV: flags U (0x80), type 4, length 4, value
    expect(hexDump(p.subarray(44))).toBe('80 04 00 04 b8 00 00 00');
    expect(ERROR_ESTIMATE).toBe(0x1601);
  });
});

describe('stateless reflection (RFC 8762 section 4.3)', () => {
  const test = buildSenderPacket(77, 0x1234, T, 46);
  const arrival = { tos: (0 << 2) | 2, ttl: 61, receivedMs: 1_700_000_000_000 };

  it('copies the sequence number and the sender fields, records the TTL, fills DSCP2/ECN, clears U', () => {
    const r = reflect(test, arrival, 1_700_000_000_001)!;
    expect(r.dscp).toBe(46);
    expect(r.cos).toBe(true);
    expect(r.packet.length).toBe(test.length);
    const p = decodeReflectorPacket(r.packet)!;
    expect(p.seq).toBe(77);
    expect(p.ssid).toBe(0x1234);
    expect(p.senderSeq).toBe(77);
    expect(p.senderTimestamp).toEqual(T);
    expect(p.senderErrorEstimate).toBe(ERROR_ESTIMATE);
    expect(p.senderTtl).toBe(61);
    expect(Math.abs(unixMsFromNtp(p.receiveTimestamp) - arrival.receivedMs)).toBeLessThan(0.01);
    expect(findCos(p.tlvs)).toEqual({ flags: 0, dscp1: 46, dscp2: 0, ecn: 2, rp: 0 });
    // byte offsets of Figure 4: MBZ at 38-39 and 41-43
    expect([r.packet[38], r.packet[39], r.packet[41], r.packet[42], r.packet[43]]).toEqual([0, 0, 0, 0, 0]);
  });

  it('without a CoS TLV reflects with the DSCP it arrived with', () => {
    const bare = encodeSenderPacket({ seq: 1, timestamp: T, errorEstimate: ERROR_ESTIMATE, ssid: 0, tlvs: [] });
    const r = reflect(bare, { ...arrival, tos: 40 << 2 }, 0)!;
    expect(r).toMatchObject({ dscp: 40, cos: false });
  });

  it('copies an unknown TLV with U set, and marks a truncated TLV malformed', () => {
    const withUnknown = encodeSenderPacket({
      seq: 2,
      timestamp: T,
      errorEstimate: ERROR_ESTIMATE,
      ssid: 0,
      tlvs: [
        { flags: TLV_FLAG_U, type: 200, value: Uint8Array.from([1, 2, 3]) },
        { flags: TLV_FLAG_U, type: TLV_TYPE_COS, value: encodeCosValue({ dscp1: 24, dscp2: 0, ecn: 0, rp: 0 }) },
      ],
    });
    const r = reflect(withUnknown, arrival, 0)!;
    const p = decodeReflectorPacket(r.packet)!;
    expect(p.tlvs[0]).toEqual({ flags: TLV_FLAG_U, type: 200, value: Uint8Array.from([1, 2, 3]) });
    expect(findCos(p.tlvs)?.dscp1).toBe(24);
    const truncated = Uint8Array.from([...buildSenderPacket(3, 0, T, 46).subarray(0, 44), 0x80, 4, 0, 9, 1, 2]);
    const rt = reflect(truncated, arrival, 0)!;
    expect(rt.packet[44] & TLV_FLAG_M).toBe(TLV_FLAG_M);
    expect(rt.cos).toBe(false);
  });

  it('ignores packets shorter than the base packet', () => {
    expect(reflect(new Uint8Array(43), arrival, 0)).toBeNull();
    expect(decodeReflectorPacket(new Uint8Array(10))).toBeNull();
  });

  it('NTP timestamps: 1900 epoch, 32-bit fraction', () => {
    const t = ntpFromUnixMs(0);
    expect(t).toEqual({ seconds: 2_208_988_800, fraction: 0 });
    expect(ntpFromUnixMs(1500).fraction).toBe(0x80000000);
  });
});

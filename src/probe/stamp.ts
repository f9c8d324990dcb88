/**
 * STAMP test packets (RFC 8762), unauthenticated mode, with the Session ID
 * (SSID) and TLVs of RFC 8972, and the Class of Service TLV (RFC 8972
 * section 4.4).
 *
 * Session-Sender packet (RFC 8762 Figure 2; SSID from RFC 8972 Figure 1):
 *
 *    0: Sequence Number (4)   4: Timestamp (8)   12: Error Estimate (2)
 *   14: SSID (2)             16: MBZ (28)        44: TLVs
 *
 * Session-Reflector packet (RFC 8762 Figure 4; SSID from RFC 8972 Figure 2):
 *
 *    0: Sequence Number (4)   4: Timestamp (8)   12: Error Estimate (2)
 *   14: SSID (2)             16: Receive Timestamp (8)
 *   24: Session-Sender Sequence Number (4)      28: Session-Sender Timestamp (8)
 *   36: Session-Sender Error Estimate (2)       38: MBZ (2)
 *   40: Ses-Sender TTL (1)   41: MBZ (3)         44: TLVs
 *
 * TLV (RFC 8972 Figure 3): Flags (U M I, 5 reserved bits) (1), Type (1), Length (2), Value.
 *
 * Class of Service TLV value (RFC 8972 Figure 7), 4 bytes:
 *
 *   |  DSCP1 (6)  |  DSCP2 (6)  | ECN (2) | RP (2) |     Reserved (16)     |
 *
 * DSCP1: the DSCP the Session-Sender asks the reflector to put on the reflected
 * packet. DSCP2 and ECN: the DSCP and ECN of the test packet as it arrived at
 * the reflector. RP (Reverse Path): 0 when the reflector used DSCP1. Later
 * drafts carve fields out of the reserved bytes; they are sent as zero and
 * ignored on receipt.
 *
 * Parsers never throw: short or malformed packets give null.
 */

export const STAMP_PORT = 862;
export const STAMP_BASE_LEN = 44;
export const TLV_HEADER_LEN = 4;

export const TLV_TYPE_COS = 4;
export const COS_VALUE_LEN = 4;

/** STAMP TLV flags (RFC 8972 section 4). */
export const TLV_FLAG_U = 0x80;
export const TLV_FLAG_M = 0x40;
export const TLV_FLAG_I = 0x20;

/**
 * Error Estimate (RFC 4656 section 4.1.2): S=0 (no external sync), Z=0 (NTP
 * format), Scale 22, Multiplier 1: 2^(22-32) s, about 1 ms.
 */
export const ERROR_ESTIMATE = (22 << 8) | 1;

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
const NTP_UNIX_OFFSET = 2_208_988_800;

export interface NtpTime {
  seconds: number;
  fraction: number;
}

/** An NTP 64-bit timestamp for a Unix time in milliseconds. */
export function ntpFromUnixMs(ms: number): NtpTime {
  const total = ms / 1000 + NTP_UNIX_OFFSET;
  const seconds = Math.floor(total);
  const fraction = Math.floor((total - seconds) * 0x1_0000_0000) >>> 0;
  return { seconds: seconds >>> 0, fraction };
}

export function unixMsFromNtp(t: NtpTime): number {
  return (t.seconds - NTP_UNIX_OFFSET + t.fraction / 0x1_0000_0000) * 1000;
}

export interface Tlv {
  flags: number;
  type: number;
  value: Uint8Array;
}

export interface CosTlv {
  flags: number;
  dscp1: number;
  dscp2: number;
  ecn: number;
  rp: number;
}

export function encodeCosValue(c: Omit<CosTlv, 'flags'>): Uint8Array {
  const v = new Uint8Array(COS_VALUE_LEN);
  v[0] = ((c.dscp1 & 0x3f) << 2) | ((c.dscp2 & 0x3f) >> 4);
  v[1] = ((c.dscp2 & 0x0f) << 4) | ((c.ecn & 3) << 2) | (c.rp & 3);
  return v;
}

export function decodeCosValue(v: Uint8Array): Omit<CosTlv, 'flags'> | null {
  if (v.length !== COS_VALUE_LEN) return null;
  return { dscp1: v[0] >> 2, dscp2: ((v[0] & 3) << 4) | (v[1] >> 4), ecn: (v[1] >> 2) & 3, rp: v[1] & 3 };
}

export function encodeTlvs(tlvs: Tlv[]): Uint8Array {
  const len = tlvs.reduce((n, t) => n + TLV_HEADER_LEN + t.value.length, 0);
  const out = new Uint8Array(len);
  let off = 0;
  for (const t of tlvs) {
    out[off] = t.flags;
    out[off + 1] = t.type;
    out[off + 2] = t.value.length >> 8;
    out[off + 3] = t.value.length & 0xff;
    out.set(t.value, off + TLV_HEADER_LEN);
    off += TLV_HEADER_LEN + t.value.length;
  }
  return out;
}

/** TLVs in order, and whether they ended cleanly (no truncated last TLV). */
export function decodeTlvs(bytes: Uint8Array): { tlvs: Tlv[]; complete: boolean } {
  const tlvs: Tlv[] = [];
  let off = 0;
  while (off < bytes.length) {
    if (off + TLV_HEADER_LEN > bytes.length) return { tlvs, complete: false };
    const len = (bytes[off + 2] << 8) | bytes[off + 3];
    if (off + TLV_HEADER_LEN + len > bytes.length) return { tlvs, complete: false };
    tlvs.push({ flags: bytes[off], type: bytes[off + 1], value: bytes.slice(off + TLV_HEADER_LEN, off + TLV_HEADER_LEN + len) });
    off += TLV_HEADER_LEN + len;
  }
  return { tlvs, complete: true };
}

function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}
const readU32 = (b: Uint8Array, o: number) => ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
const readU16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];

function writeNtp(b: Uint8Array, o: number, t: NtpTime): void {
  writeU32(b, o, t.seconds);
  writeU32(b, o + 4, t.fraction);
}
const readNtp = (b: Uint8Array, o: number): NtpTime => ({ seconds: readU32(b, o), fraction: readU32(b, o + 4) });

export interface SenderPacket {
  seq: number;
  timestamp: NtpTime;
  errorEstimate: number;
  ssid: number;
  tlvs: Tlv[];
}

/** A Session-Sender test packet carrying a Class of Service TLV asking for `reverseDscp` (U flag set, RFC 8972 section 4). */
export function buildSenderPacket(seq: number, ssid: number, timestamp: NtpTime, reverseDscp: number): Uint8Array {
  return encodeSenderPacket({
    seq,
    timestamp,
    errorEstimate: ERROR_ESTIMATE,
    ssid,
    tlvs: [{ flags: TLV_FLAG_U, type: TLV_TYPE_COS, value: encodeCosValue({ dscp1: reverseDscp, dscp2: 0, ecn: 0, rp: 0 }) }],
  });
}

export function encodeSenderPacket(p: SenderPacket): Uint8Array {
  const tlvs = encodeTlvs(p.tlvs);
  const out = new Uint8Array(STAMP_BASE_LEN + tlvs.length);
  writeU32(out, 0, p.seq);
  writeNtp(out, 4, p.timestamp);
  out[12] = p.errorEstimate >> 8;
  out[13] = p.errorEstimate & 0xff;
  out[14] = p.ssid >> 8;
  out[15] = p.ssid & 0xff;
  out.set(tlvs, STAMP_BASE_LEN);
  return out;
}

/** A Session-Sender packet, or null when shorter than the base packet. */
export function decodeSenderPacket(b: Uint8Array): (SenderPacket & { tlvsComplete: boolean }) | null {
  if (b.length < STAMP_BASE_LEN) return null;
  const { tlvs, complete } = decodeTlvs(b.subarray(STAMP_BASE_LEN));
  return { ...decodeLeadingFields(b), tlvs, tlvsComplete: complete };
}

/** Sequence number, timestamp, error estimate and SSID: the first 16 bytes of sender and reflector packets alike (RFC 8762 sections 4.2.1 and 4.3.1, SSID from RFC 8972). */
function decodeLeadingFields(b: Uint8Array): Pick<SenderPacket, 'seq' | 'timestamp' | 'errorEstimate' | 'ssid'> {
  return { seq: readU32(b, 0), timestamp: readNtp(b, 4), errorEstimate: readU16(b, 12), ssid: readU16(b, 14) };
}

export interface ReflectorPacket {
  seq: number;
  timestamp: NtpTime;
  errorEstimate: number;
  ssid: number;
  receiveTimestamp: NtpTime;
  senderSeq: number;
  senderTimestamp: NtpTime;
  senderErrorEstimate: number;
  senderTtl: number;
  tlvs: Tlv[];
}

export function decodeReflectorPacket(b: Uint8Array): (ReflectorPacket & { tlvsComplete: boolean }) | null {
  if (b.length < STAMP_BASE_LEN) return null;
  const { tlvs, complete } = decodeTlvs(b.subarray(STAMP_BASE_LEN));
  return {
    ...decodeLeadingFields(b),
    receiveTimestamp: readNtp(b, 16),
    senderSeq: readU32(b, 24),
    senderTimestamp: readNtp(b, 28),
    senderErrorEstimate: readU16(b, 36),
    senderTtl: b[40],
    tlvs,
    tlvsComplete: complete,
  };
}

/** The first Class of Service TLV of a packet, decoded, or null. */
export function findCos(tlvs: Tlv[]): CosTlv | null {
  for (const t of tlvs) {
    if (t.type !== TLV_TYPE_COS) continue;
    const v = decodeCosValue(t.value);
    if (v !== null) return { flags: t.flags, ...v };
  }
  return null;
}

/** What the reflector knows of a test packet as it arrived. */
export interface Arrival {
  /** DS field of the received packet: DSCP << 2 | ECN. */
  tos: number;
  /** TTL or hop limit of the received packet. */
  ttl: number;
  /** When it arrived (Unix ms). */
  receivedMs: number;
}

export interface Reflection {
  /** The reflected packet's STAMP bytes (same length as the test packet). */
  packet: Uint8Array;
  /** The DSCP to send it with: DSCP1 of a CoS TLV, else the DSCP it arrived with. */
  dscp: number;
  /** True when the test packet carried a Class of Service TLV. */
  cos: boolean;
}

/**
 * The stateless reflection of a Session-Sender packet (RFC 8762 section 4.3,
 * stateless mode: the reflected Sequence Number is the received one). TLVs are
 * returned in place: a CoS TLV with DSCP2 and ECN from the arrival, RP 0 and
 * the U flag clear; an unknown TLV copied with U set; a TLV with a bad length
 * (and everything after it) copied with M set. Null when not a STAMP packet.
 */
export function reflect(test: Uint8Array, arrival: Arrival, sentMs: number): Reflection | null {
  const p = decodeSenderPacket(test);
  if (p === null) return null;
  const out = new Uint8Array(test.length);
  writeU32(out, 0, p.seq);
  writeNtp(out, 4, ntpFromUnixMs(sentMs));
  out[12] = ERROR_ESTIMATE >> 8;
  out[13] = ERROR_ESTIMATE & 0xff;
  out[14] = p.ssid >> 8;
  out[15] = p.ssid & 0xff;
  writeNtp(out, 16, ntpFromUnixMs(arrival.receivedMs));
  writeU32(out, 24, p.seq);
  out.set(test.subarray(4, 12), 28);
  out.set(test.subarray(12, 14), 36);
  out[40] = arrival.ttl;

  let dscp = arrival.tos >> 2;
  let cos = false;
  let off = STAMP_BASE_LEN;
  while (off < test.length) {
    if (off + TLV_HEADER_LEN > test.length) {
      out.set(test.subarray(off), off);
      break;
    }
    const len = (test[off + 2] << 8) | test[off + 3];
    const type = test[off + 1];
    if (off + TLV_HEADER_LEN + len > test.length) {
      out.set(test.subarray(off), off);
      out[off] = test[off] | TLV_FLAG_M;
      break;
    }
    out.set(test.subarray(off, off + TLV_HEADER_LEN + len), off);
    if (type === TLV_TYPE_COS) {
      if (len !== COS_VALUE_LEN) {
        out[off] = (test[off] | TLV_FLAG_M) & ~TLV_FLAG_U;
      } else {
        const asked = decodeCosValue(test.subarray(off + TLV_HEADER_LEN, off + TLV_HEADER_LEN + len));
        if (asked !== null && !cos) {
          cos = true;
          dscp = asked.dscp1;
        }
        out[off] = test[off] & ~(TLV_FLAG_U | TLV_FLAG_M);
        const value = encodeCosValue({ dscp1: asked?.dscp1 ?? 0, dscp2: arrival.tos >> 2, ecn: arrival.tos & 3, rp: 0 });
        out.set(value, off + TLV_HEADER_LEN);
      }
    } else {
      out[off] = test[off] | TLV_FLAG_U;
    }
    off += TLV_HEADER_LEN + len;
  }
  return { packet: out, dscp, cos };
}

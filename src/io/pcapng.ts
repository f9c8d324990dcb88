/**
 * pcapng files (draft-ietf-opsawg-pcapng): a sequence of blocks, each
 * `type(4) total length(4) body... total length(4)`, in sections that each
 * start with a Section Header Block setting the byte order.
 *
 * Rewriting copies every block through in order, byte for byte; only packet
 * bytes that marking changes differ. Packet blocks (enhanced, simple and the
 * obsolete packet block) are handed to the frame handler with their
 * interface's link type and a timestamp converted by the interface's
 * if_tsresol and if_tsoffset. Every other block is copied without reading.
 */
import { carryTail, type ByteInput, type ByteOutput } from './byte-stream.js';
import { u16be, u16le, u32be, u32le } from './endian.js';
import { CaptureFileError } from './errors.js';
import type { FrameHandler } from './frame-handler.js';
import { MAX_RECORD_LEN, type StreamProgress } from './pcap.js';

export const BT_SHB = 0x0a0d0d0a;
export const BT_IDB = 0x00000001;
export const BT_OPB = 0x00000002;
export const BT_SPB = 0x00000003;
export const BT_NRB = 0x00000004;
export const BT_ISB = 0x00000005;
export const BT_EPB = 0x00000006;
export const BYTE_ORDER_MAGIC = 0x1a2b3c4d;

const BLOCK_TYPE = 0;
export const BLOCK_LEN = 4;
export const BLOCK_MIN_LEN = 12;
/** Header (type, length) plus trailer (length). */
const BLOCK_FRAMING_LEN = 12;
export const SHB_BYTE_ORDER = 8;
const SHB_MIN_LEN = 28;

const IDB_LINKTYPE = 8;
const IDB_SNAPLEN = 12;
const IDB_OPTIONS = 16;
const IDB_MIN_LEN = 20;
const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

const EPB_INTERFACE = 8;
const EPB_TS_HIGH = 12;
const EPB_TS_LOW = 16;
const EPB_CAPLEN = 20;
const EPB_ORIGLEN = 24;
const EPB_DATA = 28;

/** Obsolete packet block: a 16-bit interface id, then a 16-bit drops count; then as the EPB. */
const OPB_INTERFACE = 8;

const SPB_ORIGLEN = 8;
const SPB_DATA = 12;
/** Fixed fields plus the trailer: the smallest EPB/OPB and SPB. */
const EPB_MIN_LEN = 32;
const SPB_MIN_LEN = 16;
/**
 * Largest block read. Blocks up to this size are held whole (the buffer
 * grows for them, once), so a damaged block is never half-written.
 */
export const MAX_BLOCK_LEN = 32 * 1024 * 1024;

/** Default resolution: microseconds (if_tsresol absent). */
const DEFAULT_TS_UNITS_PER_SEC = 1e6;

/** Per-interface facts from the Interface Description Blocks of the current section. */
class Interfaces {
  count = 0;
  linkType: number[] = [];
  snapLen: number[] = [];
  unitsPerSec: number[] = [];
  offsetSec: number[] = [];

  reset(): void {
    this.count = 0;
    this.linkType.length = 0;
    this.snapLen.length = 0;
    this.unitsPerSec.length = 0;
    this.offsetSec.length = 0;
  }

  add(linkType: number, snapLen: number, unitsPerSec: number, offsetSec: number): void {
    this.linkType.push(linkType);
    this.snapLen.push(snapLen);
    this.unitsPerSec.push(unitsPerSec);
    this.offsetSec.push(offsetSec);
    this.count++;
  }
}

/**
 * Splits a 64-bit timestamp (high, low words) in `unitsPerSec` units into
 * seconds and nanoseconds without BigInt (no allocation): long division in
 * 8-bit steps, and the fraction scaled to nanoseconds in base-1000 steps,
 * keep every intermediate below 2^53 for resolutions up to 2^40 units per
 * second (finer than a picosecond). Finer resolutions, which no capture tool
 * writes, take an exact BigInt path.
 */
export class TimestampSplitter {
  sec = 0;
  nsec = 0;

  split(high: number, low: number, unitsPerSec: number): void {
    const d = unitsPerSec;
    if (d > EXACT_DIVISOR_LIMIT) {
      this.splitBig(high, low, d);
      return;
    }
    let q = Math.floor(high / d);
    let r = high - q * d;
    let sec = q * 4294967296;
    for (let shift = 24; shift >= 0; shift -= 8) {
      const part = r * 256 + ((low >>> shift) & 0xff);
      q = Math.floor(part / d);
      r = part - q * d;
      sec += q * 2 ** shift;
    }
    this.sec = sec;
    if (d === 1e9) {
      this.nsec = r;
      return;
    }
    let nsec = 0;
    for (let i = 0; i < 3; i++) {
      r *= 1000;
      const digit = Math.floor(r / d);
      nsec = nsec * 1000 + digit;
      r -= digit * d;
    }
    this.nsec = nsec;
  }

  private splitBig(high: number, low: number, d: number): void {
    const units = (BigInt(high) << 32n) | BigInt(low);
    const divisor = BigInt(d);
    this.sec = Number(units / divisor);
    this.nsec = Number(((units % divisor) * 1_000_000_000n) / divisor);
  }
}

/** Largest units-per-second value the allocation-free split handles exactly. */
const EXACT_DIVISOR_LIMIT = 2 ** 40;

export function streamPcapng(
  input: ByteInput,
  output: ByteOutput | null,
  initialBuf: Uint8Array,
  have: number,
  handler: FrameHandler,
  progress: StreamProgress | null,
): number {
  const file = input.name;
  let buf = initialBuf;
  const ifaces = new Interfaces();
  const ts = new TimestampSplitter();
  let le = true;
  let sectionSeen = false;
  let bufFileOff = 0;
  let pos = 0;
  let end = have;
  let frames = 0;
  let eof = false;

  const fail = (blockPos: number, what: string): never => {
    if (output !== null) output.write(buf, 0, blockPos);
    throw new CaptureFileError(file, bufFileOff + blockPos, what);
  };

  for (;;) {
    while (end - pos >= BLOCK_MIN_LEN) {
      const typeLe = u32le(buf, pos + BLOCK_TYPE);
      if (typeLe === BT_SHB) {
        const bom = u32le(buf, pos + SHB_BYTE_ORDER);
        if (bom === BYTE_ORDER_MAGIC) le = true;
        else if (u32be(buf, pos + SHB_BYTE_ORDER) === BYTE_ORDER_MAGIC) le = false;
        else fail(pos, `section header block has a bad byte-order magic 0x${bom.toString(16).padStart(8, '0')}`);
      } else if (!sectionSeen) {
        fail(pos, 'pcapng file does not start with a section header block');
      }
      const type = le ? typeLe : u32be(buf, pos + BLOCK_TYPE);
      const len = le ? u32le(buf, pos + BLOCK_LEN) : u32be(buf, pos + BLOCK_LEN);
      if (len < BLOCK_MIN_LEN || len % 4 !== 0) {
        fail(pos, `block of type 0x${type.toString(16)} has a total length of ${len} (must be a multiple of 4, at least 12)`);
      }
      if (len > MAX_BLOCK_LEN) {
        fail(pos, `block of type 0x${type.toString(16)} claims ${len} bytes, more than the ${MAX_BLOCK_LEN >> 20} MiB limit`);
      }
      if (len > buf.length) {
        // Rare (huge options, secrets, custom data): grow the buffer once to hold the block whole.
        if (output !== null) output.write(buf, 0, pos);
        const bigger = new Uint8Array(len + (buf.length >> 1));
        bigger.set(buf.subarray(pos, end), 0);
        bufFileOff += pos;
        end -= pos;
        pos = 0;
        buf = bigger;
        break;
      }
      if (pos + len > end) break;
      const trailer = le ? u32le(buf, pos + len - 4) : u32be(buf, pos + len - 4);
      if (trailer !== len) fail(pos, `block total length ${len} does not match its trailer ${trailer}`);

      switch (type) {
        case BT_SHB:
          if (len < SHB_MIN_LEN) fail(pos, `section header block of ${len} bytes is shorter than 28`);
          sectionSeen = true;
          ifaces.reset();
          break;
        case BT_IDB:
          if (len < IDB_MIN_LEN) fail(pos, `interface description block of ${len} bytes is shorter than 20`);
          readInterface(buf, pos, len, le, ifaces);
          break;
        case BT_EPB:
        case BT_OPB: {
          // The obsolete block has a 16-bit interface id (then a drops count) where the
          // enhanced block has a 32-bit one; the fields after it are laid out alike.
          if (len < EPB_MIN_LEN) fail(pos, `${type === BT_EPB ? 'enhanced' : 'obsolete'} packet block of ${len} bytes is shorter than 32`);
          const iface =
            type === BT_EPB
              ? le ? u32le(buf, pos + EPB_INTERFACE) : u32be(buf, pos + EPB_INTERFACE)
              : le ? u16le(buf, pos + OPB_INTERFACE) : u16be(buf, pos + OPB_INTERFACE);
          const capLen = le ? u32le(buf, pos + EPB_CAPLEN) : u32be(buf, pos + EPB_CAPLEN);
          if (iface >= ifaces.count) fail(pos, `packet ${frames + 1} is on interface ${iface}, which is not defined`);
          if (capLen > MAX_RECORD_LEN) fail(pos, `packet ${frames + 1} claims ${capLen} captured bytes, more than the 256 KiB limit`);
          if (EPB_DATA + capLen + 4 > len) fail(pos, `packet ${frames + 1} claims ${capLen} captured bytes, more than its block of ${len} bytes holds`);
          const high = le ? u32le(buf, pos + EPB_TS_HIGH) : u32be(buf, pos + EPB_TS_HIGH);
          const low = le ? u32le(buf, pos + EPB_TS_LOW) : u32be(buf, pos + EPB_TS_LOW);
          const wireLen = le ? u32le(buf, pos + EPB_ORIGLEN) : u32be(buf, pos + EPB_ORIGLEN);
          ts.split(high, low, ifaces.unitsPerSec[iface]);
          handler.handle(buf, pos + EPB_DATA, capLen, wireLen, ifaces.linkType[iface], ts.sec + ifaces.offsetSec[iface], ts.nsec);
          frames++;
          break;
        }
        case BT_SPB: {
          // Simple packet blocks belong to interface 0 and carry no timestamp.
          if (len < SPB_MIN_LEN) fail(pos, `simple packet block of ${len} bytes is shorter than 16`);
          if (ifaces.count === 0) fail(pos, `packet ${frames + 1} (simple packet block) comes before any interface is defined`);
          // Its captured part is min(snap length, original length) (RFC-draft pcapng 4.4): a block
          // without room for that many bytes is damaged, as tshark also says.
          const wireLen = le ? u32le(buf, pos + SPB_ORIGLEN) : u32be(buf, pos + SPB_ORIGLEN);
          const snap = ifaces.snapLen[0];
          const capLen = snap > 0 && snap < wireLen ? snap : wireLen;
          if (capLen > MAX_RECORD_LEN) fail(pos, `packet ${frames + 1} (simple packet block) has ${capLen} captured bytes, more than the 256 KiB limit`);
          if (SPB_DATA + capLen + 4 > len) {
            fail(pos, `simple packet block of ${len} bytes is too small for its ${capLen} bytes of packet data (the smaller of its original length and the snap length)`);
          }
          handler.handle(buf, pos + SPB_DATA, capLen, wireLen, ifaces.linkType[0], 0, 0);
          frames++;
          break;
        }
        default:
          // Name resolution, statistics, secrets, custom and unknown blocks: copied, not read.
          break;
      }
      pos += len;
    }
    if (output !== null) output.write(buf, 0, pos);
    if (eof) break;
    const kept = end - pos;
    bufFileOff += pos;
    buf = carryTail(output, buf, pos, end);
    end = input.refill(buf, 0, kept);
    pos = 0;
    eof = end === kept;
    if (progress !== null) progress(bufFileOff, frames);
  }
  if (end > pos) {
    const left = end - pos;
    const what =
      left < 8
        ? `file ends inside a block header (${left} of 8 bytes)`
        : `file ends inside a block: ${left} of ${le ? u32le(buf, pos + BLOCK_LEN) : u32be(buf, pos + BLOCK_LEN)} bytes`;
    throw new CaptureFileError(file, bufFileOff + pos, what);
  }
  if (!sectionSeen) throw new CaptureFileError(file, 0, 'pcapng file has no section header block');
  return frames;
}

function readInterface(buf: Uint8Array, pos: number, len: number, le: boolean, ifaces: Interfaces): void {
  const linkType = le ? u16le(buf, pos + IDB_LINKTYPE) : u16be(buf, pos + IDB_LINKTYPE);
  const snapLen = le ? u32le(buf, pos + IDB_SNAPLEN) : u32be(buf, pos + IDB_SNAPLEN);
  let unitsPerSec = DEFAULT_TS_UNITS_PER_SEC;
  let offsetSec = 0;
  const optEnd = pos + len - 4;
  let o = pos + IDB_OPTIONS;
  while (o + 4 <= optEnd) {
    const code = le ? u16le(buf, o) : u16be(buf, o);
    const optLen = le ? u16le(buf, o + 2) : u16be(buf, o + 2);
    if (code === OPT_END || o + 4 + optLen > optEnd) break;
    if (code === OPT_IF_TSRESOL && optLen >= 1) {
      const v = buf[o + 4];
      // MSB set: a negative power of 2; clear: a negative power of 10.
      unitsPerSec = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
    } else if (code === OPT_IF_TSOFFSET && optLen >= 8) {
      const hi = le ? u32le(buf, o + 8) | 0 : u32be(buf, o + 4) | 0;
      const lo = le ? u32le(buf, o + 4) : u32be(buf, o + 8);
      offsetSec = hi * 4294967296 + lo;
    }
    o += 4 + ((optLen + 3) & ~3);
  }
  ifaces.add(linkType, snapLen, unitsPerSec, offsetSec);
}

/**
 * Writes pcapng (draft-ietf-opsawg-pcapng), little-endian: one Section Header
 * Block, Interface Description Blocks (nanosecond timestamps, if_tsresol 9)
 * and Enhanced Packet Blocks. Blocks are gathered in one reused buffer and
 * written out when it fills or on flush(); writing a packet allocates nothing.
 *
 * Every block is written whole, so the file is a valid capture after any
 * flush(): readers see the packets up to the last flush.
 */
import { ByteOutput } from './byte-stream.js';
import { BT_EPB, BT_IDB, BT_SHB, BYTE_ORDER_MAGIC } from './pcapng.js';

const OPT_END = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
/** EPB fields before the packet data: type, length, interface, timestamp high and low, captured and original length. */
export const EPB_HEADER_LEN = 28;
/** The block length again, after the padded data. */
export const EPB_TRAILER_LEN = 4;
const EPB_OVERHEAD = EPB_HEADER_LEN + EPB_TRAILER_LEN;
const DEFAULT_BUFFER = 1024 * 1024;
const TWO_23 = 8388608;
export const TWO_32 = 4294967296;
/** Past this second, sec × 1953125 reaches 2^53 and writePacket's 64-bit nanosecond count would not be exact. */
const MAX_TS_SEC = Math.floor((TWO_32 * 2 ** 21) / 1953125);

export interface PcapngInterface {
  linkType: number;
  /** 0: no limit. */
  snapLen?: number;
  name?: string;
  description?: string;
}

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Frames an Enhanced Packet Block at `o` of the buffer `dv` views, around
 * `capLen` data bytes that are (or will be) at o + EPB_HEADER_LEN: the
 * header, the zero padding to 4 bytes and the trailing length. Per packet,
 * so a caller-owned DataView (no Buffer argument checks, nothing allocated).
 * Returns the block's length.
 */
export function frameEpb(dv: DataView, o: number, ifId: number, tsHigh: number, tsLow: number, capLen: number, wireLen: number): number {
  const padded = pad4(capLen);
  const len = EPB_OVERHEAD + padded;
  dv.setUint32(o, BT_EPB, true);
  dv.setUint32(o + 4, len, true);
  dv.setUint32(o + 8, ifId, true);
  dv.setUint32(o + 12, tsHigh, true);
  dv.setUint32(o + 16, tsLow, true);
  dv.setUint32(o + 20, capLen, true);
  dv.setUint32(o + 24, wireLen, true);
  const dataEnd = o + EPB_HEADER_LEN + capLen;
  for (let i = dataEnd; i < o + EPB_HEADER_LEN + padded; i++) dv.setUint8(i, 0);
  dv.setUint32(o + EPB_HEADER_LEN + padded, len, true);
  return len;
}

/** Options encoded little-endian: code(2) length(2) value padded to 4; opt_endofopt last. */
function encodeOptions(options: [number, Uint8Array][]): Buffer {
  if (options.length === 0) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (const [code, value] of options) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(value.length, 2);
    parts.push(head, Buffer.from(value), Buffer.alloc(pad4(value.length) - value.length));
  }
  const end = Buffer.alloc(4);
  end.writeUInt16LE(OPT_END, 0); // opt_endofopt, length 0
  parts.push(end);
  return Buffer.concat(parts);
}

function block(type: number, body: Buffer): Buffer {
  const len = 12 + body.length;
  const b = Buffer.alloc(len);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(len, 4);
  body.copy(b, 8);
  b.writeUInt32LE(len, len - 4);
  return b;
}

/** A Section Header Block (little-endian, version 1.0, section length unknown) with optional comment and shb_userappl. */
export function sectionHeaderBlock(options: { userAppl?: string; comment?: string }): Buffer {
  const opts: [number, Uint8Array][] = [];
  if (options.comment) opts.push([OPT_COMMENT, Buffer.from(options.comment, 'utf8')]);
  if (options.userAppl) opts.push([SHB_USERAPPL, Buffer.from(options.userAppl, 'utf8')]);
  const fixed = Buffer.alloc(16);
  fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
  fixed.writeUInt16LE(1, 4); // major
  fixed.writeUInt16LE(0, 6); // minor
  fixed.writeInt32LE(-1, 8); // section length unknown
  fixed.writeInt32LE(-1, 12);
  return block(BT_SHB, Buffer.concat([fixed, encodeOptions(opts)]));
}

/** if_tsresol values: 10^-6 and 10^-9 seconds per timestamp unit. */
export const TSRESOL_MICROS = 6;
export const TSRESOL_NANOS = 9;

/** An Interface Description Block whose timestamps count 10^-tsresol seconds. */
export function interfaceDescriptionBlock(iface: PcapngInterface, tsresol: number): Buffer {
  const opts: [number, Uint8Array][] = [];
  if (iface.name) opts.push([IF_NAME, Buffer.from(iface.name, 'utf8')]);
  if (iface.description) opts.push([IF_DESCRIPTION, Buffer.from(iface.description, 'utf8')]);
  opts.push([IF_TSRESOL, Uint8Array.of(tsresol)]);
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16LE(iface.linkType, 0);
  fixed.writeUInt16LE(0, 2);
  fixed.writeUInt32LE(iface.snapLen ?? 0, 4);
  return block(BT_IDB, Buffer.concat([fixed, encodeOptions(opts)]));
}

export class PcapngWriter {
  private readonly buf: Buffer;
  private readonly dv: DataView;
  private used = 0;
  private interfaces = 0;
  private closed = false;
  /** Packets and file bytes written so far, including the buffered ones. */
  packets = 0;
  bytes = 0;

  constructor(
    private readonly out: ByteOutput,
    options: { userAppl?: string; comment?: string; bufferBytes?: number } = {},
  ) {
    this.buf = Buffer.alloc(Math.max(options.bufferBytes ?? DEFAULT_BUFFER, 65536 + EPB_OVERHEAD + 4));
    this.dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    this.putBlock(sectionHeaderBlock(options));
  }

  static create(path: string, options: { userAppl?: string; comment?: string; bufferBytes?: number } = {}): PcapngWriter {
    return new PcapngWriter(ByteOutput.create(path), options);
  }

  get name(): string {
    return this.out.name;
  }

  /** Adds an Interface Description Block; returns the interface id packets refer to. */
  addInterface(iface: PcapngInterface): number {
    this.putBlock(interfaceDescriptionBlock(iface, TSRESOL_NANOS));
    return this.interfaces++;
  }

  /**
   * One Enhanced Packet Block: `capLen` bytes of `data` from `off`, captured
   * at tsSec + tsNsec ns (0 <= tsSec < 2^32 * 2^21 / 1953125, i.e. any real date).
   */
  writePacket(ifId: number, tsSec: number, tsNsec: number, data: Uint8Array, off: number, capLen: number, wireLen: number): void {
    if (ifId < 0 || ifId >= this.interfaces) throw new RangeError(`pcapng: interface ${ifId} is not defined`);
    if (!(Number.isInteger(tsSec) && tsSec >= 0 && tsSec <= MAX_TS_SEC && Number.isInteger(tsNsec) && tsNsec >= 0 && tsNsec < 1e9)) {
      throw new RangeError(`pcapng: timestamp ${tsSec} s ${tsNsec} ns is out of range`);
    }
    const padded = pad4(capLen);
    const len = EPB_OVERHEAD + padded;
    if (this.buf.length - this.used < len) this.flush();
    if (len > this.buf.length) throw new RangeError(`pcapng: packet of ${capLen} bytes is larger than the write buffer`);
    // Nanoseconds since the epoch as 64 bits without BigInt: sec * 1e9 = (sec * 1953125) * 2^9, exact below 2^53.
    const m = tsSec * 1953125;
    const mh = Math.floor(m / TWO_23);
    const rest = (m - mh * TWO_23) * 512 + tsNsec;
    const carry = rest >= TWO_32 ? 1 : 0;
    const b = this.buf;
    const o = this.used;
    const dataOff = o + EPB_HEADER_LEN;
    if (Buffer.isBuffer(data)) data.copy(b, dataOff, off, off + capLen);
    else b.set(data.subarray(off, off + capLen), dataOff);
    frameEpb(this.dv, o, ifId, mh + carry, rest - carry * TWO_32, capLen, wireLen);
    this.used = o + len;
    this.packets++;
    this.bytes += len;
  }

  private putBlock(b: Buffer): void {
    if (this.buf.length - this.used < b.length) this.flush();
    if (b.length > this.buf.length) {
      this.out.write(b, 0, b.length);
    } else {
      b.copy(this.buf, this.used);
      this.used += b.length;
    }
    this.bytes += b.length;
  }

  /** Writes the buffered blocks to the file. */
  flush(): void {
    if (this.used > 0) {
      this.out.write(this.buf, 0, this.used);
      this.used = 0;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.flush();
    } finally {
      this.out.close();
    }
  }
}

/**
 * Classic pcap output for the generator (pcap-savefile(5)): little-endian,
 * microsecond timestamps, Ethernet link type, snap length 65535. Records are
 * assembled in the output area of the generator's pool buffer (which also
 * holds the frame templates, so a frame is one copyWithin away) and handed to
 * the sink in multi-megabyte chunks.
 */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const GEN_SNAPLEN = 65535;
export const LINKTYPE_ETHERNET = 1;
export const RECORD_HEADER_LEN = 16;
export const FILE_HEADER_LEN = 24;

/** Receives finished output: `len` bytes of `buf` from `off`. The bytes are reused after the call. */
export type Sink = (buf: Uint8Array, off: number, len: number) => void;

/**
 * Where the generator assembles its records, in the output area [start, end)
 * of its pool: classic pcap (PcapOut) or pcapng (PcapngOut). Each record is
 * reserved, its frame built in place, then committed with its header.
 */
export abstract class GenOut {
  protected readonly dv: DataView;
  pos: number;
  /** Totals, counted at commit: records, and file bytes including headers. */
  records = 0;
  bytes = 0;

  constructor(
    readonly buf: Uint8Array,
    readonly start: number,
    readonly end: number,
    private readonly sink: Sink,
    /** Added to every timestamp (µs since 1970). */
    readonly epochUs: number,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }

  abstract writeFileHeader(): void;
  /** Makes room for a record of up to `frameLen` bytes; returns where its frame goes. */
  abstract reserve(frameLen: number): number;
  /** Finishes the record whose frame is at `f` (from reserve()). */
  abstract commit(f: number, frameLen: number, tsUs: number): void;

  /** Hands what is assembled to the sink and starts the area over. */
  flush(): void {
    if (this.pos > this.start) this.sink(this.buf, this.start, this.pos - this.start);
    this.pos = this.start;
  }
}

export class PcapOut extends GenOut {
  writeFileHeader(): void {
    const dv = this.dv;
    const p = this.pos;
    dv.setUint32(p, PCAP_MAGIC_MICROS, true);
    dv.setUint16(p + 4, 2, true);
    dv.setUint16(p + 6, 4, true);
    dv.setInt32(p + 8, 0, true); // thiszone
    dv.setUint32(p + 12, 0, true); // sigfigs
    dv.setUint32(p + 16, GEN_SNAPLEN, true);
    dv.setUint32(p + 20, LINKTYPE_ETHERNET, true);
    this.pos = p + FILE_HEADER_LEN;
    this.bytes += FILE_HEADER_LEN;
  }

  /** Makes room for a record of up to `frameLen` bytes; returns where its frame goes. */
  reserve(frameLen: number): number {
    if (this.pos + RECORD_HEADER_LEN + frameLen > this.end) this.flush();
    return this.pos + RECORD_HEADER_LEN;
  }

  /** Writes the record header in front of the frame at `f` and keeps the record. */
  commit(f: number, frameLen: number, tsUs: number): void {
    const dv = this.dv;
    const h = f - RECORD_HEADER_LEN;
    const abs = tsUs + this.epochUs;
    const sec = Math.floor(abs / 1e6);
    dv.setUint32(h, sec, true);
    dv.setUint32(h + 4, abs - sec * 1e6, true);
    dv.setUint32(h + 8, frameLen, true);
    dv.setUint32(h + 12, frameLen, true);
    this.pos = f + frameLen;
    this.records++;
    this.bytes += RECORD_HEADER_LEN + frameLen;
  }
}

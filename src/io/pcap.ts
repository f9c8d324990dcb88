/**
 * Classic libpcap files (tcpdump.org pcap-savefile(5), draft-ietf-opsawg-pcap):
 * a 24-byte file header, then records of a 16-byte header and the frame.
 *
 * Rewriting streams the file through one reused buffer: records are parsed in
 * place, handed to the frame handler (which may rewrite frame bytes), and the
 * buffer is written out as it came, so the output keeps the input's byte
 * order, magic, snap length, link type, timestamps and lengths bit for bit.
 */
import { carryTail, type ByteInput, type ByteOutput } from './byte-stream.js';
import { u16be, u16le, u32be, u32le } from './endian.js';
import { CaptureFileError } from './errors.js';
import type { FrameHandler } from './frame-handler.js';

export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
export const PCAP_FILE_HEADER_LEN = 24;
export const PCAP_RECORD_HEADER_LEN = 16;

/** File header offsets. */
const FH_MAGIC = 0;
const FH_VERSION_MAJOR = 4;
const FH_SNAPLEN = 16;
const FH_LINKTYPE = 20;
/** Record header offsets. */
const RH_TS_SEC = 0;
const RH_TS_FRAC = 4;
export const RH_INCL_LEN = 8;
const RH_ORIG_LEN = 12;

/**
 * Largest record read. Like tcpdump and tshark, a record longer than the
 * file's snap length is accepted up to this size (libpcap's own maximum for
 * ordinary link types is 256 KiB).
 */
export const MAX_RECORD_LEN = 262144;

export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  linkType: number;
}



function u16(b: Uint8Array, o: number, le: boolean): number {
  return le ? u16le(b, o) : u16be(b, o);
}

/** True for a classic-pcap magic (µs or ns) read in the file's own byte order. */
export function isPcapMagicWord(word: number): boolean {
  return word === PCAP_MAGIC_MICROS || word === PCAP_MAGIC_NANOS;
}

/** True for the four classic-pcap magics (either byte order, µs or ns). */
export function isPcapMagic(b: Uint8Array): boolean {
  return isPcapMagicWord(u32le(b, 0)) || isPcapMagicWord(u32be(b, 0));
}

export function parsePcapHeader(b: Uint8Array, file: string): PcapHeader {
  const asLe = u32le(b, FH_MAGIC);
  const littleEndian = isPcapMagicWord(asLe);
  const magic = littleEndian ? asLe : u32be(b, FH_MAGIC);
  const versionMajor = u16(b, FH_VERSION_MAJOR, littleEndian);
  if (versionMajor !== 2) {
    throw new CaptureFileError(file, FH_VERSION_MAJOR, `unsupported pcap version ${versionMajor} (expected 2)`);
  }
  const read32 = littleEndian ? u32le : u32be;
  return {
    littleEndian,
    nanosecond: magic === PCAP_MAGIC_NANOS,
    versionMajor,
    versionMinor: u16(b, FH_VERSION_MAJOR + 2, littleEndian),
    snapLen: read32(b, FH_SNAPLEN),
    // The upper bits carry FCS information (pcap-savefile(5)); the link type is the low 16.
    linkType: read32(b, FH_LINKTYPE) & 0xffff,
  };
}

export interface StreamProgress {
  (bytesDone: number, frames: number): void;
}

/**
 * Streams the records after the file header. `initialBuf` holds `have` bytes read
 * so far, starting at the file header. Returns the number of records.
 * On a damaged record, writes every whole record before it, then throws.
 */
export function streamPcap(
  input: ByteInput,
  output: ByteOutput | null,
  initialBuf: Uint8Array,
  have: number,
  handler: FrameHandler,
  progress: StreamProgress | null,
): number {
  let buf = initialBuf;
  if (have < PCAP_FILE_HEADER_LEN) {
    throw new CaptureFileError(input.name, 0, `file ends inside the pcap file header (${have} of 24 bytes)`);
  }
  const header = parsePcapHeader(buf, input.name);
  const le = header.littleEndian;
  const fracToNs = header.nanosecond ? 1 : 1000;
  const linkType = header.linkType;
  let bufFileOff = 0;
  let pos = PCAP_FILE_HEADER_LEN;
  let end = have;
  let frames = 0;
  let eof = false;

  for (;;) {
    while (pos + PCAP_RECORD_HEADER_LEN <= end) {
      const capLen = le ? u32le(buf, pos + RH_INCL_LEN) : u32be(buf, pos + RH_INCL_LEN);
      if (capLen > MAX_RECORD_LEN) {
        flush(output, buf, pos);
        throw new CaptureFileError(
          input.name,
          bufFileOff + pos,
          `record ${frames + 1} claims ${capLen} captured bytes, more than the 256 KiB limit`,
        );
      }
      const dataOff = pos + PCAP_RECORD_HEADER_LEN;
      if (dataOff + capLen > end) break;
      let tsSec: number;
      let tsFrac: number;
      let wireLen: number;
      if (le) {
        tsSec = u32le(buf, pos + RH_TS_SEC);
        tsFrac = u32le(buf, pos + RH_TS_FRAC);
        wireLen = u32le(buf, pos + RH_ORIG_LEN);
      } else {
        tsSec = u32be(buf, pos + RH_TS_SEC);
        tsFrac = u32be(buf, pos + RH_TS_FRAC);
        wireLen = u32be(buf, pos + RH_ORIG_LEN);
      }
      handler.handle(buf, dataOff, capLen, wireLen, linkType, tsSec, tsFrac * fracToNs);
      frames++;
      pos = dataOff + capLen;
    }
    flush(output, buf, pos);
    if (eof) break;
    // Keep the partial record at the front (of the buffer the output hands back) and refill behind it.
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
      left < PCAP_RECORD_HEADER_LEN
        ? `file ends inside the header of record ${frames + 1} (${left} of 16 bytes)`
        : `file ends inside record ${frames + 1} (${left - PCAP_RECORD_HEADER_LEN} of ${
            le ? u32le(buf, pos + RH_INCL_LEN) : u32be(buf, pos + RH_INCL_LEN)
          } data bytes)`;
    throw new CaptureFileError(input.name, bufFileOff + pos, what);
  }
  return frames;
}

function flush(output: ByteOutput | null, buf: Uint8Array, upTo: number): void {
  if (output !== null) output.write(buf, 0, upTo);
}

/**
 * Where an output's records end, for cutting a file back after a failed
 * write (a full disk): the file is truncated to its last whole record, so
 * that what is left is a valid capture (or JSON Lines file) that tshark and
 * jq read to its end.
 *
 * The framing is told by the file's first bytes, as `file(1)` would: a pcap
 * magic (either byte order), a pcapng section header block, or `{` for the
 * JSON Lines packet log. Anything else is cut back to where the failed
 * write began, which every writer here calls at a record boundary.
 */
import { u32be, u32le } from './endian.js';
import { BLOCK_LEN, BLOCK_MIN_LEN, BT_SHB, BYTE_ORDER_MAGIC, SHB_BYTE_ORDER } from './pcapng.js';
import { PCAP_FILE_HEADER_LEN, PCAP_RECORD_HEADER_LEN, RH_INCL_LEN, isPcapMagicWord } from './pcap.js';

export const FRAMING_UNKNOWN = -1;
/** Whole write calls only. */
export const FRAMING_NONE = 0;
export const FRAMING_PCAP_LE = 1;
export const FRAMING_PCAP_BE = 2;
export const FRAMING_PCAPNG_LE = 3;
export const FRAMING_PCAPNG_BE = 4;
export const FRAMING_LINES = 5;

const NEWLINE = 0x0a;
const OPEN_BRACE = 0x7b;

/** The framing of a file that starts with buf[off, off + len). */
export function sniffFraming(buf: Uint8Array, off: number, len: number): number {
  if (len >= 1 && buf[off] === OPEN_BRACE) return FRAMING_LINES;
  if (len < 4) return FRAMING_NONE;
  if (isPcapMagicWord(u32le(buf, off))) return FRAMING_PCAP_LE;
  if (isPcapMagicWord(u32be(buf, off))) return FRAMING_PCAP_BE;
  if (u32le(buf, off) === BT_SHB && len >= SHB_BYTE_ORDER + 4) {
    if (u32le(buf, off + SHB_BYTE_ORDER) === BYTE_ORDER_MAGIC) return FRAMING_PCAPNG_LE;
    if (u32be(buf, off + SHB_BYTE_ORDER) === BYTE_ORDER_MAGIC) return FRAMING_PCAPNG_BE;
  }
  return FRAMING_NONE;
}

/**
 * How many of the `n` bytes at buf[off] (the start of one write call, at a
 * record boundary; at the file's start when `atFileStart`) are whole records,
 * with the file header.
 */
export function wholeRecordBytes(framing: number, buf: Uint8Array, off: number, n: number, atFileStart: boolean): number {
  switch (framing) {
    case FRAMING_PCAP_LE:
    case FRAMING_PCAP_BE:
      return wholePcapRecords(buf, off, n, framing === FRAMING_PCAP_LE, atFileStart ? PCAP_FILE_HEADER_LEN : 0);
    case FRAMING_PCAPNG_LE:
    case FRAMING_PCAPNG_BE:
      return wholePcapngBlocks(buf, off, n, framing === FRAMING_PCAPNG_LE);
    case FRAMING_LINES:
      return wholeLines(buf, off, n);
    default:
      return 0;
  }
}

function wholePcapRecords(buf: Uint8Array, off: number, n: number, le: boolean, headerLen: number): number {
  if (n < headerLen) return 0;
  let pos = headerLen;
  while (pos + PCAP_RECORD_HEADER_LEN <= n) {
    const at = off + pos + RH_INCL_LEN;
    const end = pos + PCAP_RECORD_HEADER_LEN + (le ? u32le(buf, at) : u32be(buf, at));
    if (end > n) break;
    pos = end;
  }
  return pos;
}

function wholePcapngBlocks(buf: Uint8Array, off: number, n: number, sectionLe: boolean): number {
  // The section's byte order at a later write call is not known here (a later section may have
  // the other order), so a block counts only when its trailing length repeats its leading one, in
  // the order tried first or else the other.
  let le = sectionLe;
  let pos = 0;
  while (pos + BLOCK_MIN_LEN <= n) {
    // A section header block sets the byte order of the blocks after it.
    if (u32le(buf, off + pos) === BT_SHB) le = u32le(buf, off + pos + SHB_BYTE_ORDER) === BYTE_ORDER_MAGIC;
    let len = framedBlockLen(buf, off, pos, n, le);
    if (len < 0) {
      len = framedBlockLen(buf, off, pos, n, !le);
      if (len < 0) break;
      le = !le;
    }
    pos += len;
  }
  return pos;
}

/** The length of the whole block at `pos` read in one byte order, or -1 when it does not fit in `n` or its trailer disagrees. */
function framedBlockLen(buf: Uint8Array, off: number, pos: number, n: number, le: boolean): number {
  const at = off + pos + BLOCK_LEN;
  const len = le ? u32le(buf, at) : u32be(buf, at);
  if (len < BLOCK_MIN_LEN || len % 4 !== 0 || pos + len > n) return -1;
  const trailer = off + pos + len - 4;
  return (le ? u32le(buf, trailer) : u32be(buf, trailer)) === len ? len : -1;
}

function wholeLines(buf: Uint8Array, off: number, n: number): number {
  for (let i = n - 1; i >= 0; i--) if (buf[off + i] === NEWLINE) return i + 1;
  return 0;
}

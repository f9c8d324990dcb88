/**
 * Opens a capture by its content, not its name: classic pcap (either byte
 * order, µs or ns) or pcapng, and streams it through a frame handler,
 * optionally writing the (rewritten) file out in the same format.
 */
import type { ByteInput, ByteOutput } from './byte-stream.js';
import { CaptureFileError } from './errors.js';
import type { FrameHandler } from './frame-handler.js';
import { MAX_RECORD_LEN, PCAP_FILE_HEADER_LEN, isPcapMagic, streamPcap, type StreamProgress } from './pcap.js';
import { BT_SHB, streamPcapng } from './pcapng.js';

/** Read buffer: several MiB per read call, and always room for a whole maximal record. */
export const STREAM_BUFFER_LEN = 4 * 1024 * 1024 + MAX_RECORD_LEN;

export type CaptureFormat = 'pcap' | 'pcapng';

/** A capture whose first bytes have been read and recognised. */
export class OpenedCapture {
  constructor(
    readonly input: ByteInput,
    readonly format: CaptureFormat,
    private readonly buf: Uint8Array,
    private readonly have: number,
  ) {}

  /** Streams every frame through `handler`; returns the frame count. Throws CaptureFileError. */
  stream(output: ByteOutput | null, handler: FrameHandler, progress: StreamProgress | null = null): number {
    const run = this.format === 'pcap' ? streamPcap : streamPcapng;
    return run(this.input, output, this.buf, this.have, handler, progress);
  }
}

export function openCapture(input: ByteInput, buf: Uint8Array = new Uint8Array(STREAM_BUFFER_LEN)): OpenedCapture {
  const have = input.readFully(buf, 0, PCAP_FILE_HEADER_LEN);
  if (have === 0) throw new CaptureFileError(input.name, 0, 'empty file: no capture file header');
  if (have >= 4 && isPcapMagic(buf)) return new OpenedCapture(input, 'pcap', buf, have);
  const first32 = have >= 4 ? (buf[0] | (buf[1] << 8) | (buf[2] << 16) | (buf[3] << 24)) >>> 0 : -1;
  if (first32 === BT_SHB) return new OpenedCapture(input, 'pcapng', buf, have);
  const magic = Array.from(buf.subarray(0, Math.min(4, have)), (b) => b.toString(16).padStart(2, '0')).join('');
  throw new CaptureFileError(input.name, 0, `not a pcap or pcapng file (starts with 0x${magic})`);
}

/** openCapture + stream, for callers that need no format before streaming. */
export function streamCapture(
  input: ByteInput,
  output: ByteOutput | null,
  handler: FrameHandler,
  progress: StreamProgress | null = null,
): { format: CaptureFormat; frames: number } {
  const capture = openCapture(input);
  return { format: capture.format, frames: capture.stream(output, handler, progress) };
}

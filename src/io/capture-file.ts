/**
 * Opens a capture by its content, not its name: classic pcap (either byte
 * order, µs or ns) or pcapng, and streams it through a frame handler,
 * optionally writing the (rewritten) file out in the same format.
 */
import type { ByteInput, ByteOutput } from './byte-stream.js';
import { CaptureFileError } from './errors.js';
import type { FrameHandler } from './frame-handler.js';
import { MAX_RECORD_LEN, PCAP_FILE_HEADER_LEN, isPcapMagic, streamPcap, type StreamProgress } from './pcap.js';

/** Read buffer: several MiB per read call, and always room for a whole maximal record. */
export const STREAM_BUFFER_LEN = 4 * 1024 * 1024 + MAX_RECORD_LEN;

const PCAPNG_SHB_TYPE = [0x0a, 0x0d, 0x0d, 0x0a];

export type CaptureFormat = 'pcap' | 'pcapng';

export interface StreamResult {
  format: CaptureFormat;
  frames: number;
}

export function streamCapture(
  input: ByteInput,
  output: ByteOutput | null,
  handler: FrameHandler,
  progress: StreamProgress | null = null,
  buf: Uint8Array = new Uint8Array(STREAM_BUFFER_LEN),
): StreamResult {
  const have = input.readFully(buf, 0, PCAP_FILE_HEADER_LEN);
  if (have === 0) throw new CaptureFileError(input.name, 0, 'empty file: no capture file header');
  if (have >= 4 && isPcapMagic(buf)) {
    return { format: 'pcap', frames: streamPcap(input, output, buf, have, handler, progress) };
  }
  if (have >= 4 && PCAPNG_SHB_TYPE.every((b, i) => buf[i] === b)) {
    throw new CaptureFileError(input.name, 0, 'pcapng files are not supported yet (convert with: editcap -F pcap IN OUT)');
  }
  const magic = Array.from(buf.subarray(0, Math.min(4, have)), (b) => b.toString(16).padStart(2, '0')).join('');
  throw new CaptureFileError(input.name, 0, `not a pcap or pcapng file (starts with 0x${magic})`);
}

/**
 * Capture-file input and output as file descriptors with a name for error
 * messages. `-` is standard input or output, as in tcpdump -r/-w.
 */
import * as fs from 'node:fs';
import { CaptureFileError } from './errors.js';
import { bytesWrittenBefore, readFully, readSome, writeAll } from './fd-io.js';
import { FRAMING_UNKNOWN, sniffFraming, wholeRecordBytes } from './record-framing.js';

export class ByteInput {
  /** Bytes handed out so far: the file offset of the next unread byte. */
  position = 0;

  constructor(
    readonly fd: number,
    readonly name: string,
    /** Size in bytes when known (regular files), for progress; else -1. */
    readonly size: number,
    protected readonly owned: boolean,
  ) {}

  static open(path: string): ByteInput {
    if (path === '-') return new ByteInput(0, '(stdin)', -1, false);
    let fd: number;
    try {
      fd = fs.openSync(path, 'r');
    } catch (err) {
      throw new CaptureFileError(path, -1, describeOsError(err));
    }
    const stat = fs.fstatSync(fd);
    if (stat.isDirectory()) {
      fs.closeSync(fd);
      throw new CaptureFileError(path, -1, 'is a directory');
    }
    return new ByteInput(fd, path, stat.isFile() ? stat.size : -1, true);
  }

  read(buf: Uint8Array, offset: number, length: number): number {
    const n = readSome(this.fd, buf, offset, length);
    this.position += n;
    return n;
  }

  /**
   * Moves the unread tail buf[from, end) to the front of the buffer and reads
   * once behind it. Returns the new end; it equals end - from at end of file.
   */
  refill(buf: Uint8Array, from: number, end: number): number {
    buf.copyWithin(0, from, end);
    const kept = end - from;
    return kept + this.read(buf, kept, buf.length - kept);
  }

  readFully(buf: Uint8Array, offset: number, length: number): number {
    const n = readFully(this.fd, buf, offset, length);
    this.position += n;
    return n;
  }

  close(): void {
    if (this.owned) fs.closeSync(this.fd);
  }
}

export class ByteOutput {
  constructor(
    readonly fd: number,
    readonly name: string,
    protected readonly owned: boolean,
  ) {}

  static create(path: string): ByteOutput {
    if (path === '-') return new ByteOutput(1, '(stdout)', false);
    try {
      return new ByteOutput(fs.openSync(path, 'w'), path, true);
    } catch (err) {
      throw new CaptureFileError(path, -1, describeOsError(err));
    }
  }

  /** Bytes written so far: the file offset of the next write. */
  protected written = 0;

  /**
   * Writes buf[offset, offset + length). Every caller writes whole records
   * (pcap records, pcapng blocks, JSON lines) per call, so when a write fails
   * (a full disk) the file is cut back to the last whole record it got
   * (record-framing.ts): a valid file, readable up to there.
   */
  write(buf: Uint8Array, offset: number, length: number): void {
    if (length <= 0) return;
    if (this.written === 0) this.framing = sniffFraming(buf, offset, length);
    try {
      writeAll(this.fd, buf, offset, length);
    } catch (err) {
      const done = bytesWrittenBefore(err);
      const error = outputError(this.name, this.written + done, err);
      if (!(error instanceof CaptureFileError)) throw error;
      const keep = this.wholeRecordsEnd(this.written, this.written, buf, offset, done);
      throw this.cutBack(keep) ? outputError(this.name, this.written + done, err, keep) : error;
    }
    this.written += length;
  }

  /**
   * Where the file is cut back to after a failed write of a part that began
   * at file offset `partStart`, of a write call that began at `callStart`,
   * when `done` bytes of it (from buf[offset]) were written: the part's whole
   * records when it is the call's start, else the call's start.
   */
  protected wholeRecordsEnd(callStart: number, partStart: number, buf: Uint8Array, offset: number, done: number): number {
    if (partStart !== callStart) return callStart;
    return callStart + wholeRecordBytes(this.framing, buf, offset, done, callStart === 0);
  }

  /** How the file divides into records (record-framing.ts), told by its first bytes. */
  protected framing = FRAMING_UNKNOWN;

  /** A file of ours that a failed write can cut back: not stdout, a device or a pipe. */
  protected cuttable(): boolean {
    try {
      return this.owned && fs.fstatSync(this.fd).isFile();
    } catch {
      return false;
    }
  }

  /** Truncates the file to `length` bytes when it is cuttable(); true when it did. */
  protected cutBack(length: number): boolean {
    if (!this.cuttable()) return false;
    try {
      fs.ftruncateSync(this.fd, length);
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Called by the stream functions after they wrote buf[0, from): returns the
   * buffer the stream goes on in, with the unfinished bytes buf[from, end)
   * moved to its front. Here that is the same buffer; an output that took
   * the written bytes without copying them (write-behind) hands back another.
   * `buf` is the buffer the stream is in: the one the last carry returned,
   * unless the stream has since moved to a bigger one of its own.
   */
  carry(buf: Uint8Array, from: number, end: number): Uint8Array {
    buf.copyWithin(0, from, end);
    return buf;
  }

  close(): void {
    if (this.owned) fs.closeSync(this.fd);
  }
}

/** ByteOutput.carry, or the same move within `buf` when there is no output (audit). */
export function carryTail(output: ByteOutput | null, buf: Uint8Array, from: number, end: number): Uint8Array {
  if (output !== null) return output.carry(buf, from, end);
  buf.copyWithin(0, from, end);
  return buf;
}

/**
 * A failed write as a file error (one line naming the output, the byte where
 * the write failed, and the OS's reason: a full disk is the user's problem,
 * not an internal error), saying where the output was cut back to when it
 * was (`keptBytes` >= 0). Errors without an OS error code are passed on as
 * they are.
 */
export function outputError(name: string, offset: number, err: unknown, keptBytes = -1): unknown {
  if (err instanceof CaptureFileError || typeof (err as NodeJS.ErrnoException)?.code !== 'string') return err;
  if ((err as NodeJS.ErrnoException).code === 'EPIPE') return err;
  const kept = keptBytes >= 0 ? ` (the output keeps its first ${keptBytes} bytes, up to the last whole record)` : '';
  return new CaptureFileError(name, offset, `cannot write: ${describeOsError(err)}${kept}`);
}

export function describeOsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ENOSPC':
      return 'no space left on device';
    case 'EFBIG':
      return 'file too large';
    case 'EDQUOT':
      return 'disk quota exceeded';
    case 'EIO':
      return 'input/output error';
    default:
      return e?.message ?? String(err);
  }
}

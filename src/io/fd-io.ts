/**
 * Synchronous reads and writes on file descriptors, for streaming through one
 * reused buffer. Pipes and terminals may be non-blocking (EAGAIN); those are
 * retried after a short sleep rather than failing the run.
 */
import * as fs from 'node:fs';

const sleeper = new Int32Array(new SharedArrayBuffer(4));
const RETRY_SLEEP_MS = 1;

function isEagain(err: unknown): boolean {
  return (err as NodeJS.ErrnoException)?.code === 'EAGAIN';
}

/** One read of up to `length` bytes; 0 at end of file. */
export function readSome(fd: number, buf: Uint8Array, offset: number, length: number): number {
  for (;;) {
    try {
      return fs.readSync(fd, buf, offset, length, null);
    } catch (err) {
      if (isEagain(err)) Atomics.wait(sleeper, 0, 0, RETRY_SLEEP_MS);
      else if ((err as NodeJS.ErrnoException).code === 'EOF') return 0;
      else throw err;
    }
  }
}

/** Reads until `length` bytes or end of file; returns how many were read. */
export function readFully(fd: number, buf: Uint8Array, offset: number, length: number): number {
  let done = 0;
  while (done < length) {
    const n = readSome(fd, buf, offset + done, length - done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * How many bytes a failed writeAll/pwriteAll got out before it failed (a
 * full disk takes part of a write): carried on the error it threw.
 */
export function bytesWrittenBefore(err: unknown): number {
  return (err as { bytesWritten?: number } | null)?.bytesWritten ?? 0;
}

function withBytesWritten(err: unknown, done: number): unknown {
  if (err !== null && typeof err === 'object') Object.assign(err, { bytesWritten: done });
  return err;
}

export function writeAll(fd: number, buf: Uint8Array, offset: number, length: number): void {
  let done = 0;
  while (done < length) {
    try {
      done += fs.writeSync(fd, buf, offset + done, length - done);
    } catch (err) {
      if (isEagain(err)) Atomics.wait(sleeper, 0, 0, RETRY_SLEEP_MS);
      else throw withBytesWritten(err, done);
    }
  }
}

/**
 * Positional variants for regular files (read-ahead and write-behind): the
 * file offset is explicit, so the main thread and an I/O thread can each do
 * their share on one descriptor without sharing a file position.
 */
export function preadFully(fd: number, buf: Uint8Array, offset: number, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, offset + done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function pwriteAll(fd: number, buf: Uint8Array, offset: number, length: number, position: number): void {
  let done = 0;
  try {
    while (done < length) done += fs.writeSync(fd, buf, offset + done, length - done, position + done);
  } catch (err) {
    throw withBytesWritten(err, done);
  }
}

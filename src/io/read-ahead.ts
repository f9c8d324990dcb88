/**
 * Read-ahead input for big regular files: an I/O thread (io-thread.ts)
 * preads the file into a ring of shared slots ahead of the main thread, and
 * `refill`/`read`/`readFully` copy the next ready bytes out of the slots
 * into the stream buffer, so the main thread's time goes to packets, not to
 * read calls.
 *
 * Until the thread has started (tens of milliseconds), the main thread reads
 * for itself at its own offset; the thread takes over from wherever the main
 * thread has got to. Every call fills the requested room completely unless
 * the file ends, as a read of a regular file does, so the stream functions
 * see the same chunks as with ByteInput. A read error in the thread is
 * rethrown, with its original message and code, by the call that reaches
 * the bytes it could not read.
 */
import * as fs from 'node:fs';
import { ByteInput } from './byte-stream.js';
import { preadFully } from './fd-io.js';
import { CTL, IoThread } from './io-thread.js';

/** 8 slots of 1 MiB: about two stream-buffer chunks read ahead. */
export const READ_AHEAD_SLOT_BYTES = 1 << 20;
export const READ_AHEAD_SLOTS = 8;

export class ReadAheadInput extends ByteInput {
  private readonly thread: IoThread;
  /** Next slot to copy from, and how far into it (-1: none taken yet). */
  private consumed = 0;
  private slotLen = -1;
  private slotPos = 0;
  private atEof = false;
  private closed = false;
  /** Bytes copied out of the thread's slots, and read here (before the thread started). */
  readonly stats = { slotBytes: 0, directBytes: 0 };

  /** Takes over `fd`, a regular file of `size` bytes opened for reading at offset 0. */
  constructor(fd: number, name: string, size: number, owned = true, slotSize = READ_AHEAD_SLOT_BYTES, slots = READ_AHEAD_SLOTS) {
    super(fd, name, size, owned);
    this.thread = new IoThread('read', fd, slotSize, slots);
  }

  override read(buf: Uint8Array, offset: number, length: number): number {
    const n = this.take(buf, offset, length);
    this.position += n;
    return n;
  }

  override readFully(buf: Uint8Array, offset: number, length: number): number {
    return this.read(buf, offset, length);
  }

  // refill is ByteInput's: move the tail to the front, then this.read behind it.

  /** Copies up to `length` bytes, fewer only at end of file. */
  private take(buf: Uint8Array, offset: number, length: number): number {
    if (this.atEof || length <= 0) return 0;
    const t = this.thread;
    const ctl = t.ctl;
    if (Atomics.load(ctl, CTL.STATE) !== CTL.WORKER && Atomics.compareExchange(ctl, CTL.STATE, CTL.IDLE, CTL.MAIN_BUSY) === CTL.IDLE) {
      // The thread has not started: read here, and leave it the offset to carry on from.
      let n = 0;
      try {
        n = preadFully(this.fd, buf, offset, length, this.position);
      } finally {
        t.offsets[t.slots] = this.position + n;
        Atomics.store(ctl, CTL.STATE, CTL.IDLE);
        Atomics.notify(ctl, CTL.STATE);
      }
      if (n < length) this.atEof = true;
      this.stats.directBytes += n;
      return n;
    }
    let got = 0;
    while (got < length) {
      if (this.slotLen < 0) {
        const next = this.consumed + 1;
        if (!t.waitFor(() => Atomics.load(ctl, CTL.PRODUCED) >= next)) {
          t.throwIfFailed();
          throw new Error(`${this.name}: read-ahead thread stopped early`);
        }
        this.slotLen = ctl[CTL.LENS + (this.consumed % t.slots)];
        this.slotPos = 0;
      }
      const left = this.slotLen - this.slotPos;
      const n = length - got < left ? length - got : left;
      const from = (this.consumed % t.slots) * t.slotSize + this.slotPos;
      buf.set(t.data.subarray(from, from + n), offset + got);
      got += n;
      this.slotPos += n;
      if (this.slotPos === this.slotLen) {
        // A short slot is the last one.
        const last = this.slotLen < t.slotSize;
        this.consumed++;
        this.slotLen = -1;
        Atomics.store(ctl, CTL.CONSUMED, this.consumed);
        t.wakeWorker();
        if (last) {
          this.atEof = true;
          break;
        }
      }
    }
    this.stats.slotBytes += got;
    return got;
  }

  /** Blocks until the thread runs, so that every read comes through the slots (tests). */
  awaitThread(): this {
    this.thread.awaitStart();
    return this;
  }

  override close(): void {
    if (this.closed) return;
    this.closed = true;
    const t = this.thread;
    try {
      t.stop();
      t.release();
    } finally {
      t.dispose();
      if (this.owned) fs.closeSync(this.fd);
    }
  }
}

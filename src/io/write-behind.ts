/**
 * Write-behind output for big regular files: `write` copies the chunk into a
 * free shared slot and returns; an I/O thread (io-thread.ts) does the
 * pwrite on the other core while the main thread goes on marking packets.
 *
 * Why: writing a rewritten capture into fresh pages (tmpfs, page cache)
 * costs the kernel a page allocation and clearing per 4 KiB, up to ~100 ns
 * per packet on a small VM, all of it on the one thread that also parses,
 * classifies and marks. A memcpy into a slot costs a small fraction of that.
 *
 * Same bytes, same order of failure: every chunk lands at its own file
 * offset (pwrite), so the file is identical to the synchronous ByteOutput's.
 * When every slot is full, or the thread has not started yet, the main
 * thread writes the chunk itself at its offset rather than wait. An I/O
 * error in the thread is rethrown, with its original message and code, from
 * the next `write` or from `close`, which first waits for every pending slot.
 */
import * as fs from 'node:fs';
import { ByteOutput, outputError } from './byte-stream.js';
import { pwriteAll } from './fd-io.js';
import { CTL, IoThread } from './io-thread.js';

/**
 * 20 slots of 512 KiB: room for two stream-buffer chunks (4.25 MiB each) and
 * some, so the thread writes one while the main thread fills the next.
 */
export const WRITE_BEHIND_SLOT_BYTES = 512 * 1024;
export const WRITE_BEHIND_SLOTS = 20;

export class WriteBehindOutput extends ByteOutput {
  /** Bytes accepted so far: the file offset of the next chunk. */
  private position = 0;
  private produced = 0;
  private readonly thread: IoThread;
  private closed = false;
  private failureReported = false;
  /** Chunk parts handed to the thread, and written here instead (slots full, or no thread yet). */
  readonly stats = { slotWrites: 0, directWrites: 0 };

  /** Takes over `fd`, a regular file opened for writing at offset 0 (closes it when owned). */
  constructor(fd: number, name: string, owned = true, slotSize = WRITE_BEHIND_SLOT_BYTES, slots = WRITE_BEHIND_SLOTS) {
    super(fd, name, owned);
    this.thread = new IoThread('write', fd, slotSize, slots);
  }

  override write(buf: Uint8Array, offset: number, length: number): void {
    if (length <= 0) return;
    try {
      this.submit(buf, offset, length);
    } catch (err) {
      // A deferred error from the thread has no exact offset of its own.
      throw outputError(this.name, this.directAt, err);
    }
  }

  /** Where the failed direct write began, or -1 when the thread's write failed. */
  private directAt = -1;

  private submit(buf: Uint8Array, offset: number, length: number): void {
    const t = this.thread;
    if (Atomics.load(t.ctl, CTL.FAILED) !== 0) {
      // Reported once, like a failing synchronous write; close() then only releases.
      this.failureReported = true;
      t.throwIfFailed();
    }
    const ctl = t.ctl;
    let at = this.position;
    this.position += length;
    let submitted = false;
    while (length > 0) {
      if (this.produced - Atomics.load(ctl, CTL.CONSUMED) >= t.slots) {
        // Every slot is in flight (or the thread is still starting): write this part here,
        // after waking the thread for the slots just filled.
        if (submitted) t.wakeWorker();
        submitted = false;
        try {
          pwriteAll(this.fd, buf, offset, length, at);
        } catch (err) {
          this.failureReported = true;
          this.directAt = at;
          throw err;
        }
        this.stats.directWrites++;
        break;
      }
      const n = length < t.slotSize ? length : t.slotSize;
      const i = this.produced % t.slots;
      t.data.set(buf.subarray(offset, offset + n), i * t.slotSize);
      ctl[CTL.LENS + i] = n;
      t.offsets[i] = at;
      this.produced++;
      this.stats.slotWrites++;
      Atomics.store(ctl, CTL.PRODUCED, this.produced);
      submitted = true;
      offset += n;
      at += n;
      length -= n;
    }
    if (submitted) t.wakeWorker();
  }

  /** Blocks until the thread runs, so that every write goes through the slots (tests). */
  awaitThread(): this {
    this.thread.awaitStart();
    return this;
  }

  /** Waits for every pending slot, stops the thread, closes the file; throws a deferred write error. */
  override close(): void {
    try {
      this.finish();
    } catch (err) {
      throw outputError(this.name, -1, err);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const t = this.thread;
    const ctl = t.ctl;
    try {
      if (Atomics.compareExchange(ctl, CTL.STATE, CTL.IDLE, CTL.CLOSED) === CTL.IDLE) {
        // The thread never started: write what is pending here; it will find the file closed.
        if (this.failureReported) return;
        for (let s = Atomics.load(ctl, CTL.CONSUMED); s < this.produced; s++) {
          const i = s % t.slots;
          pwriteAll(this.fd, t.data, i * t.slotSize, ctl[CTL.LENS + i], t.offsets[i]);
        }
      } else {
        // Even after a reported failure, the thread must be done with the descriptor before it is closed.
        t.wakeWorker();
        t.waitFor(() => Atomics.load(ctl, CTL.CONSUMED) === this.produced);
        if (this.failureReported) return;
        t.throwIfFailed();
        if (Atomics.load(ctl, CTL.CONSUMED) !== this.produced) throw new Error(`${this.name}: write-behind thread stopped early`);
      }
    } finally {
      t.stop();
      t.dispose();
      if (this.owned) fs.closeSync(this.fd);
    }
  }
}

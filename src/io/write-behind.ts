/**
 * Write-behind output for big regular files: the chunks go to an I/O thread
 * (io-thread.ts), which does the pwrite on the other core while the main
 * thread goes on marking packets.
 *
 * Why: writing a rewritten capture into fresh pages (tmpfs, page cache)
 * costs the kernel a page allocation and clearing per 4 KiB, up to ~100 ns
 * per packet on a small VM, all of it on the one thread that also parses,
 * classifies and marks.
 *
 * Without a copy, where it can: each slot is big enough to be the stream
 * buffer itself. `carry` hands the stream functions a free slot to read the
 * next chunk into, and `write` of that slot's bytes passes the slot to the
 * thread as it is (a copy into shared memory would cost the main thread
 * ~0.1 s per GB here, V8 copying into a SharedArrayBuffer word by word).
 * Any other buffer (the first chunk's, a grown pcapng buffer, the
 * generator's) is copied into free slots. When no slot is free the stream
 * goes on in a spare buffer, and a chunk that finds no free slot (every slot
 * in flight, the thread not started yet, or the next slot lent to the
 * stream) is written by the main thread at its offset rather than wait.
 *
 * Same bytes: every chunk lands at its own file offset (pwrite), so the
 * file is identical to the synchronous ByteOutput's. An I/O error in the
 * thread is rethrown, with its original message and code, from the next
 * `write` or from `close`, which first waits for every pending slot. The
 * error can differ from the synchronous path's in where it is said to be:
 * a failed direct write names its own offset, which may lie past a slot
 * whose failed write the thread has not reported yet. Either way, once the
 * thread is done the file is cut back to the start of the earliest write
 * call that failed, keeping the whole records it got (ByteOutput.write's
 * rule). The prefix kept can be shorter than the synchronous path's: a
 * direct write at a later offset may take the disk's last free pages before
 * the thread writes an earlier slot, and then the cut is at that slot.
 */
import * as fs from 'node:fs';
import { ByteOutput, outputError } from './byte-stream.js';
import { STREAM_BUFFER_LEN } from './capture-file.js';
import { bytesWrittenBefore, pwriteAll } from './fd-io.js';
import { sniffFraming } from './record-framing.js';
import { CTL, IoThread } from './io-thread.js';

/**
 * 3 slots of one stream buffer each: the thread writes one or two while the
 * main thread fills the third.
 */
export const WRITE_BEHIND_SLOT_BYTES = STREAM_BUFFER_LEN;
export const WRITE_BEHIND_SLOTS = 3;

export class WriteBehindOutput extends ByteOutput {
  /** Bytes accepted so far: the file offset of the next chunk. */
  private position = 0;
  private produced = 0;
  private readonly thread: IoThread;
  private closed = false;
  private failureReported = false;
  /** Each slot as a buffer of its own, made on first use. */
  private readonly slotViews: (Uint8Array | undefined)[] = [];
  /**
   * The free slot (the next to be produced) that `carry` handed to the stream
   * to read into; its bytes go to the thread uncopied. Null when the stream
   * is in some other buffer.
   */
  private lent: Uint8Array | null = null;
  /**
   * Where the stream goes on when its slot went to the thread and no other is
   * free: the buffer it started in (the capture's own), or one made for it.
   */
  private spare: Uint8Array | null = null;
  /**
   * Chunk parts handed to the thread (`slotWrites`, of which `lentSlots`
   * without a copy), and written here instead (no free slot: all in flight,
   * the next one lent to the stream, or no thread yet).
   */
  readonly stats = { slotWrites: 0, lentSlots: 0, directWrites: 0 };

  /** Takes over `fd`, a regular file opened for writing at offset 0 (closes it when owned). */
  constructor(fd: number, name: string, owned = true, slotSize = WRITE_BEHIND_SLOT_BYTES, slots = WRITE_BEHIND_SLOTS) {
    super(fd, name, owned);
    this.thread = new IoThread('write', fd, slotSize, slots);
    this.slotCallStart = new Float64Array(slots);
  }

  override write(buf: Uint8Array, offset: number, length: number): void {
    if (length <= 0) return;
    if (this.position === 0) this.framing = sniffFraming(buf, offset, length);
    try {
      this.throwIfFailed();
      if (buf === this.lent && offset === 0) this.submitLent(length);
      else this.submit(buf, offset, length);
    } catch (err) {
      this.settleFailure();
      throw outputError(this.name, this.failedAt, err, this.cuttable() ? this.cutAt : -1);
    }
  }

  /**
   * After a failed write, lets the thread finish the slots before it, so
   * that the error can say where the file will be cut: at the earliest
   * failure, which may be in one of those.
   */
  private settleFailure(): void {
    const t = this.thread;
    if (this.takeOverIfIdle()) {
      // The thread never started, and now never will: the slots it did not write are written
      // here, after giving back the space the later direct writes took (they are past the cut
      // anyway), so that the output keeps as many whole records as the disk holds.
      const first = Atomics.load(t.ctl, CTL.CONSUMED);
      if (first < this.produced && this.cuttable()) {
        this.cutBack(t.offsets[first % t.slots]);
        const last = (this.produced - 1) % t.slots;
        try {
          this.writePendingHere();
          // All written: the direct writes after them went with the cut, so keep the slots' whole records at most.
          const keep = this.slotKeep(last, t.ctl[CTL.LENS + last]);
          if (keep < this.cutAt) this.cutAt = keep;
        } catch {
          // Noted by writePendingHere: the earliest failure decides the cut.
        }
      }
    } else {
      t.wakeWorker();
      t.waitFor(() => Atomics.load(t.ctl, CTL.CONSUMED) === this.produced);
    }
    this.noteThreadFailure();
  }

  /** True once the main thread has taken the I/O over from a thread that had not started. */
  private tookOver = false;

  /** Takes the I/O over when the thread has not started (it will then find the file closed); true when taken. */
  private takeOverIfIdle(): boolean {
    if (!this.tookOver && Atomics.compareExchange(this.thread.ctl, CTL.STATE, CTL.IDLE, CTL.CLOSED) === CTL.IDLE) this.tookOver = true;
    return this.tookOver;
  }

  /** Writes, in order, the slots the thread never took; a failure is noted and thrown. */
  private writePendingHere(): void {
    const t = this.thread;
    const ctl = t.ctl;
    for (let s = Atomics.load(ctl, CTL.CONSUMED); s < this.produced; s++) {
      const i = s % t.slots;
      try {
        pwriteAll(this.fd, t.data, i * t.slotSize, ctl[CTL.LENS + i], t.offsets[i]);
      } catch (err) {
        this.noteFailedSlot(i, t.offsets[i] + bytesWrittenBefore(err));
        throw err;
      }
      Atomics.store(ctl, CTL.CONSUMED, s + 1);
    }
  }

  /**
   * For each slot, the file offset where the write call it is part of began
   * (a chunk copied into several slots is one call): a failed slot cuts the
   * file back to there.
   */
  private readonly slotCallStart: Float64Array;
  /** Where the earliest failed write failed, and where the file is cut back to once the thread is done; -1: none. */
  private failedAt = -1;
  private cutAt = -1;

  /** Notes a failed write that leaves whole records up to `keep` and failed at `failedAt`: the earliest wins. */
  private noteFailure(keep: number, failedAt: number): void {
    if (this.cutAt >= 0 && this.cutAt <= keep) {
      if (this.cutAt === keep && failedAt < this.failedAt) this.failedAt = failedAt;
      return;
    }
    this.cutAt = keep;
    this.failedAt = failedAt;
  }

  /**
   * Notes the thread's failed write, if it had one: the slot it stopped at is
   * the next unconsumed, and still holds its bytes (a slot is reused only
   * once consumed).
   */
  private noteThreadFailure(): void {
    const t = this.thread;
    const f = t.failureReport();
    if (f === undefined || f.failedAt < 0) return;
    const i = Atomics.load(t.ctl, CTL.CONSUMED) % t.slots;
    this.noteFailedSlot(i, f.failedAt);
  }

  /** A slot's write failed at `failedAt`: keep its whole records when it starts a write call, else cut at the call's start. */
  private noteFailedSlot(i: number, failedAt: number): void {
    this.noteFailure(this.slotKeep(i, failedAt - this.thread.offsets[i]), failedAt);
  }

  /**
   * The file length that keeps whole records when slot i's first `bytes` are
   * its last written: its whole records when the slot starts a write call,
   * else the start of the call it is part of.
   */
  private slotKeep(i: number, bytes: number): number {
    const t = this.thread;
    return this.wholeRecordsEnd(this.slotCallStart[i], t.offsets[i], t.data, i * t.slotSize, bytes);
  }

  /**
   * The next chunk goes into a free slot when there is one and it is as big
   * as the stream's buffer; else into the spare buffer when `buf` is a slot
   * now in the thread's hands; else into `buf` itself.
   */
  override carry(buf: Uint8Array, from: number, end: number): Uint8Array {
    // Nothing was written out of the lent slot: the stream stays in it.
    if (buf === this.lent) return super.carry(buf, from, end);
    // The stream is not in the slot lent to it (a pcapng block too big for it moved it to a
    // bigger buffer before anything was written): the slot is free again.
    this.lent = null;
    const t = this.thread;
    const inSlot = buf.buffer === t.data.buffer;
    // The capture's own buffer, left for a slot, is the spare when one is needed.
    if (!inSlot && buf.length === t.slotSize) this.spare ??= buf;
    let next = this.lendSlot(buf.length);
    if (next === null) next = inSlot ? (this.spare ??= new Uint8Array(t.slotSize)) : buf;
    if (next === buf) return super.carry(buf, from, end);
    // `buf` may be a slot the thread is writing from: reading it meanwhile is safe.
    next.set(buf.subarray(from, end), 0);
    return next;
  }

  private lendSlot(minLength: number): Uint8Array | null {
    const t = this.thread;
    if (t.slotSize < minLength || this.produced - Atomics.load(t.ctl, CTL.CONSUMED) >= t.slots) return null;
    const i = this.produced % t.slots;
    this.lent = this.slotViews[i] ??= t.data.subarray(i * t.slotSize, (i + 1) * t.slotSize);
    return this.lent;
  }

  private throwIfFailed(): void {
    if (Atomics.load(this.thread.ctl, CTL.FAILED) === 0) return;
    // Reported once, like a failing synchronous write; close() then only releases.
    this.failureReported = true;
    this.noteThreadFailure();
    this.thread.throwIfFailed();
  }

  /** Hands the lent slot's first `length` bytes to the thread as they are. */
  private submitLent(length: number): void {
    const t = this.thread;
    const ctl = t.ctl;
    const i = this.produced % t.slots;
    ctl[CTL.LENS + i] = length;
    t.offsets[i] = this.position;
    this.slotCallStart[i] = this.position;
    this.position += length;
    this.produced++;
    this.lent = null;
    this.stats.slotWrites++;
    this.stats.lentSlots++;
    Atomics.store(ctl, CTL.PRODUCED, this.produced);
    t.wakeWorker();
  }

  /** Copies the chunk into free slots; what finds none free is written here, at its offset. */
  private submit(buf: Uint8Array, offset: number, length: number): void {
    const t = this.thread;
    const ctl = t.ctl;
    const callStart = this.position;
    let at = callStart;
    this.position += length;
    let submitted = false;
    while (length > 0) {
      // The next slot is lent to the stream, or every slot is in flight (or the thread is
      // still starting): write this part here, after waking the thread for the slots just filled.
      if (this.lent !== null || this.produced - Atomics.load(ctl, CTL.CONSUMED) >= t.slots) {
        if (submitted) t.wakeWorker();
        submitted = false;
        try {
          pwriteAll(this.fd, buf, offset, length, at);
        } catch (err) {
          this.failureReported = true;
          const done = bytesWrittenBefore(err);
          this.noteFailure(this.wholeRecordsEnd(callStart, at, buf, offset, done), at + done);
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
      this.slotCallStart[i] = callStart;
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
      // finish() has waited for the thread and noted every failure.
      throw outputError(this.name, this.failedAt, err, this.cuttable() ? this.cutAt : -1);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    const t = this.thread;
    const ctl = t.ctl;
    try {
      if (this.takeOverIfIdle()) {
        // The thread never started: what is pending is written here (after a reported failure,
        // settleFailure has done so already).
        if (this.failureReported) return;
        this.writePendingHere();
      } else {
        // Even after a reported failure, the thread must be done with the descriptor before it is closed.
        t.wakeWorker();
        t.waitFor(() => Atomics.load(ctl, CTL.CONSUMED) === this.produced);
        // A slot before a failed direct write may have failed too: the earliest failure is where the file is cut.
        this.noteThreadFailure();
        if (this.failureReported) return;
        t.throwIfFailed();
        if (Atomics.load(ctl, CTL.CONSUMED) !== this.produced) throw new Error(`${this.name}: write-behind thread stopped early`);
      }
    } finally {
      if (this.cutAt >= 0) this.cutBack(this.cutAt);
      t.stop();
      t.dispose();
      if (this.owned) fs.closeSync(this.fd);
    }
  }
}

/**
 * The I/O thread behind read-ahead (read-ahead.ts) and write-behind
 * (write-behind.ts): a worker thread that does the blocking reads or writes
 * of a regular capture file while the main thread classifies and marks
 * packets on the other core.
 *
 * The two threads share a ring of fixed-size byte slots (one
 * SharedArrayBuffer) and a small control block of Int32 words, and
 * synchronise with Atomics.wait/notify only, once per slot, never per packet.
 * Both sides use positional reads and writes (pread/pwrite), so the main
 * thread can do a slot's worth of I/O itself while the thread is still
 * starting (tens of milliseconds on a small VM) or, for output, when every
 * slot is full, without the two sharing a file position.
 *
 * The thread body is an ordinary function run from its source text
 * (`eval: true`): it needs no module file next to it, so it runs the same
 * from dist/ and from the TypeScript sources under test, and it starts
 * faster than an ES module worker. It therefore refers to nothing outside
 * itself: the control-block layout and `fs` come in as arguments.
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';

/** Indices into the Int32 control block, shared by both sides. */
export const CTL = {
  /** Who does the I/O: IDLE (the main thread, between calls), WORKER, MAIN_BUSY (read side), CLOSED. */
  STATE: 0,
  /** Slots filled so far: by the main thread (write), by the thread (read). */
  PRODUCED: 1,
  /** Slots emptied so far: by the thread (write), by the main thread (read). */
  CONSUMED: 2,
  /** Bumped by the main thread whenever it changes something the thread waits for. */
  TO_WORKER: 3,
  /** Bumped by the thread whenever it changes something the main thread waits for. */
  TO_MAIN: 4,
  /** Set by the main thread: stop (after the pending writes, for output). */
  STOP: 5,
  /** Set by the thread when an I/O call failed; the error follows on the port. */
  FAILED: 6,
  /** Set by the thread as it leaves; it no longer touches the descriptor. */
  EXITED: 7,
  /** Then one Int32 per slot: its byte count. */
  LENS: 8,
  /** STATE values. */
  IDLE: 0,
  WORKER: 1,
  MAIN_BUSY: 2,
  CLOSED: 3,
} as const;

type Layout = typeof CTL;

export interface IoThreadData {
  role: 'read' | 'write';
  fd: number;
  ctl: Int32Array;
  /** File offset of each slot's bytes; entry [slots] is where reading starts (read side). */
  offsets: Float64Array;
  data: Uint8Array;
  slotSize: number;
  slots: number;
  layout: Layout;
  port: MessagePort;
}

/** What crosses the port when an I/O call fails: enough to rebuild the same error. */
export interface IoErrorMessage {
  message: string;
  code?: string;
  errno?: number;
  syscall?: string;
  /** A failed write: the file offset of the byte it failed at (-1 for reads). */
  failedAt: number;
}

/** The thread body. Self-contained: it is run from its source text. */
function ioThreadMain(d: IoThreadData, fs: typeof import('node:fs')): void {
  const L = d.layout;
  const ctl = d.ctl;
  const toMain = (): void => {
    Atomics.add(ctl, L.TO_MAIN, 1);
    Atomics.notify(ctl, L.TO_MAIN);
  };
  /** Waits until the main thread bumps TO_WORKER after `seen` was read. */
  const waitMain = (seen: number): void => {
    Atomics.wait(ctl, L.TO_WORKER, seen);
  };
  // How far the slot being written got, for the report of a failed write.
  let failedAt = -1;
  try {
    // Fault the slot pages in here, on this thread's core, rather than on the main thread at its
    // first copy into each (a fresh page costs microseconds on a VM). An atomic exchange of a word
    // with itself changes nothing, whatever the main thread has already written there.
    const words = new Int32Array(d.data.buffer, d.data.byteOffset, d.data.byteLength >> 2);
    for (let w = 0; w < words.length; w += 1024) Atomics.compareExchange(words, w, 0, 0);
    // Take over the I/O unless the main thread has closed the file first.
    for (;;) {
      const s = Atomics.compareExchange(ctl, L.STATE, L.IDLE, L.WORKER);
      if (s === L.IDLE) break;
      if (s === L.CLOSED) return;
      Atomics.wait(ctl, L.STATE, s);
    }
    toMain();
    const { fd, data, offsets, slotSize, slots } = d;
    if (d.role === 'write') {
      let done = Atomics.load(ctl, L.CONSUMED);
      for (;;) {
        const seen = Atomics.load(ctl, L.TO_WORKER);
        if (Atomics.load(ctl, L.PRODUCED) === done) {
          if (Atomics.load(ctl, L.STOP) !== 0) return;
          waitMain(seen);
          continue;
        }
        const i = done % slots;
        const len = ctl[L.LENS + i];
        const at = offsets[i];
        const base = i * slotSize;
        let w = 0;
        failedAt = at;
        while (w < len) {
          w += fs.writeSync(fd, data, base + w, len - w, at + w);
          failedAt = at + w;
        }
        done++;
        Atomics.store(ctl, L.CONSUMED, done);
        toMain();
      }
    } else {
      let filled = 0;
      let at = offsets[slots];
      for (;;) {
        const seen = Atomics.load(ctl, L.TO_WORKER);
        if (Atomics.load(ctl, L.STOP) !== 0) return;
        if (filled - Atomics.load(ctl, L.CONSUMED) >= slots) {
          waitMain(seen);
          continue;
        }
        const i = filled % slots;
        const base = i * slotSize;
        let n = 0;
        while (n < slotSize) {
          const r = fs.readSync(fd, data, base + n, slotSize - n, at + n);
          if (r === 0) break;
          n += r;
        }
        ctl[L.LENS + i] = n;
        at += n;
        filled++;
        Atomics.store(ctl, L.PRODUCED, filled);
        toMain();
        // A short slot is the last: end of file after its bytes.
        if (n < slotSize) return;
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const report: IoErrorMessage = {
      message: String(e?.message ?? err),
      code: e?.code,
      errno: e?.errno,
      syscall: e?.syscall,
      failedAt,
    };
    d.port.postMessage(report);
    Atomics.store(ctl, L.FAILED, 1);
  } finally {
    Atomics.store(ctl, L.EXITED, 1);
    toMain();
    d.port.close();
  }
}

const THREAD_SOURCE = `(${ioThreadMain.toString()})(require('node:worker_threads').workerData, require('node:fs'))`;

/**
 * The main thread's end of one I/O thread: the shared slots and control
 * block, and the waiting and error plumbing both read-ahead and write-behind
 * need.
 */
export class IoThread {
  readonly ctl: Int32Array;
  readonly offsets: Float64Array;
  readonly data: Uint8Array;
  private readonly port: MessagePort;
  private readonly worker: Worker;

  constructor(
    role: 'read' | 'write',
    fd: number,
    readonly slotSize: number,
    readonly slots: number,
    startOffset = 0,
  ) {
    this.ctl = new Int32Array(new SharedArrayBuffer((CTL.LENS + slots) * 4));
    this.offsets = new Float64Array(new SharedArrayBuffer((slots + 1) * 8));
    this.offsets[slots] = startOffset;
    this.data = new Uint8Array(new SharedArrayBuffer(slotSize * slots));
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const workerData: IoThreadData = { role, fd, ctl: this.ctl, offsets: this.offsets, data: this.data, slotSize, slots, layout: CTL, port: port2 };
    this.worker = new Worker(THREAD_SOURCE, { eval: true, workerData, transferList: [port2], stdout: false, stderr: false });
    // Failures come back through the control block; the thread never keeps the process alive.
    this.worker.on('error', () => {});
    this.worker.unref();
    this.port.unref();
  }

  /** Wakes the thread after a change it may be waiting for. */
  wakeWorker(): void {
    Atomics.add(this.ctl, CTL.TO_WORKER, 1);
    Atomics.notify(this.ctl, CTL.TO_WORKER);
  }

  /**
   * Blocks until `ready()` holds, the thread failed, it has left, or
   * `timeoutMs` passed. Returns ready().
   */
  waitFor(ready: () => boolean, timeoutMs = Number.POSITIVE_INFINITY): boolean {
    const ctl = this.ctl;
    const deadline = timeoutMs === Number.POSITIVE_INFINITY ? timeoutMs : Date.now() + timeoutMs;
    for (;;) {
      const seen = Atomics.load(ctl, CTL.TO_MAIN);
      if (ready()) return true;
      if (Atomics.load(ctl, CTL.FAILED) !== 0 || Atomics.load(ctl, CTL.EXITED) !== 0) return ready();
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Atomics.wait(ctl, CTL.TO_MAIN, seen, left);
    }
  }

  /** The thread's I/O error, if it had one. */
  failureReport(): IoErrorMessage | undefined {
    if (Atomics.load(this.ctl, CTL.FAILED) === 0) return undefined;
    const got = receiveMessageOnPort(this.port)?.message as IoErrorMessage | undefined;
    // Kept for a later call: the message can be received only once.
    if (got) this.failure = got;
    return this.failure ?? { message: 'I/O thread failed', failedAt: -1 };
  }

  /** Throws the thread's I/O error, rebuilt with the same message and code, if it had one. */
  throwIfFailed(): void {
    const f = this.failureReport();
    if (f === undefined) return;
    throw Object.assign(new Error(f.message), { code: f.code, errno: f.errno, syscall: f.syscall });
  }

  private failure: IoErrorMessage | undefined;

  /** Blocks until the thread has taken over the I/O (tests: to exercise the slots from the first byte). */
  awaitStart(timeoutMs = 20_000): void {
    if (!this.waitFor(() => Atomics.load(this.ctl, CTL.STATE) === CTL.WORKER, timeoutMs)) {
      throw new Error(`I/O thread did not start within ${timeoutMs} ms`);
    }
  }

  /** Tells the thread to stop and lets go of the port; the thread exits by itself. */
  stop(): void {
    Atomics.store(this.ctl, CTL.STOP, 1);
    this.wakeWorker();
  }

  /** Blocks until the thread no longer touches the descriptor (or never will). */
  release(): void {
    const s = Atomics.compareExchange(this.ctl, CTL.STATE, CTL.IDLE, CTL.CLOSED);
    if (s === CTL.WORKER) this.waitFor(() => Atomics.load(this.ctl, CTL.EXITED) !== 0);
  }

  dispose(): void {
    this.port.close();
  }
}

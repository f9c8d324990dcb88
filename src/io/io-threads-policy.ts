/**
 * When read-ahead and write-behind (read-ahead.ts, write-behind.ts) pay for
 * their I/O thread, and opening capture files accordingly.
 *
 * A thread costs 50-150 ms of start-up on the other core and some MiB of
 * slots, so it pays only on big regular files, and only where the system
 * call it takes off the main thread costs more than what the thread costs
 * the main thread. Measured on a 2-vCPU VM (tmpfs):
 * - writing the output: a write into fresh pages costs the kernel a page
 *   allocation and clearing besides the copy (~300 ms of main-thread time
 *   per 1.2 GB, at times far more). When the main thread copied each chunk
 *   into a slot (~95 ms per 1.2 GB): 10M packets (1.2 GB) 1.78 -> 1.67 s
 *   median, and no more slow outliers; 3M (370 MB) and 1M (120 MB) 10-40 ms
 *   slower, the thread's start-up and its competition for the second core
 *   outweighing the saving. The stream now reads into the slots and they
 *   go to the thread uncopied, which took 10M from 1.39 to 1.36 s (median of
 *   20 interleaved runs, copy against no copy); 1M is still slower with the
 *   thread than without (0.533 against 0.512 s, median of 15). That was an
 *   Intel VM. On an AMD EPYC 2-vCPU VM (2026-12-02, a minified bundle, 20
 *   interleaved runs each) the thread paid from a smaller size: 1M packets
 *   (123 MB) 668 -> 580 ms median, 500k (61 MB) 456 -> 439 ms, 300k (37 MB)
 *   even, 100k (12 MB) 16 ms slower. Write-behind is therefore used from
 *   WRITE_BEHIND_MIN_BYTES (48 MiB, between the sizes where it broke even
 *   and where it paid) on. It costs memory: peak RSS of a 1M mark went from
 *   67 to 81-84 MB (the thread's own V8 isolate and the slots). `gen` uses
 *   the same rule for its output: inside `bench`, 1M packets went from 0.89
 *   to 0.92-1.09 Mpps with the thread.
 * - reading the input: a read from the page cache is a plain kernel copy
 *   (~110-160 ms per 1.2 GB), barely more than the copy out of a slot, and
 *   the thread's start-up and the competition for the second core cost more
 *   than the difference: read-ahead was slower in every measurement, so it
 *   is not used unless asked for (a cold file on a slow disk may differ).
 * Standard input/output, pipes, devices and small files keep the
 * synchronous path, and so do the per-file worker threads of multi-file
 * runs (callers pass threads = false), which already keep both cores busy.
 *
 * QOSMARK_IO_THREADS overrides the choice, for tests and A/B measurements:
 * `off` never, `on` both for every regular file whatever its size (multi-file
 * workers included), `read` or `write` only that one.
 */
import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { ByteInput, ByteOutput } from './byte-stream.js';
import { ReadAheadInput } from './read-ahead.js';
import { WriteBehindOutput } from './write-behind.js';

/** Input size from which the output of a rewrite gets a write-behind thread. */
export const WRITE_BEHIND_MIN_BYTES = 48 * 1024 * 1024;
/** Input size from which reads get a read-ahead thread: never, by default (see above). */
export const READ_AHEAD_MIN_BYTES = Number.POSITIVE_INFINITY;

const OVERRIDES = ['off', 'on', 'read', 'write'];
let badOverrideReported = false;

/** The override for one side: 'on', 'off', or 'auto' (by size). */
function override(side: 'read' | 'write'): 'on' | 'off' | 'auto' {
  const v = process.env.QOSMARK_IO_THREADS;
  if (v === 'on' || v === side) return 'on';
  if (v === 'off' || v === 'read' || v === 'write') return 'off';
  // Said once, by the main thread: the workers of a multi-file run see the same variable.
  if (v !== undefined && v !== '' && !badOverrideReported && isMainThread) {
    badOverrideReported = true;
    process.stderr.write(`qosmark: QOSMARK_IO_THREADS=${v}: expected ${OVERRIDES.join(', ')}; ignored\n`);
  }
  return 'auto';
}

/** ByteInput.open, with read-ahead for a big regular file when `threads` allows it. */
export function openCaptureInput(path: string, threads = true): ByteInput {
  const input = ByteInput.open(path);
  const o = override('read');
  // ByteInput.open gives a size only for regular files.
  if (o === 'off' || path === '-' || input.size < 0) return input;
  if (o === 'auto' && (!threads || input.size < READ_AHEAD_MIN_BYTES)) return input;
  return new ReadAheadInput(input.fd, input.name, input.size);
}

/**
 * ByteOutput.create, with write-behind when the output is a regular file and
 * about `expectedBytes` (the input's size; -1 when unknown) will be written.
 */
export function createCaptureOutput(path: string, expectedBytes: number, threads = true): ByteOutput {
  const output = ByteOutput.create(path);
  const o = override('write');
  if (o === 'off' || path === '-') return output;
  if (o === 'auto' && (!threads || expectedBytes < WRITE_BEHIND_MIN_BYTES)) return output;
  if (!fs.fstatSync(output.fd).isFile()) return output;
  return new WriteBehindOutput(output.fd, output.name);
}

/**
 * Several capture files at once, at most one lane per core, each file running
 * the same per-file code as a single run. The main thread works one lane
 * itself (with `runHere`): it has its modules loaded already, and a worker
 * thread's start-up (loading the same modules again) would otherwise delay one
 * file of every pair. The other lanes are worker threads, started before the
 * main thread begins its first file, each taking file after file from a shared
 * counter. Results come back as the plain summary objects the single-file
 * `--json` prints.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { CaptureFileError } from '../io/errors.js';

export type JobKind = 'mark' | 'audit';

export interface WorkerOutcome<T> {
  ok: boolean;
  result?: T;
  /** For a failure: the error's class name and message. */
  errorName?: string;
  message?: string;
  /** For a capture-file failure (CaptureFileError): its file, byte offset (-1: none) and reason. */
  file?: string;
  offset?: number;
  what?: string;
}

/** A lane's failed file, as plain data that crosses from a worker thread. */
export function failedOutcome(err: unknown): WorkerOutcome<never> {
  const e = err as Error;
  const outcome: WorkerOutcome<never> = { ok: false, errorName: e.name, message: e.message };
  if (err instanceof CaptureFileError) Object.assign(outcome, { file: err.file, offset: err.offset, what: err.what });
  return outcome;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

export function runInWorkers<J, T>(
  kind: JobKind,
  jobs: J[],
  runHere: ((job: J) => T) | null = null,
  concurrency = os.availableParallelism(),
): Promise<WorkerOutcome<T>[]> {
  const outcomes: WorkerOutcome<T>[] = new Array(jobs.length);
  // The next job to take, shared by every lane: a worker takes its next file
  // without waiting for the main thread's event loop, which is busy while the
  // main thread works its own file.
  const next = new Int32Array(new SharedArrayBuffer(4));
  const take = (): number => Atomics.add(next, 0, 1);
  const startWorker = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const worker = new Worker(WORKER_URL, { workerData: { kind, jobs, next } });
      let current = -1;
      worker.on('message', (m: { index: number; outcome?: WorkerOutcome<T> }) => {
        if (m.outcome === undefined) current = m.index;
        else {
          outcomes[m.index] = m.outcome;
          current = -1;
        }
      });
      worker.once('error', (err) => {
        if (current >= 0) outcomes[current] = { ok: false, errorName: err.name, message: err.message };
        current = -1;
      });
      worker.once('exit', () => {
        if (current >= 0) outcomes[current] = { ok: false, errorName: 'Error', message: 'worker exited without a result' };
        resolve();
      });
    });
  const runHereLane = async (run: (job: J) => T): Promise<void> => {
    for (let index = take(); index < jobs.length; index = take()) {
      try {
        outcomes[index] = { ok: true, result: run(jobs[index]) };
      } catch (err) {
        outcomes[index] = failedOutcome(err);
      }
      // A turn of the event loop, for the workers' messages.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  };
  const lanes = Math.max(1, Math.min(concurrency, jobs.length));
  const workerLanes = Array.from({ length: runHere === null ? lanes : lanes - 1 }, startWorker);
  const hereLane = runHere === null ? Promise.resolve() : runHereLane(runHere);
  return Promise.all([...workerLanes, hereLane]).then(() => {
    for (let i = 0; i < jobs.length; i++) {
      if (outcomes[i] === undefined) outcomes[i] = { ok: false, errorName: 'Error', message: 'no lane ran this file' };
    }
    return outcomes;
  });
}

/** Adds up the numeric leaves of same-shaped summary objects (counts per class, per reason...). */
export function sumCounts(docs: Record<string, unknown>[], skip: ReadonlySet<string>): Record<string, unknown> {
  const total: Record<string, unknown> = {};
  for (const doc of docs) mergeInto(total, doc, skip);
  return total;
}

function mergeInto(total: Record<string, unknown>, doc: Record<string, unknown>, skip: ReadonlySet<string>): void {
  for (const [key, value] of Object.entries(doc)) {
    if (skip.has(key)) continue;
    if (typeof value === 'number') total[key] = ((total[key] as number | undefined) ?? 0) + value;
    else if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const inner = (total[key] as Record<string, unknown> | undefined) ?? {};
      mergeInto(inner, value as Record<string, unknown>, skip);
      total[key] = inner;
    }
  }
}

/**
 * Several capture files at once: one worker thread per file, at most one per
 * core, each running the same per-file code as a single run. Results come
 * back as the plain summary objects the single-file `--json` prints.
 */
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';

export type JobKind = 'mark' | 'audit';

export interface WorkerOutcome<T> {
  ok: boolean;
  result?: T;
  /** For a failure: the error's class name and message. */
  errorName?: string;
  message?: string;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

export function runInWorkers<J, T>(kind: JobKind, jobs: J[], concurrency = os.availableParallelism()): Promise<WorkerOutcome<T>[]> {
  const outcomes: WorkerOutcome<T>[] = new Array(jobs.length);
  let next = 0;
  const startOne = (): Promise<void> => {
    if (next >= jobs.length) return Promise.resolve();
    const index = next++;
    return new Promise<void>((resolve) => {
      const worker = new Worker(WORKER_URL, { workerData: { kind, job: jobs[index] } });
      let settled = false;
      worker.once('message', (outcome: WorkerOutcome<T>) => {
        settled = true;
        outcomes[index] = outcome;
      });
      worker.once('error', (err) => {
        settled = true;
        outcomes[index] = { ok: false, errorName: err.name, message: err.message };
      });
      worker.once('exit', () => {
        if (!settled) outcomes[index] = { ok: false, errorName: 'Error', message: 'worker exited without a result' };
        resolve(startOne());
      });
    });
  };
  const lanes = Math.max(1, Math.min(concurrency, jobs.length));
  return Promise.all(Array.from({ length: lanes }, startOne)).then(() => outcomes);
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

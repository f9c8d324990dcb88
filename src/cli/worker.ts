/** Worker-thread entry for multi-file runs (see parallel.ts): takes files from the shared counter until none is left. */
import { parentPort, workerData } from 'node:worker_threads';
import { auditFile, type AuditJob } from './audit.js';
import { markFile, type MarkJob } from './mark.js';
import { failedOutcome, type WorkerOutcome } from './parallel.js';

const { kind, jobs, next } = workerData as { kind: 'mark' | 'audit'; jobs: (MarkJob | AuditJob)[]; next: Int32Array };
for (let index = Atomics.add(next, 0, 1); index < jobs.length; index = Atomics.add(next, 0, 1)) {
  // Which file this thread works, in case it dies without a result.
  parentPort!.postMessage({ index });
  let outcome: WorkerOutcome<unknown>;
  try {
    outcome = { ok: true, result: kind === 'mark' ? markFile(jobs[index] as MarkJob) : auditFile(jobs[index] as AuditJob) };
  } catch (err) {
    outcome = failedOutcome(err);
  }
  parentPort!.postMessage({ index, outcome });
}

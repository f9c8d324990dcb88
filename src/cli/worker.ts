/** Worker-thread entry for multi-file runs (see parallel.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { auditFile, type AuditJob } from './audit.js';
import { markFile, type MarkJob } from './mark.js';
import type { WorkerOutcome } from './parallel.js';

const { kind, job } = workerData as { kind: 'mark' | 'audit'; job: MarkJob | AuditJob };
let outcome: WorkerOutcome<unknown>;
try {
  outcome = { ok: true, result: kind === 'mark' ? markFile(job as MarkJob) : auditFile(job as AuditJob) };
} catch (err) {
  const e = err as Error;
  outcome = { ok: false, errorName: e.name, message: e.message };
}
parentPort!.postMessage(outcome);

/**
 * A system test file's scratch directory: made in its beforeAll, removed in
 * its afterAll unless QOSMARK_KEEP_SYSTEM_TMP=1 (to look at what a failing run
 * left: captures, reports, logs).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeWorkDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** `dir` is '' when the file's tests skipped before making one. */
export function removeWorkDir(dir: string): void {
  if (dir !== '' && process.env.QOSMARK_KEEP_SYSTEM_TMP !== '1') rmSync(dir, { recursive: true, force: true });
}

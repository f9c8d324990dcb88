/** Runs the built qosmark CLI (dist/cli/main.js; `npm run test:system` builds it first). */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './proc.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const QOSMARK_CLI = join(REPO_ROOT, 'dist/cli/main.js');

export function ensureBuilt(): void {
  if (!existsSync(QOSMARK_CLI)) throw new Error(`${QOSMARK_CLI} is missing: build first (npm run build; npm run test:system does)`);
}

/** `qosmark ARGS...` with a timeout; the exit status is the caller's to check. */
export function qosmark(args: string[], timeoutMs = 120_000): RunResult {
  ensureBuilt();
  return run(process.execPath, [QOSMARK_CLI, ...args], { check: false, timeoutMs });
}

/**
 * Runs the built qosmark CLI (dist/cli/main.js). `npm run test:system` builds
 * it first; the suite's global setup rebuilds a stale one (test/support/build.ts),
 * and ensureBuilt() is the same check the unit tests make.
 */
import { CLI_MAIN, ROOT, ensureBuilt } from '../../support/build.js';
import { run, type RunResult } from './proc.js';

export { ensureBuilt };
export const REPO_ROOT = ROOT;
export const QOSMARK_CLI = CLI_MAIN;

/** `qosmark ARGS...` with a timeout; the exit status is the caller's to check. */
export function qosmark(args: string[], timeoutMs = 120_000): RunResult {
  ensureBuilt();
  return run(process.execPath, [QOSMARK_CLI, ...args], { check: false, timeoutMs });
}

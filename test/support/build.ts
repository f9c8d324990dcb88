/**
 * Tests that run the command line as a child process need dist/ to hold the
 * code under test. `npm test` builds first; a test run on its own builds here
 * when any src/ file is newer than dist/cli/main.js. Never unconditionally:
 * test files run in parallel, and a rebuild rewrites dist/ under the feet of
 * another file's child processes.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI_MAIN = path.join(ROOT, 'dist/cli/main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  const stale = !fs.existsSync(CLI_MAIN) || fs.statSync(CLI_MAIN).mtimeMs < newestMtime(path.join(ROOT, 'src'));
  if (!stale) return;
  // The same two steps as `npm run build`: tsc, then the CLI bundle (scripts/bundle.mjs).
  const steps = [[path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], [path.join(ROOT, 'scripts/bundle.mjs')]];
  for (const args of steps) {
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (${path.basename(args[0])}):\n${r.stdout}\n${r.stderr}`);
  }
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`build failed: ${CLI_MAIN} missing`);
}

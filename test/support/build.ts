/**
 * Tests that run the command line as a child process need dist/ to hold the
 * code under test. `npm test` builds first; a test run on its own builds here,
 * once, from vitest's global setup (test/support/global-build.ts), before any
 * test file starts: when any src/ file or the bundle script is newer than
 * dist/cli/main.js, or when main.js is tsc's output rather than the bundle.
 * Never unconditionally, and never from inside a test file while others run:
 * a rebuild rewrites dist/ under the feet of another file's child processes.
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

/** tsc's main.js imports our other modules; the bundle (scripts/bundle.mjs) imports none. */
export function isBundle(source: string): boolean {
  return !/\bfrom\s*['"]\.\.?\//.test(source);
}

function isStale(): boolean {
  if (!fs.existsSync(CLI_MAIN)) return true;
  const built = fs.statSync(CLI_MAIN).mtimeMs;
  if (built < newestMtime(path.join(ROOT, 'src')) || built < fs.statSync(path.join(ROOT, 'scripts/bundle.mjs')).mtimeMs) return true;
  return !isBundle(fs.readFileSync(CLI_MAIN, 'utf8'));
}

export function ensureBuilt(): void {
  if (!isStale()) return;
  // The same two steps as `npm run build`: tsc, then the CLI bundle (scripts/bundle.mjs).
  const steps = [[path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], [path.join(ROOT, 'scripts/bundle.mjs')]];
  for (const args of steps) {
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (${path.basename(args[0])}):\n${r.stdout}\n${r.stderr}`);
  }
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`build failed: ${CLI_MAIN} missing`);
}

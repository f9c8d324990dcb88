/**
 * Tests that run the command line as a child process need dist/ to hold the
 * code under test. `npm test` builds first; a test run on its own builds,
 * once, from vitest's global setup (test/support/global-build.ts, buildIfStale),
 * before any test file starts: when any src/ file or the bundle script is
 * newer than dist/cli/main.js, or when main.js is tsc's output rather than
 * the bundle. Test files only check (ensureBuilt): a rebuild while files run
 * in parallel would rewrite dist/ under the feet of another file's child
 * processes.
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

/** The module specifiers a built file imports, static and dynamic. */
export function importSpecifiers(source: string): string[] {
  return [...source.matchAll(/\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
}

/** tsc's main.js imports our other modules; the bundle (scripts/bundle.mjs) imports none. */
export function isBundle(source: string): boolean {
  return !importSpecifiers(source).some((s) => s.startsWith('.'));
}

export function isStale(): boolean {
  if (!fs.existsSync(CLI_MAIN)) return true;
  const built = fs.statSync(CLI_MAIN).mtimeMs;
  if (built < newestMtime(path.join(ROOT, 'src')) || built < fs.statSync(path.join(ROOT, 'scripts/bundle.mjs')).mtimeMs) return true;
  return !isBundle(fs.readFileSync(CLI_MAIN, 'utf8'));
}

/** Set by the global setup when its build failed: the CLI tests report it, the others run. */
const BUILD_ERROR_ENV = 'QOSMARK_TEST_BUILD_ERROR';

/** For the global setup: builds when stale; a failure is kept for ensureBuilt() to report. */
export function buildIfStale(): void {
  try {
    build();
    if (isStale()) throw new Error(`${CLI_MAIN} still looks stale after building (a file under src/ dated in the future?)`);
  } catch (err) {
    process.env[BUILD_ERROR_ENV] = (err as Error).message;
  }
}

/** For test files that run dist/: throws unless dist/ is built and current. Never builds. */
export function ensureBuilt(): void {
  const failed = process.env[BUILD_ERROR_ENV];
  if (failed !== undefined) throw new Error(failed);
  if (isStale()) throw new Error(`${CLI_MAIN} is missing or older than src/: run \`npm run build\` (npm test does)`);
}

function build(): void {
  if (!isStale()) return;
  // The same two steps as `npm run build`: tsc, then the CLI bundle (scripts/bundle.mjs).
  const steps = [[path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], [path.join(ROOT, 'scripts/bundle.mjs')]];
  for (const args of steps) {
    const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`build failed (${path.basename(args[0])}):\n${r.stdout}\n${r.stderr}`);
  }
  if (!fs.existsSync(CLI_MAIN)) throw new Error(`build failed: ${CLI_MAIN} missing`);
}

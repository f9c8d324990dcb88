/**
 * What a system test needs from the machine, in one place.
 *
 * Each `require*()` returns null when the requirement holds, or a sentence
 * that says why it does not. A test hands the reasons to `skipOrFail()` as
 * its first statement: the test is then skipped with that reason, or, when
 * QOSMARK_REQUIRE_SYSTEM=1 (as in CI), fails with it. A system test must
 * never pass by quietly doing nothing.
 *
 *   const unmetReason = unmet(requireRoot(), requireTools(['tshark']), requireNetns());
 *   beforeAll(() => { if (unmetReason) return; ... });
 *   it('...', (ctx) => { skipOrFail(ctx, unmetReason); ... });
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export const REQUIRE_SYSTEM = process.env.QOSMARK_REQUIRE_SYSTEM === '1';

/** Full path of an executable on PATH (the PATH the tests spawn with), or null. */
export function whichTool(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

export function requireTools(tools: string[]): string | null {
  const missing = tools.filter((t) => whichTool(t) === null);
  return missing.length === 0 ? null : `missing tool${missing.length > 1 ? 's' : ''} on PATH: ${missing.join(', ')}`;
}

export function requireRoot(): string | null {
  const uid = process.getuid?.();
  return uid === 0 ? null : `not running as root (uid ${uid ?? 'unknown'}): network namespaces and captures need root`;
}

let netnsProbe: string | null | undefined;

/** `ip netns add`/`del` works (probed once, with a throwaway namespace). */
export function requireNetns(): string | null {
  if (netnsProbe !== undefined) return netnsProbe;
  const pre = unmet(requireRoot(), requireTools(['ip']));
  if (pre !== null) return (netnsProbe = "ip netns not tried (needs root and ip)");
  const name = `qmprobe-${process.pid}-${Date.now().toString(36)}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8', timeout: 10_000 });
  if (add.status !== 0) {
    netnsProbe = `ip netns unavailable: "ip netns add" failed: ${(add.stderr || String(add.error ?? add.signal)).trim()}`;
  } else {
    const del = spawnSync('ip', ['netns', 'del', name], { encoding: 'utf8', timeout: 10_000 });
    netnsProbe = del.status === 0 ? null : `ip netns unavailable: "ip netns del" failed: ${del.stderr.trim()}`;
  }
  return netnsProbe;
}

/** The unmet requirements joined into one reason, or null when all hold. */
export function unmet(...reasons: (string | null)[]): string | null {
  const r = reasons.filter((x): x is string => x !== null);
  return r.length === 0 ? null : r.join('; ');
}

interface SkipContext {
  skip(note?: string): never;
}

/**
 * Skips the running test with the reason, or, under QOSMARK_REQUIRE_SYSTEM=1,
 * fails it. Does nothing when the reason is null.
 */
export function skipOrFail(ctx: SkipContext, reason: string | null): void {
  if (reason === null) return;
  if (REQUIRE_SYSTEM) throw new Error(`QOSMARK_REQUIRE_SYSTEM=1, but this system test cannot run: ${reason}`);
  ctx.skip(`system test skipped: ${reason}`);
}

/**
 * What every lab topology shares: the veth offloads to turn off, the
 * clean-up of namespaces that dead test processes left behind, and
 * NamespaceLab, the namespaces and processes of one lab.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Background, run, type RunOptions, type RunResult } from './proc.js';

/** Offloads that merge, split or defer work on veth (FIELD-NOTES): all off, as `ethtool -K DEV ...` arguments. */
export const OFFLOADS_OFF = ['rx', 'off', 'tx', 'off', 'sg', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off', 'rxvlan', 'off', 'txvlan', 'off'];

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Deletes the namespaces whose names match `pattern` (its first group is the
 * pid of the test process that made them) when that process no longer exists,
 * e.g. after a SIGKILL. Returns the names deleted.
 */
export function removeStaleNamespaces(pattern: RegExp): string[] {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = pattern.exec(name);
    if (m === null || pidAlive(Number(m[1]))) continue;
    run('ip', ['netns', 'del', name], { check: false, timeoutMs: 10_000 });
    removed.push(name);
  }
  return removed;
}

/**
 * The namespaces a lab made and the processes it started. destroy() kills
 * the processes (by pid) and deletes the namespaces; call it from afterAll,
 * it is safe after a failed or partial setup.
 */
export class NamespaceLab {
  private readonly namespaces: string[] = [];
  private readonly procs: Background[] = [];

  /** Creates namespace `ns`, remembered for destroy(). */
  protected addNamespace(ns: string): void {
    run('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
  }

  /** Runs `cmd` inside namespace `ns`. */
  protected execIn(ns: string, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Starts `cmd` inside `ns`, its output in logDir/<what>.out and .err, killed after `timeoutMs`. */
  protected startIn(ns: string, what: string, cmd: string, args: string[], logDir: string, timeoutMs: number): Background {
    const tag = what.replace(/\W+/g, '-');
    const p = new Background(what, 'ip', ['netns', 'exec', ns, cmd, ...args], join(logDir, `${tag}.out`), join(logDir, `${tag}.err`), timeoutMs);
    this.procs.push(p);
    return p;
  }

  async destroy(): Promise<void> {
    for (const p of this.procs) if (p.running) await p.stop('SIGKILL', 2_000);
    const problems: string[] = [];
    for (const ns of this.namespaces.splice(0)) {
      const r = run('ip', ['netns', 'del', ns], { check: false, timeoutMs: 10_000 });
      if (r.status !== 0) problems.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
    }
    if (problems.length > 0) throw new Error(problems.join('\n'));
  }
}

/**
 * What every lab topology shares: the veth offloads to turn off, and the
 * clean-up of namespaces that dead test processes left behind.
 */
import { readdirSync } from 'node:fs';
import { run } from './proc.js';

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

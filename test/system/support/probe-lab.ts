/**
 * A routed chain of network namespaces for the probe tests:
 *
 *   sender --- r1 --- r2 --- r3 --- receiver
 *        .10.0/24 .11.0/24 .12.0/24 .13.0/24   (198.18.x.0/24; 2001:db8:a:x::/64)
 *
 * On each link the left end is .1 / ::1 and the right end .2 / ::2. The
 * routers forward IPv4 and IPv6. Names carry the pid and a timestamp
 * (`qmprobe-<pid>-<t>-<role>`); destroy() kills what the lab started and
 * deletes the namespaces, and is safe after a failed or partial setup.
 * Addresses come from 198.18.0.0/15 and 2001:db8::/32 only.
 */
import { NamespaceLab, removeStaleNamespaces } from './netns.js';
import { Background, run, type RunOptions, type RunResult } from './proc.js';

const PREFIX = 'qmprobe-';
export const ROLES = ['s', 'r1', 'r2', 'r3', 'd'] as const;
export type Role = (typeof ROLES)[number];

/** Link i joins ROLES[i] (left, .1) and ROLES[i+1] (right, .2). */
const LINKS = [10, 11, 12, 13];

export function v4(link: number, end: 1 | 2): string {
  return `198.18.${link}.${end}`;
}
export function v6(link: number, end: 1 | 2): string {
  return `2001:db8:a:${link}::${end}`;
}

/** Addresses the tests name: the sender, the receiver, and each router's address towards the sender. */
export const PROBE_LAB = {
  sender: { v4: v4(10, 1), v6: v6(10, 1) },
  receiver: { v4: v4(13, 2), v6: v6(13, 2) },
  /** Hop n (1..4) answers from the address of its link towards the sender. */
  hop: (n: number, family: 4 | 6) => (family === 4 ? v4(LINKS[n - 1], 2) : v6(LINKS[n - 1], 2)),
} as const;

/** Deletes probe-lab namespaces left by test processes that no longer exist. */
export function removeStaleProbeLabs(): void {
  removeStaleNamespaces(/^qmprobe-(\d+)-[0-9a-z]+-(s|r1|r2|r3|d)$/);
}

export class ProbeLab extends NamespaceLab {
  readonly ns: Record<Role, string>;

  constructor() {
    super();
    const id = `${process.pid}-${Date.now().toString(36)}`;
    this.ns = Object.fromEntries(ROLES.map((r) => [r, `${PREFIX}${id}-${r}`])) as Record<Role, string>;
  }

  setup(): void {
    removeStaleProbeLabs();
    for (const r of ROLES) {
      this.addNamespace(this.ns[r]);
      run('ip', ['-n', this.ns[r], 'link', 'set', 'lo', 'up']);
    }
    for (let i = 0; i < LINKS.length; i++) {
      const left = this.ns[ROLES[i]];
      const right = this.ns[ROLES[i + 1]];
      const link = LINKS[i];
      run('ip', ['-n', left, 'link', 'add', `qp${link}a`, 'type', 'veth', 'peer', 'name', `qp${link}b`, 'netns', right]);
      for (const [ns, dev, end] of [
        [left, `qp${link}a`, 1],
        [right, `qp${link}b`, 2],
      ] as const) {
        run('ip', ['-n', ns, 'addr', 'add', `${v4(link, end)}/24`, 'dev', dev]);
        run('ip', ['-n', ns, 'addr', 'add', `${v6(link, end)}/64`, 'dev', dev, 'nodad']);
        run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      }
    }
    for (const r of ['r1', 'r2', 'r3'] as const) {
      this.sysctl(r, 'net.ipv4.ip_forward', '1');
      this.sysctl(r, 'net.ipv6.conf.all.forwarding', '1');
    }
    // Sender and r1 send everything right, receiver and r3 left; r2 knows both ends.
    const route = (role: Role, prefix4: string, via4: string, prefix6: string, via6: string) => {
      run('ip', ['-n', this.ns[role], 'route', 'add', prefix4, 'via', via4]);
      run('ip', ['-n', this.ns[role], '-6', 'route', 'add', prefix6, 'via', via6]);
    };
    route('s', 'default', v4(10, 2), 'default', v6(10, 2));
    route('r1', 'default', v4(11, 2), 'default', v6(11, 2));
    route('r3', 'default', v4(12, 1), 'default', v6(12, 1));
    route('d', 'default', v4(13, 1), 'default', v6(13, 1));
    route('r2', '198.18.10.0/24', v4(11, 1), '2001:db8:a:10::/64', v6(11, 1));
    route('r2', '198.18.13.0/24', v4(12, 2), '2001:db8:a:13::/64', v6(12, 2));
  }

  /** Writes /proc/sys/KEY (dots as slashes) inside a namespace. */
  sysctl(role: Role, key: string, value: string): void {
    run('ip', ['netns', 'exec', this.ns[role], 'sh', '-c', `echo ${value} > /proc/sys/${key.replace(/\./g, '/')}`]);
  }

  /** Loads a one-line nftables ruleset into a namespace. */
  nft(role: Role, ruleset: string): void {
    run('ip', ['netns', 'exec', this.ns[role], 'nft', ruleset]);
  }

  exec(role: Role, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    return this.execIn(this.ns[role], cmd, args, opts);
  }

  background(role: Role, what: string, cmd: string, args: string[], logDir: string, timeoutMs: number): Background {
    return this.startIn(this.ns[role], what, cmd, args, logDir, timeoutMs);
  }

}

/** The optional native modules probe and reflect load, tried from the repository. */
export function requireProbeModules(repoRoot: string): string | null {
  const missing: string[] = [];
  for (const m of ['raw-socket', 'cap']) {
    const r = run(process.execPath, ['-e', `require(${JSON.stringify(m)})`], { check: false, cwd: repoRoot, timeoutMs: 20_000 });
    if (r.status !== 0) missing.push(m);
  }
  return missing.length === 0 ? null : `optional native module${missing.length > 1 ? 's' : ''} not loadable: ${missing.join(', ')} (npm install)`;
}

/**
 * A two-namespace lab joined by one veth link, for system tests.
 *
 * Namespace names carry the pid and a timestamp (`qmlab-<pid>-<t>-s|r`), so
 * runs never collide; interfaces are created inside the namespaces, never in
 * the host's. Addresses come from 198.18.0.0/15 and 2001:db8::/32 only.
 * destroy() kills what the lab started (by pid) and deletes the namespaces;
 * call it from afterAll, it is safe after a failed or partial setup.
 */
import { NamespaceLab, OFFLOADS_OFF, removeStaleNamespaces } from './netns.js';
import { Background, run, type RunOptions, type RunResult } from './proc.js';

const PREFIX = 'qmlab-';

export const LAB = {
  senderIf: 'qmv0',
  receiverIf: 'qmv1',
  v4: { sender: '198.18.0.1', receiver: '198.18.0.2', prefix: 24 },
  v6: { sender: '2001:db8:5153::1', receiver: '2001:db8:5153::2', prefix: 64 },
  vlanId: 100,
  vlan4: { sender: '198.18.1.1', receiver: '198.18.1.2', prefix: 24 },
  vlan6: { sender: '2001:db8:5154::1', receiver: '2001:db8:5154::2', prefix: 64 },
} as const;

/** Deletes lab namespaces left behind by test processes that no longer exist (e.g. killed with SIGKILL). */
export function removeStaleLabs(): string[] {
  return removeStaleNamespaces(/^qmlab-(\d+)-[0-9a-z]+-[sr]$/);
}

export class VethLab extends NamespaceLab {
  readonly sender: string;
  readonly receiver: string;
  /** Why the kernel VLAN sub-interfaces could not be made, or null when they exist. */
  vlanUnavailable: string | null = 'not set up';

  constructor() {
    super();
    const id = `${process.pid}-${Date.now().toString(36)}`;
    this.sender = `${PREFIX}${id}-s`;
    this.receiver = `${PREFIX}${id}-r`;
  }

  setup(): void {
    removeStaleLabs();
    for (const ns of [this.sender, this.receiver]) {
      this.addNamespace(ns);
    }
    const { sender: s, receiver: r } = this;
    run('ip', ['-n', s, 'link', 'add', LAB.senderIf, 'type', 'veth', 'peer', 'name', LAB.receiverIf, 'netns', r]);
    const ends: [string, string, 'sender' | 'receiver'][] = [
      [s, LAB.senderIf, 'sender'],
      [r, LAB.receiverIf, 'receiver'],
    ];
    for (const [ns, dev, side] of ends) {
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      this.exec(ns, 'ethtool', ['-K', dev, ...OFFLOADS_OFF]);
      run('ip', ['-n', ns, 'addr', 'add', `${LAB.v4[side]}/${LAB.v4.prefix}`, 'dev', dev]);
      run('ip', ['-n', ns, 'addr', 'add', `${LAB.v6[side]}/${LAB.v6.prefix}`, 'dev', dev, 'nodad']);
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    this.vlanUnavailable = this.trySetupVlan();
  }

  /** 802.1Q sub-interfaces (VLAN 100) on both ends, when the kernel has 802.1Q; else the reason. */
  private trySetupVlan(): string | null {
    const ends: [string, string, 'sender' | 'receiver'][] = [
      [this.sender, LAB.senderIf, 'sender'],
      [this.receiver, LAB.receiverIf, 'receiver'],
    ];
    for (const [ns, dev] of ends) {
      const vdev = `${dev}.${LAB.vlanId}`;
      // PCP of outgoing frames from the socket priority, one to one.
      const map = ['egress-qos-map', ...Array.from({ length: 8 }, (_, i) => `${i}:${i}`)];
      const add = run('ip', ['-n', ns, 'link', 'add', 'link', dev, 'name', vdev, 'type', 'vlan', 'id', String(LAB.vlanId), ...map], {
        check: false,
      });
      if (add.status !== 0) return `kernel 802.1Q VLAN device unavailable: ${add.stderr.trim()}`;
    }
    for (const [ns, dev, side] of ends) {
      const vdev = `${dev}.${LAB.vlanId}`;
      run('ip', ['-n', ns, 'addr', 'add', `${LAB.vlan4[side]}/${LAB.vlan4.prefix}`, 'dev', vdev]);
      run('ip', ['-n', ns, 'addr', 'add', `${LAB.vlan6[side]}/${LAB.vlan6.prefix}`, 'dev', vdev, 'nodad']);
      run('ip', ['-n', ns, 'link', 'set', vdev, 'up']);
    }
    return null;
  }

  exec(ns: string, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    return this.execIn(ns, cmd, args, opts);
  }

  /** A background process inside a namespace (`ip netns exec` execs it: the pid is the process's own). */
  background(ns: string, what: string, cmd: string, args: string[], logDir: string, timeoutMs: number): Background {
    return this.startIn(ns, what, cmd, args, logDir, timeoutMs);
  }

  mac(ns: string, dev: string): string {
    const links = JSON.parse(run('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]).stdout) as { address: string }[];
    return links[0].address;
  }

  /** Kills remaining lab processes and deletes the namespaces; throws at the end if a namespace stayed. */
}

/**
 * A three-namespace lab for `qosmark bridge`: sender ⇄ bridge ⇄ receiver.
 *
 *   sender ns            bridge ns                 receiver ns
 *   qmv0  <--veth-->  qmb0   [qosmark bridge]   qmb1  <--veth-->  qmv1
 *
 * Namespace names carry the pid and a timestamp (`qmbr-<pid>-<t>-s|b|r`), so
 * runs never collide and stale ones can be told apart. All offloads are off
 * on every veth end (FIELD-NOTES). By default the links are quiet: IPv6 is
 * off on the four interfaces and none has an address, so no kernel sends a
 * frame of its own (router solicitations, MLD, ARP) into a comparison. With
 * `addresses`, the sender and receiver get 198.18.0.1/24 and 198.18.0.2/24
 * (RFC 2544 range) and IPv6 2001:db8:5153::1/2 (documentation range).
 * destroy() kills what the lab started (by pid) and deletes the namespaces;
 * it is safe after a failed or partial setup.
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NamespaceLab, OFFLOADS_OFF, removeStaleNamespaces } from './netns.js';
export { writeEthernetPcap } from './pcap-file.js';
import { Background, run, type RunOptions, type RunResult } from './proc.js';
import { QOSMARK_CLI, REPO_ROOT, ensureBuilt } from './qosmark.js';

/**
 * What `qosmark bridge` needs beyond root and namespaces: the optional
 * dependency cap, built, and the development package's libpcap.so (without
 * which the bridge refuses to start). Null when both are there.
 */
export function requireLiveBridge(): string | null {
  const problems: string[] = [];
  try {
    createRequire(join(REPO_ROOT, 'package.json'))('cap');
  } catch (err) {
    problems.push(`the optional dependency cap is not installed or not built (${(err as Error).message.split('\n')[0]})`);
  }
  try {
    process.dlopen({ exports: {} }, 'libpcap.so');
  } catch (err) {
    if (!/did not self-register/.test((err as Error).message)) problems.push('libpcap.so missing (Debian package libpcap0.8-dev)');
  }
  return problems.length === 0 ? null : problems.join('; ');
}

const PREFIX = 'qmbr-';

export const BLAB = {
  senderIf: 'qmv0',
  bridgeIn: 'qmb0',
  bridgeOut: 'qmb1',
  receiverIf: 'qmv1',
  v4: { sender: '198.18.0.1', receiver: '198.18.0.2', prefix: 24 },
  v6: { sender: '2001:db8:5153::1', receiver: '2001:db8:5153::2', prefix: 64 },
} as const;

/** Deletes bridge-lab namespaces left by test processes that no longer exist. */
export function removeStaleBridgeLabs(): string[] {
  return removeStaleNamespaces(/^qmbr-(\d+)-[0-9a-z]+-[sbr]$/);
}

export interface BridgeLabOptions {
  /** MTU of the sender link (qmv0/qmb0); the receiver link stays at 1500. */
  senderMtu?: number;
  /** Give sender and receiver IPv4/IPv6 addresses (for real traffic such as SIPp). */
  addresses?: boolean;
  /** Leave GRO on for the bridge's interfaces (to see the offload warning). */
  groOnBridge?: boolean;
}

export class BridgeLab extends NamespaceLab {
  readonly sender: string;
  readonly bridge: string;
  readonly receiver: string;
  readonly work: string;

  constructor() {
    super();
    const id = `${process.pid}-${Date.now().toString(36)}`;
    this.sender = `${PREFIX}${id}-s`;
    this.bridge = `${PREFIX}${id}-b`;
    this.receiver = `${PREFIX}${id}-r`;
    this.work = mkdtempSync(join(tmpdir(), 'qosmark-bridge-'));
  }

  setup(opts: BridgeLabOptions = {}): void {
    removeStaleBridgeLabs();
    for (const ns of [this.sender, this.bridge, this.receiver]) {
      this.addNamespace(ns);
    }
    run('ip', ['-n', this.sender, 'link', 'add', BLAB.senderIf, 'type', 'veth', 'peer', 'name', BLAB.bridgeIn, 'netns', this.bridge]);
    run('ip', ['-n', this.bridge, 'link', 'add', BLAB.bridgeOut, 'type', 'veth', 'peer', 'name', BLAB.receiverIf, 'netns', this.receiver]);
    const ends: [string, string][] = [
      [this.sender, BLAB.senderIf],
      [this.bridge, BLAB.bridgeIn],
      [this.bridge, BLAB.bridgeOut],
      [this.receiver, BLAB.receiverIf],
    ];
    for (const [ns, dev] of ends) {
      const onBridge = ns === this.bridge;
      const v6 = opts.addresses === true && !onBridge;
      this.exec(ns, 'sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=${v6 ? 0 : 1}`]);
      const offloads = onBridge && opts.groOnBridge ? OFFLOADS_OFF.map((v, i) => (OFFLOADS_OFF[i - 1] === 'gro' ? 'on' : v)) : OFFLOADS_OFF;
      this.exec(ns, 'ethtool', ['-K', dev, ...offloads]);
      if (opts.senderMtu !== undefined && (dev === BLAB.senderIf || dev === BLAB.bridgeIn)) {
        run('ip', ['-n', ns, 'link', 'set', dev, 'mtu', String(opts.senderMtu)]);
      }
    }
    if (opts.addresses) {
      for (const [ns, dev, side] of [
        [this.sender, BLAB.senderIf, 'sender'],
        [this.receiver, BLAB.receiverIf, 'receiver'],
      ] as const) {
        run('ip', ['-n', ns, 'addr', 'add', `${BLAB.v4[side]}/${BLAB.v4.prefix}`, 'dev', dev]);
        run('ip', ['-n', ns, 'addr', 'add', `${BLAB.v6[side]}/${BLAB.v6.prefix}`, 'dev', dev, 'nodad']);
      }
    }
    for (const [ns, dev] of ends) run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    for (const ns of [this.sender, this.bridge, this.receiver]) run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }

  exec(ns: string, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    return this.execIn(ns, cmd, args, opts);
  }

  background(ns: string, what: string, cmd: string, args: string[], timeoutMs: number): Background {
    return this.startIn(ns, what, cmd, args, this.work, timeoutMs);
  }

  mac(ns: string, dev: string): string {
    const links = JSON.parse(run('ip', ['-n', ns, '-j', 'link', 'show', 'dev', dev]).stdout) as { address: string }[];
    return links[0].address;
  }

  /** `qosmark bridge --in qmb0 --out qmb1 ARGS` in the bridge namespace; resolves once it says "ready". */
  async startBridge(what: string, args: string[], timeoutMs = 120_000): Promise<Background> {
    ensureBuilt();
    const p = this.background(this.bridge, what, process.execPath, [QOSMARK_CLI, 'bridge', '--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut, ...args], timeoutMs);
    await p.waitFor('stderr', '; ready', 20_000);
    return p;
  }

  /** tcpdump writing a pcap of the frames arriving on `dev` (immediate mode: nothing waits in a buffer block). */
  async startCapture(ns: string, dev: string, what: string, file: string, timeoutMs = 120_000): Promise<Background> {
    // -Z root: Debian's tcpdump otherwise drops to user tcpdump, who cannot write into the 0700 work dir.
    const p = this.background(
      ns,
      what,
      'tcpdump',
      ['-Z', 'root', '-i', dev, '-Q', 'in', '--immediate-mode', '-U', '-n', '-s', '0', '-B', '65536', '--time-stamp-precision=nano', '-w', file],
      timeoutMs,
    );
    await p.waitFor('stderr', 'listening on', 15_000);
    return p;
  }

  /** tcpreplay of `file` out of the sender's interface. */
  replay(file: string, rateArgs: string[] = ['--pps', '2000'], timeoutMs = 120_000): RunResult {
    return this.exec(this.sender, 'tcpreplay', ['-i', BLAB.senderIf, ...rateArgs, file], { timeoutMs, check: false });
  }

}

/** Stops tcpdump (SIGINT: it flushes and prints its counts) and returns "N packets dropped by kernel". */
export async function stopCapture(p: Background): Promise<{ captured: number; droppedByKernel: number }> {
  await p.stop('SIGINT', 5_000);
  const err = p.stderr();
  const captured = Number(/(\d+) packets? captured/.exec(err)?.[1] ?? NaN);
  const droppedByKernel = Number(/(\d+) packets? dropped by kernel/.exec(err)?.[1] ?? NaN);
  return { captured, droppedByKernel };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


export interface FrameSpec {
  dst?: string;
  src?: string;
  tags?: { tpid: number; pcp: number; vid: number }[];
  v6?: boolean;
  proto?: 'udp' | 'tcp';
  sport: number;
  dport: number;
  /** DS byte (DSCP << 2 | ECN). */
  tos: number;
  payload?: number;
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

function checksum16(b: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += b.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet frame (optionally tagged) with an IPv4 or IPv6 UDP/TCP packet; lab addresses only. */
export function buildFrame(s: FrameSpec): Buffer {
  const l4len = s.proto === 'tcp' ? 20 : 8;
  const payload = Buffer.alloc(s.payload ?? 32, 0x61);
  const l4 = Buffer.alloc(l4len);
  l4.writeUInt16BE(s.sport, 0);
  l4.writeUInt16BE(s.dport, 2);
  if (s.proto === 'tcp') {
    l4.writeUInt32BE(1, 4);
    l4[12] = 5 << 4;
    l4[13] = 0x18;
    l4.writeUInt16BE(65535, 14);
  } else {
    l4.writeUInt16BE(8 + payload.length, 4);
  }
  const protoNum = s.proto === 'tcp' ? 6 : 17;
  let ip: Buffer;
  if (s.v6) {
    ip = Buffer.alloc(40);
    ip.writeUInt32BE((6 << 28) | (s.tos << 20), 0);
    ip.writeUInt16BE(l4len + payload.length, 4);
    ip[6] = protoNum;
    ip[7] = 64;
    Buffer.from('20010db8515500000000000000000001', 'hex').copy(ip, 8);
    Buffer.from('20010db8515500000000000000000002', 'hex').copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip[1] = s.tos;
    ip.writeUInt16BE(20 + l4len + payload.length, 2);
    ip.writeUInt16BE(0x1234, 4);
    ip[8] = 64;
    ip[9] = protoNum;
    Buffer.from([198, 18, 2, 1]).copy(ip, 12);
    Buffer.from([198, 18, 2, 2]).copy(ip, 16);
    ip.writeUInt16BE(checksum16(ip), 10);
  }
  const tags = (s.tags ?? []).map((t) => {
    const b = Buffer.alloc(4);
    b.writeUInt16BE(t.tpid, 0);
    b.writeUInt16BE((t.pcp << 13) | t.vid, 2);
    return b;
  });
  const type = Buffer.alloc(2);
  type.writeUInt16BE(s.v6 ? 0x86dd : 0x0800, 0);
  return Buffer.concat([
    macBytes(s.dst ?? '02:00:5e:00:53:02'),
    macBytes(s.src ?? '02:00:5e:00:53:01'),
    ...tags,
    type,
    ip,
    l4,
    payload,
  ]);
}

/**
 * Command and arguments that run `cmd args` where the dynamic linker cannot
 * find the unversioned libpcap.so (the development package's), as on a machine
 * without libpcap0.8-dev: a private mount namespace with an overlay over its
 * directory in which that one name is deleted. Nothing outside changes.
 */
export function withoutDevLibpcap(cmd: string, args: string[]): { cmd: string; args: string[] } | null {
  const cache = run('ldconfig', ['-p'], { check: false }).stdout;
  const m = /^\s*libpcap\.so \(.*\) => (\S+)$/m.exec(cache);
  if (m === null) return null;
  const real = run('readlink', ['-f', m[1]], { check: false }).stdout.trim();
  const dir = real.slice(0, real.lastIndexOf('/'));
  const scratch = mkdtempSync(join(tmpdir(), 'qosmark-nolibpcap-'));
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const script = [
    `mount -t tmpfs qmtmp ${q(scratch)}`,
    `mkdir ${q(`${scratch}/u`)} ${q(`${scratch}/w`)}`,
    `mount -t overlay qmovl -o lowerdir=${dir},upperdir=${scratch}/u,workdir=${scratch}/w ${q(dir)}`,
    `rm -f ${q(`${dir}/libpcap.so`)}`,
    `exec ${[cmd, ...args].map(q).join(' ')}`,
  ].join(' && ');
  return { cmd: 'unshare', args: ['-m', '--propagation', 'private', 'sh', '-c', script] };
}

/**
 * A three-namespace bridge lab for the export tests, and the comparison of
 * what a kernel ruleset wrote with what `qosmark mark` wrote.
 *
 *   sender ns: qmx0 --veth-- qmx1 (bridge ns, port of br0) ... qmx2 (port of br0) --veth-- qmx3: receiver ns
 *
 * tcpreplay sends fixture frames from the sender, the bridge namespace
 * forwards them through the rules under test (nft bridge family, netdev
 * ingress of qmx1, or tc on qmx1's ingress), and tcpdump in the receiver
 * writes what arrives. No addresses are needed (frames are bridged as they
 * are, MACs untouched), IPv6 is off on every lab interface so the lab sends
 * nothing of its own, MAC learning is off on the bridge ports so that every
 * frame is flooded to the receiver whatever its addresses, and
 * bridge-nf-call-* are 0 so br_netfilter does not run the IP hooks on
 * bridged frames (FIELD-NOTES).
 *
 * Namespaces are named `qmxlab-<pid>-<t>-s|b|r`; destroy() kills what the lab
 * started (by pid) and deletes them; stale ones of dead pids are removed.
 */
import { readFileSync } from 'node:fs';
import { NamespaceLab, OFFLOADS_OFF, removeStaleNamespaces } from './netns.js';
import { Background, run, type RunOptions, type RunResult } from './proc.js';
import { dissectEthernet, markableBits, readPcap, type Dissection, type PcapFile } from './pcap-file.js';

const PREFIX = 'qmxlab-';
export const XLAB = { senderIf: 'qmx0', inIf: 'qmx1', outIf: 'qmx2', receiverIf: 'qmx3', bridge: 'qmxbr0' } as const;

export function removeStaleBridgeLabs(): void {
  removeStaleNamespaces(/^qmxlab-(\d+)-[0-9a-z]+-[sbr]$/);
}

export class BridgeLab extends NamespaceLab {
  readonly sender: string;
  readonly middle: string;
  readonly receiver: string;

  constructor() {
    super();
    const id = `${process.pid}-${Date.now().toString(36)}`;
    this.sender = `${PREFIX}${id}-s`;
    this.middle = `${PREFIX}${id}-b`;
    this.receiver = `${PREFIX}${id}-r`;
  }

  setup(): void {
    removeStaleBridgeLabs();
    for (const ns of [this.sender, this.middle, this.receiver]) {
      this.addNamespace(ns);
      run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // Set before the links exist, so that no interface ever sends router or neighbour solicitations.
      this.exec(ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    }
    const { sender: s, middle: b, receiver: r } = this;
    run('ip', ['-n', s, 'link', 'add', XLAB.senderIf, 'type', 'veth', 'peer', 'name', XLAB.inIf, 'netns', b]);
    run('ip', ['-n', r, 'link', 'add', XLAB.receiverIf, 'type', 'veth', 'peer', 'name', XLAB.outIf, 'netns', b]);
    run('ip', ['-n', b, 'link', 'add', XLAB.bridge, 'type', 'bridge', 'stp_state', '0']);
    for (const port of [XLAB.inIf, XLAB.outIf]) {
      run('ip', ['-n', b, 'link', 'set', port, 'master', XLAB.bridge]);
      run('ip', ['-n', b, 'link', 'set', 'dev', port, 'type', 'bridge_slave', 'learning', 'off', 'flood', 'on', 'mcast_flood', 'on']);
    }
    const bridgeNf = ['iptables', 'ip6tables', 'arptables'].map((t) => `net.bridge.bridge-nf-call-${t}=0`);
    // The keys exist only where br_netfilter is present (built in here, FIELD-NOTES).
    this.exec(b, 'sysctl', ['-qw', ...bridgeNf], { check: false });
    for (const [ns, dev] of [
      [s, XLAB.senderIf],
      [b, XLAB.inIf],
      [b, XLAB.outIf],
      [r, XLAB.receiverIf],
    ] as const) {
      this.exec(ns, 'ethtool', ['-K', dev, ...OFFLOADS_OFF], { check: false });
      run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
    }
    run('ip', ['-n', b, 'link', 'set', XLAB.bridge, 'up']);
  }

  exec(ns: string, cmd: string, args: string[], opts: RunOptions = {}): RunResult {
    return this.execIn(ns, cmd, args, opts);
  }

  background(ns: string, what: string, cmd: string, args: string[], logDir: string, timeoutMs: number): Background {
    return this.startIn(ns, what, cmd, args, logDir, timeoutMs);
  }

  /**
   * Replays the files in order from the sender and returns what the receiver
   * captured. Bounded: at most `pps` frames a second, each process killed
   * after its timeout.
   */
  async replay(files: string[], capFile: string, logDir: string, tag: string, pps = 2000): Promise<{ cap: PcapFile; tcpdumpLog: string }> {
    const tcpdump = this.background(
      this.receiver,
      `tcpdump-${tag}`,
      'tcpdump',
      ['-i', XLAB.receiverIf, '-w', capFile, '-U', '-n', '-s', '0', '--immediate-mode', '-Z', 'root'],
      logDir,
      120_000,
    );
    await tcpdump.waitFor('stderr', 'listening', 15_000);
    this.exec(this.sender, 'tcpreplay', ['-q', '-i', XLAB.senderIf, '--pps', String(pps), ...files], { timeoutMs: 90_000 });
    await new Promise((res) => setTimeout(res, 400));
    await tcpdump.stop('SIGTERM');
    return { cap: readPcap(readFileSync(capFile)), tcpdumpLog: tcpdump.stderr() };
  }

}

/** Why the kernel cannot give a frame qosmark's class, or 'classified' when it can. */
export type KernelCase =
  /** qosmark said the frame is malformed or cut short and leaves it; the kernel's reading of it is not compared. */
  | 'malformed'
  /** Two or more VLAN tags, or a 0x9100 tag: out of reach of the kernel's ip/ip6/th expressions; must pass unchanged. */
  | 'stacked-tags'
  /** A non-first fragment: no ports; the kernel gives it the default marking. */
  | 'non-first-fragment'
  /** IPv6 ports behind AH, mobility, HIP or shim6, which nftables' header walk stops at: default marking. */
  | 'ipv6-ports-out-of-reach'
  /** qosmark classified it by following SDP (inspect: sip), which no kernel rule does: port rules' class expected. */
  | 'sdp-followed'
  | 'classified';

const IPV6_STOPS = new Set([51, 135, 139, 140]);

/** Walks an IPv6 extension chain: does the walk meet AH, mobility, HIP or shim6 before TCP/UDP? And is there a non-first fragment? */
function ipv6Chain(f: Buffer, o: number): { outOfReach: boolean; nonFirstFragment: boolean } {
  let nh = f[o + 6];
  let p = o + 40;
  let outOfReach = false;
  for (let n = 0; n < 16 && p + 8 <= f.length; n++) {
    if (nh === 6 || nh === 17) break;
    if (nh === 44) {
      if ((f.readUInt16BE(p + 2) >>> 3) !== 0) return { outOfReach, nonFirstFragment: true };
      nh = f[p];
      p += 8;
    } else if (nh === 0 || nh === 43 || nh === 60 || nh === 135 || nh === 139 || nh === 140) {
      if (IPV6_STOPS.has(nh)) outOfReach = true;
      const len = (f[p + 1] + 1) * 8;
      nh = f[p];
      p += len;
    } else if (nh === 51) {
      outOfReach = true;
      const len = (f[p + 1] + 2) * 4;
      nh = f[p];
      p += len;
    } else break;
  }
  return { outOfReach, nonFirstFragment: false };
}

export function kernelCase(input: Buffer, qosmarkStatus: string, marked: Buffer, portOnlyMarked: Buffer): KernelCase {
  if (qosmarkStatus !== 'ok') return 'malformed';
  const d = dissectEthernet(input);
  if (d.tags.length >= 2 || (d.tags.length === 1 && d.tags[0].tpid === 0x9100)) return 'stacked-tags';
  if (d.ip !== null) {
    if (d.ip.version === 4 && (input.readUInt16BE(d.ip.off + 6) & 0x1fff) !== 0) return 'non-first-fragment';
    if (d.ip.version === 6) {
      const chain = ipv6Chain(input, d.ip.off);
      if (chain.nonFirstFragment) return 'non-first-fragment';
      if (chain.outOfReach) return 'ipv6-ports-out-of-reach';
    }
  }
  if (!marked.equals(portOnlyMarked)) return 'sdp-followed';
  return 'classified';
}

export interface DefaultMarking {
  dscp: number | null;
  cos: number | null;
}

export interface FrameOutcome {
  index: number;
  kase: KernelCase;
  received: Buffer | null;
  problems: string[];
}

/** Equal outside the bits that marking may change (DSCP, outer PCP, IPv4 checksum). */
export function sameOutsideMarking(a: Buffer, b: Buffer, d: Dissection = dissectEthernet(a)): boolean {
  if (a.length !== b.length) return false;
  const allowed = markableBits(d);
  for (let o = 0; o < a.length; o++) if (((a[o] ^ b[o]) & ~(allowed.get(o) ?? 0)) !== 0) return false;
  return true;
}

/**
 * Pairs the captured frames with the sent ones, in order: a captured frame
 * belongs to the next sent frame that it equals outside the marking bits.
 * Sent frames with no partner were not received; captured frames left over
 * are extra.
 */
export function align(sent: Buffer[], received: Buffer[]): { pairs: (Buffer | null)[]; extra: Buffer[] } {
  const pairs: (Buffer | null)[] = sent.map(() => null);
  const extra: Buffer[] = [];
  let i = 0;
  for (const g of received) {
    let j = i;
    while (j < sent.length && !sameOutsideMarking(sent[j], g)) j++;
    if (j === sent.length) {
      extra.push(g);
      continue;
    }
    pairs[j] = g;
    i = j + 1;
  }
  return { pairs, extra };
}

/** Checks one received frame against what it must be, by its case. */
export function checkFrame(kase: KernelCase, input: Buffer, marked: Buffer, portOnly: Buffer, got: Buffer, dflt: DefaultMarking): string[] {
  const problems: string[] = [];
  const show = (b: Buffer) => b.subarray(0, 64).toString('hex');
  switch (kase) {
    case 'classified':
      if (!got.equals(marked)) problems.push(`differs from qosmark mark's frame:\n  qosmark ${show(marked)}\n  kernel  ${show(got)}`);
      break;
    case 'sdp-followed':
      if (!got.equals(portOnly)) problems.push(`differs from qosmark mark's port-rule frame:\n  qosmark ${show(portOnly)}\n  kernel  ${show(got)}`);
      break;
    case 'stacked-tags':
      if (!got.equals(input)) problems.push(`changed, but frames with stacked tags must pass unchanged:\n  sent   ${show(input)}\n  kernel ${show(got)}`);
      break;
    case 'malformed':
      if (!sameOutsideMarking(input, got)) problems.push('changed outside the DSCP, PCP and checksum bits');
      break;
    case 'non-first-fragment':
    case 'ipv6-ports-out-of-reach': {
      const din = dissectEthernet(input);
      const dout = dissectEthernet(got);
      if (!sameOutsideMarking(input, got, din)) problems.push('changed outside the DSCP, PCP and checksum bits');
      if (din.ip !== null && dout.ip !== null) {
        const want = dflt.dscp ?? din.ip.dscp;
        if (dout.ip.dscp !== want) problems.push(`DSCP ${din.ip.dscp} -> ${dout.ip.dscp}, expected the default marking's ${want}`);
        if (dout.ip.ecn !== din.ip.ecn) problems.push(`ECN ${din.ip.ecn} -> ${dout.ip.ecn}`);
        if (din.ip.version === 4 && dout.ip.checksumOk !== din.ip.checksumOk) problems.push('IPv4 header checksum validity changed');
      }
      if (din.tags.length > 0) {
        const want = dflt.cos ?? din.tags[0].pcp;
        if (dout.tags[0]?.pcp !== want) problems.push(`PCP ${din.tags[0].pcp} -> ${dout.tags[0]?.pcp}, expected ${want}`);
      }
      break;
    }
  }
  return problems;
}

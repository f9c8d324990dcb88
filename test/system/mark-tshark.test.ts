/**
 * System test: a capture written by another tool.
 *
 * Two network namespaces joined by a veth link (198.18.0.0/15, 2001:db8::/32),
 * offloads off. tcpdump captures on the receiving end while the sending
 * namespace sends a fixed plan of UDP datagrams and TCP connections with known
 * DS bytes (kernel sockets, IPv4 and IPv6), plus 802.1Q / QinQ tagged frames
 * (through a kernel VLAN device when the kernel has 802.1Q, and always as raw
 * frames on a packet socket). qosmark marks tcpdump's file; tshark and an
 * independent pcap parser check the result against the policy table.
 * The payloads carry no SIP/SDP, so qosmark's SDP following has nothing to
 * learn and the port rules alone decide (the oracle in support/policy-oracle.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB, VethLab } from './support/netns-lab.js';
import { dissectEthernet, markableBits, readPcap, IPPROTO_TCP, IPPROTO_UDP, type Dissection, type PcapFile } from './support/pcap-file.js';
import { expectedClass, type OracleClass } from './support/policy-oracle.js';
import { qosmark, ensureBuilt, REPO_ROOT } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { CHECKSUM_GOOD, MARK_FIELDS, num, outerPcp, tsharkFields, type TsharkRow } from './support/tshark.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const TOOLS = ['ip', 'tcpdump', 'tshark', 'ethtool', 'python3'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns());

const TRAFFIC_PY = join(REPO_ROOT, 'test/system/support/lab_traffic.py');
const UDP_PORTS = [5060, 5061, 20000, 16383, 12345];
const TCP_PORTS = [5060, 5061, 2748, 443];
/** Single-port rule vs. RTP range, and the range edges, by source port (UDP). */
const UDP_SPORT_CASES = [
  { sport: 20000, dport: 5060 },
  { sport: 16400, dport: 12345 },
  { sport: 32766, dport: 12345 },
  { sport: 32767, dport: 12345 },
];
const DSCPS = [0, 10, 46, 24, 34, 8, 18];

interface PlanItem {
  kind: 'udp' | 'tcp' | 'raw';
  [key: string]: unknown;
}

interface SendResult {
  udp: number;
  udpEchoes: number;
  tcp: number;
  tcpFailed: string[];
  raw: string[];
}

/** A deterministic spread of DS bytes: DSCPs that the policy changes and keeps, all four ECN values. */
function dsBytes(): () => number {
  let k = 0;
  return () => {
    const ds = (DSCPS[k % DSCPS.length] << 2) | (k % 4);
    k++;
    return ds;
  };
}

function buildPlan(lab: VethLab, receiverMac: string): PlanItem[] {
  const nextDs = dsBytes();
  const items: PlanItem[] = [];
  const dsts: string[] = [LAB.v4.receiver, LAB.v6.receiver];
  if (lab.vlanUnavailable === null) dsts.push(LAB.vlan4.receiver, LAB.vlan6.receiver);
  for (const dst of dsts) {
    for (const dport of UDP_PORTS) for (let i = 0; i < 3; i++) items.push({ kind: 'udp', dst, dport, sport: null, tos: nextDs(), count: 1 });
    for (const c of UDP_SPORT_CASES) items.push({ kind: 'udp', dst, dport: c.dport, sport: c.sport, tos: nextDs(), count: 1 });
    for (const dport of TCP_PORTS) for (let i = 0; i < 2; i++) items.push({ kind: 'tcp', dst, dport, tos: nextDs() });
  }
  // Tagged frames written on a packet socket: they reach the capture whatever the kernel's 802.1Q support.
  const raw: { proto: 'udp' | 'tcp'; sport: number; dport: number }[] = [
    ...UDP_PORTS.map((p) => ({ proto: 'udp' as const, sport: 40000, dport: p })),
    ...TCP_PORTS.map((p) => ({ proto: 'tcp' as const, sport: 40001, dport: p })),
    { proto: 'udp', sport: 5061, dport: 24000 },
    { proto: 'tcp', sport: 16500, dport: 40002 },
  ];
  const ends = [
    { src: '198.18.2.1', dst: '198.18.2.2' },
    { src: '2001:db8:5155::1', dst: '2001:db8:5155::2' },
  ];
  let pcp = 0;
  for (const { src, dst } of ends) {
    for (const r of raw) {
      items.push({ kind: 'raw', iface: LAB.senderIf, dstMac: receiverMac, tags: [{ tpid: 0x8100, pcp: pcp++ % 8, vid: 100 }], src, dst, ...r, tos: nextDs() });
    }
    // QinQ: only the outer tag's PCP may change (default --cos-tag outer).
    const qinq = [
      { tpid: 0x88a8, pcp: 1, vid: 200 },
      { tpid: 0x8100, pcp: 6, vid: 100 },
    ];
    items.push({ kind: 'raw', iface: LAB.senderIf, dstMac: receiverMac, tags: qinq, src, dst, proto: 'udp', sport: 40003, dport: 20000, tos: nextDs() });
    items.push({ kind: 'raw', iface: LAB.senderIf, dstMac: receiverMac, tags: qinq, src, dst, proto: 'tcp', sport: 40004, dport: 443, tos: nextDs() });
    // Priority-tagged (VID 0), already PCP 3 on a signalling packet.
    items.push({ kind: 'raw', iface: LAB.senderIf, dstMac: receiverMac, tags: [{ tpid: 0x8100, pcp: 3, vid: 0 }], src, dst, proto: 'udp', sport: 40005, dport: 5060, tos: 24 << 2 });
  }
  return items;
}

interface Expect {
  d: Dissection;
  cls: OracleClass | null;
  dscp: number | null;
  ecn: number | null;
  pcp: number | null;
}

/** What out.pcap must hold for one input frame, from the input bytes and the policy table. */
function expectFor(d: Dissection): Expect {
  const cls = d.ip === null ? null : expectedClass(d.ip.proto, d.ip.sport, d.ip.dport);
  const dscp = d.ip === null ? null : (cls?.dscp ?? d.ip.dscp);
  const outer = d.tags[0];
  const pcp = outer === undefined ? null : cls !== null && cls.cos !== null ? cls.cos : outer.pcp;
  return { d, cls, dscp, ecn: d.ip?.ecn ?? null, pcp };
}

describe('qosmark mark on a tcpdump capture of namespace traffic, checked with tshark', () => {
  let work = '';
  let lab: VethLab | null = null;
  let capFile = '';
  let outFile = '';
  let sent: SendResult | null = null;
  let plan: PlanItem[] = [];
  let tcpdumpLog = '';
  let markStatus: number | null = null;
  let markStdout = '';
  let markStderr = '';
  let cap: PcapFile | null = null;
  let out: PcapFile | null = null;
  let expected: Expect[] = [];

  beforeAll(async () => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-sys-');
    capFile = join(work, 'cap.pcap');
    outFile = join(work, 'out.pcap');
    lab = new VethLab();
    lab.setup();

    const receiver = lab.background(
      lab.receiver,
      'receiver',
      'python3',
      [TRAFFIC_PY, 'serve', JSON.stringify({ udp: UDP_PORTS, tcp: TCP_PORTS, timeout: 90 })],
      work,
      100_000,
    );
    await receiver.waitFor('stdout', 'ready', 15_000);
    // -Z root: Debian's tcpdump otherwise drops to user tcpdump, who cannot write into the 0700 work dir.
    // --immediate-mode: without it, frames wait in the ring's blocks and a stop can lose them.
    const tcpdump = lab.background(
      lab.receiver,
      'tcpdump',
      'tcpdump',
      ['-i', LAB.receiverIf, '-w', capFile, '-U', '-n', '--immediate-mode', '-Z', 'root'],
      work,
      100_000,
    );
    await tcpdump.waitFor('stderr', 'listening', 15_000);

    plan = buildPlan(lab, lab.mac(lab.receiver, LAB.receiverIf));
    const r = lab.exec(lab.sender, 'python3', [TRAFFIC_PY, 'send', JSON.stringify({ items: plan })], { timeoutMs: 90_000 });
    sent = JSON.parse(r.stdout.trim().split('\n').pop() ?? 'null') as SendResult;

    await new Promise((res) => setTimeout(res, 500)); // last FIN/ACKs and echoes
    await tcpdump.stop('SIGTERM');
    tcpdumpLog = tcpdump.stderr();
    await receiver.stop('SIGTERM');

    const m = qosmark(['mark', capFile, '-o', outFile, '--json']);
    markStatus = m.status;
    markStdout = m.stdout;
    markStderr = m.stderr;
    cap = readPcap(readFileSync(capFile));
    if (m.status === 0) out = readPcap(readFileSync(outFile));
    expected = cap.records.map((rec) => expectFor(dissectEthernet(rec.data)));
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      removeWorkDir(work);
    }
  });

  it('tcpdump captured the planned traffic (IPv4, IPv6, TCP, UDP, tagged, known DS bytes)', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    if (lab?.vlanUnavailable) await ctx.annotate(`tagged frames only from the packet socket: ${lab.vlanUnavailable}`);
    expect(sent).not.toBeNull();
    expect(sent!.tcpFailed).toEqual([]);
    expect(tcpdumpLog).toMatch(/^0 packets dropped by kernel$/m);
    expect(tcpdumpLog).toMatch(new RegExp(`^${cap!.records.length} packets captured$`, 'm'));
    expect(cap!.linkType).toBe(1);
    const frames = expected.map((e) => e.d);
    for (const item of plan) {
      if (item.kind === 'raw') continue;
      const version = String(item.dst).includes(':') ? 6 : 4;
      const proto = item.kind === 'udp' ? IPPROTO_UDP : IPPROTO_TCP;
      const tos = item.tos as number;
      const hit = frames.some(
        (d) =>
          d.ip?.version === version &&
          d.ip.proto === proto &&
          d.ip.dport === item.dport &&
          (item.sport == null || d.ip.sport === item.sport) &&
          d.ip.dscp === tos >> 2 &&
          // Linux keeps the ECN bits of TCP sockets to itself.
          (item.kind === 'tcp' || d.ip.ecn === (tos & 3)),
      );
      expect(hit, `no captured frame for ${JSON.stringify(item)}`).toBe(true);
    }
    const captured = new Set(cap!.records.map((r) => r.data.toString('hex')));
    for (const hex of sent!.raw) expect(captured.has(hex), `raw frame not captured: ${hex}`).toBe(true);
    const tagged = frames.filter((d) => d.tags.length > 0);
    expect(tagged.length).toBeGreaterThanOrEqual(sent!.raw.length);
    // Every class and both IP versions are present, tagged and untagged.
    for (const name of ['voice', 'signalling', 'data', 'default']) {
      for (const version of [4, 6]) {
        for (const isTagged of [false, true]) {
          const n = expected.filter((e) => e.cls?.name === name && e.d.ip?.version === version && e.d.tags.length > 0 === isTagged).length;
          expect(n, `${name} IPv${version} ${isTagged ? 'tagged' : 'untagged'} frames`).toBeGreaterThan(0);
        }
      }
    }
  });

  it('qosmark mark exits 0 and its --json summary agrees with the policy table', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(markStatus, markStderr).toBe(0);
    const summary = JSON.parse(markStdout) as {
      format: string;
      error: unknown;
      packets: number;
      ipv4: number;
      ipv6: number;
      classes: Record<string, { packets: number }>;
    };
    expect(summary.error).toBeNull();
    expect(summary.format).toBe('pcap');
    expect(summary.packets).toBe(cap!.records.length);
    expect(summary.ipv4).toBe(expected.filter((e) => e.d.ip?.version === 4).length);
    expect(summary.ipv6).toBe(expected.filter((e) => e.d.ip?.version === 6).length);
    for (const name of ['voice', 'signalling', 'data', 'default']) {
      expect(summary.classes[name]?.packets, `class ${name}`).toBe(expected.filter((e) => e.cls?.name === name).length);
    }
  });

  it('out.pcap differs from cap.pcap only in DSCP bits, outer PCP bits and IPv4 checksums, and holds the expected values', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(out, `qosmark mark failed: ${markStderr}`).not.toBeNull();
    expect(out!.header.equals(cap!.header), 'file header').toBe(true);
    expect(out!.records.length).toBe(cap!.records.length);
    const problems: string[] = [];
    let dscpChanged = 0;
    let pcpChanged = 0;
    for (const [i, a] of cap!.records.entries()) {
      const b = out!.records[i];
      const e = expected[i];
      const where = `frame ${a.frame}`;
      if (!a.header.equals(b.header)) problems.push(`${where}: record header differs`);
      if (a.data.length !== b.data.length) {
        problems.push(`${where}: length ${a.data.length} -> ${b.data.length}`);
        continue;
      }
      const allowed = markableBits(e.d);
      for (let o = 0; o < a.data.length; o++) {
        const diff = a.data[o] ^ b.data[o];
        if ((diff & ~(allowed.get(o) ?? 0)) !== 0) {
          problems.push(`${where}: byte ${o} 0x${a.data[o].toString(16)} -> 0x${b.data[o].toString(16)}`);
        }
      }
      const o = dissectEthernet(b.data);
      if (e.d.ip !== null) {
        if (o.ip?.dscp !== e.dscp) problems.push(`${where}: DSCP ${e.d.ip.dscp} -> ${o.ip?.dscp}, expected ${e.dscp} (${e.cls?.name})`);
        if (o.ip?.ecn !== e.ecn) problems.push(`${where}: ECN ${e.ecn} -> ${o.ip?.ecn}`);
        if (e.d.ip.version === 4 && o.ip?.checksumOk !== true) problems.push(`${where}: IPv4 header checksum does not verify`);
        if (o.ip?.dscp !== e.d.ip.dscp) dscpChanged++;
      }
      if (e.pcp !== null) {
        if (o.tags[0]?.pcp !== e.pcp) problems.push(`${where}: PCP ${e.d.tags[0].pcp} -> ${o.tags[0]?.pcp}, expected ${e.pcp}`);
        if (o.tags[0]?.pcp !== e.d.tags[0].pcp) pcpChanged++;
      }
    }
    expect(problems).toEqual([]);
    // The run must have changed something, or the comparison above proves little.
    expect(dscpChanged).toBeGreaterThan(20);
    expect(pcpChanged).toBeGreaterThan(5);
  });

  it('tshark reads out.pcap with every DSCP, ECN and outer PCP as the policy table says and every IPv4 checksum Good', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(out, `qosmark mark failed: ${markStderr}`).not.toBeNull();
    const before = tsharkFields(capFile, MARK_FIELDS);
    const after = tsharkFields(outFile, MARK_FIELDS);
    expect(after.length).toBe(cap!.records.length);
    expect(before.length).toBe(cap!.records.length);
    const problems: string[] = [];
    const check = (frame: number, what: string, got: number | null, want: number | null) => {
      if (got !== want) problems.push(`frame ${frame}: ${what} is ${got}, expected ${want}`);
    };
    after.forEach((row: TsharkRow, i) => {
      const e = expected[i];
      const inRow = before[i];
      const frame = num(row, 'frame.number')!;
      check(frame, 'frame.number', frame, i + 1);
      // The oracle's inputs, cross-checked against tshark's reading of cap.pcap.
      if (e.d.ip?.proto === IPPROTO_UDP && e.d.ip.sport !== null) {
        check(frame, 'udp.srcport (input)', num(inRow, 'udp.srcport'), e.d.ip.sport);
        check(frame, 'udp.dstport (input)', num(inRow, 'udp.dstport'), e.d.ip.dport);
      }
      if (e.d.ip?.proto === IPPROTO_TCP && e.d.ip.sport !== null) {
        check(frame, 'tcp.srcport (input)', num(inRow, 'tcp.srcport'), e.d.ip.sport);
        check(frame, 'tcp.dstport (input)', num(inRow, 'tcp.dstport'), e.d.ip.dport);
      }
      check(frame, 'outer PCP (vlan/ieee8021ad.priority)', outerPcp(row, e.d.tags[0]?.tpid ?? null), e.pcp);
      if (e.d.ip?.version === 4) {
        check(frame, 'ip.dsfield.dscp', num(row, 'ip.dsfield.dscp'), e.dscp);
        check(frame, 'ip.dsfield.ecn', num(row, 'ip.dsfield.ecn'), num(inRow, 'ip.dsfield.ecn'));
        check(frame, 'ip.checksum.status', num(row, 'ip.checksum.status'), CHECKSUM_GOOD);
        check(frame, 'ip.checksum.status (input)', num(inRow, 'ip.checksum.status'), CHECKSUM_GOOD);
      } else if (e.d.ip?.version === 6) {
        check(frame, 'ipv6.tclass.dscp', num(row, 'ipv6.tclass.dscp'), e.dscp);
        check(frame, 'ipv6.tclass.ecn', num(row, 'ipv6.tclass.ecn'), num(inRow, 'ipv6.tclass.ecn'));
      } else {
        check(frame, 'ip.dsfield.dscp (not IP)', num(row, 'ip.dsfield.dscp'), null);
        check(frame, 'ipv6.tclass.dscp (not IP)', num(row, 'ipv6.tclass.dscp'), null);
      }
    });
    expect(problems).toEqual([]);
  });
});

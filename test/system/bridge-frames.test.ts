/**
 * System test: what `qosmark bridge` does to particular frames, judged by the
 * policy table restated in support/policy-oracle.ts (not by qosmark itself).
 *  - 802.1Q / 802.1ad tagged frames keep their tags (TPIDs, VIDs, count) and
 *    get the class's PCP in the outer tag; untagged frames stay untagged;
 *  - malformed frames (truncated IP headers, bad IHL, bad lengths, unknown
 *    EtherTypes, 802.3 length frames) are forwarded unchanged and counted;
 *  - frames larger than the outgoing MTU are counted as not forwarded;
 *  - the bridge keeps running after all of it.
 * The sender link has MTU 9000, the receiver link 1500.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLAB, BridgeLab, buildFrame, requireLiveBridge, sleep, stopCapture, writeEthernetPcap, type FrameSpec } from './support/bridge-lab.js';
import { dissectEthernet, readPcap, type PcapFile } from './support/pcap-file.js';
import { expectedClass } from './support/policy-oracle.js';
import type { Background } from './support/proc.js';
import { qosmark } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';

const TOOLS = ['ip', 'tcpdump', 'ethtool', 'tcpreplay'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns(), requireLiveBridge());

const JUMBO_COUNT = 3;

interface Planned {
  kind: 'good' | 'malformed' | 'jumbo';
  what: string;
  frame: Buffer;
  spec?: FrameSpec;
}

function plan(): Planned[] {
  const out: Planned[] = [];
  const tagSets: { name: string; tags: FrameSpec['tags'] }[] = [
    { name: 'untagged', tags: [] },
    { name: '802.1Q VID 100 PCP 0', tags: [{ tpid: 0x8100, pcp: 0, vid: 100 }] },
    { name: '802.1Q VID 4000 PCP 7', tags: [{ tpid: 0x8100, pcp: 7, vid: 4000 }] },
    { name: 'priority tag VID 0 PCP 1', tags: [{ tpid: 0x8100, pcp: 1, vid: 0 }] },
    { name: 'QinQ 802.1ad 200/802.1Q 100', tags: [{ tpid: 0x88a8, pcp: 2, vid: 200 }, { tpid: 0x8100, pcp: 6, vid: 100 }] },
  ];
  const flows: Pick<FrameSpec, 'proto' | 'sport' | 'dport'>[] = [
    { proto: 'udp', sport: 40000, dport: 5060 }, // signalling
    { proto: 'udp', sport: 20000, dport: 24000 }, // voice (RTP range)
    { proto: 'tcp', sport: 40001, dport: 2748 }, // signalling (CTIQBE)
    { proto: 'tcp', sport: 40002, dport: 443 }, // data: keep
    { proto: 'udp', sport: 40003, dport: 12345 }, // default: keep
  ];
  let k = 0;
  for (const t of tagSets) {
    for (const f of flows) {
      for (const v6 of [false, true]) {
        const tos = ([0, 10, 46, 24][k % 4] << 2) | (k % 4);
        k++;
        const spec: FrameSpec = { ...f, v6, tags: t.tags, tos };
        out.push({ kind: 'good', what: `${t.name} ${v6 ? 'IPv6' : 'IPv4'} ${f.proto} ${f.sport}->${f.dport}`, frame: buildFrame(spec), spec });
      }
    }
  }
  const sip = buildFrame({ proto: 'udp', sport: 40000, dport: 5060, tos: 0 });
  const tagged = buildFrame({ proto: 'udp', sport: 40000, dport: 5060, tos: 0, tags: [{ tpid: 0x8100, pcp: 0, vid: 100 }] });
  const bad = (what: string, frame: Buffer) => out.push({ kind: 'malformed', what, frame });
  bad('IPv4 header cut to 10 bytes', sip.subarray(0, 14 + 10));
  bad('tagged IPv4 header cut to 12 bytes', tagged.subarray(0, 18 + 12));
  bad('IPv6 header cut to 30 bytes', buildFrame({ proto: 'udp', sport: 1, dport: 5060, tos: 0, v6: true }).subarray(0, 14 + 30));
  for (const ihl of [0, 3, 4]) {
    const f = Buffer.from(sip);
    f[14] = 0x40 | ihl;
    bad(`IPv4 IHL ${ihl}`, f);
  }
  const ihl15 = Buffer.from(sip);
  ihl15[14] = 0x4f; // 60-byte header, longer than the packet
  bad('IPv4 IHL 15 past the end', ihl15.subarray(0, 14 + 40));
  const longTotal = Buffer.from(sip);
  longTotal.writeUInt16BE(1400, 16);
  bad('IPv4 total length past the frame', longTotal);
  const shortTotal = Buffer.from(sip);
  shortTotal.writeUInt16BE(12, 16);
  bad('IPv4 total length below the header', shortTotal);
  const v6InV4 = Buffer.from(sip);
  v6InV4[14] = 0x65;
  bad('IP version 6 under EtherType IPv4', v6InV4);
  const unknown = Buffer.from(sip);
  unknown.writeUInt16BE(0x88b5, 12);
  bad('unknown EtherType 0x88b5', unknown);
  const unknownTagged = Buffer.from(tagged);
  unknownTagged.writeUInt16BE(0x9999, 16);
  bad('tagged unknown EtherType 0x9999', unknownTagged);
  const dot3 = Buffer.from(sip);
  dot3.writeUInt16BE(dot3.length - 14, 12);
  bad('802.3 length field', dot3);
  bad('bare Ethernet header', sip.subarray(0, 14));
  for (let i = 0; i < JUMBO_COUNT; i++) {
    out.push({ kind: 'jumbo', what: `jumbo ${i}`, frame: buildFrame({ proto: 'udp', sport: 40000, dport: 5060, tos: 0, payload: 3000 }) });
  }
  // After everything: the bridge is still forwarding.
  out.push({ kind: 'good', what: 'sentinel after the bad frames', frame: buildFrame({ proto: 'udp', sport: 20000, dport: 20002, tos: 0 }), spec: { proto: 'udp', sport: 20000, dport: 20002, tos: 0 } });
  return out;
}

describe('qosmark bridge: VLAN tags, malformed frames, MTU', () => {
  let lab: BridgeLab | null = null;
  let planned: Planned[] = [];
  let bridge: Background | null = null;
  let bridgeAliveAfter = false;
  let summary: Record<string, any> | null = null;
  let offlineSummary: Record<string, any> | null = null;
  let outCap: PcapFile | null = null;
  let forwardedPlan: Planned[] = [];
  let outStats = { captured: NaN, droppedByKernel: NaN };
  let stderr = '';

  beforeAll(async () => {
    if (unmetReason !== null) return;
    lab = new BridgeLab();
    lab.setup({ senderMtu: 9000 });
    planned = plan();
    forwardedPlan = planned.filter((p) => p.kind !== 'jumbo');
    const replay = join(lab.work, 'frames.pcap');
    writeEthernetPcap(replay, planned.map((p) => p.frame));
    const outFile = join(lab.work, 'out.pcap');
    bridge = await lab.startBridge('bridge', ['--json', '--stats', '1']);
    const cap = await lab.startCapture(lab.receiver, BLAB.receiverIf, 'tcpdump-out', outFile);
    const r = lab.replay(replay, ['--pps', '1000']);
    if (r.status !== 0) throw new Error(`tcpreplay: ${r.stderr}`);
    await sleep(1_500);
    bridgeAliveAfter = bridge.running;
    outStats = await stopCapture(cap);
    await bridge.stop('SIGINT', 10_000);
    stderr = bridge.stderr();
    summary = JSON.parse(bridge.stdout());
    outCap = readPcap(readFileSync(outFile));
    const m = qosmark(['mark', replay, '-o', join(lab.work, 'offline.pcap'), '--json']);
    if (m.status !== 0) throw new Error(`qosmark mark: ${m.stderr}`);
    offlineSummary = JSON.parse(m.stdout);
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      if (lab && process.env.QOSMARK_KEEP_SYSTEM_TMP !== '1') rmSync(lab.work, { recursive: true, force: true });
    }
  });

  it('forwards every frame that fits the outgoing MTU, in order, and keeps running', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(bridgeAliveAfter).toBe(true);
    expect(outStats.droppedByKernel).toBe(0);
    expect(outCap!.records.length).toBe(forwardedPlan.length);
    expect(summary!.stopReason).toBe('SIGINT');
    // A stats line per second on stderr while it ran.
    expect(stderr).toMatch(/qosmark bridge: [\d.]+s qmb0->qmb1 in \d+ out \d+ \| classes .* receive drops qmb0 \d+ qmb1 \d+/);
  });

  it('keeps 802.1Q/802.1ad tags and rewrites the outer PCP by class; untagged frames stay untagged', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const problems: string[] = [];
    let pcpRewritten = 0;
    forwardedPlan.forEach((p, i) => {
      if (p.kind !== 'good') return;
      const before = dissectEthernet(p.frame);
      const after = dissectEthernet(outCap!.records[i].data);
      const cls = expectedClass(before.ip!.proto, before.ip!.sport, before.ip!.dport);
      const where = `${p.what}`;
      if (after.tags.length !== before.tags.length) problems.push(`${where}: ${before.tags.length} tags -> ${after.tags.length}`);
      before.tags.forEach((t, j) => {
        const a = after.tags[j];
        if (a === undefined || a.tpid !== t.tpid || a.vid !== t.vid) problems.push(`${where}: tag ${j} ${t.tpid.toString(16)}/${t.vid} -> ${a?.tpid.toString(16)}/${a?.vid}`);
        const wantPcp = j === 0 && cls.cos !== null ? cls.cos : t.pcp;
        if (a !== undefined && a.pcp !== wantPcp) problems.push(`${where}: tag ${j} PCP ${t.pcp} -> ${a.pcp}, expected ${wantPcp} (${cls.name})`);
        if (j === 0 && a !== undefined && a.pcp !== t.pcp) pcpRewritten++;
      });
      if (after.ethertype !== before.ethertype) problems.push(`${where}: EtherType ${before.ethertype} -> ${after.ethertype}`);
      const wantDscp = cls.dscp ?? before.ip!.dscp;
      if (after.ip?.dscp !== wantDscp) problems.push(`${where}: DSCP ${before.ip!.dscp} -> ${after.ip?.dscp}, expected ${wantDscp}`);
      if (after.ip?.ecn !== before.ip!.ecn) problems.push(`${where}: ECN ${before.ip!.ecn} -> ${after.ip?.ecn}`);
      if (after.ip?.version === 4 && after.ip.checksumOk !== true) problems.push(`${where}: IPv4 checksum`);
      if (outCap!.records[i].data.length !== p.frame.length) problems.push(`${where}: length changed`);
    });
    expect(problems).toEqual([]);
    expect(pcpRewritten).toBeGreaterThan(10);
  });

  it('forwards malformed frames unchanged and counts them as the offline run does', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const problems: string[] = [];
    forwardedPlan.forEach((p, i) => {
      if (p.kind === 'malformed' && !outCap!.records[i].data.equals(p.frame)) problems.push(`${p.what}: changed`);
    });
    expect(problems).toEqual([]);
    const s = summary!;
    const o = offlineSummary!;
    expect(s.received).toBe(planned.length);
    expect(s.malformed).toEqual(o.malformed);
    expect(s.malformedTotal).toBe(o.malformedTotal);
    expect(s.malformedTotal).toBeGreaterThanOrEqual(8);
    expect(s.notIp).toBe(o.notIp);
    expect(s.notIp).toBeGreaterThanOrEqual(3);
    expect(s.truncatedTotal).toBe(o.truncatedTotal);
    expect(s.classes).toEqual(o.classes);
  });

  it('counts frames too large for the outgoing interface as not forwarded (MTU)', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const d = summary!.directions[0];
    expect(d.notForwarded).toEqual({ tooLarge: JUMBO_COUNT, sendError: 0, local: 0, overload: 0 });
    expect(d.outMtu).toBe(1500);
    expect(d.forwarded).toBe(forwardedPlan.length);
    expect(d.received).toBe(d.forwarded + JUMBO_COUNT);
    expect(summary!.notForwarded).toBe(JUMBO_COUNT);
    expect(outCap!.records.every((r) => r.data.length <= 1518)).toBe(true);
  });
});

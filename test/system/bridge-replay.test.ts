/**
 * System test: `qosmark bridge` live, checked against `qosmark mark` offline.
 *
 * sender ⇄ bridge ⇄ receiver from namespaces and veth pairs (offloads off,
 * links quiet). Every Ethernet fixture capture is replayed with tcpreplay out
 * of the sender; tcpdump records what reaches the bridge's incoming interface
 * (in.pcap) and what reaches the receiver (out.pcap). Then, frame by frame:
 *  - in.pcap holds every fixture frame, in order, byte for byte, except those
 *    the kernel cannot carry (named rule, below);
 *  - out.pcap is exactly `qosmark mark in.pcap` (same bytes: DSCP, ECN, PCP,
 *    checksums), and tshark reads the same marks from both;
 *  - IPv4 header checksums that were valid are still valid;
 *  - the bridge's --json summary and --tee file agree with both.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLAB, BridgeLab, requireLiveBridge, sleep, stopCapture, writeEthernetPcap } from './support/bridge-lab.js';
import { dissectEthernet, readPcap, type PcapFile } from './support/pcap-file.js';
import { run, type Background } from './support/proc.js';
import { qosmark, REPO_ROOT } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { MARK_FIELDS, tsharkFields } from './support/tshark.js';

const TOOLS = ['ip', 'tcpdump', 'tshark', 'editcap', 'ethtool', 'tcpreplay'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns(), requireLiveBridge());

/** The readable Ethernet fixtures (the error fixtures stop tcpreplay; other link types are not Ethernet). */
const FIXTURES = [
  'cupc-ports',
  'vlan-stack',
  'ipv4-options',
  'ipv6-ext',
  'fragments',
  'ecn',
  'bad-checksum',
  'be-nsec',
  'oversnap',
  'truncated',
  'malformed',
];

interface Sent {
  label: string;
  data: Buffer;
}

/**
 * Frames the Linux kernel does not carry over a veth link, so that no bridge
 * on it could ever see them: shorter than an Ethernet header (packet_snd
 * refuses them with EINVAL), or with an 802.1Q/802.1ad TPID but shorter than
 * header + tag + inner EtherType (skb_vlan_untag drops them on receive, before
 * any packet socket).
 */
function kernelCannotCarry(f: Buffer): string | null {
  if (f.length < 14) return `${f.length}-byte frame (shorter than an Ethernet header)`;
  const type = f.readUInt16BE(12);
  if ((type === 0x8100 || type === 0x88a8) && f.length < 20) return `${f.length}-byte tagged frame (tag cut short)`;
  return null;
}

describe('qosmark bridge forwards the fixture captures exactly as qosmark mark marks them offline', () => {
  let lab: BridgeLab | null = null;
  let sent: Sent[] = [];
  let replayOut = '';
  let bridge: Background | null = null;
  let summary: Record<string, any> | null = null;
  let offlineSummary: Record<string, any> | null = null;
  let inCap: PcapFile | null = null;
  let outCap: PcapFile | null = null;
  let offline: PcapFile | null = null;
  let teeCap: PcapFile | null = null;
  let inStats = { captured: NaN, droppedByKernel: NaN };
  let outStats = { captured: NaN, droppedByKernel: NaN };
  let files = { in: '', out: '', offline: '', tee: '', replay: '' };

  beforeAll(async () => {
    if (unmetReason !== null) return;
    lab = new BridgeLab();
    lab.setup();
    const w = lab.work;
    files = { in: join(w, 'in.pcap'), out: join(w, 'out.pcap'), offline: join(w, 'offline.pcap'), tee: join(w, 'tee.pcapng'), replay: join(w, 'replay.pcap') };
    for (const name of FIXTURES) {
      const fx = readPcap(readFileSync(join(REPO_ROOT, 'fixtures/pcaps', `${name}.pcap`)));
      // tcpreplay stops at a zero-length record; those cannot be sent at all.
      for (const r of fx.records) if (r.data.length > 0) sent.push({ label: `${name}.pcap frame ${r.frame}`, data: r.data });
    }
    writeEthernetPcap(files.replay, sent.map((s) => s.data));

    bridge = await lab.startBridge('bridge', ['--json', '--tee', files.tee, '--stats', '1']);
    const capIn = await lab.startCapture(lab.bridge, BLAB.bridgeIn, 'tcpdump-in', files.in);
    const capOut = await lab.startCapture(lab.receiver, BLAB.receiverIf, 'tcpdump-out', files.out);
    const r = lab.replay(files.replay, ['--pps', '2000']);
    replayOut = r.stdout + r.stderr;
    await sleep(700);
    inStats = await stopCapture(capIn);
    outStats = await stopCapture(capOut);
    await bridge.stop('SIGTERM', 10_000);
    summary = JSON.parse(bridge.stdout());

    inCap = readPcap(readFileSync(files.in));
    outCap = readPcap(readFileSync(files.out));
    const m = qosmark(['mark', files.in, '-o', files.offline, '--json']);
    if (m.status !== 0) throw new Error(`qosmark mark: ${m.stderr}`);
    offlineSummary = JSON.parse(m.stdout);
    offline = readPcap(readFileSync(files.offline));
    const teePcap = join(w, 'tee.pcap');
    run('editcap', ['-F', 'pcap', files.tee, teePcap]);
    teeCap = readPcap(readFileSync(teePcap));
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      if (lab && process.env.QOSMARK_KEEP_SYSTEM_TMP !== '1') rmSync(lab.work, { recursive: true, force: true });
    }
  });

  it('every fixture frame the kernel can carry reaches the bridge, in order and unchanged', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(inStats.droppedByKernel).toBe(0);
    const expected = sent.filter((s) => kernelCannotCarry(s.data) === null);
    const skipped = sent.filter((s) => kernelCannotCarry(s.data) !== null);
    // The fixtures do contain such frames (malformed.pcap, truncated.pcap), so the rule is exercised.
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.length).toBeLessThan(10);
    const got = inCap!.records.map((r) => r.data);
    const problems: string[] = [];
    for (let i = 0; i < Math.max(expected.length, got.length); i++) {
      if (expected[i] === undefined || got[i] === undefined || !expected[i].data.equals(got[i])) {
        problems.push(`position ${i + 1}: expected ${expected[i]?.label ?? 'nothing'}, bridge input has ${got[i]?.toString('hex').slice(0, 40) ?? 'nothing'}`);
        if (problems.length > 5) break;
      }
    }
    expect(problems, replayOut).toEqual([]);
    expect(got.length).toBeGreaterThan(200);
  });

  it('the receiver gets every frame, in order, byte for byte as qosmark mark marks the same frames offline', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(outStats.droppedByKernel).toBe(0);
    expect(outCap!.records.length).toBe(inCap!.records.length);
    expect(offline!.records.length).toBe(inCap!.records.length);
    const problems: string[] = [];
    let changed = 0;
    offline!.records.forEach((want, i) => {
      const got = outCap!.records[i]?.data;
      if (got === undefined || !got.equals(want.data)) problems.push(`frame ${i + 1}: live ${got?.toString('hex')} offline ${want.data.toString('hex')}`);
      if (!want.data.equals(inCap!.records[i].data)) changed++;
    });
    expect(problems.slice(0, 5)).toEqual([]);
    // Marking did change frames, or the comparison proves little.
    expect(changed).toBeGreaterThan(50);
  });

  it('tshark reads the same DSCP, ECN, PCP and checksum status live and offline; valid IPv4 checksums stay valid', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const live = tsharkFields(files.out, MARK_FIELDS);
    const off = tsharkFields(files.offline, MARK_FIELDS);
    expect(live.length).toBe(off.length);
    expect(live).toEqual(off);
    const problems: string[] = [];
    inCap!.records.forEach((r, i) => {
      const before = dissectEthernet(r.data);
      const after = dissectEthernet(outCap!.records[i].data);
      if (before.ip?.version === 4 && before.ip.checksumOk && after.ip?.checksumOk !== true) problems.push(`frame ${i + 1}: IPv4 checksum broken`);
      if (before.ip !== null && after.ip?.ecn !== before.ip.ecn) problems.push(`frame ${i + 1}: ECN ${before.ip.ecn} -> ${after.ip?.ecn}`);
      if (before.tags.length !== after.tags.length) problems.push(`frame ${i + 1}: ${before.tags.length} tags -> ${after.tags.length}`);
    });
    expect(problems).toEqual([]);
  });

  it("the bridge's summary counts what it forwarded, and its classes and malformed counts equal the offline run's", (ctx) => {
    skipOrFail(ctx, unmetReason);
    const s = summary!;
    const n = inCap!.records.length;
    expect(s.command).toBe('bridge');
    expect(s.stopReason).toBe('SIGTERM');
    expect(s.received).toBe(n);
    expect(s.forwarded).toBe(n);
    expect(s.notForwarded).toBe(0);
    expect(s.directions).toHaveLength(1);
    expect(s.directions[0]).toMatchObject({ from: BLAB.bridgeIn, to: BLAB.bridgeOut, received: n, forwarded: n });
    // Frames the interface received but the bridge never read: exactly those the kernel discarded before any capture.
    expect(s.receiveDrops[BLAB.bridgeIn]).toBe(sent.filter((f) => kernelCannotCarry(f.data)?.includes('tagged')).length);
    const o = offlineSummary!;
    expect(s.packets).toBe(o.packets);
    expect(s.classes).toEqual(o.classes);
    expect(s.malformed).toEqual(o.malformed);
    expect(s.malformedTotal).toBe(o.malformedTotal);
    expect(s.malformedTotal).toBeGreaterThan(10);
    expect(s.notIp).toBe(o.notIp);
    expect(s.dscpChanged).toBe(o.dscpChanged);
    expect(s.cosChanged).toBe(o.cosChanged);
    expect(s.fragments).toEqual(o.fragments);
    for (const [cls, count] of Object.entries(s.directions[0].classes as Record<string, number>)) {
      expect(count, cls).toBe(o.classes[cls].packets);
    }
  });

  it('the --tee pcapng holds every forwarded frame as marked, on one interface, and tshark reads it', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(summary!.tee).toMatchObject({ file: files.tee, packets: outCap!.records.length, error: null });
    expect(teeCap!.records.map((r) => r.data.toString('hex'))).toEqual(outCap!.records.map((r) => r.data.toString('hex')));
    const rows = tsharkFields(files.tee, ['frame.interface_id', 'frame.interface_name', 'frame.time_epoch']);
    expect(rows.length).toBe(outCap!.records.length);
    expect(new Set(rows.map((r) => `${r['frame.interface_id']}/${r['frame.interface_name']}`))).toEqual(new Set([`0/${BLAB.bridgeIn}`]));
    // Capture timestamps: now-ish, and never going backwards.
    const ts = rows.map((r) => Number(r['frame.time_epoch']));
    expect(Math.abs(ts[0] - Date.now() / 1000)).toBeLessThan(600);
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
  });
});

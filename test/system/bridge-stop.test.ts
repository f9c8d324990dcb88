/**
 * System test: stopping `qosmark bridge` and what it leaves behind.
 *  - SIGTERM in the middle of a replay (--both-ways --tee --metrics): the
 *    process exits 0, its summary's forwarded count equals what the receiver
 *    got, every frame read was sent or counted, and the --tee pcapng is valid
 *    (capinfos and tshark read it; one interface block per direction) and
 *    holds exactly the frames the receiver got;
 *  - nothing loops: frames the bridge sent are never read again (the reverse
 *    direction reads nothing while only the sender talks), and frames this
 *    host's own stack sends out of a bridged interface are not forwarded;
 *  - --metrics serves the counters in Prometheus text format on loopback;
 *  - --count N stops after exactly N frames, --duration after its time.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLAB, BridgeLab, requireLiveBridge, sleep, stopCapture } from './support/bridge-lab.js';
import { readPcap, type PcapFile } from './support/pcap-file.js';
import { run, type Background } from './support/proc.js';
import { qosmark, REPO_ROOT } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { tsharkFields } from './support/tshark.js';

const TOOLS = ['ip', 'tcpdump', 'tshark', 'capinfos', 'editcap', 'ethtool', 'tcpreplay'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns(), requireLiveBridge());

const FIXTURE = join(REPO_ROOT, 'fixtures/pcaps/cupc-ports.pcap');
const LOOPS = 2000; // 44 frames each: 88,000 frames, 8.8 s at PPS
const PPS = 10_000;

/** Interface Description Blocks in a little-endian pcapng file, by walking its blocks. */
function pcapngInterfaces(file: string): number {
  const b = readFileSync(file);
  let n = 0;
  for (let o = 0; o + 12 <= b.length; ) {
    const type = b.readUInt32LE(o);
    const len = b.readUInt32LE(o + 4);
    if (len < 12 || o + len > b.length || b.readUInt32LE(o + len - 4) !== len) throw new Error(`pcapng: bad block at ${o}`);
    if (type === 1) n++;
    o += len;
  }
  return n;
}

describe('qosmark bridge stops cleanly, loses nothing it read, and does not loop', () => {
  let lab: BridgeLab | null = null;
  let bridge: Background | null = null;
  let summary: Record<string, any> | null = null;
  let metricsText = '';
  let metricsAddr = '';
  let outCap: PcapFile | null = null;
  let teeCap: PcapFile | null = null;
  let outStats = { captured: NaN, droppedByKernel: NaN };
  let replayStillRunningAtStop = false;
  let ownMac = '';
  let files = { out: '', tee: '' };
  let countRun: { status: number | null; summary: Record<string, any> | null; got: number; stderr: string } | null = null;
  /** Frames the kernel dropped between the sender and the bridge during the SIGTERM run. */
  let linkDrops = NaN;
  let frozenRun: { status: number | null; summary: Record<string, any> | null; got: number; sent: number } | null = null;

  beforeAll(async () => {
    if (unmetReason !== null) return;
    lab = new BridgeLab();
    lab.setup();
    files = { out: join(lab.work, 'out.pcap'), tee: join(lab.work, 'tee.pcapng') };
    // The bridge host's own frames: an address on qmb0 and a datagram to a neighbour make the kernel send ARP requests out of it.
    lab.exec(lab.bridge, 'ip', ['addr', 'add', '198.18.9.1/24', 'dev', BLAB.bridgeIn]);
    ownMac = lab.mac(lab.bridge, BLAB.bridgeIn);

    bridge = await lab.startBridge('bridge', ['--both-ways', '--tee', files.tee, '--json', '--metrics', '0', '--stats', '1', '--buffer', '128']);
    metricsAddr = /metrics on http:\/\/([\d.]+:\d+)\/metrics/.exec(bridge.stderr())?.[1] ?? '';
    const cap = await lab.startCapture(lab.receiver, BLAB.receiverIf, 'tcpdump-out', files.out);
    lab.exec(
      lab.bridge,
      process.execPath,
      ['-e', `const s = require('dgram').createSocket('udp4'); s.send('x', 9, '198.18.9.2', () => setTimeout(() => process.exit(0), 300));`],
      { timeoutMs: 10_000 },
    );
    const dropCounters = () =>
      Number(lab!.exec(lab!.sender, 'cat', [`/sys/class/net/${BLAB.senderIf}/statistics/tx_dropped`]).stdout) +
      Number(lab!.exec(lab!.bridge, 'cat', [`/sys/class/net/${BLAB.bridgeIn}/statistics/rx_dropped`]).stdout);
    const drops0 = dropCounters();
    const replay = lab.background(lab.sender, 'tcpreplay', 'tcpreplay', ['-i', BLAB.senderIf, '--pps', String(PPS), `--loop=${LOOPS}`, FIXTURE], 60_000);
    await sleep(1_000);
    // Asynchronously (not spawnSync): this process must keep seeing the replay's exit, if it comes.
    const fetcher = lab.background(
      lab.bridge,
      'metrics-fetch',
      process.execPath,
      ['-e', `fetch('http://${metricsAddr}/metrics').then(r => r.text()).then(t => process.stdout.write(t), e => { console.error(e); process.exit(1); })`],
      20_000,
    );
    for (let i = 0; i < 200 && fetcher.running; i++) await sleep(50);
    metricsText = fetcher.stdout();
    await sleep(10);
    replayStillRunningAtStop = replay.running;
    const drops1 = dropCounters();
    await bridge.stop('SIGTERM', 10_000);
    const drops2 = dropCounters();
    await replay.stop('SIGTERM', 60_000);
    // Drops while the bridge ran; the drain after SIGTERM is short, so count up to its exit.
    linkDrops = drops2 - drops0;
    void drops1;
    await sleep(300);
    outStats = await stopCapture(cap);
    summary = JSON.parse(bridge.stdout());
    outCap = readPcap(readFileSync(files.out));
    const teePcap = join(lab.work, 'tee.pcap');
    run('editcap', ['-F', 'pcap', files.tee, teePcap]);
    teeCap = readPcap(readFileSync(teePcap));

    // --count: a fresh bridge that stops by itself after 10 frames of a 44-frame replay.
    const countOut = join(lab.work, 'count.pcap');
    const cap2 = await lab.startCapture(lab.receiver, BLAB.receiverIf, 'tcpdump-count', countOut);
    const b2 = await lab.startBridge('bridge-count', ['--count', '10', '--json', '--duration', '30']);
    lab.replay(FIXTURE, ['--pps', '2000']);
    for (let i = 0; i < 100 && b2.running; i++) await sleep(100);
    const status = b2.running ? null : b2.exitCode;
    await b2.stop('SIGKILL', 1_000);
    await sleep(200);
    await stopCapture(cap2);
    countRun = { status, summary: JSON.parse(b2.stdout() || 'null'), got: readPcap(readFileSync(countOut)).records.length, stderr: b2.stderr() };

    // Frames waiting in the capture ring when SIGTERM arrives: the bridge is frozen (SIGSTOP) while
    // 264 frames arrive, gets SIGTERM, and is let go (SIGCONT). It must still forward all of them.
    const frozenOut = join(lab.work, 'frozen.pcap');
    const cap3 = await lab.startCapture(lab.receiver, BLAB.receiverIf, 'tcpdump-frozen', frozenOut);
    const b3 = await lab.startBridge('bridge-frozen', ['--json']);
    process.kill(b3.pid, 'SIGSTOP');
    const rr = lab.replay(FIXTURE, ['--pps', '5000', '--loop=6']);
    const sentFrozen = Number(/Successful packets:\s+(\d+)/.exec(rr.stdout)?.[1] ?? NaN);
    await sleep(200);
    process.kill(b3.pid, 'SIGTERM');
    process.kill(b3.pid, 'SIGCONT');
    for (let i = 0; i < 100 && b3.running; i++) await sleep(100);
    const status3 = b3.running ? null : b3.exitCode;
    await b3.stop('SIGKILL', 1_000);
    await sleep(200);
    await stopCapture(cap3);
    frozenRun = { status: status3, summary: JSON.parse(b3.stdout() || 'null'), got: readPcap(readFileSync(frozenOut)).records.length, sent: sentFrozen };
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      if (lab && process.env.QOSMARK_KEEP_SYSTEM_TMP !== '1') rmSync(lab.work, { recursive: true, force: true });
    }
  });

  it('SIGTERM mid-replay: exits 0 with a summary whose forwarded count equals what the receiver got', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(replayStillRunningAtStop, 'the replay was still going when SIGTERM came').toBe(true);
    expect(bridge!.exitCode).toBe(0);
    const s = summary!;
    expect(s.stopReason).toBe('SIGTERM');
    expect(outStats.droppedByKernel).toBe(0);
    const fwd = s.directions[0];
    expect(fwd.forwarded).toBe(outCap!.records.length);
    expect(fwd.forwarded).toBeGreaterThan(1000);
    expect(fwd.forwarded).toBeLessThan(44 * LOOPS);
    // Every frame read was sent or counted as not sent.
    for (const d of s.directions) {
      const n = d.notForwarded;
      expect(d.received).toBe(d.forwarded + n.tooLarge + n.sendError + n.local + n.overload);
    }
    expect(s.received).toBe(s.forwarded + s.notForwarded);
    // Received by the interface but never read: nothing lost in the ring; only frames that came in
    // while the bridge was closing (the replay went on), well under 10 ms of traffic.
    expect(s.receiveDrops[BLAB.bridgeOut]).toBe(0);
    expect(s.receiveDrops[BLAB.bridgeIn]).toBeLessThanOrEqual(PPS / 100);
  });

  it('nothing loops: the reverse direction read nothing, and the host\'s own frames were not forwarded', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const [fwd, rev] = summary!.directions;
    expect(rev).toMatchObject({ from: BLAB.bridgeOut, to: BLAB.bridgeIn, received: 0, forwarded: 0 });
    expect(fwd.notForwarded.local).toBeGreaterThanOrEqual(1);
    const own = Buffer.from(ownMac.split(':').map((x) => parseInt(x, 16)));
    expect(outCap!.records.filter((r) => r.data.subarray(6, 12).equals(own))).toHaveLength(0);
    // No duplicates, in the replay's order: each frame is the next one of the looped fixture
    // (a frame lost on the way, e.g. shed in overload on a busy machine, shows as a short gap, not a repeat).
    const marked = join(lab!.work, 'fixture-marked.pcap');
    expect(qosmark(['mark', FIXTURE, '-o', marked, '-q']).status).toBe(0);
    const fixture = readPcap(readFileSync(marked)).records.map((r) => r.data.toString('hex'));
    const index = new Map(fixture.map((h, i) => [h, i]));
    expect(index.size).toBe(fixture.length);
    let pos = -1;
    let gaps = 0;
    const problems: string[] = [];
    outCap!.records.forEach((r, i) => {
      const k = index.get(r.data.toString('hex'));
      if (k === undefined) return void problems.push(`frame ${i + 1}: not a fixture frame`);
      let next = Math.floor(pos / fixture.length) * fixture.length + k;
      while (next <= pos) next += fixture.length;
      gaps += next - pos - 1;
      pos = next;
    });
    expect(problems).toEqual([]);
    // Every gap is a frame lost on the way, and accounted for: shed or dropped by the bridge, or dropped by the kernel before it
    // (shed frames after the last forwarded one leave no gap; on a quiet machine all of these are 0).
    const lost = fwd.notForwarded.overload + summary!.receiveDrops[BLAB.bridgeIn] + linkDrops;
    expect(gaps, `gaps ${gaps}; shed ${fwd.notForwarded.overload}, receive drops ${summary!.receiveDrops[BLAB.bridgeIn]}, link drops ${linkDrops}`).toBeLessThanOrEqual(lost);
  });

  it('the --tee pcapng is valid after SIGTERM: capinfos and tshark read it, one interface per direction, the receiver\'s frames', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const info = run('capinfos', ['-c', '-M', files.tee]);
    expect(info.stdout).toMatch(new RegExp(`Number of packets:\\s+${outCap!.records.length}\\b`));
    expect(pcapngInterfaces(files.tee)).toBe(2);
    const rows = tsharkFields(files.tee, ['frame.number', 'frame.interface_name']);
    expect(rows.length).toBe(outCap!.records.length);
    expect(new Set(rows.map((r) => r['frame.interface_name']))).toEqual(new Set([BLAB.bridgeIn]));
    expect(summary!.tee).toMatchObject({ packets: outCap!.records.length, error: null });
    expect(teeCap!.records.length).toBe(outCap!.records.length);
    const mismatch = teeCap!.records.findIndex((r, i) => !r.data.equals(outCap!.records[i].data));
    expect(mismatch).toBe(-1);
  });

  it('--metrics serves the counters in Prometheus text format on loopback', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(metricsAddr).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(metricsText).toMatch(/^# TYPE qosmark_bridge_frames_received_total counter$/m);
    const m = /^qosmark_bridge_frames_received_total\{direction="qmb0->qmb1"\} (\d+)$/m.exec(metricsText);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(0);
    expect(metricsText).toMatch(/^qosmark_bridge_frames_forwarded_total\{direction="qmb1->qmb0"\} 0$/m);
    expect(metricsText).toMatch(/^qosmark_bridge_frames_not_forwarded_total\{direction="qmb0->qmb1",reason="mtu"\} 0$/m);
    expect(metricsText).toMatch(/^qosmark_bridge_frames_classified_total\{direction="qmb0->qmb1",class="signalling"\} \d+$/m);
    expect(metricsText).toMatch(/^qosmark_bridge_receive_drops_total\{interface="qmb0"\} \d+$/m);
  });

  it('frames already in the capture ring when SIGTERM arrives are still forwarded', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const f = frozenRun!;
    expect(f.sent).toBe(44 * 6);
    expect(f.status).toBe(0);
    expect(f.summary).toMatchObject({ stopReason: 'SIGTERM', received: f.sent, forwarded: f.sent });
    expect(f.got).toBe(f.sent);
  });

  it('--count N stops after exactly N frames, all forwarded', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(countRun!.status, countRun!.stderr).toBe(0);
    expect(countRun!.summary).toMatchObject({ stopReason: 'count', received: 10, forwarded: 10 });
    expect(countRun!.got).toBe(10);
  });
});

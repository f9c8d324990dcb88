/** --rtp-heuristic: video told from voice by RTP payload size when no SIP was seen. */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { DECISION_PACKETS, VIDEO_MEAN_PAYLOAD_BYTES } from '../../src/classify/rtp-heuristic.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { ethIpv4 } from '../support/packet-builder.js';

const RTP_HEADER = 12;

function rtp(sport: number, dport: number, payload: number, version = 2): Uint8Array {
  const f = ethIpv4({ sport, dport, dscp: 0, pcp: 0, payloadLen: RTP_HEADER + payload });
  f[18 + 20 + 8] = version << 6;
  return f;
}

function classesOf(pipeline: Pipeline, frames: Uint8Array[]): string[] {
  return frames.map((f, i) => {
    pipeline.handle(f, 0, f.length, f.length, 1, 100 + i * 0.02, 0);
    return pipeline.policy.classNames[pipeline.classifier.cls];
  });
}

describe('RTP heuristic', () => {
  const policy = compilePolicy(builtinPolicy());

  it('keeps the port class for the first packets, then marks a large-payload flow video', () => {
    const pipeline = new Pipeline(policy, { rtpHeuristic: true });
    const frames = Array.from({ length: DECISION_PACKETS + 3 }, () => rtp(20000, 30000, VIDEO_MEAN_PAYLOAD_BYTES + 400));
    const classes = classesOf(pipeline, frames);
    expect(classes.slice(0, DECISION_PACKETS - 1)).toEqual(Array(DECISION_PACKETS - 1).fill('voice'));
    expect(classes.slice(DECISION_PACKETS - 1)).toEqual(Array(4).fill('video'));
    // Video is marked CS4 32 with CoS 4.
    const last = frames[frames.length - 1];
    expect(last[19] >> 2).toBe(32);
    expect(last[14] >> 5).toBe(4);
    expect(pipeline.classifier.rtpHeuristic!.decidedVideo).toBe(1);
  });

  it('leaves voice-sized flows as voice, and a mean exactly at the threshold too', () => {
    const pipeline = new Pipeline(policy, { rtpHeuristic: true });
    const small = Array.from({ length: 12 }, () => rtp(20002, 30002, 160));
    const edge = Array.from({ length: 12 }, () => rtp(20004, 30004, VIDEO_MEAN_PAYLOAD_BYTES));
    expect(new Set(classesOf(pipeline, small))).toEqual(new Set(['voice']));
    expect(new Set(classesOf(pipeline, edge))).toEqual(new Set(['voice']));
  });

  it('does not judge flows that are not valid RTP, and is off by default', () => {
    const on = new Pipeline(policy, { rtpHeuristic: true });
    const notRtp = Array.from({ length: 12 }, () => rtp(20006, 30006, 1200, 1));
    expect(new Set(classesOf(on, notRtp))).toEqual(new Set(['voice']));
    const off = new Pipeline(policy);
    const big = Array.from({ length: 12 }, () => rtp(20008, 30008, 1200));
    expect(new Set(classesOf(off, big))).toEqual(new Set(['voice']));
  });

  it('judges each direction of a 5-tuple on its own', () => {
    const pipeline = new Pipeline(policy, { rtpHeuristic: true });
    const frames: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) frames.push(rtp(20010, 30010, 1100), rtp(30010, 20010, 100));
    const classes = classesOf(pipeline, frames);
    expect(classes.slice(-2)).toEqual(['video', 'voice']);
  });
});

describe('audit --rtp-heuristic', () => {
  it('lists the flows it judged to be video, in --json and in the text report', async () => {
    const { spawnSync } = await import('node:child_process');
    const fs = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const { pcapFile } = await import('../support/packet-builder.js');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qosmark-rtph-'));
    try {
      const frames = [...Array.from({ length: 10 }, () => rtp(20000, 30000, 1100)), ...Array.from({ length: 10 }, () => rtp(20002, 30002, 160))];
      const file = path.join(dir, 'flows.pcap');
      fs.writeFileSync(file, pcapFile(frames));
      const cli = path.resolve(__dirname, '../../dist/cli/main.js');
      const json = spawnSync(process.execPath, [cli, 'audit', file, '--rtp-heuristic', '--json'], { encoding: 'utf8' });
      const report = JSON.parse(json.stdout);
      expect(report.rtpHeuristic).toMatchObject({ videoFlows: 1, otherFlows: 1 });
      expect(report.rtpHeuristic.conversations).toHaveLength(1);
      expect(report.rtpHeuristic.conversations[0]).toMatchObject({ aPort: 20000, bPort: 30000, class: 'video' });
      const text = spawnSync(process.execPath, [cli, 'audit', file, '--rtp-heuristic'], { encoding: 'utf8' });
      expect(text.stdout).toContain('RTP heuristic: 1 flow judged video by payload size (the first 7 packets of each taken as voice, before the judgement), 1 left with their port class');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

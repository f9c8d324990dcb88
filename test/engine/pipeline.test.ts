/**
 * Pipeline counters, the observer hook and the run summary, on a small
 * hand-built sequence of frames through the built-in policy.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { FragmentTable } from '../../src/classify/fragment-table.js';
import { parsePolicy } from '../../src/classify/policy-load.js';
import { builtinPolicy, type Policy } from '../../src/classify/policy.js';
import { Pipeline, type FrameObserver } from '../../src/engine/pipeline.js';
import { summarize } from '../../src/engine/summary.js';
import { COS_TAG_ALL, COS_TAG_INNER } from '../../src/mark/cos.js';
import { MARKED_COS, MARKED_DSCP, MARK_NO_TAG } from '../../src/mark/marker.js';
import { concat, eth, ipv4, ipv4ChecksumValid, ipv6, tcp, toHex, udp } from '../support/bytes.js';

const builtin = compilePolicy(builtinPolicy());

interface F {
  bytes: Uint8Array;
  linkType: number;
  capLen?: number;
  wireLen?: number;
  ts?: [number, number];
}

function run(pipeline: Pipeline, frames: F[]): Uint8Array[] {
  return frames.map((f) => {
    const b = f.bytes.slice();
    const [s, ns] = f.ts ?? [1, 0];
    pipeline.handle(b, 0, f.capLen ?? b.length, f.wireLen ?? b.length, f.linkType, s, ns);
    return b;
  });
}

const sipV4 = () => eth(0x0800, ipv4({ proto: 17, tos: 0x01 }, udp(5060, 20000)), [{ tpid: 0x8100, pcp: 0, vid: 10 }]);
const rtpV6 = () => eth(0x86dd, ipv6({ next: 17, tc: 0x02, flow: 0x12345 }, udp(20000, 20002, [1, 2, 3, 4])));
const httpsV4 = () => eth(0x0800, ipv4({ proto: 6, tos: 0x28 }, tcp(50000, 443)), [{ tpid: 0x8100, pcp: 6, vid: 10 }]);
const otherTcp = () => eth(0x0800, ipv4({ proto: 6, tos: 0x28 }, tcp(50000, 20000)));
const arp = () => eth(0x0806, new Uint8Array(28));
const badIhl = () => {
  const b = eth(0x0800, ipv4({ proto: 17 }, udp(1, 2)));
  b[14] = 0x44;
  return b;
};

describe('Pipeline', () => {
  it('marks by class, counts everything, and summarises', () => {
    const pipeline = new Pipeline(builtin);
    const frames: F[] = [
      { bytes: sipV4(), linkType: 1 }, // signalling: DSCP CS3 + CoS 3 on the tag
      { bytes: rtpV6(), linkType: 1 }, // voice: DSCP EF, no tag for CoS 5
      { bytes: httpsV4(), linkType: 1 }, // data: keep
      { bytes: otherTcp(), linkType: 1 }, // default: keep
      { bytes: arp(), linkType: 1 }, // not IP
      { bytes: badIhl(), linkType: 1 }, // malformed
      { bytes: sipV4(), linkType: 1, capLen: 40 }, // truncated before ports
      { bytes: sipV4(), linkType: 147 }, // unsupported link type
    ];
    const out = run(pipeline, frames);

    // bytes: only the classified, re-marked frames changed
    expect(out[0][19]).toBe((24 << 2) | 1);
    expect(out[0][14] >>> 5).toBe(3);
    expect(ipv4ChecksumValid(out[0], 18, 20)).toBe(true);
    expect(((out[1][14] & 0x0f) << 4) | (out[1][15] >>> 4)).toBe((46 << 2) | 2);
    for (const i of [2, 3, 4, 5, 6, 7]) expect(toHex(out[i]), `frame ${i}`).toBe(toHex(frames[i].bytes));

    const c = pipeline.counters;
    expect(c.frames).toBe(8);
    expect(c.capturedBytes).toBe(frames.reduce((n, f) => n + (f.capLen ?? f.bytes.length), 0));
    expect(c.ipv4).toBe(5); // sip, https, other, bad IHL (IPv4 was found), truncated sip
    expect(c.ipv6).toBe(1);
    expect(c.dscpChanged).toBe(2);
    expect(c.cosChanged).toBe(1);
    expect(c.noTag).toBe(1);

    const s = summarize(pipeline);
    expect(s.packets).toBe(8);
    expect(s.bytes).toBe(c.capturedBytes);
    expect(s.classes).toEqual({
      voice: { packets: 1, bytes: frames[1].bytes.length, dscp: 46, cos: 5, dscpChanged: 1, cosChanged: 0 },
      video: { packets: 0, bytes: 0, dscp: 32, cos: 4, dscpChanged: 0, cosChanged: 0 },
      signalling: { packets: 1, bytes: frames[0].bytes.length, dscp: 24, cos: 3, dscpChanged: 1, cosChanged: 1 },
      data: { packets: 1, bytes: frames[2].bytes.length, dscp: null, cos: null, dscpChanged: 0, cosChanged: 0 },
      default: { packets: 1, bytes: frames[3].bytes.length, dscp: null, cos: null, dscpChanged: 0, cosChanged: 0 },
    });
    expect(s.rules.sip).toBe(1);
    expect(s.rules.rtp).toBe(1);
    expect(s.rules.https).toBe(1);
    expect(Object.values(s.rules).reduce((a, b) => a + b, 0)).toBe(3);
    expect(s.dscpChanged).toBe(2);
    expect(s.cosChanged).toBe(1);
    expect(s.untaggedNoCos).toBe(1);
    expect(s.notIp).toBe(1);
    expect(s.unsupportedLinkType).toBe(1);
    expect(s.malformed).toEqual({ 'bad-ihl': 1 });
    expect(s.malformedTotal).toBe(1);
    expect(s.truncated).toEqual({ 'truncated-before-ports': 1 });
    expect(s.truncatedTotal).toBe(1);
    expect(s.fragments).toEqual({ nonFirstMatched: 0, nonFirstUnmatched: 0, tableEvictions: 0 });
  });

  it('lastMarkResult reports the bits of the last frame', () => {
    const pipeline = new Pipeline(builtin);
    run(pipeline, [{ bytes: sipV4(), linkType: 1 }]);
    expect(pipeline.lastMarkResult).toBe(MARKED_DSCP | MARKED_COS);
    run(pipeline, [{ bytes: rtpV6(), linkType: 1 }]);
    expect(pipeline.lastMarkResult).toBe(MARKED_DSCP | MARK_NO_TAG);
    run(pipeline, [{ bytes: arp(), linkType: 1 }]);
    expect(pipeline.lastMarkResult).toBe(0);
  });

  it('audit mode (mark: false) classifies and counts but changes nothing', () => {
    const pipeline = new Pipeline(builtin, { mark: false });
    const frames = [{ bytes: sipV4(), linkType: 1 }, { bytes: rtpV6(), linkType: 1 }];
    const out = run(pipeline, frames);
    out.forEach((b, i) => expect(toHex(b)).toBe(toHex(frames[i].bytes)));
    const s = summarize(pipeline);
    expect(s.classes.signalling.packets).toBe(1);
    expect(s.classes.voice.packets).toBe(1);
    expect(s.dscpChanged + s.cosChanged + s.untaggedNoCos).toBe(0);
    expect(pipeline.marking).toBe(false);
  });

  it('--cos-tag inner / all choose which tags get the CoS', () => {
    const stacked = () =>
      eth(0x0800, ipv4({ proto: 17 }, udp(5060, 5060)), [
        { tpid: 0x88a8, pcp: 0, vid: 100 },
        { tpid: 0x8100, pcp: 0, vid: 200 },
      ]);
    const [outer] = run(new Pipeline(builtin), [{ bytes: stacked(), linkType: 1 }]);
    const [inner] = run(new Pipeline(builtin, { cosTagMode: COS_TAG_INNER }), [{ bytes: stacked(), linkType: 1 }]);
    const allP = new Pipeline(builtin, { cosTagMode: COS_TAG_ALL });
    const [all] = run(allP, [{ bytes: stacked(), linkType: 1 }]);
    expect([outer[14] >>> 5, outer[18] >>> 5]).toEqual([3, 0]);
    expect([inner[14] >>> 5, inner[18] >>> 5]).toEqual([0, 3]);
    expect([all[14] >>> 5, all[18] >>> 5]).toEqual([3, 3]);
    // one frame whose CoS changed, whatever the number of tags
    expect(allP.counters.cosChanged).toBe(1);
  });

  it('fragments: the first fragment decides, later ones follow; unmatched ones are counted and left alone', () => {
    const pipeline = new Pipeline(builtin);
    const first = eth(0x0800, ipv4({ proto: 17, id: 7, flagsFrag: 0x2000 }, udp(20000, 20002, new Array(16).fill(0))));
    const later = eth(0x0800, ipv4({ proto: 17, id: 7, flagsFrag: 3 }, new Array(16).fill(0)));
    const stray = eth(0x0800, ipv4({ proto: 17, id: 8, flagsFrag: 3 }, new Array(16).fill(0)));
    const out = run(pipeline, [
      { bytes: first, linkType: 1, ts: [100, 0] },
      { bytes: later, linkType: 1, ts: [130, 0] }, // exactly 30 s later: still the same datagram
      { bytes: stray, linkType: 1, ts: [130, 0] },
      { bytes: later, linkType: 1, ts: [131, 0] }, // 31 s: expired (timeouts count whole seconds of capture time)
    ]);
    expect(out[0][15] >>> 2).toBe(46);
    expect(out[1][15] >>> 2).toBe(46);
    expect(ipv4ChecksumValid(out[1], 14, 20)).toBe(true);
    expect(toHex(out[2])).toBe(toHex(stray));
    expect(toHex(out[3])).toBe(toHex(later));
    const s = summarize(pipeline);
    expect(s.fragments).toEqual({ nonFirstMatched: 1, nonFirstUnmatched: 2, tableEvictions: 0 });
    expect(s.classes.voice.packets).toBe(2);
    expect(s.rules.rtp).toBe(2);
  });

  it('a shared FragmentTable is used and its evictions are reported', () => {
    const table = new FragmentTable(8);
    const pipeline = new Pipeline(builtin, { fragments: table });
    expect(pipeline.classifier.fragments).toBe(table);
    const frames: F[] = [];
    for (let id = 0; id < 12; id++) {
      frames.push({ bytes: eth(0x0800, ipv4({ proto: 17, id, flagsFrag: 0x2000 }, udp(1, 2, new Array(8).fill(0)))), linkType: 1, ts: [id, 0] });
    }
    run(pipeline, frames);
    expect(summarize(pipeline).fragments.tableEvictions).toBe(4);
  });

  it('the observer sees every frame after marking, with its timestamp', () => {
    const pipeline = new Pipeline(builtin);
    const seen: [string, number, number, number][] = [];
    const observer: FrameObserver = {
      observe(pl, buf, tsSec, tsNsec) {
        expect(pl).toBe(pipeline);
        seen.push([toHex(buf.subarray(14, 16)), tsSec, tsNsec, pl.classifier.cls]);
      },
    };
    pipeline.observer = observer;
    run(pipeline, [
      { bytes: sipV4(), linkType: 1, ts: [5, 6] },
      { bytes: arp(), linkType: 1, ts: [7, 8] },
    ]);
    expect(seen).toEqual([
      ['60 0a', 5, 6, builtin.classIndex('signalling')],
      ['00 00', 7, 8, -1],
    ]);
  });

  it('a default marking re-marks unmatched IP packets; no-IP frames keep theirs', () => {
    const p: Policy = { ...builtinPolicy(), defaultMarking: { dscp: 0, cos: 0 } };
    const pipeline = new Pipeline(compilePolicy(p));
    const icmp = eth(0x0800, ipv4({ proto: 1, tos: 0xb8 }, [8, 0, 0, 0, 0, 0, 0, 0]), [{ tpid: 0x8100, pcp: 5 }]);
    const tagArp = eth(0x0806, new Uint8Array(28), [{ tpid: 0x8100, pcp: 5 }]);
    const [a, b] = run(pipeline, [
      { bytes: icmp, linkType: 1 },
      { bytes: tagArp, linkType: 1 },
    ]);
    expect(a[19]).toBe(0);
    expect(a[14] >>> 5).toBe(0);
    expect(toHex(b)).toBe(toHex(tagArp));
  });

  it('frames in the middle of a bigger buffer: only their own bytes may change', () => {
    const pipeline = new Pipeline(builtin);
    const f = sipV4();
    const buf = concat(new Uint8Array(100).fill(0x45), f, new Uint8Array(50).fill(0x45));
    const before = buf.slice();
    pipeline.handle(buf, 100, f.length, f.length, 1, 0, 0);
    expect(toHex(buf.subarray(0, 100))).toBe(toHex(before.subarray(0, 100)));
    expect(toHex(buf.subarray(100 + f.length))).toBe(toHex(before.subarray(100 + f.length)));
    expect(buf[100 + 19] >>> 2).toBe(24);
  });

  // The compiled policy names its pseudo-class for unmatched packets "default",
  // and summaries key classes by name: a user class of that name would vanish
  // from the summary, so the loader refuses the name.
  it('refuses a user class named "default", which the summary reserves for unmatched packets', () => {
    expect(() =>
      parsePolicy('classes: {default: {dscp: 10}}\nrules: [{name: r, protocols: [udp], ports: [5060], class: default}]', 'p'),
    ).toThrow(/classes\.default: "default": the name "default" is reserved/);
  });
});

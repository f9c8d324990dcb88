/**
 * `qosmark gen` (src/gen): what issue #7 asks of the generated traffic,
 * checked on the bytes, by reading them back with qosmark's own parser and
 * classifier (themselves tested against tshark and the golden fixtures):
 * the same seed gives the same bytes; the cupc mix has every application of
 * the port table over untagged, 802.1Q and QinQ frames, IPv4 with options and
 * IPv6 with extension headers, and fragments; voice is 50 packets/s per
 * stream; the share of wrongly marked voice/video/signalling packets is the
 * one asked for; IPv4 checksums are valid; pcapng holds the same packets.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { OUT_AREA_LEN } from '../../src/gen/context.js';
import { generateToBuffer, type GenOptions, type GenResult } from '../../src/gen/generate.js';
import { ByteInput } from '../../src/io/byte-stream.js';
import { openCapture } from '../../src/io/capture-file.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/parse/ip-protocol.js';
import { FRAG_FIRST, FRAG_NONFIRST, ParsedFrame } from '../../src/parse/parsed-frame.js';
import { parseFrame } from '../../src/parse/frame.js';
import { ST_NOT_IP, ST_OK } from '../../src/parse/status.js';
import { ipv4ChecksumValid, readPcap, RecordingHandler, removeDir, tempDir } from '../support/bytes.js';

interface Frame {
  tsUs: number;
  data: Uint8Array;
}

function frames(pcap: Uint8Array): Frame[] {
  const f = readPcap(pcap);
  expect(f).toMatchObject({ littleEndian: true, nanos: false, linkType: 1, snapLen: 65535 });
  return f.records.map((r) => {
    expect(r.inclLen).toBe(r.origLen);
    return { tsUs: r.tsSec * 1e6 + r.tsFrac, data: r.data };
  });
}

function gen(options: GenOptions): { pcap: Uint8Array; result: GenResult; frames: Frame[] } {
  const { pcap, result } = generateToBuffer(options);
  return { pcap, result, frames: frames(pcap) };
}

/**
 * Per frame, what the parser and the built-in policy make of it. Most calls
 * are under way when a capture starts (their SIP is not in it), so video is
 * told from voice by qosmark's RTP payload-size heuristic.
 */
interface Seen {
  status: number;
  ipVersion: number;
  tags: number;
  outerVid: number;
  outerPcp: number;
  ihlWords: number;
  ipv6Extensions: boolean;
  proto: number;
  sport: number;
  dport: number;
  fragment: number;
  dscp: number;
  cls: string | null;
  len: number;
}

function examine(list: Frame[]): Seen[] {
  const policy = compilePolicy(builtinPolicy());
  const pipeline = new Pipeline(policy, { mark: false, rtpHeuristic: true });
  const p = new ParsedFrame();
  return list.map(({ tsUs, data }) => {
    pipeline.handle(data, 0, data.length, data.length, 1, Math.floor(tsUs / 1e6), 0);
    const cls = pipeline.classifier.cls;
    parseFrame(data, 0, data.length, data.length, 1, p);
    const tci = p.tagCount > 0 ? (data[p.tagTciOff[0]] << 8) | data[p.tagTciOff[0] + 1] : -1;
    const l3 = p.l3Off;
    return {
      status: p.status,
      ipVersion: p.ipVersion,
      tags: p.tagCount,
      outerVid: tci < 0 ? -1 : tci & 0xfff,
      outerPcp: tci < 0 ? -1 : tci >> 13,
      ihlWords: p.ipVersion === 4 ? data[l3] & 0x0f : 0,
      ipv6Extensions: p.ipVersion === 6 && p.l4Off > l3 + 40,
      proto: p.proto,
      sport: p.srcPort,
      dport: p.dstPort,
      fragment: p.fragment,
      dscp: p.ipVersion === 4 ? data[l3 + 1] >> 2 : p.ipVersion === 6 ? (((data[l3] & 0x0f) << 4) | (data[l3 + 1] >> 4)) >> 2 : -1,
      cls: cls >= 0 ? policy.classNames[cls] : null,
      len: data.length,
    };
  });
}

const hasPort = (s: Seen, proto: number, port: number) => s.proto === proto && (s.sport === port || s.dport === port);
const inRtpRange = (port: number) => port >= 16384 && port <= 32766;

describe('the same options give the same bytes', () => {
  it('twice the same seed: identical; another seed: different', () => {
    const a = generateToBuffer({ packets: 20_000, seed: 11 }).pcap;
    const b = generateToBuffer({ packets: 20_000, seed: 11 }).pcap;
    const c = generateToBuffer({ packets: 20_000, seed: 12 }).pcap;
    expect(Buffer.compare(a, b)).toBe(0);
    expect(Buffer.compare(a, c)).not.toBe(0);
  });

  it('writes exactly the packets asked for, 0 included', () => {
    for (const packets of [0, 1, 2, 999]) {
      const g = gen({ packets });
      expect(g.frames.length).toBe(packets);
      expect(g.result.packets).toBe(packets);
      expect(g.result.bytes).toBe(g.pcap.length);
      expect(g.result.frameBytes).toBe(g.frames.reduce((n, f) => n + f.data.length, 0));
    }
  });
});

describe('cupc profile, 100,000 packets', () => {
  let g: ReturnType<typeof gen>;
  let seen: Seen[];
  beforeAll(() => {
    g = gen({ packets: 100_000, profile: 'cupc' });
    seen = examine(g.frames);
  });

  it('timestamps never go backwards, and every IPv4 header checksum is valid', () => {
    for (let i = 1; i < g.frames.length; i++) expect(g.frames[i].tsUs).toBeGreaterThanOrEqual(g.frames[i - 1].tsUs);
    let ipv4 = 0;
    g.frames.forEach((f, i) => {
      const s = seen[i];
      if (s.ipVersion !== 4) return;
      ipv4++;
      const p = new ParsedFrame();
      parseFrame(f.data, 0, f.data.length, f.data.length, 1, p);
      expect(ipv4ChecksumValid(f.data, p.l3Off, s.ihlWords * 4), `frame ${i + 1}`).toBe(true);
    });
    expect(ipv4).toBeGreaterThan(50_000);
  });

  it('every frame parses: IP frames whole, the rest (ARP) as not IP', () => {
    const statuses = new Set(seen.map((s) => s.status));
    expect([...statuses].sort()).toEqual([ST_OK, ST_NOT_IP].sort());
  });

  it('has every application of the port table, and unrelated traffic', () => {
    const udp = IPPROTO_UDP;
    const tcp = IPPROTO_TCP;
    const apps: [string, (s: Seen) => boolean][] = [
      ['RTP (16384–32766/udp)', (s) => s.proto === udp && (inRtpRange(s.sport) || inRtpRange(s.dport))],
      ['SIP 5060/udp', (s) => hasPort(s, udp, 5060)],
      ['SIP 5060/tcp', (s) => hasPort(s, tcp, 5060)],
      ['SIP over TLS 5061/tcp', (s) => hasPort(s, tcp, 5061)],
      ['CTIQBE 2748/tcp', (s) => hasPort(s, tcp, 2748)],
      ['XMPP 5222/tcp', (s) => hasPort(s, tcp, 5222)],
      ['HTTPS 443/tcp', (s) => hasPort(s, tcp, 443)],
      ['LDAP 389/tcp', (s) => hasPort(s, tcp, 389)],
      ['IMAP 143/tcp', (s) => hasPort(s, tcp, 143)],
      ['DNS 53/udp (unrelated)', (s) => hasPort(s, udp, 53)],
    ];
    for (const [name, match] of apps) expect(seen.filter(match).length, name).toBeGreaterThan(0);
    expect(seen.filter((s) => s.status === ST_NOT_IP).length, 'ARP').toBeGreaterThan(0);
  });

  it('TFTP (69/udp) too, whose downloads start every 20 s or so: in a longer capture', () => {
    const p = new ParsedFrame();
    const pcap = generateToBuffer({ packets: 400_000, profile: 'cupc' }).pcap;
    const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
    let tftp = 0;
    for (let o = 24; o < pcap.length; ) {
      const len = dv.getUint32(o + 8, true);
      parseFrame(pcap, o + 16, len, len, 1, p);
      if (p.proto === IPPROTO_UDP && p.dstPort === 69) tftp++;
      o += 16 + len;
    }
    expect(tftp).toBeGreaterThan(0);
  });

  it('has untagged, 802.1Q and QinQ frames; IPv4 with options; IPv6 with extension headers; fragments', () => {
    for (const tags of [0, 1, 2]) expect(seen.filter((s) => s.tags === tags).length, `${tags} tags`).toBeGreaterThan(0);
    expect(seen.filter((s) => s.ipVersion === 4 && s.ihlWords > 5).length, 'IPv4 options').toBeGreaterThan(0);
    expect(seen.filter((s) => s.ipVersion === 6).length, 'IPv6').toBeGreaterThan(0);
    expect(seen.filter((s) => s.ipv6Extensions).length, 'IPv6 extension headers').toBeGreaterThan(0);
    expect(seen.filter((s) => s.fragment === FRAG_FIRST).length, 'first fragments').toBeGreaterThan(0);
    expect(seen.filter((s) => s.fragment === FRAG_NONFIRST).length, 'later fragments').toBe(g.result.ipFragments - seen.filter((s) => s.fragment === FRAG_FIRST).length);
  });

  it('voice: small RTP packets at 50 per second per stream; video: large ones', () => {
    const voice = seen.map((s, i) => ({ s, i })).filter(({ s }) => s.cls === 'voice' && s.proto === IPPROTO_UDP && inRtpRange(s.sport));
    expect(voice.length).toBeGreaterThan(5_000);
    const byFlow = new Map<string, number[]>();
    for (const { s, i } of voice) {
      const key = `${s.sport}-${s.dport}`;
      const list = byFlow.get(key) ?? [];
      list.push(g.frames[i].tsUs);
      byFlow.set(key, list);
    }
    const gaps: number[] = [];
    for (const times of byFlow.values()) for (let k = 1; k < times.length; k++) gaps.push(times[k] - times[k - 1]);
    gaps.sort((a, b) => a - b);
    const median = gaps[gaps.length >> 1];
    expect(median).toBeGreaterThanOrEqual(19_000);
    expect(median).toBeLessThanOrEqual(21_000);
    const voiceLens = voice.map(({ s }) => s.len).sort((a, b) => a - b);
    expect(voiceLens[voiceLens.length >> 1]).toBeLessThan(260);
    const video = seen.filter((s) => s.cls === 'video');
    expect(video.length).toBeGreaterThan(0);
    const videoLens = video.map((s) => s.len).sort((a, b) => a - b);
    expect(videoLens[videoLens.length >> 1]).toBeGreaterThan(500);
  });

  it('about 30 % of voice, video and signalling packets carry a wrong marking, of all three kinds', () => {
    const expected: Record<string, [number, number]> = { voice: [46, 5], video: [32, 4], signalling: [24, 3] };
    let marked = 0;
    let wrong = 0;
    const kinds = { dscp0: 0, dscp40: 0, cos0: 0 };
    for (const s of seen) {
      const want = s.cls === null ? undefined : expected[s.cls];
      if (want === undefined) continue;
      marked++;
      const badDscp = s.dscp !== want[0];
      const badCos = s.tags > 0 && s.outerPcp !== want[1];
      if (badDscp || badCos) wrong++;
      if (s.dscp === 0) kinds.dscp0++;
      if (s.dscp === 40 && want[0] !== 40) kinds.dscp40++;
      if (s.tags > 0 && s.outerPcp === 0) kinds.cos0++;
    }
    expect(marked).toBeGreaterThan(10_000);
    expect(wrong / marked).toBeGreaterThan(0.25);
    expect(wrong / marked).toBeLessThan(0.35);
    for (const [kind, n] of Object.entries(kinds)) expect(n, kind).toBeGreaterThan(0);
    expect(g.result.wrongMarks.share).toBe(0.3);
  });
});

describe('options', () => {
  it('--wrong-marks 0: every voice and signalling packet carries its class marking', () => {
    const seen = examine(gen({ packets: 30_000, wrongMarks: 0 }).frames);
    const voice = seen.filter((s) => s.cls === 'voice');
    const signalling = seen.filter((s) => s.cls === 'signalling');
    expect(voice.length).toBeGreaterThan(1000);
    expect(signalling.length).toBeGreaterThan(0);
    // The heuristic may take a video flow for voice: either marking is right, none of the wrong ones.
    for (const s of voice) expect([[46, 5], [32, 4]]).toContainEqual([s.dscp, s.tags > 0 ? s.outerPcp : (s.dscp >> 3) & 7]);
    for (const s of signalling) expect([s.dscp, s.tags > 0 ? s.outerPcp : 3]).toEqual([24, 3]);
  });

  it('--vlan none: no tags at all; --vlan 321: the 802.1Q tags carry VID 321', () => {
    expect(examine(gen({ packets: 20_000, vlan: null }).frames).filter((s) => s.tags > 0)).toEqual([]);
    const tagged = examine(gen({ packets: 20_000, vlan: 321 }).frames).filter((s) => s.tags === 1);
    expect(tagged.length).toBeGreaterThan(0);
    for (const s of tagged) expect(s.outerVid).toBe(321);
  });

  it('worst-case: eight tags, 40 bytes of IPv4 options, IPv6 extension chains, fragments, every packet mis-marked', () => {
    const g = gen({ packets: 20_000, profile: 'worst-case' });
    const seen = examine(g.frames);
    expect(seen.filter((s) => s.tags === 8).length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.ihlWords === 15).length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.ipv6Extensions).length).toBeGreaterThan(0);
    expect(g.result.ipFragments).toBeGreaterThan(0);
    expect(g.result.wrongMarks.share).toBe(1);
    const voice = seen.filter((s) => s.cls === 'voice' && s.fragment !== FRAG_NONFIRST);
    expect(voice.length).toBeGreaterThan(0);
    for (const s of voice) expect(s.dscp !== 46 || s.outerPcp !== 5).toBe(true);
  });
});

describe('--format pcapng', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => removeDir(dir));

  it('holds the same packets as the pcap output: same frames, same microseconds; deterministic too', () => {
    // 40,000 worst-case packets are about 8 MB: more than the 4 MiB output area, so it is flushed on the way.
    const options: GenOptions = { packets: 40_000, profile: 'worst-case', seed: 3 };
    const pcap = gen(options).frames;
    const a = generateToBuffer({ ...options, format: 'pcapng' });
    const b = generateToBuffer({ ...options, format: 'pcapng' });
    expect(Buffer.compare(a.pcap, b.pcap)).toBe(0);
    expect(a.result.format).toBe('pcapng');
    expect(a.result.bytes).toBe(a.pcap.length);
    expect(a.pcap.length).toBeGreaterThan(OUT_AREA_LEN);
    const file = path.join(dir, 'gen.pcapng');
    fs.writeFileSync(file, a.pcap);
    const input = ByteInput.open(file);
    const capture = openCapture(input);
    const recorder = new RecordingHandler();
    capture.stream(null, recorder);
    input.close();
    expect(capture.format).toBe('pcapng');
    expect(recorder.frames.length).toBe(pcap.length);
    recorder.frames.forEach((r, i) => {
      expect(r.linkType).toBe(1);
      expect(r.tsSec * 1e6 + r.tsNsec / 1000).toBe(pcap[i].tsUs);
      expect(Buffer.compare(r.bytes, pcap[i].data), `frame ${i + 1}`).toBe(0);
    });
  });

  it('names the gen options that give the same bytes again (all but -o) in its section comment', () => {
    const { pcap } = generateToBuffer({ packets: 10, format: 'pcapng', seed: 9, vlan: null });
    expect(Buffer.from(pcap).toString('latin1')).toContain(
      'qosmark gen --packets 10 --profile cupc --seed 9 --vlan none --wrong-marks 0.3 --format pcapng',
    );
  });
});

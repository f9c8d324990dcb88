/**
 * The SIP/SDP fixtures in fixtures/pcaps/sip (written by
 * scripts/gen-sip-fixtures.mjs from the rules, not from src/):
 * - regenerating them gives byte-identical files, none missing or extra;
 * - marking each capture through the Pipeline gives, frame by frame, the
 *   expected class, DSCP and PCP, keeps ECN, and changes no byte but the DSCP
 *   bits, the PCP bits and the IPv4 header checksum;
 * - with SIP/SDP following off (--no-sdp) every UDP packet in the RTP port
 *   range is voice, and each frame gets the port rules' class;
 * - the counters the rules ask for (TLS connections, TCP gaps) and the calls
 *   followed are reported.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { builtinPipeline, onlyMarkingChanged, readPcap, viewFrame } from './helpers.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(REPO, 'scripts', 'gen-sip-fixtures.mjs');
const DIR = join(REPO, 'fixtures', 'pcaps', 'sip');

interface ExpectedPacket {
  frame: number;
  note: string;
  ipVersion: number;
  proto: 'udp' | 'tcp';
  sport: number | null;
  dport: number | null;
  fragment: string;
  media: boolean;
  class: string;
  dscpIn: number;
  dscpOut: number;
  ecn: number;
  pcpIn: number | null;
  pcpOut: number | null;
  noSdpClass: string;
  noSdpDscpOut: number;
  noSdpPcpOut: number | null;
}

interface Expected {
  file: string;
  sip: Record<string, number>;
  calls: string[];
  packets: ExpectedPacket[];
}

const committed = readdirSync(DIR).sort();
const fixtures = committed.filter((f) => f.endsWith('.expected.json')).map((f) => JSON.parse(readFileSync(join(DIR, f), 'utf8')) as Expected);

describe('SIP fixture generator', () => {
  it('regenerates byte-identical fixtures with no file missing or extra', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qosmark-sip-fixtures-'));
    try {
      const r = spawnSync(process.execPath, [SCRIPT, tmp], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(readdirSync(tmp).sort()).toEqual(committed);
      for (const f of committed) expect(readFileSync(join(tmp, f)).equals(readFileSync(join(DIR, f))), `${f} differs`).toBe(true);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('covers the required scenarios', () => {
    const names = fixtures.map((f) => f.file);
    for (const n of ['sip-udp-av-v4', 'sip-udp-av-v6', 'sip-tcp-v4', 'sip-fragmented-v4', 'sip-compact-rtcp-v4', 'sip-hold-resume-v4', 'sip-call-end-reuse-v4', 'sip-multipart-v4', 'sip-idle-v4']) {
      expect(names).toContain(`${n}.pcap`);
    }
    const all = fixtures.flatMap((f) => f.packets);
    expect(all.filter((p) => p.class === 'video').length).toBeGreaterThan(30);
    expect(all.filter((p) => p.media && p.class !== p.noSdpClass).length).toBeGreaterThan(40);
  });
});

function mark(fx: Expected, sdp: boolean) {
  const { linktype, records } = readPcap(new Uint8Array(readFileSync(join(DIR, fx.file))));
  const pipeline = builtinPipeline({ sdp, recordCalls: true });
  const rows = records.map((r) => {
    const before = r.data.slice();
    const buf = r.data;
    pipeline.handle(buf, 0, buf.length, buf.length, linktype, r.sec, r.usec * 1000);
    const cls = pipeline.classifier.cls;
    return { before, after: buf, cls: cls >= 0 ? pipeline.policy.classNames[cls] : null };
  });
  return { pipeline, rows };
}

describe.each(fixtures.map((f) => [f.file, f] as const))('%s', (_name, fx) => {
  it('marks every frame as expected with SIP/SDP following on', () => {
    const { rows, pipeline } = mark(fx, true);
    expect(rows).toHaveLength(fx.packets.length);
    const wrong: string[] = [];
    fx.packets.forEach((p, i) => {
      const r = rows[i];
      const v = viewFrame(r.after);
      const got = { class: r.cls, dscp: v.dscp, pcp: v.pcp, ecn: v.ecn };
      const want = { class: p.class, dscp: p.dscpOut, pcp: p.pcpOut, ecn: p.ecn };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`frame ${p.frame} (${p.note}): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      const changed = onlyMarkingChanged(r.before, r.after);
      if (changed !== null) wrong.push(`frame ${p.frame}: ${changed}`);
    });
    expect(wrong).toEqual([]);
    expect(pipeline.sip).not.toBeNull();
    expect(pipeline.sip!.calls.map((c) => c.callId)).toEqual(fx.calls);
  });

  it('reports the counters the rules ask for', () => {
    const { pipeline } = mark(fx, true);
    const counters = pipeline.sip!.counters as unknown as Record<string, number>;
    for (const [name, value] of Object.entries(fx.sip)) {
      const got = name === 'mediaExpirations' ? pipeline.sip!.media.expirations : counters[name];
      expect(got, name).toBe(value);
    }
  });

  it('with --no-sdp uses the port rules only: voice for all RTP-range UDP', () => {
    const { rows, pipeline } = mark(fx, false);
    expect(pipeline.sip).toBeNull();
    const wrong: string[] = [];
    fx.packets.forEach((p, i) => {
      const r = rows[i];
      const v = viewFrame(r.after);
      const inRange = (port: number | null) => port !== null && port >= 16384 && port <= 32766;
      const sipPort = (port: number | null) => port === 5060 || port === 5061;
      if (p.proto === 'udp' && (inRange(p.sport) || inRange(p.dport)) && !sipPort(p.sport) && !sipPort(p.dport) && r.cls !== 'voice') {
        wrong.push(`frame ${p.frame}: RTP-range UDP got ${r.cls}`);
      }
      const got = { class: r.cls, dscp: v.dscp, pcp: v.pcp };
      const want = { class: p.noSdpClass, dscp: p.noSdpDscpOut, pcp: p.noSdpPcpOut };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`frame ${p.frame} (${p.note}): got ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
      const changed = onlyMarkingChanged(r.before, r.after);
      if (changed !== null) wrong.push(`frame ${p.frame}: ${changed}`);
    });
    expect(wrong).toEqual([]);
  });
});

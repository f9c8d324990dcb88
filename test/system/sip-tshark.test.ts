/**
 * System test: SIP/SDP following against tshark, on the fixtures in
 * fixtures/pcaps/sip (scripts/gen-sip-fixtures.mjs).
 *
 * (1) Differential: tshark with heuristic RTP/RTCP off says which frames are
 *     RTP/RTCP set up by which SDP (rtp.setup-frame); the media type of the
 *     dialog's SDP line for the packet's port gives the class the rules
 *     call for (audio → voice, video → video, other types and non-RTP frames:
 *     the port rules). `qosmark audit --packets` must agree frame by frame,
 *     except where the rules deliberately differ from tshark, which are
 *     excluded and listed (support/sip-oracle.ts): after BYE / CANCEL / a
 *     failed INVITE tshark keeps the conversation (FIELD-NOTES), it keeps a
 *     conversation a later offer/answer replaced, it still reads a TCP
 *     connection after a lost segment, and it never expires a conversation.
 * (2) `qosmark mark` and `mark --no-sdp` write, as tshark reads them, the
 *     DSCP and PCP the fixture expects for every frame.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectedClass } from './support/policy-oracle.js';
import { qosmark, REPO_ROOT } from './support/qosmark.js';
import { requireTools, skipOrFail, unmet } from './support/require.js';
import { oracleClasses, type OracleVerdict } from './support/sip-oracle.js';
import { num, tsharkFields } from './support/tshark.js';

const DIR = join(REPO_ROOT, 'fixtures/pcaps/sip');
const unmetReason = unmet(requireTools(['tshark']), existsSync(join(REPO_ROOT, 'dist/cli/main.js')) ? null : 'dist/cli/main.js not built');
const tmp = mkdtempSync(join(tmpdir(), 'qosmark-sip-tshark-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface ExpectedPacket {
  frame: number;
  note: string;
  class: string;
  dscpOut: number;
  pcpOut: number | null;
  noSdpDscpOut: number;
  noSdpPcpOut: number | null;
  ecn: number;
}

const fixtures = existsSync(DIR)
  ? readdirSync(DIR)
      .filter((f) => f.endsWith('.pcap'))
      .sort()
  : [];

const portClass = (udp: boolean, sport: number, dport: number) => expectedClass(udp ? 17 : 6, sport, dport).name;

function auditClasses(pcap: string): Map<number, string | null> {
  const out = join(tmp, `${pcap}.jsonl`);
  const r = qosmark(['audit', join(DIR, pcap), '--packets', out, '--json']);
  if (r.status !== 0 && r.status !== 1) throw new Error(`qosmark audit ${pcap}: exit ${r.status}: ${r.stderr}`);
  const rows = readFileSync(out, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { frame: number; class: string | null });
  return new Map(rows.map((r) => [r.frame, r.class]));
}

const totals: Record<string, number> = { compared: 0, sdpDecided: 0, ended: 0, replaced: 0, 'tcp-gap': 0, idle: 0 };

describe('SIP/SDP following vs tshark', () => {
  it('has fixtures', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
  });

  describe.each(fixtures)('%s', (pcap) => {
    it('audit --packets classes agree with tshark\'s SDP-driven RTP setup', (ctx) => {
      skipOrFail(ctx, unmetReason);
      const verdicts: OracleVerdict[] = oracleClasses(join(DIR, pcap), portClass);
      const qm = auditClasses(pcap);
      const disagreements: string[] = [];
      const excluded: string[] = [];
      for (const v of verdicts) {
        if (v.excluded) {
          totals[v.excluded]++;
          excluded.push(`frame ${v.frame}: ${v.excluded} (${v.via}); qosmark: ${qm.get(v.frame)}`);
          continue;
        }
        totals.compared++;
        if (v.via !== 'port rules') totals.sdpDecided++;
        if (qm.get(v.frame) !== v.expected) disagreements.push(`frame ${v.frame}: tshark-based ${v.expected} via ${v.via}, qosmark ${qm.get(v.frame)}`);
      }
      if (excluded.length > 0) console.log(`${pcap}: excluded where the rules differ from tshark on purpose:\n  ${excluded.join('\n  ')}`);
      expect(disagreements).toEqual([]);
      expect(verdicts.filter((v) => v.excluded === null).length).toBeGreaterThan(5);
    });

    it('mark and mark --no-sdp write the expected DSCP and PCP, as tshark reads them', (ctx) => {
      skipOrFail(ctx, unmetReason);
      const expected = JSON.parse(readFileSync(join(DIR, pcap.replace(/\.pcap$/, '.expected.json')), 'utf8')) as { packets: ExpectedPacket[] };
      for (const sdp of [true, false]) {
        const out = join(tmp, `${pcap}.${sdp ? 'sdp' : 'nosdp'}.pcap`);
        const r = qosmark(['mark', join(DIR, pcap), '-o', out, '-q', ...(sdp ? [] : ['--no-sdp'])]);
        expect(r.status, r.stderr).toBe(0);
        const rows = tsharkFields(out, ['frame.number', 'ip.dsfield.dscp', 'ipv6.tclass.dscp', 'ip.dsfield.ecn', 'ipv6.tclass.ecn', 'vlan.priority'], ['-o', 'ip.defragment:FALSE']);
        expect(rows).toHaveLength(expected.packets.length);
        const wrong: string[] = [];
        expected.packets.forEach((p, i) => {
          const row = rows[i];
          const dscp = num(row, 'ip.dsfield.dscp') ?? num(row, 'ipv6.tclass.dscp');
          const ecn = num(row, 'ip.dsfield.ecn') ?? num(row, 'ipv6.tclass.ecn');
          const pcp = num(row, 'vlan.priority');
          const want = { dscp: sdp ? p.dscpOut : p.noSdpDscpOut, pcp: sdp ? p.pcpOut : p.noSdpPcpOut, ecn: p.ecn };
          if (dscp !== want.dscp || pcp !== want.pcp || ecn !== want.ecn) {
            wrong.push(`frame ${p.frame} (${p.note}): got dscp ${dscp} pcp ${pcp} ecn ${ecn}, want ${JSON.stringify(want)}`);
          }
        });
        expect(wrong, sdp ? 'SIP/SDP following on' : '--no-sdp').toEqual([]);
      }
    });
  });

  it('compared many SDP-decided frames and met every deliberate difference at least once', (ctx) => {
    skipOrFail(ctx, unmetReason);
    console.log(`sip-tshark totals: ${JSON.stringify(totals)}`);
    expect(totals.sdpDecided).toBeGreaterThan(40);
    for (const reason of ['ended', 'replaced', 'tcp-gap', 'idle']) expect(totals[reason], reason).toBeGreaterThan(0);
  });
});

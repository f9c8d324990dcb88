/** The audit summary for people (stdout without --json). */
import { dscpLabel } from '../classify/dscp.js';
import { countOf, grouped } from '../format/numbers.js';
import type { AuditReport } from './report.js';

const n = grouped;
const noun = countOf;
/** Bytes in the unit that keeps them short: 950 B, 12.3 kB, 4.5 MB, 1.23 GB (999,960 B is 1.0 MB, not 1000.0 kB). */
export function size(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  for (const [scale, unit] of [[1e3, 'kB'], [1e6, 'MB']] as const) {
    const shown = (bytes / scale).toFixed(1);
    if (Number(shown) < 1000) return `${shown} ${unit}`;
  }
  return `${(bytes / 1e9).toFixed(2)} GB`;
}
const pct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '-');

function topValues(hist: Record<string, number>, label: (k: string) => string, limit = 4): string {
  const entries = Object.entries(hist).sort((a, b) => b[1] - a[1]);
  const shown = entries.slice(0, limit).map(([k, v]) => `${label(k)} x${n(v)}`);
  if (entries.length > limit) shown.push(`+${entries.length - limit} more`);
  return shown.join(', ') || '-';
}

const dscpKey = (k: string): string => dscpLabel(Number(k));
const cosKey = (k: string): string => (k === 'untagged' ? 'untagged' : `CoS ${k}`);

export function renderAuditText(r: AuditReport, title: string): string[] {
  const lines: string[] = [];
  lines.push(`qosmark audit: ${title}`);
  lines.push(
    `${n(r.packets)} packets, ${size(r.bytes)}: ${n(r.mismarked)} mismarked (${pct(r.mismarked, r.packets)}), ` +
      `${n(r.verdicts['no-tag'])} untagged where CoS was expected, ${n(r.verdicts.unclassified)} unclassified, ` +
      `${n(r.verdicts.malformed)} malformed`,
  );
  lines.push('', 'by class:');
  lines.push(`  ${'class'.padEnd(12)}${'packets'.padStart(11)}${'bytes'.padStart(10)}${'ok'.padStart(11)}${'mismarked'.padStart(11)}  expected      found`);
  for (const [name, c] of Object.entries(r.byClass)) {
    const expected = `${c.expectedDscp === null ? 'keep' : dscpLabel(c.expectedDscp)}/${c.expectedCos === null ? 'keep' : `CoS ${c.expectedCos}`}`;
    lines.push(
      `  ${name.padEnd(12)}${n(c.packets).padStart(11)}${size(c.bytes).padStart(10)}${n(c.ok).padStart(11)}${n(c.mismarked).padStart(11)}  ${expected.padEnd(13)} ` +
        `${topValues(c.dscpFound, dscpKey)}; ${topValues(c.cosFound, cosKey)}`,
    );
  }
  lines.push('', 'by application (rule):');
  lines.push(`  ${'app'.padEnd(12)}${'class'.padEnd(12)}${'packets'.padStart(11)}${'bytes'.padStart(10)}${'ok'.padStart(11)}${'mismarked'.padStart(11)}`);
  for (const [name, a] of Object.entries(r.byApp)) {
    lines.push(
      `  ${name.padEnd(12)}${(a.class ?? '-').padEnd(12)}${n(a.packets).padStart(11)}${size(a.bytes).padStart(10)}${n(a.ok).padStart(11)}${n(a.mismarked).padStart(11)}`,
    );
  }
  lines.push('', `DSCP found: ${topValues(r.dscpFound, dscpKey, 8)}`);
  lines.push(`CoS found:  ${topValues(r.cosFound, cosKey, 9)}`);
  if (r.conversations.length > 0) {
    lines.push(
      '',
      `conversations with wrong markings: ${n(r.mismarkedConversationCount)} of ${n(r.conversationCount)}` +
        (r.mismarkedConversationCount > r.conversations.length ? `, the top ${r.conversations.length}:` : ':'),
    );
    for (const c of r.conversations) {
      const a2b = topValues(c.dscpAtoB, dscpKey, 2);
      const b2a = topValues(c.dscpBtoA, dscpKey, 2);
      lines.push(
        `  ${c.proto} ${c.a}:${c.aPort} <-> ${c.b}:${c.bPort}  ${c.rule ?? c.class}: ${n(c.mismarked)} of ${n(c.packets)} mismarked ` +
          `(-> ${a2b}; <- ${b2a})`,
      );
    }
  }
  if (Object.keys(r.malformed).length > 0) {
    lines.push('', `malformed: ${Object.entries(r.malformed).map(([k, v]) => `${k} ${n(v)}`).join(', ')}`);
  }
  if (r.sip.followed) {
    lines.push(
      '',
      `SIP/SDP: ${noun(r.sip.messages, 'message')}, ${n(r.sip.withSdp)} with SDP, ${noun(r.calls.length, 'call')} followed` +
        (r.sip.tlsConnections > 0 ? `; ${n(r.sip.tlsConnections)} SIP-over-TLS connections could not be followed` : ''),
    );
    for (const call of r.calls.slice(0, 20)) {
      lines.push(`  call ${call.callId} ${call.from} -> ${call.to} (${call.end === null ? 'open' : `ended by ${call.endReason}`})`);
      for (const s of call.streams) {
        lines.push(
          `    ${s.media.padEnd(6)} ${s.address}:${s.port}  ${s.class} expects ${s.expectedDscp === null ? 'keep' : dscpLabel(s.expectedDscp)}: ` +
            `${n(s.packets)} packets, found ${topValues(s.dscpFound, dscpKey, 3)} -> ${s.verdict}`,
        );
      }
    }
    if (r.calls.length > 20) lines.push(`  ... ${r.calls.length - 20} more calls in --json`);
  }
  if (r.rtpHeuristic !== null) {
    const h = r.rtpHeuristic;
    lines.push(
      '',
      `RTP heuristic: ${noun(h.videoFlows, 'flow')} judged video by payload size (the first 7 packets of each taken as voice, before the judgement), ` +
        `${n(h.otherFlows)} left with their port class`,
    );
    for (const c of h.conversations.slice(0, 20)) {
      lines.push(`  ${c.proto} ${c.a}:${c.aPort} <-> ${c.b}:${c.bPort}  ${c.class}: ${n(c.packets)} packets`);
    }
  }
  lines.push('', r.diagnoses.length > 0 ? 'diagnosis:' : r.mismarked > 0 ? 'diagnosis: no known pattern in the mismarkings' : 'diagnosis: nothing mismarked');
  for (const d of r.diagnoses) {
    lines.push(`  - ${d.message}`);
    if (d.fix) lines.push(`    fix: ${d.fix}`);
  }
  return lines;
}

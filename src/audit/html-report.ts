/**
 * `audit --html FILE`: one self-contained HTML page (no scripts, no fetches)
 * with the summary tables and two inline SVG pictures: expected vs found
 * marking per class, and mismarked packets over time.
 */
import { dscpLabel } from '../classify/dscp.js';
import { grouped } from '../format/numbers.js';
import type { AuditReport } from './report.js';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const n = grouped;

const OK_COLOUR = '#2e7d32';
const BAD_COLOURS = ['#c62828', '#ef6c00', '#ad1457', '#6a1b9a', '#4e342e'];
const NEUTRAL = '#78909c';

function classBars(r: AuditReport): string {
  const classes = Object.entries(r.byClass);
  const width = 760;
  const labelW = 110;
  const barH = 26;
  const gap = 14;
  const height = classes.length * (barH + gap) + 40;
  const parts: string[] = [];
  classes.forEach(([name, c], row) => {
    const y = 20 + row * (barH + gap);
    parts.push(`<text x="0" y="${y + 17}" font-size="13">${esc(name)}</text>`);
    let x = labelW;
    const total = Object.values(c.dscpFound).reduce((a, b) => a + b, 0) || 1;
    let badIndex = 0;
    for (const [dscp, count] of Object.entries(c.dscpFound).sort((a, b) => b[1] - a[1])) {
      const w = ((width - labelW - 10) * count) / total;
      const value = Number(dscp);
      const colour =
        c.expectedDscp === null ? NEUTRAL : value === c.expectedDscp ? OK_COLOUR : BAD_COLOURS[badIndex++ % BAD_COLOURS.length];
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 0.5).toFixed(1)}" height="${barH}" fill="${colour}">` +
          `<title>${esc(name)}: ${esc(dscpLabel(value))} x${n(count)}</title></rect>`,
      );
      if (w > 60) {
        parts.push(`<text x="${(x + 4).toFixed(1)}" y="${y + 17}" font-size="12" fill="#fff">${esc(dscpLabel(value))} ×${n(count)}</text>`);
      }
      x += w;
    }
  });
  parts.push(
    `<text x="${labelW}" y="${height - 6}" font-size="12">green: found = expected DSCP; other colours: found values that differ; grey: class expects no DSCP</text>`,
  );
  return `<svg role="img" aria-label="expected vs found DSCP per class" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

function timelineChart(r: AuditReport): string {
  const buckets = r.timeline.buckets;
  const width = 760;
  const height = 220;
  const left = 60;
  const bottom = 30;
  const plotW = width - left - 20;
  const plotH = height - bottom - 10;
  const maxPackets = Math.max(1, ...buckets.map((b) => b.packets));
  const start = r.timeline.start ?? 0;
  const last = buckets.length > 0 ? buckets[buckets.length - 1].t : start;
  // Place buckets by their time, so quiet stretches show as gaps in time, not as even steps.
  const x = (t: number): number => left + (last > start ? (plotW * (t - start)) / (last - start) : plotW / 2);
  const y = (v: number): number => 10 + plotH - (plotH * v) / maxPackets;
  const line = (pick: (b: { packets: number; mismarked: number }) => number) => buckets.map((b) => `${x(b.t).toFixed(1)},${y(pick(b)).toFixed(1)}`).join(' ');
  const dots = (pick: (b: { packets: number; mismarked: number }) => number, colour: string, what: string) =>
    buckets
      .map((b) => `<circle cx="${x(b.t).toFixed(1)}" cy="${y(pick(b)).toFixed(1)}" r="3" fill="${colour}"><title>${n(pick(b))} ${what} at +${b.t - start} s</title></circle>`)
      .join('');
  const span = buckets.length > 0 ? last - start + r.timeline.bucketSeconds : 0;
  return (
    `<svg role="img" aria-label="mismarked packets over time" width="${width}" height="${height}">` +
    `<line x1="${left}" y1="${10 + plotH}" x2="${width - 10}" y2="${10 + plotH}" stroke="#333"/>` +
    `<line x1="${left}" y1="10" x2="${left}" y2="${10 + plotH}" stroke="#333"/>` +
    `<text x="4" y="18" font-size="11">${n(maxPackets)}</text><text x="4" y="${10 + plotH}" font-size="11">0</text>` +
    `<polyline fill="none" stroke="${NEUTRAL}" stroke-width="2" points="${line((b) => b.packets)}"/>` +
    `<polyline fill="none" stroke="${BAD_COLOURS[0]}" stroke-width="2" points="${line((b) => b.mismarked)}"/>` +
    dots((b) => b.packets, NEUTRAL, 'packets') +
    dots((b) => b.mismarked, BAD_COLOURS[0], 'mismarked packets') +
    `<text x="${left}" y="${height - 8}" font-size="12">capture time: ${span} s in buckets of ${r.timeline.bucketSeconds} s; grey: all packets, red: mismarked</text>` +
    `</svg>`
  );
}

function table(headers: string[], rows: (string | number)[][]): string {
  const head = headers.map((h) => `<th>${esc(h)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${row.map((c) => `<td>${esc(typeof c === 'number' ? n(c) : c)}</td>`).join('')}</tr>`)
    .join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function callsTable(r: AuditReport): string {
  if (!r.sip.followed) return '<p>SIP/SDP not followed (--no-sdp).</p>';
  const rows: (string | number)[][] = [];
  for (const call of r.calls) {
    for (const s of call.streams) {
      rows.push([
        call.callId,
        `${call.from} → ${call.to}`,
        s.media,
        `${s.address}:${s.port}`,
        s.packets,
        s.expectedDscp === null ? 'keep' : dscpLabel(s.expectedDscp),
        Object.entries(s.dscpFound).map(([d, c]) => `${dscpLabel(Number(d))} ×${n(c)}`).join(', ') || '-',
        s.verdict,
      ]);
    }
  }
  const tls = r.sip.tlsConnections > 0 ? `<p>${n(r.sip.tlsConnections)} SIP-over-TLS connections could not be followed.</p>` : '';
  return rows.length
    ? table(['Call-ID', 'from → to', 'media', 'endpoint', 'packets', 'expected', 'found', 'verdict'], rows) + tls
    : `<p>No calls with SDP seen.</p>${tls}`;
}

export function renderAuditHtml(r: AuditReport, title: string): string {
  const classRows = Object.entries(r.byClass).map(([name, c]) => [
    name,
    c.packets,
    c.bytes,
    c.ok,
    c.mismarked,
    c.verdicts['no-tag'],
    c.expectedDscp === null ? 'keep' : dscpLabel(c.expectedDscp),
    c.expectedCos === null ? 'keep' : String(c.expectedCos),
  ]);
  const appRows = Object.entries(r.byApp).map(([name, a]) => [name, a.class ?? '-', a.packets, a.bytes, a.ok, a.mismarked]);
  const convRows = r.conversations.map((c) => [
    `${c.proto} ${c.a}:${c.aPort} ↔ ${c.b}:${c.bPort}`,
    c.rule ?? c.class,
    c.packets,
    c.mismarked,
  ]);
  const diagnoses = r.diagnoses.length
    ? `<ul>${r.diagnoses.map((d) => `<li>${esc(d.message)}${d.fix ? `<br><code>${esc(d.fix)}</code>` : ''}</li>`).join('')}</ul>`
    : '<p>No known pattern in the mismarkings.</p>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>qosmark audit: ${esc(title)}</title>
<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:0.5em 0 1.5em}
th,td{border:1px solid #ccc;padding:4px 10px;text-align:right}th:first-child,td:first-child{text-align:left}
.totals span{display:inline-block;margin-right:2em;font-size:1.2em}td{overflow-wrap:anywhere;max-width:22em}</style></head>
<body><h1>qosmark audit</h1><p>${esc(title)}</p>
<p class="totals"><span id="total-packets">Packets: ${n(r.packets)}</span><span id="total-mismarked">Mismarked: ${n(r.mismarked)}</span>
<span id="total-malformed">Malformed: ${n(r.verdicts.malformed)}</span></p>
<h2>By class</h2>${table(['class', 'packets', 'bytes', 'ok', 'mismarked', 'untagged', 'expected DSCP', 'expected CoS'], classRows)}
<h2>Expected vs found DSCP per class</h2>${classBars(r)}
<h2>Mismarked packets over time</h2>${timelineChart(r)}
<h2>By application</h2>${table(['app', 'class', 'packets', 'bytes', 'ok', 'mismarked'], appRows)}
<h2>Top conversations with wrong markings</h2>${convRows.length ? table(['conversation', 'app', 'packets', 'mismarked'], convRows) : '<p>None.</p>'}
<h2>Calls (SIP/SDP)</h2>${callsTable(r)}
<h2>Diagnosis</h2>${diagnoses}
</body></html>
`;
}

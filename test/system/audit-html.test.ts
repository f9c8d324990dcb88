/**
 * System test: `qosmark audit --html` opened in headless Chromium.
 *
 * For fixtures with mismarked packets (cupc-ports: every built-in rule;
 * sip/sip-idle-v4: calls followed over 600 s, several timeline buckets):
 * - the HTML file is self-contained: no script, link, img, iframe, object,
 *   embed or base element, no src/href/srcset/action/poster/xlink:href
 *   attribute other than a #fragment, no url() and no @import;
 * - the page Chromium rendered (--dump-dom) shows the totals the audit's
 *   --json reports (packets, mismarked), and the two SVG pictures with one
 *   bar segment per class and found DSCP, and one point per timeline bucket
 *   on both lines;
 * - Chromium's net log has no request made by the page (a control page with
 *   an external image and stylesheet proves that the check sees such
 *   requests; all host names resolve to nothing, so no request leaves the
 *   machine either way);
 * - the screenshot (PNG, decoded here) is the window's size, not blank, and
 *   shows the report's colours: green where found = expected DSCP, red for
 *   mismarked values, grey for classes that expect no DSCP.
 * QOSMARK_KEEP_SYSTEM_TMP=1 keeps the HTML, DOM, screenshots and net logs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './support/audit-capture.js';
import { chromiumPath, pageRequests, renderPage } from './support/audit-browser.js';
import { colourCounts, hexColour, readPng } from './support/audit-png.js';
import { ensureBuilt, qosmark } from './support/qosmark.js';
import { skipOrFail } from './support/require.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const unmetReason = chromiumPath() === null ? 'missing tool on PATH: chromium (Debian package chromium)' : null;

const PAGES = ['cupc-ports.pcap', 'sip/sip-idle-v4.pcap'];
const SIZE = { width: 1000, height: 2400 };
/** The report's colours (src/audit/html-report.ts). */
const COLOURS = { ok: hexColour('#2e7d32'), bad: hexColour('#c62828'), neutral: hexColour('#78909c') };

interface AuditJson {
  packets: number;
  mismarked: number;
  byClass: Record<string, { packets: number; expectedDscp: number | null; dscpFound: Record<string, number> }>;
  timeline: { buckets: { t: number; packets: number; mismarked: number }[] };
}

const n = (v: number) => v.toLocaleString('en-US');
const textOf = (dom: string, id: string): string | null => {
  const m = new RegExp(`<[^>]+\\bid="${id}"[^>]*>([^<]*)<`).exec(dom);
  return m === null ? null : m[1].trim();
};

/** Everything in the HTML that could make the page fetch something. */
function externalReferences(html: string): string[] {
  const found: string[] = [];
  for (const m of html.matchAll(/<\s*(script|link|img|iframe|frame|object|embed|base|audio|video|source|track|image|use|feimage|meta\s+http-equiv)\b[^>]*>/gi)) {
    found.push(`element: ${m[0].slice(0, 120)}`);
  }
  for (const m of html.matchAll(/\s((?:xlink:)?href|src|srcset|action|formaction|poster|data|background)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)/gi)) {
    const value = m[2].replace(/^["']|["']$/g, '');
    if (!value.startsWith('#')) found.push(`attribute ${m[1]}="${value}"`);
  }
  for (const m of html.matchAll(/url\s*\(|@import/gi)) found.push(`css: ${html.slice(m.index, m.index + 80)}`);
  return found;
}

describe('audit --html in headless Chromium', () => {
  let work = '';

  beforeAll(() => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-audit-html-');
  });

  afterAll(() => {
    removeWorkDir(work);
  });

  it('the net-log check sees a page that fetches (control)', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    const control = join(work, 'control.html');
    writeFileSync(
      control,
      '<!DOCTYPE html><html><body><p>control</p><img src="http://qosmark-control.invalid/x.png">' +
        '<link rel="stylesheet" href="https://qosmark-control.invalid/a.css"></body></html>',
    );
    expect(externalReferences(readFileSync(control, 'utf8')).length, 'the static check flags the control page').toBeGreaterThanOrEqual(2);
    const r = await renderPage(control, work, 'control', SIZE);
    expect(r.dom).toContain('control');
    const req = pageRequests(r.netLog);
    expect(req.page.sort()).toEqual(['http://qosmark-control.invalid/x.png', 'https://qosmark-control.invalid/a.css']);
  }, 90_000);

  it.for(PAGES)('%s', { timeout: 90_000 }, async (name, ctx) => {
    skipOrFail(ctx, unmetReason);
    const tag = name.replace(/\W+/g, '_');
    const html = join(work, `${tag}.html`);
    const a = qosmark(['audit', join(FIXTURES, name), '--json', '--html', html], 60_000);
    expect(a.status, `audit exit status (mismarked packets expected); stderr: ${a.stderr}`).toBe(1);
    const doc = JSON.parse(a.stdout) as AuditJson;
    expect(doc.mismarked).toBeGreaterThan(0);

    // Self-contained as written.
    const source = readFileSync(html, 'utf8');
    expect(externalReferences(source)).toEqual([]);

    const r = await renderPage(html, work, tag, SIZE);
    writeFileSync(join(work, `${tag}.dom.html`), r.dom);

    // Totals.
    expect(textOf(r.dom, 'total-packets')).toBe(`Packets: ${n(doc.packets)}`);
    expect(textOf(r.dom, 'total-mismarked')).toBe(`Mismarked: ${n(doc.mismarked)}`);
    expect(externalReferences(r.dom)).toEqual([]);

    // The two pictures.
    const svgs = [...r.dom.matchAll(/<svg\b([^>]*)>([\s\S]*?)<\/svg>/g)];
    expect(svgs.map((s) => /aria-label="([^"]*)"/.exec(s[1])?.[1])).toEqual(['expected vs found DSCP per class', 'mismarked packets over time']);
    const segments = Object.values(doc.byClass).reduce((sum, c) => sum + Object.keys(c.dscpFound).length, 0);
    expect(segments).toBeGreaterThan(0);
    expect((svgs[0][2].match(/<rect\b/g) ?? []).length, 'bar segments: one per class and found DSCP').toBe(segments);
    const lines = [...svgs[1][2].matchAll(/<polyline\b[^>]*\bpoints="([^"]*)"/g)].map((m) => m[1].trim().split(/\s+/).length);
    expect(lines, 'timeline: two lines, one point per bucket').toEqual([doc.timeline.buckets.length, doc.timeline.buckets.length]);

    // No request from the page.
    expect(pageRequests(r.netLog).page).toEqual([]);

    // What is on screen.
    const img = readPng(readFileSync(r.screenshot));
    expect([img.width, img.height]).toEqual([SIZE.width, SIZE.height]);
    const { counts, nonWhite } = colourCounts(img, COLOURS);
    console.log(`${name}: screenshot ${img.width}x${img.height}, ${nonWhite} non-white pixels, colours ${JSON.stringify(counts)}`);
    expect(nonWhite, 'non-white pixels').toBeGreaterThan(img.width * img.height * 0.02);
    const classes = Object.values(doc.byClass);
    if (classes.some((c) => c.expectedDscp !== null && (c.dscpFound[String(c.expectedDscp)] ?? 0) > 0)) expect(counts.ok, 'green bar pixels').toBeGreaterThan(500);
    expect(counts.bad, 'red (mismarked) pixels').toBeGreaterThan(500);
    if (classes.some((c) => c.expectedDscp === null && c.packets > 0)) expect(counts.neutral, 'grey bar pixels').toBeGreaterThan(500);
  });
});

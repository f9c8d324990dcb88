/**
 * System test: audit, mark, audit again. For every fixture (fixtures/pcaps and
 * fixtures/pcaps/sip, pcap and pcapng, error fixtures left out) and two
 * generated captures (cupc 100,000 packets, worst-case 20,000):
 * - `qosmark audit FILE` exits 1 exactly when some packet is mismarked (0
 *   otherwise), and its --json count matches the JSON Lines verdicts;
 * - `qosmark mark FILE -o OUT` succeeds;
 * - `qosmark audit OUT` reports no dscp-/cos-/both-mismatch for any packet
 *   the policy marks (expectedDscp or expectedCos set), mismarked 0, and
 *   exits 0;
 * - both audits see the same packets with the same class and rule: marking
 *   changes DSCP/PCP bits only, never what decides the class.
 * Across the fixtures, some must have started mismarked (exit 1 then 0), so
 * the test cannot pass on captures that had nothing to fix.
 *
 * Needs no external tool and no root.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditFixtures, generateCapture } from './support/audit-capture.js';
import { MISMATCH_VERDICTS, readAuditPackets, type AuditPacket } from './support/audit-oracle.js';
import { ensureBuilt, qosmark } from './support/qosmark.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const fixtures = auditFixtures();

interface AuditRun {
  status: number | null;
  mismarked: number;
  packets: AuditPacket[];
}

function audit(file: string, jsonl: string, timeoutMs = 120_000): AuditRun {
  const r = qosmark(['audit', file, '--json', '--packets', jsonl], timeoutMs);
  expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  expect([0, 1], `audit ${file}: exit status; stderr: ${r.stderr}`).toContain(r.status);
  const doc = JSON.parse(r.stdout) as { mismarked: number; packets: number; error: unknown };
  expect(doc.error).toBeNull();
  const packets = readAuditPackets(jsonl);
  expect(doc.packets).toBe(packets.length);
  expect(packets.filter((p) => MISMATCH_VERDICTS.has(p.verdict)).length, 'mismatch verdicts in the JSON Lines vs --json mismarked').toBe(doc.mismarked);
  return { status: r.status, mismarked: doc.mismarked, packets };
}

/** What a file's before/after pair showed. */
interface RoundTrip {
  before: AuditRun;
  after: AuditRun;
}

function roundTrip(work: string, tag: string, file: string, timeoutMs = 120_000): RoundTrip {
  const marked = join(work, `${tag}.marked`);
  const before = audit(file, join(work, `${tag}.before.jsonl`), timeoutMs);
  expect(before.status, 'exit status of the first audit').toBe(before.mismarked > 0 ? 1 : 0);
  const m = qosmark(['mark', file, '-o', marked], timeoutMs);
  expect(m.stderr).not.toMatch(/internal error|\n\s+at /);
  expect(m.status, `mark: ${m.stderr}`).toBe(0);
  const after = audit(marked, join(work, `${tag}.after.jsonl`), timeoutMs);

  expect(after.packets.length, 'packets in the marked file').toBe(before.packets.length);
  const wrong: string[] = [];
  const reclassified: string[] = [];
  let judged = 0;
  after.packets.forEach((p, i) => {
    const b = before.packets[i];
    if (p.class !== b.class || p.rule !== b.rule) reclassified.push(`frame ${p.frame}: ${b.rule}/${b.class} before, ${p.rule}/${p.class} after marking`);
    if (p.expectedDscp === null && p.expectedCos === null) return;
    judged++;
    if (MISMATCH_VERDICTS.has(p.verdict)) {
      wrong.push(
        `frame ${p.frame} (${p.rule}/${p.class}, status ${p.status}): ${p.verdict} after marking: ` +
          `DSCP ${p.dscp} (expected ${p.expectedDscp}), PCP ${p.pcp} (expected ${p.expectedCos})`,
      );
    }
  });
  expect(wrong.slice(0, 20), `${wrong.length} marked packets still mismarked`).toEqual([]);
  expect(reclassified.slice(0, 20), `${reclassified.length} packets classified differently after marking`).toEqual([]);
  expect(after.mismarked).toBe(0);
  expect(after.status, 'exit status of the audit of the marked file').toBe(0);
  if (before.packets.some((p) => p.expectedDscp !== null || p.expectedCos !== null)) expect(judged).toBeGreaterThan(0);
  for (const f of [marked, join(work, `${tag}.before.jsonl`), join(work, `${tag}.after.jsonl`)]) rmSync(f, { force: true });
  return { before, after };
}

describe('audit of a marked capture finds nothing mismarked', () => {
  let work = '';
  const startedMismarked: string[] = [];

  beforeAll(() => {
    ensureBuilt();
    work = makeWorkDir('qosmark-audit-mark-');
  });

  afterAll(() => {
    removeWorkDir(work);
  });

  it.for(fixtures.map((fx) => [fx.name, fx] as const))('%s', { timeout: 60_000 }, ([name, fx]) => {
    const rt = roundTrip(work, name.replace(/\W+/g, '_'), fx.file, 60_000);
    if (rt.before.mismarked > 0) startedMismarked.push(`${name} (${rt.before.mismarked})`);
  });

  it('some fixtures started mismarked: exit status 1 before marking, 0 after', () => {
    expect(fixtures.length).toBeGreaterThan(0);
    expect(startedMismarked.length, 'fixtures with mismarked packets before marking').toBeGreaterThan(0);
  });

  it.for([
    { profile: 'cupc', packets: 100_000, seed: 7 },
    { profile: 'worst-case', packets: 20_000, seed: 7 },
  ])('generated: $packets packets, $profile profile, seed $seed', { timeout: 170_000 }, async (g) => {
    const cap = await generateCapture(join(work, `gen-${g.profile}.pcap`), g.packets, g.profile, g.seed);
    const rt = roundTrip(work, `gen-${g.profile}`, cap.file, 120_000);
    expect(rt.before.mismarked, `mismarked before marking (${cap.source})`).toBeGreaterThan(0);
    expect(rt.before.status).toBe(1);
    rmSync(cap.file, { force: true });
  });
});

/**
 * System test: `qosmark bench --compare` with the real peers. The unit tests
 * run the benchmark without peers; here tcprewrite and tshark are on the
 * machine, so every peer figure must be measured, in the same run, and the
 * targets that depend on them judged (not N/A). The figures themselves are
 * not checked: they depend on the machine. Tiny sizes keep it short.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, qosmark } from './support/qosmark.js';
import { requireTools, skipOrFail, unmet } from './support/require.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const unmetReason = unmet(requireTools(['tcprewrite', 'tshark']));

describe('qosmark bench --compare, with tcprewrite and tshark', () => {
  let work = '';
  let doc: Record<string, any> = {};
  let stderr = '';
  beforeAll(() => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-bench-compare-');
    const r = qosmark(
      ['bench', '--quick', '--compare', '--packets', '5000', '--memory-packets', '5000', '--gc-packets', '100000', '--tshark-packets', '1000', '--dir', work, '--json'],
      300_000,
    );
    expect(r.status, r.stderr).toBe(0);
    doc = JSON.parse(r.stdout);
    stderr = r.stderr;
  }, 320_000);
  afterAll(() => {
    removeWorkDir(work);
  });

  it('times tcprewrite on the same file, to a file and to /dev/null, as ratios', (ctx) => {
    skipOrFail(ctx, unmetReason);
    for (const id of [
      'compare.tcprewrite.seconds',
      'compare.tcprewrite.timeRatio',
      'compare.tcprewrite.fasterBy',
      'compare.tcprewriteDiscard.seconds',
      'compare.tcprewriteDiscard.fasterBy',
      'process.markDiscard.seconds',
    ]) {
      expect(doc.figures[id]?.value, id).toBeGreaterThan(0);
    }
    const f = doc.figures;
    expect(f['compare.tcprewrite.fasterBy'].value).toBeCloseTo(1 / f['compare.tcprewrite.timeRatio'].value, 9);
    expect(f['compare.tcprewriteDiscard.fasterBy'].value).toBeCloseTo(f['compare.tcprewriteDiscard.seconds'].value / f['process.markDiscard.seconds'].value, 9);
    expect(doc.details.tcprewrite.command).toMatch(/^tcprewrite --tos=184 --infile=IN --outfile=OUT$/);
    expect(doc.details.tcprewrite.discardRuns.length).toBe(doc.details.tcprewrite.runs.length);
    expect(stderr).toMatch(/run 1: mark [\d.]+ s \(to \/dev\/null [\d.]+ s\).*tcprewrite [\d.]+ s \(to \/dev\/null [\d.]+ s\)/);
  });

  it('times tshark -T fields on the first packets and pcap-parser on the whole file', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(doc.figures['compare.tshark.seconds'].value).toBeGreaterThan(0);
    expect(doc.figures['compare.tshark.fasterBy'].value).toBeGreaterThan(0);
    expect(doc.details.tshark.command).toMatch(/^tshark -n -r IN -c 1000 -T fields( -e [\w.]+){12} >\/dev\/null$/);
    expect(doc.figures['compare.read.pcapParser.mpps'].value).toBeGreaterThan(0);
    expect(doc.figures['compare.read.fasterBy'].value).toBeGreaterThan(0);
    expect(doc.notes.join('\n')).toMatch(/tshark is timed on the first 1,000 packets/);
  });

  it('judges the peer targets', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const status = Object.fromEntries(doc.targets.map((t: { id: string; status: string }) => [t.id, t.status]));
    for (const id of ['tcprewrite-ratio', 'tshark-ratio', 'process-mpps', 'multi-speedup']) expect(['PASS', 'MISS'], id).toContain(status[id]);
  });

  it('leaves nothing behind in --dir', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(readdirSync(work)).toEqual([]);
  });
});

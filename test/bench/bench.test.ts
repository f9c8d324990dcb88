/**
 * `qosmark bench` smoke tests through the built CLI: tiny sizes (--quick), the
 * JSON's shape, the per-figure change against a baseline, and usage errors.
 * The figures themselves are not checked: they depend on the machine.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareToBaseline, judge, type Figures } from '../../src/bench/report.js';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qosmark-bench-test-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const TINY = ['--quick', '--packets', '3000', '--memory-packets', '3000', '--gc-packets', '100000', '--dir', tmp];
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'bench', ...args], { encoding: 'utf8', timeout: 120_000 });

let doc: Record<string, any>;
beforeAll(() => {
  const r = run(...TINY, '--json');
  expect(r.status, r.stderr).toBe(0);
  doc = JSON.parse(r.stdout);
}, 120_000);

describe('qosmark bench --quick --json', () => {
  it('names the machine, Node.js and qosmark versions', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(doc.command).toBe('bench');
    expect(doc.environment.qosmark).toBe(pkg.version);
    expect(doc.environment.node).toBe(process.version);
    expect(typeof doc.environment.cpuModel).toBe('string');
    expect(doc.environment.loadAverageStart).toHaveLength(3);
    expect(doc.input).toMatchObject({ generated: true, packets: 3000, profile: 'cupc', seed: 7 });
  });

  it('has every figure with a value and a unit, in memory, allocations, whole process and multi-file', () => {
    const want = [
      'memory.touch.nsPerPacket',
      'memory.parse.nsPerPacket',
      'memory.parse.mpps',
      'memory.classify.mpps',
      'memory.mark.nsPerPacket',
      'memory.mark.mpps',
      'gc.scavengesPer10M',
      'process.mark.seconds',
      'process.mark.mpps',
      'process.mark.mbPerSec',
      'process.mark.peakRssMB',
      'process.markDiscard.seconds',
      'process.markDiscard.mpps',
      'process.audit.mpps',
      'process.audit.peakRssMB',
      'multi.parallelSeconds',
      'multi.sequentialSeconds',
      'multi.speedup',
      'gen.mpps',
      'gen.mbPerSec',
    ];
    for (const id of want) {
      const f = doc.figures[id];
      expect(f, id).toBeDefined();
      expect(typeof f.value, id).toBe('number');
      expect(Number.isFinite(f.value), id).toBe(true);
      expect(typeof f.unit, id).toBe('string');
    }
    const mark = doc.figures['memory.mark.mpps'];
    expect(mark.min).toBeLessThanOrEqual(mark.value);
    expect(mark.max).toBeGreaterThanOrEqual(mark.value);
    // The peak RSS comes from the commands' own --json (audit's included).
    expect(doc.figures['process.audit.peakRssMB'].value).toBeGreaterThan(1);
    expect(doc.details.gc.all.packets).toBe(100_000);
    // Without --compare, no peers.
    expect(Object.keys(doc.figures).some((k) => k.startsWith('compare.'))).toBe(false);
  });

  it('judges every target, PASS/MISS where measured', () => {
    expect(doc.targets.map((t: { id: string }) => t.id)).toEqual([
      'memory-mpps',
      'tcprewrite-ratio',
      'process-mpps',
      'mark-rss',
      'audit-rss',
      'tshark-ratio',
      'multi-speedup',
      'gen-mpps',
    ]);
    for (const t of doc.targets) expect(['PASS', 'MISS', 'N/A']).toContain(t.status);
    expect(doc.targets.find((t: { id: string }) => t.id === 'memory-mpps').status).not.toBe('N/A');
    expect(doc.targets.find((t: { id: string }) => t.id === 'tshark-ratio').status).toBe('N/A');
    // 3,000 packets measure V8's warm-up more than the generator.
    expect(doc.targets.find((t: { id: string }) => t.id === 'gen-mpps')).toMatchObject({ status: 'N/A', note: 'judged from 1,000,000 packets on' });
  });

  it('leaves no files behind', () => {
    expect(fs.readdirSync(tmp).filter((f) => f.startsWith('qosmark-bench-'))).toEqual([]);
  });
});

describe('qosmark bench --baseline', () => {
  it('prints the change per figure, in percent', () => {
    const old = structuredClone(doc);
    for (const f of Object.values(old.figures) as { value: number | null }[]) if (f.value !== null) f.value *= 2;
    const file = path.join(tmp, 'old.json');
    fs.writeFileSync(file, JSON.stringify(old));
    const r = run(...TINY, '--baseline', file);
    expect(r.status, r.stderr).toBe(0);
    const text = r.stdout.slice(r.stdout.indexOf('change against'));
    expect(text).toMatch(/^change against .*old\.json/);
    for (const label of ['parse \\(parseFrame\\)', 'mark: wall time', 'audit: peak RSS', 'speed-up']) {
      expect(text).toMatch(new RegExp(`${label}.*[-+]\\d+\\.\\d%`));
    }
  }, 120_000);

  it('refuses a baseline that is not a bench --json output, before measuring', () => {
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"command":"mark"}');
    const r = run('--baseline', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^qosmark: bench: --baseline: .*no "figures"/);
  });
});

describe('figures against a baseline and targets', () => {
  const fig = (value: number | null, better: 'higher' | 'lower' | null) => ({ section: 's', label: 'x', value, unit: 'u', better });
  it('gives the percent change and whether it is better by the figure direction', () => {
    const now: Figures = { a: fig(110, 'higher'), b: fig(110, 'lower'), c: fig(5, null), d: fig(1, 'higher'), e: fig(null, 'higher') };
    const old: Figures = { a: fig(100, 'higher'), b: fig(100, 'lower'), c: fig(10, null), e: fig(3, 'higher') };
    const changes = compareToBaseline({ figures: now }, { figures: old });
    expect(changes.map((c) => [c.id, Math.round(c.percent), c.verdict])).toEqual([
      ['a', 10, 'better'],
      ['b', 10, 'worse'],
      ['c', -50, null],
    ]);
  });

  it('passes and misses by the operator, and says N/A when not measured or on too few packets', () => {
    const figures: Figures = { x: fig(30, 'higher'), y: fig(null, 'higher') };
    expect(judge({ id: 't', label: 't', figure: 'x', op: '>=', threshold: 30 }, figures).status).toBe('PASS');
    expect(judge({ id: 't', label: 't', figure: 'x', op: '<', threshold: 30 }, figures).status).toBe('MISS');
    expect(judge({ id: 't', label: 't', figure: 'y', op: '<', threshold: 30 }, figures).status).toBe('N/A');
    expect(judge({ id: 't', label: 't', figure: 'x', op: '>=', threshold: 30, minPackets: 1000 }, figures, 999).status).toBe('N/A');
    expect(judge({ id: 't', label: 't', figure: 'x', op: '>=', threshold: 30, minPackets: 1000 }, figures, 1000).status).toBe('PASS');
  });
});

/**
 * The figures of `qosmark bench`, their targets, the text table, and the
 * change per figure against an earlier `--json` run (`--baseline`).
 */
import { grouped, groupedFixed } from '../format/numbers.js';

export type Better = 'higher' | 'lower' | null;

export interface Figure {
  section: string;
  label: string;
  /** null: not measured in this run (tool missing, skipped). */
  value: number | null;
  unit: string;
  better: Better;
  min?: number;
  max?: number;
  note?: string;
}

export type Figures = Record<string, Figure>;

export interface TargetSpec {
  id: string;
  label: string;
  figure: string;
  op: '>=' | '<=' | '<';
  threshold: number;
  note?: string;
  /** Judged only on a capture of at least this many packets (smaller ones measure mostly start-up and warm-up). */
  minPackets?: number;
}

export interface TargetResult extends TargetSpec {
  value: number | null;
  status: 'PASS' | 'MISS' | 'N/A';
}

export interface Environment {
  cpuModel: string;
  cpus: number;
  node: string;
  qosmark: string;
  os: string;
  loadAverageStart: number[];
  loadAverageEnd: number[];
  uptimeStart: string;
  uptimeEnd: string;
}

export interface BenchDoc {
  command: 'bench';
  schema: 1;
  date: string;
  environment: Environment;
  options: Record<string, unknown>;
  input: Record<string, unknown>;
  figures: Figures;
  targets: TargetResult[];
  notes: string[];
  details: Record<string, unknown>;
  baseline?: { file: string; environment: Partial<Environment> | null; packets: number | null; packetsNow: number; changes: Change[] };
}

export function judge(spec: TargetSpec, figures: Figures, packets = Infinity): TargetResult {
  const value = figures[spec.figure]?.value ?? null;
  let status: TargetResult['status'] = 'N/A';
  if (spec.minPackets !== undefined && packets < spec.minPackets) {
    return { ...spec, value, status, note: `judged from ${grouped(spec.minPackets)} packets on` };
  }
  if (value !== null && Number.isFinite(value)) {
    const ok = spec.op === '>=' ? value >= spec.threshold : spec.op === '<=' ? value <= spec.threshold : value < spec.threshold;
    status = ok ? 'PASS' : 'MISS';
  }
  return { ...spec, value, status };
}

/** A number with about three significant digits, thousands separated. */
export function num(v: number): string {
  const a = Math.abs(v);
  const digits = a === 0 || a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : a >= 0.1 ? 3 : 4;
  return groupedFixed(v, digits);
}

const OP_TEXT = { '>=': '≥', '<=': '≤', '<': '<' } as const;

function targetText(t: TargetResult): string {
  return `${t.status} (${OP_TEXT[t.op]} ${t.threshold})${t.note ? ` ${t.note}` : ''}`;
}

export function renderText(doc: BenchDoc): string[] {
  const env = doc.environment;
  const out: string[] = [];
  out.push(`qosmark bench: qosmark ${env.qosmark}, Node ${env.node}, ${env.cpuModel} (${env.cpus} CPUs), ${env.os}`);
  out.push(`load average ${env.loadAverageStart.join(' ')} at start, ${env.loadAverageEnd.join(' ')} at end (uptime: ${env.uptimeEnd})`);
  if (env.loadAverageStart[0] > env.cpus * 0.5) out.push('note: the machine was busy: timings are pessimistic and noisy');
  const inp = doc.input;
  out.push(
    `input: ${inp.file}: ${num(Number(inp.packets))} packets, ${num(Number(inp.bytes) / 1e6)} MB` +
      (inp.generated ? ` (generated: profile ${inp.profile}, seed ${inp.seed}, ${num(Number(inp.generatorSeconds))} s)` : ' (--input)'),
  );
  const byFigure = new Map<string, TargetResult[]>();
  for (const t of doc.targets) byFigure.set(t.figure, [...(byFigure.get(t.figure) ?? []), t]);
  const rows: string[][] = [];
  let section = '';
  let label = '';
  for (const [id, f] of Object.entries(doc.figures)) {
    if (f.section !== section) {
      section = f.section;
      label = '';
      rows.push([`\n${section}`]);
    }
    // The same measurement in another unit: no need to repeat its name.
    const shown = f.label === label ? '' : f.label;
    label = f.label;
    const value = f.value === null ? '-' : num(f.value);
    const range = f.min !== undefined && f.max !== undefined ? `${num(f.min)} – ${num(f.max)}` : '';
    const targets = (byFigure.get(id) ?? []).map(targetText).join('; ');
    rows.push([`  ${shown}`, value, f.unit, range, [targets, f.note ?? ''].filter((s) => s !== '').join('; ')]);
  }
  const width = [0, 0, 0, 0];
  for (const r of rows) if (r.length > 1) for (let i = 0; i < 4; i++) width[i] = Math.max(width[i], r[i].length);
  for (const r of rows) {
    if (r.length === 1) out.push(r[0]);
    else out.push(`${r[0].padEnd(width[0])}  ${r[1].padStart(width[1])} ${r[2].padEnd(width[2])}  ${r[3].padEnd(width[3])}  ${r[4]}`.trimEnd());
  }
  out.push('');
  out.push(`targets: ${doc.targets.map((t) => `${t.label} ${t.status}`).join('; ')}`);
  for (const n of doc.notes) out.push(`note: ${n}`);
  if (doc.baseline) out.push('', ...renderBaseline(doc.baseline));
  return out;
}

const GROUPS: Record<string, string> = { memory: 'in memory', gc: 'allocations', process: 'process', multi: 'multi-file', compare: 'peers' };

export interface Change {
  id: string;
  label: string;
  unit: string;
  old: number;
  new: number;
  percent: number;
  /** By the figure's direction; null when it has none. */
  verdict: 'better' | 'worse' | 'same' | null;
}

/** The change per figure present, with a value, in both runs. */
export function compareToBaseline(now: Pick<BenchDoc, 'figures'>, old: { figures?: Figures }): Change[] {
  const changes: Change[] = [];
  const before = old.figures ?? {};
  for (const [id, f] of Object.entries(now.figures)) {
    const o = before[id];
    if (f.value === null || o === undefined || typeof o.value !== 'number' || !Number.isFinite(o.value)) continue;
    const percent = o.value === 0 ? (f.value === 0 ? 0 : Infinity * Math.sign(f.value)) : ((f.value - o.value) / Math.abs(o.value)) * 100;
    let verdict: Change['verdict'] = null;
    if (f.better !== null) {
      if (Math.abs(percent) < 0.5) verdict = 'same';
      else verdict = (percent > 0) === (f.better === 'higher') ? 'better' : 'worse';
    }
    // Section titles carry run details (sizes, paths): the id's first part names the group instead.
    changes.push({ id, label: `${GROUPS[id.split('.')[0]] ?? id.split('.')[0]}: ${f.label.trim()}`, unit: f.unit, old: o.value, new: f.value, percent, verdict });
  }
  return changes;
}

export function renderBaseline(b: NonNullable<BenchDoc['baseline']>): string[] {
  const e = b.environment;
  const out = [`change against ${b.file}` + (e ? ` (qosmark ${e.qosmark}, Node ${e.node}, ${e.cpuModel}, load ${e.loadAverageStart?.join(' ')})` : '') + ':'];
  if (b.packets !== undefined && b.packets !== null && b.packets !== b.packetsNow) {
    out.push(`  note: the baseline measured ${num(b.packets)} packets, this run ${num(b.packetsNow)}: whole-process figures are not comparable`);
  }
  if (b.changes.length === 0) out.push('  no figure in common');
  const w = Math.max(0, ...b.changes.map((c) => c.label.length));
  for (const c of b.changes) {
    const pct = Number.isFinite(c.percent) ? `${c.percent >= 0 ? '+' : ''}${c.percent.toFixed(1)}%` : 'n/a (was 0)';
    out.push(`  ${c.label.padEnd(w)}  ${num(c.old).padStart(9)} -> ${num(c.new).padStart(9)} ${c.unit.padEnd(9)} ${pct.padStart(8)}${c.verdict ? `  ${c.verdict}` : ''}`);
  }
  return out;
}

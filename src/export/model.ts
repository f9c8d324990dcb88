/**
 * What every export format shares: the policy flattened into the order in
 * which a packet meets it (rules in file order, then the default marking),
 * port lists merged or kept as written, names made safe for a target's
 * identifiers, and the refusal for what a target cannot say.
 *
 * The semantics every format must reproduce are qosmark's own
 * (compile.ts): a TCP or UDP packet takes the class of the earliest rule
 * whose protocol matches and whose ports contain its source port (side src
 * or either) or its destination port (side dst or either); no such rule, or
 * an IP packet that is neither TCP nor UDP, takes the default marking; a
 * field whose value is keep is left alone; ECN never changes; CoS goes on
 * the outermost VLAN tag only.
 */
import { dscpLabel } from '../classify/dscp.js';
import { KEEP, type Marking, type Policy, type PortRange, type Protocol, type Side } from '../classify/policy.js';

export type ExportFormat = 'nftables' | 'ios' | 'tc';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['nftables', 'ios', 'tc'];

/** A policy that the target format cannot express, or options that do not fit it. */
export class ExportError extends Error {
  constructor(
    readonly format: ExportFormat,
    readonly what: string,
  ) {
    super(`${format}: ${what}`);
    this.name = 'ExportError';
  }
}

export interface ExportResult {
  text: string;
  /** One-line notes for stderr: what the export leaves out on purpose, said out loud. */
  warnings: string[];
}

/** One rule as the exporters see it. */
export interface FlatRule {
  /** 0-based position in the policy. */
  index: number;
  name: string;
  className: string;
  marking: Marking;
  protocols: Protocol[];
  /** As written in the policy, exact duplicates dropped. */
  ports: PortRange[];
  /** Sorted, overlapping and adjacent ranges joined (for interval sets). */
  merged: PortRange[];
  side: Side;
  inspect: boolean;
}

export interface FlatPolicy {
  /** How the header names the policy: a file path or "built-in ...". */
  name: string;
  rules: FlatRule[];
  classes: { name: string; marking: Marking }[];
  defaultMarking: Marking;
  /** SDP media type -> class, which only qosmark itself can follow. */
  media: Map<string, string>;
}

export const BUILTIN_POLICY_NAME = 'built-in CUPC/Jabber policy (qosmark policy show prints it)';

export function flatten(policy: Policy, name: string): FlatPolicy {
  const rules = policy.rules.map((r, index): FlatRule => {
    const marking = policy.classes.get(r.className);
    if (marking === undefined) throw new Error(`rule ${r.name}: class ${r.className} is not defined`);
    return {
      index,
      name: r.name,
      className: r.className,
      marking,
      protocols: [...r.protocols],
      ports: dedupe(r.ports),
      merged: mergeRanges(r.ports),
      side: r.side,
      inspect: r.inspect === 'sip',
    };
  });
  return {
    name,
    rules,
    classes: [...policy.classes].map(([n, marking]) => ({ name: n, marking })),
    defaultMarking: policy.defaultMarking,
    media: policy.media,
  };
}

function dedupe(ranges: PortRange[]): PortRange[] {
  const seen = new Set<string>();
  const out: PortRange[] = [];
  for (const r of ranges) {
    const key = `${r.lo}-${r.hi}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ lo: r.lo, hi: r.hi });
  }
  return out;
}

/** Sorted, with overlapping and adjacent ranges joined. */
export function mergeRanges(ranges: PortRange[]): PortRange[] {
  const sorted = [...ranges].sort((a, b) => a.lo - b.lo || a.hi - b.hi);
  const out: PortRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.lo <= last.hi + 1) last.hi = Math.max(last.hi, r.hi);
    else out.push({ lo: r.lo, hi: r.hi });
  }
  return out;
}

export function rangeText(r: PortRange, sep = '-'): string {
  return r.lo === r.hi ? String(r.lo) : `${r.lo}${sep}${r.hi}`;
}

export const isKeep = (m: Marking): boolean => m.dscp === KEEP && m.cos === KEEP;

export function markingText(m: Marking): string {
  const dscp = m.dscp === KEEP ? 'keep' : dscpLabel(m.dscp);
  const cos = m.cos === KEEP ? 'keep' : String(m.cos);
  return `DSCP ${dscp}, CoS ${cos}`;
}

export function sideText(side: Side): string {
  return side === 'either' ? 'source or destination port' : side === 'src' ? 'source port' : 'destination port';
}

/** "udp+tcp, source or destination port 5060, 5061 -> signalling (DSCP CS3 24, CoS 3)" */
export function ruleSummary(r: FlatRule): string {
  return `${r.protocols.join('+')}, ${sideText(r.side)} ${r.ports.map((p) => rangeText(p)).join(', ')} -> ${r.className} (${markingText(r.marking)})`;
}

/** Does any class that a rule or the default uses set a CoS? The first such rule's name, "default", or null. */
export function firstCosSetter(p: FlatPolicy): string | null {
  const r = p.rules.find((x) => x.marking.cos !== KEEP);
  if (r !== undefined) return `rule "${r.name}" (class ${r.className}, CoS ${r.marking.cos})`;
  if (p.defaultMarking.cos !== KEEP) return `the default marking (CoS ${p.defaultMarking.cos})`;
  return null;
}

/** The same policy with every CoS set to keep (what --no-cos exports). */
export function withoutCos(p: FlatPolicy): FlatPolicy {
  const strip = (m: Marking): Marking => ({ dscp: m.dscp, cos: KEEP });
  return {
    ...p,
    rules: p.rules.map((r) => ({ ...r, marking: strip(r.marking) })),
    classes: p.classes.map((c) => ({ name: c.name, marking: strip(c.marking) })),
    defaultMarking: strip(p.defaultMarking),
  };
}

/**
 * Turns names into identifiers of the target (letters, digits and the
 * characters `extra` allows), unique among themselves, stable in order.
 */
export class NameTable {
  private readonly used = new Set<string>();
  private readonly byKey = new Map<string, string>();

  constructor(
    private readonly prefix: string,
    private readonly allowed: RegExp,
    private readonly maxLength = 64,
    private readonly upper = false,
  ) {}

  get(key: string, raw: string): string {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    let base = `${this.prefix}${raw}`.replace(this.allowed, '_');
    if (this.upper) base = base.toUpperCase();
    base = base.slice(0, this.maxLength);
    let name = base;
    for (let n = 2; this.used.has(name.toLowerCase()); n++) name = `${base.slice(0, this.maxLength - String(n).length - 1)}_${n}`;
    this.used.add(name.toLowerCase());
    this.byKey.set(key, name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name.toLowerCase());
  }
}

/** Comment text safe inside a target's quoted comment: printable ASCII, no quotes or backslashes. */
export function safeComment(text: string, max = 120): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[^\x20-\x7e]|["\\]/g, '?').slice(0, max);
}

/** The notes every format shares about what it does not follow. */
export function inspectNotes(p: FlatPolicy, format: ExportFormat): string[] {
  const inspected = p.rules.filter((r) => r.inspect).map((r) => `"${r.name}"`);
  if (inspected.length === 0) return [];
  return [
    `rule${inspected.length > 1 ? 's' : ''} ${inspected.join(', ')}: inspect: sip (following SDP to classify the media streams it announces) has no ${format} equivalent;` +
      ' here media streams take the class of the port rules alone',
  ];
}

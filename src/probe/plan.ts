/**
 * Which probes to send: for each class with a DSCP, a port the policy maps to
 * that class, per protocol, so the probe looks to every classifier on the
 * path like the class's own traffic.
 */
import { compilePolicy, NO_RULE, type CompiledPolicy } from '../classify/compile.js';
import { KEEP, type Policy, type Protocol } from '../classify/policy.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../parse/ip-protocol.js';

export interface ProbeKind {
  index: number;
  className: string;
  protocol: Protocol;
  srcPort: number;
  dstPort: number;
  /** The class's DSCP: what the probe is marked with. */
  dscp: number;
  /** The class's CoS (KEEP when none), for the diagnosis. */
  cos: number;
  /** "voice", or "signalling/tcp" when the class is probed over two protocols. */
  label: string;
}

export interface ProbePlan {
  kinds: ProbeKind[];
  /** Classes asked for (or all with a DSCP), in policy order. */
  classes: string[];
  /** Classes left out, with the reason. */
  skipped: { className: string; reason: string }[];
}

export class PlanError extends Error {}

/** Ephemeral-range source ports tried for TCP, and for UDP when the destination port alone is not enough. */
const EPHEMERAL = [40000, 40002, 40004, 40006, 40008, 45000, 50000, 55000, 60000];

function protoNumber(p: Protocol): number {
  return p === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP;
}

/**
 * The probe plan for `wanted` classes (null: every class with a DSCP).
 * Throws PlanError for an unknown class or one that keeps DSCP.
 */
export function planProbes(policy: Policy, wanted: string[] | null): ProbePlan {
  const compiled = compilePolicy(policy);
  const all = [...policy.classes.keys()];
  let classes: string[];
  if (wanted === null) {
    classes = all.filter((c) => policy.classes.get(c)!.dscp !== KEEP);
  } else {
    for (const c of wanted) {
      if (!policy.classes.has(c)) throw new PlanError(`unknown class "${c}" (the policy has ${all.join(', ')})`);
      if (policy.classes.get(c)!.dscp === KEEP) throw new PlanError(`class "${c}" keeps DSCP as found: nothing to probe`);
    }
    classes = all.filter((c) => wanted.includes(c));
  }
  const kinds: ProbeKind[] = [];
  const skipped: ProbePlan['skipped'] = [];
  const mediaClasses = [...new Set(policy.media.values())];
  const used = new Set<string>();
  for (const className of classes) {
    const marking = policy.classes.get(className)!;
    const found: Omit<ProbeKind, 'index' | 'label'>[] = [];
    for (const protocol of ['udp', 'tcp'] as const) {
      const ports = portsFor(compiled, policy, className, protocol, mediaClasses);
      if (ports === null) continue;
      const key = `${protocol}/${ports.srcPort}/${ports.dstPort}`;
      if (used.has(key)) continue;
      used.add(key);
      found.push({ className, protocol, ...ports, dscp: marking.dscp, cos: marking.cos });
    }
    if (found.length === 0) {
      skipped.push({ className, reason: 'no port rule maps to it' });
      continue;
    }
    // TCP first, as the brief lists signalling (TCP 5060, then UDP 5060).
    found.sort((a, b) => (a.protocol === b.protocol ? 0 : a.protocol === 'tcp' ? -1 : 1));
    for (const k of found) {
      kinds.push({ ...k, index: kinds.length, label: found.length > 1 ? `${className}/${k.protocol}` : className });
    }
  }
  return { kinds, classes: classes.filter((c) => !skipped.some((s) => s.className === c)), skipped };
}

function classOf(compiled: CompiledPolicy, protocol: Protocol, srcPort: number, dstPort: number): string | null {
  const rule = compiled.lookup(protoNumber(protocol), srcPort, dstPort);
  if (rule === NO_RULE) return null;
  return compiled.classNames[compiled.ruleClass[rule]];
}

/**
 * Ports for a class and protocol: the first port of the first rule for the
 * class; for a media class without a rule of its own (video, mapped by SDP),
 * a port of the media range (RTP), one per media class. Null when none works.
 */
function portsFor(
  compiled: CompiledPolicy,
  policy: Policy,
  className: string,
  protocol: Protocol,
  mediaClasses: string[],
): { srcPort: number; dstPort: number } | null {
  const own = policy.rules.filter((r) => r.className === className && r.protocols.includes(protocol));
  for (const rule of own) {
    for (const range of rule.ports) {
      for (let dstPort = range.lo; dstPort <= Math.min(range.hi, range.lo + 64); dstPort++) {
        const src = pickSource(compiled, protocol, dstPort, (c) => c === className);
        if (src !== null) return { srcPort: src, dstPort };
      }
    }
  }
  // A media class that only SDP names: use the media (RTP) range of another media class's rule.
  const mediaIndex = mediaClasses.indexOf(className);
  if (mediaIndex < 0 || protocol !== 'udp') return null;
  for (const rule of policy.rules) {
    if (!rule.protocols.includes('udp') || !mediaClasses.includes(rule.className)) continue;
    for (const range of rule.ports) {
      if (range.hi - range.lo < 2 * mediaClasses.length) continue;
      const base = range.lo + (range.lo & 1);
      const dstPort = base + 2 * mediaIndex;
      if (dstPort > range.hi) continue;
      const media = rule.className;
      const src = pickSource(compiled, 'udp', dstPort, (c) => c === media);
      if (src !== null) return { srcPort: src, dstPort };
    }
  }
  return null;
}

/** A source port that keeps the packet in the class `ok` accepts: the destination port itself first (RTP, SIP), then ephemeral ports. */
function pickSource(compiled: CompiledPolicy, protocol: Protocol, dstPort: number, ok: (cls: string | null) => boolean): number | null {
  const candidates = protocol === 'udp' ? [dstPort, ...EPHEMERAL] : EPHEMERAL;
  for (const srcPort of candidates) {
    if (srcPort === 0) continue;
    if (ok(classOf(compiled, protocol, srcPort, dstPort))) return srcPort;
  }
  return null;
}

/**
 * A probe run as text (traceroute with marking columns, then one verdict line
 * per class) and as one JSON object (schema in docs/probe.md).
 */
import { dscpLabel } from '../classify/dscp.js';
import type { HopResult, ProbeAnswer, ProbeRun, SlotResult } from './engine.js';
import type { ProbeKind } from './plan.js';
import type { ClassVerdict } from './verdict.js';
import { ECN_ECT0, ECN_NOT_ECT, ecnKey, ecnLabel } from './wire.js';

export const PROBE_JSON_VERSION = 1;

function pad(s: string, n: number): string {
  return s.length >= n ? `${s} ` : s + ' '.repeat(n - s.length);
}

function cell(h: HopResult, kind: ProbeKind): string {
  const slots = h.slots.filter((s) => s.kind.index === kind.index);
  const notEct = slots.find((s) => s.ecnSent === ECN_NOT_ECT)?.answer ?? null;
  const ect0 = slots.find((s) => s.ecnSent === ECN_ECT0)?.answer ?? null;
  const first = notEct ?? ect0;
  if (first === null) return '*';
  if (first.quote === null) return first.kind === 'tcp-syn-ack' ? 'syn-ack' : 'reset';
  const dscpFrom = notEct?.quote ? notEct : ect0!;
  const dscp = dscpLabel(dscpFrom.quote!.dscp);
  const ecn = ect0?.quote ? ecnLabel(ect0.quote.ecn) : '*';
  return `${dscp} ${ecn}`;
}

function answers(h: HopResult): ProbeAnswer[] {
  return h.slots.map((s) => s.answer).filter((a): a is ProbeAnswer => a !== null);
}

function hopAddress(h: HopResult): string {
  const from = [...new Set(answers(h).map((a) => a.from))];
  if (from.length === 0) return '*';
  return from.length === 1 ? from[0] : `${from[0]} (+${from.length - 1})`;
}

function hopRtt(h: HopResult): string {
  const rtts = answers(h).map((a) => a.rttMs);
  if (rtts.length === 0) return '';
  return `${Math.min(...rtts).toFixed(3)} ms`;
}

export function renderText(run: ProbeRun, verdicts: ClassVerdict[]): string {
  const { endpoint: ep, options: o, plan } = run;
  const out: string[] = [];
  out.push(
    `qosmark probe to ${ep.target} from ${ep.source}, ${o.maxHops} hops max, ${o.tries} tries, ${o.waitMs / 1000} s wait` +
      (run.reflector ? `, reflector ${fmtHostPort(run.reflector.address, run.reflector.port)}` : ''),
  );
  out.push(
    `probes: ${plan.kinds.map((k) => `${k.label} ${k.protocol} ${k.srcPort}>${k.dstPort} ${dscpLabel(k.dscp)}`).join(', ')}; ` +
      'each hop: DSCP as quoted, and the ECN of the ECT(0) probe',
  );
  for (const s of plan.skipped) out.push(`skipped ${s.className}: ${s.reason}`);
  const addrWidth = Math.max(16, ...run.hops.map((h) => hopAddress(h).length + 2));
  const colWidth = Math.max(16, ...plan.kinds.map((k) => k.label.length + 2));
  out.push(`${pad('hop', 4)}${pad('address', addrWidth)}${pad('rtt', 12)}${plan.kinds.map((k) => pad(k.label, colWidth)).join('')}`.trimEnd());
  for (const h of run.hops) {
    let line = `${pad(String(h.hop).padStart(3), 4)}${pad(hopAddress(h), addrWidth)}${pad(hopRtt(h), 12)}`;
    line += plan.kinds.map((k) => pad(cell(h, k), colWidth)).join('');
    const tags: string[] = [];
    if (run.destination.reached && h.hop === run.destination.hop) tags.push('destination');
    if (run.destination.unreachable && h.hop === run.destination.unreachable.hop) tags.push(`unreachable: ${run.destination.unreachable.reason}`);
    if (run.rateLimitedHops.includes(h.hop)) tags.push('rate-limited?');
    if (tags.length > 0) line += `[${tags.join(', ')}]`;
    out.push(line.trimEnd());
  }
  if (run.destination.unreachable) out.push(`destination unreachable: ${run.destination.unreachable.message}`);
  else if (!run.destination.reached) out.push(`destination ${ep.target} not reached`);
  if (run.stamp !== null && run.reflector !== null) {
    const answered = run.stamp.filter((s) => s.answered);
    const ttl = answered.find((s) => s.receivedTtl !== null)?.receivedTtl;
    out.push(
      `reflector ${fmtHostPort(run.reflector.address, run.reflector.port)} (STAMP): ` +
        (answered.length === 0
          ? 'no answer'
          : `${answered.length} of ${run.stamp.length} answered${ttl != null ? `, arrived with TTL ${ttl}` : ''}`),
    );
    for (const s of run.stamp) {
      const sent = `${dscpLabel(s.kind.dscp)} ${ecnLabel(s.ecnSent)}`;
      if (!s.answered) {
        out.push(`  ${pad(s.className, colWidth)}sent ${pad(sent, 18)}*`);
        continue;
      }
      const arrived = s.receivedDscp === null ? 'no CoS TLV' : `${dscpLabel(s.receivedDscp)} ${ecnLabel(s.receivedEcn ?? 0)}`;
      const back = s.reverseDscp === null ? 'not visible' : dscpLabel(s.reverseDscp);
      out.push(
        `  ${pad(s.className, colWidth)}sent ${pad(sent, 18)}arrived as ${pad(arrived, 18)}came back as ${pad(back, 12)}(asked ${dscpLabel(s.requestedDscp)}) ${s.rttMs?.toFixed(3)} ms`,
      );
    }
  }
  for (const n of run.notes) out.push(`note: ${n}`);
  for (const v of verdicts) out.push(v.text);
  return `${out.join('\n')}\n`;
}

function fmtHostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function answerJson(a: ProbeAnswer | null) {
  if (a === null) return null;
  return {
    type: a.kind,
    from: a.from,
    rttMs: a.rttMs,
    attempt: a.attempt,
    dscp: a.quote?.dscp ?? null,
    dscpLabel: a.quote ? dscpLabel(a.quote.dscp) : null,
    ecn: a.quote ? ecnKey(a.quote.ecn) : null,
    quotedTtl: a.quote?.ttl ?? null,
    unreachableReason: a.kind === 'unreachable' || a.kind === 'port-unreachable' ? a.reason : null,
    extension: a.extension,
  };
}

function slotJson(s: SlotResult) {
  return {
    probe: s.kind.label,
    class: s.kind.className,
    protocol: s.kind.protocol,
    ecnSent: ecnKey(s.ecnSent),
    attempts: s.attempts,
    answer: answerJson(s.answer),
  };
}

function kindJson(k: ProbeKind) {
  return { probe: k.label, class: k.className, protocol: k.protocol, srcPort: k.srcPort, dstPort: k.dstPort, dscp: k.dscp, dscpLabel: dscpLabel(k.dscp) };
}

const changeJson = (c: { hop: number; address: string; value: number; lastKeptHop: number } | null, ecn: boolean) =>
  c === null
    ? null
    : { hop: c.hop, address: c.address, lastKeptHop: c.lastKeptHop, ...(ecn ? { ecn: ecnKey(c.value) } : { dscp: c.value, dscpLabel: dscpLabel(c.value) }) };

export function renderJson(run: ProbeRun, verdicts: ClassVerdict[], host: string): Record<string, unknown> {
  return {
    command: 'probe',
    version: PROBE_JSON_VERSION,
    host,
    target: run.endpoint.target,
    family: run.endpoint.family,
    source: run.endpoint.source,
    reflector: run.reflector ? { address: run.reflector.address, port: run.reflector.port } : null,
    options: { maxHops: run.options.maxHops, tries: run.options.tries, waitSec: run.options.waitMs / 1000 },
    probes: run.plan.kinds.map(kindJson),
    skipped: run.plan.skipped,
    hops: run.hops.map((h) => ({
      hop: h.hop,
      addresses: [...new Set(answers(h).map((a) => a.from))],
      rttMs: answers(h).length ? Math.min(...answers(h).map((a) => a.rttMs)) : null,
      rateLimited: run.rateLimitedHops.includes(h.hop),
      quotes: h.slots.map(slotJson),
    })),
    destination: run.destination,
    stamp:
      run.stamp === null
        ? null
        : run.stamp.map((s) => ({
            class: s.className,
            ecnSent: ecnKey(s.ecnSent),
            attempts: s.attempts,
            answered: s.answered,
            rttMs: s.rttMs,
            receivedDscp: s.receivedDscp,
            receivedEcn: s.receivedEcn === null ? null : ecnKey(s.receivedEcn),
            receivedTtl: s.receivedTtl,
            requestedDscp: s.requestedDscp,
            rp: s.rp,
            reverseDscp: s.reverseDscp,
            reverseEcn: s.reverseEcn === null ? null : ecnKey(s.reverseEcn),
          })),
    reverseVisible: run.reverseVisible,
    verdicts: verdicts.map((v) => ({
      class: v.className,
      sent: v.sent,
      sentLabel: dscpLabel(v.sent),
      kept: v.kept,
      remarked: v.remarked,
      ecnCleared: v.ecnCleared,
      probes: v.findings.map((f) => ({
        probe: f.kind.label,
        quotedHops: f.quotedHops,
        lastKeptHop: f.lastKeptHop,
        dscpChange: changeJson(f.dscpChange, false),
        ecnChange: changeJson(f.ecnChange, true),
      })),
      reflector: v.reflector,
      cause: v.cause,
      text: v.text,
    })),
    notes: run.notes,
    durationMs: run.durationMs,
  };
}

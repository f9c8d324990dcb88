/**
 * Where a class's marking changed: the first hop whose quote differs from
 * what was sent (tracebox-style), as an interval when hops in between did not
 * answer, then what the reflector saw, and the likely cause by the same rules
 * as audit's diagnosis (DSCP 8 x CoS: a CoS-to-DSCP map; 0: an untrusted
 * boundary).
 */
import { dscpLabel } from '../classify/dscp.js';
import { KEEP } from '../classify/policy.js';
import { COS_DSCP_MAP_FIX } from '../audit/diagnose.js';
import type { HopResult, ProbeRun, StampResult } from './engine.js';
import type { ProbeKind } from './plan.js';
import { ECN_CE, ECN_ECT0, ECN_NOT_ECT, ecnLabel } from './wire.js';

export type CauseId = 'cos-to-dscp-map' | 'untrusted-boundary' | 're-marked';

export interface Cause {
  id: CauseId;
  message: string;
  fix?: string;
}

export interface Change {
  /** First hop whose quote shows the new value. */
  hop: number;
  address: string;
  value: number;
  /** Last hop (0: the sender) seen with the value sent. */
  lastKeptHop: number;
}

export interface KindFinding {
  kind: ProbeKind;
  sent: number;
  /** Hops that quoted this kind's DSCP. */
  quotedHops: number[];
  /** Last hop whose quote showed the DSCP sent; 0 when none did. */
  lastKeptHop: number;
  dscpChange: Change | null;
  /** ECN: change of ECT(0) in the quotes of the ECT(0) probe (CE, congestion, is not a change). */
  ecnChange: Change | null;
}

export interface ClassVerdict {
  className: string;
  sent: number;
  findings: KindFinding[];
  /** As the reflector received it (null: no reflector, or no answer). */
  reflector: { dscp: number | null; ecnOfEct0: number | null; reverseDscp: number | null; requested: number } | null;
  /** True when neither the hops nor the reflector showed a different DSCP or a cleared ECT(0). */
  kept: boolean;
  /** DSCP re-marked somewhere (hops or reflector). */
  remarked: boolean;
  ecnCleared: boolean;
  cause: Cause | null;
  text: string;
}

/** The diagnosis for a class sent with `sent` and seen as `seen`. */
export function causeOf(sent: number, seen: number, cos: number): Cause {
  if (cos !== KEEP && cos > 0 && seen === cos * 8 && seen !== sent) {
    return {
      id: 'cos-to-dscp-map',
      message: `DSCP = 8 x the class's CoS ${cos}: consistent with a switch's default CoS-to-DSCP map rewriting DSCP from CoS on a port that trusts CoS`,
      fix: COS_DSCP_MAP_FIX,
    };
  }
  if (seen === 0) {
    return {
      id: 'untrusted-boundary',
      message: 'markings removed at an untrusted boundary (a port or interface that does not trust DSCP resets it to 0)',
    };
  }
  return { id: 're-marked', message: `re-marked to ${dscpLabel(seen)} by a policy on the path` };
}

function slotsOf(h: HopResult, kind: ProbeKind) {
  const notEct = h.slots.find((s) => s.kind.index === kind.index && s.ecnSent === ECN_NOT_ECT);
  const ect0 = h.slots.find((s) => s.kind.index === kind.index && s.ecnSent === ECN_ECT0);
  return { notEct, ect0 };
}

export function findKind(hops: HopResult[], kind: ProbeKind): KindFinding {
  const quotedHops: number[] = [];
  let lastKeptHop = 0;
  let dscpChange: Change | null = null;
  let lastEctHop = 0;
  let ecnChange: Change | null = null;
  for (const h of hops) {
    const { notEct, ect0 } = slotsOf(h, kind);
    const dscpSource = notEct?.answer?.quote ? notEct.answer : ect0?.answer?.quote ? ect0.answer : null;
    if (dscpSource !== null && dscpSource.quote !== null) {
      quotedHops.push(h.hop);
      const v = dscpSource.quote.dscp;
      if (dscpChange === null) {
        if (v === kind.dscp) lastKeptHop = h.hop;
        else dscpChange = { hop: h.hop, address: dscpSource.from, value: v, lastKeptHop };
      }
    }
    const e = ect0?.answer;
    if (e?.quote && ecnChange === null) {
      const v = e.quote.ecn;
      if (v === ECN_ECT0 || v === ECN_CE) lastEctHop = h.hop;
      else ecnChange = { hop: h.hop, address: e.from, value: v, lastKeptHop: lastEctHop };
    }
  }
  return { kind, sent: kind.dscp, quotedHops, lastKeptHop, dscpChange, ecnChange };
}

function hopPhrase(c: Change, what: string): string {
  const at = `first seen as ${what} at hop ${c.hop} (${c.address})`;
  if (c.hop - c.lastKeptHop <= 1) return at;
  const from = c.lastKeptHop === 0 ? 'the sender' : `hop ${c.lastKeptHop}`;
  return `${at}, changed between ${from} and hop ${c.hop}`;
}

function stampOf(stamp: StampResult[] | null, className: string) {
  if (stamp === null) return null;
  const mine = stamp.filter((s) => s.className === className);
  if (mine.length === 0) return null;
  const notEct = mine.find((s) => s.ecnSent === ECN_NOT_ECT && s.answered && s.receivedDscp !== null);
  const ect0 = mine.find((s) => s.ecnSent === ECN_ECT0 && s.answered && s.receivedDscp !== null);
  const any = notEct ?? ect0 ?? null;
  const reverse = mine.find((s) => s.answered && s.reverseDscp !== null);
  return {
    dscp: any?.receivedDscp ?? null,
    ecnOfEct0: ect0?.receivedEcn ?? null,
    reverseDscp: reverse?.reverseDscp ?? null,
    requested: mine[0].requestedDscp,
  };
}

function findingPhrase(f: KindFinding): string {
  if (f.dscpChange !== null) return hopPhrase(f.dscpChange, dscpLabel(f.dscpChange.value));
  if (f.quotedHops.length === 0) return 'no hop quoted it';
  return `kept to hop ${f.lastKeptHop}`;
}

/** The verdict for one class of a run. */
export function classVerdict(run: ProbeRun, className: string): ClassVerdict {
  const kinds = run.plan.kinds.filter((k) => k.className === className);
  const findings = kinds.map((k) => findKind(run.hops, k));
  const sent = kinds[0].dscp;
  const cos = kinds[0].cos;
  const reflector = stampOf(run.stamp, className);
  const hopChange = findings.find((f) => f.dscpChange !== null)?.dscpChange ?? null;
  const reflectorChanged = reflector !== null && reflector.dscp !== null && reflector.dscp !== sent;
  const remarked = hopChange !== null || reflectorChanged;
  const ecnHop = findings.find((f) => f.ecnChange !== null)?.ecnChange ?? null;
  const ecnReflector = reflector !== null && reflector.ecnOfEct0 !== null && reflector.ecnOfEct0 !== ECN_ECT0 && reflector.ecnOfEct0 !== ECN_CE;
  const ecnCleared = ecnHop !== null || ecnReflector;
  const seen = hopChange?.value ?? (reflectorChanged ? reflector!.dscp! : null);
  const cause = seen === null ? null : causeOf(sent, seen, cos);

  let body: string;
  const same = findings.every((f) => findingPhrase(f) === findingPhrase(findings[0]));
  if (findings.length === 1 || same) {
    body = findingPhrase(findings[0]);
  } else {
    body = findings.map((f) => `${f.kind.protocol}: ${findingPhrase(f)}`).join('; ');
  }
  const parts: string[] = [`${className}: sent ${dscpLabel(sent)}`];
  const anyQuoted = findings.some((f) => f.quotedHops.length > 0);
  if (!remarked && (anyQuoted || (reflector !== null && reflector.dscp !== null))) {
    const answered = findings.reduce((n, f) => Math.max(n, f.quotedHops.length), 0);
    const where = answered > 0 ? `${answered} hop${answered === 1 ? '' : 's'} quoted` : 'no hop quoted';
    const toReflector = reflector?.dscp != null ? `, reached the reflector as ${dscpLabel(reflector.dscp)}` : '';
    if (run.destination.reached || toReflector !== '') parts[0] += `, kept end to end (${where}${toReflector})`;
    else {
      const last = findings.reduce((n, f) => Math.max(n, f.lastKeptHop), 0);
      parts[0] += `, kept as far as it was seen (to hop ${last}; the destination was not reached)`;
    }
  } else {
    parts[0] += `, ${body}`;
    if (reflector !== null) {
      parts[0] +=
        reflector.dscp !== null
          ? `; reached the reflector as ${dscpLabel(reflector.dscp)}`
          : '; the reflector did not answer';
    }
  }
  let text = parts[0];
  if (hopChange === null && reflectorChanged) {
    const last = findings.reduce((n, f) => Math.max(n, f.lastKeptHop), 0);
    text += last > 0 ? `, changed after hop ${last}` : '';
  }
  if (cause !== null) text += `; likely cause: ${cause.message}${cause.fix ? ` (fix: ${cause.fix})` : ''}`;
  if (ecnHop !== null) {
    text += `; ECN: ECT(0) ${hopPhrase(ecnHop, ecnLabel(ecnHop.value))}`;
  } else if (ecnReflector) {
    text += `; ECN: ECT(0) reached the reflector as ${ecnLabel(reflector!.ecnOfEct0!)}`;
  }
  if (reflector !== null && reflector.reverseDscp !== null) {
    text += `; reflected with ${dscpLabel(reflector.requested)}, came back as ${dscpLabel(reflector.reverseDscp)}`;
  }
  return {
    className,
    sent,
    findings,
    reflector,
    kept: !remarked && !ecnCleared,
    remarked,
    ecnCleared,
    cause,
    text,
  };
}

export function verdicts(run: ProbeRun): ClassVerdict[] {
  return run.plan.classes.filter((c) => run.plan.kinds.some((k) => k.className === c)).map((c) => classVerdict(run, c));
}

/**
 * Builds the audit report object (the `--json` schema, documented in the
 * README) from the auditor's counts, after the loop.
 */
import { dscpLabel } from '../classify/dscp.js';
import { KEEP } from '../classify/policy.js';
import type { Pipeline } from '../engine/pipeline.js';
import { ipProtocolName } from '../parse/ip-protocol.js';
import { ST_COUNT, isMalformed, statusName } from '../parse/status.js';
import { Auditor, COS_UNTAGGED_INDEX, OTHER_APP } from './auditor.js';
import { formatAddress, type Conversation } from './conversations.js';
import { diagnose, type Diagnosis } from './diagnose.js';
import { V_COUNT, VERDICT_NAMES, isMismarked } from './verdict.js';

export const TOP_CONVERSATIONS = 10;
const TIMELINE_MAX_BUCKETS = 120;

export interface VerdictCounts {
  packets: number;
  bytes: number;
  ok: number;
  mismarked: number;
  verdicts: Record<string, number>;
}

export interface ClassReport extends VerdictCounts {
  expectedDscp: number | null;
  expectedCos: number | null;
  dscpFound: Record<string, number>;
  cosFound: Record<string, number>;
}

export interface AppReport extends VerdictCounts {
  class: string | null;
}

export interface ConversationReport {
  proto: string;
  a: string;
  aPort: number;
  b: string;
  bPort: number;
  class: string;
  rule: string | null;
  packets: number;
  mismarked: number;
  dscpAtoB: Record<string, number>;
  dscpBtoA: Record<string, number>;
  firstSeen: number;
  lastSeen: number;
}

export interface StreamReport {
  media: string;
  class: string;
  address: string;
  port: number;
  rtcpPort: number;
  setupFrame: number;
  packets: number;
  expectedDscp: number | null;
  expectedCos: number | null;
  dscpFound: Record<string, number>;
  /** ok, mismarked (some packets off the expected DSCP), or no-packets. */
  verdict: 'ok' | 'mismarked' | 'no-packets';
}

export interface CallReport {
  callId: string;
  from: string;
  to: string;
  start: number;
  end: number | null;
  endReason: string | null;
  streams: StreamReport[];
}

export interface SipReport {
  followed: boolean;
  messages: number;
  withSdp: number;
  /** TCP connections on SIP ports that were TLS: calls that could not be followed. */
  tlsConnections: number;
  notSip: number;
  tcpGaps: number;
  tcpOverflows: number;
  reassemblyDropped: number;
  mediaEntries: number;
  mediaEvictions: number;
  mediaExpirations: number;
  callsNotRecorded: number;
}

export interface AuditReport {
  packets: number;
  bytes: number;
  mismarked: number;
  verdicts: Record<string, number>;
  byClass: Record<string, ClassReport>;
  byApp: Record<string, AppReport>;
  dscpFound: Record<string, number>;
  cosFound: Record<string, number>;
  conversations: ConversationReport[];
  conversationCount: number;
  /** Conversations with at least one mismarked packet (those `conversations` lists the top of). */
  mismarkedConversationCount: number;
  /** Packets of conversations past the table's bound (MAX_CONVERSATIONS), not tracked. */
  packetsInUntrackedConversations: number;
  diagnoses: Diagnosis[];
  malformed: Record<string, number>;
  timeline: { bucketSeconds: number; start: number | null; buckets: { t: number; packets: number; mismarked: number }[] };
  sip: SipReport;
  calls: CallReport[];
  /** Present with --rtp-heuristic: the flows it judged to be video. */
  rtpHeuristic: { videoFlows: number; otherFlows: number; conversations: ConversationReport[] } | null;
}

function histogram(values: Float64Array, from: number, count: number, label: (i: number) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < count; i++) {
    const n = values[from + i];
    if (n > 0) out[label(i)] = n;
  }
  return out;
}

const cosLabel = (i: number): string => (i === COS_UNTAGGED_INDEX ? 'untagged' : String(i));

function verdictCounts(rows: Float64Array, row: number, bytes: number): VerdictCounts {
  const verdicts: Record<string, number> = {};
  let packets = 0;
  let mismarked = 0;
  for (let v = 0; v < V_COUNT; v++) {
    const n = rows[row * V_COUNT + v];
    verdicts[VERDICT_NAMES[v]] = n;
    packets += n;
    if (isMismarked(v)) mismarked += n;
  }
  return { packets, bytes, ok: verdicts.ok, mismarked, verdicts };
}

function conversationReport(c: Conversation, pipeline: Pipeline): ConversationReport {
  return {
    proto: ipProtocolName(c.proto),
    a: formatAddress(c.addrs, 0, c.ipVersion),
    aPort: c.portA,
    b: formatAddress(c.addrs, 1, c.ipVersion),
    bPort: c.portB,
    class: pipeline.policy.classNames[c.classIndex],
    rule: c.ruleIndex >= 0 ? pipeline.policy.ruleNames[c.ruleIndex] : null,
    packets: c.totalPackets,
    mismarked: c.totalMismarked,
    dscpAtoB: c.dscpHistogram(0),
    dscpBtoA: c.dscpHistogram(1),
    firstSeen: c.firstSec,
    lastSeen: c.lastSec,
  };
}

function timeline(perSecond: Map<number, number[]>): AuditReport['timeline'] {
  if (perSecond.size === 0) return { bucketSeconds: 1, start: null, buckets: [] };
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  const start = seconds[0];
  const span = seconds[seconds.length - 1] - start + 1;
  const bucketSeconds = Math.max(1, Math.ceil(span / TIMELINE_MAX_BUCKETS));
  const buckets = new Map<number, { t: number; packets: number; mismarked: number }>();
  for (const s of seconds) {
    const t = start + Math.floor((s - start) / bucketSeconds) * bucketSeconds;
    const [packets, mismarked] = perSecond.get(s)!;
    const b = buckets.get(t) ?? { t, packets: 0, mismarked: 0 };
    b.packets += packets;
    b.mismarked += mismarked;
    buckets.set(t, b);
  }
  return { bucketSeconds, start, buckets: [...buckets.values()] };
}

export function buildAuditReport(auditor: Auditor, pipeline: Pipeline): AuditReport {
  const policy = pipeline.policy;
  auditor.summarise(policy);
  const classNames = policy.classNames;
  const byClass: Record<string, ClassReport> = {};
  classNames.forEach((name, i) => {
    const counts = verdictCounts(auditor.classVerdicts, i, auditor.classBytes[i]);
    if (counts.packets === 0) return;
    byClass[name] = {
      ...counts,
      expectedDscp: policy.classDscp[i] === KEEP ? null : policy.classDscp[i],
      expectedCos: policy.classCos[i] === KEEP ? null : policy.classCos[i],
      dscpFound: histogram(auditor.classDscpFound, i * 64, 64, String),
      cosFound: histogram(auditor.classCosFound, i * 9, 9, cosLabel),
    };
  });
  const byApp: Record<string, AppReport> = {};
  const ruleCount = policy.ruleNames.length;
  for (let r = 0; r <= ruleCount; r++) {
    const counts = verdictCounts(auditor.appVerdicts, r, auditor.appBytes[r]);
    if (counts.packets === 0) continue;
    const name = r < ruleCount ? policy.ruleNames[r] : OTHER_APP;
    byApp[name] = { ...counts, class: r < ruleCount ? classNames[policy.ruleClass[r]] : null };
  }
  const verdicts: Record<string, number> = {};
  let mismarked = 0;
  for (let v = 0; v < V_COUNT; v++) {
    verdicts[VERDICT_NAMES[v]] = auditor.verdicts[v];
    if (isMismarked(v)) mismarked += auditor.verdicts[v];
  }
  const malformed: Record<string, number> = {};
  for (let s = 0; s < ST_COUNT; s++) {
    const n = pipeline.counters.byStatus[s];
    if (n > 0 && isMalformed(s)) malformed[statusName(s)] = n;
  }
  const mismarkedConversations = auditor.conversations.all.filter((c) => c.totalMismarked > 0);
  const conversations = mismarkedConversations
    .sort((x, y) => y.totalMismarked - x.totalMismarked || y.totalPackets - x.totalPackets)
    .slice(0, TOP_CONVERSATIONS)
    .map((c) => conversationReport(c, pipeline));
  return {
    packets: pipeline.counters.frames,
    bytes: pipeline.counters.capturedBytes,
    mismarked,
    verdicts,
    byClass,
    byApp,
    dscpFound: histogram(auditor.dscpFound, 0, 64, String),
    cosFound: histogram(auditor.cosFound, 0, 9, cosLabel),
    conversations,
    conversationCount: auditor.conversations.all.length,
    mismarkedConversationCount: mismarkedConversations.length,
    packetsInUntrackedConversations: auditor.conversations.overflow,
    diagnoses: diagnose(auditor, pipeline),
    malformed,
    timeline: timeline(auditor.perSecond),
    sip: sipReport(pipeline),
    calls: callReports(pipeline),
    rtpHeuristic: heuristicReport(auditor, pipeline),
  };
}

function heuristicReport(auditor: Auditor, pipeline: Pipeline): AuditReport['rtpHeuristic'] {
  const rtp = pipeline.classifier.rtpHeuristic;
  if (rtp === null) return null;
  return {
    videoFlows: rtp.decidedVideo,
    otherFlows: rtp.decidedVoice,
    conversations: auditor.conversations.all.filter((c) => c.heuristicPackets > 0).map((c) => conversationReport(c, pipeline)),
  };
}

function sipReport(pipeline: Pipeline): SipReport {
  const sip = pipeline.sip;
  const c = sip?.counters;
  return {
    followed: sip !== null,
    messages: c?.messages ?? 0,
    withSdp: c?.withSdp ?? 0,
    tlsConnections: c?.tlsConnections ?? 0,
    notSip: c?.notSip ?? 0,
    tcpGaps: c?.tcpGaps ?? 0,
    tcpOverflows: c?.tcpOverflows ?? 0,
    reassemblyDropped: c?.reassemblyDropped ?? 0,
    mediaEntries: sip?.media.size ?? 0,
    mediaEvictions: sip?.media.evictions ?? 0,
    mediaExpirations: sip?.media.expirations ?? 0,
    callsNotRecorded: c?.callsNotRecorded ?? 0,
  };
}

function callReports(pipeline: Pipeline): CallReport[] {
  const sip = pipeline.sip;
  if (sip === null) return [];
  const policy = pipeline.policy;
  return sip.calls.map((call) => ({
    callId: call.callId,
    from: call.from,
    to: call.to,
    start: call.start,
    end: call.end,
    endReason: call.endReason,
    streams: call.streams.map((id) => {
      const s = sip.streams[id];
      const dscp = policy.classDscp[s.classIndex];
      const cos = policy.classCos[s.classIndex];
      let off = 0;
      for (let v = 0; v < 64; v++) if (dscp !== KEEP && v !== dscp) off += s.dscpFound[v];
      return {
        media: s.media,
        class: s.className,
        address: s.address,
        port: s.port,
        rtcpPort: s.rtcpPort,
        setupFrame: s.setupFrame,
        packets: s.packets,
        expectedDscp: dscp === KEEP ? null : dscp,
        expectedCos: cos === KEEP ? null : cos,
        dscpFound: histogram(s.dscpFound, 0, 64, String),
        verdict: s.packets === 0 ? 'no-packets' : off > 0 ? 'mismarked' : 'ok',
      } satisfies StreamReport;
    }),
  }));
}

/** "EF 46" or "keep". */
export function expectedLabel(value: number | null): string {
  return value === null ? 'keep' : dscpLabel(value);
}

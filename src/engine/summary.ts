/**
 * Turns run counters into the summary object that `--json` prints and the
 * text report is drawn from. Runs once, after the loop.
 */
import type { CompiledPolicy } from '../classify/compile.js';
import { KEEP } from '../classify/policy.js';
import { ST_COUNT, ST_NOT_IP, ST_OK, ST_UNSUPPORTED_LINKTYPE, isMalformed, isSnapTruncated, statusName } from '../parse/status.js';
import type { Pipeline } from './pipeline.js';

export interface ClassSummary {
  packets: number;
  bytes: number;
  dscp: number | null;
  cos: number | null;
  dscpChanged: number;
  cosChanged: number;
}

export interface RunSummary {
  packets: number;
  bytes: number;
  ipv4: number;
  ipv6: number;
  classes: Record<string, ClassSummary>;
  rules: Record<string, number>;
  dscpChanged: number;
  cosChanged: number;
  untaggedNoCos: number;
  notIp: number;
  unsupportedLinkType: number;
  truncated: Record<string, number>;
  malformed: Record<string, number>;
  malformedTotal: number;
  truncatedTotal: number;
  fragments: { nonFirstMatched: number; nonFirstUnmatched: number; tableEvictions: number };
  sdp: {
    followed: boolean;
    sipMessages: number;
    withSdp: number;
    packetsClassifiedBySdp: number;
    mediaEntries: number;
    mediaEvictions: number;
    tlsConnectionsNotFollowed: number;
    tcpGaps: number;
    tcpOverflows: number;
    notSip: number;
  };
}

export function summarize(pipeline: Pipeline): RunSummary {
  const c = pipeline.counters;
  const policy: CompiledPolicy = pipeline.policy;
  const classes: Record<string, ClassSummary> = {};
  policy.classNames.forEach((name, i) => {
    classes[name] = {
      packets: c.byClass[i],
      bytes: c.bytesByClass[i],
      dscp: policy.classDscp[i] === KEEP ? null : policy.classDscp[i],
      cos: policy.classCos[i] === KEEP ? null : policy.classCos[i],
      dscpChanged: c.dscpChangedByClass[i],
      cosChanged: c.cosChangedByClass[i],
    };
  });
  const rules: Record<string, number> = {};
  policy.ruleNames.forEach((name, i) => (rules[name] = c.byRule[i]));
  const truncated: Record<string, number> = {};
  const malformed: Record<string, number> = {};
  let truncatedTotal = 0;
  let malformedTotal = 0;
  for (let s = 0; s < ST_COUNT; s++) {
    const n = c.byStatus[s];
    if (n === 0 || s === ST_OK) continue;
    if (isMalformed(s)) {
      malformed[statusName(s)] = n;
      malformedTotal += n;
    } else if (isSnapTruncated(s)) {
      truncated[statusName(s)] = n;
      truncatedTotal += n;
    }
  }
  return {
    packets: c.frames,
    bytes: c.capturedBytes,
    ipv4: c.ipv4,
    ipv6: c.ipv6,
    classes,
    rules,
    dscpChanged: c.dscpChanged,
    cosChanged: c.cosChanged,
    untaggedNoCos: c.noTag,
    notIp: c.byStatus[ST_NOT_IP],
    unsupportedLinkType: c.byStatus[ST_UNSUPPORTED_LINKTYPE],
    truncated,
    malformed,
    malformedTotal,
    truncatedTotal,
    fragments: {
      nonFirstMatched: c.fragmentsMatched,
      nonFirstUnmatched: c.fragmentsUnmatched,
      tableEvictions: pipeline.classifier.fragments.evictions,
    },
    sdp: {
      followed: pipeline.sip !== null,
      sipMessages: pipeline.sip?.counters.messages ?? 0,
      withSdp: pipeline.sip?.counters.withSdp ?? 0,
      packetsClassifiedBySdp: c.viaSdp,
      mediaEntries: pipeline.sip?.media.size ?? 0,
      mediaEvictions: pipeline.sip?.media.evictions ?? 0,
      tlsConnectionsNotFollowed: pipeline.sip?.counters.tlsConnections ?? 0,
      tcpGaps: pipeline.sip?.counters.tcpGaps ?? 0,
      tcpOverflows: pipeline.sip?.counters.tcpOverflows ?? 0,
      notSip: pipeline.sip?.counters.notSip ?? 0,
    },
  };
}

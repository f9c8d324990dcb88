/**
 * The audit's per-packet observer: judges each packet's marking against the
 * policy and accumulates the counts the report is made of. It runs on the
 * shared pipeline with marking off, so what it sees is the file as captured.
 */
import { KEEP } from '../classify/policy.js';
import type { CompiledPolicy } from '../classify/compile.js';
import type { FrameObserver, Pipeline } from '../engine/pipeline.js';
import { COS_TAG_ALL, COS_TAG_INNER } from '../mark/cos.js';
import { ipv4Dscp, ipv4Ecn } from '../parse/ipv4.js';
import { ipv6Dscp, ipv6Ecn } from '../parse/ipv6.js';
import type { ParsedFrame } from '../parse/parsed-frame.js';
import { ipHeaderUsable, isMalformed } from '../parse/status.js';
import { vlanPcp } from '../parse/vlan.js';
import { ConversationTable } from './conversations.js';
import { V_COUNT, V_DSCP_MISMATCH, V_BOTH_MISMATCH, V_OK, isMismarked, judge } from './verdict.js';

/** Index of "untagged" in CoS histograms (after PCP 0..7). */
export const COS_UNTAGGED_INDEX = 8;
const COS_INDEXES = 9;
/** The tally's DSCP index for a packet without a usable IP header (after DSCP 0..63). */
const NO_DSCP_INDEX = 64;
const DSCP_INDEXES = 65;
/** Tally entries per class row. */
const TALLY_ROW = V_COUNT * DSCP_INDEXES * COS_INDEXES;
/** Catch-all application for packets no rule named. */
export const OTHER_APP = 'other';

/** Per-packet facts, refreshed for every packet (read by the JSON Lines writer). */
export class PacketFacts {
  frame = 0;
  tsSec = 0;
  tsNsec = 0;
  foundDscp = -1;
  foundEcn = -1;
  foundCos = -1;
  expectedDscp = KEEP;
  expectedCos = KEEP;
  verdict = V_OK;
}

export interface PacketSink {
  write(pipeline: Pipeline, buf: Uint8Array, facts: PacketFacts): void;
}

export class Auditor implements FrameObserver {
  readonly facts = new PacketFacts();
  /**
   * Packets per (class row, verdict, DSCP found, CoS found): one count per
   * packet in the loop, where the histograms below would be six, and the
   * diagnosis evidence some branches more. summarise() derives them all.
   */
  private readonly tally: Float64Array;
  readonly classBytes: Float64Array;
  /** [rule or OTHER][verdict]. */
  readonly appVerdicts: Float64Array;
  readonly appBytes: Float64Array;
  // From the tally, by summarise():
  readonly verdicts = new Float64Array(V_COUNT);
  /** [class][verdict] packet counts; the last class row is "no class". */
  readonly classVerdicts: Float64Array;
  /** [class][dscp 0..63] found. */
  readonly classDscpFound: Float64Array;
  /** [class][cos 0..7, untagged] found. */
  readonly classCosFound: Float64Array;
  readonly dscpFound = new Float64Array(64);
  readonly cosFound = new Float64Array(COS_INDEXES);
  /** Diagnosis evidence counts. */
  cosMapRewrite = 0;
  untrustedBoundary = 0;
  layer2Only = 0;
  readonly conversations = new ConversationTable();
  /** Whole seconds of capture time → [packets, mismarked]. */
  readonly perSecond = new Map<number, number[]>();
  private currentSecond = -1;
  private currentSlot: number[] = [0, 0];
  packetSink: PacketSink | null = null;

  private readonly classCount: number;
  private readonly ruleCount: number;

  constructor(
    classCount: number,
    ruleCount: number,
    private readonly cosTagMode: number,
  ) {
    this.classCount = classCount;
    this.ruleCount = ruleCount;
    this.tally = new Float64Array((classCount + 1) * TALLY_ROW);
    this.classVerdicts = new Float64Array((classCount + 1) * V_COUNT);
    this.classBytes = new Float64Array(classCount + 1);
    this.classDscpFound = new Float64Array((classCount + 1) * 64);
    this.classCosFound = new Float64Array((classCount + 1) * COS_INDEXES);
    this.appVerdicts = new Float64Array((ruleCount + 1) * V_COUNT);
    this.appBytes = new Float64Array(ruleCount + 1);
  }

  observe(pipeline: Pipeline, buf: Uint8Array, tsSec: number, tsNsec: number): void {
    const p = pipeline.parsed;
    const f = this.facts;
    const cls = pipeline.classifier.cls;
    const rule = pipeline.classifier.rule;
    const policy = pipeline.policy;
    f.frame++;
    f.tsSec = tsSec;
    f.tsNsec = tsNsec;
    readFound(buf, p, f, this.cosTagMode, cls >= 0 ? policy.classCos[cls] : KEEP);
    f.expectedDscp = cls >= 0 ? policy.classDscp[cls] : KEEP;
    f.expectedCos = cls >= 0 ? policy.classCos[cls] : KEEP;
    const verdict = judge(isMalformed(p.status), cls >= 0, rule >= 0, f.expectedDscp, f.expectedCos, f.foundDscp, f.foundCos);
    f.verdict = verdict;
    const bytes = p.capEnd - p.frameOff;

    const classRow = cls >= 0 ? cls : this.classCount;
    const dscpIndex = f.foundDscp >= 0 ? f.foundDscp : NO_DSCP_INDEX;
    const cosIndex = f.foundCos >= 0 ? f.foundCos : COS_UNTAGGED_INDEX;
    this.tally[tallyIndex(classRow, verdict, dscpIndex, cosIndex)]++;
    this.classBytes[classRow] += bytes;
    const appRow = rule >= 0 ? rule : this.ruleCount;
    this.appVerdicts[appRow * V_COUNT + verdict]++;
    this.appBytes[appRow] += bytes;
    const mismarked = isMismarked(verdict);
    // Only classes that expect a marking can have wrong-marking conversations worth listing.
    const expectsMarking = f.expectedDscp >= 0 || f.expectedCos >= 0;
    if (cls >= 0 && f.foundDscp >= 0 && expectsMarking) {
      const conv = this.conversations.track(buf, p, cls, rule);
      if (conv !== null) {
        const dir = this.conversations.direction;
        if (conv.packets[0] + conv.packets[1] === 0) conv.firstSec = tsSec;
        conv.lastSec = tsSec;
        conv.classIndex = cls;
        conv.packets[dir]++;
        if (mismarked) conv.mismarked[dir]++;
        conv.countDscp(dir, f.foundDscp);
        if (pipeline.classifier.viaHeuristic) conv.heuristicPackets++;
      }
    }
    const stream = pipeline.classifier.mediaStream;
    if (stream >= 0 && pipeline.sip !== null) {
      const record = pipeline.sip.streams[stream];
      record.packets++;
      if (f.foundDscp >= 0) record.dscpFound[f.foundDscp]++;
    }
    const second = Math.floor(tsSec);
    let slot = this.currentSlot;
    if (second !== this.currentSecond) {
      // Captures run forward in time: the map is consulted only when the second changes.
      const known = this.perSecond.get(second);
      slot = known ?? [0, 0];
      if (known === undefined) this.perSecond.set(second, slot);
      this.currentSecond = second;
      this.currentSlot = slot;
    }
    slot[0]++;
    if (mismarked) slot[1]++;
    if (this.packetSink !== null) this.packetSink.write(pipeline, buf, f);
  }

  /**
   * Fills the verdict and DSCP/CoS histograms and the diagnosis evidence from
   * the tally. Idempotent; run it before reading any of them.
   */
  summarise(policy: CompiledPolicy): void {
    for (const a of [this.verdicts, this.classVerdicts, this.classDscpFound, this.classCosFound, this.dscpFound, this.cosFound]) a.fill(0);
    this.cosMapRewrite = 0;
    this.untrustedBoundary = 0;
    this.layer2Only = 0;
    for (let classRow = 0; classRow <= this.classCount; classRow++) {
      const expectedDscp = classRow < this.classCount ? policy.classDscp[classRow] : KEEP;
      const expectedCos = classRow < this.classCount ? policy.classCos[classRow] : KEEP;
      for (let verdict = 0; verdict < V_COUNT; verdict++) {
        for (let dscpIndex = 0; dscpIndex < DSCP_INDEXES; dscpIndex++) {
          for (let cosIndex = 0; cosIndex < COS_INDEXES; cosIndex++) {
            const n = this.tally[tallyIndex(classRow, verdict, dscpIndex, cosIndex)];
            if (n === 0) continue;
            const foundDscp = dscpIndex === NO_DSCP_INDEX ? -1 : dscpIndex;
            const foundCos = cosIndex === COS_UNTAGGED_INDEX ? -1 : cosIndex;
            this.verdicts[verdict] += n;
            this.classVerdicts[classRow * V_COUNT + verdict] += n;
            if (foundDscp >= 0) {
              this.dscpFound[foundDscp] += n;
              this.classDscpFound[classRow * 64 + foundDscp] += n;
            }
            // CoS is there to count in every tagged frame, IP or not (a tagged ARP frame has a PCP too);
            // "untagged" is counted for IP frames only, which are what a CoS would be expected on.
            if (foundDscp >= 0 || foundCos >= 0) {
              this.cosFound[cosIndex] += n;
              this.classCosFound[classRow * COS_INDEXES + cosIndex] += n;
            }
            if (isMismarked(verdict) || verdict === V_OK) this.countEvidence(n, verdict, expectedDscp, expectedCos, foundDscp, foundCos);
          }
        }
      }
    }
  }

  /** Counts the patterns that point at a cause (see diagnose.ts). */
  private countEvidence(n: number, verdict: number, exp: number, expCos: number, foundDscp: number, foundCos: number): void {
    if (exp < 0) return;
    const dscpWrong = verdict === V_DSCP_MISMATCH || verdict === V_BOTH_MISMATCH;
    // A switch's default CoS-to-DSCP map sets DSCP = 8 x CoS: voice (CoS 5) arrives as 40.
    if (dscpWrong && expCos > 0 && foundDscp === expCos * 8) this.cosMapRewrite += n;
    else if (dscpWrong && foundDscp === 0 && foundCos <= 0 && exp !== 0) this.untrustedBoundary += n;
    if (!dscpWrong && expCos > 0 && foundCos === 0) this.layer2Only += n;
  }
}

/** Where a (class row, verdict, DSCP index, CoS index) count sits in the tally: the one layout observe() and summarise() share. */
function tallyIndex(classRow: number, verdict: number, dscpIndex: number, cosIndex: number): number {
  return classRow * TALLY_ROW + (verdict * DSCP_INDEXES + dscpIndex) * COS_INDEXES + cosIndex;
}

function readFound(buf: Uint8Array, p: ParsedFrame, f: PacketFacts, mode: number, wantCos: number): void {
  const usable = ipHeaderUsable(p.status);
  if (p.ipVersion === 4 && usable) {
    f.foundDscp = ipv4Dscp(buf, p.l3Off);
    f.foundEcn = ipv4Ecn(buf, p.l3Off);
  } else if (p.ipVersion === 6 && usable) {
    f.foundDscp = ipv6Dscp(buf, p.l3Off);
    f.foundEcn = ipv6Ecn(buf, p.l3Off);
  } else {
    f.foundDscp = -1;
    f.foundEcn = -1;
  }
  if (p.tagCount === 0) {
    f.foundCos = -1;
    return;
  }
  if (mode === COS_TAG_INNER) {
    f.foundCos = vlanPcp(buf, p.tagTciOff[p.tagCount - 1]);
    return;
  }
  f.foundCos = vlanPcp(buf, p.tagTciOff[0]);
  if (mode === COS_TAG_ALL && wantCos >= 0) {
    // Every tag should carry the CoS: report the first that does not.
    for (let i = 0; i < p.tagCount; i++) {
      const pcp = vlanPcp(buf, p.tagTciOff[i]);
      if (pcp !== wantCos) {
        f.foundCos = pcp;
        return;
      }
    }
  }
}

/**
 * Decides a parsed frame's class: port rules through the compiled tables,
 * the default class for other IP packets, and the first fragment's class for
 * later fragments. Results go into fields of this reused object.
 */
import { IPPROTO_TCP, IPPROTO_UDP } from '../parse/ip-protocol.js';
import { FRAG_FIRST, FRAG_NONFIRST, type ParsedFrame } from '../parse/parsed-frame.js';
import { ST_OK } from '../parse/status.js';
import { NO_RULE, type CompiledPolicy } from './compile.js';
import { FragmentTable } from './fragment-table.js';
import type { MediaTable } from './media-table.js';
import { DECIDED_VIDEO, type RtpHeuristic } from './rtp-heuristic.js';

/** Why a frame got no class (its marking is left as found). */
export const CLS_CLASSIFIED = 0;
/** Not parsed through IP and ports: non-IP, truncated, malformed. See the parse status. */
export const CLS_NOT_PARSED = 1;
/** A non-first fragment whose first fragment was not seen (or expired). */
export const CLS_FRAGMENT_UNMATCHED = 2;

/** No class: leave the frame's marking as found. */
export const NO_CLASS = -1;

export class Classifier {
  /** Rule index, or -1 for the default class and for unclassified frames. */
  rule = -1;
  /** Class index into the compiled policy, or NO_CLASS. */
  cls = NO_CLASS;
  outcome = CLS_CLASSIFIED;
  /** The SDP stream whose endpoint gave the class, or -1 when the port rules did. */
  mediaStream = -1;
  /** True when the class came from an SDP media endpoint. */
  viaSdp = false;
  /** True when --rtp-heuristic judged the flow to be video. */
  viaHeuristic = false;
  /** Set with setRtpHeuristic(): the audio and video classes it moves flows between. */
  private rtp: RtpHeuristic | null = null;
  private rtpAudioClass = -1;
  private rtpVideoClass = -1;
  readonly fragments: FragmentTable;

  constructor(
    readonly policy: CompiledPolicy,
    fragments = new FragmentTable(),
    /** Endpoints learnt from SDP; consulted before the port rules. */
    readonly media: MediaTable | null = null,
  ) {
    this.fragments = fragments;
  }

  /** Turns on the RTP payload-size heuristic for flows the port rules put in the audio class. */
  setRtpHeuristic(rtp: RtpHeuristic): void {
    const audio = this.policy.mediaClass.get('audio');
    const video = this.policy.mediaClass.get('video');
    if (audio === undefined || video === undefined) return;
    this.rtp = rtp;
    this.rtpAudioClass = audio;
    this.rtpVideoClass = video;
  }

  get rtpHeuristic(): RtpHeuristic | null {
    return this.rtp;
  }

  classify(buf: Uint8Array, p: ParsedFrame, nowSec: number): number {
    if (p.status !== ST_OK) return this.unclassified(CLS_NOT_PARSED);
    if (p.fragment === FRAG_NONFIRST) return this.classifyLaterFragment(buf, p, nowSec);
    const proto = p.proto;
    let rule = NO_RULE;
    if (proto === IPPROTO_UDP || proto === IPPROTO_TCP) rule = this.policy.lookup(proto, p.srcPort, p.dstPort);
    if (rule === NO_RULE) {
      this.rule = -1;
      this.cls = this.policy.defaultClass;
    } else {
      this.rule = rule;
      this.cls = this.policy.ruleClass[rule];
    }
    this.mediaStream = -1;
    this.viaSdp = false;
    this.viaHeuristic = false;
    // The SDP and heuristic steps sit in methods of their own, so that the
    // common path stays small enough for the JIT to inline into the loop.
    const media = this.media;
    if (media !== null && media.size > 0 && proto === IPPROTO_UDP && p.srcPort >= 0) this.applyMedia(media, buf, p, nowSec);
    if (this.rtp !== null && !this.viaSdp && this.cls === this.rtpAudioClass && proto === IPPROTO_UDP && p.srcPort >= 0) {
      this.applyRtpHeuristic(this.rtp, buf, p, nowSec);
    }
    this.outcome = CLS_CLASSIFIED;
    if (p.fragment === FRAG_FIRST) this.fragments.insert(buf, p, nowSec, this.rule, this.cls);
    return this.cls;
  }

  /** A non-first fragment takes the class its first fragment got. */
  private classifyLaterFragment(buf: Uint8Array, p: ParsedFrame, nowSec: number): number {
    if (!this.fragments.lookup(buf, p, nowSec)) return this.unclassified(CLS_FRAGMENT_UNMATCHED);
    this.rule = this.fragments.foundRule;
    this.cls = this.fragments.foundClass;
    this.outcome = CLS_CLASSIFIED;
    return this.cls;
  }

  /** The SDP is more specific than the port rules: it names this very endpoint. */
  private applyMedia(media: MediaTable, buf: Uint8Array, p: ParsedFrame, nowSec: number): void {
    if (!media.lookupPacket(buf, p, nowSec)) return;
    this.cls = media.foundClass;
    this.mediaStream = media.foundStream;
    this.viaSdp = true;
  }

  private applyRtpHeuristic(rtp: RtpHeuristic, buf: Uint8Array, p: ParsedFrame, nowSec: number): void {
    if (rtp.observe(buf, p, nowSec) !== DECIDED_VIDEO) return;
    this.cls = this.rtpVideoClass;
    this.viaHeuristic = true;
  }

  private unclassified(outcome: number): number {
    this.rule = -1;
    this.mediaStream = -1;
    this.viaSdp = false;
    this.cls = NO_CLASS;
    this.outcome = outcome;
    return NO_CLASS;
  }
}

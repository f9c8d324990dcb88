/**
 * The one loop behind `mark`, `audit` and `bridge`: a frame source hands each
 * frame here; it is parsed, classified, marked in place (unless marking is
 * off, as in audit), counted, and shown to an optional observer. The source
 * then sends the bytes to its sink. Nothing here allocates per frame.
 */
import { Classifier, CLS_FRAGMENT_UNMATCHED } from '../classify/classifier.js';
import type { CompiledPolicy } from '../classify/compile.js';
import { FragmentTable } from '../classify/fragment-table.js';
import { DEFAULT_MEDIA_ENTRIES, DEFAULT_MEDIA_IDLE_SEC, MediaTable } from '../classify/media-table.js';
import { RtpHeuristic } from '../classify/rtp-heuristic.js';
import { SipInspector } from '../classify/sip-inspector.js';
import { COS_TAG_OUTER } from '../mark/cos.js';
import { MARKED_COS, MARKED_DSCP, MARK_NO_TAG, markFrame } from '../mark/marker.js';
import { FRAG_NONFIRST } from '../parse/parsed-frame.js';
import { parseFrame } from '../parse/frame.js';
import { ParsedFrame } from '../parse/parsed-frame.js';
import { Counters } from './counters.js';

export interface PipelineOptions {
  /** COS_TAG_OUTER, COS_TAG_INNER or COS_TAG_ALL. */
  cosTagMode?: number;
  /** false: classify and count only (audit). */
  mark?: boolean;
  fragments?: FragmentTable;
  /** Follow SIP/SDP (default true when the policy has an `inspect: sip` rule). */
  sdp?: boolean;
  /** Keep per-call records for reports (audit). */
  recordCalls?: boolean;
  mediaEntries?: number;
  mediaIdleSec?: number;
  /** Judge RTP-range flows whose SIP was not seen by payload size (video vs voice). */
  rtpHeuristic?: boolean;
}

/** Sees every frame after it was classified (and marked, when marking is on). */
export interface FrameObserver {
  observe(pipeline: Pipeline, buf: Uint8Array, tsSec: number, tsNsec: number): void;
}

export class Pipeline {
  readonly parsed = new ParsedFrame();
  readonly classifier: Classifier;
  readonly counters: Counters;
  readonly cosTagMode: number;
  readonly marking: boolean;
  /** MARKED_* bits of the last frame. */
  lastMarkResult = 0;
  observer: FrameObserver | null = null;
  /** SIP/SDP following, or null when off. */
  readonly sip: SipInspector | null;

  constructor(
    readonly policy: CompiledPolicy,
    options: PipelineOptions = {},
  ) {
    const followSdp = (options.sdp ?? true) && policy.inspectsSip;
    const media = followSdp
      ? new MediaTable(options.mediaEntries ?? DEFAULT_MEDIA_ENTRIES, options.mediaIdleSec ?? DEFAULT_MEDIA_IDLE_SEC)
      : null;
    this.sip = media === null ? null : new SipInspector(media, policy.mediaClass, policy.classNames, options.recordCalls ?? false);
    this.classifier = new Classifier(policy, options.fragments ?? new FragmentTable(), media);
    if (options.rtpHeuristic) this.classifier.setRtpHeuristic(new RtpHeuristic());
    this.counters = new Counters(policy.classNames.length, policy.ruleNames.length);
    this.cosTagMode = options.cosTagMode ?? COS_TAG_OUTER;
    this.marking = options.mark ?? true;
  }

  handle(
    buf: Uint8Array,
    off: number,
    capLen: number,
    wireLen: number,
    linkType: number,
    tsSec: number,
    tsNsec: number,
  ): void {
    const p = this.parsed;
    const c = this.counters;
    c.frames++;
    c.capturedBytes += capLen;
    const status = parseFrame(buf, off, capLen, wireLen, linkType, p);
    c.byStatus[status]++;
    if (p.ipVersion === 4) c.ipv4++;
    else if (p.ipVersion === 6) c.ipv6++;

    // Whole seconds are fine for the 30 s fragment and 300 s SDP timeouts, and a
    // small integer passes between functions without boxing a heap number.
    const nowSec = tsSec;
    const cls = this.classifier.classify(buf, p, nowSec);
    let result = 0;
    if (cls >= 0) {
      c.byClass[cls]++;
      c.bytesByClass[cls] += capLen;
      const rule = this.classifier.rule;
      if (rule >= 0) c.byRule[rule]++;
      if (p.fragment === FRAG_NONFIRST) c.fragmentsMatched++;
      if (this.classifier.viaSdp) c.viaSdp++;
      if (this.marking) {
        result = markFrame(buf, p, this.policy.classDscp[cls], this.policy.classCos[cls], this.cosTagMode);
        if ((result & MARKED_DSCP) !== 0) {
          c.dscpChanged++;
          c.dscpChangedByClass[cls]++;
        }
        if ((result & MARKED_COS) !== 0) {
          c.cosChanged++;
          c.cosChangedByClass[cls]++;
        }
        if ((result & MARK_NO_TAG) !== 0) c.noTag++;
      }
    } else if (this.classifier.outcome === CLS_FRAGMENT_UNMATCHED) {
      c.fragmentsUnmatched++;
      // It may belong to a SIP datagram whose first fragment comes later.
      if (this.sip !== null) this.sip.holdFragment(buf, p);
    }
    this.lastMarkResult = result;
    if (this.observer !== null) this.observer.observe(this, buf, tsSec, tsNsec);
    // Read SIP after this frame is done: what it sets up applies from the next frame on.
    const rule = this.classifier.rule;
    if (this.sip !== null && rule >= 0 && this.policy.ruleInspectSip[rule] === 1) {
      this.sip.frame = c.frames;
      this.sip.inspect(buf, p, nowSec);
    }
  }
}

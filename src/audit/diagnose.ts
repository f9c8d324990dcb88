/**
 * Plain-word diagnoses drawn from the audit's evidence counts: which known
 * cause the mismarkings point at, with the count behind each.
 */
import type { Pipeline } from '../engine/pipeline.js';
import { DSCP_CS4, DSCP_EF } from '../classify/dscp.js';
import { countOf, grouped, verbFor } from '../format/numbers.js';
import type { Auditor } from './auditor.js';

/** AF41 (RFC 2597): the other common video marking. */
const DSCP_AF41 = 34;

export interface Diagnosis {
  id: 'cos-to-dscp-map' | 'untrusted-boundary' | 'layer2-only' | 'direction-mismatch' | 'video-in-priority-queue' | 'voice-as-video';
  /** The mismarked packets the diagnosis rests on. */
  packets: number;
  message: string;
  /** A configuration change that would fix it, or null where the cause is only narrowed down. */
  fix: string | null;
}

/** The map that makes CoS 5 → DSCP 46 (EF) instead of the default 40 (Cisco "mls qos map cos-dscp"). */
export const COS_DSCP_MAP_FIX = 'mls qos map cos-dscp 0 8 16 24 32 46 48 56';

export function diagnose(auditor: Auditor, pipeline: Pipeline): Diagnosis[] {
  const out: Diagnosis[] = [];
  if (auditor.cosMapRewrite > 0) {
    out.push({
      id: 'cos-to-dscp-map',
      packets: auditor.cosMapRewrite,
      message:
        `${countOf(auditor.cosMapRewrite, 'packet')} ${verbFor(auditor.cosMapRewrite, 'carry', 'carries')} DSCP = 8 x their class's CoS (voice as CS5 40 instead of EF 46): ` +
        "consistent with a switch's default CoS-to-DSCP map rewriting DSCP from CoS on a port that trusts CoS",
      fix: COS_DSCP_MAP_FIX,
    });
  }
  if (auditor.untrustedBoundary > 0) {
    out.push({
      id: 'untrusted-boundary',
      packets: auditor.untrustedBoundary,
      message:
        `${countOf(auditor.untrustedBoundary, 'packet')} that should be marked ${verbFor(auditor.untrustedBoundary, 'arrive', 'arrives')} with DSCP 0 and CoS 0 (or untagged): ` +
        "markings removed at an untrusted boundary (an IP phone's PC port, or an untrusted switch port)",
      fix: 'trust or re-mark at the access port (qosmark export), or run the softphone traffic through qosmark',
    });
  }
  if (auditor.layer2Only > 0) {
    out.push({
      id: 'layer2-only',
      packets: auditor.layer2Only,
      message:
        `${countOf(auditor.layer2Only, 'tagged packet')} with the right DSCP but CoS 0: CoS re-marked at layer 2 only ` +
        '(for example by a phone PC port that re-marks CoS to 0)',
      fix: null,
    });
  }
  let mismarkedInThem = 0;
  let packetsInThem = 0;
  let conversations = 0;
  for (const c of auditor.conversations.all) {
    if (c.packets[0] === 0 || c.packets[1] === 0) continue;
    if (pipeline.policy.classDscp[c.classIndex] < 0) continue;
    if (c.dominantDscp(0) !== c.dominantDscp(1)) {
      conversations++;
      mismarkedInThem += c.mismarked[0] + c.mismarked[1];
      packetsInThem += c.packets[0] + c.packets[1];
    }
  }
  if (conversations > 0) {
    out.push({
      id: 'direction-mismatch',
      packets: mismarkedInThem,
      message:
        `${countOf(conversations, 'conversation')} (${countOf(packetsInThem, 'packet')}, ${grouped(mismarkedInThem)} mismarked) marked differently in ${verbFor(conversations, 'their', 'its')} two directions: ` +
        'the markings are changed on one direction of the path only (compare the trust settings on each side)',
      fix: null,
    });
  }
  const sip = pipeline.sip;
  if (sip !== null) {
    let videoEf = 0;
    let voiceAsVideo = 0;
    for (const s of sip.streams) {
      if (s.media === 'video') videoEf += s.dscpFound[DSCP_EF];
      if (s.media === 'audio') voiceAsVideo += s.dscpFound[DSCP_CS4] + s.dscpFound[DSCP_AF41];
    }
    if (videoEf > 0) {
      out.push({
        id: 'video-in-priority-queue',
        packets: videoEf,
        message:
          `${countOf(videoEf, 'packet')} of video streams (SDP m=video) ${verbFor(videoEf, 'carry', 'carries')} EF 46: video in the priority queue meant for voice, ` +
          'where its large bursts delay the voice; video belongs in CS4 32 / AF41',
        fix: 're-mark video by its SDP to CS4 32 or AF41 34 (qosmark mark does)',
      });
    }
    if (voiceAsVideo > 0) {
      out.push({
        id: 'voice-as-video',
        packets: voiceAsVideo,
        message: `${countOf(voiceAsVideo, 'packet')} of audio streams (SDP m=audio) ${verbFor(voiceAsVideo, 'carry', 'carries')} CS4 32 or AF41 34: voice marked as video`,
        fix: 're-mark audio by its SDP to EF 46 (qosmark mark does)',
      });
    }
  }
  return out;
}

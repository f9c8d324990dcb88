/**
 * `--rtp-heuristic`: tells video from voice in the RTP port range when the
 * call's SIP was not seen (SIP over TLS, or a capture that starts mid-call).
 *
 * A UDP flow (one direction of a 5-tuple) that the port rules put in the
 * audio class is watched for its first DECISION_PACKETS packets. If every one
 * carries a valid RTP header (version 2, RFC 3550 section 5.1) and their mean
 * RTP payload is above VIDEO_MEAN_PAYLOAD_BYTES, the flow is video from then
 * on; otherwise it stays voice. Until the decision the flow keeps the port
 * class. Voice codecs send at most a few hundred bytes per packet (G.711 at
 * 30 ms: 240 bytes); video frames are split into packets near the MTU.
 *
 * Bounded and allocation-free: a fixed table of typed arrays with a small
 * probe window; a full window replaces its stalest flow (counted).
 */
import { IPV4_ADDR_LEN, IPV4_SRC } from '../parse/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_SRC } from '../parse/ipv6.js';
import type { ParsedFrame } from '../parse/parsed-frame.js';
import { UDP_HEADER_LEN } from '../parse/udp.js';

export const DECISION_PACKETS = 8;
export const VIDEO_MEAN_PAYLOAD_BYTES = 500;
const RTP_HEADER_LEN = 12;
const RTP_VERSION = 2;
const DEFAULT_FLOWS = 65536;
const PROBE = 8;
const IDLE_SEC = 300;
const KEY_BYTES = 32 + 4;

const UNDECIDED = 0;
export const DECIDED_VOICE = 1;
export const DECIDED_VIDEO = 2;

export class RtpHeuristic {
  /** Flows decided video, and voice. */
  decidedVideo = 0;
  decidedVoice = 0;
  replaced = 0;
  /** Set by observe(): DECIDED_* of the packet's flow, or 0 while undecided. */
  decision = UNDECIDED;

  private readonly mask: number;
  private readonly used: Uint8Array;
  private readonly key: Uint8Array;
  private readonly count: Uint8Array;
  private readonly payloadSum: Float64Array;
  private readonly state: Uint8Array;
  private readonly lastSec: Float64Array;
  private readonly scratch = new Uint8Array(KEY_BYTES);

  constructor(flows = DEFAULT_FLOWS) {
    let size = PROBE;
    while (size < flows) size <<= 1;
    this.mask = size - 1;
    this.used = new Uint8Array(size);
    this.key = new Uint8Array(size * KEY_BYTES);
    this.count = new Uint8Array(size);
    this.payloadSum = new Float64Array(size);
    this.state = new Uint8Array(size);
    this.lastSec = new Float64Array(size);
  }

  /** Feeds one packet of an audio-class UDP flow; returns its flow's decision. */
  observe(buf: Uint8Array, p: ParsedFrame, nowSec: number): number {
    const k = this.scratch;
    const addrLen = 2 * (p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN);
    const addrOff = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
    k.fill(0);
    for (let i = 0; i < addrLen; i++) k[i] = buf[addrOff + i];
    k[32] = p.srcPort >>> 8;
    k[33] = p.srcPort & 0xff;
    k[34] = p.dstPort >>> 8;
    k[35] = p.dstPort & 0xff;
    let h = 0x811c9dc5;
    for (let i = 0; i < KEY_BYTES; i++) h = Math.imul(h ^ k[i], 0x01000193);
    const home = (h ^ (h >>> 15)) & this.mask;

    let slot = -1;
    let stalest = -1;
    let stalestAge = -1;
    for (let i = 0; i < PROBE; i++) {
      const s = (home + i) & this.mask;
      if (this.used[s] === 0) {
        if (slot < 0) slot = s;
        continue;
      }
      if (this.sameKey(s)) {
        slot = s;
        break;
      }
      const age = nowSec - this.lastSec[s];
      if (age > stalestAge) {
        stalest = s;
        stalestAge = age;
      }
    }
    if (slot < 0 || (this.used[slot] !== 0 && !this.sameKey(slot))) {
      slot = stalest;
      if (stalestAge <= IDLE_SEC) this.replaced++;
      this.used[slot] = 0;
    }
    if (this.used[slot] === 0) {
      this.used[slot] = 1;
      this.key.set(k, slot * KEY_BYTES);
      this.count[slot] = 0;
      this.payloadSum[slot] = 0;
      this.state[slot] = UNDECIDED;
    }
    this.lastSec[slot] = nowSec;
    if (this.state[slot] === UNDECIDED) this.learn(buf, p, slot);
    this.decision = this.state[slot];
    return this.decision;
  }

  private learn(buf: Uint8Array, p: ParsedFrame, slot: number): void {
    const rtpOff = p.l4Off + UDP_HEADER_LEN;
    const datagramEnd = p.ipEnd;
    const payload = datagramEnd - rtpOff - RTP_HEADER_LEN;
    const validRtp = rtpOff < p.capEnd && payload >= 0 && buf[rtpOff] >>> 6 === RTP_VERSION;
    if (!validRtp) {
      this.state[slot] = DECIDED_VOICE;
      this.decidedVoice++;
      return;
    }
    this.count[slot]++;
    this.payloadSum[slot] += payload;
    if (this.count[slot] < DECISION_PACKETS) return;
    if (this.payloadSum[slot] / DECISION_PACKETS > VIDEO_MEAN_PAYLOAD_BYTES) {
      this.state[slot] = DECIDED_VIDEO;
      this.decidedVideo++;
    } else {
      this.state[slot] = DECIDED_VOICE;
      this.decidedVoice++;
    }
  }

  private sameKey(slot: number): boolean {
    const base = slot * KEY_BYTES;
    for (let i = 0; i < KEY_BYTES; i++) if (this.key[base + i] !== this.scratch[i]) return false;
    return true;
  }
}

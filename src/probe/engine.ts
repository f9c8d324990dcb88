/**
 * The probe run: hop by hop from ICMP quotes, and end to end from a STAMP
 * reflector, over a transport (raw sockets in use, a simulated path in tests).
 *
 * Per hop (TTL or hop limit h) and per probe kind, two probes: one with the
 * class's DSCP and Not-ECT, one with the DSCP and ECT(0). Hops are opened one
 * at a time: the first probe of hop h (its scout) goes out when hop h-1's
 * scout was answered by a router or went unanswered; the rest of hop h when
 * its scout is settled. So no probe is sent past the destination once it has
 * answered, and its ICMP budget is not spent on probes it answers anyway.
 *
 * Pacing: Linux routers answer about 6 ICMP errors in a burst, then 1 per
 * second, per destination (net.ipv4.icmp_ratelimit, FIELD-NOTES). Each hop gets
 * a token bucket a little under that (5, then 1 per 1.05 s by default).
 *
 * Replies are matched to probes by the quoted ports and the quoted IPv4
 * identification, IPv6 flow label or payload, or TCP sequence number; never by
 * arrival order.
 */
import type { ProbeKind, ProbePlan } from './plan.js';
import type { IcmpError, IcmpExtension, TcpReply, UnreachableReason } from './icmp.js';
import { buildSenderPacket, decodeReflectorPacket, findCos, ntpFromUnixMs } from './stamp.js';
import {
  ECN_ECT0,
  ECN_NOT_ECT,
  PROTO_TCP,
  PROTO_UDP,
  TCP_ACK,
  TCP_RST,
  TCP_SYN,
  buildTcpSynPacket,
  buildUdpPacket,
  type Family,
  type PacketSpec,
} from './wire.js';

/** A UDP datagram as it arrived (STAMP replies). */
export interface UdpArrival {
  from: string;
  srcPort: number;
  dstPort: number;
  /** DS field as it arrived, when the transport can see the IP header. */
  tos: number | null;
  payload: Uint8Array;
}

export interface TransportHandlers {
  icmp(e: IcmpError): void;
  tcp(r: TcpReply): void;
  udp(u: UdpArrival): void;
}

export interface ProbeTransport {
  /** Sends a whole IP packet (header included). Rejects with the OS error. */
  send(packet: Buffer, dst: string): Promise<void>;
  close(): void;
  /** True when STAMP replies come with their DS field (reverse-path marking). */
  readonly seesReplyTos: boolean;
}

export interface ProbeOptions {
  maxHops: number;
  tries: number;
  waitMs: number;
  /** Per-hop ICMP budget: burst, then one per interval. */
  burst: number;
  intervalMs: number;
  /** Stop after this many hops in a row without any answer. */
  silentHopsLimit: number;
  /** First TTL of a STAMP test packet. */
  stampTtl: number;
}

export const DEFAULT_PACING = { burst: 5, intervalMs: 1050 } as const;
export const SILENT_HOPS_LIMIT = 6;
export const STAMP_TTL = 64;

export interface Endpoint {
  family: Family;
  source: string;
  sourceBytes: Uint8Array;
  target: string;
  targetBytes: Uint8Array;
}

export interface ReflectorEndpoint {
  address: string;
  addressBytes: Uint8Array;
  port: number;
}

export type AnswerKind = 'time-exceeded' | 'port-unreachable' | 'unreachable' | 'tcp-reset' | 'tcp-syn-ack';

export interface ProbeAnswer {
  kind: AnswerKind;
  from: string;
  rttMs: number;
  /** The marking in the quote (null for TCP replies, which quote nothing). */
  quote: { dscp: number; ecn: number; ttl: number } | null;
  reason: UnreachableReason | null;
  extension: IcmpExtension | null;
  /** Which try (1-based) was answered. */
  attempt: number;
}

export interface SlotResult {
  kind: ProbeKind;
  /** ECN sent: 0 (Not-ECT) or 2 (ECT(0)). */
  ecnSent: number;
  attempts: number;
  answer: ProbeAnswer | null;
}

export interface HopResult {
  hop: number;
  slots: SlotResult[];
}

export interface StampResult {
  className: string;
  kind: ProbeKind;
  ecnSent: number;
  attempts: number;
  answered: boolean;
  rttMs: number | null;
  /** As the reflector received it (CoS TLV DSCP2 and ECN). */
  receivedDscp: number | null;
  receivedEcn: number | null;
  /** TTL / hop limit the reflector saw (Ses-Sender TTL). */
  receivedTtl: number | null;
  /** The DSCP asked for on the reflected packet (DSCP1) and RP from the reflector. */
  requestedDscp: number;
  rp: number | null;
  /** The reflected packet's marking as it arrived back, when the transport sees it. */
  reverseDscp: number | null;
  reverseEcn: number | null;
}

export interface Destination {
  reached: boolean;
  hop: number | null;
  /** How the last hop answered: port-unreachable, tcp-reset, tcp-syn-ack. */
  how: AnswerKind | null;
  /** When a router said the destination cannot be reached. */
  unreachable: { from: string; hop: number; reason: UnreachableReason | 'no-route'; message: string } | null;
}

export interface ProbeRun {
  endpoint: Endpoint;
  reflector: ReflectorEndpoint | null;
  plan: ProbePlan;
  options: ProbeOptions;
  hops: HopResult[];
  destination: Destination;
  stamp: StampResult[] | null;
  /** The transport saw the marking of reflected packets (reverse path). */
  reverseVisible: boolean;
  notes: string[];
  /** Hops whose answers look rate-limited. */
  rateLimitedHops: number[];
  durationMs: number;
}

const TCP_SEQ_MAGIC = 0x716d0000;
/** UDP probe payload: "qmpb", probe id (2), hop (1), slot (1), 8 zero bytes. */
const PAYLOAD_MAGIC = [0x71, 0x6d, 0x70, 0x62];
const PAYLOAD_LEN = 16;

interface Attempt {
  id: number;
  slot: Slot | StampSlot;
  sentAt: number;
  deadline: number;
  attempt: number;
  timedOut: boolean;
}

interface Slot {
  hop: HopState;
  kind: ProbeKind;
  ecn: number;
  attempts: number;
  maxAttempts: number;
  pending: Attempt | null;
  answer: ProbeAnswer | null;
  exhausted: boolean;
  isStamp: false;
}

interface StampSlot {
  result: StampResult;
  attempts: number;
  pending: Attempt | null;
  exhausted: boolean;
  isStamp: true;
}

interface HopState {
  hop: number;
  slots: Slot[];
  scoutSettled: boolean;
  tokens: number;
  lastRefill: number;
  cancelled: boolean;
}

const settled = (s: Slot) => s.answer !== null || s.exhausted;

export class ProbeEngine {
  private readonly hops: HopState[] = [];
  private readonly attempts = new Map<number, Attempt>();
  private readonly stampSlots: StampSlot[] = [];
  private nextId: number;
  private destHop: number | null = null;
  private destHow: AnswerKind | null = null;
  private unreachable: Destination['unreachable'] = null;
  private readonly notes: string[] = [];
  private stopReason: string | null = null;
  private readonly ssid: number;
  private transport: ProbeTransport | null = null;
  private readonly started: number;
  private sendQueue: Promise<void> = Promise.resolve();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly plan: ProbePlan,
    private readonly options: ProbeOptions,
    private readonly reflector: ReflectorEndpoint | null,
    private readonly now: () => number = () => performance.now(),
    seed = Math.floor(Math.random() * 0xffff),
  ) {
    this.nextId = (seed % 0xfff0) + 1;
    this.ssid = ((seed * 7919) % 0xfffe) + 1;
    this.started = now();
  }

  /** The callbacks the transport calls with what it reads. */
  handlers(): TransportHandlers {
    return { icmp: (e) => this.onIcmp(e), tcp: (r) => this.onTcp(r), udp: (u) => this.onUdp(u) };
  }

  /** Runs to the end and returns the results. */
  async run(transport: ProbeTransport): Promise<ProbeRun> {
    this.transport = transport;
    if (this.reflector !== null) this.setupStamp();
    this.openHop(1);
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        try {
          if (this.tick()) {
            clearInterval(timer);
            resolve();
          }
        } catch (err) {
          clearInterval(timer);
          this.stopReason = `internal: ${(err as Error).message}`;
          resolve();
        }
      }, 5);
    });
    await this.sendQueue;
    return this.result(transport.seesReplyTos);
  }

  // ------------------------------------------------------------ hops

  private openHop(hop: number): void {
    if (hop > this.options.maxHops || this.hops.length >= hop) return;
    if (this.destHop !== null && hop > this.destHop) return;
    if (this.unreachable !== null || this.stopReason !== null) return;
    const state: HopState = { hop, slots: [], scoutSettled: false, tokens: this.options.burst, lastRefill: this.now(), cancelled: false };
    for (const kind of this.plan.kinds) {
      for (const ecn of [ECN_NOT_ECT, ECN_ECT0]) {
        state.slots.push({
          hop: state,
          kind,
          ecn,
          attempts: 0,
          maxAttempts: this.options.tries,
          pending: null,
          answer: null,
          exhausted: false,
          isStamp: false,
        });
      }
    }
    this.hops.push(state);
  }

  private refill(h: HopState, t: number): void {
    const gained = Math.floor((t - h.lastRefill) / this.options.intervalMs);
    if (gained <= 0) return;
    h.tokens = Math.min(this.options.burst, h.tokens + gained);
    h.lastRefill = h.tokens === this.options.burst ? t : h.lastRefill + gained * this.options.intervalMs;
  }

  /** One step: timeouts, sends, new hops. True when the run is over. */
  private tick(): boolean {
    const t = this.now();
    for (const a of this.attempts.values()) {
      if (a.timedOut || t < a.deadline) continue;
      a.timedOut = true;
      const slot = a.slot;
      if (slot.pending === a) slot.pending = null;
      if (slot.isStamp) {
        if (!slot.result.answered && slot.attempts >= this.options.tries) slot.exhausted = true;
      } else if (slot.answer === null && slot.attempts >= slot.maxAttempts) {
        slot.exhausted = true;
      }
    }
    for (const h of this.hops) {
      if (h.cancelled) continue;
      const scout = h.slots[0];
      if (!h.scoutSettled && settled(scout)) {
        h.scoutSettled = true;
        if (scout.answer === null) {
          // A silent hop: one try for the rest of its probes.
          for (const s of h.slots) if (s !== scout) s.maxAttempts = 1;
        }
        if (scout.answer === null || scout.answer.kind === 'time-exceeded') this.maybeOpenNext(h.hop);
      }
      this.refill(h, t);
      const candidates = h.scoutSettled ? h.slots : [scout];
      for (const s of candidates) {
        if (h.tokens <= 0) break;
        if (settled(s) || s.pending !== null || s.attempts >= s.maxAttempts) continue;
        this.sendProbe(s, t);
        h.tokens--;
      }
    }
    // The first STAMP packet alone, then the rest: a reflector that is not
    // running costs one ICMP error of the destination's budget, not six.
    const firstStamp = this.stampSlots[0];
    const stampOpen = firstStamp === undefined || firstStamp.result.answered || firstStamp.exhausted;
    for (const s of stampOpen ? this.stampSlots : this.stampSlots.slice(0, 1)) {
      if (s.result.answered || s.exhausted || s.pending !== null || s.attempts >= this.options.tries) continue;
      this.sendStamp(s, t);
    }
    return this.finished();
  }

  private maybeOpenNext(hop: number): void {
    if (this.destHop !== null && hop >= this.destHop) return;
    // Stop after a run of hops that answered nothing at all.
    let silent = 0;
    for (let i = this.hops.length - 1; i >= 0; i--) {
      const h = this.hops[i];
      if (!h.scoutSettled || h.slots.some((s) => s.answer !== null)) break;
      silent++;
    }
    if (silent >= this.options.silentHopsLimit) {
      if (this.stopReason === null) this.stopReason = `stopped after ${silent} hops in a row without an answer`;
      return;
    }
    this.openHop(hop + 1);
  }

  private finished(): boolean {
    const hopsDone = this.hops.every((h) => h.cancelled || h.slots.every(settled));
    if (!hopsDone) return false;
    // All open hops settled: is there a next hop to open?
    const last = this.hops[this.hops.length - 1];
    const moreHops =
      last !== undefined &&
      this.destHop === null &&
      this.unreachable === null &&
      this.stopReason === null &&
      last.hop < this.options.maxHops &&
      !last.cancelled;
    if (moreHops) {
      this.maybeOpenNext(last.hop);
      if (this.hops[this.hops.length - 1] !== last) return false;
    }
    return this.stampSlots.every((s) => s.result.answered || s.exhausted);
  }

  private allocId(): number {
    for (let n = 0; n < 0xffff; n++) {
      const id = this.nextId;
      this.nextId = this.nextId >= 0xffff ? 1 : this.nextId + 1;
      if (!this.attempts.has(id)) return id;
    }
    throw new Error('out of probe ids');
  }

  private sendProbe(s: Slot, t: number): void {
    const id = this.allocId();
    s.attempts++;
    const a: Attempt = { id, slot: s, sentAt: t, deadline: t + this.options.waitMs, attempt: s.attempts, timedOut: false };
    s.pending = a;
    this.attempts.set(id, a);
    const spec: PacketSpec = {
      family: this.endpoint.family,
      src: this.endpoint.sourceBytes,
      dst: this.endpoint.targetBytes,
      tos: (s.kind.dscp << 2) | s.ecn,
      ttl: s.hop.hop,
      ipId: id,
      flowLabel: id,
    };
    const packet =
      s.kind.protocol === 'tcp'
        ? buildTcpSynPacket(spec, s.kind.srcPort, s.kind.dstPort, (TCP_SEQ_MAGIC | id) >>> 0)
        : buildUdpPacket(spec, s.kind.srcPort, s.kind.dstPort, probePayload(id, s.hop.hop, s.kind.index * 2 + (s.ecn ? 1 : 0)));
    this.enqueueSend(packet, this.endpoint.target, a);
  }

  private enqueueSend(packet: Buffer, dst: string, a: Attempt): void {
    const transport = this.transport!;
    this.sendQueue = this.sendQueue.then(async () => {
      try {
        await transport.send(packet, dst);
        a.sentAt = this.now();
        a.deadline = a.sentAt + this.options.waitMs;
      } catch (err) {
        this.onSendError(err as NodeJS.ErrnoException, a);
      }
    });
  }

  private onSendError(err: NodeJS.ErrnoException, a: Attempt): void {
    const msg = err?.message ?? String(err);
    if (/unreachable|no route/i.test(msg) || err?.code === 'ENETUNREACH' || err?.code === 'EHOSTUNREACH') {
      if (a.slot.isStamp) {
        this.notes.push(`reflector ${this.reflector?.address}: ${msg}`);
        a.slot.exhausted = true;
        return;
      }
      if (this.unreachable === null) {
        this.unreachable = { from: this.endpoint.source, hop: 0, reason: 'no-route', message: `no route to ${this.endpoint.target} (${msg})` };
      }
      for (const h of this.hops) {
        h.cancelled = true;
        for (const s of h.slots) if (s.answer === null) s.exhausted = true;
      }
      for (const s of this.stampSlots) s.exhausted = true;
      return;
    }
    // Anything else (a local firewall refusing the packet, EPERM...): this probe is lost, say why once.
    const note = `sending failed: ${msg}`;
    if (!this.notes.includes(note)) this.notes.push(note);
    if (a.slot.isStamp) a.slot.exhausted = true;
    else if (a.slot.attempts >= a.slot.maxAttempts) a.slot.exhausted = true;
  }

  // ------------------------------------------------------------ STAMP

  private setupStamp(): void {
    const seen = new Set<string>();
    for (const kind of this.plan.kinds) {
      if (kind.protocol !== 'udp' || seen.has(kind.className)) continue;
      seen.add(kind.className);
      for (const ecn of [ECN_NOT_ECT, ECN_ECT0]) {
        this.stampSlots.push({
          attempts: 0,
          pending: null,
          exhausted: false,
          isStamp: true,
          result: {
            className: kind.className,
            kind,
            ecnSent: ecn,
            attempts: 0,
            answered: false,
            rttMs: null,
            receivedDscp: null,
            receivedEcn: null,
            receivedTtl: null,
            requestedDscp: kind.dscp,
            rp: null,
            reverseDscp: null,
            reverseEcn: null,
          },
        });
      }
    }
    for (const c of this.plan.classes) {
      if (!seen.has(c)) this.notes.push(`${c}: no UDP port maps to it, so the reflector does not measure it`);
    }
  }

  private sendStamp(s: StampSlot, t: number): void {
    const r = this.reflector!;
    const id = this.allocId();
    s.attempts++;
    s.result.attempts = s.attempts;
    const a: Attempt = { id, slot: s, sentAt: t, deadline: t + this.options.waitMs, attempt: s.attempts, timedOut: false };
    s.pending = a;
    this.attempts.set(id, a);
    const stamp = buildSenderPacket(id, this.ssid, ntpFromUnixMs(Date.now()), s.result.kind.dscp);
    const spec: PacketSpec = {
      family: this.endpoint.family,
      src: this.endpoint.sourceBytes,
      dst: r.addressBytes,
      tos: (s.result.kind.dscp << 2) | s.result.ecnSent,
      ttl: this.options.stampTtl,
      ipId: id,
      flowLabel: id,
    };
    // The class's port as the source, the reflector's as the destination.
    this.enqueueSend(buildUdpPacket(spec, s.result.kind.dstPort, r.port, stamp), r.address, a);
  }

  private onUdp(u: UdpArrival): void {
    const r = this.reflector;
    if (r === null || u.from !== r.address || u.srcPort !== r.port) return;
    const p = decodeReflectorPacket(u.payload);
    if (p === null || p.ssid !== this.ssid) return;
    const a = this.attempts.get(p.seq & 0xffff);
    if (a === undefined || !a.slot.isStamp || p.seq > 0xffff) return;
    const s = a.slot;
    if (s.result.answered || u.dstPort !== s.result.kind.dstPort) return;
    const cos = findCos(p.tlvs);
    s.result.answered = true;
    s.result.rttMs = round3(this.now() - a.sentAt);
    s.result.receivedTtl = p.senderTtl;
    if (cos !== null) {
      s.result.receivedDscp = cos.dscp2;
      s.result.receivedEcn = cos.ecn;
      s.result.rp = cos.rp;
    }
    if (u.tos !== null) {
      s.result.reverseDscp = u.tos >> 2;
      s.result.reverseEcn = u.tos & 3;
    }
    s.pending = null;
  }

  // ------------------------------------------------------------ matching

  private onIcmp(e: IcmpError): void {
    const q = e.quote;
    const r = this.reflector;
    if (r !== null && q.dst === r.address && q.protocol === PROTO_UDP && q.dstPort === r.port) {
      this.onStampIcmp(e);
      return;
    }
    if (q.dst !== this.endpoint.target) return;
    let id: number | null = null;
    if (q.protocol === PROTO_TCP && q.tcpSeq !== null) {
      if ((q.tcpSeq & 0xffff0000) >>> 0 !== TCP_SEQ_MAGIC) return;
      id = q.tcpSeq & 0xffff;
    } else if (q.protocol === PROTO_UDP) {
      if (e.family === 4) id = q.ipId;
      else id = payloadId(q.payload) ?? q.flowLabel;
    } else {
      return;
    }
    if (id === null) return;
    const a = this.attempts.get(id);
    if (a === undefined || a.slot.isStamp) return;
    const s = a.slot;
    if (q.srcPort !== s.kind.srcPort || q.dstPort !== s.kind.dstPort) return;
    if ((q.protocol === PROTO_TCP) !== (s.kind.protocol === 'tcp')) return;
    if (e.family === 6 && q.protocol === PROTO_UDP && payloadId(q.payload) === null && q.flowLabel !== id) return;
    let kind: AnswerKind;
    if (e.kind === 'time-exceeded') kind = 'time-exceeded';
    else if (e.reason === 'port') kind = 'port-unreachable';
    else kind = 'unreachable';
    this.answer(a, {
      kind,
      from: e.from,
      rttMs: round3(this.now() - a.sentAt),
      quote: { dscp: q.dscp, ecn: q.ecn, ttl: q.ttl },
      reason: e.reason,
      extension: e.extension,
      attempt: a.attempt,
    });
  }

  /** An ICMP error about a STAMP test packet: the reflector is not there (not running, or filtered). */
  private onStampIcmp(e: IcmpError): void {
    if (e.kind !== 'unreachable') return;
    const id = e.family === 4 ? e.quote.ipId : e.quote.flowLabel;
    const a = id === null ? undefined : this.attempts.get(id);
    if (a === undefined || !a.slot.isStamp) return;
    if (this.stampSlots.every((s) => s.exhausted || s.result.answered)) return;
    for (const s of this.stampSlots) if (!s.result.answered) s.exhausted = true;
    const r = this.reflector!;
    const what = e.reason === 'port' ? 'port unreachable: is "qosmark reflect" running there?' : `${e.reason} unreachable`;
    this.notes.push(`reflector ${r.address} port ${r.port}: ${what} (ICMP from ${e.from})`);
  }

  private onTcp(r: TcpReply): void {
    if (r.from !== this.endpoint.target) return;
    if (!(r.flags & TCP_RST) && (r.flags & (TCP_SYN | TCP_ACK)) !== (TCP_SYN | TCP_ACK)) return;
    const seq = (r.ack - 1) >>> 0;
    if ((seq & 0xffff0000) >>> 0 !== TCP_SEQ_MAGIC) return;
    const a = this.attempts.get(seq & 0xffff);
    if (a === undefined || a.slot.isStamp) return;
    const s = a.slot;
    if (s.kind.protocol !== 'tcp' || r.srcPort !== s.kind.dstPort || r.dstPort !== s.kind.srcPort) return;
    this.answer(a, {
      kind: r.flags & TCP_RST ? 'tcp-reset' : 'tcp-syn-ack',
      from: r.from,
      rttMs: round3(this.now() - a.sentAt),
      quote: null,
      reason: null,
      extension: null,
      attempt: a.attempt,
    });
  }

  private answer(a: Attempt, ans: ProbeAnswer): void {
    const s = a.slot as Slot;
    if (s.answer !== null) return;
    s.answer = ans;
    if (s.pending === a) s.pending = null;
    const hop = s.hop.hop;
    if (ans.kind === 'port-unreachable' || ans.kind === 'tcp-reset' || ans.kind === 'tcp-syn-ack') {
      if (this.destHop === null || hop < this.destHop) {
        this.destHop = hop;
        this.destHow = ans.kind;
      }
      this.cancelBeyond(hop);
    } else if (ans.kind === 'unreachable') {
      if (this.unreachable === null || hop < this.unreachable.hop) {
        this.unreachable = {
          from: ans.from,
          hop,
          reason: ans.reason ?? 'other',
          message: `${ans.reason ?? 'destination'} unreachable from ${ans.from} at hop ${hop}`,
        };
      }
      this.cancelBeyond(hop);
    }
  }

  private cancelBeyond(hop: number): void {
    for (const h of this.hops) {
      if (h.hop <= hop || h.cancelled) continue;
      h.cancelled = true;
    }
  }

  // ------------------------------------------------------------ result

  private result(reverseVisible: boolean): ProbeRun {
    const lastHop = this.destHop ?? this.unreachable?.hop ?? Infinity;
    const hops: HopResult[] = this.hops
      .filter((h) => !h.cancelled && h.hop <= lastHop)
      .map((h) => ({
        hop: h.hop,
        slots: h.slots.map((s) => ({ kind: s.kind, ecnSent: s.ecn, attempts: s.attempts, answer: s.answer })),
      }));
    // Trailing hops where nothing answered after the stop are kept: they are the '*' lines.
    const rateLimitedHops: number[] = [];
    for (const h of hops) {
      const answered = h.slots.filter((s) => s.answer !== null);
      if (answered.length === 0) continue;
      const missing = h.slots.length - answered.length;
      const retried = answered.filter((s) => s.answer!.attempt > 1).length;
      if (missing > 0 || retried > 0) {
        rateLimitedHops.push(h.hop);
        const parts = [];
        if (missing > 0) parts.push(`${answered.length} of ${h.slots.length} probes answered`);
        if (retried > 0) parts.push(`${retried} answered only on a retry`);
        this.notes.push(`hop ${h.hop}: ${parts.join(', ')}: answers seem rate-limited (ICMP rate limit of the router at that hop)`);
      }
    }
    if (this.stopReason !== null) this.notes.push(this.stopReason);
    const destination: Destination = {
      reached: this.destHop !== null,
      hop: this.destHop,
      how: this.destHow,
      unreachable: this.destHop === null ? this.unreachable : null,
    };
    if (!destination.reached && destination.unreachable === null && this.stopReason === null) {
      this.notes.push(`destination not reached within ${this.options.maxHops} hops`);
    }
    return {
      endpoint: this.endpoint,
      reflector: this.reflector,
      plan: this.plan,
      options: this.options,
      hops,
      destination,
      stamp: this.reflector === null ? null : this.stampSlots.map((s) => s.result),
      reverseVisible,
      notes: this.notes,
      rateLimitedHops,
      durationMs: Math.round(this.now() - this.started),
    };
  }
}

function probePayload(id: number, hop: number, slot: number): Uint8Array {
  const p = new Uint8Array(PAYLOAD_LEN);
  p.set(PAYLOAD_MAGIC, 0);
  p[4] = id >> 8;
  p[5] = id & 0xff;
  p[6] = hop & 0xff;
  p[7] = slot & 0xff;
  return p;
}

/** The probe id in a quoted UDP payload, when the quote has it. */
function payloadId(payload: Uint8Array): number | null {
  if (payload.length < 6) return null;
  for (let i = 0; i < 4; i++) if (payload[i] !== PAYLOAD_MAGIC[i]) return null;
  return (payload[4] << 8) | payload[5];
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/**
 * The kinds of traffic the generator sends. Each stream owns one template per
 * direction (or per message), keeps its own clock and sequence state, and in
 * emit() writes the packet due now and says when its next one is due.
 */
import { IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from '../parse/ip-protocol.js';
import {
  CLASS_COS,
  CLASS_DATA,
  CLASS_DSCP,
  CLASS_OTHER,
  CLASS_SIGNALLING,
  CLASS_VIDEO,
  CLASS_VOICE,
  GenContext,
  KIND_ARP,
  KIND_REQRESP,
  KIND_RTP,
  KIND_SIP,
  KIND_TCP,
  KIND_TFTP,
  Stream,
} from './context.js';
import { IPPROTO_ICMP, UDP_HEADER_LEN, frameSpec, type Template } from './frame.js';
import { flowSpec, retarget, type Encap, type Host } from './net.js';
import { hex, randomBytes, sipMessage, sipSender, textBytes, tlsRecord, type SipDialog, type SipMessageKind } from './payload.js';
import type { Rng } from './rng.js';

const RTP_HEADER_LEN = 12;
const TCP_MSS = 1448;
const TCP_PSH_ACK = 0x18;
const TCP_ACK = 0x10;
/** Ephemeral ports: Linux's default range, clear of the RTP range 16384-32766 and of every rule port. */
const EPHEMERAL_LO = 32768;
const EPHEMERAL_HI = 60999;
export const RTP_PORT_LO = 16384;
export const RTP_PORT_HI = 32766;

function w16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

function w32(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >>> 24) & 0xff;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** Writes a TCP header's changing fields; the timestamps only when the template's header has them. */
function writeTcp(
  b: Uint8Array,
  l4: number,
  hdrLen: number,
  sport: number,
  dport: number,
  seq: number,
  ack: number,
  flags: number,
  win: number,
  tsval: number,
  tsecr: number,
): void {
  w16(b, l4, sport);
  w16(b, l4 + 2, dport);
  w32(b, l4 + 4, seq);
  w32(b, l4 + 8, ack);
  b[l4 + 13] = flags;
  w16(b, l4 + 14, win);
  if (hdrLen > 20) {
    w32(b, l4 + 24, tsval);
    w32(b, l4 + 28, tsecr);
  }
}

function ephemeral(rng: Rng): number {
  return rng.int(EPHEMERAL_LO, EPHEMERAL_HI);
}

function us(x: number): number {
  return Math.round(x);
}

// ---------------------------------------------------------------------------
// RTP: voice and video media, one direction per stream
// ---------------------------------------------------------------------------

export interface RtpOptions {
  video: boolean;
  /** Voice payload type: 0 PCMU (160-byte payload, 214-byte frames) or 18 G.729 (20 bytes). */
  codec: 0 | 18;
  /** Split every packet into two IP fragments (worst-case profile). */
  fragment: boolean;
  /** Largest extra delay of a packet after its slot (network jitter at the capture point), µs. */
  jitterUs: number;
  /** Frames per second of video. */
  fps: number;
}

export class RtpStream extends Stream {
  readonly kind = KIND_RTP;
  readonly tpl: Template;
  readonly video: boolean;
  readonly fragment: boolean;
  readonly payLen: number;
  readonly pt: number;
  readonly interval: number;
  readonly tsStep: number;
  readonly jitter: number;
  seq = 0;
  ts = 0;
  ipId = 0;
  fragIdent = 0;
  sched = 0;
  startAt = Infinity;
  stopAt = Infinity;
  marker = true;
  // video
  pktsLeft = 0;
  frameNo = 0;
  readonly gop: number;
  private fragData = 0;

  constructor(
    g: GenContext,
    local: Host,
    remote: Host,
    readonly encap: Encap,
    readonly outbound: boolean,
    localPort: number,
    remotePort: number,
    opts: RtpOptions,
  ) {
    const cls = opts.video ? CLASS_VIDEO : CLASS_VOICE;
    super(cls, CLASS_DSCP[cls], encap.tags.length > 0 ? CLASS_COS[cls] : 0, encap.tags.length > 0);
    const rng = g.rng;
    this.video = opts.video;
    this.fragment = opts.fragment;
    this.pt = opts.video ? 97 : opts.codec;
    this.payLen = opts.video ? 1200 : opts.codec === 0 ? 160 : 20;
    this.interval = opts.video ? us(1e6 / opts.fps) : 20_000;
    this.tsStep = opts.video ? us(90_000 / opts.fps) : 160;
    this.jitter = opts.jitterUs;
    this.gop = opts.fps * 2;
    const head = new Uint8Array(RTP_HEADER_LEN);
    head[0] = 0x80;
    head[1] = this.pt;
    w32(head, 8, rng.u32());
    this.tpl = g.template(
      flowSpec(local, remote, encap, outbound, IPPROTO_UDP, localPort, remotePort, head, g.shared(`rtp:${this.pt}`, () => randomBytes(rng, this.payLen))),
    );
    this.seq = rng.int(0, 0xffff);
    this.ts = rng.u32();
    this.ipId = rng.int(0, 0xffff);
  }

  start(): number {
    this.sched = this.startAt;
    return this.startAt;
  }

  /** New call: new hosts, ports and SSRC; sends from `at` until `stopAt`. */
  restart(g: GenContext, local: Host, remote: Host, localPort: number, remotePort: number, at: number, stopAt: number): void {
    const spec = this.tpl.spec;
    retarget(spec, local, remote, this.outbound, localPort, remotePort);
    w32(spec.appHead, 8, g.rng.u32());
    this.tpl.build(g.pool);
    this.seq = g.rng.int(0, 0xffff);
    this.ts = g.rng.u32();
    this.marker = true;
    this.pktsLeft = 0;
    this.frameNo = 0;
    this.sched = at;
    this.stopAt = stopAt;
    g.schedule.update(this.index, at);
  }

  emit(g: GenContext, now: number): number {
    if (now >= this.stopAt) return Infinity;
    const rng = g.rng;
    const t = this.tpl;
    let l4Len: number;
    let marker: boolean;
    if (this.video) {
      if (this.pktsLeft === 0) {
        this.pktsLeft = this.frameNo % this.gop === 0 ? rng.int(6, 12) : rng.int(1, 2);
        this.frameNo++;
        this.ts = (this.ts + this.tsStep) >>> 0;
      }
      marker = this.pktsLeft === 1;
      const size = marker ? rng.int(300, 1200) : rng.int(1000, 1200);
      l4Len = size - t.l4Off;
      const max = t.headLen + t.maxPayload;
      if (l4Len > max) l4Len = max;
      if (l4Len < t.headLen) l4Len = t.headLen;
    } else {
      l4Len = UDP_HEADER_LEN + RTP_HEADER_LEN + this.payLen;
      marker = this.marker;
      this.marker = false;
    }
    g.mark(this);
    const second = (marker ? 0x80 : 0) | this.pt;
    if (!this.fragment) {
      const f = g.begin(t, t.l4Off + l4Len);
      const b = g.pool;
      const r = f + t.l4Off + UDP_HEADER_LEN;
      b[r + 1] = second;
      w16(b, r + 2, this.seq);
      w32(b, r + 4, this.ts);
      g.finish(t, f, l4Len, this.ipId, now, this.cls);
    } else {
      const b = g.loadScratch(t);
      const r = t.l4Off + UDP_HEADER_LEN;
      b[r + 1] = second;
      w16(b, r + 2, this.seq);
      w32(b, r + 4, this.ts);
      if (this.fragData === 0) {
        // The first fragment carries every header after the fragment header, the UDP and the RTP header.
        const after = t.ipVersion === 6 ? t.l4Off - (t.fragHdrOff + 8) : 0;
        this.fragData = (after + UDP_HEADER_LEN + RTP_HEADER_LEN + 7) & ~7;
      }
      g.emitScratch(t, l4Len, -1, this.ipId, now, this.cls, this.fragData, this.fragIdent++);
    }
    this.ipId = (this.ipId + 1) & 0xffff;
    this.seq = (this.seq + 1) & 0xffff;
    if (this.video) {
      this.pktsLeft--;
      if (this.pktsLeft > 0) return now + rng.int(60, 300);
      this.sched += this.interval;
    } else {
      this.ts = (this.ts + this.tsStep) >>> 0;
      this.sched += this.interval;
    }
    const next = this.sched + (this.jitter > 0 ? rng.int(0, this.jitter) : 0);
    return next > now ? next : now + 1;
  }
}

// ---------------------------------------------------------------------------
// SIP call slot: signalling between the phone and the call agent, and the
// call's media streams, started and stopped by the dialog
// ---------------------------------------------------------------------------

export type SipTransport = 'UDP' | 'TCP' | 'TLS';

interface Step {
  at: number;
  kind: SipMessageKind | 'TCP-ACK';
  /** 0: phone → call agent. */
  dir: 0 | 1;
}

export class SipCall extends Stream {
  readonly kind = KIND_SIP;
  readonly tpl: [Template, Template];
  readonly localPort: number;
  readonly serverPort: number;
  private steps: Step[] = [];
  private step = 0;
  private dialog!: SipDialog;
  private byePhoneSends = true;
  private readonly seq = [0, 0];
  private readonly lastTs = [0, 0];
  private readonly ipId = [0, 0];
  private cseq: number;
  private peer!: Host;
  /** When the current call's media stops (and its BYE goes out). */
  private mediaEnd = 0;

  constructor(
    g: GenContext,
    readonly phone: Host,
    readonly server: Host,
    readonly peers: readonly Host[],
    readonly encap: Encap,
    readonly transport: SipTransport,
    readonly media: RtpStream[],
    readonly codec: 0 | 18,
    /** Mean call length and pause between calls, µs. */
    readonly holdUs: number,
    readonly gapUs: number,
  ) {
    super(CLASS_SIGNALLING, CLASS_DSCP[CLASS_SIGNALLING], encap.tags.length > 0 ? CLASS_COS[CLASS_SIGNALLING] : 0, encap.tags.length > 0);
    const rng = g.rng;
    this.serverPort = transport === 'TLS' ? 5061 : 5060;
    this.localPort = transport === 'UDP' ? 5060 : ephemeral(rng);
    const proto = transport === 'UDP' ? IPPROTO_UDP : IPPROTO_TCP;
    const none = new Uint8Array(0);
    this.tpl = [
      g.template(flowSpec(phone, server, encap, true, proto, this.localPort, this.serverPort, none, none)),
      g.template(flowSpec(phone, server, encap, false, proto, this.localPort, this.serverPort, none, none)),
    ];
    this.seq[0] = rng.u32();
    this.seq[1] = rng.u32();
    this.ipId[0] = rng.int(0, 0xffff);
    this.ipId[1] = rng.int(0, 0xffff);
    this.cseq = rng.int(100, 900);
  }

  private get isTcp(): boolean {
    return this.transport !== 'UDP';
  }

  /** At the start of the capture: a call in progress (media running), or a pause before the first INVITE. */
  start(g: GenContext): number {
    const rng = g.rng;
    const inCall = rng.chance(this.holdUs / (this.holdUs + this.gapUs));
    this.newDialog(g);
    if (inCall) {
      const end = us(rng.exp(this.holdUs)) + 1000;
      for (const m of this.media) {
        m.startAt = rng.int(0, m.interval - 1);
        m.sched = m.startAt;
        m.stopAt = end;
        m.marker = false;
        g.startKeys[m.index] = m.startAt;
      }
      this.configureMedia(g, false, 0, end);
      this.steps = [];
      this.step = 0;
      this.addTeardown(g, end);
      return this.steps[0].at;
    }
    const first = rng.int(0, us(Math.min(this.gapUs, 10e6)));
    this.planCall(g, first);
    return first;
  }

  private newDialog(g: GenContext): void {
    const rng = g.rng;
    this.peer = rng.pick(this.peers);
    const v6 = this.encap.ipVersion === 6;
    const video = this.media.length > 2;
    this.cseq += 2;
    this.byePhoneSends = rng.chance(0.5);
    this.dialog = {
      callId: `${hex(rng, 8)}-${hex(rng, 8)}-${hex(rng, 8)}-${hex(rng, 8)}@${v6 ? 'phone6' : 'phone'}`,
      fromTag: hex(rng, 12),
      toTag: `${rng.int(10000000, 99999999)}~${hex(rng, 8)}`,
      branch: hex(rng, 16),
      caller: String(rng.int(2000, 7999)),
      callee: String(rng.int(2000, 7999)),
      aAddr: v6 ? this.phone.v6 : this.phone.v4,
      aPort: rng.even(RTP_PORT_LO, RTP_PORT_HI - 2),
      aVideoPort: rng.even(RTP_PORT_LO, RTP_PORT_HI - 2),
      bAddr: v6 ? this.peer.v6 : this.peer.v4,
      bPort: rng.even(RTP_PORT_LO, RTP_PORT_HI - 2),
      bVideoPort: rng.even(RTP_PORT_LO, RTP_PORT_HI - 2),
      server: v6 ? this.server.v6 : this.server.v4,
      serverPort: this.serverPort,
      localPort: this.localPort,
      transport: this.transport,
      codec: this.codec,
      video,
      cseq: this.cseq,
    };
  }

  /** Media of the current dialog: voice out/in, then video out/in. */
  private configureMedia(g: GenContext, live: boolean, at: number, stopAt: number): void {
    const d = this.dialog;
    const ports = [
      [d.aPort, d.bPort],
      [d.aPort, d.bPort],
      [d.aVideoPort, d.bVideoPort],
      [d.aVideoPort, d.bVideoPort],
    ];
    this.media.forEach((m, i) => {
      if (live) {
        m.restart(g, this.phone, this.peer, ports[i][0], ports[i][1], at + g.rng.int(0, 2000), stopAt);
      } else {
        // Before the pool exists: set the spec only; the template is built with it.
        retarget(m.tpl.spec, this.phone, this.peer, m.outbound, ports[i][0], ports[i][1]);
      }
    });
  }

  private push(g: GenContext, at: number, kind: SipMessageKind): number {
    const dir = sipSender(kind, this.byePhoneSends);
    this.steps.push({ at, kind, dir });
    if (this.isTcp) {
      const ackAt = at + g.rng.int(100, 900);
      this.steps.push({ at: ackAt, kind: 'TCP-ACK', dir: dir === 0 ? 1 : 0 });
    }
    return at;
  }

  private planCall(g: GenContext, invite: number): void {
    const rng = g.rng;
    this.steps = [];
    this.step = 0;
    this.push(g, invite, 'INVITE');
    this.push(g, invite + rng.int(1000, 4000), '100');
    const ringing = this.push(g, invite + rng.int(50_000, 400_000), '180');
    const ok = this.push(g, ringing + rng.int(1_000_000, 6_000_000), '200-INVITE');
    this.push(g, ok + rng.int(1000, 5000), 'ACK');
    this.addTeardown(g, ok + rng.int(5000, 30_000) + us(rng.exp(this.holdUs)) + 1_000_000);
  }

  private addTeardown(g: GenContext, end: number): void {
    this.mediaEnd = end;
    this.push(g, end, 'BYE');
    this.push(g, end + g.rng.int(1000, 10_000), '200-BYE');
  }

  emit(g: GenContext, now: number): number {
    const rng = g.rng;
    if (this.step >= this.steps.length) {
      // Pause over: the next call.
      this.newDialog(g);
      this.planCall(g, now);
    }
    const s = this.steps[this.step++];
    g.mark(this);
    if (s.kind === 'TCP-ACK') {
      this.sendTcp(g, s.dir, null, 0, now);
    } else {
      const text = sipMessage(this.dialog, s.kind, this.byePhoneSends);
      let payload: Uint8Array = Buffer.from(text, 'latin1');
      if (this.transport === 'TLS') payload = tlsRecord(rng, payload.length + 29);
      if (this.isTcp) {
        for (let off = 0; off < payload.length; off += TCP_MSS) {
          this.sendTcp(g, s.dir, payload, off, now);
        }
      } else {
        const t = this.tpl[s.dir];
        const b = g.loadScratch(t);
        b.set(payload, t.payloadOff);
        g.emitScratch(t, UDP_HEADER_LEN + payload.length, g.scratchSum(t.payloadOff, payload.length), this.ipId[s.dir], now, this.cls);
        this.ipId[s.dir] = (this.ipId[s.dir] + 1) & 0xffff;
      }
      if (s.kind === '200-INVITE') {
        this.configureMedia(g, true, now + rng.int(5000, 30_000), this.mediaEnd);
      }
    }
    if (this.step < this.steps.length) return Math.max(now, this.steps[this.step].at);
    return now + 1_000_000 + us(rng.exp(this.gapUs));
  }

  private sendTcp(g: GenContext, dir: 0 | 1, payload: Uint8Array | null, off: number, now: number): void {
    const t = this.tpl[dir];
    const n = payload === null ? 0 : Math.min(TCP_MSS, payload.length - off);
    const b = g.loadScratch(t);
    const l4 = t.l4Off;
    const other = dir === 0 ? 1 : 0;
    const tsval = ((dir === 0 ? 0x1000000 : 0x7000000) + Math.floor(now / 1000)) >>> 0;
    const sport = dir === 0 ? this.localPort : this.serverPort;
    const dport = dir === 0 ? this.serverPort : this.localPort;
    writeTcp(b, l4, t.l4HdrLen, sport, dport, this.seq[dir], this.seq[other], n > 0 ? TCP_PSH_ACK : TCP_ACK, dir === 0 ? 1024 : 509, tsval, this.lastTs[other]);
    this.lastTs[dir] = tsval;
    if (payload !== null) b.set(payload.subarray(off, off + n), t.payloadOff);
    g.emitScratch(t, t.l4HdrLen + n, g.scratchSum(t.payloadOff, n), this.ipId[dir], now, this.cls);
    this.ipId[dir] = (this.ipId[dir] + 1) & 0xffff;
    this.seq[dir] = (this.seq[dir] + n) >>> 0;
  }
}

// ---------------------------------------------------------------------------
// TCP flows: bursts of requests, responses and ACKs, then pauses
// ---------------------------------------------------------------------------

/** Payload length distribution of one side: pure ACKs, full segments, or uniform in [lo, hi]. */
export interface Sizes {
  pAck: number;
  pFull: number;
  lo: number;
  hi: number;
}

export interface TcpService {
  name: string;
  port: number;
  tls: boolean;
  cls: number;
  /** DSCP it carries as found (data and other classes). */
  dscp: number;
  /** Mean burst length, pause and gap between packets in a burst, µs. */
  activeUs: number;
  idleUs: number;
  gapUs: number;
  /** Share of packets the server sends. */
  pServer: number;
  client: Sizes;
  server: Sizes;
  /** Text the payload is made of (plain-text protocols). */
  text?: string;
}

const TLS_HEAD = 6;

export class TcpFlow extends Stream {
  readonly kind = KIND_TCP;
  readonly tpl: [Template, Template];
  private cport: number;
  private seqC: number;
  private seqS: number;
  private tsC = 0;
  private tsS = 0;
  private idC: number;
  private idS: number;
  private activeUntil = 0;
  private readonly maxPay: number;

  constructor(
    g: GenContext,
    local: Host,
    remote: Host,
    encap: Encap,
    readonly svc: TcpService,
  ) {
    const cls = svc.cls;
    const marked = cls <= CLASS_SIGNALLING;
    super(cls, marked ? CLASS_DSCP[cls] : svc.dscp, marked && encap.tags.length > 0 ? CLASS_COS[cls] : 0, encap.tags.length > 0);
    const rng = g.rng;
    this.cport = ephemeral(rng);
    const head = svc.tls ? Uint8Array.of(0x17, 0x03, 0x03, 0, 0, 0) : new Uint8Array(0);
    this.maxPay = TCP_MSS;
    // One payload per service and direction, shared by all its flows (and their prefix sums).
    const body = (dir: string): Uint8Array =>
      g.shared(`tcp:${svc.name}:${dir}`, () => (svc.text ? textBytes(svc.text, TCP_MSS - head.length) : randomBytes(rng, TCP_MSS - head.length)));
    this.tpl = [
      g.template(flowSpec(local, remote, encap, true, IPPROTO_TCP, this.cport, svc.port, head, body('c'))),
      g.template(flowSpec(local, remote, encap, false, IPPROTO_TCP, this.cport, svc.port, head, body('s'))),
    ];
    this.seqC = rng.u32();
    this.seqS = rng.u32();
    this.idC = rng.int(0, 0xffff);
    this.idS = rng.int(0, 0xffff);
  }

  start(g: GenContext): number {
    const rng = g.rng;
    const svc = this.svc;
    if (rng.chance(svc.activeUs / (svc.activeUs + svc.idleUs))) {
      this.activeUntil = us(rng.exp(svc.activeUs));
      return rng.int(0, us(svc.gapUs * 2));
    }
    const first = us(rng.exp(svc.idleUs));
    this.activeUntil = first + us(rng.exp(svc.activeUs));
    return first;
  }

  private size(rng: Rng, s: Sizes): number {
    const x = rng.float();
    if (x < s.pAck) return 0;
    if (x < s.pAck + s.pFull) return this.maxPay;
    return rng.int(s.lo, s.hi);
  }

  emit(g: GenContext, now: number): number {
    const rng = g.rng;
    const svc = this.svc;
    if (now >= this.activeUntil) {
      const next = now + 1 + us(rng.exp(svc.idleUs));
      this.activeUntil = next + 1 + us(rng.exp(svc.activeUs));
      if (rng.chance(0.5)) {
        // A new connection for the next burst.
        this.cport = ephemeral(rng);
        this.seqC = rng.u32();
        this.seqS = rng.u32();
      }
      return next;
    }
    const fromServer = rng.float() < svc.pServer;
    let n = this.size(rng, fromServer ? svc.server : svc.client);
    if (svc.tls && n > 0 && n < TLS_HEAD) n = TLS_HEAD;
    g.mark(this);
    const t = this.tpl[fromServer ? 1 : 0];
    const hl = t.l4HdrLen;
    const l4Len = hl + n;
    const f = g.begin(t, t.l4Off + l4Len);
    const b = g.pool;
    const l4 = f + t.l4Off;
    const tsval = ((fromServer ? 0x5000000 : 0x3000000) + Math.floor(now / 1000)) >>> 0;
    if (fromServer) {
      writeTcp(b, l4, hl, svc.port, this.cport, this.seqS, this.seqC, n > 0 ? TCP_PSH_ACK : TCP_ACK, 501, tsval, this.tsC);
      this.tsS = tsval;
      this.seqS = (this.seqS + n) >>> 0;
    } else {
      writeTcp(b, l4, hl, this.cport, svc.port, this.seqC, this.seqS, n > 0 ? TCP_PSH_ACK : TCP_ACK, 2048, tsval, this.tsS);
      this.tsC = tsval;
      this.seqC = (this.seqC + n) >>> 0;
    }
    if (svc.tls && n > 0) w16(b, l4 + hl + 3, n - 5);
    let id: number;
    if (fromServer) {
      id = this.idS;
      this.idS = (id + 1) & 0xffff;
    } else {
      id = this.idC;
      this.idC = (id + 1) & 0xffff;
    }
    g.finish(t, f, l4Len, id, now, this.cls);
    return now + 1 + us(rng.exp(svc.gapUs));
  }
}

// ---------------------------------------------------------------------------
// TFTP: a phone fetching its configuration (RFC 1350: only the request goes to port 69)
// ---------------------------------------------------------------------------

export class Tftp extends Stream {
  readonly kind = KIND_TFTP;
  private readonly rrq: Template;
  private readonly data: Template;
  private readonly ack: Template;
  private state = 0;
  private block = 0;
  private blocks = 0;
  private lastLen = 0;
  private cport = 0;
  private sport = 0;
  private idC: number;
  private idS: number;

  constructor(
    g: GenContext,
    local: Host,
    server: Host,
    encap: Encap,
    readonly idleUs: number,
  ) {
    super(CLASS_DATA, 0, 0, encap.tags.length > 0);
    const rng = g.rng;
    const file = `SEP${hex(rng, 12).toUpperCase()}.cnf.xml`;
    const req = Buffer.from(`\x00\x01${file}\x00octet\x00blksize\x00512\x00`, 'latin1');
    const none = new Uint8Array(0);
    this.rrq = g.template(flowSpec(local, server, encap, true, IPPROTO_UDP, 0, 69, none, req));
    this.data = g.template(flowSpec(local, server, encap, false, IPPROTO_UDP, 0, 0, Uint8Array.of(0, 3, 0, 0), textBytes('<device><deviceProtocol>SIP</deviceProtocol><sshUserId>admin</sshUserId></device>', 512)));
    this.ack = g.template(flowSpec(local, server, encap, true, IPPROTO_UDP, 0, 0, Uint8Array.of(0, 4, 0, 0), none));
    this.idC = rng.int(0, 0xffff);
    this.idS = rng.int(0, 0xffff);
  }

  start(g: GenContext): number {
    return us(g.rng.exp(this.idleUs));
  }

  emit(g: GenContext, now: number): number {
    const rng = g.rng;
    g.mark(this);
    const b = g.pool;
    if (this.state === 0) {
      this.cport = ephemeral(rng);
      this.sport = ephemeral(rng);
      this.blocks = rng.int(4, 40);
      this.lastLen = rng.int(0, 511);
      this.block = 1;
      const t = this.rrq;
      const l4Len = t.headLen + t.maxPayload;
      const f = g.begin(t, t.l4Off + l4Len);
      w16(b, f + t.l4Off, this.cport);
      g.finish(t, f, l4Len, this.idC, now, this.cls);
      this.idC = (this.idC + 1) & 0xffff;
      this.state = 1;
      return now + rng.int(1000, 3000);
    }
    if (this.state === 1) {
      const t = this.data;
      const l4Len = t.headLen + (this.block < this.blocks ? 512 : this.lastLen);
      const f = g.begin(t, t.l4Off + l4Len);
      const l4 = f + t.l4Off;
      w16(b, l4, this.sport);
      w16(b, l4 + 2, this.cport);
      w16(b, l4 + 10, this.block);
      g.finish(t, f, l4Len, this.idS, now, this.cls);
      this.idS = (this.idS + 1) & 0xffff;
      this.state = 2;
      return now + rng.int(300, 1000);
    }
    const t = this.ack;
    const l4Len = t.headLen;
    const f = g.begin(t, t.l4Off + l4Len);
    const l4 = f + t.l4Off;
    w16(b, l4, this.cport);
    w16(b, l4 + 2, this.sport);
    w16(b, l4 + 10, this.block);
    g.finish(t, f, l4Len, this.idC, now, this.cls);
    this.idC = (this.idC + 1) & 0xffff;
    if (this.block === this.blocks) {
      this.state = 0;
      return now + 1000 + us(rng.exp(this.idleUs));
    }
    this.block++;
    this.state = 1;
    return now + rng.int(200, 600);
  }
}

// ---------------------------------------------------------------------------
// Request/response over UDP or ICMP echo: DNS, NTP, SNMP, syslog, ping
// ---------------------------------------------------------------------------

export interface RrPayloads {
  req: Uint8Array;
  resp: Uint8Array;
  /** Request and response lengths are drawn from these ranges (prefixes of req and resp). */
  reqLen: [number, number];
  respLen: [number, number];
}

export interface RrService {
  name: string;
  /** 'udp', or 'icmp' for echo request/reply (ICMPv6 on IPv6). */
  proto: 'udp' | 'icmp';
  port: number;
  cls: number;
  dscp: number;
  pResp: number;
  rttUs: [number, number];
  gapUs: number;
  /** New client port for every request (DNS resolvers do this). */
  newPort: boolean;
  /** DNS: the 8-byte header head (id, flags, counts) is patched, and big answers are lists of A records. */
  dns: boolean;
  /** Share of responses larger than the MTU (DNS over IPv4 only: sent as IP fragments). */
  pBig: number;
  payloads(rng: Rng): RrPayloads;
}

const DNS_HEAD = 8;
const DNS_ANSWER_LEN = 16;
/** Most answers a big DNS response carries (about 3 kB: three fragments). */
const DNS_MAX_ANSWERS = 180;

/** A DNS question for `name` (type A, class IN) after the header's NS and AR counts. */
const dnsCache = new Map<string, RrPayloads>();

export function dnsPayloads(name: string): RrPayloads {
  const cached = dnsCache.get(name);
  if (cached !== undefined) return cached;
  const labels = name.split('.');
  const q: number[] = [0, 0, 0, 0]; // NSCOUNT, ARCOUNT
  for (const l of labels) q.push(l.length, ...Buffer.from(l, 'latin1'));
  q.push(0, 0, 1, 0, 1);
  const req = Uint8Array.from(q);
  const resp = new Uint8Array(req.length + DNS_MAX_ANSWERS * DNS_ANSWER_LEN);
  resp.set(req);
  for (let i = 0; i < DNS_MAX_ANSWERS; i++) {
    const o = req.length + i * DNS_ANSWER_LEN;
    resp.set([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 198, 19, 2 + (i >> 8), i & 0xff], o);
  }
  const p: RrPayloads = { req, resp, reqLen: [req.length, req.length], respLen: [req.length + DNS_ANSWER_LEN, req.length + DNS_ANSWER_LEN] };
  dnsCache.set(name, p);
  return p;
}

export class ReqResp extends Stream {
  readonly kind = KIND_REQRESP;
  private readonly req: Template;
  private readonly resp: Template;
  private readonly p: RrPayloads;
  private awaiting = false;
  private cport: number;
  private rid = 0;
  private idC: number;
  private idS: number;
  private readonly icmp: boolean;
  private readonly big: boolean;

  constructor(
    g: GenContext,
    local: Host,
    remote: Host,
    encap: Encap,
    readonly svc: RrService,
  ) {
    super(svc.cls, svc.dscp, 0, encap.tags.length > 0);
    const rng = g.rng;
    this.icmp = svc.proto === 'icmp';
    const v6 = encap.ipVersion === 6;
    const proto = this.icmp ? (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) : IPPROTO_UDP;
    this.cport = this.icmp ? 0 : ephemeral(rng);
    const head = svc.dns ? new Uint8Array(DNS_HEAD) : new Uint8Array(0);
    this.p = svc.payloads(rng);
    this.big = svc.dns && svc.pBig > 0 && !v6;
    const resp = this.big ? this.p.resp : this.p.resp.subarray(0, this.p.respLen[1]);
    const reqSpec = flowSpec(local, remote, encap, true, proto, this.cport, svc.port, head, this.p.req);
    const respSpec = flowSpec(local, remote, encap, false, proto, this.cport, svc.port, head, resp);
    if (this.icmp) {
      reqSpec.icmpType = v6 ? 128 : 8;
      respSpec.icmpType = v6 ? 129 : 0;
    }
    this.req = g.template(reqSpec);
    this.resp = g.template(respSpec);
    this.rid = rng.int(0, 0xffff);
    this.idC = rng.int(0, 0xffff);
    this.idS = rng.int(0, 0xffff);
  }

  start(g: GenContext): number {
    return us(g.rng.exp(this.svc.gapUs));
  }

  emit(g: GenContext, now: number): number {
    const rng = g.rng;
    const svc = this.svc;
    const p = this.p;
    g.mark(this);
    const b = g.pool;
    if (!this.awaiting) {
      if (svc.newPort && !this.icmp) this.cport = ephemeral(rng);
      this.rid = (this.rid + 1) & 0xffff;
      const t = this.req;
      const l4Len = t.headLen + rng.int(p.reqLen[0], p.reqLen[1]);
      const f = g.begin(t, t.l4Off + l4Len);
      this.patch(b, f + t.l4Off, true, 0);
      g.finish(t, f, l4Len, this.idC, now, this.cls);
      this.idC = (this.idC + 1) & 0xffff;
      if (rng.float() < svc.pResp) {
        this.awaiting = true;
        return now + rng.int(svc.rttUs[0], svc.rttUs[1]);
      }
      return now + 1 + us(rng.exp(svc.gapUs));
    }
    this.awaiting = false;
    const t = this.resp;
    if (this.big && rng.float() < svc.pBig) {
      const answers = rng.int(100, DNS_MAX_ANSWERS);
      const l4Len = t.headLen + p.reqLen[0] + answers * DNS_ANSWER_LEN;
      const s = g.loadScratch(t);
      this.patch(s, t.l4Off, false, answers);
      g.emitScratch(t, l4Len, -1, this.idS, now, this.cls);
    } else {
      const l4Len = t.headLen + rng.int(p.respLen[0], p.respLen[1]);
      const f = g.begin(t, t.l4Off + l4Len);
      this.patch(b, f + t.l4Off, false, 1);
      g.finish(t, f, l4Len, this.idS, now, this.cls);
    }
    this.idS = (this.idS + 1) & 0xffff;
    return now + 1 + us(rng.exp(svc.gapUs));
  }

  private patch(b: Uint8Array, l4: number, request: boolean, answers: number): void {
    if (this.icmp) {
      w16(b, l4 + 4, 0x4a11);
      w16(b, l4 + 6, this.rid);
      return;
    }
    w16(b, l4, request ? this.cport : this.svc.port);
    w16(b, l4 + 2, request ? this.svc.port : this.cport);
    if (this.svc.dns) {
      const h = l4 + UDP_HEADER_LEN;
      w16(b, h, this.rid);
      w16(b, h + 2, request ? 0x0100 : 0x8180);
      w16(b, h + 4, 1);
      w16(b, h + 6, answers);
    }
  }
}

// ---------------------------------------------------------------------------
// ARP requests: frames that are not IP at all
// ---------------------------------------------------------------------------

export class Arp extends Stream {
  readonly kind = KIND_ARP;
  private readonly tpl: Template;

  constructor(
    g: GenContext,
    local: Host,
    encap: Encap,
    target: Uint8Array,
    readonly gapUs: number,
  ) {
    super(CLASS_OTHER, 0, 0, encap.tags.length > 0);
    const arp = new Uint8Array(28);
    arp.set([0, 1, 0x08, 0x00, 6, 4, 0, 1]);
    arp.set(local.mac, 8);
    arp.set(local.v4, 14);
    arp.set(target, 24);
    this.tpl = g.template(
      frameSpec({
        srcMac: local.mac,
        dstMac: Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
        tags: encap.tags,
        ipVersion: 0,
        etherType: 0x0806,
        payload: arp,
      }),
    );
  }

  start(g: GenContext): number {
    return us(g.rng.exp(this.gapUs));
  }

  emit(g: GenContext, now: number): number {
    g.pcp = 0;
    g.emitRaw(this.tpl, now, this.cls);
    return now + 1 + us(g.rng.exp(this.gapUs));
  }
}

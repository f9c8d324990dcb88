/**
 * A simulated routed path for the probe engine: routers that answer ICMP
 * Time Exceeded quoting the header as they received it (after an ingress
 * re-mark, before an egress one, as a Linux router does: FIELD-NOTES), a
 * destination that answers Port Unreachable or a TCP reset, an optional
 * STAMP reflector, each reply delayed at random so they arrive out of order.
 */
import type { ProbeTransport, TransportHandlers } from '../../src/probe/engine.js';
import { parseQuote, type IcmpError } from '../../src/probe/icmp.js';
import { decodeSenderPacket, reflect } from '../../src/probe/stamp.js';
import { addressBytes } from '../../src/probe/wire.js';

export interface SimRouter {
  address: string;
  /** DS field rewrite on the way in (shows in this router's quote). */
  ingress?: (tos: number) => number;
  /** DS field rewrite on the way out (shows in the next hop's quote). */
  egress?: (tos: number) => number;
  /** Never answers (ICMP errors dropped). */
  silent?: boolean;
  /** ICMP rate limit: this many in a burst, then one per refillMs. */
  burst?: number;
  refillMs?: number;
  /** Answers "net unreachable" instead of forwarding. */
  unreachable?: boolean;
}

export class SimPath implements ProbeTransport {
  handlers: TransportHandlers | null = null;
  readonly seesReplyTos = true;
  sent = 0;
  private readonly tokens = new Map<string, { n: number; last: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    readonly routers: SimRouter[],
    readonly destination: string,
    readonly reflectorPort: number | null = null,
    /** Rewrites on the reverse path (reflector to sender). */
    readonly reverse: (tos: number) => number = (t) => t,
  ) {}

  private later(fn: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, Math.random() * 15);
    this.timers.add(t);
  }

  private allow(r: SimRouter): boolean {
    if (r.burst === undefined) return true;
    const now = performance.now();
    const refill = r.refillMs ?? 1000;
    const b = this.tokens.get(r.address) ?? { n: r.burst, last: now };
    b.n = Math.min(r.burst, b.n + Math.floor((now - b.last) / refill));
    if (b.n === r.burst || now - b.last >= refill) b.last = now;
    this.tokens.set(r.address, b);
    if (b.n <= 0) return false;
    b.n--;
    return true;
  }

  async send(packet: Buffer, dst: string): Promise<void> {
    this.sent++;
    const p = Uint8Array.from(packet);
    const family = p[0] >> 4 === 4 ? 4 : 6;
    const setTos = (t: number) => {
      if (family === 4) p[1] = t;
      else {
        p[0] = 0x60 | (t >> 4);
        p[1] = ((t & 0x0f) << 4) | (p[1] & 0x0f);
      }
    };
    const getTos = () => (family === 4 ? p[1] : ((p[0] & 0x0f) << 4) | (p[1] >> 4));
    const ttl = family === 4 ? p[8] : p[7];
    for (let i = 0; i < this.routers.length; i++) {
      const r = this.routers[i];
      if (r.ingress) setTos(r.ingress(getTos()));
      if (ttl === i + 1 || r.unreachable) {
        if (r.silent || !this.allow(r)) return;
        const quote = parseQuote(p)!;
        quote.ttl = ttl - i;
        const e: IcmpError = {
          family,
          from: r.address,
          kind: r.unreachable ? 'unreachable' : 'time-exceeded',
          type: r.unreachable ? 3 : 11,
          code: 0,
          reason: r.unreachable ? 'net' : null,
          originalLength: null,
          extension: null,
          quote,
        };
        this.later(() => this.handlers?.icmp(e));
        return;
      }
      if (r.egress) setTos(r.egress(getTos()));
    }
    if (dst !== this.destination) return;
    const q = parseQuote(p)!;
    if (q.protocol === 6) {
      this.later(() =>
        this.handlers?.tcp({ from: dst, to: null, tos: 0, srcPort: q.dstPort!, dstPort: q.srcPort!, seq: 0, ack: (q.tcpSeq! + 1) >>> 0, flags: 0x14 }),
      );
      return;
    }
    if (this.reflectorPort !== null && q.dstPort === this.reflectorPort) {
      const hdr = family === 4 ? (p[0] & 0x0f) * 4 : 40;
      const stamp = p.subarray(hdr + 8);
      if (decodeSenderPacket(stamp) === null) return;
      const r = reflect(stamp, { tos: getTos(), ttl: 64 - this.routers.length, receivedMs: Date.now() }, Date.now())!;
      const back = this.reverse(r.dscp << 2);
      this.later(() => this.handlers?.udp({ from: dst, srcPort: this.reflectorPort!, dstPort: q.srcPort!, tos: back, payload: r.packet }));
      return;
    }
    const e: IcmpError = { family, from: dst, kind: 'unreachable', type: 3, code: 3, reason: 'port', originalLength: null, extension: null, quote: q };
    this.later(() => this.handlers?.icmp(e));
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
  }
}

export function endpoint4(source: string, target: string) {
  return { family: 4 as const, source, sourceBytes: addressBytes(source)!, target, targetBytes: addressBytes(target)! };
}


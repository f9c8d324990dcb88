/**
 * The bridge's hot loop: a frame read on one port goes through the shared
 * Pipeline (parsed, classified, marked in place, exactly as `mark` does to a
 * file record) and is sent out of the other port, then optionally written to
 * the tee file. Every frame read is either sent or counted as not sent, with
 * the reason. Nothing here allocates per frame (a send error makes an Error).
 *
 * One Pipeline serves both directions: a call's SIP goes one way and its RTP
 * both ways, so the SDP media table must be shared; fragments of one packet
 * all travel the same way, so sharing the fragment table is harmless.
 */
import type { CompiledPolicy } from '../classify/compile.js';
import type { LivePort } from '../io/live-cap.js';
import type { PcapngWriter } from '../io/pcapng-writer.js';
import { LINKTYPE_ETHERNET } from '../parse/linktype.js';
import type { Pipeline } from './pipeline.js';

const ETH_HLEN = 14;
const VLAN_HLEN = 4;
/** A read loop is over once the event loop turns this long after it began. */
const BATCH_END_MS = 1;
/** Without a tee, the clock is read once per this many frames of a read loop (see Forwarder.clockNow). */
const CLOCK_EVERY = 64;

export class Direction {
  received = 0;
  receivedBytes = 0;
  forwarded = 0;
  forwardedBytes = 0;
  /** Larger than the outgoing interface's MTU allows (or than libpcap's 65535-byte snap length). */
  tooLarge = 0;
  sendErrors = 0;
  /** Sent out of the incoming interface by this host's own stack (source MAC = that interface's): not bridged. */
  local = 0;
  /** Read while the event loop was starved (Forwarder.starvedMs): dropped so that the ring empties. */
  overload = 0;
  lastSendError: string | null = null;
  /** Frames per class, indexed like the policy's classes. */
  readonly byClass: Float64Array;
  /** Largest Ethernet payload the outgoing interface sends (its MTU). */
  outMtu = 1500;
  /** Interface id in the tee file, or -1. */
  teeInterface = -1;
  /** The incoming interface's MAC as 16 + 32 bits; -1 when unknown (nothing is skipped). */
  ownMacHi = -1;
  ownMacLo = -1;

  constructor(
    readonly from: LivePort,
    readonly to: LivePort,
    policy: CompiledPolicy,
  ) {
    this.byClass = new Float64Array(policy.classNames.length);
  }

  get label(): string {
    return `${this.from.name}->${this.to.name}`;
  }

  get notForwarded(): number {
    return this.tooLarge + this.sendErrors + this.local + this.overload;
  }

  /** Sets the incoming interface's MAC address ("aa:bb:cc:dd:ee:ff"). */
  setOwnMac(mac: string | null): void {
    const b = mac === null ? [] : mac.split(':').map((x) => parseInt(x, 16));
    if (b.length !== 6 || b.some((x) => !(x >= 0 && x <= 255))) {
      this.ownMacHi = -1;
      this.ownMacLo = -1;
      return;
    }
    this.ownMacHi = (b[0] << 8) | b[1];
    this.ownMacLo = ((b[2] << 24) | (b[3] << 16) | (b[4] << 8) | b[5]) >>> 0;
  }
}

/**
 * How full the ring must be, and still filling since the previous check 100 ms
 * before, for a starved read loop to shed. Near capacity a busy bridge's
 * backlog swings widely and still drains (half the default ring is only
 * ~70 ms of 150,000 frames/s); three quarters and rising means the ring is
 * close to dropping frames itself, so shedding then costs frames that would
 * have been lost anyway.
 */
export const SHED_RING_SHARE = 0.75;
/**
 * ...and it must have grown by more than this share of the ring since that
 * check (1/32 of a 32 MiB ring: ~650 frames in 100 ms, 6,500 frames/s more
 * than are forwarded), not by the few frames a bridge at capacity swings by.
 */
export const SHED_FILL_SHARE = 1 / 32;

export class Forwarder {
  readonly directions: Direction[] = [];
  /** Frames read, all directions. */
  total = 0;
  /** Stop after this many frames (0: no limit); onLimit is called from inside the frame callback. */
  limit = 0;
  onLimit: (() => void) | null = null;

  /**
   * Load shedding. cap reads frames in a loop that returns to the event loop
   * only when the capture ring is empty; while frames arrive faster than they
   * are forwarded, signals, timers and metrics would wait for ever. When one
   * such read loop has run for more than starvedMs (wall clock) and the ring
   * is more than SHED_RING_SHARE full and fuller than 100 ms before (backlog()
   * against ringSlots), or the loop has run
   * for more than hardStarvedMs whatever the ring holds, the rest of its frames
   * are counted as overload and not forwarded: that empties the ring in a
   * microsecond or two per frame and lets the event loop turn. A bridge that
   * keeps up, even without ever finding the ring empty, sheds nothing until
   * hardStarvedMs. starvedMs 0: never shed.
   */
  starvedMs = 1000;
  hardStarvedMs = 10_000;
  /** Frames received by the capturing interfaces and not yet read (ring occupancy, plus drops); null: unknown. */
  backlog: (() => number | null) | null = null;
  /** How many frames the capture rings hold, together; 0: unknown. */
  ringSlots = 0;
  /** performance.now() at the first frame of the current read loop, or -1 between loops. */
  batchStart = -1;
  /** Shedding until the current read loop ends. */
  shedding = false;
  /** When a starved read loop next looks at the backlog. */
  private nextCheck = 0;
  /**
   * Giving the CPU away. The bridge runs pinned to one core under SCHED_FIFO,
   * and this process's other threads (V8's optimizing compiler, its GC
   * helpers) are pinned to that core at the same priority: they run only
   * when the main thread sleeps. A read loop that never finds the ring empty
   * never sleeps, so functions queued for optimization were never compiled
   * and the Pipeline ran in the interpreter and baseline code, 10 to 20 times
   * slower (the bridge warms up before capturing, see engine/warmup.ts; this
   * covers what needs compiling later, e.g. after a deoptimization). So while
   * one read loop runs, every yieldEveryMs the main thread sleeps yieldMs
   * (Atomics.wait): a pending compile or GC job then runs to its end. With
   * nothing pending that costs about yieldMs per yieldEveryMs (0.2 %).
   * yieldMs 0: never.
   */
  yieldEveryMs = 50;
  yieldMs = 0.1;
  /** Times the main thread slept for the other threads. */
  yields = 0;
  private readonly sleepCell = new Int32Array(new SharedArrayBuffer(4));
  /** When the current read loop next yields and looks at starvation: one comparison per frame. */
  private nextTick = 0;
  /** Runs (batchTimer) once the read loop that set batchStart has returned to the event loop. */
  private readonly endBatch = (): void => {
    this.batchStart = -1;
    this.shedding = false;
    this.nextCheck = 0;
    this.lastBacklog = -1;
  };
  /** The backlog at the previous check of this starved read loop; -1 before the first. */
  private lastBacklog = -1;
  /**
   * Ends the read loop: timers run only when the event loop turns, so this one
   * fires at the first turn at least BATCH_END_MS after the loop began. One
   * timer, re-armed with refresh(): a setImmediate per read loop allocated an
   * Immediate every few frames, since at 150,000 frames/s a loop that keeps up
   * finds the ring empty every few frames. (Node still makes a new internal
   * timer list when a fired timer is re-armed: once per 1 ms at most, not per
   * loop.)
   */
  private batchTimer: NodeJS.Timeout | null = null;

  /** The first frame of a read loop. */
  private startBatch(now: number): void {
    this.batchStart = now;
    this.nextTick = now + Math.min(this.tickEveryMs(), this.starvedMs > 0 ? this.starvedMs : Infinity);
    if (this.batchTimer === null) {
      this.batchTimer = setTimeout(this.endBatch, BATCH_END_MS);
      // The captures keep the process alive, not this.
      this.batchTimer.unref();
    } else {
      this.batchTimer.refresh();
    }
  }

  /** Ticks come every yieldEveryMs, and at least every 100 ms (how often a starved loop looks at the backlog). */
  private tickEveryMs(): number {
    return this.yieldMs > 0 ? Math.min(this.yieldEveryMs, 100) : 100;
  }

  /**
   * The clock of the frame callback. Reading it allocates (performance.now()
   * and Date.now() each return a new heap number), so it is read for the
   * first frame of a read loop, for every frame the tee records (its
   * timestamps are per frame), after a yield, and every CLOCK_EVERY frames
   * otherwise: within one read loop a frame's time is then at most
   * CLOCK_EVERY frames old (well under a millisecond under load). Fields, not
   * closure variables: a double stored in a field is updated in place.
   */
  private clockNow = performance.now();
  private clockSec = 0;
  private clockNsec = 0;
  private clockLeft = 0;
  private readonly timeOrigin = performance.timeOrigin;

  private readClock(): void {
    const now = performance.now();
    const ms = this.timeOrigin + now;
    const sec = Math.floor(ms / 1000);
    this.clockNow = now;
    this.clockSec = sec;
    this.clockNsec = Math.floor((ms - sec * 1000) * 1e6);
    this.clockLeft = CLOCK_EVERY;
  }

  /** Every few ms of one read loop: yield the CPU, and once starved, decide on shedding. */
  private tick(now: number): void {
    if (this.yieldMs > 0) {
      Atomics.wait(this.sleepCell, 0, 0, this.yieldMs);
      this.yields++;
      this.clockLeft = 0;
    }
    if (!this.shedding && this.starvedMs > 0 && now - this.batchStart > this.starvedMs && now >= this.nextCheck) {
      this.nextCheck = now + 100;
      this.shedding = this.overloaded(now);
    }
    this.nextTick = now + this.tickEveryMs();
  }

  private overloaded(now: number): boolean {
    if (now - this.batchStart > this.hardStarvedMs) return true;
    const b = this.backlog === null ? null : this.backlog();
    if (b === null || this.ringSlots <= 0) return true;
    // Full and still filling: a backlog that stopped growing is being worked off. The backlog
    // counts earlier ring drops too, so the level alone can mislead after an overload; the
    // growth is what tells frames arriving faster than they are forwarded.
    const filling = this.lastBacklog >= 0 && b - this.lastBacklog > this.ringSlots * SHED_FILL_SHARE;
    this.lastBacklog = b;
    return filling && b > this.ringSlots * SHED_RING_SHARE;
  }

  /** Why the tee file stopped being written (it is then closed and set to null), or null. */
  teeError: string | null = null;

  constructor(
    readonly pipeline: Pipeline,
    public tee: PcapngWriter | null,
  ) {}

  private teeFailed(err: unknown): void {
    this.teeError = (err as Error)?.message ?? String(err);
    const tee = this.tee;
    this.tee = null;
    try {
      tee?.close();
    } catch {
      // already reported
    }
  }

  addDirection(from: LivePort, to: LivePort): Direction {
    const d = new Direction(from, to, this.pipeline.policy);
    this.directions.push(d);
    return d;
  }

  /** The callback for frames read on `d.from`. */
  frameHandler(d: Direction): (nBytes: number, truncated: boolean) => void {
    const pipeline = this.pipeline;
    const classifier = pipeline.classifier;
    const buf = d.from.buf;
    const to = d.to;
    return (n: number, truncated: boolean): void => {
      // cap gives no capture timestamp: the time the frame was read (immediate mode: microseconds after arrival).
      if (this.batchStart < 0 || this.tee !== null || --this.clockLeft <= 0) this.readClock();
      const now = this.clockNow;
      d.received++;
      d.receivedBytes += n;
      if (this.batchStart < 0) this.startBatch(now);
      else if (now >= this.nextTick) this.tick(now);
      if (this.shedding) {
        d.overload++;
        if (++this.total === this.limit && this.onLimit !== null) this.onLimit();
        return;
      }
      if (
        n >= ETH_HLEN &&
        ((buf[6] << 8) | buf[7]) === d.ownMacHi &&
        ((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0 === d.ownMacLo
      ) {
        // This host's own frame leaving the interface (or one claiming to be): not bridged traffic.
        d.local++;
        if (++this.total === this.limit && this.onLimit !== null) this.onLimit();
        return;
      }
      pipeline.handle(buf, 0, n, n, LINKTYPE_ETHERNET, this.clockSec, this.clockNsec);
      const cls = classifier.cls;
      if (cls >= 0) d.byClass[cls]++;
      // The kernel (packet_snd) allows MTU + link header, + 4 for a frame with an 802.1Q tag.
      const limit = d.outMtu + ETH_HLEN + (n >= ETH_HLEN && buf[12] === 0x81 && buf[13] === 0x00 ? VLAN_HLEN : 0);
      if (truncated || n > limit) {
        d.tooLarge++;
      } else {
        let sent = true;
        try {
          to.send(buf, n);
        } catch (err) {
          sent = false;
          d.sendErrors++;
          d.lastSendError = (err as Error)?.message ?? String(err);
        }
        if (sent) {
          d.forwarded++;
          d.forwardedBytes += n;
          const tee = this.tee;
          if (tee !== null) {
            try {
              tee.writePacket(d.teeInterface, this.clockSec, this.clockNsec, buf, 0, n, n);
            } catch (err) {
              this.teeFailed(err);
            }
          }
        }
      }
      if (++this.total === this.limit && this.onLimit !== null) this.onLimit();
    };
  }
}

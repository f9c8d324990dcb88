/**
 * Warming the bridge's hot path up before the first live frame.
 *
 * V8 compiles hot functions to optimized code on helper threads. The bridge
 * normally runs pinned to one core under SCHED_FIFO (taskset + chrt), and the
 * helper threads inherit both: on that core, at the same real-time priority,
 * they run only when the main thread sleeps. Under load the main thread never
 * sleeps (cap reads until the ring is empty), so the Pipeline stayed in the
 * interpreter and baseline code, 10 to 20 times slower than optimized code: a
 * bridge that lost frames at 100,000 frames/s, while the same Pipeline.handle
 * took 0.1 µs per frame in an offline loop, where the helpers have another core.
 *
 * So before the captures open, generated traffic (the `cupc` profile: RTP,
 * SIP over UDP and TCP, VLAN tags, IPv6, fragments) runs through a Forwarder
 * of its own (own Pipeline, own counters, a port that sends nothing), in
 * rounds, with a real sleep between rounds in which the compiler threads
 * finish and install their work, until a round takes no less time per frame
 * than the rounds before it. The live Forwarder shares the compiled code, and
 * its type feedback already covers the frame kinds of the mix, so that a new
 * kind of frame later rarely throws optimized code away. What still needs
 * compiling under load gets the CPU through Forwarder.yieldMs.
 */
import type { CompiledPolicy } from '../classify/compile.js';
import { generateToBuffer } from '../gen/generate.js';
import type { LivePort } from '../io/live-cap.js';
import { FRAME_BUFFER_LEN } from '../io/live-cap.js';
import { Forwarder } from './forwarder.js';
import { Pipeline, type PipelineOptions } from './pipeline.js';

export interface WarmUpOptions {
  /** Generated frames per round. */
  frames?: number;
  /** Give up after this long, warm or not. */
  maxMs?: number;
  /** The sleep between rounds, in which the compiler threads run. */
  sleepMs?: number;
}

export interface WarmUpResult {
  rounds: number;
  frames: number;
  /** Time per frame of the last round, and of the first. */
  lastNsPerFrame: number;
  firstNsPerFrame: number;
  ms: number;
}

const PCAP_HEADER = 24;
const RECORD_HEADER = 16;
const MIN_ROUNDS = 10;
/** Stable: this many rounds in a row no faster (within STABLE_RATIO) than the best one. */
const STABLE_ROUNDS = 3;
const STABLE_RATIO = 1.25;

/** The frames of a little-endian microsecond pcap, as written by the generator. */
function pcapFrames(pcap: Uint8Array): Uint8Array[] {
  const view = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const frames: Uint8Array[] = [];
  for (let o = PCAP_HEADER; o + RECORD_HEADER <= pcap.length; ) {
    const capLen = view.getUint32(o + 8, true);
    o += RECORD_HEADER;
    if (o + capLen > pcap.length) break;
    frames.push(pcap.subarray(o, o + capLen));
    o += capLen;
  }
  return frames;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs generated traffic through `live`'s hot path (not its counters) until it is compiled. */
export async function warmUp(policy: CompiledPolicy, options: PipelineOptions, opts: WarmUpOptions = {}): Promise<WarmUpResult> {
  const started = performance.now();
  const maxMs = opts.maxMs ?? 600;
  const sleepMs = opts.sleepMs ?? 3;
  const frames = pcapFrames(generateToBuffer({ packets: opts.frames ?? 2000, profile: 'cupc' }).pcap);
  // A Pipeline and Forwarder of its own: the live counters, SDP media and fragment tables stay untouched.
  const pipeline = new Pipeline(policy, { ...options, fragments: undefined, recordCalls: false });
  const from = { name: 'warm-up', buf: Buffer.alloc(FRAME_BUFFER_LEN) };
  const to = { name: 'warm-up', buf: from.buf, send(_frame: Buffer, _len: number): void {} };
  const forwarder = new Forwarder(pipeline, null);
  forwarder.starvedMs = 0;
  forwarder.yieldMs = 0;
  const d = forwarder.addDirection(from as unknown as LivePort, to as unknown as LivePort);
  const onFrame = forwarder.frameHandler(d);
  const buf = from.buf;

  let best = Infinity;
  let stable = 0;
  let rounds = 0;
  let first = 0;
  let last = 0;
  while (true) {
    const t0 = performance.now();
    for (const f of frames) {
      buf.set(f, 0);
      onFrame(f.length, false);
    }
    last = ((performance.now() - t0) * 1e6) / Math.max(1, frames.length);
    if (rounds === 0) first = last;
    rounds++;
    stable = last <= best * STABLE_RATIO ? stable + 1 : 0;
    if (last < best) best = last;
    if ((rounds >= MIN_ROUNDS && stable >= STABLE_ROUNDS) || performance.now() - started > maxMs) break;
    // A real sleep (the event loop waits on a timer): the compiler threads get the core.
    await sleep(sleepMs);
  }
  return { rounds, frames: rounds * frames.length, lastNsPerFrame: last, firstNsPerFrame: first, ms: performance.now() - started };
}

/**
 * In-memory figures for `qosmark bench`: parse, classify and mark over frames
 * held in one buffer, and a count of garbage collections during a long
 * Pipeline.handle loop (the mark loop must not allocate per packet).
 */
import type { PerformanceEntry } from 'node:perf_hooks';
import { perfHooks } from '../io/builtins.js';
import { Classifier } from '../classify/classifier.js';
import { compilePolicy } from '../classify/compile.js';
import { FragmentTable } from '../classify/fragment-table.js';
import { builtinPolicy } from '../classify/policy.js';
import { Pipeline } from '../engine/pipeline.js';
import { ByteInput } from '../io/byte-stream.js';
import { openCapture } from '../io/capture-file.js';
import type { FrameHandler } from '../io/frame-handler.js';
import { parseFrame } from '../parse/frame.js';
import { ParsedFrame } from '../parse/parsed-frame.js';
import { spread, timeLoop, type LoopPlan, type Spread } from './timing.js';

/** Frames copied out of a capture into one buffer, with their record fields. */
export interface FrameSet {
  /** The frames as read; never written. */
  orig: Uint8Array;
  /** A copy that marking rewrites; restored from `orig` before each pass. */
  work: Uint8Array;
  count: number;
  offs: Int32Array;
  caps: Int32Array;
  wires: Int32Array;
  links: Int32Array;
  secs: Float64Array;
  nsecs: Float64Array;
  frameBytes: number;
}

class Enough extends Error {}

class Collector implements FrameHandler {
  count = 0;
  used = 0;
  readonly offs: Int32Array;
  readonly caps: Int32Array;
  readonly wires: Int32Array;
  readonly links: Int32Array;
  readonly secs: Float64Array;
  readonly nsecs: Float64Array;

  constructor(
    readonly data: Uint8Array,
    readonly max: number,
  ) {
    this.offs = new Int32Array(max);
    this.caps = new Int32Array(max);
    this.wires = new Int32Array(max);
    this.links = new Int32Array(max);
    this.secs = new Float64Array(max);
    this.nsecs = new Float64Array(max);
  }

  handle(buf: Uint8Array, off: number, capLen: number, wireLen: number, linkType: number, tsSec: number, tsNsec: number): void {
    if (this.count === this.max || this.used + capLen > this.data.length) throw new Enough();
    const i = this.count++;
    this.data.set(buf.subarray(off, off + capLen), this.used);
    this.offs[i] = this.used;
    this.caps[i] = capLen;
    this.wires[i] = wireLen;
    this.links[i] = linkType;
    this.secs[i] = tsSec;
    this.nsecs[i] = tsNsec;
    this.used += capLen;
  }
}

/** The first `maxPackets` frames of a pcap or pcapng file (at most `maxBytes` of frame data). */
export function loadFrames(file: string, maxPackets: number, maxBytes = 512 * 2 ** 20): FrameSet {
  const input = ByteInput.open(file);
  const c = new Collector(new Uint8Array(Math.max(0, Math.min(maxBytes, input.size > 0 ? input.size : maxBytes))), maxPackets);
  try {
    openCapture(input).stream(null, c);
  } catch (err) {
    if (!(err instanceof Enough)) throw err;
  } finally {
    input.close();
  }
  const orig = c.data.slice(0, c.used);
  return {
    orig,
    work: orig.slice(),
    count: c.count,
    offs: c.offs.slice(0, c.count),
    caps: c.caps.slice(0, c.count),
    wires: c.wires.slice(0, c.count),
    links: c.links.slice(0, c.count),
    secs: c.secs.slice(0, c.count),
    nsecs: c.nsecs.slice(0, c.count),
    frameBytes: c.used,
  };
}

export interface MemoryCase {
  name: 'touch' | 'parse' | 'classify' | 'mark';
  label: string;
  nsPerPacket: Spread;
  mpps: Spread;
}

export interface MemoryResult {
  frames: number;
  frameBytes: number;
  runs: number;
  cases: MemoryCase[];
}

/** The built-in policy with mark's default options: what `qosmark mark IN -o OUT` runs. */
export function defaultPipeline(): Pipeline {
  return new Pipeline(compilePolicy(builtinPolicy()));
}

export function measureInMemory(set: FrameSet, plan: LoopPlan): MemoryResult {
  const { orig, work, count, offs, caps, wires, links, secs, nsecs } = set;
  const policy = compilePolicy(builtinPolicy());
  const p = new ParsedFrame();
  const classifier = new Classifier(policy, new FragmentTable());
  const pipeline = new Pipeline(policy);
  let sink = 0;
  const cases: { name: MemoryCase['name']; label: string; loop: { before?: () => void; pass: () => void } }[] = [
    {
      // What no stage can beat: the pass's walk through the frames' memory. One byte
      // per frame, but the hardware fetches whole cache lines, so over a buffer far
      // larger than the caches this is the memory bandwidth's share of every stage.
      name: 'touch',
      label: 'floor: one byte read per frame',
      loop: {
        pass() {
          for (let i = 0; i < count; i++) sink += orig[offs[i]];
        },
      },
    },
    {
      name: 'parse',
      label: 'parse (parseFrame)',
      loop: {
        pass() {
          for (let i = 0; i < count; i++) sink += parseFrame(orig, offs[i], caps[i], wires[i], links[i], p);
        },
      },
    },
    {
      name: 'classify',
      label: 'parse + classify (port rules, fragments)',
      loop: {
        pass() {
          for (let i = 0; i < count; i++) {
            parseFrame(orig, offs[i], caps[i], wires[i], links[i], p);
            sink += classifier.classify(orig, p, secs[i]);
          }
        },
      },
    },
    {
      name: 'mark',
      label: 'parse + classify + mark (Pipeline.handle)',
      loop: {
        // Marking rewrites the frames: each pass starts from the original bytes (untimed).
        before: () => work.set(orig),
        pass() {
          for (let i = 0; i < count; i++) pipeline.handle(work, offs[i], caps[i], wires[i], links[i], secs[i], nsecs[i]);
        },
      },
    },
  ];
  const out: MemoryCase[] = [];
  for (const c of cases) {
    const perPass = timeLoop(c.loop, plan);
    out.push({
      name: c.name,
      label: c.label,
      nsPerPacket: spread(perPass.map((s) => (s * 1e9) / count)),
      mpps: spread(perPass.map((s) => count / s / 1e6)),
    });
  }
  if (sink === 0.5) process.stderr.write('\n');
  return { frames: count, frameBytes: set.frameBytes, runs: plan.runs, cases: out };
}

export interface GcResult {
  packets: number;
  seconds: number;
  mpps: number;
  scavenges: number;
  markSweeps: number;
  otherGcs: number;
  scavengesPer10M: number;
  /** Heap growth over the loop when no collection ran in it (then it is what the loop allocated); else null. */
  heapGrowthBytes: number | null;
  method: string;
}

const tick = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs Pipeline.handle over `packets` frames (looping over the set, restoring
 * the bytes before each pass), after a warm-up, and counts the collections
 * that happen meanwhile: the loop is synchronous, so every one is caused by it.
 */
/** The frames that SIP inspection does not look at (it parses SIP and SDP text, which allocates strings). */
export function withoutSipFrames(set: FrameSet): FrameSet {
  const pipeline = defaultPipeline();
  const keep: number[] = [];
  set.work.set(set.orig);
  for (let i = 0; i < set.count; i++) {
    pipeline.handle(set.work, set.offs[i], set.caps[i], set.wires[i], set.links[i], set.secs[i], set.nsecs[i]);
    const rule = pipeline.classifier.rule;
    if (!(rule >= 0 && pipeline.policy.ruleInspectSip[rule] === 1)) keep.push(i);
  }
  const pick = <T extends Int32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(keep.length);
    keep.forEach((i, j) => (out[j] = a[i]));
    return out;
  };
  let frameBytes = 0;
  for (const i of keep) frameBytes += set.caps[i];
  return {
    ...set,
    count: keep.length,
    offs: pick(set.offs),
    caps: pick(set.caps),
    wires: pick(set.wires),
    links: pick(set.links),
    secs: pick(set.secs),
    nsecs: pick(set.nsecs),
    frameBytes,
  };
}

export async function measureGc(set: FrameSet, packets: number, warmupPackets: number): Promise<GcResult> {
  const { orig, work, count, offs, caps, wires, links, secs, nsecs } = set;
  const pipeline = defaultPipeline();
  const run = (n: number) => {
    let left = n;
    while (left > 0) {
      work.set(orig);
      const m = left < count ? left : count;
      for (let i = 0; i < m; i++) pipeline.handle(work, offs[i], caps[i], wires[i], links[i], secs[i], nsecs[i]);
      left -= m;
    }
  };
  run(warmupPackets);
  const { PerformanceObserver, constants: perfConstants } = perfHooks();
  const entries: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => entries.push(...list.getEntries()));
  obs.observe({ entryTypes: ['gc'] });
  // Let collections from before the loop be delivered, then forget them.
  await tick(20);
  entries.length = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  run(packets);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const heapAfter = process.memoryUsage().heapUsed;
  await tick(50);
  obs.disconnect();
  let scavenges = 0;
  let markSweeps = 0;
  let otherGcs = 0;
  for (const e of entries) {
    const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === perfConstants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
    else if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) markSweeps++;
    else otherGcs++;
  }
  return {
    packets,
    seconds,
    mpps: packets / seconds / 1e6,
    scavenges,
    markSweeps,
    otherGcs,
    scavengesPer10M: (scavenges * 1e7) / packets,
    heapGrowthBytes: entries.length === 0 ? heapAfter - heapBefore : null,
    method: "PerformanceObserver 'gc' entries during a synchronous loop",
  };
}

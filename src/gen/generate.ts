/**
 * The deterministic traffic generator behind `qosmark gen`: the same options
 * (seed included) give the same bytes. Streams are built from a profile, a
 * min-heap orders their packets by time, and each packet is a template copy
 * with a few fields patched, written through one reused buffer in
 * multi-megabyte chunks.
 */
import { createCaptureOutput } from '../io/io-threads-policy.js';
import { CLASS_NAMES, GenContext, KIND_REQRESP, KIND_RTP, KIND_TCP, type OutFactory } from './context.js';
import { PcapOut, type Sink } from './pcap-out.js';
import { PcapngOut } from './pcapng-out.js';
import { DEFAULT_WRONG_MARKS, PROFILES, buildProfile, type ProfileName } from './profiles.js';
import { Rng } from './rng.js';
import type { ReqResp, RtpStream, TcpFlow } from './streams.js';

export { PROFILES, type ProfileName } from './profiles.js';

/** 2024-01-01 09:00:00 UTC: every capture starts here. */
export const GEN_EPOCH_SEC = 1704099600;
export const DEFAULT_SEED = 7;
/** Bumped whenever the same options start giving different bytes (benchmark caches key on it). */
export const GEN_FORMAT_VERSION = 1;
export const DEFAULT_VLAN = 100;
/** Bytes per record to expect (header included): cupc averages 122, voice-only and worst-case about 190. */
const GEN_RECORD_BYTES_ESTIMATE = 120;

export interface GenOptions {
  packets: number;
  profile?: ProfileName;
  seed?: number;
  /** VLAN ID of the 802.1Q tags (the inner tag of QinQ); null: no tagged frames. */
  vlan?: number | null;
  /** Share of voice, video and signalling packets carrying a wrong marking; default per profile. */
  wrongMarks?: number;
  /** pcap (default) or pcapng. */
  format?: GenFormat;
}

export const GEN_FORMATS = ['pcap', 'pcapng'] as const;
export type GenFormat = (typeof GEN_FORMATS)[number];

export interface GenResult {
  format: GenFormat;
  profile: ProfileName;
  seed: number;
  packets: number;
  /** File bytes, headers included. */
  bytes: number;
  /** Frame bytes only. */
  frameBytes: number;
  /** Capture time from first to last packet. */
  captureSeconds: number;
  wallSeconds: number;
  packetsByClass: Record<string, number>;
  /** Frame bytes by class. */
  bytesByClass: Record<string, number>;
  wrongMarks: { share: number; dscp0: number; dscp40: number; cos0: number };
  ipFragments: number;
  streams: number;
}

export function validateGenOptions(opts: GenOptions): Required<GenOptions> {
  const profile = opts.profile ?? 'cupc';
  if (!PROFILES.includes(profile)) throw new RangeError(`unknown profile "${profile}"`);
  const packets = opts.packets;
  if (!Number.isSafeInteger(packets) || packets < 0) throw new RangeError(`packets must be a whole number >= 0, got ${packets}`);
  const seed = opts.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be a whole number 0..4294967295, got ${seed}`);
  const vlan = opts.vlan === undefined ? DEFAULT_VLAN : opts.vlan;
  if (vlan !== null && (!Number.isInteger(vlan) || vlan < 0 || vlan > 4094)) throw new RangeError(`vlan must be 0..4094, got ${vlan}`);
  const wrongMarks = opts.wrongMarks ?? DEFAULT_WRONG_MARKS[profile];
  if (!(wrongMarks >= 0 && wrongMarks <= 1)) throw new RangeError(`wrong-marks must be between 0 and 1, got ${wrongMarks}`);
  const format = opts.format ?? 'pcap';
  if (!GEN_FORMATS.includes(format)) throw new RangeError(`unknown format "${format}"`);
  return { packets, profile, seed, vlan, wrongMarks, format };
}

/** Generates the capture and hands it to `sink` in chunks (the chunk bytes are reused after each call). */
export function generate(options: GenOptions, sink: Sink): GenResult {
  const opts = validateGenOptions(options);
  const started = process.hrtime.bigint();
  const g = new GenContext(new Rng(opts.seed), opts.wrongMarks);
  buildProfile(g, opts.profile, { vlan: opts.vlan });
  const streams = g.streams;
  g.startKeys = new Array<number>(streams.length).fill(Infinity);
  for (let i = 0; i < streams.length; i++) {
    const k = streams[i].start(g);
    // A call slot may already have set its media's first times.
    if (g.startKeys[i] === Infinity) g.startKeys[i] = k;
  }
  const epochUs = GEN_EPOCH_SEC * 1e6;
  const makeOut: OutFactory =
    opts.format === 'pcapng'
      ? (pool, start, end) => new PcapngOut(pool, start, end, sink, epochUs, genCommandLine(opts))
      : (pool, start, end) => new PcapOut(pool, start, end, sink, epochUs);
  g.allocate(makeOut);
  const sched = g.schedule;
  sched.init(g.startKeys);
  const out = g.out;
  g.limit = opts.packets;
  out.writeFileHeader();
  let first = -1;
  let now = 0;
  while (out.records < opts.packets) {
    const i = sched.top();
    now = sched.topTime();
    if (now === Infinity) break;
    if (first < 0) first = now;
    const s = streams[i];
    let next: number;
    // One call site per kind: each stays monomorphic and can be inlined.
    switch (s.kind) {
      case KIND_RTP:
        next = (s as RtpStream).emit(g, now);
        break;
      case KIND_TCP:
        next = (s as TcpFlow).emit(g, now);
        break;
      case KIND_REQRESP:
        next = (s as ReqResp).emit(g, now);
        break;
      default:
        next = s.emit(g, now);
    }
    sched.update(i, next);
  }
  out.flush();
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const packetsByClass: Record<string, number> = {};
  const bytesByClass: Record<string, number> = {};
  CLASS_NAMES.forEach((name, i) => {
    packetsByClass[name] = g.byClass[i];
    bytesByClass[name] = g.bytesByClass[i];
  });
  return {
    format: opts.format,
    profile: opts.profile,
    seed: opts.seed,
    packets: out.records,
    bytes: out.bytes,
    frameBytes: g.bytesByClass.reduce((sum, b) => sum + b, 0),
    captureSeconds: first < 0 ? 0 : (now - first) / 1e6,
    wallSeconds,
    packetsByClass,
    bytesByClass,
    wrongMarks: { share: opts.wrongMarks, dscp0: g.wrongByKind[0], dscp40: g.wrongByKind[1], cos0: g.wrongByKind[2] },
    ipFragments: g.fragments,
    streams: streams.length,
  };
}

/**
 * Generates into a file (`-`: standard output) in multi-megabyte writes. A
 * file that cannot be created throws CaptureFileError.
 */
export function generateToFile(options: GenOptions & { output: string }): GenResult {
  // A big output gets a write-behind thread, as `mark` does: writing into fresh
  // file pages is the kernel's slowest part of the run, and it moves to the other core.
  const out = createCaptureOutput(options.output, options.packets * GEN_RECORD_BYTES_ESTIMATE);
  try {
    return generate(options, (buf, off, len) => out.write(buf, off, len));
  } finally {
    out.close();
  }
}

/** The gen command line, all but -o, that gives these packets again: the pcapng section comment. */
export function genCommandLine(opts: Required<GenOptions>): string {
  const vlan = opts.vlan === null ? 'none' : String(opts.vlan);
  return `qosmark gen --packets ${opts.packets} --profile ${opts.profile} --seed ${opts.seed} --vlan ${vlan} --wrong-marks ${opts.wrongMarks} --format ${opts.format}`;
}

/** Generates into memory: the whole file (pcap unless `format` says pcapng) as one buffer. */
export function generateToBuffer(options: GenOptions): { pcap: Uint8Array; result: GenResult } {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const result = generate(options, (buf, off, len) => {
    chunks.push(buf.slice(off, off + len));
    total += len;
  });
  const pcap = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    pcap.set(c, o);
    o += c.length;
  }
  return { pcap, result };
}

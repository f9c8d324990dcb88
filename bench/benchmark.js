#!/usr/bin/env node
/**
 * qosmark benchmarks (run with `npm run bench`, which builds first).
 *
 *  1. Micro-benchmarks (benchmark.js) over an in-memory buffer of generated
 *     cupc frames: parse only, parse + classify, parse + classify + mark
 *     (Pipeline.handle), and the generator itself. ns/packet, Mpps, MB/s.
 *  2. Whole process, file to file: `qosmark mark IN -o OUT --json` against
 *     `tcprewrite --tos=184` on the same generated file, input and output on
 *     /dev/shm (tmpfs: see shared/FIELD-NOTES.md, disk writeback swings
 *     whole-process times up to 3×). Median of N runs each, interleaved.
 *
 * Options:
 *   --packets N   packets in the whole-process file (default 1,000,000)
 *   --quick       small sizes and short timings: a smoke run of a few seconds
 *   --runs N      whole-process runs per tool (default 3)
 *   --seed N      generator seed (default 7)
 *   --dir DIR     where the files go (default /dev/shm)
 *   --json        print every figure as one JSON object instead of text
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Benchmark from 'benchmark';
import { QOSMARK_BIN, qosmarkBinEnv } from '../dist/bench/process.js';
import { Classifier } from '../dist/classify/classifier.js';
import { compilePolicy } from '../dist/classify/compile.js';
import { FragmentTable } from '../dist/classify/fragment-table.js';
import { builtinPolicy } from '../dist/classify/policy.js';
import { Pipeline } from '../dist/engine/pipeline.js';
import { grouped, groupedFixed } from '../dist/format/numbers.js';
import { GEN_FORMAT_VERSION, generate, generateToBuffer, generateToFile } from '../dist/gen/generate.js';
import { parseFrame } from '../dist/parse/frame.js';
import { ParsedFrame } from '../dist/parse/parsed-frame.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LINKTYPE_ETHERNET = 1;
/** EF (46) in the TOS byte: what tcprewrite writes into every IPv4 header. */
const TCPREWRITE_TOS = 46 << 2;
const TARGET_RATIO = 0.5;
const TARGET_RSS_BYTES = 100 * 1024 * 1024;

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

const { values: opt } = parseArgs({
  options: {
    packets: { type: 'string' },
    quick: { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '7' },
    dir: { type: 'string', default: '/dev/shm' },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write('usage: node bench/benchmark.js [--packets N] [--quick] [--runs N] [--seed N] [--dir DIR] [--json]\n');
  process.exit(0);
}
const quick = opt.quick;
const filePackets = opt.packets !== undefined ? Number(opt.packets) : quick ? 100_000 : 1_000_000;
const microPackets = quick ? 20_000 : 100_000;
const maxTime = quick ? 0.2 : 2;
const runs = Number(opt.runs);
const seed = Number(opt.seed);
if (!Number.isSafeInteger(filePackets) || filePackets <= 0) fail(`--packets: expected a whole number > 0`);
if (!Number.isSafeInteger(runs) || runs <= 0) fail(`--runs: expected a whole number > 0`);
if (!Number.isSafeInteger(seed) || seed < 0) fail(`--seed: expected a whole number >= 0`);
// Checked here, before the micro-benchmarks run, not after them.
if (!fs.existsSync(opt.dir)) fail(`--dir: ${opt.dir}: no such directory`);
if (!fs.statSync(opt.dir).isDirectory()) fail(`--dir: ${opt.dir}: not a directory`);

function fail(message) {
  process.stderr.write(`benchmark: ${message}\n`);
  process.exit(2);
}

/** Progress on stderr, so that --json output stays clean. */
function note(text) {
  process.stderr.write(`${text}\n`);
}

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

function cpuModel() {
  try {
    const line = fs
      .readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux
  }
  return os.cpus()[0]?.model ?? 'unknown';
}

function environment() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return {
    cpuModel: cpuModel(),
    cpus: os.cpus().length,
    node: process.version,
    qosmark: pkg.version,
    os: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((x) => Number(x.toFixed(2))),
  };
}

// ---------------------------------------------------------------------------
// Micro-benchmarks
// ---------------------------------------------------------------------------

/** Record offsets and lengths of a classic little-endian pcap in memory. */
function indexPcap(pcap) {
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const offs = [];
  const lens = [];
  const secs = [];
  const usecs = [];
  let frameBytes = 0;
  for (let pos = 24; pos + 16 <= pcap.length; ) {
    const len = dv.getUint32(pos + 8, true);
    secs.push(dv.getUint32(pos, true));
    usecs.push(dv.getUint32(pos + 4, true));
    offs.push(pos + 16);
    lens.push(len);
    frameBytes += len;
    pos += 16 + len;
  }
  return {
    count: offs.length,
    offs: Int32Array.from(offs),
    lens: Int32Array.from(lens),
    secs: Float64Array.from(secs),
    nsecs: Float64Array.from(usecs, (u) => u * 1000),
    frameBytes,
  };
}

function runSuite(cases) {
  const results = [];
  const suite = new Benchmark.Suite();
  for (const c of cases) suite.add(c.name, c.fn, { maxTime, minSamples: quick ? 3 : 8 });
  suite.on('cycle', (event) => {
    const b = event.target;
    if (b.error) throw b.error;
    const c = cases.find((x) => x.name === b.name);
    results.push({ name: b.name, hz: b.hz, rme: b.stats.rme, samples: b.stats.sample.length, packets: c.packets, bytes: c.bytes });
    note(`  ${String(b)}`);
  });
  suite.run({ async: false });
  return results;
}

function micro() {
  note(`micro: generating ${grouped(microPackets)} cupc frames in memory (seed ${seed})`);
  const { pcap } = generateToBuffer({ packets: microPackets, profile: 'cupc', seed });
  const idx = indexPcap(pcap);
  const orig = pcap.slice();
  const work = pcap;
  const { count, offs, lens, secs, nsecs, frameBytes } = idx;
  const policy = compilePolicy(builtinPolicy());
  const p = new ParsedFrame();
  const classifier = new Classifier(policy, new FragmentTable());
  const pipeline = new Pipeline(policy);
  let sink = 0;

  const cases = [
    {
      name: 'parse (parseFrame)',
      fn() {
        for (let i = 0; i < count; i++) sink += parseFrame(orig, offs[i], lens[i], lens[i], LINKTYPE_ETHERNET, p);
      },
    },
    {
      name: 'parse+classify',
      fn() {
        for (let i = 0; i < count; i++) {
          parseFrame(orig, offs[i], lens[i], lens[i], LINKTYPE_ETHERNET, p);
          sink += classifier.classify(orig, p, secs[i] + nsecs[i] * 1e-9);
        }
      },
    },
    {
      // Marking rewrites the buffer, so each pass starts from a fresh copy;
      // the copy is measured on its own below and subtracted.
      name: 'parse+classify+mark (Pipeline.handle), incl. buffer restore',
      fn() {
        work.set(orig);
        for (let i = 0; i < count; i++) pipeline.handle(work, offs[i], lens[i], lens[i], LINKTYPE_ETHERNET, secs[i], nsecs[i]);
      },
    },
    {
      name: 'buffer restore only (subtracted from the mark figure)',
      fn() {
        work.set(orig);
        sink += work[sink & 1023];
      },
    },
  ].map((c) => ({ ...c, packets: count, bytes: frameBytes }));
  // The generator: a run of genPackets into a null sink, and its fixed setup (a run of 0 packets).
  const genPackets = 10 * count;
  let genBytes = 0;
  cases.push(
    {
      name: `generate ${grouped(genPackets)} cupc packets, null sink`,
      packets: genPackets,
      bytes: 0,
      fn() {
        genBytes = generate({ packets: genPackets, profile: 'cupc', seed }, () => {}).frameBytes;
      },
    },
    {
      name: 'generator setup only (subtracted)',
      packets: genPackets,
      bytes: 0,
      fn() {
        sink += generate({ packets: 0, profile: 'cupc', seed }, () => {}).packets;
      },
    },
  );

  note('micro: benchmark.js');
  const raw = runSuite(cases);
  if (sink === 0.5) note('');
  const perPacket = (r) => 1e9 / (r.hz * r.packets);
  const restore = raw.find((r) => r.name.startsWith('buffer restore'));
  const figures = raw
    .filter((r) => r !== restore && r.name !== 'generator setup only (subtracted)')
    .map((r) => ({
      name: r.name,
      nsPerPacket: perPacket(r),
      mpps: (r.hz * r.packets) / 1e6,
      mbPerSec: (r.hz * r.bytes) / 1e6,
      rmePercent: r.rme,
      samples: r.samples,
    }));
  const genRun = raw.find((r) => r.name.startsWith('generate '));
  const genSetup = raw.find((r) => r.name.startsWith('generator setup'));
  for (const f of figures) {
    if (f.name === genRun.name) f.mbPerSec = (genRun.hz * genBytes) / 1e6;
  }
  const genNetNs = perPacket(genRun) - perPacket(genSetup);
  figures.push({
    name: 'generate (cupc), net of setup',
    nsPerPacket: genNetNs,
    mpps: 1e3 / genNetNs,
    mbPerSec: (genBytes / genRun.packets) * (1e3 / genNetNs),
    rmePercent: null,
    samples: null,
    setupMs: 1e3 / genSetup.hz,
  });
  const mark = raw.find((r) => r.name.startsWith('parse+classify+mark'));
  const netNs = perPacket(mark) - perPacket(restore);
  figures.push({
    name: 'parse+classify+mark (Pipeline.handle), net of restore',
    nsPerPacket: netNs,
    mpps: 1e3 / netNs,
    mbPerSec: (frameBytes / count) * (1e3 / netNs),
    rmePercent: null,
    samples: null,
  });
  return { frames: count, frameBytes, avgFrameBytes: frameBytes / count, results: figures };
}

// ---------------------------------------------------------------------------
// Whole process, file to file
// ---------------------------------------------------------------------------

function hasGnuTime() {
  return fs.existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
}

function hasTcprewrite() {
  const r = spawnSync('tcprewrite', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  return (r.stdout + r.stderr).split('\n').find((l) => /tcprewrite version/i.test(l))?.trim() ?? 'tcprewrite';
}

/** Runs a command; wall time by the clock, CPU time and peak RSS from GNU time when present. */
function timed(cmd, args, gnuTime) {
  const statFile = path.join(os.tmpdir(), `qosmark-bench-time-${process.pid}.txt`);
  const argv = gnuTime ? ['/usr/bin/time', ['-f', '%U %S %M', '-o', statFile, cmd, ...args]] : [cmd, args];
  const started = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv[1], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, env: qosmarkBinEnv() });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} exited with ${r.status}: ${r.stderr.trim()}`);
  let cpuSeconds = null;
  let maxRssBytes = null;
  if (gnuTime) {
    const [user, sys, rssKb] = fs.readFileSync(statFile, 'utf8').trim().split('\n').pop().split(/\s+/).map(Number);
    cpuSeconds = user + sys;
    maxRssBytes = rssKb * 1024;
    fs.rmSync(statFile, { force: true });
  }
  return { wallSeconds, cpuSeconds, maxRssBytes, stdout: r.stdout, stderr: r.stderr };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The input file, generated once per (profile, packets, seed, generator version) and kept. */
function inputFile(dir) {
  const name = `qosmark-bench-cupc-n${filePackets}-s${seed}-g${GEN_FORMAT_VERSION}.pcap`;
  const file = path.join(dir, name);
  const meta = `${file}.json`;
  if (fs.existsSync(file) && fs.existsSync(meta)) {
    const m = JSON.parse(fs.readFileSync(meta, 'utf8'));
    if (m.bytes === fs.statSync(file).size) {
      note(`whole process: using cached ${file}`);
      return { file, gen: m, cached: true };
    }
  }
  note(`whole process: generating ${file}`);
  const gen = generateToFile({ packets: filePackets, profile: 'cupc', seed, output: file });
  fs.writeFileSync(meta, JSON.stringify(gen));
  return { file, gen, cached: false };
}

function wholeProcess() {
  const dir = opt.dir;
  if (!fs.existsSync(dir)) fail(`${dir}: no such directory`);
  const { file, gen, cached } = inputFile(dir);
  const bytes = fs.statSync(file).size;
  const qOut = path.join(dir, `qosmark-bench-out-${process.pid}.pcap`);
  const tOut = path.join(dir, `qosmark-bench-tcprewrite-${process.pid}.pcap`);
  const gnuTime = hasGnuTime();
  const tcprewrite = hasTcprewrite();
  if (!tcprewrite) note('whole process: tcprewrite not found (Debian package tcpreplay): skipping the comparison');
  const qArgs = ['mark', file, '-o', qOut, '--json'];
  const tArgs = [`--tos=${TCPREWRITE_TOS}`, `--infile=${file}`, `--outfile=${tOut}`];
  const q = [];
  const t = [];
  try {
    // One untimed run each first (not in --quick): page cache and tmpfs pages warm, like the timed runs.
    if (!quick) {
      timed(QOSMARK_BIN, qArgs, false);
      if (tcprewrite) timed('tcprewrite', tArgs, false);
    }
    for (let i = 0; i < runs; i++) {
      const r = timed(QOSMARK_BIN, qArgs, gnuTime);
      const doc = JSON.parse(r.stdout.trim().split('\n').pop());
      q.push({ ...r, peakRssBytes: doc.peakRssBytes, loopSeconds: doc.elapsedSeconds, packets: doc.packets, dscpChanged: doc.dscpChanged, cosChanged: doc.cosChanged });
      note(`  run ${i + 1}: qosmark ${r.wallSeconds.toFixed(3)} s`);
      if (tcprewrite) {
        const tr = timed('tcprewrite', tArgs, gnuTime);
        t.push(tr);
        note(`  run ${i + 1}: tcprewrite ${tr.wallSeconds.toFixed(3)} s`);
      }
    }
  } finally {
    fs.rmSync(qOut, { force: true });
    fs.rmSync(tOut, { force: true });
  }
  const summarize = (rs, packets) => {
    const wall = median(rs.map((r) => r.wallSeconds));
    return {
      runs: rs.length,
      wallSecondsMedian: wall,
      wallSeconds: rs.map((r) => r.wallSeconds),
      cpuSecondsMedian: gnuTime ? median(rs.map((r) => r.cpuSeconds)) : null,
      packetsPerSecond: packets / wall,
      mbPerSecond: bytes / wall / 1e6,
      maxRssBytes: gnuTime ? Math.max(...rs.map((r) => r.maxRssBytes)) : null,
    };
  };
  const qs = summarize(q, gen.packets);
  qs.command = `bin/qosmark mark ${file} -o ${qOut} --json`;
  qs.peakRssBytes = Math.max(...q.map((r) => r.peakRssBytes));
  qs.loopSecondsMedian = median(q.map((r) => r.loopSeconds));
  qs.dscpChanged = q[0].dscpChanged;
  qs.cosChanged = q[0].cosChanged;
  const result = {
    input: file,
    inputCached: cached,
    outputDir: dir,
    packets: gen.packets,
    fileBytes: bytes,
    generator: cached ? null : { seconds: gen.wallSeconds, packetsPerSecond: gen.packets / gen.wallSeconds },
    qosmark: qs,
    tcprewrite: null,
    ratio: null,
    cpuRatio: null,
    targets: {
      ratioBelow: TARGET_RATIO,
      ratioMet: null,
      peakRssBelowBytes: TARGET_RSS_BYTES,
      peakRssMet: qs.peakRssBytes < TARGET_RSS_BYTES,
    },
  };
  if (tcprewrite) {
    const ts = summarize(t, gen.packets);
    ts.command = `tcprewrite ${tArgs.join(' ').replace(tOut, path.join(dir, 'qosmark-bench-tcprewrite-PID.pcap'))}`;
    ts.version = tcprewrite;
    result.tcprewrite = ts;
    result.ratio = qs.wallSecondsMedian / ts.wallSecondsMedian;
    result.cpuRatio = gnuTime ? qs.cpuSecondsMedian / ts.cpuSecondsMedian : null;
    result.targets.ratioMet = result.ratio < TARGET_RATIO;
  }
  return result;
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

function fmt(n, digits = 1) {
  return groupedFixed(n, digits);
}

function printText(env, m, w) {
  const out = [];
  out.push(`qosmark ${env.qosmark}, Node ${env.node}, ${env.cpuModel} (${env.cpus} CPUs), load ${env.loadAverageAtStart.join(' ')} -> ${env.loadAverageAtEnd.join(' ')}`);
  if (env.loadAverageAtStart[0] > env.cpus * 0.5) out.push('warning: the machine was busy; timings are pessimistic and noisy');
  out.push('');
  out.push(`micro-benchmarks: ${fmt(m.frames, 0)} cupc frames in memory, ${fmt(m.avgFrameBytes)} bytes average`);
  out.push(`  ${'case'.padEnd(56)}${'ns/pkt'.padStart(9)}${'Mpps'.padStart(8)}${'MB/s'.padStart(9)}${'±%'.padStart(7)}`);
  for (const r of m.results) {
    out.push(
      `  ${r.name.padEnd(56)}${fmt(r.nsPerPacket).padStart(9)}${fmt(r.mpps, 2).padStart(8)}${fmt(r.mbPerSec, 0).padStart(9)}${(r.rmePercent === null ? '' : fmt(r.rmePercent)).padStart(7)}`,
    );
  }
  out.push('');
  out.push(`whole process, file to file: ${fmt(w.packets, 0)} packets, ${fmt(w.fileBytes / 1e6)} MB (${w.input}${w.inputCached ? ', cached' : ''}), output in ${w.outputDir}`);
  if (w.generator) out.push(`  generator: ${fmt(w.generator.seconds, 3)} s, ${fmt(w.generator.packetsPerSecond / 1e6, 2)} Mpps`);
  const line = (name, s) =>
    `  ${name.padEnd(11)} median ${fmt(s.wallSecondsMedian, 3)} s of [${s.wallSeconds.map((x) => fmt(x, 3)).join(', ')}]: ` +
    `${fmt(s.packetsPerSecond / 1e6, 2)} Mpps, ${fmt(s.mbPerSecond, 0)} MB/s` +
    (s.cpuSecondsMedian !== null ? `, CPU ${fmt(s.cpuSecondsMedian, 3)} s` : '') +
    (s.maxRssBytes !== null ? `, max RSS ${fmt(s.maxRssBytes / 2 ** 20)} MiB` : '');
  out.push(line('qosmark', w.qosmark));
  out.push(`              peakRssBytes (from --json) ${fmt(w.qosmark.peakRssBytes / 2 ** 20)} MiB; in-process loop ${fmt(w.qosmark.loopSecondsMedian, 3)} s`);
  if (w.tcprewrite) {
    out.push(line('tcprewrite', w.tcprewrite));
    out.push(
      `  ratio qosmark/tcprewrite (wall): ${fmt(w.ratio, 2)} (target < ${TARGET_RATIO}: ${w.targets.ratioMet ? 'met' : 'NOT met'})` +
        (w.cpuRatio !== null ? `; CPU-time ratio ${fmt(w.cpuRatio, 2)}` : ''),
    );
  } else {
    out.push('  tcprewrite: not installed, comparison skipped');
  }
  out.push(`  peak RSS target < 100 MiB: ${w.targets.peakRssMet ? 'met' : 'NOT met'}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

const env = environment();
const m = micro();
const w = wholeProcess();
env.loadAverageAtEnd = os.loadavg().map((x) => Number(x.toFixed(2)));
if (opt.json) {
  process.stdout.write(`${JSON.stringify({ environment: env, options: { quick, filePackets, microPackets, runs, seed, dir: opt.dir }, micro: m, wholeProcess: w }, null, 2)}\n`);
} else {
  printText(env, m, w);
}

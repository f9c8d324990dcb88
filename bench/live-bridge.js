#!/usr/bin/env node
/**
 * Live bridge benchmark: `qosmark bridge` against a Linux bridge with an
 * nftables rule doing the same DSCP rewrite, on the same topology in one run.
 *
 *   sender ns (qmv0) ⇄ bridge ns (qmb0 | qmb1) ⇄ receiver ns (qmv1)
 *
 * Namespaces and veth pairs are made here (offloads off, IPv6 off, no
 * addresses: the links carry only the generator's frames) and always removed.
 * The generator is tcpreplay in the sender namespace (-K preloaded, --pps,
 * pinned to the other core, chrt -f 40, so that other work on the machine
 * does not thin out the offered load); frames are Ethernet/IPv4/UDP in the RTP range,
 * DSCP 0, which the built-in policy marks EF. Per trial: frames offered (tx of
 * qmv0), delivered (rx of qmv1), loss, where it was lost (ring full, shed in
 * overload, dropped on the sender's link) and the bridge's CPU.
 * qosmark runs on its own core: taskset -c CPU chrt -f 50. The Linux bridge
 * forwards in softirq on the generator's core; its CPU is that core's softirq
 * time. bridge-nf-call-* are 0 in the bridge namespace (FIELD-NOTES).
 *
 * usage: sudo node bench/live-bridge.js [--sizes 200,1000] [--rates 50000,100000,...]
 *          [--seconds 5] [--cpu N] [--buffer MIB] [--refine 3] [--no-linux] [--json FILE]
 * Build first (npm run build). Needs ip, ethtool, tcpreplay, nft, taskset, chrt.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist/cli/main.js');

const { values: opt } = parseArgs({
  options: {
    sizes: { type: 'string', default: '200,1000' },
    rates: { type: 'string', default: '50000,100000,150000,200000,250000,300000,350000,400000' },
    seconds: { type: 'string', default: '5' },
    cpu: { type: 'string' },
    buffer: { type: 'string', default: '32' },
    refine: { type: 'string', default: '3' },
    'no-linux': { type: 'boolean', default: false },
    'no-qosmark': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  process.stdout.write(`${readUsage()}\n`);
  process.exit(0);
}
function readUsage() {
  return 'usage: sudo node bench/live-bridge.js [--sizes 200,1000] [--rates R1,R2,...] [--seconds 5] [--cpu N] [--buffer MIB] [--refine 3] [--no-linux] [--no-qosmark] [--json FILE]';
}

const SIZES = opt.sizes.split(',').map(Number);
const RATES = opt.rates.split(',').map(Number);
const SECONDS = Number(opt.seconds);
const NCPU = cpus().length;
const BRIDGE_CPU = opt.cpu === undefined ? NCPU - 1 : Number(opt.cpu);
const GEN_CPU = BRIDGE_CPU === 0 ? 1 % NCPU : 0;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function fail(msg) {
  process.stderr.write(`live-bridge: ${msg}\n`);
  process.exit(2);
}
if (process.getuid?.() !== 0) fail('needs root (network namespaces, packet sockets, SCHED_FIFO)');
if (!existsSync(CLI)) fail(`${CLI} missing: build first (npm run build)`);
for (const tool of ['ip', 'ethtool', 'tcpreplay', 'nft', 'taskset', 'chrt']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) fail(`missing tool: ${tool}`);
}
if (NCPU < 2) process.stderr.write('live-bridge: warning: one CPU: bridge and generator share it\n');

function sh(cmd, args, { check = true, input } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input, timeout: 120_000 });
  if (check && r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r;
}
const nsx = (ns, cmd, args, o) => sh('ip', ['netns', 'exec', ns, cmd, ...args], o);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- topology ---------------------------------------------------------------
const id = `${process.pid}-${Date.now().toString(36)}`;
const NS = { s: `qmbench-${id}-s`, b: `qmbench-${id}-b`, r: `qmbench-${id}-r` };
const work = mkdtempSync(join(tmpdir(), 'qosmark-bench-'));
const children = new Set();

function cleanup() {
  for (const c of children) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const ns of Object.values(NS)) sh('ip', ['netns', 'del', ns], { check: false });
  rmSync(work, { recursive: true, force: true });
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

function setup() {
  for (const ns of Object.values(NS)) sh('ip', ['netns', 'add', ns]);
  sh('ip', ['-n', NS.s, 'link', 'add', 'qmv0', 'type', 'veth', 'peer', 'name', 'qmb0', 'netns', NS.b]);
  sh('ip', ['-n', NS.b, 'link', 'add', 'qmb1', 'type', 'veth', 'peer', 'name', 'qmv1', 'netns', NS.r]);
  for (const [ns, dev] of [[NS.s, 'qmv0'], [NS.b, 'qmb0'], [NS.b, 'qmb1'], [NS.r, 'qmv1']]) {
    nsx(ns, 'sysctl', ['-qw', `net.ipv6.conf.${dev}.disable_ipv6=1`]);
    nsx(ns, 'ethtool', ['-K', dev, 'rx', 'off', 'tx', 'off', 'sg', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off', 'rxvlan', 'off', 'txvlan', 'off']);
    sh('ip', ['-n', ns, 'link', 'set', dev, 'up']);
  }
  for (const k of ['iptables', 'ip6tables', 'arptables']) nsx(NS.b, 'sysctl', ['-qw', `net.bridge.bridge-nf-call-${k}=0`], { check: false });
}

// ---- frames -----------------------------------------------------------------
function checksum(b) {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += b.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** 1000 Ethernet/IPv4/UDP frames of `size` bytes, RTP-range ports (voice: EF), DSCP 0; 198.18.0.0/15 only. */
function writeFrames(size) {
  const file = join(work, `frames-${size}.pcap`);
  const head = Buffer.alloc(24);
  head.writeUInt32LE(0xa1b2c3d4, 0);
  head.writeUInt16LE(2, 4);
  head.writeUInt16LE(4, 6);
  head.writeUInt32LE(65535, 16);
  head.writeUInt32LE(1, 20);
  const parts = [head];
  for (let i = 0; i < 1000; i++) {
    const f = Buffer.alloc(size);
    Buffer.from([0x02, 0, 0x5e, 0, 0x53, 0x02, 0x02, 0, 0x5e, 0, 0x53, 0x01]).copy(f, 0);
    f.writeUInt16BE(0x0800, 12);
    const ip = f.subarray(14, 34);
    ip[0] = 0x45;
    ip.writeUInt16BE(size - 14, 2);
    ip.writeUInt16BE(i, 4);
    ip[8] = 64;
    ip[9] = 17;
    Buffer.from([198, 18, 3, 1]).copy(ip, 12);
    Buffer.from([198, 18, 3, 2]).copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
    f.writeUInt16BE(20000 + (i % 500) * 2, 34);
    f.writeUInt16BE(30000, 36);
    f.writeUInt16BE(size - 34, 38);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000, 0);
    rec.writeUInt32LE(i, 4);
    rec.writeUInt32LE(size, 8);
    rec.writeUInt32LE(size, 12);
    parts.push(rec, f);
  }
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

// ---- counters ---------------------------------------------------------------
function stat(ns, dev, name) {
  return Number(nsx(ns, 'cat', [`/sys/class/net/${dev}/statistics/${name}`]).stdout.trim());
}
function counters() {
  return {
    tx: stat(NS.s, 'qmv0', 'tx_packets'),
    txDrop: stat(NS.s, 'qmv0', 'tx_dropped'),
    inRx: stat(NS.b, 'qmb0', 'rx_packets'),
    outTxDrop: stat(NS.b, 'qmb1', 'tx_dropped'),
    rx: stat(NS.r, 'qmv1', 'rx_packets'),
    cpu: cpuTimes(),
  };
}
/** Per-CPU jiffies from /proc/stat. */
function cpuTimes() {
  const out = {};
  for (const line of sh('cat', ['/proc/stat']).stdout.split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (m === null) continue;
    const v = m[2].trim().split(/\s+/).map(Number);
    out[m[1]] = { user: v[0] + v[1], system: v[2], idle: v[3] + v[4], softirq: v[6], total: v.slice(0, 8).reduce((a, b) => a + b, 0) };
  }
  return out;
}
function cpuShare(a, b, cpu, field) {
  const d = b[cpu].total - a[cpu].total;
  return d > 0 ? (b[cpu][field] - a[cpu][field]) / d : 0;
}
function procCpu(pid) {
  try {
    const f = sh('cat', [`/proc/${pid}/stat`]).stdout;
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

// ---- one trial --------------------------------------------------------------
function replayArgs(file, rate) {
  // Timing slots of about 10 µs or more: tcpreplay cannot pace single frames much faster.
  const multi = Math.max(1, Math.ceil(rate / 100_000));
  return ['-c', String(GEN_CPU), 'chrt', '-f', '40', 'tcpreplay', '-i', 'qmv0', '-K', '--loop=0', `--duration=${SECONDS}`, `--pps=${rate}`, `--pps-multi=${multi}`, file];
}

async function startQosmark() {
  const args = ['netns', 'exec', NS.b, 'taskset', '-c', String(BRIDGE_CPU), 'chrt', '-f', '50', process.execPath, CLI, 'bridge', '--in', 'qmb0', '--out', 'qmb1', '--json', '--buffer', opt.buffer];
  const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.on('exit', () => r()));
  for (let i = 0; i < 200 && !err.includes('; ready'); i++) await sleep(50);
  if (!err.includes('; ready')) throw new Error(`qosmark bridge did not start: ${err}`);
  return {
    pid: child.pid,
    command: `ip netns exec BRIDGE_NS ${args.slice(3).join(' ')}`,
    async stop() {
      child.kill('SIGTERM');
      await exited;
      children.delete(child);
      try {
        return JSON.parse(out);
      } catch {
        throw new Error(`qosmark bridge gave no summary (exit ${child.exitCode ?? child.signalCode}): ${err.slice(-2000)}`);
      }
    },
  };
}

async function trial(kind, size, file, rate) {
  const bridge = kind === 'qosmark' ? await startQosmark() : null;
  await sleep(300);
  const a = counters();
  const cpuA = bridge ? procCpu(bridge.pid) : 0;
  const t0 = process.hrtime.bigint();
  const gen = nsx(NS.s, 'taskset', replayArgs(file, rate), { check: false });
  const genSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await sleep(500);
  const cpuB = bridge ? procCpu(bridge.pid) : 0;
  const b = counters();
  const summary = bridge ? await bridge.stop() : null;
  const offered = b.tx - a.tx;
  const delivered = b.rx - a.rx;
  const rated = Number(/Rated: [\d.]+ Bps, [\d.]+ Mbps, ([\d.]+) pps/.exec(gen.stdout)?.[1] ?? NaN);
  const genTime = Number(/packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(gen.stdout)?.[1] ?? genSeconds);
  return {
    kind,
    size,
    targetPps: rate,
    offered,
    offeredPps: Math.round(rated),
    delivered,
    loss: offered - delivered,
    lossPct: offered > 0 ? (100 * (offered - delivered)) / offered : 0,
    receiveDrops: summary ? summary.receiveDrops.qmb0 : null,
    notForwarded: summary ? summary.notForwarded : null,
    shed: summary ? summary.directions[0].notForwarded.overload : null,
    linkDrops: b.txDrop - a.txDrop,
    bridgeCpuPct: bridge ? Math.round((100 * (cpuB - cpuA)) / genTime) : Math.round(100 * cpuShare(a.cpu, b.cpu, String(GEN_CPU), 'softirq')),
    genCpuSoftirqPct: Math.round(100 * cpuShare(a.cpu, b.cpu, String(GEN_CPU), 'softirq')),
    bridgeCoreBusyPct: Math.round(100 * (1 - cpuShare(a.cpu, b.cpu, String(BRIDGE_CPU), 'idle'))),
    senderTxDrop: b.txDrop - a.txDrop,
    seconds: genTime,
    command: bridge
      ? `${bridge.command}   +   ip netns exec SENDER_NS taskset ${replayArgs(`frames-${size}.pcap`, rate).join(' ')}`
      : `Linux bridge br0 + nft 'udp dport 16384-32766 ip dscp set ef'   +   ip netns exec SENDER_NS taskset ${replayArgs(`frames-${size}.pcap`, rate).join(' ')}`,
  };
}

function linuxBridge(on) {
  if (on) {
    sh('ip', ['-n', NS.b, 'link', 'add', 'br0', 'type', 'bridge']);
    sh('ip', ['-n', NS.b, 'link', 'set', 'qmb0', 'master', 'br0']);
    sh('ip', ['-n', NS.b, 'link', 'set', 'qmb1', 'master', 'br0']);
    nsx(NS.b, 'sysctl', ['-qw', 'net.ipv6.conf.br0.disable_ipv6=1'], { check: false });
    sh('ip', ['-n', NS.b, 'link', 'set', 'br0', 'up']);
    // The same rewrite as the built-in policy's rtp rule for these frames (src or dst port in range; keeps ECN).
    const rules =
      'table bridge qmbench { chain qmmark { type filter hook forward priority 0; policy accept; ' +
      'meta protocol ip udp dport 16384-32766 ip dscp set ef; meta protocol ip udp sport 16384-32766 ip dscp set ef; }; }';
    nsx(NS.b, 'nft', ['-f', '-'], { input: rules });
    for (const k of ['iptables', 'ip6tables', 'arptables']) nsx(NS.b, 'sysctl', ['-qw', `net.bridge.bridge-nf-call-${k}=0`], { check: false });
  } else {
    nsx(NS.b, 'nft', ['delete', 'table', 'bridge', 'qmbench'], { check: false });
    sh('ip', ['-n', NS.b, 'link', 'del', 'br0'], { check: false });
  }
}

function fmt(r) {
  const pct = r.lossPct === 0 ? '0' : r.lossPct < 0.01 ? '<0.01' : r.lossPct.toFixed(2);
  return (
    `${r.kind.padEnd(8)} ${String(r.size).padStart(5)} B  target ${String(r.targetPps).padStart(7)} pps  offered ${String(r.offeredPps).padStart(7)} pps` +
    `  frames ${String(r.offered).padStart(8)}  delivered ${String(r.delivered).padStart(8)}  loss ${String(r.loss).padStart(7)} (${pct.padStart(5)} %)` +
    `  ring drops ${r.receiveDrops ?? '-'}  shed ${r.shed ?? '-'}  link drops ${r.linkDrops}  bridge CPU ${r.bridgeCpuPct} %  (core ${BRIDGE_CPU} busy ${r.bridgeCoreBusyPct} %, core ${GEN_CPU} softirq ${r.genCpuSoftirqPct} %)`
  );
}

async function ladder(kind, size, file, results) {
  let best = null;
  let firstLoss = null;
  for (const rate of RATES) {
    const r = await trial(kind, size, file, rate);
    results.push(r);
    process.stdout.write(`${fmt(r)}\n`);
    const genShort = r.offeredPps < 0.97 * rate;
    if (r.loss === 0 && !genShort) best = r;
    if (r.loss > 0 && firstLoss === null) firstLoss = r;
    if (r.loss > 0 && firstLoss !== r) break; // two lossy rates: enough
    if (genShort) {
      process.stdout.write(`  (generator reached only ${r.offeredPps} pps: stopping the ladder)\n`);
      break;
    }
  }
  // Bisect between the best zero-loss rate and the first lossy one.
  let lo = best?.targetPps ?? 0;
  let hi = firstLoss?.targetPps ?? 0;
  for (let i = 0; i < Number(opt.refine) && hi > lo && hi - lo > 10_000; i++) {
    const mid = Math.round((lo + hi) / 2 / 5000) * 5000;
    if (mid <= lo || mid >= hi) break;
    const r = await trial(kind, size, file, mid);
    results.push(r);
    process.stdout.write(`${fmt(r)}  (refine)\n`);
    if (r.loss === 0 && r.offeredPps >= 0.97 * mid) {
      lo = mid;
      best = r;
    } else hi = mid;
  }
  return best;
}

async function main() {
  setup();
  const results = [];
  const best = {};
  process.stdout.write(
    `live-bridge: ${NCPU} CPUs; qosmark bridge on CPU ${BRIDGE_CPU} (chrt -f 50), generator on CPU ${GEN_CPU}; ${SECONDS} s per trial; buffer ${opt.buffer} MiB\n`,
  );
  const files = Object.fromEntries(SIZES.map((s) => [s, writeFrames(s)]));
  if (!opt['no-qosmark']) {
    for (const size of SIZES) best[`qosmark/${size}`] = await ladder('qosmark', size, files[size], results);
  }
  if (!opt['no-linux']) {
    linuxBridge(true);
    try {
      for (const size of SIZES) best[`linux/${size}`] = await ladder('linux', size, files[size], results);
    } finally {
      linuxBridge(false);
    }
  }
  process.stdout.write('\nhighest zero-loss rate measured:\n');
  for (const [k, r] of Object.entries(best)) {
    process.stdout.write(`  ${k.padEnd(14)} ${r ? `${r.offeredPps} pps (target ${r.targetPps}), bridge CPU ${r.bridgeCpuPct} %\n    ${r.command}` : 'none'}\n`);
  }
  if (opt.json) writeFileSync(opt.json, JSON.stringify({ cpus: NCPU, bridgeCpu: BRIDGE_CPU, seconds: SECONDS, results, best }, null, 2));
}

main()
  .catch((err) => {
    process.stderr.write(`live-bridge: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  })
  .finally(cleanup);

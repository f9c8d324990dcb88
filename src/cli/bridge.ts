/**
 * `qosmark bridge --in IF --out IF`: a two-port user-space bridge that marks
 * every frame it forwards, by the same Pipeline that `mark` runs over files.
 */
import type { Server } from 'node:http';
import { Forwarder, type Direction } from '../engine/forwarder.js';
import { Pipeline } from '../engine/pipeline.js';
import { warmUp } from '../engine/warmup.js';
import { summarize, type RunSummary } from '../engine/summary.js';
import { grouped } from '../format/numbers.js';
import { ReceiveDrops, rxPackets } from '../io/live-drops.js';
import {
  FILTER_FORWARD,
  FILTER_NOTHING,
  LiveError,
  LivePort,
  hasNetRaw,
  immediateModeProblem,
  listInterfaces,
  loadCap,
  mergingOffloads,
  type InterfaceInfo,
} from '../io/live-cap.js';
import { PcapngWriter } from '../io/pcapng-writer.js';
import { CaptureFileError } from '../io/errors.js';
import { LINKTYPE_ETHERNET } from '../parse/linktype.js';
import { buildRegistry, parseListenAddress, serveMetrics } from './bridge-metrics.js';
import { PIPELINE_ARG_SPECS, PIPELINE_USAGE, pipelineSetup } from './pipeline-options.js';
import { renderRun, timing } from './report.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const BRIDGE_USAGE = `usage: qosmark bridge --in IF --out IF [--both-ways] [--policy FILE] [--tee FILE.pcapng]
                      [--stats SEC] [--duration SEC] [--count N] [--json] [--metrics [ADDR:]PORT]
  --in IF, --out IF  frames received on --in are marked and sent out of --out (needs root or CAP_NET_RAW)
  --both-ways        also forward frames received on --out out of --in, marked by the same policy
${PIPELINE_USAGE}
  --tee FILE         also write every forwarded frame, as marked, to FILE (pcapng, one interface per direction)
  --stats SEC        every SEC seconds, one line of counters on stderr
  --duration SEC     stop after SEC seconds (default: run until SIGINT or SIGTERM)
  --count N          stop after N frames read (both directions together)
  --buffer MIB       libpcap ring buffer per interface (default 32)
  --metrics ADDR     serve the counters in Prometheus text format on [ADDR:]PORT (default address 127.0.0.1)
  --json             print the final summary as one JSON object
  -q, --quiet        no start-up line and no summary`;

const DEFAULT_BUFFER_MIB = 32;
/** Longest the final drain of frames already captured may take. */
const DRAIN_MAX_MS = 250;
const TEE_FLUSH_MS = 1000;

function positive(flag: string, text: string | undefined, integer: boolean): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`bridge: ${flag}: "${text}": expected a positive ${integer ? 'whole number' : 'number'}`);
  }
  return n;
}

export interface DirectionSummary {
  from: string;
  to: string;
  received: number;
  receivedBytes: number;
  forwarded: number;
  forwardedBytes: number;
  /**
   * tooLarge: over the outgoing MTU; sendError: the send failed; local: sent by this host out of the
   * incoming interface; overload: shed while frames kept arriving faster than they were forwarded.
   */
  notForwarded: { tooLarge: number; sendError: number; local: number; overload: number };
  outMtu: number;
  lastSendError: string | null;
  classes: Record<string, number>;
}

function directionSummary(d: Direction, classNames: string[]): DirectionSummary {
  const classes: Record<string, number> = {};
  classNames.forEach((name, i) => (classes[name] = d.byClass[i]));
  return {
    from: d.from.name,
    to: d.to.name,
    received: d.received,
    receivedBytes: d.receivedBytes,
    forwarded: d.forwarded,
    forwardedBytes: d.forwardedBytes,
    notForwarded: { tooLarge: d.tooLarge, sendError: d.sendErrors, local: d.local, overload: d.overload },
    outMtu: d.outMtu,
    lastSendError: d.lastSendError,
    classes,
  };
}

function findInterface(all: InterfaceInfo[], name: string): InterfaceInfo {
  const found = all.find((i) => i.name === name);
  if (found === undefined) {
    throw new UsageError(`bridge: interface not found: ${name} (interfaces here: ${all.map((i) => i.name).join(', ') || 'none'})`);
  }
  return found;
}

export async function runBridge(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: false,
      options: {
        in: { type: 'string' },
        out: { type: 'string' },
        'both-ways': { type: 'boolean', default: false },
        ...PIPELINE_ARG_SPECS,
        tee: { type: 'string' },
        stats: { type: 'string' },
        duration: { type: 'string' },
        count: { type: 'string' },
        buffer: { type: 'string' },
        metrics: { type: 'string' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        ...HELP_OPTION,
      },
    },
    'bridge',
  );
  const { values } = parsed;
  if (helpShown(values.help, BRIDGE_USAGE)) return 0;
  if (values.in === undefined || values.out === undefined) {
    throw new UsageError(`bridge: --in and --out are both required\n${BRIDGE_USAGE}`);
  }
  const inName = values.in;
  const outName = values.out;
  if (inName === outName) throw new UsageError(`bridge: --in and --out are the same interface (${inName}); a bridge needs two`);
  const statsSec = positive('--stats', values.stats, false);
  const durationSec = positive('--duration', values.duration, false);
  const countLimit = positive('--count', values.count, true);
  const bufferMib = values.buffer === undefined ? DEFAULT_BUFFER_MIB : positive('--buffer', values.buffer, false);
  const bufferBytes = Math.min(Math.round(bufferMib * 1024 * 1024), 2 ** 31 - 1);
  const metricsAddr = values.metrics === undefined ? null : parseListenAddress(values.metrics);
  const bothWays = values['both-ways'];
  const quiet = values.quiet;
  const setup = pipelineSetup('bridge', values);

  // Live I/O: every problem here is one line, exit status 2.
  const cap = liveStep(() => loadCap());
  const immediate = immediateModeProblem();
  if (immediate !== null) throw new UsageError(`bridge: refusing to start: ${immediate}`);
  const ifaces = listInterfaces();
  const inIf = findInterface(ifaces, inName);
  const outIf = findInterface(ifaces, outName);
  for (const i of [inIf, outIf]) if (!i.up) throw new UsageError(`bridge: ${i.name} is down: ip link set ${i.name} up`);
  if (hasNetRaw() === false) {
    throw new UsageError(`bridge: permission denied: capturing and sending on ${inName} and ${outName} need root or CAP_NET_RAW (try sudo)`);
  }
  for (const dev of [inName, outName]) {
    const on = mergingOffloads(dev);
    if (on !== null && on.length > 0) {
      process.stderr.write(
        `qosmark: bridge: warning: ${dev} has receive offloads on (${on.join(', ')}): the kernel merges frames, ` +
          `which then arrive too large to forward; turn them off: ethtool -K ${dev} ${on.map((o) => `${o} off`).join(' ')}\n`,
      );
    }
  }

  const pipeline = new Pipeline(setup.policy, setup.options);
  const inPort = new LivePort(cap, inName);
  const outPort = new LivePort(cap, outName);
  let tee: PcapngWriter | null = null;
  let server: Server | null = null;
  const forwarder = new Forwarder(pipeline, null);
  const fwd = forwarder.addDirection(inPort, outPort);
  fwd.outMtu = outIf.mtu;
  fwd.setOwnMac(inIf.mac);
  const rev = bothWays ? forwarder.addDirection(outPort, inPort) : null;
  if (rev !== null) {
    rev.outMtu = inIf.mtu;
    rev.setOwnMac(outIf.mac);
  }

  // Compile the hot path before the first live frame (see engine/warmup.ts): under SCHED_FIFO on one
  // core, V8's compiler threads would otherwise get the CPU only when the bridge has nothing to do.
  await warmUp(setup.policy, setup.options);

  const closeAll = (): void => {
    inPort.close();
    outPort.close();
    tee?.close();
    server?.close();
  };
  const drops = new ReceiveDrops();
  const portNames = [inName, outName];
  /** Receive drops of port i (0: --in, 1: --out) as of `now` (a /proc/net/dev reading); only capturing ports drop. */
  let lastCounts: Map<string, number> | null = null;
  const dropsOf = (i: number, now: Map<string, number> | null = lastCounts): number | null => {
    if (i === 1 && !bothWays) return 0;
    const d = i === 0 ? fwd : rev!;
    // The host's own frames were captured leaving the interface: not among its received packets.
    return drops.drops(portNames[i], d.received - d.local, now);
  };
  try {
    if (metricsAddr !== null) {
      const registry = buildRegistry({
        forwarder,
        drops: () => {
          const now = rxPackets();
          return portNames.map((iface, i) => ({ iface, drops: dropsOf(i, now) }));
        },
      });
      server = await serveMetrics(metricsAddr, registry);
    }
    if (values.tee !== undefined) {
      tee = PcapngWriter.create(values.tee, { userAppl: 'qosmark bridge' });
      for (const d of forwarder.directions) {
        d.teeInterface = tee.addInterface({
          linkType: LINKTYPE_ETHERNET,
          snapLen: 0,
          name: d.from.name,
          description: `qosmark bridge: received on ${d.from.name}, sent out of ${d.to.name} as marked`,
        });
      }
      tee.flush();
      forwarder.tee = tee;
    }
    // The outgoing port first: frames must have somewhere to go once the incoming port delivers.
    if (bothWays) drops.start(outName);
    liveStep(() => outPort.start(bothWays ? FILTER_FORWARD : FILTER_NOTHING, bothWays ? bufferBytes : 1 << 20, rev && forwarder.frameHandler(rev)));
    drops.start(inName);
    liveStep(() => inPort.start(FILTER_FORWARD, bufferBytes, forwarder.frameHandler(fwd)));
  } catch (err) {
    closeAll();
    throw err;
  }


  // Load shedding looks at how full the rings are: libpcap gives each frame a slot of about MTU + 100 bytes.
  const capturing = bothWays ? [0, 1] : [0];
  forwarder.ringSlots = capturing.reduce((a, i) => a + Math.floor(bufferBytes / ((i === 0 ? inIf.mtu : outIf.mtu) + 100)), 0);
  forwarder.backlog = () => {
    const now = rxPackets();
    let sum = 0;
    for (const i of capturing) {
      const v = dropsOf(i, now);
      if (v === null) return null;
      sum += v;
    }
    return sum;
  };

  const started = process.hrtime.bigint();
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  const timers: NodeJS.Timeout[] = [];
  let stopReason: string | null = null;
  let finish: (status: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => (finish = resolve));

  const statsLine = (): string => {
    const parts = forwarder.directions.map(
      (d) => `${d.label} in ${grouped(d.received)} out ${grouped(d.forwarded)}`,
    );
    const classes = pipeline.policy.classNames.map((name, i) => `${name} ${grouped(pipeline.counters.byClass[i])}`).join(' ');
    const s = summarize(pipeline);
    const tooLarge = forwarder.directions.reduce((a, d) => a + d.tooLarge, 0);
    const sendErr = forwarder.directions.reduce((a, d) => a + d.sendErrors, 0);
    const local = forwarder.directions.reduce((a, d) => a + d.local, 0);
    const overload = forwarder.directions.reduce((a, d) => a + d.overload, 0);
    const now = rxPackets();
    const dropText = portNames.map((n, i) => `${n} ${dropsOf(i, now) ?? '?'}`).join(' ');
    return (
      `qosmark bridge: ${elapsed().toFixed(1)}s ${parts.join(' | ')} | classes ${classes} | ` +
      `not IP ${grouped(s.notIp)} malformed ${grouped(s.malformedTotal)} | not forwarded: too large (MTU) ${grouped(tooLarge)}, send error ${grouped(sendErr)}, sent by this host ${grouped(local)}, overload ${grouped(overload)} | ` +
      `receive drops ${dropText}`
    );
  };

  let completed = false;
  /** Closes the ports (after a last reading of the interface counters) and reports. */
  const complete = (): void => {
    if (completed) return;
    completed = true;
    if (inPort.isOpen) lastCounts = rxPackets();
    inPort.close();
    outPort.close();
    for (const t of timers) clearInterval(t);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('beforeExit', onBeforeExit);
    try {
      forwarder.tee?.close();
    } catch (err) {
      forwarder.teeError = (err as Error).message;
    }
    server?.close();
    server?.closeAllConnections?.();
    report();
    finish(stopReason === 'capture stopped' ? 1 : 0);
  };

  const stop = (reason: string): void => {
    if (stopReason !== null) return;
    stopReason = reason;
    // Frames already captured are still read and forwarded: drain until a turn brings none (bounded).
    const until = Date.now() + DRAIN_MAX_MS;
    let last = -1;
    let rounds = 0;
    const turn = (): void => {
      if (!inPort.isOpen) return complete();
      if (rounds >= 2 && (forwarder.total === last || Date.now() > until)) return complete();
      last = forwarder.total;
      rounds++;
      setImmediate(turn);
    };
    turn();
  };

  function onSignal(signal: NodeJS.Signals): void {
    // A second signal during the drain: stop draining now.
    if (stopReason !== null) complete();
    else stop(signal);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The event loop ran dry before a stop: the captures stopped polling by themselves (cap ignores a
  // poll error, e.g. POLLERR on the socket, and libuv then stops watching it). Report, do not exit silently.
  const onBeforeExit = (): void => {
    if (completed) return;
    process.stderr.write(
      `qosmark: bridge: capture stopped unexpectedly: libpcap stopped delivering frames on ${inName}${bothWays ? ` or ${outName}` : ''}\n`,
    );
    stopReason = 'capture stopped';
    complete();
  };
  process.on('beforeExit', onBeforeExit);

  if (countLimit > 0) {
    forwarder.limit = countLimit;
    forwarder.onLimit = () => {
      // Inside the frame callback: read no frame beyond the count.
      stopReason = 'count';
      lastCounts = rxPackets();
      inPort.close();
      outPort.close();
      setImmediate(complete);
    };
  }
  if (durationSec > 0) timers.push(setTimeout(() => stop('duration'), durationSec * 1000));
  if (statsSec > 0) timers.push(setInterval(() => process.stderr.write(`${statsLine()}\n`), statsSec * 1000));
  if (forwarder.tee !== null) {
    timers.push(
      setInterval(() => {
        try {
          forwarder.tee?.flush();
        } catch (err) {
          forwarder.teeError = (err as Error).message;
          forwarder.tee = null;
        }
      }, TEE_FLUSH_MS),
    );
  }

  const report = (): void => {
    const seconds = elapsed();
    const summary: RunSummary = summarize(pipeline);
    const dirs = forwarder.directions.map((d) => directionSummary(d, pipeline.policy.classNames));
    const receiveDrops: Record<string, number | null> = {};
    portNames.forEach((n, i) => (receiveDrops[n] = dropsOf(i)));
    const teeInfo = values.tee === undefined ? null : { file: values.tee, packets: tee?.packets ?? 0, error: forwarder.teeError };
    if (values.json) {
      const doc = {
        command: 'bridge',
        in: inName,
        out: outName,
        bothWays,
        stopReason,
        elapsedSeconds: seconds,
        received: forwarder.total,
        forwarded: dirs.reduce((a, d) => a + d.forwarded, 0),
        notForwarded: dirs.reduce((a, d) => a + d.notForwarded.tooLarge + d.notForwarded.sendError + d.notForwarded.local + d.notForwarded.overload, 0),
        directions: dirs,
        receiveDrops,
        tee: teeInfo,
        ...summary,
      };
      process.stdout.write(`${JSON.stringify(doc)}\n`);
      return;
    }
    if (quiet) return;
    const lines: string[] = [];
    lines.push(`qosmark bridge: stopped (${stopReason}) after ${seconds.toFixed(1)} s`);
    for (const d of dirs) {
      lines.push(
        `${d.from} -> ${d.to}: ${grouped(d.received)} frames in, ${grouped(d.forwarded)} out; not forwarded: ` +
          `${grouped(d.notForwarded.tooLarge)} too large for ${d.to} (MTU ${d.outMtu}), ${grouped(d.notForwarded.sendError)} send errors, ` +
          `${grouped(d.notForwarded.local)} sent by this host, ${grouped(d.notForwarded.overload)} shed in overload` +
          (d.lastSendError === null ? '' : ` (last: ${d.lastSendError})`),
      );
    }
    lines.push(
      `receive drops (received by the interface, never read: libpcap ring full): ${portNames.map((n, i) => `${n} ${dropsOf(i) ?? 'unknown'}`).join(', ')}`,
    );
    // The class table, changes, left-as-found and SIP lines of the file report; not its first (file) line.
    lines.push(...renderRun(summary, timing(summary, seconds), true).slice(1));
    if (teeInfo !== null) {
      lines.push(`tee: ${grouped(teeInfo.packets)} frames written to ${teeInfo.file}${teeInfo.error ? `; stopped early: ${teeInfo.error}` : ''}`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  };

  if (!quiet) {
    const metricsText = server === null ? '' : `; metrics on http://${formatAddress(server)}/metrics`;
    process.stderr.write(
      `qosmark bridge: forwarding ${inName} -> ${outName}${bothWays ? ` and ${outName} -> ${inName}` : ''} ` +
        `(MTU ${outIf.mtu}${bothWays ? `/${inIf.mtu}` : ''}, immediate mode)${values.tee ? `, tee ${values.tee}` : ''}${metricsText}; ready\n`,
    );
  }
  return done;
}

function formatAddress(server: Server): string {
  const a = server.address();
  if (a === null || typeof a === 'string') return String(a);
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** Runs a live start-up step, turning its LiveError (or a tee file error) into a one-line usage error. */
function liveStep<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof LiveError) throw new UsageError(`bridge: ${err.message}`);
    if (err instanceof CaptureFileError) throw err;
    throw err;
  }
}

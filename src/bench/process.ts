/**
 * Whole-process figures for `qosmark bench`: commands run as child processes,
 * timed by the wall clock from here, with CPU time and peak RSS from GNU time
 * when /usr/bin/time is present.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { childProcess } from '../io/builtins.js';

/** The `qosmark` command as npm installs it (package.json "bin"): the launcher that runs dist/cli/main.js. */
export const QOSMARK_BIN = fileURLToPath(new URL('../../bin/qosmark', import.meta.url));

/**
 * The environment to run QOSMARK_BIN in: it runs the `node` on PATH, so this
 * process's node goes first, the one whose version the bench records.
 */
export function qosmarkBinEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
}

export interface Timed {
  wallSeconds: number;
  /** user + sys, from GNU time; null without it. */
  cpuSeconds: number | null;
  /** From GNU time; null without it. */
  maxRssBytes: number | null;
  stdout: string;
  stderr: string;
  status: number | null;
}

let gnuTime: boolean | undefined;

export function hasGnuTime(): boolean {
  if (gnuTime === undefined) {
    gnuTime = fs.existsSync('/usr/bin/time') && childProcess().spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { stdio: 'ignore' }).status === 0;
  }
  return gnuTime;
}

export interface RunOptions {
  /** Exit statuses that count as success (default [0]). */
  ok?: number[];
  /** Discard standard output (large outputs such as tshark's). */
  discardStdout?: boolean;
  /** Where GNU time writes its figures. */
  statFile: string;
  /** The child's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
}

export function timedRun(cmd: string, args: string[], o: RunOptions): Timed {
  const useTime = hasGnuTime();
  const [file, argv] = useTime ? ['/usr/bin/time', ['-f', '%U %S %M', '-o', o.statFile, cmd, ...args]] : [cmd, args];
  const started = process.hrtime.bigint();
  const r = childProcess().spawnSync(file, argv, {
    encoding: 'utf8',
    env: o.env,
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', o.discardStdout ? 'ignore' : 'pipe', 'pipe'],
  });
  const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.error) throw r.error;
  const ok = o.ok ?? [0];
  if (r.status === null || !ok.includes(r.status)) {
    throw new Error(`${path.basename(cmd)} ${args.join(' ')}: exit status ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-3).join(' / ')}`);
  }
  let cpuSeconds: number | null = null;
  let maxRssBytes: number | null = null;
  if (useTime) {
    try {
      const last = fs.readFileSync(o.statFile, 'utf8').trim().split('\n').pop() ?? '';
      const [user, sys, rssKb] = last.split(/\s+/).map(Number);
      if ([user, sys, rssKb].every(Number.isFinite)) {
        cpuSeconds = user + sys;
        maxRssBytes = rssKb * 1024;
      }
    } catch {
      // no figures: leave them null
    }
  }
  return { wallSeconds, cpuSeconds, maxRssBytes, stdout: r.stdout ?? '', stderr: r.stderr ?? '', status: r.status };
}

/** `qosmark ARGS` through bin/qosmark: the command as a user runs it, start-up included. */
export function runQosmark(args: string[], o: RunOptions): Timed & { doc: Record<string, unknown> } {
  const t = timedRun(QOSMARK_BIN, args, { ...o, env: qosmarkBinEnv() });
  const line = t.stdout.trim().split('\n').pop() ?? '';
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(`qosmark ${args.join(' ')}: no JSON summary on stdout`);
  }
  return { ...t, doc };
}

/** The first line of a tool's version output, or null when the tool is not on PATH. */
export function toolVersion(cmd: string, args: string[], pattern: RegExp): string | null {
  const r = childProcess().spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) return null;
  const lines = `${r.stdout}\n${r.stderr}`.split('\n');
  return (lines.find((l) => pattern.test(l)) ?? lines.find((l) => l.trim() !== '') ?? cmd).trim();
}

/** The fields `qosmark audit` reads, as tshark field names. */
export const TSHARK_FIELDS = [
  'frame.number',
  'vlan.priority',
  'ip.dsfield.dscp',
  'ip.dsfield.ecn',
  'ipv6.tclass.dscp',
  'ip.proto',
  'tcp.srcport',
  'tcp.dstport',
  'udp.srcport',
  'udp.dstport',
  'ip.flags.mf',
  'ip.frag_offset',
];

export function tsharkArgs(input: string, packets: number): string[] {
  // -n: no name resolution (no DNS lookups while timing).
  return ['-n', '-r', input, '-c', String(packets), '-T', 'fields', ...TSHARK_FIELDS.flatMap((f) => ['-e', f])];
}

/** EF (46) in the TOS byte: what tcprewrite writes into every IPv4 header. */
export const TCPREWRITE_TOS = 46 << 2;

export function tcprewriteArgs(input: string, output: string): string[] {
  return [`--tos=${TCPREWRITE_TOS}`, `--infile=${input}`, `--outfile=${output}`];
}

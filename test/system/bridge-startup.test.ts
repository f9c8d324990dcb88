/**
 * System test: `qosmark bridge` start-up checks, each failure one line on
 * stderr and exit status 2; warnings that let it start; --duration.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLAB, BridgeLab, requireLiveBridge, withoutDevLibpcap } from './support/bridge-lab.js';
import type { RunResult } from './support/proc.js';
import { QOSMARK_CLI, ensureBuilt } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';

const TOOLS = ['ip', 'ethtool', 'setpriv', 'unshare'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns(), requireLiveBridge());

/** stderr lines, without the warning cap's C code prints for an interface with no IPv4 address. */
function lines(r: RunResult): string[] {
  return r.stderr.split('\n').filter((l) => l.length > 0 && !/^Warning: .*no IPv4 address assigned/.test(l));
}

describe('qosmark bridge start-up', () => {
  let lab: BridgeLab | null = null;

  beforeAll(() => {
    if (unmetReason !== null) return;
    ensureBuilt();
    lab = new BridgeLab();
    lab.setup();
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      if (lab && process.env.QOSMARK_KEEP_SYSTEM_TMP !== '1') rmSync(lab.work, { recursive: true, force: true });
    }
  });

  const bridgeCmd = (args: string[], wrap: (cmd: string, a: string[]) => { cmd: string; args: string[] } = (cmd, a) => ({ cmd, args: a })): RunResult => {
    const w = wrap(process.execPath, [QOSMARK_CLI, 'bridge', ...args]);
    return lab!.exec(lab!.bridge, w.cmd, w.args, { check: false, timeoutMs: 30_000 });
  };

  it('an interface that does not exist: one line listing the ones that do', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', 'nope9']);
    expect(r.status).toBe(2);
    expect(lines(r)).toHaveLength(1);
    expect(lines(r)[0]).toMatch(/^qosmark: bridge: interface not found: nope9 \(interfaces here: (?=.*\bqmb0\b)(?=.*\bqmb1\b)(?=.*\blo\b).*\)$/);
  });

  it('the same interface twice: one line', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeIn]);
    expect(r.status).toBe(2);
    expect(lines(r)).toEqual([`qosmark: bridge: --in and --out are the same interface (${BLAB.bridgeIn}); a bridge needs two`]);
  });

  it('a policy error: one line per problem, no stack trace', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const bad = join(lab!.work, 'bad.yaml');
    writeFileSync(bad, 'classes:\n  voice: { dscp: NOPE }\nrules:\n  - { name: x, protocols: [udp], ports: [99999], class: ghost }\n');
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut, '--policy', bad]);
    expect(r.status).toBe(2);
    const l = lines(r);
    expect(l.length).toBeGreaterThanOrEqual(1);
    for (const line of l) expect(line).toMatch(/^qosmark: /);
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it('without CAP_NET_RAW: one line saying capturing and sending need root or CAP_NET_RAW', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut], (cmd, a) => ({
      cmd: 'setpriv',
      args: ['--bounding-set=-net_raw', '--inh-caps=-net_raw', cmd, ...a],
    }));
    expect(r.status).toBe(2);
    expect(lines(r)).toHaveLength(1);
    expect(lines(r)[0]).toMatch(/^qosmark: bridge: permission denied: .*need root or CAP_NET_RAW/);
  });

  it('without the development package\'s libpcap.so: refuses, naming libpcap0.8-dev (immediate mode would be off)', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut, '--duration', '1'], (cmd, a) => {
      const wrapped = withoutDevLibpcap(cmd, a);
      if (wrapped === null) throw new Error('ldconfig does not list libpcap.so');
      return wrapped;
    });
    expect(r.status, r.stderr).toBe(2);
    expect(lines(r)).toHaveLength(1);
    expect(lines(r)[0]).toMatch(/^qosmark: bridge: refusing to start: libpcap\.so .*libpcap0\.8-dev.*immediate mode/);
  });

  it('GRO on a bridged interface: a warning with the ethtool command that turns it off, and it still runs', (ctx) => {
    skipOrFail(ctx, unmetReason);
    lab!.exec(lab!.bridge, 'ethtool', ['-K', BLAB.bridgeIn, 'gro', 'on']);
    try {
      const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut, '--duration', '0.3', '-q']);
      expect(r.status, r.stderr).toBe(0);
      expect(lines(r)).toEqual([
        `qosmark: bridge: warning: ${BLAB.bridgeIn} has receive offloads on (gro): the kernel merges frames, which then arrive too large to forward; ` +
          `turn them off: ethtool -K ${BLAB.bridgeIn} gro off`,
      ]);
    } finally {
      lab!.exec(lab!.bridge, 'ethtool', ['-K', BLAB.bridgeIn, 'gro', 'off']);
    }
  });

  it('--metrics on a port already taken: one line', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    const holder = lab!.background(
      lab!.bridge,
      'port-holder',
      process.execPath,
      ['-e', "require('net').createServer().listen(19464, '127.0.0.1', () => console.log('listening')); setTimeout(() => process.exit(0), 20000)"],
      30_000,
    );
    await holder.waitFor('stdout', 'listening', 10_000);
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut, '--metrics', '19464']);
    await holder.stop('SIGTERM');
    expect(r.status).toBe(2);
    expect(lines(r)).toEqual(['qosmark: bridge: --metrics: cannot listen on 127.0.0.1:19464: EADDRINUSE']);
  });

  it('--duration stops it on time with a JSON summary', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const t0 = Date.now();
    const r = bridgeCmd(['--in', BLAB.bridgeIn, '--out', BLAB.bridgeOut, '--duration', '1', '--json']);
    const took = Date.now() - t0;
    expect(r.status, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ command: 'bridge', stopReason: 'duration', received: 0, bothWays: false });
    expect(s.elapsedSeconds).toBeGreaterThanOrEqual(1);
    expect(took).toBeLessThan(8_000);
  });
});

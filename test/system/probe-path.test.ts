/**
 * System test: `qosmark probe` and `qosmark reflect` on a routed chain of
 * network namespaces (sender, three routers, receiver; IPv4 198.18.0.0/15 and
 * IPv6 2001:db8::/32, forwarding on, the routers' default ICMP rate limits).
 * Router r2 (hop 2) re-marks with nftables: EF -> CS0 in prerouting (shows in
 * its own quote), or EF -> CS5 40 in postrouting (shows at hop 3); or r2
 * drops its ICMP errors while r3 re-marks, so the verdict gives an interval.
 * Each scenario gets a fresh lab (and so fresh ICMP rate-limit state); each
 * runs probe once without and once with the reflector, one per address family.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PROBE_LAB, ProbeLab, requireProbeModules } from './support/probe-lab.js';
import type { Background } from './support/proc.js';
import { QOSMARK_CLI, REPO_ROOT, ensureBuilt } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';

const unmetReason = unmet(requireRoot(), requireTools(['ip', 'nft', 'sh', 'setpriv']), requireNetns(), requireProbeModules(REPO_ROOT));

const INGRESS_CS0 =
  'table inet qmprobe { chain pre { type filter hook prerouting priority -150; policy accept; ip dscp ef ip dscp set cs0; ip6 dscp ef ip6 dscp set cs0; }; }';
const EGRESS_CS5 =
  'table inet qmprobe { chain post { type filter hook postrouting priority -150; policy accept; ip dscp ef ip dscp set cs5; ip6 dscp ef ip6 dscp set cs5; }; }';
const DROP_ICMP_ERRORS =
  'table inet qmdrop { chain out { type filter hook output priority 0; policy accept; icmp type { time-exceeded, destination-unreachable } drop; icmpv6 type { time-exceeded, destination-unreachable } drop; }; }';

interface Verdict {
  class: string;
  kept: boolean;
  remarked: boolean;
  text: string;
  cause: { id: string } | null;
  probes: { probe: string; dscpChange: { hop: number; address: string; lastKeptHop: number; dscp: number } | null }[];
  reflector: { dscp: number | null; reverseDscp: number | null } | null;
}
interface ProbeJson {
  target: string;
  hops: { hop: number; addresses: string[]; rateLimited: boolean }[];
  destination: { reached: boolean; hop: number };
  stamp: { answered: boolean }[] | null;
  verdicts: Verdict[];
  notes: string[];
}

let lab: ProbeLab | null = null;
let reflector: Background | null = null;
const logDir = mkdtempSync(join(tmpdir(), 'qosmark-probe-'));

async function freshLab(rules: Partial<Record<'r2' | 'r3', string[]>>): Promise<ProbeLab> {
  if (lab) await lab.destroy();
  lab = new ProbeLab();
  lab.setup();
  for (const [role, sets] of Object.entries(rules) as ['r2' | 'r3', string[]][]) for (const r of sets) lab.nft(role, r);
  return lab;
}

async function startReflector(l: ProbeLab): Promise<void> {
  reflector = l.background('d', 'reflect', process.execPath, [QOSMARK_CLI, 'reflect', '--listen', '0.0.0.0:862', '--listen', '[::]:862', '--json'], logDir, 120_000);
  await reflector.waitFor('stderr', 'listening on', 20_000);
}

async function stopReflector(): Promise<string> {
  if (!reflector) return '';
  await reflector.stop('SIGTERM', 5_000);
  const err = reflector.stderr();
  reflector = null;
  return err;
}

function probe(l: ProbeLab, family: 4 | 6, withReflector: boolean): { status: number | null; json: ProbeJson; stderr: string } {
  const target = family === 4 ? PROBE_LAB.receiver.v4 : PROBE_LAB.receiver.v6;
  const args = [QOSMARK_CLI, 'probe', target, '--max-hops', '8', '--json'];
  if (withReflector) args.push('--reflector', family === 4 ? `${target}:862` : `[${target}]:862`);
  const r = l.exec('s', process.execPath, args, { check: false, timeoutMs: 120_000 });
  let json: ProbeJson;
  try {
    json = JSON.parse(r.stdout) as ProbeJson;
  } catch {
    throw new Error(`probe printed no JSON (exit ${r.status}): ${r.stderr}\n${r.stdout}`);
  }
  return { status: r.status, json, stderr: r.stderr };
}

const verdict = (j: ProbeJson, c: string) => j.verdicts.find((v) => v.class === c)!;

function expectKept(j: ProbeJson, classes: string[]): void {
  for (const c of classes) {
    const v = verdict(j, c);
    expect(v.kept, v.text).toBe(true);
    expect(v.text).toContain('kept end to end');
  }
}

afterEach(async () => {
  await stopReflector();
});

afterAll(async () => {
  try {
    if (lab) await lab.destroy();
  } finally {
    rmSync(logDir, { recursive: true, force: true });
  }
});

describe('qosmark probe over a routed chain of namespaces', () => {
  it('no re-marking: every class kept end to end (IPv4 plain, IPv6 with the reflector)', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    ensureBuilt();
    const l = await freshLab({});
    const v4 = probe(l, 4, false);
    expect(v4.status, v4.stderr).toBe(0);
    expect(v4.json.destination).toMatchObject({ reached: true, hop: 4 });
    expect(v4.json.hops.map((h) => h.addresses[0])).toEqual([1, 2, 3, 4].map((n) => PROBE_LAB.hop(n, 4)));
    expect(v4.json.hops.some((h) => h.rateLimited), JSON.stringify(v4.json.notes)).toBe(false);
    expectKept(v4.json, ['voice', 'video', 'signalling']);

    await startReflector(l);
    const v6 = probe(l, 6, true);
    expect(v6.status, v6.stderr).toBe(0);
    expect(v6.json.stamp!.every((s) => s.answered)).toBe(true);
    expectKept(v6.json, ['voice', 'video', 'signalling']);
    expect(verdict(v6.json, 'voice').text).toContain('reached the reflector as EF 46');
    expect(await stopReflector()).toMatch(/answered 6 test packets/);
  });

  it('EF -> CS0 on ingress at hop 2: first seen as CS0 0 at hop 2 (IPv4 with the reflector, IPv6 plain)', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    const l = await freshLab({ r2: [INGRESS_CS0] });
    await startReflector(l);
    const v4 = probe(l, 4, true);
    expect(v4.status, v4.stderr).toBe(1);
    const voice = verdict(v4.json, 'voice');
    expect(voice.probes[0].dscpChange).toMatchObject({ hop: 2, address: PROBE_LAB.hop(2, 4), lastKeptHop: 1, dscp: 0 });
    expect(voice.text).toContain(`voice: sent EF 46, first seen as CS0 0 at hop 2 (${PROBE_LAB.hop(2, 4)}); reached the reflector as CS0 0`);
    expect(voice.cause?.id).toBe('untrusted-boundary');
    // The reflection goes back through r2's prerouting too.
    expect(voice.reflector).toMatchObject({ dscp: 0, reverseDscp: 0 });
    expectKept(v4.json, ['video', 'signalling']);
    await stopReflector();

    const v6 = probe(l, 6, false);
    expect(v6.status, v6.stderr).toBe(1);
    expect(verdict(v6.json, 'voice').text).toContain(`first seen as CS0 0 at hop 2 (${PROBE_LAB.hop(2, 6)})`);
    expectKept(v6.json, ['video', 'signalling']);
  });

  it('EF -> CS5 40 on egress at hop 2: first seen at hop 3, CoS-to-DSCP map (IPv4 plain, IPv6 with the reflector)', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    const l = await freshLab({ r2: [EGRESS_CS5] });
    const v4 = probe(l, 4, false);
    expect(v4.status, v4.stderr).toBe(1);
    const voice = verdict(v4.json, 'voice');
    expect(voice.probes[0].dscpChange).toMatchObject({ hop: 3, address: PROBE_LAB.hop(3, 4), lastKeptHop: 2, dscp: 40 });
    expect(voice.cause?.id).toBe('cos-to-dscp-map');
    expect(voice.text).toContain('first seen as CS5 40 at hop 3');
    expectKept(v4.json, ['video', 'signalling']);

    await startReflector(l);
    const v6 = probe(l, 6, true);
    expect(v6.status, v6.stderr).toBe(1);
    const voice6 = verdict(v6.json, 'voice');
    expect(voice6.text).toContain(`first seen as CS5 40 at hop 3 (${PROBE_LAB.hop(3, 6)}); reached the reflector as CS5 40`);
    expect(voice6.cause?.id).toBe('cos-to-dscp-map');
  });

  it('ICMP errors dropped at hop 2, EF -> CS0 at hop 3: the verdict gives the interval (IPv4 with the reflector, IPv6 plain)', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    const l = await freshLab({ r2: [DROP_ICMP_ERRORS], r3: [INGRESS_CS0] });
    await startReflector(l);
    const v4 = probe(l, 4, true);
    expect(v4.status, v4.stderr).toBe(1);
    expect(v4.json.hops[1].addresses).toEqual([]);
    const voice = verdict(v4.json, 'voice');
    expect(voice.text).toContain(`first seen as CS0 0 at hop 3 (${PROBE_LAB.hop(3, 4)}), changed between hop 1 and hop 3; reached the reflector as CS0 0`);
    expectKept(v4.json, ['video', 'signalling']);
    await stopReflector();

    const v6 = probe(l, 6, false);
    expect(v6.status, v6.stderr).toBe(1);
    expect(verdict(v6.json, 'voice').text).toContain('changed between hop 1 and hop 3');
  });

  it('errors: no permission, unknown host, bad class, unreachable destination', async (ctx) => {
    skipOrFail(ctx, unmetReason);
    const l = await freshLab({});
    const asNobody = l.exec('s', 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, QOSMARK_CLI, 'probe', PROBE_LAB.receiver.v4], { check: false });
    expect(asNobody.status).toBe(2);
    expect(asNobody.stderr.trim()).toMatch(/^qosmark: probe needs root or CAP_NET_RAW/);
    expect(asNobody.stderr.trim().split('\n')).toHaveLength(1);

    const unknown = l.exec('s', process.execPath, [QOSMARK_CLI, 'probe', 'no-such-host.invalid'], { check: false });
    expect([unknown.status, unknown.stderr.trim()]).toEqual([2, 'qosmark: probe: unknown host "no-such-host.invalid"']);

    const badClass = l.exec('s', process.execPath, [QOSMARK_CLI, 'probe', PROBE_LAB.receiver.v4, '--classes', 'voice,bogus'], { check: false });
    expect(badClass.status).toBe(2);
    expect(badClass.stderr).toMatch(/^qosmark: probe: --classes: unknown class "bogus"/);

    // r1 has no route for 198.19.99.0/24 beyond its default, r2 none at all: net unreachable from hop 2.
    const started = Date.now();
    const unreach = l.exec('s', process.execPath, [QOSMARK_CLI, 'probe', '198.19.99.1', '--classes', 'voice', '--json'], { check: false, timeoutMs: 60_000 });
    expect(unreach.status).toBe(3);
    const j = JSON.parse(unreach.stdout) as { destination: { reached: boolean; unreachable: { hop: number; reason: string } } };
    expect(j.destination).toMatchObject({ reached: false, unreachable: { hop: 2, reason: 'net' } });
    expect(Date.now() - started).toBeLessThan(30_000);

    // No route at all from the receiver's namespace once its default route is gone.
    l.exec('d', 'ip', ['route', 'del', 'default']);
    const noRoute = l.exec('d', process.execPath, [QOSMARK_CLI, 'probe', PROBE_LAB.sender.v4], { check: false });
    expect(noRoute.status).toBe(3);
    expect(noRoute.stdout).toMatch(/destination unreachable: no route to 198\.18\.10\.1/);
  });
});

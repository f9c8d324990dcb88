import { describe, expect, it } from 'vitest';
import { builtinPolicy } from '../../src/classify/policy.js';
import { ProbeEngine, type ProbeOptions, type ReflectorEndpoint } from '../../src/probe/engine.js';
import { planProbes } from '../../src/probe/plan.js';
import { renderJson, renderText } from '../../src/probe/render.js';
import { verdicts } from '../../src/probe/verdict.js';
import { addressBytes } from '../../src/probe/wire.js';
import { SimPath, endpoint4, type SimRouter } from './sim-path.js';

const FAST: ProbeOptions = { maxHops: 8, tries: 3, waitMs: 80, burst: 5, intervalMs: 15, silentHopsLimit: 3, stampTtl: 64 };
const DEST = '10.9.9.9';
const EF = 46 << 2;
const toCs0 = (t: number) => ((t >> 2) === 46 ? t & 3 : t);
const toCs5 = (t: number) => ((t >> 2) === 46 ? (40 << 2) | (t & 3) : t);
const bleach = (t: number) => t & 0xfc;

function routers(n: number, extra: Record<number, Partial<SimRouter>> = {}): SimRouter[] {
  return Array.from({ length: n }, (_, i) => ({ address: `10.0.${i + 1}.2`, ...extra[i + 1] }));
}

async function probe(path: SimPath, reflector: ReflectorEndpoint | null = null, options = FAST) {
  const engine = new ProbeEngine(endpoint4('10.0.0.1', DEST), planProbes(builtinPolicy(), null), options, reflector);
  path.handlers = engine.handlers();
  const run = await engine.run(path);
  path.close();
  return { run, v: verdicts(run) };
}

const byClass = (v: ReturnType<typeof verdicts>, c: string) => v.find((x) => x.className === c)!;

describe('probe engine on a simulated path (replies out of order)', () => {
  it('no re-marking: every class kept end to end, destination reached at hop 4', async () => {
    const { run, v } = await probe(new SimPath(routers(3), DEST));
    expect(run.destination).toMatchObject({ reached: true, hop: 4, how: 'port-unreachable' });
    expect(run.hops.map((h) => h.hop)).toEqual([1, 2, 3, 4]);
    for (const c of v) {
      expect(c.kept).toBe(true);
      expect(c.text).toContain('kept end to end');
    }
    expect(run.rateLimitedHops).toEqual([]);
  });

  it('EF -> CS0 on ingress at hop 2: first seen as CS0 0 at hop 2, untrusted boundary; video untouched', async () => {
    const { v } = await probe(new SimPath(routers(3, { 2: { ingress: toCs0 } }), DEST));
    const voice = byClass(v, 'voice');
    expect(voice.findings[0].dscpChange).toMatchObject({ hop: 2, address: '10.0.2.2', value: 0, lastKeptHop: 1 });
    expect(voice.text).toMatch(/^voice: sent EF 46, first seen as CS0 0 at hop 2 \(10\.0\.2\.2\); likely cause: markings removed at an untrusted boundary/);
    expect(voice.cause?.id).toBe('untrusted-boundary');
    expect(byClass(v, 'video').kept).toBe(true);
    expect(byClass(v, 'signalling').kept).toBe(true);
  });

  it('EF -> CS5 40 on egress at hop 2: seen at hop 3, CoS-to-DSCP map', async () => {
    const { v } = await probe(new SimPath(routers(3, { 2: { egress: toCs5 } }), DEST));
    const voice = byClass(v, 'voice');
    expect(voice.findings[0].dscpChange).toMatchObject({ hop: 3, value: 40 });
    expect(voice.cause?.id).toBe('cos-to-dscp-map');
    expect(voice.text).toContain('first seen as CS5 40 at hop 3 (10.0.3.2)');
    expect(voice.text).toContain('mls qos map cos-dscp');
  });

  it('a silent hop between: the verdict gives the interval', async () => {
    const { run, v } = await probe(new SimPath(routers(3, { 2: { silent: true }, 3: { ingress: toCs0 } }), DEST));
    expect(run.hops[1].slots.every((s) => s.answer === null)).toBe(true);
    const voice = byClass(v, 'voice');
    expect(voice.text).toContain('first seen as CS0 0 at hop 3 (10.0.3.2), changed between hop 1 and hop 3');
    const text = renderText(run, v);
    expect(text).toMatch(/\n\s+2 \*/);
  });

  it('ECN bleaching at hop 3 shows on the ECT(0) probe', async () => {
    const { v } = await probe(new SimPath(routers(3, { 3: { ingress: bleach } }), DEST));
    const video = byClass(v, 'video');
    expect(video.remarked).toBe(false);
    expect(video.ecnCleared).toBe(true);
    expect(video.findings[0].ecnChange).toMatchObject({ hop: 3, value: 0, lastKeptHop: 2 });
    expect(video.text).toContain('ECN: ECT(0) first seen as Not-ECT at hop 3');
  });

  it('with a reflector: what it received, and the reverse path', async () => {
    const reflector = { address: DEST, addressBytes: addressBytes(DEST)!, port: 862 };
    const { run, v } = await probe(new SimPath(routers(3, { 2: { ingress: toCs0 } }), DEST, 862, toCs0), reflector);
    expect(run.stamp!.every((s) => s.answered)).toBe(true);
    const voice = byClass(v, 'voice');
    expect(voice.reflector).toMatchObject({ dscp: 0, reverseDscp: 0, requested: 46 });
    expect(voice.text).toContain('; reached the reflector as CS0 0');
    expect(voice.text).toContain('reflected with EF 46, came back as CS0 0');
    expect(byClass(v, 'video').text).toContain('kept end to end (4 hops quoted, reached the reflector as CS4 32)');
    const json = renderJson(run, v, 'dest') as { stamp: { receivedDscp: number }[]; verdicts: { kept: boolean }[] };
    expect(json.stamp[0].receivedDscp).toBe(0);
    expect(json.verdicts.map((x) => x.kept)).toEqual([false, true, true]);
  });

  it('a router that rate-limits: answers come through retries, and the run says so', async () => {
    const path = new SimPath(routers(3, { 2: { burst: 3, refillMs: 60 } }), DEST);
    const { run, v } = await probe(path, null, { ...FAST, burst: 8, intervalMs: 1 });
    expect(run.rateLimitedHops).toContain(2);
    expect(run.notes.join('\n')).toMatch(/hop 2: .*rate-limited/);
    expect(byClass(v, 'voice').kept).toBe(true);
  });

  it('pacing keeps a default router (burst 6, then 1 per interval) answering everything', async () => {
    const path = new SimPath(routers(3, { 1: { burst: 6, refillMs: 30 }, 2: { burst: 6, refillMs: 30 } }), DEST);
    const { run } = await probe(path, null, { ...FAST, burst: 5, intervalMs: 32 });
    expect(run.rateLimitedHops).toEqual([]);
    expect(run.hops.flatMap((h) => h.slots).every((s) => s.answer !== null)).toBe(true);
  });

  it('a router that cannot route: destination unreachable, no more hops', async () => {
    const { run } = await probe(new SimPath(routers(3, { 2: { unreachable: true } }), DEST));
    expect(run.destination.reached).toBe(false);
    expect(run.destination.unreachable).toMatchObject({ hop: 2, from: '10.0.2.2', reason: 'net' });
    expect(run.hops.map((h) => h.hop)).toEqual([1, 2]);
  });

  it('nothing answers: stops after the silent-hop limit instead of hanging', async () => {
    const path = new SimPath(routers(8, Object.fromEntries(Array.from({ length: 8 }, (_, i) => [i + 1, { silent: true }]))), DEST);
    const { run, v } = await probe(path, null, { ...FAST, tries: 1, waitMs: 30 });
    expect(run.hops.length).toBe(3);
    expect(run.notes.join('\n')).toContain('without an answer');
    expect(byClass(v, 'voice').text).toContain('no hop quoted it');
  });
});

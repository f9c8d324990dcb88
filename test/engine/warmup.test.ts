/**
 * The bridge's warm-up: generated traffic through a Forwarder and Pipeline
 * of its own, in rounds with sleeps between them, until a round is no faster
 * than the ones before. It must leave the live pipeline's options alone.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { FragmentTable } from '../../src/classify/fragment-table.js';
import { warmUp } from '../../src/engine/warmup.js';

describe('warmUp', () => {
  it('runs generated frames in rounds until the time per frame settles, within its time limit', async () => {
    const policy = compilePolicy(builtinPolicy());
    // The live pipeline's options, fragment table included: the warm-up builds a pipeline of its
    // own (and a fragment table of its own) and must not change them.
    const fragments = new FragmentTable();
    const options = { fragments, recordCalls: true };
    const t0 = performance.now();
    const r = await warmUp(policy, options, { frames: 300, maxMs: 2000, sleepMs: 1 });
    expect(performance.now() - t0).toBeLessThan(2000 + 1000);
    expect(r.rounds).toBeGreaterThanOrEqual(1);
    expect(r.frames).toBeGreaterThanOrEqual(300 * r.rounds * 0.9);
    expect(r.lastNsPerFrame).toBeGreaterThan(0);
    expect(options).toEqual({ fragments, recordCalls: true });
    expect(r.firstNsPerFrame).toBeGreaterThan(0);
  });

  it('stops at maxMs even when it has not settled', async () => {
    const r = await warmUp(compilePolicy(builtinPolicy()), {}, { frames: 50, maxMs: 1, sleepMs: 1 });
    expect(r.rounds).toBe(1);
  });
});

import { describe, expect, it } from 'vitest';
import { builtinPolicy, KEEP } from '../../src/classify/policy.js';
import { PlanError, planProbes } from '../../src/probe/plan.js';

describe('probe plan', () => {
  it('built-in policy: voice and video on RTP ports, signalling over TCP and UDP 5060', () => {
    const plan = planProbes(builtinPolicy(), null);
    expect(plan.classes).toEqual(['voice', 'video', 'signalling']);
    expect(plan.kinds.map((k) => [k.label, k.protocol, k.srcPort, k.dstPort, k.dscp])).toEqual([
      ['voice', 'udp', 16384, 16384, 46],
      ['video', 'udp', 16386, 16386, 32],
      ['signalling/tcp', 'tcp', 40000, 5060, 24],
      ['signalling/udp', 'udp', 5060, 5060, 24],
    ]);
  });

  it('--classes picks and orders by the policy; unknown or DSCP-keeping classes are errors', () => {
    expect(planProbes(builtinPolicy(), ['signalling', 'voice']).classes).toEqual(['voice', 'signalling']);
    expect(() => planProbes(builtinPolicy(), ['voice', 'bogus'])).toThrow(PlanError);
    expect(() => planProbes(builtinPolicy(), ['data'])).toThrow(/keeps DSCP/);
  });

  it('a class with no port rule and no media mapping is skipped with a reason', () => {
    const policy = builtinPolicy();
    policy.classes.set('scavenger', { dscp: 8, cos: KEEP });
    const plan = planProbes(policy, null);
    expect(plan.skipped).toEqual([{ className: 'scavenger', reason: 'no port rule maps to it' }]);
  });
});

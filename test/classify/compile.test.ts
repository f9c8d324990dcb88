/**
 * Compile semantics: first match wins across the source and destination
 * tables, side src/dst/either, inclusive ranges, separate udp/tcp tables,
 * the default pseudo-class, and the built-in CUPC/Jabber policy.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_RULE, compilePolicy } from '../../src/classify/compile.js';
import { DSCP_CS3, DSCP_CS4, DSCP_EF } from '../../src/classify/dscp.js';
import { KEEP, builtinPolicy, type Marking, type Policy, type Rule } from '../../src/classify/policy.js';

const TCP = 6;
const UDP = 17;

function policy(rules: Omit<Rule, 'name'>[], classes: Record<string, Marking> = { a: { dscp: 1, cos: 1 }, b: { dscp: 2, cos: 2 } }, def: Marking = { dscp: KEEP, cos: KEEP }): Policy {
  return {
    classes: new Map(Object.entries(classes)),
    rules: rules.map((r, i) => ({ name: `r${i}`, ...r })),
    defaultMarking: def,
    media: new Map(),
  };
}

const one = (p: number) => ({ lo: p, hi: p });

describe('CompiledPolicy.lookup', () => {
  it('first match wins across the source and destination tables', () => {
    // r0 matches the destination, r1 the source: the earlier rule decides, whichever side it matched.
    const c = compilePolicy(
      policy([
        { protocols: ['udp'], ports: [one(5000)], side: 'dst', className: 'a' },
        { protocols: ['udp'], ports: [one(6000)], side: 'src', className: 'b' },
      ]),
    );
    expect(c.lookup(UDP, 6000, 5000)).toBe(0);
    const swapped = compilePolicy(
      policy([
        { protocols: ['udp'], ports: [one(6000)], side: 'src', className: 'b' },
        { protocols: ['udp'], ports: [one(5000)], side: 'dst', className: 'a' },
      ]),
    );
    expect(swapped.lookup(UDP, 6000, 5000)).toBe(0);
    expect(swapped.ruleClass[0]).toBe(swapped.classIndex('b'));
  });

  it('an earlier rule beats a later one on the same port, whichever side each matched', () => {
    const c = compilePolicy(
      policy([
        { protocols: ['tcp'], ports: [one(80)], side: 'either', className: 'a' },
        { protocols: ['tcp'], ports: [{ lo: 1, hi: 1000 }], side: 'either', className: 'b' },
      ]),
    );
    expect(c.lookup(TCP, 80, 999)).toBe(0);
    expect(c.lookup(TCP, 999, 80)).toBe(0);
    expect(c.lookup(TCP, 999, 998)).toBe(1);
  });

  it('side src matches only the source port, side dst only the destination, either both', () => {
    const c = compilePolicy(
      policy([
        { protocols: ['udp'], ports: [one(100)], side: 'src', className: 'a' },
        { protocols: ['udp'], ports: [one(200)], side: 'dst', className: 'a' },
        { protocols: ['udp'], ports: [one(300)], side: 'either', className: 'b' },
      ]),
    );
    expect(c.lookup(UDP, 100, 9)).toBe(0);
    expect(c.lookup(UDP, 9, 100)).toBe(NO_RULE);
    expect(c.lookup(UDP, 9, 200)).toBe(1);
    expect(c.lookup(UDP, 200, 9)).toBe(NO_RULE);
    expect(c.lookup(UDP, 300, 9)).toBe(2);
    expect(c.lookup(UDP, 9, 300)).toBe(2);
  });

  it('ranges include both ends', () => {
    const c = compilePolicy(policy([{ protocols: ['udp'], ports: [{ lo: 100, hi: 200 }], side: 'either', className: 'a' }]));
    expect([99, 100, 150, 200, 201].map((p) => c.lookup(UDP, p, 1))).toEqual([NO_RULE, 0, 0, 0, NO_RULE]);
    expect([99, 100, 200, 201].map((p) => c.lookup(UDP, 1, p))).toEqual([NO_RULE, 0, 0, NO_RULE]);
  });

  it('ports 0 and 65535 and the full range work', () => {
    const c = compilePolicy(
      policy([
        { protocols: ['tcp'], ports: [one(0), one(65535)], side: 'either', className: 'a' },
        { protocols: ['udp'], ports: [{ lo: 0, hi: 65535 }], side: 'dst', className: 'b' },
      ]),
    );
    expect(c.lookup(TCP, 0, 1)).toBe(0);
    expect(c.lookup(TCP, 1, 65535)).toBe(0);
    expect(c.lookup(TCP, 1, 65534)).toBe(NO_RULE);
    expect(c.lookup(UDP, 12345, 0)).toBe(1);
    expect(c.lookup(UDP, 12345, 65535)).toBe(1);
  });

  it('udp and tcp tables are separate', () => {
    const c = compilePolicy(
      policy([
        { protocols: ['udp'], ports: [one(5000)], side: 'either', className: 'a' },
        { protocols: ['tcp'], ports: [one(6000)], side: 'either', className: 'b' },
        { protocols: ['tcp', 'udp'], ports: [one(7000)], side: 'either', className: 'b' },
      ]),
    );
    expect(c.lookup(UDP, 5000, 1)).toBe(0);
    expect(c.lookup(TCP, 5000, 1)).toBe(NO_RULE);
    expect(c.lookup(TCP, 1, 6000)).toBe(1);
    expect(c.lookup(UDP, 1, 6000)).toBe(NO_RULE);
    expect(c.lookup(UDP, 7000, 1)).toBe(2);
    expect(c.lookup(TCP, 7000, 1)).toBe(2);
  });

  it('no rules: every lookup is NO_RULE', () => {
    const c = compilePolicy(policy([]));
    expect(c.lookup(UDP, 5060, 5060)).toBe(NO_RULE);
    expect(c.lookup(TCP, 0, 65535)).toBe(NO_RULE);
  });

  it('agrees with a naive first-match model on random rule sets', () => {
    const arbRule = fc.record({
      protocols: fc.subarray(['udp', 'tcp'] as ('udp' | 'tcp')[], { minLength: 1 }),
      ports: fc.array(
        fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 30 })).map(([lo, w]) => ({ lo, hi: lo + w })),
        { minLength: 1, maxLength: 3 },
      ),
      side: fc.constantFrom('src', 'dst', 'either') as fc.Arbitrary<'src' | 'dst' | 'either'>,
      className: fc.constantFrom('a', 'b'),
    });
    fc.assert(
      fc.property(
        fc.array(arbRule, { maxLength: 6 }),
        fc.array(fc.tuple(fc.constantFrom(TCP, UDP), fc.integer({ min: 0, max: 240 }), fc.integer({ min: 0, max: 240 })), { minLength: 1, maxLength: 30 }),
        (rules, packets) => {
          const c = compilePolicy(policy(rules));
          for (const [proto, sp, dp] of packets) {
            const name = proto === TCP ? 'tcp' : 'udp';
            const inRanges = (r: (typeof rules)[number], port: number) => r.ports.some((x) => port >= x.lo && port <= x.hi);
            const want = rules.findIndex(
              (r) =>
                r.protocols.includes(name) &&
                ((r.side !== 'dst' && inRanges(r, sp)) || (r.side !== 'src' && inRanges(r, dp))),
            );
            expect(c.lookup(proto, sp, dp)).toBe(want === -1 ? NO_RULE : want);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('CompiledPolicy tables', () => {
  it('class names end with the default pseudo-class carrying the default marking', () => {
    const c = compilePolicy(policy([{ protocols: ['udp'], ports: [one(1)], side: 'either', className: 'b' }], undefined, { dscp: 0, cos: 0 }));
    expect(c.classNames).toEqual(['a', 'b', 'default']);
    expect(c.defaultClass).toBe(2);
    expect(Array.from(c.classDscp)).toEqual([1, 2, 0]);
    expect(Array.from(c.classCos)).toEqual([1, 2, 0]);
    expect(Array.from(c.ruleClass)).toEqual([1]);
    expect(c.ruleNames).toEqual(['r0']);
    expect(c.classIndex('b')).toBe(1);
    expect(c.classIndex('nope')).toBe(-1);
  });

  it('isKeepClass is true only when both fields keep', () => {
    const c = compilePolicy(policy([], { k: { dscp: KEEP, cos: KEEP }, d: { dscp: 0, cos: KEEP }, o: { dscp: KEEP, cos: 0 } }));
    expect([0, 1, 2, 3].map((i) => c.isKeepClass(i))).toEqual([true, false, false, true]);
  });

  it('DSCP 63 and KEEP survive the Int8 tables', () => {
    const c = compilePolicy(policy([], { hi: { dscp: 63, cos: 7 } }));
    expect(c.classDscp[0]).toBe(63);
    expect(c.classCos[0]).toBe(7);
    expect(c.classDscp[1]).toBe(KEEP);
  });
});

describe('built-in CUPC/Jabber policy', () => {
  const c = compilePolicy(builtinPolicy());
  const cls = (proto: number, sp: number, dp: number) => {
    const r = c.lookup(proto, sp, dp);
    return r === NO_RULE ? 'default' : c.classNames[c.ruleClass[r]];
  };
  const rule = (proto: number, sp: number, dp: number) => {
    const r = c.lookup(proto, sp, dp);
    return r === NO_RULE ? null : c.ruleNames[r];
  };

  it('udp 5060 <-> 20000 is sip / signalling (the single-port rule beats the RTP range)', () => {
    expect(rule(UDP, 5060, 20000)).toBe('sip');
    expect(rule(UDP, 20000, 5060)).toBe('sip');
    expect(cls(UDP, 5060, 20000)).toBe('signalling');
    const s = c.classIndex('signalling');
    expect([c.classDscp[s], c.classCos[s]]).toEqual([DSCP_CS3, 3]);
  });

  it('tcp 20000 is not RTP: the default class', () => {
    expect(rule(TCP, 20000, 40000)).toBeNull();
    expect(cls(TCP, 40000, 20000)).toBe('default');
  });

  it('the RTP range is 16384-32766 inclusive; 16383 and 32767 are outside it', () => {
    expect(rule(UDP, 16384, 40000)).toBe('rtp');
    expect(rule(UDP, 40000, 32766)).toBe('rtp');
    expect(rule(UDP, 16383, 40000)).toBeNull();
    expect(rule(UDP, 40000, 32767)).toBeNull();
    expect(cls(UDP, 20000, 20002)).toBe('voice');
    const v = c.classIndex('voice');
    expect([c.classDscp[v], c.classCos[v]]).toEqual([DSCP_EF, 5]);
  });

  it('well-known ports classify by their rule', () => {
    expect(rule(TCP, 50000, 5061)).toBe('sip');
    expect(rule(TCP, 2748, 50000)).toBe('ctiqbe');
    expect(rule(UDP, 2748, 50000)).toBeNull();
    expect(rule(UDP, 50000, 69)).toBe('tftp');
    expect(rule(TCP, 50000, 69)).toBeNull();
    expect(rule(TCP, 443, 20000)).toBe('https');
    expect(rule(UDP, 80, 20000)).toBe('rtp'); // http is tcp only
    expect(rule(TCP, 8191, 1)).toBe('soap');
    expect(cls(TCP, 1, 8080)).toBe('data');
    const d = c.classIndex('data');
    expect(c.isKeepClass(d)).toBe(true);
    expect(c.isKeepClass(c.defaultClass)).toBe(true);
  });

  it('has the documented classes and video marking', () => {
    expect(c.classNames).toEqual(['voice', 'video', 'signalling', 'data', 'default']);
    const v = c.classIndex('video');
    expect([c.classDscp[v], c.classCos[v]]).toEqual([DSCP_CS4, 4]);
  });
});

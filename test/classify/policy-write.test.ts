/**
 * policyToYaml / policyToDocument: the written policy loads back to a
 * deep-equal Policy (classes, rules, default and media, in order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/classify/policy-load.js';
import { policyToDocument, policyToYaml, portRangeText } from '../../src/classify/policy-write.js';
import { KEEP, builtinPolicy, type Policy } from '../../src/classify/policy.js';

/** Order-sensitive plain form of a Policy. */
function canon(p: Policy) {
  return { classes: [...p.classes], rules: p.rules, defaultMarking: p.defaultMarking, media: [...p.media] };
}

const roundTrip = (p: Policy) => parsePolicy(policyToYaml(p, 'test'), 'shown.yaml');

describe('policy round-trip', () => {
  it('policyToYaml(builtinPolicy()) parses back to a deep-equal Policy', () => {
    const back = roundTrip(builtinPolicy());
    expect(canon(back)).toEqual(canon(builtinPolicy()));
    expect(back).toEqual(builtinPolicy());
  });

  it('the built-in YAML uses the documented layout and PHB names', () => {
    const text = policyToYaml(builtinPolicy(), 'built-in');
    const lines = text.split('\n');
    expect(lines[0]).toBe('# qosmark policy: built-in');
    expect(lines).toContain('  voice: { dscp: EF, cos: 5 }');
    expect(lines).toContain('  data: { dscp: keep, cos: keep }');
    expect(lines).toContain('  - { name: sip, protocols: [udp, tcp], ports: [5060, 5061], class: signalling, inspect: sip }');
    expect(lines).toContain('  - { name: rtp, protocols: [udp], ports: ["16384-32766"], class: voice }');
    expect(lines).toContain('default: { dscp: keep, cos: keep }');
    expect(lines).toContain('media: { audio: voice, video: video }');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('a user policy with side src/dst, ranges, unnamed DSCPs and a re-marking default round-trips', () => {
    const user = parsePolicy(
      `classes:
  "yes": {dscp: 13, cos: 0}
  "1x": {dscp: AF41}
  "a b": {cos: 7}
  "#hash": {}
rules:
  - {name: "null", protocols: [tcp], ports: ["1-2", 3, "65535"], side: src, class: "yes"}
  - {name: "x: y", protocols: [udp, tcp], ports: [0, "100-200"], side: dst, class: "1x"}
  - {name: plain, protocols: [udp], ports: ["16384-32766"], side: either, class: "a b", inspect: sip}
  - {name: "- dash", protocols: [udp], ports: [5], class: "#hash"}
default: {dscp: 0, cos: 0}
media: {audio: "a b", image: "1x"}
`,
      'user.yaml',
    );
    expect(user.rules[0].side).toBe('src');
    expect(user.rules[1].side).toBe('dst');
    const back = roundTrip(user);
    expect(canon(back)).toEqual(canon(user));
  });

  it('an empty policy writes `classes: {}` and `rules: []` and round-trips', () => {
    const p = parsePolicy('default: {dscp: 0, cos: 0}', 'd');
    const text = policyToYaml(p, 'empty');
    expect(text).toContain('classes: {}');
    expect(text).toContain('rules: []');
    expect(canon(roundTrip(p))).toEqual(canon(p));
  });

  // `media: {}` is a policy that follows no SDP media; written back, the
  // empty map is omitted, and an absent media key means "audio -> voice,
  // video -> video" when those classes exist: the policy changes.
  it('an explicitly empty media map survives the round-trip', () => {
    const p = parsePolicy('classes: {voice: {dscp: EF}}\nmedia: {}\n', 'm.yaml');
    expect([...p.media]).toEqual([]);
    expect([...roundTrip(p).media]).toEqual([]);
  });

  // policy.ts: "Class name -> marking, in file order". Classes go through
  // plain JS objects (yaml toJS, Object.entries, Object.fromEntries), which
  // put integer-like keys first: `classes: {b: .., "2": ..}` loads as [2, b],
  // so reports and `policy show` list classes out of file order.
  it('classes keep file order even when a class name looks like an integer', () => {
    const p = parsePolicy('classes: {b: {dscp: 1}, "2": {dscp: 2}, a: {dscp: 3}}', 'o.yaml');
    expect([...p.classes.keys()]).toEqual(['b', '2', 'a']);
  });

  it('random valid policies round-trip', () => {
    const name = fc.oneof(
      fc.constantFrom('voice', 'video', 'null', 'true', 'yes', 'No', '~', '123', '1-2', 'a b', 'a:b', '#x', "it's", 'x"y', '-', 'keep', 'EF'),
      fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s.trim() !== '' && s === s.trim()),
    );
    const marking = fc.record({
      dscp: fc.oneof(fc.constant(KEEP), fc.integer({ min: 0, max: 63 })),
      cos: fc.oneof(fc.constant(KEEP), fc.integer({ min: 0, max: 7 })),
    });
    const range = fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 65535 })).map(([a, b]) => ({ lo: Math.min(a, b), hi: Math.max(a, b) }));
    const arb = fc
      .record({
        classes: fc.uniqueArray(fc.tuple(name, marking), { minLength: 1, maxLength: 4, selector: (t) => t[0] }),
        rules: fc.uniqueArray(
          fc.record({
            name,
            protocols: fc.constantFrom(['udp'], ['tcp'], ['udp', 'tcp'], ['tcp', 'udp']) as fc.Arbitrary<('udp' | 'tcp')[]>,
            ports: fc.array(range, { minLength: 1, maxLength: 3 }),
            side: fc.constantFrom('src', 'dst', 'either') as fc.Arbitrary<'src' | 'dst' | 'either'>,
            cls: fc.nat(),
            sip: fc.boolean(),
          }),
          { maxLength: 4, selector: (r) => r.name },
        ),
        def: marking,
        media: fc.subarray(['audio', 'video', 'image', 'application', 'text']),
      })
      .map(({ classes, rules, def, media }): Policy => {
        const names = classes.map((c) => c[0]);
        return {
          classes: new Map(classes),
          rules: rules.map((r) => ({
            name: r.name,
            protocols: r.protocols,
            ports: r.ports,
            side: r.side,
            className: names[r.cls % names.length],
            ...(r.sip ? { inspect: 'sip' as const } : {}),
          })),
          defaultMarking: def,
          // A non-empty media map (the empty one is the known bug above).
          media: new Map((media.length ? media : ['audio']).map((m, i) => [m, names[i % names.length]])),
        };
      });
    fc.assert(
      fc.property(arb, (p) => {
        // Classes compared as a Map (by name, order aside: see the class-order test below).
        const back = roundTrip(p);
        expect(back.classes).toEqual(p.classes);
        expect({ ...canon(back), classes: null }).toEqual({ ...canon(p), classes: null });
        // JSON form too
        const json = parsePolicy(JSON.stringify(policyToDocument(p)), 'p.json');
        expect(json.classes).toEqual(p.classes);
        expect({ ...canon(json), classes: null }).toEqual({ ...canon(p), classes: null });
      }),
      { numRuns: 300 },
    );
  });

  it('policyToDocument: rules omit side when either; ranges as "A-B" text; markings spell keep and PHB names', () => {
    const doc = policyToDocument(builtinPolicy()) as any;
    expect(doc.rules[0]).toEqual({ name: 'sip', protocols: ['udp', 'tcp'], ports: [5060, 5061], class: 'signalling', inspect: 'sip' });
    expect(doc.rules.at(-1)).toEqual({ name: 'rtp', protocols: ['udp'], ports: ['16384-32766'], class: 'voice' });
    expect(doc.classes.voice).toEqual({ dscp: 'EF', cos: 5 });
    expect(doc.classes.data).toEqual({ dscp: 'keep', cos: 'keep' });
    expect(doc.default).toEqual({ dscp: 'keep', cos: 'keep' });
    expect(doc.media).toEqual({ audio: 'voice', video: 'video' });
    expect(portRangeText({ lo: 7, hi: 7 })).toBe(7);
    expect(portRangeText({ lo: 7, hi: 9 })).toBe('7-9');
  });
});

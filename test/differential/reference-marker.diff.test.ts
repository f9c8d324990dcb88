/**
 * Differential test: the optimised pipeline (src/) against the deliberately
 * naive reference marker (test/reference/), written independently from the
 * specification. Both see the same random frame sequences; their output
 * bytes, classes and rules must agree frame by frame.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_CLASS } from '../../src/classify/classifier.js';
import { compilePolicy } from '../../src/classify/compile.js';
import { parsePolicy } from '../../src/classify/policy-load.js';
import { KEEP, builtinPolicy, type Marking as PolicyMarking, type Policy } from '../../src/classify/policy.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { COS_TAG_MODES } from '../../src/mark/cos.js';
import { ReferenceMarker, type Marking, type RefPolicy } from '../reference/reference-marker.js';
import { arbFrame, arbMutatedFrame, arbRandomBytes, type ArbFrame } from '../support/frame-arbitraries.js';

function refMarking(m: PolicyMarking): Marking {
  return { dscp: m.dscp === KEEP ? 'keep' : m.dscp, cos: m.cos === KEEP ? 'keep' : m.cos };
}

function toRefPolicy(policy: Policy): RefPolicy {
  return {
    classes: Object.fromEntries([...policy.classes].map(([name, m]) => [name, refMarking(m)])),
    rules: policy.rules.map((r) => ({
      name: r.name,
      protocols: r.protocols,
      ports: r.ports.map((p) => (p.lo === p.hi ? p.lo : ([p.lo, p.hi] as [number, number]))),
      side: r.side,
      className: r.className,
    })),
    default: refMarking(policy.defaultMarking),
  };
}

/** Overlapping rules (order matters), side src/dst, a re-marking default. */
const USER_POLICY = parsePolicy(
  `
classes:
  voice: { dscp: EF, cos: 5 }
  video: { dscp: AF41, cos: 4 }
  signalling: { dscp: CS3, cos: 3 }
  scavenger: { dscp: CS1 }
rules:
  - { name: sip-src, protocols: [udp], ports: [5060], side: src, class: signalling }
  - { name: video-dst, protocols: [udp], ports: ["20000-24999"], side: dst, class: video }
  - { name: rtp, protocols: [udp, tcp], ports: ["16384-32766"], class: voice }
  - { name: web, protocols: [tcp], ports: [80, 443, 8080, "0-10"], class: scavenger }
default: { dscp: 0, cos: 0 }
`,
  'user-policy',
);

function runBoth(policy: Policy, cosTag: 'outer' | 'inner' | 'all', frames: ArbFrame[]): void {
  const pipeline = new Pipeline(compilePolicy(policy), { cosTagMode: COS_TAG_MODES[cosTag] });
  const reference = new ReferenceMarker(toRefPolicy(policy), cosTag);
  const names = pipeline.policy.classNames;
  frames.forEach((frame, i) => {
    const expected = reference.mark(frame.bytes, frame.wireLen, frame.linkType);
    // The pipeline rewrites in place, at an offset inside a larger buffer as the file reader does.
    const buf = new Uint8Array(frame.capLen + 32);
    buf.set(frame.bytes, 16);
    pipeline.handle(buf, 16, frame.capLen, frame.wireLen, frame.linkType, 1_700_000_000 + i, 0);
    const cls = pipeline.classifier.cls;
    const rule = pipeline.classifier.rule;
    const got = {
      out: Array.from(buf.subarray(16, 16 + frame.capLen)),
      className: cls === NO_CLASS ? null : names[cls],
      rule: rule < 0 ? null : pipeline.policy.ruleNames[rule],
    };
    const want = { out: Array.from(expected.out), className: expected.className, rule: expected.rule };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      const hex = Buffer.from(frame.bytes).toString('hex');
      expect({ frame: i, linkType: frame.linkType, wireLen: frame.wireLen, hex, ...got }).toEqual({
        frame: i,
        linkType: frame.linkType,
        wireLen: frame.wireLen,
        hex,
        ...want,
      });
    }
  });
}

const sequences = (arb: fc.Arbitrary<ArbFrame>) => fc.array(arb, { minLength: 5, maxLength: 40 });
const RUNS = { numRuns: 300 };

describe('pipeline agrees with the reference marker', () => {
  it('built-in policy, well-formed frames', () => {
    fc.assert(fc.property(sequences(arbFrame()), (frames) => runBoth(builtinPolicy(), 'outer', frames)), RUNS);
  });

  it('built-in policy, damaged frames', () => {
    fc.assert(fc.property(sequences(arbMutatedFrame()), (frames) => runBoth(builtinPolicy(), 'outer', frames)), RUNS);
  });

  it('built-in policy, random bytes under random link types', () => {
    fc.assert(fc.property(sequences(arbRandomBytes()), (frames) => runBoth(builtinPolicy(), 'outer', frames)), RUNS);
  });

  for (const cosTag of ['outer', 'inner', 'all'] as const) {
    it(`user policy with overlapping rules, side src/dst, re-marking default, --cos-tag ${cosTag}`, () => {
      const arb = fc.oneof(arbFrame(), arbMutatedFrame());
      fc.assert(fc.property(sequences(arb), (frames) => runBoth(USER_POLICY, cosTag, frames)), RUNS);
    });
  }
});

/**
 * Property tests over the whole per-frame path (parse → classify → mark).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, type CompiledPolicy } from '../../src/classify/compile.js';
import { KEEP, type Policy, type Rule } from '../../src/classify/policy.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { COS_TAG_ALL, COS_TAG_INNER, COS_TAG_OUTER } from '../../src/mark/cos.js';
import { parseFrame } from '../../src/parse/frame.js';
import { FRAG_NONFIRST, ParsedFrame } from '../../src/parse/parsed-frame.js';
import { ST_COUNT, ST_NOT_IP, ST_OK, ST_UNSUPPORTED_LINKTYPE, isMalformed, isSnapTruncated } from '../../src/parse/status.js';
import { ipv4ChecksumValid, onesSum } from '../support/bytes.js';
import { arbAnyLinkType, arbGenFrame, type GenFrame } from './frame-gen.js';

const RUNS = 500;

const arbMarking = fc.record({
  dscp: fc.oneof(fc.constant(KEEP), fc.integer({ min: 0, max: 63 })),
  cos: fc.oneof(fc.constant(KEEP), fc.integer({ min: 0, max: 7 })),
});

const arbRange = fc
  .tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 2000 }))
  .map(([lo, w]) => ({ lo, hi: Math.min(65535, lo + w) }));

const arbPolicy: fc.Arbitrary<Policy> = fc
  .record({
    markings: fc.array(arbMarking, { minLength: 1, maxLength: 3 }),
    rules: fc.array(
      fc.record({
        protocols: fc.subarray(['udp', 'tcp'] as ('udp' | 'tcp')[], { minLength: 1 }),
        ports: fc.array(fc.oneof(arbRange, fc.constantFrom(...[5060, 20000, 443, 80].map((p) => ({ lo: p, hi: p })))), { minLength: 1, maxLength: 3 }),
        side: fc.constantFrom('src', 'dst', 'either') as fc.Arbitrary<'src' | 'dst' | 'either'>,
        cls: fc.nat(),
      }),
      { maxLength: 4 },
    ),
    def: arbMarking,
  })
  .map(({ markings, rules, def }) => ({
    classes: new Map(markings.map((m, i) => [`c${i}`, m])),
    rules: rules.map(
      (r, i): Rule => ({ name: `r${i}`, protocols: r.protocols, ports: r.ports, side: r.side, className: `c${r.cls % markings.length}` }),
    ),
    defaultMarking: def,
    media: new Map(),
  }));

/** A few compiled policies, reused: compiling is the expensive part. */
const FIXED_POLICIES: CompiledPolicy[] = fc.sample(arbPolicy, { numRuns: 6, seed: 42 }).map(compilePolicy);
FIXED_POLICIES.push(
  compilePolicy({
    classes: new Map([['all', { dscp: 46, cos: 5 }]]),
    rules: [],
    defaultMarking: { dscp: 46, cos: 5 },
    media: new Map(),
  }),
);
const arbCompiled = fc.constantFrom(...FIXED_POLICIES);
const arbCosMode = fc.constantFrom(COS_TAG_OUTER, COS_TAG_INNER, COS_TAG_ALL);

/** Bit masks of what marking may change in a frame, from where the headers are. */
function allowedMask(len: number, ipVersion: number, l3Off: number, tciOffs: ArrayLike<number>): Uint8Array {
  const m = new Uint8Array(len);
  if (ipVersion === 4) {
    m[l3Off + 1] = 0xfc; // DSCP, not ECN
    m[l3Off + 10] = 0xff; // checksum
    m[l3Off + 11] = 0xff;
  } else if (ipVersion === 6) {
    m[l3Off] = 0x0f; // traffic class high nibble (DSCP bits 5-2), not the version
    m[l3Off + 1] = 0xc0; // DSCP bits 1-0, not ECN, not the flow label
  }
  for (let i = 0; i < tciOffs.length; i++) m[tciOffs[i]] |= 0xe0; // PCP only
  return m;
}

function expectOnlyAllowedBitsChanged(before: Uint8Array, after: Uint8Array, mask: Uint8Array): void {
  for (let i = 0; i < before.length; i++) {
    const diff = before[i] ^ after[i];
    if ((diff & ~mask[i]) !== 0) {
      throw new Error(`byte ${i} changed outside the allowed bits: ${before[i].toString(16)} -> ${after[i].toString(16)} (mask ${mask[i].toString(16)})`);
    }
  }
}

const norm = (s: number) => (s === 0xffff ? 0 : s);

describe('parseFrame on random input', () => {
  it('never throws, returns a known status, and keeps every offset inside the captured bytes', () => {
    const p = new ParsedFrame();
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 160 }),
        arbAnyLinkType,
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 4000 }),
        (bytes, linkType, offSeed, capSeed, wireLen) => {
          const off = bytes.length === 0 ? 0 : offSeed % (bytes.length + 1);
          const capLen = capSeed % (bytes.length - off + 1);
          const status = parseFrame(bytes, off, capLen, wireLen, linkType, p);
          expect(status).toBe(p.status);
          expect(Number.isInteger(status) && status >= 0 && status < ST_COUNT).toBe(true);
          // Every status is exactly one of: ok-ish, malformed, snap-truncated.
          const classes = [status === ST_OK || status === ST_NOT_IP || status === ST_UNSUPPORTED_LINKTYPE, isMalformed(status), isSnapTruncated(status)];
          expect(classes.filter(Boolean).length).toBe(1);
          for (let i = 0; i < p.tagCount; i++) {
            expect(p.tagTciOff[i]).toBeGreaterThanOrEqual(off);
            expect(p.tagTciOff[i] + 4).toBeLessThanOrEqual(off + capLen);
          }
          if (p.ipVersion !== 0) {
            expect(p.l3Off).toBeGreaterThanOrEqual(off);
            expect(p.l3Off + (p.ipVersion === 4 ? 20 : 40)).toBeLessThanOrEqual(off + capLen);
          }
          if (p.srcPort !== -1 || p.dstPort !== -1) {
            expect(status).toBe(ST_OK);
            expect(p.l4Off + 4).toBeLessThanOrEqual(off + capLen);
            expect(p.l4Off + 4).toBeLessThanOrEqual(p.ipEnd);
          }
          if (linkType !== 0 && linkType !== 1 && linkType !== 101 && linkType !== 108 && linkType !== 113 && linkType !== 228 && linkType !== 229 && linkType !== 276) {
            expect(status).toBe(ST_UNSUPPORTED_LINKTYPE);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('a snap cut of a frame that parses whole is never malformed, and agrees on what it decoded', () => {
    const whole = new ParsedFrame();
    const cut = new ParsedFrame();
    fc.assert(
      fc.property(arbGenFrame, fc.nat(), (f, seed) => {
        const n = f.bytes.length;
        parseFrame(f.bytes, 0, n, n, f.linkType, whole);
        expect(whole.status).toBe(ST_OK);
        expect(whole.l3Off).toBe(f.l3Off);
        expect(whole.ipVersion).toBe(f.ipVersion);
        expect(Array.from(whole.tagTciOff.subarray(0, whole.tagCount))).toEqual(f.tciOffs);
        const capLen = seed % (n + 1);
        const s = parseFrame(f.bytes, 0, capLen, n, f.linkType, cut);
        expect(isMalformed(s)).toBe(false);
        if (cut.ipVersion !== 0) expect(cut.l3Off).toBe(whole.l3Off);
        if (s === ST_OK) {
          expect([cut.proto, cut.l4Off, cut.srcPort, cut.dstPort, cut.fragment]).toEqual([
            whole.proto,
            whole.l4Off,
            whole.srcPort,
            whole.dstPort,
            whole.fragment,
          ]);
        } else {
          expect(isSnapTruncated(s)).toBe(true);
          expect([cut.srcPort, cut.dstPort]).toEqual([-1, -1]);
        }
      }),
      { numRuns: RUNS },
    );
  });
});

describe('Pipeline.handle properties', () => {
  it('never throws on random bytes with random link types, and changes only DS/PCP/checksum bits', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 128 }),
        arbAnyLinkType,
        fc.nat(),
        fc.integer({ min: 0, max: 3000 }),
        arbCompiled,
        arbCosMode,
        (bytes, linkType, capSeed, wireLen, policy, cosTagMode) => {
          const pipeline = new Pipeline(policy, { cosTagMode });
          const capLen = capSeed % (bytes.length + 1);
          const buf = bytes.slice();
          pipeline.handle(buf, 0, capLen, wireLen, linkType, 100, 5);
          const p = pipeline.parsed;
          expectOnlyAllowedBitsChanged(bytes, buf, allowedMask(buf.length, p.ipVersion, p.l3Off, p.tagTciOff.subarray(0, p.tagCount)));
          for (let i = capLen; i < buf.length; i++) expect(buf[i]).toBe(bytes[i]);
          if (p.status !== ST_OK) expect(Array.from(buf)).toEqual(Array.from(bytes));
          expect(pipeline.counters.frames).toBe(1);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('on structured frames: only DSCP, PCP and the IPv4 checksum change; ECN, version and flow label never', () => {
    fc.assert(
      fc.property(arbGenFrame, arbCompiled, arbCosMode, (f: GenFrame, policy, cosTagMode) => {
        const pipeline = new Pipeline(policy, { cosTagMode });
        const buf = f.bytes.slice();
        pipeline.handle(buf, 0, buf.length, buf.length, f.linkType, 1, 0);
        expectOnlyAllowedBitsChanged(f.bytes, buf, allowedMask(buf.length, f.ipVersion, f.l3Off, f.tciOffs));
        const l3 = f.l3Off;
        if (f.ipVersion === 4) {
          expect(buf[l3 + 1] & 3).toBe(f.bytes[l3 + 1] & 3);
          if (f.checksumValid) expect(ipv4ChecksumValid(buf, l3, f.ipHeaderLen)).toBe(true);
          else expect(norm(onesSum(buf, l3, f.ipHeaderLen))).toBe(norm(onesSum(f.bytes, l3, f.ipHeaderLen)));
          if (buf[l3 + 1] === f.bytes[l3 + 1]) expect([buf[l3 + 10], buf[l3 + 11]]).toEqual([f.bytes[l3 + 10], f.bytes[l3 + 11]]);
        } else {
          expect(buf[l3] >>> 4).toBe(6);
          expect((buf[l3 + 1] >>> 4) & 3).toBe((f.bytes[l3 + 1] >>> 4) & 3); // ECN
          expect([buf[l3 + 1] & 0x0f, buf[l3 + 2], buf[l3 + 3]]).toEqual([f.bytes[l3 + 1] & 0x0f, f.bytes[l3 + 2], f.bytes[l3 + 3]]);
        }
        // DEI and VID of every tag are kept.
        for (const t of f.tciOffs) {
          expect(buf[t] & 0x1f).toBe(f.bytes[t] & 0x1f);
          expect(buf[t + 1]).toBe(f.bytes[t + 1]);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('on structured frames the class marking is applied: DSCP and the chosen tags PCP take the class values', () => {
    fc.assert(
      fc.property(arbGenFrame, arbCompiled, arbCosMode, (f, policy, cosTagMode) => {
        const pipeline = new Pipeline(policy, { cosTagMode });
        const buf = f.bytes.slice();
        pipeline.handle(buf, 0, buf.length, buf.length, f.linkType, 1, 0);
        const cls = pipeline.classifier.cls;
        const p = pipeline.parsed;
        if (p.fragment === FRAG_NONFIRST) {
          // A fresh pipeline has seen no first fragment: left as found.
          expect(cls).toBe(-1);
          expect(Array.from(buf)).toEqual(Array.from(f.bytes));
          return;
        }
        expect(cls).toBeGreaterThanOrEqual(0);
        const dscp = policy.classDscp[cls];
        const cos = policy.classCos[cls];
        const l3 = f.l3Off;
        const gotDscp = f.ipVersion === 4 ? buf[l3 + 1] >>> 2 : (((buf[l3] & 0x0f) << 4) | (buf[l3 + 1] >>> 4)) >>> 2;
        const oldDscp = f.ipVersion === 4 ? f.bytes[l3 + 1] >>> 2 : (((f.bytes[l3] & 0x0f) << 4) | (f.bytes[l3 + 1] >>> 4)) >>> 2;
        expect(gotDscp).toBe(dscp === KEEP ? oldDscp : dscp);
        const n = f.tciOffs.length;
        f.tciOffs.forEach((t, i) => {
          const chosen = cosTagMode === COS_TAG_ALL || (cosTagMode === COS_TAG_OUTER ? i === 0 : i === n - 1);
          expect(buf[t] >>> 5).toBe(cos !== KEEP && chosen ? cos : f.bytes[t] >>> 5);
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('marking is idempotent: marking the output again changes nothing', () => {
    fc.assert(
      fc.property(fc.array(arbGenFrame, { minLength: 1, maxLength: 6 }), arbCompiled, arbCosMode, (frames, policy, cosTagMode) => {
        const first = new Pipeline(policy, { cosTagMode });
        const outputs = frames.map((f, i) => {
          const b = f.bytes.slice();
          first.handle(b, 0, b.length, b.length, f.linkType, i, 0);
          return b;
        });
        const second = new Pipeline(policy, { cosTagMode });
        outputs.forEach((b, i) => {
          const again = b.slice();
          second.handle(again, 0, again.length, again.length, frames[i].linkType, i, 0);
          expect(Array.from(again)).toEqual(Array.from(b));
          expect(second.lastMarkResult & 3).toBe(0);
        });
        expect(second.counters.dscpChanged).toBe(0);
        expect(second.counters.cosChanged).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('idempotent on random bytes too', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 128 }), arbAnyLinkType, arbCompiled, arbCosMode, (bytes, linkType, policy, cosTagMode) => {
        const once = bytes.slice();
        new Pipeline(policy, { cosTagMode }).handle(once, 0, once.length, once.length, linkType, 0, 0);
        const twice = once.slice();
        new Pipeline(policy, { cosTagMode }).handle(twice, 0, twice.length, twice.length, linkType, 0, 0);
        expect(Array.from(twice)).toEqual(Array.from(once));
      }),
      { numRuns: 1000 },
    );
  });

  it('with marking off (audit), no byte ever changes', () => {
    fc.assert(
      fc.property(arbGenFrame, arbCompiled, (f, policy) => {
        const pipeline = new Pipeline(policy, { mark: false });
        const buf = f.bytes.slice();
        pipeline.handle(buf, 0, buf.length, buf.length, f.linkType, 0, 0);
        expect(Array.from(buf)).toEqual(Array.from(f.bytes));
        expect(pipeline.lastMarkResult).toBe(0);
        expect(pipeline.counters.dscpChanged + pipeline.counters.cosChanged).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

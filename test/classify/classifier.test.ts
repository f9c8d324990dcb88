/**
 * Classifier outcomes and the fragment table: first fragment then non-first
 * fragments get the same class; unknown first fragment → NO_CLASS with
 * CLS_FRAGMENT_UNMATCHED; expiry in capture time; bounded table; IPv4 and
 * IPv6 keys kept apart.
 */
import { describe, expect, it } from 'vitest';
import { CLS_CLASSIFIED, CLS_FRAGMENT_UNMATCHED, CLS_NOT_PARSED, Classifier, NO_CLASS } from '../../src/classify/classifier.js';
import { compilePolicy } from '../../src/classify/compile.js';
import { DEFAULT_FRAGMENT_SLOTS, FRAGMENT_TIMEOUT_SEC, FragmentTable } from '../../src/classify/fragment-table.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { parseFrame } from '../../src/parse/frame.js';
import { LINKTYPE_RAW } from '../../src/parse/linktype.js';
import { FRAG_FIRST, FRAG_NONFIRST, ParsedFrame } from '../../src/parse/parsed-frame.js';
import { ST_OK } from '../../src/parse/status.js';
import { concat, ipv4, ipv6, tcp, udp, V6_DST, V6_SRC } from '../support/bytes.js';

const compiled = compilePolicy(builtinPolicy());
const SIGNALLING = compiled.classIndex('signalling');
const VOICE = compiled.classIndex('voice');
const SIP_RULE = compiled.ruleNames.indexOf('sip');
const RTP_RULE = compiled.ruleNames.indexOf('rtp');

function parsed(bytes: Uint8Array, capLen = bytes.length, wireLen = bytes.length): { buf: Uint8Array; p: ParsedFrame } {
  const p = new ParsedFrame();
  parseFrame(bytes, 0, capLen, wireLen, LINKTYPE_RAW, p);
  return { buf: bytes, p };
}

interface V4Frag {
  id?: number;
  src?: number[];
  dst?: number[];
  proto?: number;
}

/** First fragment: MF set, offset 0, UDP ports in it. */
function v4First(o: V4Frag & { sp?: number; dp?: number } = {}) {
  const l4 = (o.proto ?? 17) === 6 ? tcp(o.sp ?? 5060, o.dp ?? 20000) : udp(o.sp ?? 5060, o.dp ?? 20000, new Array(16).fill(0));
  return parsed(ipv4({ proto: o.proto ?? 17, id: o.id ?? 0x1234, flagsFrag: 0x2000, src: o.src, dst: o.dst }, l4));
}

/** Non-first fragment: offset 3 units, no ports. */
function v4Later(o: V4Frag & { last?: boolean } = {}) {
  return parsed(
    ipv4({ proto: o.proto ?? 17, id: o.id ?? 0x1234, flagsFrag: (o.last ? 0 : 0x2000) | 3, src: o.src, dst: o.dst }, new Array(24).fill(0x5a)),
  );
}

function v6Frag(units: number, more: boolean, ident: number, next: number, rest: ArrayLike<number>, addrs?: { src: number[]; dst: number[] }) {
  const off = (units << 3) | (more ? 1 : 0);
  const fh = [next, 0, off >> 8, off & 0xff, (ident >>> 24) & 0xff, (ident >>> 16) & 0xff, (ident >>> 8) & 0xff, ident & 0xff];
  return parsed(ipv6({ next: 44, src: addrs?.src, dst: addrs?.dst }, concat(fh, rest)));
}

describe('Classifier', () => {
  it('classifies by rule and remembers the rule index', () => {
    const c = new Classifier(compiled);
    const { buf, p } = parsed(ipv4({ proto: 17 }, udp(5060, 20000)));
    expect(c.classify(buf, p, 0)).toBe(SIGNALLING);
    expect([c.rule, c.cls, c.outcome]).toEqual([SIP_RULE, SIGNALLING, CLS_CLASSIFIED]);
  });

  it('TCP/UDP with no matching rule and non-TCP/UDP IP get the default class, rule -1', () => {
    const c = new Classifier(compiled);
    const a = parsed(ipv4({ proto: 6 }, tcp(40000, 20000)));
    expect(c.classify(a.buf, a.p, 0)).toBe(compiled.defaultClass);
    expect([c.rule, c.outcome]).toEqual([-1, CLS_CLASSIFIED]);
    const icmp = parsed(ipv4({ proto: 1 }, [8, 0, 0, 0, 0, 0, 0, 0]));
    expect(c.classify(icmp.buf, icmp.p, 0)).toBe(compiled.defaultClass);
    const esp = parsed(ipv6({ next: 50 }, [0, 0, 0, 1, 0, 0, 0, 1]));
    expect(c.classify(esp.buf, esp.p, 0)).toBe(compiled.defaultClass);
  });

  it('frames that did not parse to ST_OK get NO_CLASS / CLS_NOT_PARSED (ports cut by the snap length too)', () => {
    const c = new Classifier(compiled);
    const full = ipv4({ proto: 17 }, udp(5060, 20000));
    const cut = parsed(full, 22, full.length);
    expect(cut.p.status).not.toBe(ST_OK);
    // a classified frame first, to see that the fields are reset
    const ok = parsed(full);
    c.classify(ok.buf, ok.p, 0);
    expect(c.classify(cut.buf, cut.p, 0)).toBe(NO_CLASS);
    expect([c.rule, c.cls, c.outcome]).toEqual([-1, NO_CLASS, CLS_NOT_PARSED]);
  });

  it('IPv4: non-first fragments take the first fragment class and rule', () => {
    const c = new Classifier(compiled);
    const first = v4First({ sp: 30000, dp: 30002 });
    expect(first.p.fragment).toBe(FRAG_FIRST);
    expect(c.classify(first.buf, first.p, 10)).toBe(VOICE);
    for (const last of [false, true]) {
      const later = v4Later({ last });
      expect(later.p.fragment).toBe(FRAG_NONFIRST);
      expect(c.classify(later.buf, later.p, 11)).toBe(VOICE);
      expect([c.rule, c.outcome]).toEqual([RTP_RULE, CLS_CLASSIFIED]);
    }
  });

  it('a first fragment that fell to the default class passes the default class on', () => {
    const c = new Classifier(compiled);
    const first = v4First({ proto: 6, sp: 40000, dp: 20000 });
    expect(c.classify(first.buf, first.p, 0)).toBe(compiled.defaultClass);
    const later = v4Later({ proto: 6 });
    expect(c.classify(later.buf, later.p, 0)).toBe(compiled.defaultClass);
    expect(c.rule).toBe(-1);
  });

  it('a non-first fragment whose first fragment was not seen is NO_CLASS / CLS_FRAGMENT_UNMATCHED', () => {
    const c = new Classifier(compiled);
    const later = v4Later();
    expect(c.classify(later.buf, later.p, 0)).toBe(NO_CLASS);
    expect([c.rule, c.cls, c.outcome]).toEqual([-1, NO_CLASS, CLS_FRAGMENT_UNMATCHED]);
  });

  it('the IPv4 key is source, destination, identification and protocol', () => {
    const c = new Classifier(compiled);
    const first = v4First();
    c.classify(first.buf, first.p, 0);
    const miss = [
      v4Later({ id: 0x1235 }),
      v4Later({ src: [10, 0, 0, 9] }),
      v4Later({ dst: [10, 0, 0, 9] }),
      v4Later({ proto: 6 }),
      // swapped addresses are another datagram
      v4Later({ src: [10, 0, 0, 2], dst: [10, 0, 0, 1] }),
    ];
    for (const m of miss) {
      expect(c.classify(m.buf, m.p, 0)).toBe(NO_CLASS);
      expect(c.outcome).toBe(CLS_FRAGMENT_UNMATCHED);
    }
    const hit = v4Later();
    expect(c.classify(hit.buf, hit.p, 0)).toBe(SIGNALLING);
  });

  it('a first fragment cut before its ports is not remembered', () => {
    const c = new Classifier(compiled);
    const whole = v4First();
    const cut = parsed(whole.buf, 22, whole.buf.length);
    expect(c.classify(cut.buf, cut.p, 0)).toBe(NO_CLASS);
    const later = v4Later();
    expect(c.classify(later.buf, later.p, 0)).toBe(NO_CLASS);
    expect(c.outcome).toBe(CLS_FRAGMENT_UNMATCHED);
  });

  it(`entries expire after FRAGMENT_TIMEOUT_SEC (${FRAGMENT_TIMEOUT_SEC} s) of capture time`, () => {
    const c = new Classifier(compiled);
    const first = v4First();
    c.classify(first.buf, first.p, 1000);
    const later = v4Later();
    expect(c.classify(later.buf, later.p, 1000 + FRAGMENT_TIMEOUT_SEC)).toBe(SIGNALLING);
    expect(c.classify(later.buf, later.p, 1000 + FRAGMENT_TIMEOUT_SEC + 0.001)).toBe(NO_CLASS);
    expect(c.outcome).toBe(CLS_FRAGMENT_UNMATCHED);
  });

  it('IPv6: non-first fragments take the first fragment class', () => {
    const c = new Classifier(compiled);
    const first = v6Frag(0, true, 0xdeadbeef, 17, udp(20000, 5060, new Array(16).fill(0)));
    expect(first.p.fragment).toBe(FRAG_FIRST);
    expect(c.classify(first.buf, first.p, 5)).toBe(SIGNALLING);
    const later = v6Frag(3, false, 0xdeadbeef, 17, new Array(16).fill(1));
    expect(later.p.fragment).toBe(FRAG_NONFIRST);
    expect(c.classify(later.buf, later.p, 6)).toBe(SIGNALLING);
    const other = v6Frag(3, false, 0xdeadbeee, 17, new Array(16).fill(1));
    expect(c.classify(other.buf, other.p, 6)).toBe(NO_CLASS);
  });

  it('IPv6: the full 32-bit identification is part of the key', () => {
    const c = new Classifier(compiled);
    const first = v6Frag(0, true, 0x80000001, 17, udp(5060, 1, new Array(8).fill(0)));
    c.classify(first.buf, first.p, 0);
    const low16 = v6Frag(1, false, 0x00000001, 17, new Array(8).fill(0));
    expect(c.classify(low16.buf, low16.p, 0)).toBe(NO_CLASS);
    const same = v6Frag(1, false, 0x80000001, 17, new Array(8).fill(0));
    expect(c.classify(same.buf, same.p, 0)).toBe(SIGNALLING);
  });

  // RFC 8200 4.5: the fragmentable part (which may start with AH or Destination
  // Options) follows the Fragment header. The first fragment's upper-layer
  // protocol (after walking AH) is TCP/UDP, but every fragment's Fragment
  // header names AH as next header: the key must use the latter (fragProto).
  it('IPv6 fragments with AH after the Fragment header: later fragments find the first fragment', () => {
    const c = new Classifier(compiled);
    const ah = [17, 4, 0, 0, 0, 0, 0x10, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    const first = v6Frag(0, true, 0x77, 51, concat(ah, udp(5060, 20000, new Array(16).fill(0))));
    expect(first.p.fragment).toBe(FRAG_FIRST);
    expect([first.p.proto, first.p.fragProto]).toEqual([17, 51]);
    expect(c.classify(first.buf, first.p, 0)).toBe(SIGNALLING);
    const later = v6Frag(6, false, 0x77, 51, new Array(16).fill(1));
    expect([later.p.proto, later.p.fragProto]).toEqual([51, 51]);
    expect(later.p.fragment).toBe(FRAG_NONFIRST);
    expect(c.classify(later.buf, later.p, 0)).toBe(SIGNALLING);
  });

  it('IPv6 fragments with Destination Options after the Fragment header: later fragments find the first fragment', () => {
    const c = new Classifier(compiled);
    const dst = [17, 0, 1, 4, 0, 0, 0, 0];
    const first = v6Frag(0, true, 0x78, 60, concat(dst, udp(16500, 16502, new Array(16).fill(0))));
    expect(c.classify(first.buf, first.p, 0)).toBe(VOICE);
    const later = v6Frag(4, false, 0x78, 60, new Array(16).fill(1));
    expect(c.classify(later.buf, later.p, 0)).toBe(VOICE);
  });
});

describe('FragmentTable', () => {
  /** Distinct IPv4 first fragments: ids 0.. n-1. */
  const firstWithId = (id: number) => v4First({ id });
  const laterWithId = (id: number) => v4Later({ id });

  it('bounded: filling beyond capacity evicts the oldest entry, counts it, and never throws', () => {
    const t = new FragmentTable(8);
    for (let i = 0; i < 8; i++) {
      const f = firstWithId(i);
      t.insert(f.buf, f.p, i, i, i);
    }
    expect(t.evictions).toBe(0);
    for (let i = 0; i < 8; i++) {
      const l = laterWithId(i);
      expect(t.lookup(l.buf, l.p, 8)).toBe(true);
      expect([t.foundRule, t.foundClass]).toEqual([i, i]);
    }
    const ninth = firstWithId(100);
    t.insert(ninth.buf, ninth.p, 8, 9, 9);
    expect(t.evictions).toBe(1);
    const l0 = laterWithId(0);
    expect(t.lookup(l0.buf, l0.p, 8)).toBe(false); // the oldest (inserted at t=0) went
    expect([t.foundRule, t.foundClass]).toEqual([-1, -1]);
    for (const id of [1, 2, 3, 4, 5, 6, 7, 100]) {
      const l = laterWithId(id);
      expect(t.lookup(l.buf, l.p, 8), `id ${id}`).toBe(true);
    }
  });

  it('a default-size table takes 50,000 datagrams without throwing; evictions are counted; recent entries stay', () => {
    const t = new FragmentTable();
    const f = firstWithId(0);
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      // vary the identification and the source address so keys are distinct
      f.buf[4] = (i >>> 8) & 0xff;
      f.buf[5] = i & 0xff;
      f.buf[12] = (i >>> 16) & 0xff;
      f.p.fragId = i & 0xffff;
      t.insert(f.buf, f.p, i * 1e-4, 1, 2);
    }
    expect(t.evictions).toBeGreaterThanOrEqual(n - DEFAULT_FRAGMENT_SLOTS);
    expect(t.evictions).toBeLessThan(n);
    // the very last datagram is there
    expect(t.lookup(f.buf, f.p, n * 1e-4)).toBe(true);
    expect(t.foundClass).toBe(2);
  });

  it('expired entries are reused without counting an eviction', () => {
    const t = new FragmentTable(8);
    for (let i = 0; i < 8; i++) {
      const f = firstWithId(i);
      t.insert(f.buf, f.p, 0, 0, 0);
    }
    const late = firstWithId(99);
    t.insert(late.buf, late.p, FRAGMENT_TIMEOUT_SEC + 1, 1, 1);
    expect(t.evictions).toBe(0);
    const l = laterWithId(99);
    expect(t.lookup(l.buf, l.p, FRAGMENT_TIMEOUT_SEC + 1)).toBe(true);
  });

  it('inserting the same datagram again updates it in place', () => {
    const t = new FragmentTable(8);
    const f = firstWithId(5);
    t.insert(f.buf, f.p, 0, 1, 1);
    t.insert(f.buf, f.p, 1, 2, 3);
    expect(t.evictions).toBe(0);
    const l = laterWithId(5);
    expect(t.lookup(l.buf, l.p, 1)).toBe(true);
    expect([t.foundRule, t.foundClass]).toEqual([2, 3]);
  });

  it('a custom timeout is honoured', () => {
    const t = new FragmentTable(16, 2);
    const f = firstWithId(1);
    t.insert(f.buf, f.p, 10, 0, 0);
    const l = laterWithId(1);
    expect(t.lookup(l.buf, l.p, 12)).toBe(true);
    expect(t.lookup(l.buf, l.p, 12.01)).toBe(false);
  });

  it('IPv4 and IPv6 keys do not collide, even with matching address bytes and ident', () => {
    // IPv6 addresses whose first 8 bytes equal the IPv4 src+dst; ident and protocol equal too.
    const src6 = [10, 0, 0, 1, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
    const dst6 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    const t = new FragmentTable(8); // every slot is in every probe window
    const f4 = v4First({ id: 0x1234 });
    t.insert(f4.buf, f4.p, 0, 4, 4);
    const later6 = v6Frag(1, false, 0x1234, 17, new Array(8).fill(0), { src: src6, dst: dst6 });
    expect(later6.p.fragId).toBe(0x1234);
    expect(t.lookup(later6.buf, later6.p, 0)).toBe(false);
    const first6 = v6Frag(0, true, 0x1234, 17, udp(1, 2, new Array(8).fill(0)), { src: src6, dst: dst6 });
    t.insert(first6.buf, first6.p, 0, 6, 6);
    const later4 = v4Later({ id: 0x1234 });
    expect(t.lookup(later4.buf, later4.p, 0)).toBe(true);
    expect(t.foundClass).toBe(4);
    expect(t.lookup(later6.buf, later6.p, 0)).toBe(true);
    expect(t.foundClass).toBe(6);
    expect(t.evictions).toBe(0);
  });

  it('different IPv6 addresses are different datagrams', () => {
    const t = new FragmentTable();
    const f = v6Frag(0, true, 9, 17, udp(1, 2, new Array(8).fill(0)));
    t.insert(f.buf, f.p, 0, 0, 0);
    const otherDst = V6_DST.slice();
    otherDst[15] = 3;
    const l = v6Frag(1, false, 9, 17, new Array(8).fill(0), { src: V6_SRC, dst: otherDst });
    expect(t.lookup(l.buf, l.p, 0)).toBe(false);
  });

  // A full probe window holding entries stamped later than the new first
  // fragment (capture files with out-of-order timestamps, e.g. merged
  // captures): every "age" is negative, no victim is chosen, the eviction is
  // counted but the new entry is written to slot -1 (silently dropped by the
  // typed arrays) and its later fragments go unmatched.
  it('a first fragment with an earlier timestamp than a full table is still remembered', () => {
    const t = new FragmentTable(8);
    for (let i = 0; i < 8; i++) {
      const f = firstWithId(i);
      t.insert(f.buf, f.p, 10, 0, 0);
    }
    const early = firstWithId(200);
    t.insert(early.buf, early.p, 5, 7, 7);
    const l = laterWithId(200);
    expect(t.lookup(l.buf, l.p, 5)).toBe(true);
  });
});

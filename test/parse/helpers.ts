import { expect } from 'vitest';
import { parseFrame } from '../../src/parse/frame.js';
import { FRAGMENT_NAMES, ParsedFrame } from '../../src/parse/parsed-frame.js';
import { statusName } from '../../src/parse/status.js';

export interface Expected {
  status: number;
  etherType?: number;
  tagTciOff?: number[];
  ipVersion?: number;
  l3Off?: number;
  ipEnd?: number;
  proto?: number;
  l4Off?: number;
  fragment?: number;
  fragId?: number;
  srcPort?: number;
  dstPort?: number;
}

/** Every decoded field, in a comparable shape (status and fragment as words). */
export function snapshot(p: ParsedFrame) {
  return {
    status: statusName(p.status),
    etherType: p.etherType,
    tagCount: p.tagCount,
    tagTciOff: Array.from(p.tagTciOff.subarray(0, p.tagCount)),
    ipVersion: p.ipVersion,
    l3Off: p.l3Off,
    ipEnd: p.ipEnd,
    proto: p.proto,
    l4Off: p.l4Off,
    fragment: FRAGMENT_NAMES[p.fragment],
    fragId: p.fragId,
    srcPort: p.srcPort,
    dstPort: p.dstPort,
  };
}

/** The full snapshot expected: fields not given take their "not decoded" values. */
export function expected(e: Expected) {
  const tags = e.tagTciOff ?? [];
  return {
    status: statusName(e.status),
    etherType: e.etherType ?? -1,
    tagCount: tags.length,
    tagTciOff: tags,
    ipVersion: e.ipVersion ?? 0,
    l3Off: e.l3Off ?? -1,
    ipEnd: e.ipEnd ?? 0,
    proto: e.proto ?? -1,
    l4Off: e.l4Off ?? -1,
    fragment: FRAGMENT_NAMES[e.fragment ?? 0],
    fragId: e.fragId ?? 0,
    srcPort: e.srcPort ?? -1,
    dstPort: e.dstPort ?? -1,
  };
}

export function parse(bytes: Uint8Array, linkType: number, capLen = bytes.length, wireLen = bytes.length, off = 0): ParsedFrame {
  const p = new ParsedFrame();
  const ret = parseFrame(bytes, off, capLen, wireLen, linkType, p);
  expect(ret).toBe(p.status);
  return p;
}

/** Shifts every absolute offset of an expected snapshot by `by`. */
export function shifted(s: ReturnType<typeof expected>, by: number): ReturnType<typeof expected> {
  const sh = (v: number, unset: number) => (v === unset ? v : v + by);
  return {
    ...s,
    tagTciOff: s.tagTciOff.map((o) => o + by),
    l3Off: sh(s.l3Off, -1),
    ipEnd: sh(s.ipEnd, 0),
    l4Off: sh(s.l4Off, -1),
  };
}

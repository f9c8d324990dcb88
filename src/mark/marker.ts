/**
 * Applies one class's marking to a parsed frame in place: DSCP (ECN kept,
 * IPv4 checksum updated incrementally) and CoS. A field already holding the
 * wanted value is not written.
 */
import type { ParsedFrame } from '../parse/parsed-frame.js';
import { COS_UNTAGGED, setCos } from './cos.js';
import { KEEP_ECN_MASK, ipv4ChangeDsfield, ipv6ChangeDsfield } from './dsfield.js';

/** Result bits of markFrame(). */
export const MARKED_DSCP = 1;
export const MARKED_COS = 2;
/** The class has a CoS but the frame has no VLAN tag to carry it. */
export const MARK_NO_TAG = 4;

/** `dscp`/`cos` below 0 mean keep. The frame must have parsed to an IP header. */
export function markFrame(buf: Uint8Array, p: ParsedFrame, dscp: number, cos: number, cosTagMode: number): number {
  let result = 0;
  if (dscp >= 0) {
    const value = dscp << 2;
    const changed =
      p.ipVersion === 4
        ? ipv4ChangeDsfield(buf, p.l3Off, KEEP_ECN_MASK, value)
        : ipv6ChangeDsfield(buf, p.l3Off, KEEP_ECN_MASK, value);
    if (changed) result |= MARKED_DSCP;
  }
  if (cos >= 0) {
    const tags = setCos(buf, p, cos, cosTagMode);
    if (tags === COS_UNTAGGED) result |= MARK_NO_TAG;
    else if (tags > 0) result |= MARKED_COS;
  }
  return result;
}

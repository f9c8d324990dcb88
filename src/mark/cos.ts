/**
 * 802.1p CoS: the PCP bits of a VLAN tag (IEEE 802.1Q section 6.9.3). Which
 * tag of a stack carries the CoS that matters depends on the network: the
 * outer tag (default) is what the next switch reads.
 */
import type { ParsedFrame } from '../parse/parsed-frame.js';
import { setVlanPcp, vlanPcp } from '../parse/vlan.js';

export const COS_TAG_OUTER = 0;
export const COS_TAG_INNER = 1;
export const COS_TAG_ALL = 2;

export const COS_TAG_MODES: Record<string, number> = {
  outer: COS_TAG_OUTER,
  inner: COS_TAG_INNER,
  all: COS_TAG_ALL,
};

/** COS_UNTAGGED: the frame has no tag to carry a CoS. */
export const COS_UNTAGGED = -1;

/** Sets the PCP of the chosen tag(s); returns how many tags changed, or COS_UNTAGGED. */
export function setCos(buf: Uint8Array, p: ParsedFrame, pcp: number, mode: number): number {
  const count = p.tagCount;
  if (count === 0) return COS_UNTAGGED;
  let first = 0;
  let last = count - 1;
  if (mode === COS_TAG_OUTER) last = 0;
  else if (mode === COS_TAG_INNER) first = last;
  let changed = 0;
  for (let i = first; i <= last; i++) {
    const tciOff = p.tagTciOff[i];
    if (vlanPcp(buf, tciOff) !== pcp) {
      setVlanPcp(buf, tciOff, pcp);
      changed++;
    }
  }
  return changed;
}

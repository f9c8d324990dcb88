/**
 * Per-packet audit verdicts: how a packet's marking compares with what the
 * policy expects of it. Numeric in the loop, named in reports.
 */
export const V_OK = 0;
export const V_DSCP_MISMATCH = 1;
export const V_COS_MISMATCH = 2;
export const V_BOTH_MISMATCH = 3;
/** The class has a CoS, but the frame is untagged. Reported, not a mismarking. */
export const V_NO_TAG = 4;
/** The policy expects nothing of the packet (no IP or ports, or default keep). */
export const V_UNCLASSIFIED = 5;
export const V_MALFORMED = 6;
export const V_COUNT = 7;

export const VERDICT_NAMES = [
  'ok',
  'dscp-mismatch',
  'cos-mismatch',
  'both-mismatch',
  'no-tag',
  'unclassified',
  'malformed',
] as const;

export function isMismarked(verdict: number): boolean {
  return verdict === V_DSCP_MISMATCH || verdict === V_COS_MISMATCH || verdict === V_BOTH_MISMATCH;
}

/**
 * The verdict for one packet. Expected values below 0 mean "keep" (nothing
 * expected); found values below 0 mean absent (no IP header, no tag).
 */
export function judge(
  malformed: boolean,
  classified: boolean,
  ruleMatched: boolean,
  expectedDscp: number,
  expectedCos: number,
  foundDscp: number,
  foundCos: number,
): number {
  if (malformed) return V_MALFORMED;
  if (!classified) return V_UNCLASSIFIED;
  if (expectedDscp < 0 && expectedCos < 0) return ruleMatched ? V_OK : V_UNCLASSIFIED;
  const dscpBad = expectedDscp >= 0 && foundDscp !== expectedDscp;
  const tagged = foundCos >= 0;
  const cosBad = expectedCos >= 0 && tagged && foundCos !== expectedCos;
  if (dscpBad && cosBad) return V_BOTH_MISMATCH;
  if (dscpBad) return V_DSCP_MISMATCH;
  if (cosBad) return V_COS_MISMATCH;
  if (expectedCos >= 0 && !tagged) return V_NO_TAG;
  return V_OK;
}

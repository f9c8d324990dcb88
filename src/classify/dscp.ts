/**
 * DSCP code points by per-hop-behaviour name: class selectors (RFC 2474
 * section 4.2.2), assured forwarding (RFC 2597), expedited forwarding
 * (RFC 3246), voice-admit (RFC 5865) and default (RFC 2474).
 */
export const DSCP_EF = 46;
export const DSCP_VA = 44;
export const DSCP_CS3 = 24;
export const DSCP_CS4 = 32;
export const DSCP_MAX = 63;

const BY_NAME: Record<string, number> = { EF: DSCP_EF, VA: DSCP_VA, DF: 0, BE: 0 };
for (let cs = 0; cs <= 7; cs++) BY_NAME[`CS${cs}`] = cs << 3;
for (let af = 1; af <= 4; af++) {
  for (let drop = 1; drop <= 3; drop++) BY_NAME[`AF${af}${drop}`] = (af << 3) | (drop << 1);
}

/** The code point for a PHB name (case-insensitive), or undefined. */
export function dscpFromName(name: string): number | undefined {
  return BY_NAME[name.toUpperCase()];
}

/** The usual PHB name of a code point (EF, CS3, AF41...), or undefined for unnamed values. */
export function dscpName(dscp: number): string | undefined {
  if (dscp === 0) return 'CS0';
  if (dscp === DSCP_EF) return 'EF';
  if (dscp === DSCP_VA) return 'VA';
  if ((dscp & 7) === 0) return `CS${dscp >> 3}`;
  const af = dscp >> 3;
  const drop = (dscp >> 1) & 3;
  if ((dscp & 1) === 0 && af >= 1 && af <= 4 && drop >= 1) return `AF${af}${drop}`;
  return undefined;
}

/** "EF 46", "CS0 0", "13": how reports show a DSCP. */
export function dscpLabel(dscp: number): string {
  const name = dscpName(dscp);
  return name === undefined ? String(dscp) : `${name} ${dscp}`;
}

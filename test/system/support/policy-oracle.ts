/**
 * The built-in CUPC/Jabber policy, restated from the specification (not
 * imported from src/): what class a TCP/UDP packet gets from its ports.
 * Rules are tried in this order and the first that matches either port wins,
 * so the single-port rules beat the RTP range.
 */
import { IPPROTO_TCP, IPPROTO_UDP } from './pcap-file.js';

export interface OracleClass {
  name: 'voice' | 'signalling' | 'data' | 'default';
  /** DSCP to set, or null: keep. */
  dscp: number | null;
  /** 802.1p PCP to set, or null: keep. */
  cos: number | null;
}

export const VOICE: OracleClass = { name: 'voice', dscp: 46, cos: 5 };
export const SIGNALLING: OracleClass = { name: 'signalling', dscp: 24, cos: 3 };
export const DATA: OracleClass = { name: 'data', dscp: null, cos: null };
export const DEFAULT: OracleClass = { name: 'default', dscp: null, cos: null };

type Proto = 'udp' | 'tcp';

const RULES: { protos: Proto[]; lo: number; hi: number; cls: OracleClass }[] = [
  { protos: ['udp', 'tcp'], lo: 5060, hi: 5060, cls: SIGNALLING },
  { protos: ['udp', 'tcp'], lo: 5061, hi: 5061, cls: SIGNALLING },
  { protos: ['tcp'], lo: 2748, hi: 2748, cls: SIGNALLING },
  { protos: ['udp'], lo: 69, hi: 69, cls: DATA },
  ...[80, 143, 389, 443, 993, 5222, 7993, 8080, 8191].map((p) => ({ protos: ['tcp'] as Proto[], lo: p, hi: p, cls: DATA })),
  { protos: ['udp'], lo: 16384, hi: 32766, cls: VOICE },
];

/** Class of an IP packet: by ports for TCP/UDP with ports, else the default class. */
export function expectedClass(proto: number | null, sport: number | null, dport: number | null): OracleClass {
  if (sport === null || dport === null) return DEFAULT;
  const p: Proto | null = proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_TCP ? 'tcp' : null;
  if (p === null) return DEFAULT;
  for (const rule of RULES) {
    if (!rule.protos.includes(p)) continue;
    if ((sport >= rule.lo && sport <= rule.hi) || (dport >= rule.lo && dport <= rule.hi)) return rule.cls;
  }
  return DEFAULT;
}

/**
 * The policy as data: classes with markings, ordered port rules, a default
 * marking. This is what the policy file describes (shared/policy-format.md)
 * and what compile.ts turns into lookup tables.
 */
import { DSCP_CS3, DSCP_CS4, DSCP_EF } from './dscp.js';

/** A DSCP or CoS value of KEEP leaves that field as found. */
export const KEEP = -1;

export interface Marking {
  /** 0..63, or KEEP. */
  dscp: number;
  /** 0..7, or KEEP. */
  cos: number;
}

export type Protocol = 'udp' | 'tcp';
export type Side = 'src' | 'dst' | 'either';

/** An inclusive port range; a single port has lo === hi. */
export interface PortRange {
  lo: number;
  hi: number;
}

export interface Rule {
  name: string;
  protocols: Protocol[];
  ports: PortRange[];
  side: Side;
  className: string;
  inspect?: 'sip';
}

export interface Policy {
  /** Class name → marking, in file order. */
  classes: Map<string, Marking>;
  rules: Rule[];
  defaultMarking: Marking;
  /** SDP media type → class name. */
  media: Map<string, string>;
}

export const MEDIA_TYPES = ['audio', 'video', 'image', 'application', 'text'] as const;

const single = (port: number): PortRange => ({ lo: port, hi: port });

function dataRule(name: string, protocol: Protocol, port: number): Rule {
  return { name, protocols: [protocol], ports: [single(port)], side: 'either', className: 'data' };
}

/**
 * Cisco's recommended markings for CUPC/Jabber traffic, by the client's port
 * table. The single-port rules come before the RTP range so that a packet
 * between a well-known port and a port inside 16384-32766 is classified by
 * the well-known port.
 */
export function builtinPolicy(): Policy {
  return {
    classes: new Map<string, Marking>([
      ['voice', { dscp: DSCP_EF, cos: 5 }],
      ['video', { dscp: DSCP_CS4, cos: 4 }],
      ['signalling', { dscp: DSCP_CS3, cos: 3 }],
      ['data', { dscp: KEEP, cos: KEEP }],
    ]),
    rules: [
      {
        name: 'sip',
        protocols: ['udp', 'tcp'],
        ports: [single(5060), single(5061)],
        side: 'either',
        className: 'signalling',
        inspect: 'sip',
      },
      { name: 'ctiqbe', protocols: ['tcp'], ports: [single(2748)], side: 'either', className: 'signalling' },
      dataRule('tftp', 'udp', 69),
      dataRule('http', 'tcp', 80),
      dataRule('imap', 'tcp', 143),
      dataRule('ldap', 'tcp', 389),
      dataRule('https', 'tcp', 443),
      dataRule('imaps', 'tcp', 993),
      dataRule('xmpp', 'tcp', 5222),
      dataRule('imap-tls', 'tcp', 7993),
      dataRule('ccmcip', 'tcp', 8080),
      dataRule('soap', 'tcp', 8191),
      { name: 'rtp', protocols: ['udp'], ports: [{ lo: 16384, hi: 32766 }], side: 'either', className: 'voice' },
    ],
    defaultMarking: { dscp: KEEP, cos: KEEP },
    media: new Map([
      ['audio', 'voice'],
      ['video', 'video'],
    ]),
  };
}

/**
 * Compiles a Policy into flat lookup tables, once, so that classifying a
 * packet costs two table reads and a comparison however many rules there are.
 *
 * For each protocol (tcp, udp) and side (src, dst) a 65,536-entry table holds
 * the index of the earliest rule that matches that port on that side. A rule
 * with side `either` is entered in both. The packet's rule is the smaller of
 * its source-port and destination-port entries: the earliest rule in the file
 * that matches either way, which is first-match-wins.
 */
import { IPPROTO_TCP } from '../parse/ip-protocol.js';
import { KEEP, type Marking, type Policy, type Protocol } from './policy.js';

/** "No rule matches" in the port tables; larger than any rule index. */
export const NO_RULE = 0xffff;

const PORTS = 65536;
const SIDE_SRC = 0;
const SIDE_DST = 1;

function tableBase(protocol: Protocol, side: number): number {
  return ((protocol === 'tcp' ? 0 : 2) + side) * PORTS;
}

export class CompiledPolicy {
  /** [tcp src | tcp dst | udp src | udp dst] × port → rule index or NO_RULE. */
  readonly portRule = new Uint16Array(4 * PORTS).fill(NO_RULE);
  /** Rule index → class index. */
  readonly ruleClass: Uint8Array;
  /** Class index → DSCP to set, or KEEP; the last index is the default class. */
  readonly classDscp: Int8Array;
  readonly classCos: Int8Array;
  readonly classNames: string[];
  readonly ruleNames: string[];
  /** Index of the pseudo-class used for IP packets that no rule matches. */
  readonly defaultClass: number;
  /** Rule index → 1 when its packets are read as SIP (`inspect: sip`). */
  readonly ruleInspectSip: Uint8Array;
  /** SDP media type → class index, for the media types the policy maps. */
  readonly mediaClass: Map<string, number>;

  constructor(readonly policy: Policy) {
    this.classNames = [...policy.classes.keys(), 'default'];
    this.defaultClass = this.classNames.length - 1;
    const markings: Marking[] = [...policy.classes.values(), policy.defaultMarking];
    this.classDscp = Int8Array.from(markings, (m) => m.dscp);
    this.classCos = Int8Array.from(markings, (m) => m.cos);
    this.ruleNames = policy.rules.map((r) => r.name);
    this.ruleClass = Uint8Array.from(policy.rules, (r) => this.classNames.indexOf(r.className));
    this.ruleInspectSip = Uint8Array.from(policy.rules, (r) => (r.inspect === 'sip' ? 1 : 0));
    this.mediaClass = new Map([...policy.media].map(([type, cls]) => [type, this.classNames.indexOf(cls)]));

    // Filled last rule first, so an earlier rule overwrites a later one on shared ports.
    for (let ruleIndex = policy.rules.length - 1; ruleIndex >= 0; ruleIndex--) {
      const rule = policy.rules[ruleIndex];
      for (const protocol of rule.protocols) {
        for (const side of [SIDE_SRC, SIDE_DST]) {
          if (rule.side === 'src' && side === SIDE_DST) continue;
          if (rule.side === 'dst' && side === SIDE_SRC) continue;
          const base = tableBase(protocol, side);
          for (const range of rule.ports) this.portRule.fill(ruleIndex, base + range.lo, base + range.hi + 1);
        }
      }
    }
  }

  /** Earliest matching rule for a TCP or UDP packet, or NO_RULE. Allocation-free. */
  lookup(proto: number, srcPort: number, dstPort: number): number {
    const base = proto === IPPROTO_TCP ? 0 : 2 * PORTS;
    const bySrc = this.portRule[base + srcPort];
    const byDst = this.portRule[base + PORTS + dstPort];
    return bySrc < byDst ? bySrc : byDst;
  }

  /** True when some rule asks for SIP inspection. */
  get inspectsSip(): boolean {
    return this.ruleInspectSip.includes(1);
  }

  classIndex(name: string): number {
    return this.classNames.indexOf(name);
  }

  /** True when the class changes nothing: both fields keep. */
  isKeepClass(classIndex: number): boolean {
    return this.classDscp[classIndex] === KEEP && this.classCos[classIndex] === KEEP;
  }
}

export function compilePolicy(policy: Policy): CompiledPolicy {
  return new CompiledPolicy(policy);
}

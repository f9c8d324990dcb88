/**
 * The policy as Cisco IOS MQC configuration for a Catalyst access port with
 * a softphone (or a PC running one) behind it.
 *
 * Per rule: an extended IPv4 access list and an IPv6 access list (a side
 * `either` rule gets an entry for each direction), and a match-any
 * class-map matching both. The class-maps appear in the policy-map in rule
 * order, and MQC takes the first class that matches: first match wins, as
 * in qosmark. Each access list first denies non-initial fragments, which
 * carry no ports (IOS would otherwise let an entry with ports match them on
 * its layer-3 fields alone), so they fall through to the default.
 */
import { KEEP, type Marking } from '../classify/policy.js';
import {
  ExportError,
  NameTable,
  inspectNotes,
  markingText,
  ruleSummary,
  safeComment,
  withoutCos,
  type ExportResult,
  type FlatPolicy,
  type FlatRule,
} from './model.js';
import type { PortRange } from '../classify/policy.js';

export interface IosOptions {
  interface?: string;
  noCos?: boolean;
  /** Name of the policy-map (default QOSMARK). */
  policyMap?: string;
}

/** IOS's names for DSCP values where it has them (ef, csN, afXY, default), numbers otherwise. */
export function iosDscp(dscp: number): string {
  if (dscp === 0) return 'default';
  if (dscp === 46) return 'ef';
  if ((dscp & 7) === 0) return `cs${dscp >> 3}`;
  const af = dscp >> 3;
  const drop = (dscp >> 1) & 3;
  if ((dscp & 1) === 0 && af >= 1 && af <= 4 && drop >= 1 && drop <= 3) return `af${af}${drop}`;
  return String(dscp);
}

function portSpec(r: PortRange): string {
  if (r.lo === r.hi) return `eq ${r.lo}`;
  if (r.lo === 0 && r.hi === 65535) return '';
  if (r.lo === 0) return `lt ${r.hi + 1}`;
  if (r.hi === 65535) return `gt ${r.lo - 1}`;
  return `range ${r.lo} ${r.hi}`;
}

/** The access-list entries of one rule (the same text serves the IPv4 and the IPv6 list). */
export function aclEntries(r: FlatRule): string[] {
  const lines: string[] = [];
  for (const proto of r.protocols) {
    for (const range of r.ports) {
      const spec = portSpec(range);
      const src = spec === '' ? 'any' : `any ${spec}`;
      const dst = spec === '' ? 'any' : `any ${spec}`;
      if (r.side !== 'dst') lines.push(`permit ${proto} ${src} any`);
      if (r.side !== 'src') lines.push(`permit ${proto} any ${dst}`);
    }
  }
  return [...new Set(lines)];
}

function setLines(m: Marking, what: string): string[] {
  if (m.dscp === KEEP && m.cos !== KEEP) {
    throw new ExportError(
      'ios',
      `${what} keeps the DSCP but sets CoS ${m.cos}: on an untrusted port IOS must either trust the DSCP or set it, ` +
        'and a policy-map class cannot trust and set at once; give the class a DSCP, or use --no-cos',
    );
  }
  const lines: string[] = [];
  if (m.dscp === KEEP) lines.push('  trust dscp');
  else lines.push(`  set dscp ${iosDscp(m.dscp)}`);
  if (m.cos !== KEEP) lines.push(`  set cos ${m.cos}`);
  return lines;
}

export function exportIos(input: FlatPolicy, opts: IosOptions): ExportResult {
  const p = opts.noCos ? withoutCos(input) : input;
  const warnings = inspectNotes(p, 'ios');
  const policyMap = opts.policyMap ?? 'QOSMARK';
  const names = new NameTable('QOSMARK-', /[^A-Za-z0-9_-]/g, 40, true);
  names.reserve(policyMap);
  names.reserve('QOSMARK-DEFAULT');
  for (const r of p.rules) setLines(r.marking, `rule "${r.name}" (class ${r.className})`);
  setLines(p.defaultMarking, 'the default marking');

  const out: string[] = [];
  out.push(`! qosmark export --format ios${opts.interface ? ` --interface ${opts.interface}` : ''}${opts.noCos ? ' --no-cos' : ''}`);
  out.push(`! policy: ${p.name}`);
  out.push('!');
  out.push('! One match-any class-map per rule, in rule order in the policy-map: IOS takes the first class');
  out.push('! that matches, so the first rule wins, as in qosmark. Each rule has an IPv4 and an IPv6 access');
  out.push('! list; a rule on either port has an entry for each direction.');
  out.push('! Each access list first denies non-initial fragments: they carry no ports, so they take the');
  out.push("! default marking here, where qosmark gives them their first fragment's class.");
  out.push('! A class that keeps the DSCP trusts it ("trust dscp"): the port itself is untrusted.');
  out.push('! set cos marks the 802.1p priority of frames that leave tagged; a class without set cos leaves');
  out.push('! the CoS to the switch\'s DSCP-to-CoS map.');
  out.push('! IPv6 access lists in QoS policies need an SDM template with IPv6 (sdm prefer dual-ipv4-and-ipv6 ...).');
  if (opts.noCos) out.push('! --no-cos: no set cos lines; only the DSCP is exported.');
  for (const w of warnings) out.push(`! Not exported: ${w}.`);
  out.push('!');
  out.push('! Rules (policy order):');
  p.rules.forEach((r, i) => out.push(`!   ${i + 1}. ${safeComment(r.name, 60)}: ${ruleSummary(r)}`));
  out.push(`!   otherwise (IP): ${markingText(p.defaultMarking)}`);
  out.push('!');
  out.push('mls qos');
  out.push('! CoS-to-DSCP map for the trust boundary: CoS 5 is EF (46), not the default 40;');
  out.push('! CoS 0-7 map to 0 8 16 24 32 46 48 56.');
  out.push('mls qos map cos-dscp 0 8 16 24 32 46 48 56');
  out.push('!');

  const classNames: string[] = [];
  for (const r of p.rules) {
    const name = names.get(`rule:${r.index}`, r.name);
    classNames.push(name);
    const entries = aclEntries(r);
    out.push(`! rule "${safeComment(r.name)}": ${ruleSummary(r)}`);
    out.push(`ip access-list extended ${name}`);
    out.push(` remark qosmark rule ${safeComment(r.name, 80)}`);
    out.push(' deny   ip any any fragments');
    for (const e of entries) out.push(` ${e}`);
    out.push(`ipv6 access-list ${name}-V6`);
    out.push(` remark qosmark rule ${safeComment(r.name, 80)}`);
    out.push(' deny ipv6 any any fragments');
    for (const e of entries) out.push(` ${e}`);
    out.push('!');
  }
  const defaultName = 'QOSMARK-DEFAULT';
  out.push('! default: every other IP packet');
  out.push(`ip access-list extended ${defaultName}`);
  out.push(' permit ip any any');
  out.push(`ipv6 access-list ${defaultName}-V6`);
  out.push(' permit ipv6 any any');
  out.push('!');

  p.rules.forEach((r, i) => {
    out.push(`class-map match-any ${classNames[i]}`);
    out.push(` description qosmark rule ${safeComment(r.name, 60)} -> class ${safeComment(r.className, 60)}`);
    out.push(` match access-group name ${classNames[i]}`);
    out.push(` match access-group name ${classNames[i]}-V6`);
    out.push('!');
  });
  out.push(`class-map match-any ${defaultName}`);
  out.push(' description qosmark default marking');
  out.push(` match access-group name ${defaultName}`);
  out.push(` match access-group name ${defaultName}-V6`);
  out.push('!');

  out.push(`policy-map ${policyMap}`);
  p.rules.forEach((r, i) => {
    out.push(` ! rule ${safeComment(r.name, 60)} -> ${safeComment(r.className, 60)}: ${markingText(r.marking)}`);
    out.push(` class ${classNames[i]}`);
    out.push(...setLines(r.marking, `rule "${r.name}"`));
  });
  out.push(` ! default: ${markingText(p.defaultMarking)}`);
  out.push(` class ${defaultName}`);
  out.push(...setLines(p.defaultMarking, 'the default marking'));
  out.push(' ! not IP: left as it is');
  out.push(' class class-default');
  out.push('!');
  if (opts.interface !== undefined) {
    out.push(`interface ${opts.interface}`);
    out.push(' ! trust boundary: the softphone port trusts nothing; the policy decides');
    out.push(' no mls qos trust');
    out.push(` service-policy input ${policyMap}`);
    out.push('!');
  } else {
    out.push('! Apply to the softphone port (--interface names it):');
    out.push('!  interface GigabitEthernet1/0/5');
    out.push('!   no mls qos trust');
    out.push(`!   service-policy input ${policyMap}`);
    out.push('!');
  }
  out.push('end');
  return { text: `${out.join('\n')}\n`, warnings };
}

export function checkIosInterface(name: string): void {
  if (!/^[A-Za-z][A-Za-z-]*\s?\d+(\/\d+)*(\.\d+)?$/.test(name)) {
    throw new ExportError('ios', `--interface "${name}": not an IOS interface name like GigabitEthernet1/0/5`);
  }
}

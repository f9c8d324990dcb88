/**
 * The policy as an nftables ruleset that `nft -f` loads (nft 1.0.6 syntax).
 *
 * One table. A regular chain holds the rules in policy order; each match
 * `goto`s its class's chain, which rewrites and accepts, so the first rule
 * that matches ends evaluation for that packet, as in qosmark. After the
 * rules, every other IP packet goes to the default marking.
 *
 * Facts this layout rests on (shared/FIELD-NOTES.md, measured):
 * - `ip dscp set` and `ip6 dscp set` write the DSCP bits only (ECN kept) and
 *   the kernel updates the IPv4 header checksum.
 * - In the bridge and netdev families the kernel has already taken one
 *   802.1Q/802.1ad tag off the frame, so `meta protocol ip` and the ip/ip6/th
 *   expressions see single-tagged frames too; the IP header behind a second
 *   tag is out of their reach.
 * - `vlan pcp set` writes one byte and the kernel silently refuses it on such
 *   tags; a 2-byte write of the tag control field works.
 */
import { KEEP, type Marking } from '../classify/policy.js';
import {
  ExportError,
  NameTable,
  firstCosSetter,
  inspectNotes,
  markingText,
  rangeText,
  ruleSummary,
  safeComment,
  withoutCos,
  type ExportResult,
  type FlatPolicy,
  type FlatRule,
} from './model.js';

export type NftFamily = 'bridge' | 'netdev' | 'inet';
export const NFT_FAMILIES: readonly NftFamily[] = ['bridge', 'netdev', 'inet'];

export interface NftOptions {
  family: NftFamily;
  /** netdev only: the device whose ingress hook runs the rules. */
  device?: string;
  /** Leave CoS out on purpose (said in the header). */
  noCos?: boolean;
  table?: string;
}

const IDENT = /[^A-Za-z0-9_]/g;

/** nft's names for DSCP values; numbers otherwise. */
export function nftDscp(dscp: number): string {
  if (dscp === 46) return 'ef';
  if ((dscp & 7) === 0) return `cs${dscp >> 3}`;
  const af = dscp >> 3;
  const drop = (dscp >> 1) & 3;
  if ((dscp & 1) === 0 && af >= 1 && af <= 4 && drop >= 1 && drop <= 3) return `af${af}${drop}`;
  return String(dscp);
}

/** `@ll,112,16 set @ll,112,16 & 0x1fff | 0xa000`: PCP into the outer tag's TCI, DEI and VID kept. */
export function pcpWrite(cos: number): string {
  return `@ll,112,16 set @ll,112,16 & 0x1fff | 0x${(cos << 13).toString(16).padStart(4, '0')}`;
}

export function exportNftables(input: FlatPolicy, opts: NftOptions): ExportResult {
  const family = opts.family;
  const table = opts.table ?? 'qosmark';
  if (family === 'netdev' && (opts.device === undefined || opts.device === '')) {
    throw new ExportError('nftables', 'the netdev family needs --device: its ingress hook belongs to one device');
  }
  if (family !== 'netdev' && opts.device !== undefined) {
    throw new ExportError('nftables', `--device is for the netdev family only (the ${family} family hooks every device)`);
  }
  if (family === 'inet' && !opts.noCos) {
    const who = firstCosSetter(input);
    if (who !== null) {
      throw new ExportError(
        'nftables',
        `${who} sets the 802.1p priority, which the inet family cannot write: its hooks see IP packets, not the VLAN tag. ` +
          'Use --family bridge or --family netdev, or --no-cos to export the DSCP alone',
      );
    }
  }
  const p = opts.noCos ? withoutCos(input) : input;
  const warnings = inspectNotes(p, 'nftables');
  const sets = new NameTable('', IDENT, 60);
  const chains = new NameTable('', IDENT, 60);
  for (const reserved of ['qm_hook', 'qm_output', 'qm_classify', 'qm_default']) chains.reserve(reserved);

  const out: string[] = [];
  out.push('#!/usr/sbin/nft -f');
  out.push(`# qosmark export --format nftables --family ${family}${opts.device ? ` --device ${opts.device}` : ''}${opts.noCos ? ' --no-cos' : ''}`);
  out.push(`# policy: ${p.name}`);
  out.push('#');
  out.push('# First match wins, as in qosmark: chain qm_classify tries the rules in policy order, and the');
  out.push("# first that matches jumps (goto) to its class's chain, which rewrites and accepts: no later");
  out.push('# rule sees the packet. IP packets that no rule matches, and IP packets that are neither TCP');
  out.push('# nor UDP, take the default marking at the end.');
  out.push('# ip dscp set / ip6 dscp set change the DSCP bits only: ECN is kept, and the kernel updates the');
  out.push('# IPv4 header checksum.');
  if (family === 'inet') {
    out.push('# Hooks: prerouting (what arrives, including what is forwarded) and output (what this host sends).');
  } else {
    if (family === 'bridge') out.push('# Hook: bridge prerouting, on every frame a Linux bridge receives.');
    else out.push(`# Hook: ingress of ${opts.device}.`);
    out.push('# CoS is the PCP of the outermost VLAN tag, written as the 2-byte tag control field (DEI and VID');
    out.push('# kept): a 1-byte "vlan pcp set" is silently refused by the kernel on such tags.');
    out.push('# The kernel has taken one VLAN tag off before these rules run, so untagged and single-tagged');
    out.push('# (802.1Q or 802.1ad) frames are classified alike. Frames with two or more tags, or a 0x9100');
    out.push('# tag, are left as they are: the IP header behind them is out of reach of the ip, ip6 and th');
    out.push('# expressions.');
  }
  if (opts.noCos) out.push('# --no-cos: the 802.1p priority is left alone for every class; only the DSCP is exported.');
  out.push('# Not like qosmark: a non-first fragment carries no ports, so the kernel cannot tell its');
  out.push("# rule; it takes the default marking here (first in qm_classify, or the kernel would read its");
  out.push("# payload as ports), where qosmark gives it its first fragment's class. IPv6 ports behind an");
  out.push('# AH, mobility, HIP or shim6 header are out of the kernel\'s reach too: those packets take the');
  out.push('# default marking.');
  for (const w of warnings) out.push(...wrapComment(`Not exported: ${w}.`));
  out.push('#');
  out.push('# Rules (policy order):');
  p.rules.forEach((r, i) => out.push(`#   ${i + 1}. ${safeComment(r.name, 60)}: ${ruleSummary(r)}`));
  out.push(`#   otherwise (IP): ${markingText(p.defaultMarking)}`);
  out.push('');
  // Declaring then deleting the table makes the file load again over an earlier copy.
  out.push(`table ${family} ${table}`);
  out.push(`delete table ${family} ${table}`);
  out.push('');
  out.push(`table ${family} ${table} {`);

  for (const r of p.rules) {
    const name = sets.get(`rule:${r.index}`, `ports_${r.name}`);
    out.push(`\t# rule "${safeComment(r.name)}": ${ruleSummary(r)}`);
    out.push(`\tset ${name} {`);
    out.push('\t\ttype inet_service');
    out.push('\t\tflags interval');
    out.push(`\t\telements = { ${r.merged.map((x) => rangeText(x)).join(', ')} }`);
    out.push('\t}');
    out.push('');
  }

  if (family === 'inet') {
    out.push('\tchain qm_hook {');
    out.push('\t\ttype filter hook prerouting priority mangle; policy accept;');
    out.push('\t\tjump qm_classify');
    out.push('\t}');
    out.push('');
    out.push('\tchain qm_output {');
    out.push('\t\ttype route hook output priority mangle; policy accept;');
    out.push('\t\tjump qm_classify');
    out.push('\t}');
  } else {
    out.push('\tchain qm_hook {');
    if (family === 'bridge') out.push('\t\ttype filter hook prerouting priority filter; policy accept;');
    else out.push(`\t\ttype filter hook ingress device "${opts.device}" priority -500; policy accept;`);
    out.push('\t\tjump qm_classify');
    out.push('\t}');
  }
  out.push('');

  const classChain = (className: string) => chains.get(`class:${className}`, `class_${className}`);
  out.push('\tchain qm_classify {');
  // Without these the kernel reads a non-first fragment's payload as if it held ports.
  const v6 = family === 'inet' ? 'meta nfproto ipv6' : 'meta protocol ip6';
  out.push('\t\tip frag-off & 0x1fff != 0 goto qm_default comment "non-first fragment: no ports"');
  out.push(`\t\t${v6} frag frag-off != 0 goto qm_default comment "non-first fragment: no ports"`);
  for (const r of p.rules) {
    const set = sets.get(`rule:${r.index}`, '');
    const proto = r.protocols.length === 1 ? r.protocols[0] : `{ ${r.protocols.join(', ')} }`;
    const target = classChain(r.className);
    const comment = `comment "${safeComment(r.name)}"`;
    if (r.side !== 'dst') out.push(`\t\tmeta l4proto ${proto} th sport @${set} goto ${target} ${comment}`);
    if (r.side !== 'src') out.push(`\t\tmeta l4proto ${proto} th dport @${set} goto ${target} ${comment}`);
  }
  const ipGuard = family === 'inet' ? 'meta nfproto { ipv4, ipv6 }' : 'meta protocol { ip, ip6 }';
  out.push(`\t\t${ipGuard} goto qm_default comment "default"`);
  out.push('\t}');

  for (const c of p.classes) {
    out.push('');
    out.push(...classChainLines(classChain(c.name), `class ${c.name}`, c.marking, family));
  }
  out.push('');
  out.push(...classChainLines('qm_default', 'default marking', p.defaultMarking, family));
  out.push('}');
  return { text: `${out.join('\n')}\n`, warnings };
}

function classChainLines(chain: string, what: string, m: Marking, family: NftFamily): string[] {
  const lines = [`\t# ${safeComment(what)}: ${markingText(m)}${m.dscp === KEEP && m.cos === KEEP ? ' (no rewrite; matching ends here all the same)' : ''}`];
  lines.push(`\tchain ${chain} {`);
  if (m.dscp !== KEEP) {
    lines.push(`\t\tip dscp set ${nftDscp(m.dscp)}`);
    lines.push(`\t\tip6 dscp set ${nftDscp(m.dscp)}`);
  }
  if (m.cos !== KEEP && family !== 'inet') lines.push(`\t\tether type { 8021q, 8021ad } ${pcpWrite(m.cos)}`);
  lines.push('\t\taccept');
  lines.push('\t}');
  return lines;
}

function wrapComment(text: string, width = 100): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let line = '#';
  for (const w of words) {
    if (line.length + 1 + w.length > width && line !== '#') {
      lines.push(line);
      line = '#  ';
    }
    line += ` ${w}`;
  }
  lines.push(line);
  return lines;
}

export type { FlatRule };

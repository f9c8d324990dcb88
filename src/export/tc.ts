/**
 * The policy as a shell script of `tc` commands: flower filters on the
 * device's clsact ingress hook, one filter per rule, protocol, side, port
 * range and frame kind, each with its own preference so that the kernel
 * tries them in policy order and the first match ends classification.
 *
 * DSCP: `pedit ex munge ip dsfield set V retain 0xfc` changes the DSCP bits
 * only (ECN kept) and `csum ip4h` recomputes the IPv4 header checksum; for
 * IPv6, `pedit ex munge ip6 traffic_class set V retain 0xfc` (no checksum).
 *
 * CoS cannot be exported: the only tc action that writes the PCP of an
 * existing tag, `vlan modify`, must also be given the VLAN ID, which it
 * writes too. A policy that sets a CoS is refused unless --no-cos says to
 * leave the CoS alone.
 */
import { KEEP, type Marking, type Protocol } from '../classify/policy.js';
import {
  ExportError,
  firstCosSetter,
  inspectNotes,
  markingText,
  rangeText,
  ruleSummary,
  safeComment,
  withoutCos,
  type ExportResult,
  type FlatPolicy,
} from './model.js';

export interface TcOptions {
  device: string;
  noCos?: boolean;
}

/** The kinds of frame a flower filter has to name one by one: untagged, or one 802.1Q/802.1ad tag; IPv4 or IPv6. */
interface FrameKind {
  label: string;
  /** `protocol ...` and the flower keys before the IP keys. */
  match: string;
  v6: boolean;
}

const KINDS: FrameKind[] = [
  { label: 'IPv4', match: 'protocol ip flower', v6: false },
  { label: 'IPv6', match: 'protocol ipv6 flower', v6: true },
  { label: '802.1Q IPv4', match: 'protocol 802.1q flower vlan_ethtype ip', v6: false },
  { label: '802.1Q IPv6', match: 'protocol 802.1q flower vlan_ethtype ipv6', v6: true },
  { label: '802.1ad IPv4', match: 'protocol 802.1ad flower vlan_ethtype ip', v6: false },
  { label: '802.1ad IPv6', match: 'protocol 802.1ad flower vlan_ethtype ipv6', v6: true },
];

export function tcActions(m: Marking, v6: boolean): string {
  if (m.dscp === KEEP) return 'action gact pass';
  const ds = `0x${(m.dscp << 2).toString(16).padStart(2, '0')}`;
  if (v6) return `action pedit ex munge ip6 traffic_class set ${ds} retain 0xfc pass`;
  return `action pedit ex munge ip dsfield set ${ds} retain 0xfc pipe action csum ip4h pass`;
}

export function exportTc(input: FlatPolicy, opts: TcOptions): ExportResult {
  if (!opts.noCos) {
    const who = firstCosSetter(input);
    if (who !== null) {
      throw new ExportError(
        'tc',
        `${who} sets the 802.1p priority, which tc cannot set alone: its vlan modify action also rewrites the VLAN ID. ` +
          'Use --format nftables --family bridge|netdev for the CoS, or --no-cos to export the DSCP alone',
      );
    }
  }
  const p = opts.noCos ? withoutCos(input) : input;
  const warnings = inspectNotes(p, 'tc');
  const dev = opts.device;
  const out: string[] = [];
  out.push('#!/bin/sh');
  out.push(`# qosmark export --format tc --device ${dev}${opts.noCos ? ' --no-cos' : ''}`);
  out.push(`# policy: ${p.name}`);
  out.push('#');
  out.push(`# Flower filters on the clsact ingress hook of ${dev}. Each has its own preference, in policy`);
  out.push('# order, and ends with a pass verdict, so the first filter that matches ends classification:');
  out.push('# first match wins, as in qosmark. IP packets that no rule matches take the default marking');
  out.push('# (the last filters).');
  out.push('# DSCP: pedit changes the DSCP bits only (retain 0xfc keeps ECN); csum ip4h recomputes the');
  out.push('# IPv4 header checksum.');
  if (opts.noCos) out.push('# --no-cos: the 802.1p priority is left alone for every class; only the DSCP is exported.');
  out.push('# Frames classified: untagged, or with one 802.1Q or 802.1ad tag (the kernel has taken it off');
  out.push('# before ingress). Frames with two or more tags, or a 0x9100 tag, are left as they are.');
  out.push('# Not like qosmark: a non-first fragment carries no ports, so it takes the default marking here');
  out.push("# (the first filters), where qosmark gives it its first fragment's class.");
  for (const w of warnings) out.push(`# Not exported: ${w}.`);
  out.push(`# Replaces every ingress filter on ${dev}.`);
  out.push('#');
  out.push('# Rules (policy order):');
  p.rules.forEach((r, i) => out.push(`#   ${i + 1}. ${safeComment(r.name, 60)}: ${ruleSummary(r)}`));
  out.push(`#   otherwise (IP): ${markingText(p.defaultMarking)}`);
  out.push('set -e');
  out.push(`tc qdisc replace dev ${dev} clsact`);
  out.push(`tc filter del dev ${dev} ingress 2>/dev/null || true`);

  let pref = 0;
  const add = (match: string, keys: string, actions: string) => {
    pref += 1;
    if (pref > 65535) throw new ExportError('tc', 'the policy needs more than 65535 filters, more than tc has preferences for');
    out.push(`tc filter add dev ${dev} ingress pref ${pref} ${match}${keys ? ` ${keys}` : ''} ${actions}`);
  };

  out.push('');
  out.push(`# non-first fragments: no ports -> default marking (${markingText(p.defaultMarking)})`);
  for (const k of KINDS) add(k.match, 'ip_flags frag/nofirstfrag', tcActions(p.defaultMarking, k.v6));

  for (const r of p.rules) {
    out.push('');
    out.push(`# rule "${safeComment(r.name)}": ${ruleSummary(r)}`);
    for (const k of KINDS) {
      const actions = tcActions(r.marking, k.v6);
      for (const proto of r.protocols as Protocol[]) {
        for (const range of r.ports) {
          const ports = rangeText(range);
          if (r.side !== 'dst') add(k.match, `ip_proto ${proto} src_port ${ports}`, actions);
          if (r.side !== 'src') add(k.match, `ip_proto ${proto} dst_port ${ports}`, actions);
        }
      }
    }
  }

  out.push('');
  out.push(`# default: every other IP packet -> ${markingText(p.defaultMarking)}`);
  for (const k of KINDS) add(k.match, '', tcActions(p.defaultMarking, k.v6));
  return { text: `${out.join('\n')}\n`, warnings };
}

/**
 * tshark as the oracle: one row of fields per frame. stderr (e.g. the
 * "Running as user root" warning) is ignored; -E occurrence=f keeps the first
 * occurrence of a field (outer VLAN tag, outer IP header).
 */
import { run } from './proc.js';

export type TsharkRow = Record<string, string>;

/** `tshark -r FILE -T fields` with the given fields; rows keyed by field name, empty string for absent fields. */
export function tsharkFields(file: string, fields: string[], extraArgs: string[] = []): TsharkRow[] {
  const args = [
    '-r', file,
    '-n',
    '-o', 'ip.check_checksum:TRUE',
    ...extraArgs,
    '-T', 'fields',
    ...fields.flatMap((f) => ['-e', f]),
    '-E', 'separator=,',
    '-E', 'occurrence=f',
  ];
  const r = run('tshark', args, { timeoutMs: 120_000 });
  return r.stdout
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const values = line.split(',');
      if (values.length !== fields.length) throw new Error(`tshark: ${values.length} fields in "${line}", expected ${fields.length}`);
      return Object.fromEntries(fields.map((f, i) => [f, values[i]]));
    });
}

/** A field as a number, or null when tshark left it empty. */
export function num(row: TsharkRow, field: string): number | null {
  const v = row[field];
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`tshark field ${field}: not a number: "${v}"`);
  return n;
}

/** tshark's checksum status values (proto_checksum_enum_e). */
export const CHECKSUM_BAD = 0;
export const CHECKSUM_GOOD = 1;

export const MARK_FIELDS = [
  'frame.number',
  'vlan.priority',
  'ieee8021ad.priority',
  'ip.dsfield.dscp',
  'ip.dsfield.ecn',
  'ipv6.tclass.dscp',
  'ipv6.tclass.ecn',
  'ip.checksum.status',
  'udp.srcport',
  'udp.dstport',
  'tcp.srcport',
  'tcp.dstport',
];

/**
 * PCP of the outermost tag as tshark reads it. tshark dissects a 0x88a8 tag
 * as IEEE 802.1ad (ieee8021ad.priority) and 0x8100/0x9100 tags as vlan.
 */
export function outerPcp(row: TsharkRow, outerTpid: number | null): number | null {
  if (outerTpid === null) return num(row, 'vlan.priority') ?? num(row, 'ieee8021ad.priority');
  return num(row, outerTpid === 0x88a8 ? 'ieee8021ad.priority' : 'vlan.priority');
}

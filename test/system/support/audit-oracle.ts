/**
 * tshark as the oracle for `qosmark audit --packets`: what tshark dissects in
 * every frame (outer tag stack, IP version, DSCP/ECN, transport protocol,
 * ports, fragment state), compared field by field with the audit's JSON Lines.
 *
 * How tshark is run, and why:
 * - `-o ip.defragment:FALSE -o ipv6.defragment:FALSE`: with reassembly on,
 *   tshark dissects the transport header of a fragmented datagram in the frame
 *   that completes it (the last fragment) and shows only "fragment" in the
 *   first; qosmark reads the ports in the first fragment itself.
 * - `-o tcp.desegment_tcp_streams:FALSE`: no segment waits for another one.
 * - heuristic RTP/RTCP off (they only add payload layers; see FIELD-NOTES).
 * - `-E occurrence=a`: every occurrence of a field, in tree order. The frame's
 *   structure is read from `frame.protocols`, and only the OUTER layers are
 *   compared: the link-layer prefix (tags up to the first IP header), the first
 *   IP header, its extension-header chain, and the transport header right
 *   after that chain. Payload dissectors (SIP, RTP, DNS, port-based decode-as
 *   such as VXLAN or Teredo, an ICMP error's quoted packet) add their layers
 *   after these in the tree, so they can neither hide nor replace an outer
 *   field; their fields are never read.
 *
 * Differences by design, each handled explicitly in compareAudit() and
 * counted under its name in `excluded`:
 * - tshark ends the IPv6 chain at a Mobility (135) or HIP (139) header and
 *   dissects no transport behind it; qosmark walks them as extension headers
 *   (RFC 7045 lists both). The transport protocol is then checked against the
 *   header's payload-protocol field that tshark shows (mip6.proto, hip.proto),
 *   ports are not comparable.
 * - qosmark stops at the first truncated or malformed header (its `status`)
 *   and reports nothing past it, where tshark still shows the fields it could
 *   read; such a field must then be null in the audit, and the status must be
 *   one that explains it (see STOPS_BEFORE below).
 * - an IPv4 header with a bad IHL or total length (status bad-ihl,
 *   bad-ip-length): tshark stops after the version and header length when
 *   IHL < 5, and before flags and fragment offset when the total length is
 *   below IHL*4; the audit still reports the DS field and a fragment state.
 *   Where tshark shows nothing, those audit values are checked against the
 *   raw header bytes instead (classic Ethernet pcap), see rawIpv4Facts().
 * - the payload protocol of a Mobility or HIP header is itself an extension
 *   header (e.g. Mobility -> HIP -> Shim6 -> UDP): tshark shows only the first
 *   payload-protocol number, so the transport protocol is not comparable.
 * - a VLAN tag whose TCI was captured but not the 2-byte type after it:
 *   tshark shows its priority, qosmark does not count an incomplete tag
 *   (status truncated-vlan-tag); the tag list is compared up to that tag.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dissectEthernet, type PcapRecord } from './pcap-file.js';
import { run } from './proc.js';

/** One line of `audit --packets` (README: audit section). */
export interface AuditPacket {
  frame: number;
  time: number;
  linktype: number;
  tags: { tpid: number; vid: number; pcp: number; dei: number }[];
  pcp: number | null;
  ipVersion: 4 | 6 | null;
  dscp: number | null;
  ecn: number | null;
  proto: number | null;
  sport: number | null;
  dport: number | null;
  fragment: 'none' | 'first' | 'nonfirst' | null;
  rule: string | null;
  class: string | null;
  expectedDscp: number | null;
  expectedCos: number | null;
  verdict: string;
  status: string;
  reason?: string;
}

export const MISMATCH_VERDICTS = new Set(['dscp-mismatch', 'cos-mismatch', 'both-mismatch']);

export function readAuditPackets(file: string): AuditPacket[] {
  const text = readFileSync(file, 'utf8');
  const out: AuditPacket[] = [];
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    if (line === '') continue;
    try {
      out.push(JSON.parse(line) as AuditPacket);
    } catch (err) {
      throw new Error(`${file}:${lineNo}: not JSON: ${(err as Error).message}: ${line.slice(0, 200)}`);
    }
  }
  return out;
}

let fragFieldNames: { offset: string; more: string } | undefined;

/**
 * The IPv6 fragment header's offset and M-flag fields: `ipv6.fraghdr.offset`
 * and `ipv6.fraghdr.more` in tshark 3.x/4.0, `ipv6.fragment.offset` and
 * `ipv6.fragment.more` in some other versions.
 */
export function ipv6FragmentFields(): { offset: string; more: string } {
  if (fragFieldNames !== undefined) return fragFieldNames;
  const names = new Set(
    run('tshark', ['-G', 'fields'], { timeoutMs: 60_000 })
      .stdout.split('\n')
      .map((l) => l.split('\t')[2]),
  );
  for (const prefix of ['ipv6.fraghdr', 'ipv6.fragment']) {
    if (names.has(`${prefix}.offset`) && names.has(`${prefix}.more`)) return (fragFieldNames = { offset: `${prefix}.offset`, more: `${prefix}.more` });
  }
  throw new Error('tshark has neither ipv6.fraghdr.offset/more nor ipv6.fragment.offset/more');
}

export const TSHARK_AUDIT_OPTS = [
  '-n',
  '-o', 'ip.defragment:FALSE',
  '-o', 'ipv6.defragment:FALSE',
  '-o', 'tcp.desegment_tcp_streams:FALSE',
  '-o', 'tcp.analyze_sequence_numbers:FALSE',
  '-o', 'rtp.heuristic_rtp:FALSE',
  '-o', 'rtcp.heuristic_rtcp:FALSE',
];

/** Extension headers tshark dissects as part of an IPv6 (or, for AH, IPv4) header chain, with their next-header field. */
const EXT_NXT: Record<string, string> = {
  'ipv6.hopopts': 'ipv6.hopopts.nxt',
  'ipv6.routing': 'ipv6.routing.nxt',
  'ipv6.dstopts': 'ipv6.dstopts.nxt',
  'ipv6.fraghdr': 'ipv6.fraghdr.nxt',
  ah: 'ah.next_header',
  shim6: 'shim6.nxt',
};
/** Headers where tshark ends the chain although RFC 7045 lists them as extension headers; their payload-protocol field. */
const CHAIN_END_PAYLOAD: Record<string, string> = { mipv6: 'mip6.proto', hip: 'hip.proto' };
/** IPv6 extension header numbers (RFC 7045 / IANA): hop-by-hop, routing, fragment, AH, destination options, Mobility, HIP, Shim6. */
const EXTENSION_NUMBERS = new Set([0, 43, 44, 51, 60, 135, 139, 140]);
const LINK_LAYERS = new Set(['eth', 'ethertype', 'sll', 'null', 'loop', 'raw']);
const TAG_LAYERS: Record<string, number[]> = { vlan: [0x8100, 0x9100], ieee8021ad: [0x88a8] };
const TRANSPORT_NUMBERS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58, esp: 50, igmp: 2, gre: 47, sctp: 132 };

function baseFields(): string[] {
  const frag = ipv6FragmentFields();
  return [
    'frame.number',
    'frame.interface_id',
    'frame.protocols',
    'vlan.priority', 'vlan.id', 'vlan.dei',
    'ieee8021ad.priority', 'ieee8021ad.id', 'ieee8021ad.dei',
    'ip.dsfield.dscp', 'ip.dsfield.ecn', 'ip.proto', 'ip.flags.mf', 'ip.frag_offset',
    'ipv6.tclass.dscp', 'ipv6.tclass.ecn', 'ipv6.nxt',
    ...Object.values(EXT_NXT),
    ...Object.values(CHAIN_END_PAYLOAD),
    frag.offset, frag.more,
    'tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport',
  ];
}

/** tshark's view of one frame's outer layers. */
export interface TsharkFrame {
  frame: number;
  protocols: string;
  tags: { kind: 'vlan' | 'ieee8021ad'; pcp: number | null; vid: number | null; dei: number | null }[];
  ipVersion: 4 | 6 | null;
  dscp: number | null;
  ecn: number | null;
  /** Transport protocol number after the outer header chain. */
  proto: number | null;
  /** The layer after the chain (udp, tcp, icmp, data, mipv6...), or null. */
  transportLayer: string | null;
  sport: number | null;
  dport: number | null;
  fragment: 'none' | 'first' | 'nonfirst' | null;
}

function bool(v: string | undefined): boolean | null {
  if (v === undefined || v === '') return null;
  if (v === '1' || v === 'True' || v === 'true') return true;
  if (v === '0' || v === 'False' || v === 'false') return false;
  throw new Error(`tshark: not a boolean: "${v}"`);
}

function numOrNull(v: string | undefined, what: string): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`tshark field ${what}: not a number: "${v}"`);
  return n;
}

/**
 * Runs tshark over the file and returns its view of every packet. For pcapng,
 * rows without an interface id are dropped: tshark 4.x shows some non-packet
 * blocks (e.g. custom blocks) as frames, qosmark counts packets only.
 */
export function tsharkAuditView(file: string, timeoutMs = 240_000): TsharkFrame[] {
  return parseView(file, run('tshark', tsharkArgs(file), { timeoutMs }).stdout);
}

/** The same, with tshark running in the background (so that other work, e.g. the audit, can run meanwhile). */
export async function tsharkAuditViewAsync(file: string, timeoutMs = 240_000): Promise<TsharkFrame[]> {
  const args = tsharkArgs(file);
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn('tshark', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`tshark -r ${file}: exit ${code ?? signal}${signal === 'SIGKILL' ? ` (timeout ${timeoutMs} ms?)` : ''}; stderr: ${err.trim()}`));
    });
  });
  return parseView(file, stdout);
}

function tsharkArgs(file: string): string[] {
  const fields = baseFields();
  return ['-r', file, ...TSHARK_AUDIT_OPTS, '-T', 'fields', ...fields.flatMap((f) => ['-e', f]), '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=|'];
}

function parseView(file: string, stdout: string): TsharkFrame[] {
  const fields = baseFields();
  const isPcapng = readFileSync(file).subarray(0, 4).equals(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
  const frag = ipv6FragmentFields();
  const out: TsharkFrame[] = [];
  for (const line of stdout.split('\n')) {
    if (line === '') continue;
    const values = line.split('\t');
    if (values.length !== fields.length) throw new Error(`tshark: ${values.length} fields in "${line}", expected ${fields.length}`);
    const all: Record<string, string[]> = {};
    fields.forEach((f, i) => (all[f] = values[i] === '' ? [] : values[i].split('|')));
    if (isPcapng && all['frame.interface_id'].length === 0) continue;
    out.push(viewOf(all, frag));
  }
  return out;
}

function viewOf(all: Record<string, string[]>, frag: { offset: string; more: string }): TsharkFrame {
  const protocols = all['frame.protocols'][0] ?? '';
  const layers = protocols.split(':');
  const seen: Record<string, number> = {};
  const nth = (layer: string): number => {
    const k = seen[layer] ?? 0;
    seen[layer] = k + 1;
    return k;
  };
  const v: TsharkFrame = {
    frame: Number(all['frame.number'][0]),
    protocols,
    tags: [],
    ipVersion: null,
    dscp: null,
    ecn: null,
    proto: null,
    transportLayer: null,
    sport: null,
    dport: null,
    fragment: null,
  };
  let i = 0;
  for (; i < layers.length; i++) {
    const l = layers[i];
    if (l === 'vlan' || l === 'ieee8021ad') {
      const k = nth(l);
      v.tags.push({
        kind: l,
        pcp: numOrNull(all[`${l}.priority`][k], `${l}.priority`),
        vid: numOrNull(all[`${l}.id`][k], `${l}.id`),
        dei: numOrNull(all[`${l}.dei`][k], `${l}.dei`),
      });
    } else if (!LINK_LAYERS.has(l)) break;
  }
  const l3 = layers[i];
  if (l3 !== 'ip' && l3 !== 'ipv6') return v;
  i++;
  if (l3 === 'ip') {
    v.ipVersion = 4;
    v.dscp = numOrNull(all['ip.dsfield.dscp'][0], 'ip.dsfield.dscp');
    v.ecn = numOrNull(all['ip.dsfield.ecn'][0], 'ip.dsfield.ecn');
    v.proto = numOrNull(all['ip.proto'][0], 'ip.proto');
    const mf = bool(all['ip.flags.mf'][0]);
    const off = numOrNull(all['ip.frag_offset'][0], 'ip.frag_offset');
    if (mf !== null && off !== null) v.fragment = off > 0 ? 'nonfirst' : mf ? 'first' : 'none';
  } else {
    v.ipVersion = 6;
    v.dscp = numOrNull(all['ipv6.tclass.dscp'][0], 'ipv6.tclass.dscp');
    v.ecn = numOrNull(all['ipv6.tclass.ecn'][0], 'ipv6.tclass.ecn');
    v.proto = numOrNull(all['ipv6.nxt'][0], 'ipv6.nxt');
    v.fragment = 'none';
  }
  // The outer header's extension chain: each header's next-header field names what follows it.
  for (; i < layers.length && EXT_NXT[layers[i]] !== undefined; i++) {
    const l = layers[i];
    const k = nth(l);
    v.proto = numOrNull(all[EXT_NXT[l]][k], EXT_NXT[l]);
    if (l === 'ipv6.fraghdr') {
      const off = numOrNull(all[frag.offset][k], frag.offset);
      const more = bool(all[frag.more][k]);
      // Offset 0 with M = 0 is an atomic fragment (RFC 6946): the packet is whole.
      if (off !== null && more !== null) v.fragment = off > 0 ? 'nonfirst' : more ? 'first' : 'none';
    }
  }
  const next = layers[i] ?? null;
  v.transportLayer = next;
  if (next !== null && CHAIN_END_PAYLOAD[next] !== undefined) {
    v.proto = numOrNull(all[CHAIN_END_PAYLOAD[next]][0], CHAIN_END_PAYLOAD[next]);
  } else if (next !== null && TRANSPORT_NUMBERS[next] !== undefined && v.proto === null) {
    v.proto = TRANSPORT_NUMBERS[next];
  }
  if (next === 'tcp' || next === 'udp') {
    v.sport = numOrNull(all[`${next}.srcport`][0], `${next}.srcport`);
    v.dport = numOrNull(all[`${next}.dstport`][0], `${next}.dstport`);
  }
  return v;
}

/**
 * Statuses at which qosmark stops reading, and what it therefore leaves null
 * although tshark may show it: 'ip' (version, DSCP, ECN, fragment), 'proto',
 * 'ports'. An audit field that is null while tshark shows a value is accepted
 * only under one of these statuses.
 */
const STOPS_BEFORE: Record<string, Set<'tags' | 'ip' | 'proto' | 'ports'>> = {
  // Link or tag stack not whole: nothing past it is read.
  'truncated-link-header': new Set(['tags', 'ip', 'proto', 'ports']),
  'short-link-header': new Set(['tags', 'ip', 'proto', 'ports']),
  'truncated-vlan-tag': new Set(['tags', 'ip', 'proto', 'ports']),
  'short-vlan-tag': new Set(['tags', 'ip', 'proto', 'ports']),
  // More than 8 tags: qosmark stops; tshark dissects any depth.
  'too-many-vlan-tags': new Set(['tags', 'ip', 'proto', 'ports']),
  // The fixed IP header (or IHL*4 bytes) not captured / inconsistent: qosmark reports no IP fields, tshark shows the bytes it has.
  'truncated-ip-header': new Set(['ip', 'proto', 'ports']),
  'short-ip-header': new Set(['ip', 'proto', 'ports']),
  'bad-ip-version': new Set(['ip', 'proto', 'ports']),
  'bad-ihl': new Set(['ip', 'proto', 'ports']),
  'bad-ip-length': new Set(['ip', 'proto', 'ports']),
  // An extension header cut, running past the payload, or more than 8: no transport protocol.
  'truncated-ipv6-extension': new Set(['proto', 'ports']),
  'bad-ipv6-extension': new Set(['proto', 'ports']),
  'too-many-ipv6-extensions': new Set(['proto', 'ports']),
  // Ports not captured whole.
  'truncated-before-ports': new Set(['ports']),
  'bad-l4-length': new Set(['ports']),
};

export interface AuditComparison {
  problems: string[];
  /** Frames (or fields) left out on purpose, by reason. */
  excluded: Record<string, number>;
  /** Values compared, by field. */
  compared: Record<string, number>;
}

/** Statuses where tshark stops inside the IPv4 header (see the file comment). */
const BAD_IPV4_HEADER = new Set(['bad-ihl', 'bad-ip-length']);

/** DS field and fragment state read straight from an Ethernet frame's IPv4 header bytes (no validity checks). */
export function rawIpv4Facts(frame: Buffer): { dscp: number; ecn: number; fragment: 'none' | 'first' | 'nonfirst' } | null {
  const d = dissectEthernet(frame);
  if (d.ethertype !== 0x0800) return null;
  const l3 = d.tags.length > 0 ? d.tags[d.tags.length - 1].tciOff + 4 : 14;
  if (frame.length < l3 + 8) return null;
  const flagsOff = frame.readUInt16BE(l3 + 6);
  const mf = (flagsOff & 0x2000) !== 0;
  const off = flagsOff & 0x1fff;
  return { dscp: frame[l3 + 1] >>> 2, ecn: frame[l3 + 1] & 3, fragment: off > 0 ? 'nonfirst' : mf ? 'first' : 'none' };
}

function tpidKind(tpid: number): 'vlan' | 'ieee8021ad' | null {
  for (const [kind, tpids] of Object.entries(TAG_LAYERS)) if (tpids.includes(tpid)) return kind as 'vlan' | 'ieee8021ad';
  return null;
}

/** Compares the audit's packets with tshark's frames, frame by frame. */
export function compareAudit(
  audit: AuditPacket[],
  shark: TsharkFrame[],
  opts: { maxProblems?: number; rawEthernet?: PcapRecord[] } = {},
): AuditComparison {
  const maxProblems = opts.maxProblems ?? 50;
  const c: AuditComparison = { problems: [], excluded: {}, compared: {} };
  const exclude = (why: string) => (c.excluded[why] = (c.excluded[why] ?? 0) + 1);
  const count = (what: string) => (c.compared[what] = (c.compared[what] ?? 0) + 1);
  let problemCount = 0;
  const problem = (s: string) => {
    problemCount++;
    if (c.problems.length < maxProblems) c.problems.push(s);
  };
  if (audit.length !== shark.length) problem(`audit wrote ${audit.length} packets, tshark shows ${shark.length} frames`);
  const n = Math.min(audit.length, shark.length);
  for (let k = 0; k < n; k++) {
    const a = audit[k];
    const t = shark[k];
    const at = `frame ${k + 1} (${t.protocols}; audit status ${a.status})`;
    if (a.frame !== k + 1) problem(`${at}: audit numbers it frame ${a.frame}`);
    const stops = STOPS_BEFORE[a.status] ?? new Set();
    // A field the audit leaves null where tshark shows one is acceptable only when the status says qosmark stopped before it.
    const check = (what: string, layer: 'tags' | 'ip' | 'proto' | 'ports', got: unknown, want: unknown): void => {
      if (got === null && want !== null && stops.has(layer)) {
        exclude(`${what}: tshark shows a value past qosmark's stop (status ${a.status})`);
        return;
      }
      if (got !== want) problem(`${at}: ${what}: audit ${JSON.stringify(got)}, tshark ${JSON.stringify(want)}`);
      else if (got !== null) count(what);
    };

    // Tags: outer PCP always; the whole stack (TPID kind, PCP, VID, DEI) up to the first incomplete tag.
    const tOuterPcp = t.tags.length > 0 ? t.tags[0].pcp : null;
    if (a.pcp === null && tOuterPcp !== null && a.status === 'truncated-vlan-tag' && a.tags.length === 0) {
      exclude('outer pcp: TCI captured but not the type after it (truncated-vlan-tag)');
    } else {
      check('outer pcp', 'tags', a.pcp, tOuterPcp);
    }
    const sharkWhole = t.tags.filter((x) => x.pcp !== null);
    const truncatedStack = a.status === 'truncated-vlan-tag' || a.status === 'short-vlan-tag' || a.status === 'too-many-vlan-tags';
    const depth = truncatedStack ? Math.min(a.tags.length, sharkWhole.length) : Math.max(a.tags.length, t.tags.length);
    if (truncatedStack && a.tags.length !== t.tags.length) exclude(`tag count: qosmark stops the stack (status ${a.status})`);
    for (let j = 0; j < depth; j++) {
      const at2 = a.tags[j];
      const tt = t.tags[j];
      if (at2 === undefined || tt === undefined) {
        problem(`${at}: tag ${j}: audit ${JSON.stringify(at2 ?? null)}, tshark ${JSON.stringify(tt ?? null)}`);
        continue;
      }
      if (tpidKind(at2.tpid) !== tt.kind) problem(`${at}: tag ${j}: audit TPID 0x${at2.tpid.toString(16)}, tshark dissects it as ${tt.kind}`);
      if (at2.pcp !== tt.pcp || at2.vid !== tt.vid || at2.dei !== tt.dei) {
        problem(`${at}: tag ${j}: audit pcp/vid/dei ${at2.pcp}/${at2.vid}/${at2.dei}, tshark ${tt.pcp}/${tt.vid}/${tt.dei}`);
      } else count('tag');
    }

    // IP header.
    check('ipVersion', 'ip', a.ipVersion, t.ipVersion);
    if (a.ipVersion !== null && a.ipVersion === t.ipVersion) {
      const ipFields = [
        ['dscp', a.dscp, t.dscp],
        ['ecn', a.ecn, t.ecn],
        ['fragment', a.fragment, t.fragment],
      ] as const;
      for (const [what, got, want] of ipFields) {
        if (want === null && got !== null && a.ipVersion === 4 && BAD_IPV4_HEADER.has(a.status)) {
          // tshark stopped inside the bad header: check the audit's value against the bytes.
          const rec = opts.rawEthernet?.[k];
          const raw = rec ? rawIpv4Facts(rec.data) : null;
          if (raw === null) {
            exclude(`${what}: tshark stops inside the IPv4 header (status ${a.status}), raw bytes not available`);
          } else if (raw[what] !== got) {
            problem(`${at}: ${what}: audit ${JSON.stringify(got)}, tshark shows none (status ${a.status}), header bytes say ${JSON.stringify(raw[what])}`);
          } else {
            exclude(`${what}: tshark stops inside the IPv4 header (status ${a.status}); audit value checked against the header bytes`);
          }
          continue;
        }
        check(what, 'ip', got, want);
      }
    } else if (a.ipVersion === null && (a.dscp !== null || a.ecn !== null || a.fragment !== null)) {
      problem(`${at}: no ipVersion but dscp/ecn/fragment ${a.dscp}/${a.ecn}/${a.fragment}`);
    }
    if (a.ipVersion === null || a.ipVersion !== t.ipVersion) continue;

    // Transport protocol after the header chain.
    const chainEnd = t.transportLayer !== null && CHAIN_END_PAYLOAD[t.transportLayer] !== undefined;
    if (chainEnd && t.proto !== null && EXTENSION_NUMBERS.has(t.proto)) {
      exclude(`proto: ${t.transportLayer}'s payload is another extension header (${t.proto}) tshark does not dissect`);
    } else {
      check('proto', 'proto', a.proto, t.proto);
    }

    // Ports: tshark shows none behind a Mobility/HIP header (see the file comment).
    if (chainEnd) {
      exclude(`ports: tshark does not dissect past ${t.transportLayer}`);
      continue;
    }
    check('sport', 'ports', a.sport, t.sport);
    check('dport', 'ports', a.dport, t.dport);
  }
  if (problemCount > c.problems.length) c.problems.push(`... and ${problemCount - c.problems.length} more`);
  return c;
}

/**
 * System test: the golden fixtures (fixtures/pcaps/*.pcap and *.pcapng with an
 * *.expected.json whose "error" is null) marked by the qosmark CLI and read
 * back by tshark. Wherever tshark dissects the field, the DSCP and the outer
 * tag's PCP must be the fixture's dscpOut / pcpOut[0] and the ECN its ecn; an
 * IPv4 header checksum that tshark finds Good (Bad) in the input must be Good
 * (Bad) in the output. The same captures converted to pcapng must be readable
 * by tshark, and qosmark must either mark them the same way or refuse them
 * with a clear error (pcapng support is in progress; so for native pcapng
 * fixtures).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/proc.js';
import { qosmark, ensureBuilt, REPO_ROOT } from './support/qosmark.js';
import { requireTools, skipOrFail, unmet } from './support/require.js';
import { CHECKSUM_BAD, CHECKSUM_GOOD, num, outerPcp, tsharkFields, type TsharkRow } from './support/tshark.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const FIXTURES = join(REPO_ROOT, 'fixtures/pcaps');

interface ExpectedPacket {
  frame: number;
  note?: string;
  status: string;
  ipVersion: number | null;
  dscpOut: number | null;
  ecn: number | null;
  pcpOut: number[];
}

interface ExpectedFile {
  file: string;
  error: unknown;
  packets: ExpectedPacket[];
}

interface Fixture {
  /** File name, e.g. cupc-ports.pcap. */
  name: string;
  pcap: string;
  pcapng: boolean;
  expected: ExpectedFile;
}

function findFixtures(): Fixture[] {
  if (!existsSync(FIXTURES)) return [];
  const found: Fixture[] = [];
  for (const file of readdirSync(FIXTURES).sort()) {
    const m = /^(.*)\.(pcap|pcapng)$/.exec(file);
    if (m === null) continue;
    const json = join(FIXTURES, `${m[1]}.expected.json`);
    if (!existsSync(json)) continue;
    const expected = JSON.parse(readFileSync(json, 'utf8')) as ExpectedFile;
    if (expected.error !== null) continue;
    found.push({ name: file, pcap: join(FIXTURES, file), pcapng: m[2] === 'pcapng', expected });
  }
  return found;
}

const FIELDS = [
  'frame.number',
  'frame.interface_id',
  'eth.type',
  'sll.etype',
  'vlan.priority',
  'ieee8021ad.priority',
  'ip.dsfield.dscp',
  'ip.dsfield.ecn',
  'ipv6.tclass.dscp',
  'ipv6.tclass.ecn',
  'ip.checksum.status',
];

const fixtures = findFixtures();

/**
 * tshark's frames of a capture file. In pcapng, tshark 4.x also shows
 * non-packet blocks (e.g. custom blocks) as frames, without an interface id;
 * those are dropped so that rows line up with the fixture's packets.
 */
function packetRows(file: string): TsharkRow[] {
  const rows = tsharkFields(file, FIELDS);
  const isPcapng = readFileSync(file).subarray(0, 4).equals(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
  return isPcapng ? rows.filter((r) => r['frame.interface_id'] !== '') : rows;
}
const unmetReason = unmet(requireTools(['tshark', 'editcap']));

interface Comparison {
  problems: string[];
  /** How many fixture values tshark could be compared with, by kind. */
  compared: { dscp: number; pcp: number; checksum: number };
}

/** Where tshark and the fixture disagree about one marked file. */
function compare(fx: Fixture, before: TsharkRow[], after: TsharkRow[]): Comparison {
  const problems: string[] = [];
  const compared = { dscp: 0, pcp: 0, checksum: 0 };
  const packets = fx.expected.packets;
  if (after.length !== packets.length) problems.push(`tshark read ${after.length} frames, the fixture lists ${packets.length}`);
  for (const p of packets) {
    const row = after[p.frame - 1];
    const inRow = before[p.frame - 1];
    if (row === undefined || inRow === undefined) continue;
    const at = `frame ${p.frame}${p.note ? ` (${p.note})` : ''}`;
    const field = (f: string, got: number | null, want: number | null): boolean => {
      if (got === null || want === null) return false;
      if (got !== want) problems.push(`${at}: tshark ${f} = ${got}, fixture says ${want}`);
      return true;
    };
    if (p.ipVersion === 4) {
      if (field('ip.dsfield.dscp', num(row, 'ip.dsfield.dscp'), p.dscpOut)) compared.dscp++;
      field('ip.dsfield.ecn', num(row, 'ip.dsfield.ecn'), p.ecn);
    } else if (p.ipVersion === 6) {
      if (field('ipv6.tclass.dscp', num(row, 'ipv6.tclass.dscp'), p.dscpOut)) compared.dscp++;
      field('ipv6.tclass.ecn', num(row, 'ipv6.tclass.ecn'), p.ecn);
    }
    if (p.pcpOut.length > 0 && field('outer PCP', outerPcp(row, num(inRow, 'eth.type') ?? num(inRow, 'sll.etype')), p.pcpOut[0])) compared.pcp++;
    const csIn = num(inRow, 'ip.checksum.status');
    const csOut = num(row, 'ip.checksum.status');
    if (csIn === CHECKSUM_GOOD && csOut !== CHECKSUM_GOOD) problems.push(`${at}: IPv4 checksum Good in the input, status ${csOut} after marking`);
    if (csIn === CHECKSUM_BAD && csOut !== CHECKSUM_BAD) problems.push(`${at}: IPv4 checksum Bad in the input, status ${csOut} after marking`);
    if (csIn === CHECKSUM_GOOD || csIn === CHECKSUM_BAD) compared.checksum++;
  }
  return { problems, compared };
}

/** The comparison must have compared something wherever the fixture has DSCPs or tags to compare. */
function expectCompared(fx: Fixture, c: Comparison): void {
  expect(c.problems).toEqual([]);
  if (fx.expected.packets.some((p) => p.dscpOut !== null)) expect(c.compared.dscp, 'DSCP values compared').toBeGreaterThan(0);
  if (fx.expected.packets.some((p) => p.pcpOut.length > 0)) expect(c.compared.pcp, 'PCP values compared').toBeGreaterThan(0);
}

describe('fixtures marked by qosmark, checked with tshark', () => {
  let work = '';

  beforeAll(() => {
    if (unmetReason !== null || fixtures.length === 0) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-fx-');
  });

  afterAll(() => {
    removeWorkDir(work);
  });

  it('fixtures/pcaps holds fixtures to check', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(fixtures.length, `no fixtures/pcaps/*.pcap with an *.expected.json ("error": null) in ${FIXTURES}`).toBeGreaterThan(0);
  });

  /** The editcap-converted pcapng copy must mark exactly like the classic file. */
  function expectMarkedPcapng(fx: Fixture, input: string, output: string, before: TsharkRow[]): void {
    const m = qosmark(['mark', input, '-o', output]);
    expect(m.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(m.status).toBe(0);
    expectCompared(fx, compare(fx, before, packetRows(output)));
  }


  describe.each(fixtures.map((fx) => [fx.name, fx] as const))('%s', (name, fx) => {
    it('qosmark mark; tshark reads the expected DSCP, ECN, outer PCP and IPv4 checksum status', (ctx) => {
      skipOrFail(ctx, unmetReason);
      const out = join(work, `out-${name}`);
      const before = packetRows(fx.pcap);
      expect(before.length, 'tshark frames in the input').toBe(fx.expected.packets.length);
      if (fx.pcapng) {
        expectMarkedPcapng(fx, fx.pcap, out, before);
        return;
      }
      const m = qosmark(['mark', fx.pcap, '-o', out, '--json']);
      expect(m.status, m.stderr).toBe(0);
      expect(JSON.parse(m.stdout).error).toBeNull();
      expectCompared(fx, compare(fx, before, packetRows(out)));
    });

    // Only classic pcap fixtures get a pcapng copy; native pcapng fixtures are checked above.
    if (fx.pcapng) return;
    it('converted with editcap -F pcapng: tshark reads it; qosmark marks it the same way or refuses it clearly', (ctx) => {
      skipOrFail(ctx, unmetReason);
      const ng = join(work, `${name}ng`);
      run('editcap', ['-F', 'pcapng', fx.pcap, ng], { timeoutMs: 60_000 });
      expect(readFileSync(ng).readUInt32BE(0)).toBe(0x0a0d0d0a);
      const before = packetRows(ng);
      expect(before.length, 'tshark frames in the pcapng copy').toBe(fx.expected.packets.length);
      expectMarkedPcapng(fx, ng, join(work, `out-${name}ng`), before);
    });
  });
});

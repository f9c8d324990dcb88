/**
 * System test: `qosmark gen` output read by tshark. The pcap and the pcapng
 * written with the same options must be the same capture to tshark (every
 * frame's time, lengths, addresses, ports, DSCP and VLAN priority), every
 * IPv4 header checksum must be Good, and capinfos must find the pcapng's
 * section comment: the gen options that write it again.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/proc.js';
import { ensureBuilt, qosmark } from './support/qosmark.js';
import { requireTools, skipOrFail, unmet } from './support/require.js';
import { CHECKSUM_GOOD, num, tsharkFields } from './support/tshark.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const unmetReason = unmet(requireTools(['tshark', 'capinfos']));

const FIELDS = [
  'frame.time_epoch',
  'frame.len',
  'frame.cap_len',
  'vlan.priority',
  'ip.src',
  'ipv6.src',
  'ip.dsfield.dscp',
  'ipv6.tclass.dscp',
  'ip.checksum.status',
  'udp.srcport',
  'tcp.srcport',
];
const PACKETS = 20_000;

describe('qosmark gen, read by tshark', () => {
  let work = '';
  beforeAll(() => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-gen-');
  });
  afterAll(() => {
    removeWorkDir(work);
  });

  it('--format pcap and --format pcapng are the same packets to tshark; IPv4 checksums Good', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const files = { pcap: join(work, 'g.pcap'), pcapng: join(work, 'g.pcapng') };
    for (const [format, file] of Object.entries(files)) {
      const r = qosmark(['gen', '--packets', String(PACKETS), '--profile', 'worst-case', '--seed', '5', '--format', format, '-o', file, '-q']);
      expect(r.status, r.stderr).toBe(0);
    }
    const a = tsharkFields(files.pcap, FIELDS);
    const b = tsharkFields(files.pcapng, FIELDS);
    expect(a.length).toBe(PACKETS);
    expect(b).toEqual(a);
    const ipv4 = a.filter((row) => num(row, 'ip.checksum.status') !== null);
    expect(ipv4.length).toBeGreaterThan(0);
    for (const row of ipv4) expect(num(row, 'ip.checksum.status')).toBe(CHECKSUM_GOOD);
    const info = run('capinfos', [files.pcapng], { timeoutMs: 60_000 }).stdout;
    expect(info).toMatch(/File type:\s+Wireshark\/\.\.\. - pcapng/);
    expect(info).toContain(`qosmark gen --packets ${PACKETS} --profile worst-case --seed 5 --vlan 100 --wrong-marks 1 --format pcapng`);
  });
});

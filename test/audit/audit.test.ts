/**
 * `qosmark audit` end to end through the CLI (built dist/), on captures built
 * here with known markings: verdicts, totals, diagnoses, the JSON Lines and
 * HTML outputs, and exit statuses.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { size } from '../../src/audit/text-report.js';
import { judge, V_BOTH_MISMATCH, V_COS_MISMATCH, V_DSCP_MISMATCH, V_MALFORMED, V_NO_TAG, V_OK, V_UNCLASSIFIED } from '../../src/audit/verdict.js';
import { eth } from '../support/bytes.js';
import { ethIpv4, pcapFile } from '../support/packet-builder.js';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qosmark-audit-'));

beforeAll(() => {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function write(name: string, frames: Uint8Array[]): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, pcapFile(frames));
  return file;
}

function qosmark(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const A: [number, number, number, number] = [198, 18, 0, 10];
const B: [number, number, number, number] = [198, 18, 0, 20];

describe('judge()', () => {
  it.each([
    // malformed, classified, rule, expDscp, expCos, foundDscp, foundCos, verdict
    [true, false, false, -1, -1, -1, -1, V_MALFORMED],
    [false, false, false, -1, -1, -1, -1, V_UNCLASSIFIED],
    [false, true, false, -1, -1, 10, -1, V_UNCLASSIFIED], // default class, keep
    [false, true, true, -1, -1, 10, 0, V_OK], // data class, keep
    [false, true, true, 46, 5, 46, 5, V_OK],
    [false, true, true, 46, 5, 40, 5, V_DSCP_MISMATCH],
    [false, true, true, 46, 5, 46, 0, V_COS_MISMATCH],
    [false, true, true, 46, 5, 0, 0, V_BOTH_MISMATCH],
    [false, true, true, 46, 5, 46, -1, V_NO_TAG],
    [false, true, true, 46, 5, 0, -1, V_DSCP_MISMATCH],
    [false, true, true, 46, -1, 46, 0, V_OK], // CoS keep: any PCP is fine
  ])('malformed=%s classified=%s rule=%s exp %i/%i found %i/%i -> %i', (m, c, r, ed, ec, fd, fc, want) => {
    expect(judge(m, c, r, ed, ec, fd, fc)).toBe(want);
  });
});

describe('audit', () => {
  it('counts verdicts, names the CoS-to-DSCP map, and exits 1 when something is mismarked', () => {
    const frames = [
      // voice re-marked to CS5 40 by a CoS-to-DSCP map, CoS 5 kept: dscp-mismatch (x3)
      ...[0, 1, 2].map(() => ethIpv4({ src: A, dst: B, sport: 20000, dport: 20002, dscp: 40, pcp: 5 })),
      // voice correct (x2)
      ...[0, 1].map(() => ethIpv4({ src: B, dst: A, sport: 20002, dport: 20000, dscp: 46, pcp: 5 })),
      // SIP with DSCP 0 and CoS 0: untrusted boundary, both-mismatch
      ethIpv4({ src: A, dst: B, sport: 49152, dport: 5060, dscp: 0, pcp: 0 }),
      // signalling right DSCP, CoS 0: layer-2-only re-mark, cos-mismatch
      ethIpv4({ src: A, dst: B, sport: 49153, dport: 5061, dscp: 24, pcp: 0, proto: 'tcp' }),
      // untagged voice, right DSCP: no-tag
      ethIpv4({ src: A, dst: B, sport: 30000, dport: 30002, dscp: 46 }),
      // https: data, ok; unrelated: unclassified
      ethIpv4({ src: A, dst: B, sport: 49154, dport: 443, dscp: 10, proto: 'tcp' }),
      ethIpv4({ src: A, dst: B, sport: 1234, dport: 4321, dscp: 0 }),
      // malformed: IHL 4
      (() => {
        const f = ethIpv4({ sport: 20000, dport: 20002, dscp: 0 });
        f[14] = 0x44;
        return f;
      })(),
    ];
    const file = write('mixed.pcap', frames);
    const jsonl = path.join(tmp, 'mixed.jsonl');
    const html = path.join(tmp, 'mixed.html');
    const r = qosmark('audit', file, '--json', '--packets', jsonl, '--html', html);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    for (const key of ['packets', 'mismarked', 'byClass', 'byApp', 'dscpFound', 'cosFound', 'conversations', 'diagnoses']) {
      expect(report).toHaveProperty(key);
    }
    expect(report.packets).toBe(11);
    expect(report.verdicts).toEqual({
      ok: 3,
      'dscp-mismatch': 3,
      'cos-mismatch': 1,
      'both-mismatch': 1,
      'no-tag': 1,
      unclassified: 1,
      malformed: 1,
    });
    expect(report.mismarked).toBe(5);
    expect(report.byClass.voice).toMatchObject({ packets: 6, ok: 2, mismarked: 3, expectedDscp: 46, expectedCos: 5 });
    expect(report.byClass.voice.dscpFound).toEqual({ '40': 3, '46': 3 });
    expect(report.byApp.rtp).toMatchObject({ class: 'voice', packets: 6 });
    expect(report.byApp.sip).toMatchObject({ class: 'signalling', packets: 2, mismarked: 2 });
    // The malformed frame's IP header is not trusted: nothing is reported from it.
    expect(report.dscpFound).toEqual({ '0': 2, '10': 1, '24': 1, '40': 3, '46': 3 });
    expect(report.cosFound).toEqual({ '0': 2, '5': 5, untagged: 3 });
    const ids = Object.fromEntries(report.diagnoses.map((d: { id: string; packets: number }) => [d.id, d.packets]));
    expect(ids['cos-to-dscp-map']).toBe(3);
    expect(ids['untrusted-boundary']).toBe(1);
    expect(ids['layer2-only']).toBe(1);
    // The voice conversation (5 packets) is EF one way and CS5 the other: its 3 CS5 packets are mismarked.
    expect(ids['direction-mismatch']).toBe(3);
    expect(report.diagnoses.find((d: { id: string }) => d.id === 'direction-mismatch')).toMatchObject({
      message: expect.stringMatching(/^1 conversation \(5 packets, 3 mismarked\) marked differently in its two directions: /),
      fix: null,
    });
    // Every diagnosis has a fix, null where the cause is only narrowed down.
    for (const d of report.diagnoses) expect(Object.keys(d).sort()).toEqual(['fix', 'id', 'message', 'packets']);
    expect(report.conversations[0]).toMatchObject({ proto: 'udp', a: '198.18.0.10', aPort: 20000, b: '198.18.0.20', bPort: 20002, mismarked: 3, packets: 5 });

    const lines = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(11);
    expect(lines[0]).toMatchObject({
      frame: 1,
      linktype: 1,
      pcp: 5,
      ipVersion: 4,
      dscp: 40,
      ecn: 0,
      proto: 17,
      sport: 20000,
      dport: 20002,
      fragment: 'none',
      rule: 'rtp',
      class: 'voice',
      expectedDscp: 46,
      expectedCos: 5,
      verdict: 'dscp-mismatch',
    });
    expect(lines[9]).toMatchObject({ rule: null, class: 'default', verdict: 'unclassified', expectedDscp: null });
    expect(lines[10]).toMatchObject({ verdict: 'malformed', reason: 'bad-ihl', class: null, ipVersion: null, dscp: null, ecn: null });

    const page = fs.readFileSync(html, 'utf8');
    expect(page).toContain('<svg');
    expect(page).toContain('Packets: 11');
    expect(page).toContain('Mismarked: 5');
    expect(page).not.toMatch(/<script|https?:\/\//);
  });

  it('finds nothing mismarked in what `qosmark mark` wrote, and exits 0', () => {
    const frames = [
      ethIpv4({ sport: 20000, dport: 20002, dscp: 0, pcp: 0 }),
      ethIpv4({ sport: 49152, dport: 5060, dscp: 40, pcp: 1 }),
      ethIpv4({ sport: 49153, dport: 2748, dscp: 0, pcp: 0, proto: 'tcp' }),
    ];
    const file = write('before.pcap', frames);
    const marked = path.join(tmp, 'after.pcap');
    expect(qosmark('audit', file, '--json').status).toBe(1);
    expect(qosmark('mark', file, '-o', marked, '-q').status).toBe(0);
    const r = qosmark('audit', marked, '--json');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ packets: 3, mismarked: 0 });
  });

  it('prints a readable summary with the diagnosis and the fix', () => {
    const file = write('cosmap.pcap', [ethIpv4({ sport: 20000, dport: 20002, dscp: 40, pcp: 5 })]);
    const r = qosmark('audit', file);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('CoS-to-DSCP map');
    expect(r.stdout).toContain('mls qos map cos-dscp 0 8 16 24 32 46 48 56');
    expect(r.stdout).toMatch(/voice\s+1\s+\d+ B\s+0\s+1/);
  });

  it('exits 2 with one line naming the file and byte offset on a damaged capture', () => {
    const bytes = pcapFile([ethIpv4({ sport: 20000, dport: 20002, dscp: 46, pcp: 5 })]);
    const file = path.join(tmp, 'cut.pcap');
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    const r = qosmark('audit', file);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^qosmark: ${file}: byte 24: file ends inside record 1`));
  });

  it('exits 2 on usage errors', () => {
    expect(qosmark('audit').status).toBe(2);
    expect(qosmark('audit', 'x.pcap', '--bogus').status).toBe(2);
  });

  it('-q prints nothing and keeps the exit status: 1 mismarked, 0 clean, 2 on a file error', () => {
    const file = write('quiet.pcap', [ethIpv4({ sport: 20000, dport: 20002, dscp: 40, pcp: 5 })]);
    const marked = path.join(tmp, 'quiet-marked.pcap');
    const html = path.join(tmp, 'quiet.html');
    const loud = qosmark('audit', file, '--html', html);
    expect(loud.stdout).toContain('CoS-to-DSCP map');
    fs.rmSync(html);
    const quiet = qosmark('audit', file, '-q', '--html', html);
    expect([quiet.status, quiet.stdout, quiet.stderr]).toEqual([1, '', '']);
    // -q silences the report, not the files asked for.
    expect(fs.readFileSync(html, 'utf8')).toContain('<svg');
    expect(qosmark('mark', file, '-o', marked, '-q').status).toBe(0);
    expect([qosmark('audit', marked, '--quiet').status, qosmark('audit', marked, '--quiet').stdout]).toEqual([0, '']);
    expect([qosmark('audit', file, marked, '-q').status, qosmark('audit', file, marked, '-q').stdout]).toEqual([1, '']);
    // As with mark and gen: -q drops the text report, --json still prints the JSON.
    const json = qosmark('audit', file, '-q', '--json');
    expect(json.status).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ packets: 1, mismarked: 1 });
    const missing = qosmark('audit', path.join(tmp, 'absent.pcap'), '-q');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^qosmark: .*absent\.pcap: no such file or directory\n$/);
  });
});

describe('audit outputs: stdout and the input itself', () => {
  it('--html - writes the page to stdout and the text report to stderr; one of --json, --packets -, --html - has stdout', () => {
    const file = write('html-stdout.pcap', [ethIpv4({ sport: 20000, dport: 20002, dscp: 40, pcp: 5 })]);
    const r = qosmark('audit', file, '--html', '-');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).toContain('<svg');
    expect(r.stderr).toMatch(/^qosmark audit: .*html-stdout\.pcap \(pcap\), policy built-in\n1 packets?, /);
    expect(fs.existsSync('-')).toBe(false);
    for (const [args, complaint] of [
      [['--json', '--html', '-'], '--json and --html - both want stdout'],
      [['--packets', '-', '--html', '-'], '--packets - and --html - both want stdout'],
      [['--json', '--packets', '-', '--html', '-'], '--json and --packets - and --html - all want stdout'],
    ] as const) {
      const bad = qosmark('audit', file, ...args);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toBe(`qosmark: audit: ${complaint}\n`);
    }
  });

  it('refuses --html or --packets naming the input (through a link too), and leaves the input whole', () => {
    const file = write('self.pcap', [ethIpv4({ sport: 20000, dport: 20002, dscp: 40, pcp: 5 })]);
    const before = fs.readFileSync(file);
    const link = path.join(tmp, 'self-link.pcap');
    fs.symlinkSync(file, link);
    for (const [option, target] of [
      ['--html', file],
      ['--packets', file],
      ['--html', link],
    ]) {
      const r = qosmark('audit', file, option, target, '-q');
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`qosmark: audit: ${target}: ${option} file is the input file; refusing to overwrite it\n`);
      expect(fs.readFileSync(file)).toEqual(before);
    }
  });
});

describe('audit summaries and exit status, beyond the mixed capture', () => {
  // Voice with DSCP 40 (mismarked), https (ok, untagged), a tagged ARP frame with PCP 5.
  const frames = () => [
    ethIpv4({ src: A, dst: B, sport: 20000, dport: 20002, dscp: 40, pcp: 5 }),
    ethIpv4({ src: A, dst: B, sport: 49154, dport: 443, dscp: 0, proto: 'tcp' }),
    eth(0x0806, new Uint8Array(28), [{ tpid: 0x8100, pcp: 5, vid: 100 }]),
  ];

  it('counts the CoS of tagged frames that carry no IP (a tagged ARP frame) in cosFound', () => {
    const r = qosmark('audit', write('arp.pcap', frames()), '--json');
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.cosFound).toEqual({ '5': 2, untagged: 1 });
    expect(report.dscpFound).toEqual({ '0': 1, '40': 1 });
  });

  it('the text summary gives bytes per class and per application', () => {
    const f = frames();
    const r = qosmark('audit', write('bytes.pcap', f));
    const voiceRow = r.stdout.split('\n').find((l) => /^ {2}voice /.test(l));
    const rtpRow = r.stdout.split('\n').find((l) => /^ {2}rtp /.test(l));
    expect(r.stdout).toMatch(/^ {2}class +packets +bytes +ok +mismarked/m);
    expect(r.stdout).toMatch(/^ {2}app +class +packets +bytes +ok +mismarked/m);
    expect(voiceRow).toMatch(new RegExp(`^ {2}voice +1 +${f[0].length} B +0 +1 `));
    expect(rtpRow).toMatch(new RegExp(`^ {2}rtp +voice +1 +${f[0].length} B +0 +1$`));
  });

  it('exits 1 on mismarked packets even when the reader of its report goes away early (| head)', () => {
    const file = write('pipe.pcap', frames());
    const shell = (cmd: string) => spawnSync('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30_000 }).stdout.trim();
    // The reader closes its end and exits at once; qosmark, 0.1 s or more later, meets a closed pipe.
    const closedReader = `"${process.execPath}" "${CLI}" audit "${file}" | (exec 0<&-; true); echo \${PIPESTATUS[0]}`;
    expect(shell(closedReader)).toBe('1');
    const clean = write('pipe-clean.pcap', [frames()[1]]);
    expect(shell(`"${process.execPath}" "${CLI}" audit "${clean}" | (exec 0<&-; true); echo \${PIPESTATUS[0]}`)).toBe('0');
  });

  it('--packets - | head: the log stops, the audit goes on, the report (stderr) and exit status 1 still come', () => {
    // 20,000 frames of about 400 bytes of JSON each: far more than a pipe holds, so EPIPE is certain.
    const many = Array.from({ length: 20_000 }, () => frames()[0]);
    const file = write('pipe-log.pcap', many);
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" audit "${file}" --packets - 2>"${file}.err" | head -1; echo \${PIPESTATUS[0]}`], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    const [first, status] = r.stdout.trim().split('\n');
    expect(JSON.parse(first)).toMatchObject({ frame: 1, verdict: 'dscp-mismatch' });
    expect(status).toBe('1');
    expect(fs.readFileSync(`${file}.err`, 'utf8')).toMatch(/^20,000 packets, .*: 20,000 mismarked/m);
  });
});

describe('sizes in the text summary', () => {
  it('takes the unit that keeps the figure under 1000 after rounding', () => {
    const cases: [number, string][] = [
      [0, '0 B'],
      [999, '999 B'],
      [1000, '1.0 kB'],
      [999_949, '999.9 kB'],
      [999_950, '1.0 MB'],
      [123_456_789, '123.5 MB'],
      [999_950_000, '1.00 GB'],
      [1_226_826_116, '1.23 GB'],
    ];
    for (const [bytes, text] of cases) expect(size(bytes), String(bytes)).toBe(text);
  });
});

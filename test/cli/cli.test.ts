/**
 * The command line, run as a child process: `node dist/cli/main.js`.
 * dist/ is rebuilt first when any src/ file is newer than it.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { ensureBuilt, importSpecifiers } from '../support/build.js';
import { concat, eth, ipv4, ipv4ChecksumValid, ipv6, pcapFile, pcapRecord, readPcap, removeDir, tcp, tempDir, udp } from '../support/bytes.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'dist/cli/main.js');

interface Run {
  status: number | null;
  stdout: Buffer;
  out: string;
  err: string;
  errLines: string[];
}

function cli(args: string[], input?: Uint8Array): Run {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd: dir, input, maxBuffer: 64 * 1024 * 1024 });
  const err = r.stderr.toString('utf8');
  return { status: r.status, stdout: r.stdout, out: r.stdout.toString('utf8'), err, errLines: err.split('\n').filter((l) => l !== '') };
}

function expectNoStackTrace(r: Run): void {
  for (const line of r.errLines) {
    expect(line).not.toMatch(/^\s+at /);
    expect(line).not.toMatch(/internal error/);
  }
}

let dir: string;
const file = (name: string) => path.join(dir, name);

// ---------------------------------------------------------------- inputs
const sip = () => eth(0x0800, ipv4({ proto: 17, tos: 0x01 }, udp(5060, 20000)), [{ tpid: 0x8100, pcp: 0, vid: 10 }]);
const rtp6 = () => eth(0x86dd, ipv6({ next: 17, tc: 0x01, flow: 0xabcde }, udp(20000, 20002, [1, 2, 3, 4])));
const https = () => eth(0x0800, ipv4({ proto: 6, tos: 0x28 }, tcp(50000, 443)));
const other = () => eth(0x0800, ipv4({ proto: 6, tos: 0x28 }, tcp(50000, 20000)));
const arp = () => eth(0x0806, new Uint8Array(28));
const qinqRtp = () =>
  eth(0x0800, ipv4({ proto: 17 }, udp(16384, 32766)), [
    { tpid: 0x88a8, pcp: 0, vid: 100 },
    { tpid: 0x8100, pcp: 0, vid: 200 },
  ]);

const FRAMES = [sip(), rtp6(), https(), other(), arp(), qinqRtp()];
const CAPTURE = pcapFile(
  { linkType: 1 },
  FRAMES.map((data, i) => ({ tsSec: 1000 + i, tsFrac: i, data })),
);

beforeAll(() => {
  ensureBuilt();
  dir = tempDir('qosmark-cli-');
  fs.writeFileSync(file('in.pcap'), CAPTURE);
  const ref = cli(['mark', 'in.pcap', '-o', 'ref.pcap', '-q']);
  if (ref.status !== 0) throw new Error(`reference run failed: ${ref.err}`);
}, 180_000);

/** Runs a command once per test file and reuses the result. */
const memo = new Map<string, Run>();
function cliOnce(args: string[]): Run {
  const key = args.join('\0');
  if (!memo.has(key)) memo.set(key, cli(args));
  return memo.get(key)!;
}
afterAll(() => removeDir(dir));

describe('qosmark mark', () => {
  it('re-marks a pcap by the built-in policy, exit 0, with a text summary', () => {
    const r = cli(['mark', 'in.pcap', '-o', 'out.pcap']);
    expect(r.status).toBe(0);
    expect(r.out).toContain('qosmark mark: in.pcap -> out.pcap (pcap)');
    expect(r.err).toBe('');
    const out = readPcap(new Uint8Array(fs.readFileSync(file('out.pcap'))));
    expect(out.records).toHaveLength(FRAMES.length);
    const [s, v6, h, o, a, q] = out.records.map((x) => x.data);
    expect(s[19]).toBe((24 << 2) | 1); // CS3, ECN kept
    expect(s[14] >>> 5).toBe(3);
    expect(ipv4ChecksumValid(s, 18, 20)).toBe(true);
    expect(((v6[14] & 0x0f) << 4) | (v6[15] >>> 4)).toBe((46 << 2) | 1); // EF, ECN kept
    expect(v6[15] & 0x0f).toBe(0xa); // flow label kept
    expect(Buffer.from(h).equals(Buffer.from(FRAMES[2]))).toBe(true);
    expect(Buffer.from(o).equals(Buffer.from(FRAMES[3]))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(FRAMES[4]))).toBe(true);
    expect([q[14] >>> 5, q[18] >>> 5]).toEqual([5, 0]); // outer tag by default
    // record headers unchanged
    const inRecs = readPcap(CAPTURE).records;
    expect(out.records.map((x) => [x.tsSec, x.tsFrac, x.inclLen, x.origLen])).toEqual(inRecs.map((x) => [x.tsSec, x.tsFrac, x.inclLen, x.origLen]));
  });

  it('--json prints one JSON object with the summary keys and counts', () => {
    const r = cli(['mark', 'in.pcap', '-o', 'out-json.pcap', '--json']);
    expect(r.status).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]);
    expect(doc).toEqual(
      expect.objectContaining({
        command: 'mark',
        input: 'in.pcap',
        output: 'out-json.pcap',
        format: 'pcap',
        packets: 6,
        bytes: FRAMES.reduce((n, f) => n + f.length, 0),
        ipv4: 4,
        ipv6: 1,
        dscpChanged: 3,
        cosChanged: 2,
        untaggedNoCos: 1,
        notIp: 1,
        unsupportedLinkType: 0,
        truncated: {},
        malformed: {},
        malformedTotal: 0,
        truncatedTotal: 0,
        fragments: { nonFirstMatched: 0, nonFirstUnmatched: 0, tableEvictions: 0 },
        error: null,
      }),
    );
    for (const k of ['elapsedSeconds', 'packetsPerSecond', 'bytesPerSecond', 'peakRssBytes']) expect(typeof doc[k], k).toBe('number');
    expect(doc.classes.voice).toEqual({ packets: 2, bytes: FRAMES[1].length + FRAMES[5].length, dscp: 46, cos: 5, dscpChanged: 2, cosChanged: 1 });
    expect(doc.classes.signalling).toEqual({ packets: 1, bytes: FRAMES[0].length, dscp: 24, cos: 3, dscpChanged: 1, cosChanged: 1 });
    expect(doc.classes.data.packets).toBe(1);
    expect(doc.classes.default.packets).toBe(1);
    expect(doc.rules).toEqual(expect.objectContaining({ sip: 1, rtp: 2, https: 1, http: 0 }));
  });

  it('-q prints nothing', () => {
    const r = cli(['mark', 'in.pcap', '-o', 'out-q.pcap', '-q']);
    expect(r.status).toBe(0);
    expect(r.out).toBe('');
    expect(r.err).toBe('');
  });

  it('"-" reads stdin and writes stdout (the summary goes to stderr); same bytes as file to file', () => {
    const r = cli(['mark', '-', '-o', '-'], CAPTURE);
    expect(r.status).toBe(0);
    expect(r.stdout.equals(fs.readFileSync(file('ref.pcap')))).toBe(true);
    expect(r.err).toContain('qosmark mark: - -> - (pcap)');
    const j = cli(['mark', '-', '-o', '-', '--json'], CAPTURE);
    expect(j.stdout.equals(fs.readFileSync(file('ref.pcap')))).toBe(true);
    expect(JSON.parse(j.err.trim()).packets).toBe(6);
  });

  it('a big pcap piped through stdin/stdout arrives whole', () => {
    const recs = [];
    for (let i = 0; i < 2000; i++) recs.push({ tsSec: i, tsFrac: 0, data: i % 2 ? sip() : rtp6() });
    const big = pcapFile({}, recs);
    fs.writeFileSync(file('big.pcap'), big);
    cli(['mark', 'big.pcap', '-o', 'big-ref.pcap', '-q']);
    const r = cli(['mark', '-', '-o', '-', '-q'], big);
    expect(r.status).toBe(0);
    expect(r.stdout.length).toBe(big.length);
    expect(r.stdout.equals(fs.readFileSync(file('big-ref.pcap')))).toBe(true);
  });

  it('a reader that stops early (EPIPE on stdout) ends the run quietly with exit 0', () => {
    const recs = [];
    for (let i = 0; i < 12000; i++) recs.push({ tsSec: i, tsFrac: 0, data: eth(0x0800, ipv4({ proto: 17 }, udp(5060, 20000, new Array(400).fill(7)))) });
    fs.writeFileSync(file('epipe.pcap'), pcapFile({}, recs));
    const r = spawnSync('bash', ['-c', `"${process.execPath}" "${MAIN}" mark epipe.pcap -o - -q | head -c 100 >/dev/null; echo "status=\${PIPESTATUS[0]}"`], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('status=0');
    expect(r.stderr).toBe('');
  });

  it('refuses to overwrite the input (same path, another spelling, a hard link), leaving it intact', () => {
    fs.copyFileSync(file('in.pcap'), file('keep.pcap'));
    fs.linkSync(file('keep.pcap'), file('keep-link.pcap'));
    for (const out of ['./keep.pcap', 'keep-link.pcap']) {
      const r = cli(['mark', 'keep.pcap', '-o', out]);
      expect(r.status, out).toBe(2);
      expect(r.errLines).toEqual([`qosmark: mark: ${out}: output is the input file; refusing to overwrite it`]);
      expect(fs.readFileSync(file('keep.pcap')).equals(Buffer.from(CAPTURE))).toBe(true);
    }
  });

  it('a truncated capture: exit 2, one line naming the file and byte offset, the whole records before written', () => {
    const whole = pcapFile({}, [
      { tsSec: 1, tsFrac: 0, data: sip() },
      { tsSec: 2, tsFrac: 0, data: rtp6() },
    ]);
    const partial = pcapRecord({ tsSec: 3, tsFrac: 0, data: sip() }).subarray(0, 16 + 5);
    fs.writeFileSync(file('trunc.pcap'), concat(whole, partial));
    const r = cli(['mark', 'trunc.pcap', '-o', 'trunc-out.pcap', '-q']);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([`qosmark: trunc.pcap: byte ${whole.length}: file ends inside record 3 (5 of ${sip().length} data bytes)`]);
    expectNoStackTrace(r);
    const out = readPcap(new Uint8Array(fs.readFileSync(file('trunc-out.pcap'))));
    expect(out.records).toHaveLength(2);
    expect(out.records[0].data[19] >>> 2).toBe(24); // marked before the fault

    const j = cli(['mark', 'trunc.pcap', '-o', 'trunc-out2.pcap', '--json']);
    expect(j.status).toBe(2);
    const doc = JSON.parse(j.out.trim());
    expect(doc.error).toEqual({ file: 'trunc.pcap', offset: whole.length, message: `file ends inside record 3 (5 of ${sip().length} data bytes)` });
    expect(doc.packets).toBe(2);
  });

  it('bad magic, empty file, missing file: exit 2 with one line each', () => {
    fs.writeFileSync(file('junk.pcap'), Buffer.from('hello world, not a capture'));
    fs.writeFileSync(file('empty.pcap'), Buffer.alloc(0));
    const junk = cli(['mark', 'junk.pcap', '-o', 'o1.pcap', '-q']);
    expect(junk.status).toBe(2);
    expect(junk.errLines).toEqual(['qosmark: junk.pcap: byte 0: not a pcap or pcapng file (starts with 0x68656c6c)']);
    const empty = cli(['mark', 'empty.pcap', '-o', 'o2.pcap', '-q']);
    expect(empty.status).toBe(2);
    expect(empty.errLines).toEqual(['qosmark: empty.pcap: byte 0: empty file: no capture file header']);
    const missing = cli(['mark', 'missing.pcap', '-o', 'o3.pcap', '-q']);
    expect(missing.status).toBe(2);
    expect(missing.errLines).toEqual(['qosmark: missing.pcap: no such file or directory']);
    for (const r of [junk, empty, missing]) expectNoStackTrace(r);
  });

  it('a full disk (/dev/full as output): exit 2, one line naming the output and the byte offset, no stack trace', () => {
    fs.copyFileSync(path.join(ROOT, 'fixtures/pcaps/cupc-ports.pcap'), file('in-full.pcap'));
    const r = cli(['mark', 'in-full.pcap', '-o', '/dev/full', '-q']);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual(['qosmark: /dev/full: byte 0: cannot write: no space left on device']);
    expectNoStackTrace(r);
  });

  it('--cos-tag inner and all pick the tags of a QinQ frame', () => {
    // outer (the default) is checked in the first test
    for (const [mode, want] of [
      ['inner', [0, 5]],
      ['all', [5, 5]],
    ] as const) {
      const r = cli(['mark', 'in.pcap', '-o', `cos-${mode}.pcap`, '--cos-tag', mode, '-q']);
      expect(r.status).toBe(0);
      const q = readPcap(new Uint8Array(fs.readFileSync(file(`cos-${mode}.pcap`)))).records[5].data;
      expect([q[14] >>> 5, q[18] >>> 5], mode).toEqual(want);
      // DEI/VID kept
      expect([q[14] & 0x1f, q[15], q[18] & 0x1f, q[19]]).toEqual([0, 100, 0, 200]);
    }
    const bad = cli(['mark', 'in.pcap', '-o', 'x.pcap', '--cos-tag', 'middle']);
    expect(bad.status).toBe(2);
    expect(bad.errLines[0]).toBe('qosmark: mark: --cos-tag: "middle": expected outer, inner or all');
  });

  it('usage mistakes: exit 2, a one-line complaint followed by the usage', () => {
    const noOut = cli(['mark', 'in.pcap']);
    expect(noOut.status).toBe(2);
    expect(noOut.errLines[0]).toBe('qosmark: mark: missing -o OUTPUT');
    expect(noOut.errLines[1]).toMatch(/^usage: qosmark mark INPUT -o OUTPUT/);
    const cmd = cli(['frobnicate']);
    expect(cmd.status).toBe(2);
    expect(cmd.errLines[0]).toBe('qosmark: unknown command "frobnicate"');
    expect(cmd.errLines[1]).toMatch(/^usage: qosmark COMMAND/);
    // Names that every JavaScript object has are not commands either.
    for (const name of ['toString', 'constructor', '__proto__']) {
      const r = cli([name]);
      expect(r.status).toBe(2);
      expect(r.errLines[0]).toBe(`qosmark: unknown command "${name}"`);
    }
    const helpOther = cli(['help', 'hasOwnProperty']);
    expect(helpOther.status).toBe(0);
    expect(helpOther.out).toMatch(/^usage: qosmark COMMAND/);
    const help = cli(['--help']);
    expect(help.status).toBe(0);
    expect(help.out).toMatch(/^usage: qosmark COMMAND/);
  });

  it('an unknown option: exit 2 with a one-line complaint and no stack trace', () => {
    const r = cliOnce(['mark', 'in.pcap', '-o', 'x.pcap', '--frob']);
    expect(r.status).toBe(2);
    expect(r.errLines[0]).toBe("qosmark: mark: unknown option '--frob'");
    expectNoStackTrace(r);
    expect(fs.existsSync(file('x.pcap'))).toBe(false);
  });

  // Every other usage mistake prints the usage after the complaint; an
  // unknown option (node:util parseArgs error, turned into a UsageError by
  // asUsageError) prints only the first line of parseArgs' message.
  it('an unknown option is followed by a usage line', () => {
    const r = cliOnce(['mark', 'in.pcap', '-o', 'x.pcap', '--frob']);
    expect(r.status).toBe(2);
    expect(r.errLines.some((l) => l.startsWith('usage: qosmark mark'))).toBe(true);
  });

  it('a bad --policy file: exit 2, every error on its own line', () => {
    fs.writeFileSync(file('bad-policy.yaml'), 'classes: {v: {dscp: 64, cos: 8}}\n');
    const r = cli(['mark', 'in.pcap', '-o', 'x2.pcap', '--policy', 'bad-policy.yaml']);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual([
      'qosmark: bad-policy.yaml: classes.v.dscp: 64: DSCP must be 0 to 63, a PHB name or keep',
      'qosmark: bad-policy.yaml: classes.v.cos: 8: CoS must be 0 to 7 or keep',
    ]);
    const missing = cli(['mark', 'in.pcap', '-o', 'x3.pcap', '--policy', 'nope.yaml']);
    expect(missing.status).toBe(2);
    expect(missing.errLines).toEqual(['qosmark: nope.yaml: no such file or directory']);
  });

  it('a --policy that re-marks the default class changes the other packets too', () => {
    fs.writeFileSync(file('be.yaml'), 'default: {dscp: 0, cos: 0}\n');
    const r = cli(['mark', 'in.pcap', '-o', 'be.pcap', '--policy', 'be.yaml', '-q']);
    expect(r.status).toBe(0);
    const recs = readPcap(new Uint8Array(fs.readFileSync(file('be.pcap')))).records.map((x) => x.data);
    expect(recs[0][19]).toBe(1); // DSCP 0, ECN 1 kept
    expect(recs[0][14] >>> 5).toBe(0);
    expect(recs[2][15]).toBe(0); // https 0x28 -> 0
    expect(Buffer.from(recs[4]).equals(Buffer.from(FRAMES[4]))).toBe(true); // ARP untouched
  });
});

describe('qosmark policy', () => {
  it('check: a valid file exits 0 and says ok', () => {
    fs.writeFileSync(file('good.yaml'), 'default: {dscp: 0, cos: 0}\n');
    const r = cli(['policy', 'check', 'good.yaml']);
    expect(r.status).toBe(0);
    expect(r.out).toBe('good.yaml: ok (0 classes, 0 rules)\n');
  });

  it('check: an invalid file exits 1 and reports every error', () => {
    fs.writeFileSync(
      file('many.yaml'),
      `classes: {voice: {dscp: 64}}
rules:
  - {name: a, protocols: [udp], ports: [70000], class: voice}
  - {name: a, protocols: [udp], ports: ["32766-16384"], class: nope}
`,
    );
    const r = cli(['policy', 'check', 'many.yaml']);
    expect(r.status).toBe(1);
    expect(r.errLines).toEqual([
      'qosmark: many.yaml: classes.voice.dscp: 64: DSCP must be 0 to 63, a PHB name or keep',
      'qosmark: many.yaml: rules[0].ports[0]: 70000: port must be 0 to 65535',
      'qosmark: many.yaml: rules[1].ports[0]: "32766-16384": range ends before it starts',
      'qosmark: many.yaml: rules[1].class: "nope": no such class in classes',
      'qosmark: many.yaml: rules[1].name: "a": duplicate rule name (first used by rules[0])',
    ]);
  });

  it('check: several files, --json, and a missing file', () => {
    const r = cli(['policy', 'check', 'good.yaml', 'many.yaml', 'absent.yaml', '--json']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.out);
    expect(doc.policies.map((p: { file: string; valid: boolean }) => [p.file, p.valid])).toEqual([
      ['good.yaml', true],
      ['many.yaml', false],
      ['absent.yaml', false],
    ]);
    expect(doc.policies[1].errors).toHaveLength(5);
    expect(doc.policies[2].errors).toEqual(['no such file or directory']);
    const noFile = cli(['policy', 'check']);
    expect(noFile.status).toBe(2);
  });

  it('show: the output loads back; `policy check` passes on it; marking with it is byte-identical to the built-in', () => {
    const shown = cliOnce(['policy', 'show']);
    expect(shown.status).toBe(0);
    fs.writeFileSync(file('shown.yaml'), shown.stdout);
    const check = cli(['policy', 'check', 'shown.yaml']);
    expect(check.status).toBe(0);
    const b = builtinPolicy();
    expect(check.out).toBe(`shown.yaml: ok (${b.classes.size} classes, ${b.rules.length} rules)\n`);
    expect(cli(['mark', 'in.pcap', '-o', 'm-shown.pcap', '-q', '--policy', 'shown.yaml']).status).toBe(0);
    expect(fs.readFileSync(file('m-shown.pcap')).equals(fs.readFileSync(file('ref.pcap')))).toBe(true);
  });

  it('show --json loads back too, and show --policy prints a user policy', () => {
    const j = cli(['policy', 'show', '--json']);
    expect(j.status).toBe(0);
    fs.writeFileSync(file('shown.json'), j.stdout);
    expect(cli(['policy', 'check', 'shown.json']).status).toBe(0);
    fs.writeFileSync(file('user.yaml'), 'classes: {v: {dscp: AF41, cos: 4}}\nrules:\n  - {name: r, protocols: [tcp], ports: ["100-200"], side: dst, class: v}\n');
    const u = cli(['policy', 'show', '--policy', 'user.yaml']);
    expect(u.status).toBe(0);
    expect(u.out).toContain('  v: { dscp: AF41, cos: 4 }');
    expect(u.out).toContain('  - { name: r, protocols: [tcp], ports: ["100-200"], side: dst, class: v }');
    fs.writeFileSync(file('user-shown.yaml'), u.stdout);
    expect(cli(['policy', 'check', 'user-shown.yaml']).status).toBe(0);
  });

  it('the shown built-in policy compiles to the same tables', () => {
    const shown = cliOnce(['policy', 'show']);
    const a = compilePolicy(builtinPolicy());
    // same rule order and names, as the comment lines list them
    a.ruleNames.forEach((name, i) => expect(shown.out).toContain(`#   ${String(i + 1).padStart(2)}. ${name}`));
  });

  it('unknown subcommand: exit 2 with the usage', () => {
    const r = cli(['policy', 'lint']);
    expect(r.status).toBe(2);
    expect(r.errLines[0]).toBe('qosmark: policy: unknown subcommand "lint"');
    expect(r.errLines[1]).toMatch(/^usage: qosmark policy show/);
  });

  it('no subcommand: exit 2, the complaint and the usage on stderr, nothing on stdout', () => {
    const r = cli(['policy']);
    expect([r.status, r.out]).toEqual([2, '']);
    expect(r.errLines[0]).toBe('qosmark: policy: expected a subcommand, show or check');
    expect(r.errLines[1]).toMatch(/^usage: qosmark policy show/);
  });
});

describe('the built CLI', () => {
  // scripts/bundle.mjs replaces tsc's entry files with bundles: one module scope is what
  // makes the packet loop fast (see its comment). A build that skipped that step would
  // still pass every other test here, only slower.
  it.each(['dist/cli/main.js', 'dist/cli/worker.js'])('%s is a bundle: it imports no module of ours', (rel) => {
    const source = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    const specifiers = importSpecifiers(source);
    expect(specifiers.length).toBeGreaterThan(0);
    expect(specifiers.filter((s) => s.startsWith('.'))).toEqual([]);
    expect(source).toMatch(/function parseFrame\(/);
  });

  it('the bundle loads the built-ins only some commands use where they are used, not at start-up (src/io/builtins.ts)', () => {
    const specifiers = importSpecifiers(fs.readFileSync(MAIN, 'utf8'));
    for (const lazy of ['node:child_process', 'node:dgram', 'node:dns/promises', 'node:http', 'node:net', 'node:perf_hooks']) {
      expect(specifiers).not.toContain(lazy);
    }
    expect(specifiers).toContain('node:fs');
  });

  it('the bundle keeps its shebang and runs', () => {
    expect(fs.readFileSync(MAIN, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const r = cli(['--help']);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/^usage: qosmark COMMAND/);
  });

  it.each(['dist/cli/main.js', 'dist/cli/worker.js'])('%s is minified (V8 parses all of it at start-up; see scripts/bundle.mjs), with its function names kept', (rel) => {
    const source = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    // Text in template literals keeps its indentation; indented statements would mean no minifying.
    const indentedCode = source.split('\n').filter((l) => /^\s+(const|let|return|if \()/.test(l));
    expect(indentedCode).toEqual([]);
    expect(source).toMatch(/function parseIpv4\(/);
  });

  // The packet code's constants (header offsets, masks, status and verdict codes) must reach
  // V8 as numbers: a bundle-level variable is loaded and type-checked at every use in the loop.
  it.each(['dist/cli/main.js', 'dist/cli/worker.js'])('%s has the per-packet code\'s numeric constants replaced by their values (scripts/bundle.mjs)', (rel) => {
    const source = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    const perPacket = ['src/parse', 'src/classify', 'src/mark', 'src/engine', 'src/audit'];
    // Policy parsing runs once, before any packet; terser keeps one of its constants as a variable.
    const notPerPacket = new Set(['src/classify/policy-load.ts']);
    const stillVariables: string[] = [];
    let checked = 0;
    for (const dirRel of perPacket) {
      for (const name of fs.readdirSync(path.join(ROOT, dirRel))) {
        const fileRel = `${dirRel}/${name}`;
        if (!name.endsWith('.ts') || notPerPacket.has(fileRel)) continue;
        const text = fs.readFileSync(path.join(ROOT, fileRel), 'utf8');
        for (const m of text.matchAll(/^(?:export )?const ([A-Z][A-Z0-9_]*) = (-?(?:0x[0-9a-fA-F]+|\d+));/gm)) {
          checked++;
          // Its declaration may stay; any other mention is a use that reads the variable.
          const mentions = source.match(new RegExp(`(?<![\\w$.])${m[1]}(?![\\w$])`, 'g'))?.length ?? 0;
          if (mentions > 1) stillVariables.push(`${fileRel}: ${m[1]} (${mentions} mentions)`);
        }
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(stillVariables).toEqual([]);
  });
});

describe('bin/qosmark, the installed command', () => {
  const BIN = path.join(ROOT, 'bin/qosmark');
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, input?: Uint8Array) => {
    const r = spawnSync(cmd, args, { cwd: dir, env, input, maxBuffer: 64 * 1024 * 1024 });
    return { status: r.status, stdout: r.stdout, err: r.stderr.toString('utf8') };
  };

  it('is what package.json names as the bin, and is executable', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string>; files: string[] };
    expect(pkg.bin).toEqual({ qosmark: 'bin/qosmark' });
    expect(pkg.files).toContain('bin');
    expect(fs.statSync(BIN).mode & 0o111).toBe(0o111);
  });

  it('runs through a relative symbolic link in a folder with a space in its name, as npm links it into node_modules/.bin, passing arguments, streams and exit status through', () => {
    const linkDir = path.join(dir, 'a project', 'node_modules', '.bin');
    fs.mkdirSync(linkDir, { recursive: true });
    const link = path.join(linkDir, 'qosmark');
    fs.rmSync(link, { force: true });
    fs.symlinkSync(path.relative(linkDir, BIN), link);
    expect(run(link, ['--version']).stdout.toString()).toBe('qosmark 0.1.0\n');
    // Standard input to standard output, byte for byte what the bundle writes when run directly.
    const viaBin = run(link, ['mark', '-', '-o', '-'], process.env, CAPTURE);
    const direct = cli(['mark', '-', '-o', '-'], CAPTURE);
    expect(viaBin.status).toBe(0);
    expect(Buffer.compare(viaBin.stdout, direct.stdout)).toBe(0);
    // An argument with a space stays one argument; a missing file is exit status 2.
    const missing = run(link, ['mark', 'no such file.pcap', '-o', file('never.pcap')]);
    expect(missing.status).toBe(2);
    expect(missing.err).toBe('qosmark: no such file.pcap: no such file or directory\n');
  });

  it('finds the package when a shell found it on PATH ("bash qosmark"), and says so in one line when the package is not beside it', () => {
    const linkDir = path.join(dir, 'on path');
    fs.mkdirSync(linkDir, { recursive: true });
    fs.rmSync(path.join(linkDir, 'qosmark'), { force: true });
    fs.symlinkSync(BIN, path.join(linkDir, 'qosmark'));
    const env = { ...process.env, PATH: `${linkDir}${path.delimiter}${process.env.PATH ?? ''}` };
    expect(run('bash', ['qosmark', '--version'], env).stdout.toString()).toBe('qosmark 0.1.0\n');
    const stray = path.join(dir, 'stray-qosmark');
    fs.copyFileSync(BIN, stray);
    fs.chmodSync(stray, 0o755);
    const r = run(stray, ['--version']);
    expect(r.status).toBe(127);
    expect(r.err).toMatch(/^qosmark: cannot find dist\/cli\/main\.js beside .*stray-qosmark/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('drops NODE_EXTRA_CA_CERTS, which Node.js would load at every start', () => {
    // Node warns at start-up when the file cannot be loaded: the warning shows whether it was read.
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: path.join(dir, 'no-such-bundle.pem') };
    expect(spawnSync(process.execPath, [MAIN, '--version'], { env }).stderr.toString()).toMatch(/extra certs/i);
    const r = run(BIN, ['--version'], env);
    expect(r.status).toBe(0);
    expect(r.err).toBe('');
  });
});

describe('qosmark gen', () => {
  it('--format pcapng writes pcapng that mark reads and writes back as pcapng, with the packets of the pcap output', () => {
    const r1 = cli(['gen', '--packets', '3000', '--format', 'pcapng', '-o', file('g.pcapng'), '--json']);
    expect(r1.status).toBe(0);
    expect(JSON.parse(r1.out)).toMatchObject({ format: 'pcapng', packets: 3000 });
    expect(fs.readFileSync(file('g.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    expect(cli(['gen', '--packets', '3000', '-o', file('g.pcap'), '-q']).status).toBe(0);
    const a = JSON.parse(cli(['mark', file('g.pcapng'), '-o', file('m.pcapng'), '--json']).out);
    const b = JSON.parse(cli(['mark', file('g.pcap'), '-o', file('m.pcap'), '--json']).out);
    expect(a.format).toBe('pcapng');
    expect(fs.readFileSync(file('m.pcapng')).readUInt32LE(0)).toBe(0x0a0d0d0a);
    for (const key of ['packets', 'dscpChanged', 'cosChanged', 'classes']) expect(a[key], key).toEqual(b[key]);
  });

  it('refuses an unknown --format with one line naming it, exit 2', () => {
    const r = cli(['gen', '--packets', '10', '--format', 'erf', '-o', file('x.erf')]);
    expect(r.status).toBe(2);
    expect(r.errLines).toEqual(['qosmark: gen: --format: "erf": expected pcap or pcapng']);
    expect(fs.existsSync(file('x.erf'))).toBe(false);
  });
});

describe('every command’s help', () => {
  it.each(['mark', 'audit', 'policy', 'export', 'gen', 'bridge', 'probe', 'reflect', 'bench'])('qosmark %s --help and -h: its usage on stdout, exit 0, nothing done', (command) => {
    for (const flag of ['--help', '-h']) {
      const r = cli([command, flag]);
      expect(r.status, `${command} ${flag}`).toBe(0);
      expect(r.out).toMatch(new RegExp(`^usage: qosmark ${command}\\b`));
      expect(r.err).toBe('');
    }
    // `qosmark help COMMAND` is the same, as with git.
    expect(cli(['help', command]).out).toBe(cli([command, '--help']).out);
  });

  it.each(['show', 'check'])('qosmark policy %s --help: the policy usage, exit 0', (sub) => {
    const r = cli(['policy', sub, '--help']);
    expect([r.status, r.err]).toEqual([0, '']);
    expect(r.out).toMatch(/^usage: qosmark policy show/);
  });
});

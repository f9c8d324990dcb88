/** Several files in one run (worker threads): same bytes as one at a time, totals that add up. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(ROOT, 'dist/cli/main.js');
const FIX = path.join(ROOT, 'fixtures/pcaps');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qosmark-multi-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
const inputs = ['cupc-ports.pcap', 'fragments.pcap', 'ng-le-multi-if.pcapng'].map((f) => path.join(FIX, f));

describe('mark --out-dir with several files', () => {
  it('writes the same bytes as single runs and sums the summaries', () => {
    const dir = path.join(tmp, 'out');
    const r = run('mark', ...inputs, '--out-dir', dir, '--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.files).toHaveLength(3);
    let packets = 0;
    let dscpChanged = 0;
    for (const input of inputs) {
      const single = path.join(tmp, `single-${path.basename(input)}`);
      const s = run('mark', input, '-o', single, '--json');
      expect(s.status).toBe(0);
      const one = JSON.parse(s.stdout);
      packets += one.packets;
      dscpChanged += one.dscpChanged;
      expect(fs.readFileSync(path.join(dir, path.basename(input)))).toEqual(fs.readFileSync(single));
    }
    expect(doc.total.packets).toBe(packets);
    expect(doc.total.dscpChanged).toBe(dscpChanged);
    expect(doc.total.classes.voice.dscp).toBe(46);
  });

  it('reports a damaged file with one line and exit 2, after finishing the others', () => {
    const dir = path.join(tmp, 'out2');
    const r = run('mark', inputs[0], path.join(FIX, 'truncated-record.pcap'), '--out-dir', dir, '-q');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/truncated-record\.pcap: byte 377: /)]);
    expect(fs.statSync(path.join(dir, 'cupc-ports.pcap')).size).toBe(fs.statSync(inputs[0]).size);
  });

  it('a damaged file is reported the same whichever lane (worker thread or main thread) takes it', () => {
    for (const order of [
      [path.join(FIX, 'truncated-record.pcap'), inputs[0]],
      [inputs[0], path.join(FIX, 'truncated-record.pcap')],
    ]) {
      const dir = path.join(tmp, `out-order-${path.basename(order[0])}`);
      const r = run('mark', ...order, '--out-dir', dir, '-q');
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/truncated-record\.pcap: byte 377: /)]);
      expect(fs.readFileSync(path.join(dir, 'cupc-ports.pcap'))).toEqual(fs.readFileSync(path.join(tmp, 'single-cupc-ports.pcap')));
    }
  });

  it('every input failing (a missing file, an output that would be the input): one line each, exit 2, no crash', () => {
    const missing = path.join(tmp, 'no-such.pcap');
    const text = run('mark', missing, '--out-dir', path.join(tmp, 'o-missing'));
    expect(text.status).toBe(2);
    expect(text.stdout).toBe('qosmark mark: 0 files marked, 1 not (errors below)\n');
    expect(text.stderr).toBe(`qosmark: ${missing}: no such file or directory\n`);
    // The input's own directory as --out-dir: the output would be the input.
    const here = path.join(tmp, 'here');
    fs.mkdirSync(here, { recursive: true });
    const own = path.join(here, 'own.pcap');
    fs.copyFileSync(inputs[0], own);
    const refused = run('mark', own, missing, '--out-dir', here, '-q');
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n').sort()).toEqual(
      [`qosmark: mark: ${own}: output is the input file; refusing to overwrite it`, `qosmark: ${missing}: no such file or directory`].sort(),
    );
    expect(fs.readFileSync(own)).toEqual(fs.readFileSync(inputs[0]));
  });

  it('--json lists a file that could not be read with its error, in input order, beside the others', () => {
    const missing = path.join(tmp, 'no-such.pcap');
    const r = run('mark', missing, inputs[0], '--out-dir', path.join(tmp, 'o-json'), '--json');
    expect(r.status).toBe(2);
    const doc = JSON.parse(r.stdout);
    expect(doc.files.map((f: { input: string }) => f.input)).toEqual([missing, inputs[0]]);
    expect(doc.files[0]).toEqual({
      command: 'mark',
      input: missing,
      output: path.join(tmp, 'o-json', 'no-such.pcap'),
      error: { file: missing, offset: -1, message: 'no such file or directory' },
    });
    expect(doc.files[1].error).toBeNull();
    expect(doc.total.packets).toBe(doc.files[1].packets);
    const audit = JSON.parse(run('audit', missing, inputs[0], '--json').stdout);
    expect(audit.files[0]).toEqual({ command: 'audit', input: missing, error: { file: missing, offset: -1, message: 'no such file or directory' } });
    expect(audit.files[1].input).toBe(inputs[0]);
  });

  it('refuses several inputs without --out-dir, and two inputs with one name', () => {
    expect(run('mark', inputs[0], inputs[1], '-o', path.join(tmp, 'x.pcap')).status).toBe(2);
    const r = run('mark', inputs[0], inputs[0], '--out-dir', path.join(tmp, 'o3'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/both be written/);
  });
});

describe('audit with several files', () => {
  it('audits each and adds up the totals; exit 1 when any is mismarked', () => {
    const r = run('audit', ...inputs, '--json');
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.files.map((f: { input: string }) => f.input)).toEqual(inputs);
    const sum = doc.files.reduce((n: number, f: { mismarked: number }) => n + f.mismarked, 0);
    expect(doc.total.mismarked).toBe(sum);
    expect(doc.total.verdicts.ok).toBe(doc.files.reduce((n: number, f: { verdicts: { ok: number } }) => n + f.verdicts.ok, 0));
  });

  it('combines the diagnoses by kind and lists the top conversations over all files, each with its file', () => {
    type Diag = { id: string; packets: number; fix: string | null };
    type Conv = { mismarked: number; a: string; aPort: number };
    // The same file twice: every diagnosis doubles, and each conversation stands twice, once per file.
    const copy = path.join(tmp, 'copy-of-cupc-ports.pcap');
    fs.copyFileSync(inputs[0], copy);
    const r = run('audit', inputs[0], copy, '--json');
    const doc = JSON.parse(r.stdout);
    const single: { diagnoses: Diag[]; conversations: Conv[] } = doc.files[0];
    expect(single.diagnoses.length).toBeGreaterThan(0);
    expect(doc.total.diagnoses).toEqual(
      [...single.diagnoses]
        .sort((a, b) => b.packets - a.packets)
        .map((g) => ({ id: g.id, packets: 2 * g.packets, fix: g.fix, files: [inputs[0], copy] })),
    );
    const top: (Conv & { file: string })[] = doc.total.conversations;
    expect(top.length).toBe(Math.min(10, 2 * single.conversations.length));
    for (let i = 1; i < top.length; i++) expect(top[i].mismarked).toBeLessThanOrEqual(top[i - 1].mismarked);
    for (const { file, ...c } of top) {
      expect([inputs[0], copy]).toContain(file);
      expect(single.conversations).toContainEqual(c);
    }
    expect(top[0].mismarked).toBe(Math.max(...single.conversations.map((c) => c.mismarked)));
    const text = run('audit', inputs[0], copy).stdout;
    for (const g of single.diagnoses) expect(text).toContain(`  ${g.id}: ${(2 * g.packets).toLocaleString('en-US')} packets, in ${inputs[0]}, ${copy}`);
  });
});

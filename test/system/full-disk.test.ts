/**
 * System test: an output on a full disk. Each command writes into a small
 * tmpfs this file mounts (and unmounts), so the disk fills in the middle of a
 * write, which /dev/full (the unit tests' stand-in) cannot do. Whatever the
 * writer (the synchronous output, the write-behind thread, gen, the audit
 * packet log), the run must end with exit 2 and one line naming the output,
 * the byte where the write failed and how much the output keeps, and the
 * output must be cut back to its last whole record: byte for byte the start
 * of the output a run with room writes, and a capture capinfos reads to its
 * end (or JSON Lines that parse line by line).
 */
import { mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/proc.js';
import { ensureBuilt, QOSMARK_CLI } from './support/qosmark.js';
import { requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const unmetReason = unmet(requireRoot(), requireTools(['mount', 'umount', 'capinfos']));

/** 1 MiB for the synchronous writers; the write-behind thread writes 4.25 MiB slots, so it gets more room. */
const SMALL_DISK = '1m';
const THREAD_DISK = '30m';

const KEPT = /^qosmark: (.+): byte (\d+): cannot write: no space left on device \(the output keeps its first (\d+) bytes, up to the last whole record\)$/;

describe('an output on a full disk', () => {
  let work = '';
  const disks: string[] = [];
  const input: Record<string, string> = {};

  function qosmark(args: string[], env: NodeJS.ProcessEnv = {}) {
    return run(process.execPath, [QOSMARK_CLI, ...args], { check: false, timeoutMs: 120_000, env: { ...process.env, ...env } });
  }

  function smallDisk(name: string, size: string): string {
    const dir = join(work, name);
    mkdirSync(dir);
    run('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
    disks.push(dir);
    return dir;
  }

  /** Checks the one-line error and returns [failed-at byte, bytes kept]. */
  function expectCutBack(r: { status: number | null; stderr: string }, output: string): [number, number] {
    expect(r.status, r.stderr).toBe(2);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    const m = KEPT.exec(lines[0]);
    expect(m, lines[0]).not.toBeNull();
    expect(m![1]).toBe(output);
    const failedAt = Number(m![2]);
    const kept = Number(m![3]);
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(failedAt);
    expect(statSync(output).size).toBe(kept);
    return [failedAt, kept];
  }

  /** The output is the start of the one written with room, and capinfos reads it without a complaint. */
  function expectPrefixCapture(output: string, full: string): void {
    const got = readFileSync(output);
    expect(got.equals(readFileSync(full).subarray(0, got.length))).toBe(true);
    const info = run('capinfos', ['-c', output], { check: false, timeoutMs: 60_000 });
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr).toBe('');
    expect(Number(/Number of packets:\s+(\d+)/.exec(info.stdout)?.[1] ?? 0)).toBeGreaterThan(0);
  }

  beforeAll(() => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-full-disk-');
    for (const [name, packets, format] of [
      ['small.pcap', 30_000, 'pcap'],
      ['small.pcapng', 30_000, 'pcapng'],
      ['big.pcap', 600_000, 'pcap'],
    ] as const) {
      input[name] = join(work, name);
      const r = qosmark(['gen', '--packets', String(packets), '--format', format, '-o', input[name], '-q']);
      expect(r.status, r.stderr).toBe(0);
    }
  });

  afterAll(() => {
    for (const d of disks) run('umount', [d], { check: false });
    removeWorkDir(work);
  });

  it('mark (pcap and pcapng, synchronous writes): exit 2, one line, the output cut back to its last whole record', (ctx) => {
    skipOrFail(ctx, unmetReason);
    for (const name of ['small.pcap', 'small.pcapng']) {
      const full = join(work, `full-${name}`);
      expect(qosmark(['mark', input[name], '-o', full, '-q']).status).toBe(0);
      const disk = smallDisk(`disk-mark-${name}`, SMALL_DISK);
      const output = join(disk, name);
      const r = qosmark(['mark', input[name], '-o', output, '-q'], { QOSMARK_IO_THREADS: 'off' });
      expectCutBack(r, output);
      expectPrefixCapture(output, full);
    }
  });

  it('mark through the write-behind thread: the same, the file cut once the thread is done', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const full = join(work, 'full-big.pcap');
    expect(qosmark(['mark', input['big.pcap'], '-o', full, '-q']).status).toBe(0);
    const disk = smallDisk('disk-thread', THREAD_DISK);
    const output = join(disk, 'big.pcap');
    const r = qosmark(['mark', input['big.pcap'], '-o', output, '-q'], { QOSMARK_IO_THREADS: 'on' });
    const [failedAt] = expectCutBack(r, output);
    // The disk filled near its size, well past the first chunk: the thread wrote the slots before it.
    expect(failedAt).toBeGreaterThan(20 * 2 ** 20);
    expectPrefixCapture(output, full);
  });

  it('gen (pcap and pcapng): the same', (ctx) => {
    skipOrFail(ctx, unmetReason);
    for (const format of ['pcap', 'pcapng']) {
      const full = join(work, `full-gen.${format}`);
      expect(qosmark(['gen', '--packets', '30000', '--format', format, '-o', full, '-q']).status).toBe(0);
      const disk = smallDisk(`disk-gen-${format}`, SMALL_DISK);
      const output = join(disk, `g.${format}`);
      expectCutBack(qosmark(['gen', '--packets', '30000', '--format', format, '-o', output, '-q']), output);
      expectPrefixCapture(output, full);
    }
  });

  it('audit --packets: the log cut back to its last whole line', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const full = join(work, 'full.jsonl');
    expect(qosmark(['audit', input['small.pcap'], '--packets', full, '-q']).status).toBe(1);
    const disk = smallDisk('disk-audit', SMALL_DISK);
    const output = join(disk, 'p.jsonl');
    expectCutBack(qosmark(['audit', input['small.pcap'], '--packets', output, '-q']), output);
    const got = readFileSync(output);
    expect(got.equals(readFileSync(full).subarray(0, got.length))).toBe(true);
    const lines = got.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBeGreaterThan(0);
    lines.forEach((l, i) => expect(JSON.parse(l).frame).toBe(i + 1));
    rmSync(output);
  });
});

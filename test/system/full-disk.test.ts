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
import { mkdirSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/proc.js';
import { ensureBuilt, QOSMARK_CLI } from './support/qosmark.js';
import { requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';
import { WriteBehindOutput } from '../../src/io/write-behind.js';

/** `records` pcap records of 1 KiB each (little-endian, µs), after the 24-byte file header when `first`. */
function pcapChunk(first: boolean, records: number): Uint8Array {
  const b = Buffer.alloc((first ? 24 : 0) + records * 1024, 0xab);
  let p = 0;
  if (first) {
    b.fill(0, 0, 24);
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeUInt32LE(65535, 16);
    b.writeUInt32LE(1, 20);
    p = 24;
  }
  for (let i = 0; i < records; i++, p += 1024) {
    b.writeUInt32LE(i, p);
    b.writeUInt32LE(0, p + 4);
    b.writeUInt32LE(1008, p + 8);
    b.writeUInt32LE(1008, p + 12);
  }
  return b;
}

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

  const references = new Map<string, string>();
  /** The output of `args(output)` written with room (once per key): what a run on a full disk must keep the start of. */
  function reference(key: string, args: (output: string) => string[], status = 0): string {
    let full = references.get(key);
    if (full === undefined) {
      full = join(work, `full-${key}`);
      expect(qosmark(args(full)).status).toBe(status);
      references.set(key, full);
    }
    return full;
  }
  const markArgs = (name: string) => (output: string) => ['mark', input[name], '-o', output, '-q'];
  const genArgs = (format: string) => (output: string) => ['gen', '--packets', '30000', '--format', format, '-o', output, '-q'];

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
      const full = reference(name, markArgs(name));
      const output = join(smallDisk(`disk-mark-${name}`, SMALL_DISK), name);
      expectCutBack(qosmark(markArgs(name)(output), { QOSMARK_IO_THREADS: 'off' }), output);
      expectPrefixCapture(output, full);
    }
  });

  it('mark through the write-behind thread: the same, the file cut once the thread is done', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const full = reference('big.pcap', markArgs('big.pcap'));
    const output = join(smallDisk('disk-thread', THREAD_DISK), 'big.pcap');
    const [failedAt] = expectCutBack(qosmark(markArgs('big.pcap')(output), { QOSMARK_IO_THREADS: 'on' }), output);
    // The disk filled near its size, well past the first chunk: the thread wrote the slots before it.
    expect(failedAt).toBeGreaterThan(20 * 2 ** 20);
    expectPrefixCapture(output, full);
  });

  it('mark through the write-behind thread on a disk that fills before the thread has started: still a whole-record prefix', (ctx) => {
    skipOrFail(ctx, unmetReason);
    // The thread takes tens of milliseconds to start; meanwhile the first chunks wait in its slots
    // and later ones are written directly, further on in the file. Whichever fills the disk, the
    // output must be a prefix of whole records, never a file with a hole where the slots were.
    const full = reference('big.pcap', markArgs('big.pcap'));
    for (let i = 0; i < 3; i++) {
      const output = join(smallDisk(`disk-early-${i}`, '8m'), 'big.pcap');
      expectCutBack(qosmark(markArgs('big.pcap')(output), { QOSMARK_IO_THREADS: 'on' }), output);
      expectPrefixCapture(output, full);
    }
  });

  it('WriteBehindOutput, the disk filled by direct writes while the slots wait for the thread to start', (ctx) => {
    skipOrFail(ctx, unmetReason);
    // 64 KiB slots, and 1,000 chunks of whole 1 KiB pcap records written at once: the thread has
    // not started by the time the three slots are full, so the later chunks are written directly,
    // further on, and they fill the disk first.
    const disk = smallDisk('disk-wb-direct', SMALL_DISK);
    const output = join(disk, 'o.pcap');
    const expected: Uint8Array[] = [];
    const out = new WriteBehindOutput(openSync(output, 'w'), output, true, 64 * 1024, 3);
    let message = '';
    try {
      for (let i = 0; i < 1000; i++) {
        const c = pcapChunk(i === 0, 64);
        expected.push(c);
        out.write(c, 0, c.length);
      }
    } catch (err) {
      message = (err as Error).message;
    }
    expect(() => out.close()).not.toThrow();
    const m = KEPT.exec(`qosmark: ${message}`);
    expect(m, message).not.toBeNull();
    const got = readFileSync(output);
    expect(got.length).toBe(Number(m![3]));
    expect(got.length).toBeGreaterThan(24);
    expect(Buffer.concat(expected).subarray(0, got.length).equals(got)).toBe(true);
    expect((got.length - 24) % 1024).toBe(0);
  });

  it('gen (pcap and pcapng): the same', (ctx) => {
    skipOrFail(ctx, unmetReason);
    for (const format of ['pcap', 'pcapng']) {
      const full = reference(`gen.${format}`, genArgs(format));
      const output = join(smallDisk(`disk-gen-${format}`, SMALL_DISK), `g.${format}`);
      expectCutBack(qosmark(genArgs(format)(output)), output);
      expectPrefixCapture(output, full);
    }
  });

  it('audit --packets: the log cut back to its last whole line', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const auditArgs = (output: string) => ['audit', input['small.pcap'], '--packets', output, '-q'];
    const full = reference('audit.jsonl', auditArgs, 1);
    const output = join(smallDisk('disk-audit', SMALL_DISK), 'p.jsonl');
    expectCutBack(qosmark(auditArgs(output)), output);
    const got = readFileSync(output);
    expect(got.equals(readFileSync(full).subarray(0, got.length))).toBe(true);
    const lines = got.toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBeGreaterThan(0);
    lines.forEach((l, i) => expect(JSON.parse(l).frame).toBe(i + 1));
    rmSync(output);
  });
});

// Guards the golden fixtures in fixtures/pcaps: regenerating them must give
// byte-identical files, and every capture must hold exactly the records its
// expected JSON lists (checked with a tiny pcap reader and a tiny pcapng block
// scanner that are independent of both qosmark and the generator).
import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const script = join(repo, 'scripts', 'gen-fixtures.mjs');
const committed = join(repo, 'fixtures', 'pcaps');
const MAX_RECORD = 256 * 1024;

interface Expected {
  file: string;
  linktype: number | null;
  byteOrder: 'le' | 'be' | null;
  tsResolution: 'us' | 'ns' | null;
  snaplen: number | null;
  error: { offset: number; what: string } | null;
  packets: Array<{ frame: number; status: string }>;
  totals: { packets: number };
}

interface PcapRecord { offset: number; incl: number; orig: number }
interface PcapScan {
  header: { le: boolean; ns: boolean; snaplen: number; linktype: number } | null;
  records: PcapRecord[];
  errorOffset: number | null;
}

function scanPcap(buf: Buffer): PcapScan {
  if (buf.length < 24) return { header: null, records: [], errorOffset: 0 };
  const magics: Record<number, { le: boolean; ns: boolean }> = {
    0xa1b2c3d4: { le: true, ns: false },
    0xa1b23c4d: { le: true, ns: true },
    0xd4c3b2a1: { le: false, ns: false },
    0x4d3cb2a1: { le: false, ns: true },
  };
  const m = magics[buf.readUInt32LE(0)];
  if (!m) return { header: null, records: [], errorOffset: 0 };
  const u32 = (o: number) => (m.le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const header = { ...m, snaplen: u32(16), linktype: u32(20) };
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) return { header, records, errorOffset: off };
    const incl = u32(off + 8);
    if (incl > MAX_RECORD || off + 16 + incl > buf.length) return { header, records, errorOffset: off };
    records.push({ offset: off, incl, orig: u32(off + 12) });
    off += 16 + incl;
  }
  return { header, records, errorOffset: null };
}

// Subfolders (fixtures/pcaps/sip) belong to their own generators.
const committedFiles = readdirSync(committed, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name).sort();
const pcaps = committedFiles.filter((f) => f.endsWith('.pcap'));
const pcapngs = committedFiles.filter((f) => f.endsWith('.pcapng'));

interface NgScan {
  sections: { byteOrder: 'le' | 'be'; interfaces: { linktype: number; snaplen: number }[] }[];
  packets: { block: 'epb' | 'opb' | 'spb'; section: number; interface: number; capLen: number; origLen: number }[];
  errorOffset: number | null;
}

/** Walks pcapng blocks (draft-ietf-opsawg-pcapng); stops at the first damaged one. */
function scanPcapng(buf: Buffer): NgScan {
  const scan: NgScan = { sections: [], packets: [], errorOffset: null };
  let le = true;
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u16 = (o: number) => (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  let off = 0;
  for (; off < buf.length; ) {
    if (off + 12 > buf.length) break;
    if (buf.readUInt32LE(off) === 0x0a0d0d0a) {
      if (buf.readUInt32LE(off + 8) === 0x1a2b3c4d) le = true;
      else if (buf.readUInt32BE(off + 8) === 0x1a2b3c4d) le = false;
      else break;
      scan.sections.push({ byteOrder: le ? 'le' : 'be', interfaces: [] });
    }
    const sec = scan.sections[scan.sections.length - 1];
    const type = u32(off);
    const len = u32(off + 4);
    if (!sec || len < 12 || len % 4 !== 0 || off + len > buf.length || u32(off + len - 4) !== len) break;
    const section = scan.sections.length - 1;
    if (type === 1) sec.interfaces.push({ linktype: u16(off + 8), snaplen: u32(off + 12) });
    else if (type === 6 || type === 2) {
      const iface = type === 6 ? u32(off + 8) : u16(off + 8);
      if (iface >= sec.interfaces.length) break;
      scan.packets.push({ block: type === 6 ? 'epb' : 'opb', section, interface: iface, capLen: u32(off + 20), origLen: u32(off + 24) });
    } else if (type === 3) {
      if (sec.interfaces.length === 0) break;
      const origLen = u32(off + 8);
      const snap = sec.interfaces[0].snaplen || Infinity;
      scan.packets.push({ block: 'spb', section, interface: 0, capLen: Math.min(origLen, snap, len - 16), origLen });
    }
    off += len;
  }
  if (off < buf.length) scan.errorOffset = off;
  return scan;
}

describe('fixture generator', () => {
  it('regenerates byte-identical fixtures with no file missing or extra', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'qosmark-fixtures-'));
    try {
      const run = spawnSync(process.execPath, [script, tmp], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const generated = readdirSync(tmp).sort();
      expect(generated).toEqual(committedFiles);
      expect(run.stdout.trim().split('\n')).toHaveLength(generated.length);
      for (const f of generated) {
        const same = readFileSync(join(tmp, f)).equals(readFileSync(join(committed, f)));
        expect(same, `${f} differs from the committed copy`).toBe(true);
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('has an expected JSON for every capture and vice versa', () => {
    const jsons = committedFiles.filter((f) => f.endsWith('.expected.json'));
    const captureOf = (f: string) => JSON.parse(readFileSync(join(committed, f), 'utf8')).file as string;
    jsons.forEach((f) => expect(captureOf(f).replace(/\.pcap(ng)?$/, '.expected.json')).toBe(f));
    expect(jsons.map(captureOf).sort()).toEqual([...pcaps, ...pcapngs].sort());
    expect(pcaps.length).toBeGreaterThan(20);
  });

  describe.each(pcaps)('%s', (file) => {
    const buf = readFileSync(join(committed, file));
    const exp = JSON.parse(readFileSync(join(committed, file.replace(/\.pcap$/, '.expected.json')), 'utf8')) as Expected;
    const scan = scanPcap(buf);

    it('record count and error offset match the expected JSON', () => {
      expect(exp.file).toBe(file);
      expect(scan.records).toHaveLength(exp.packets.length);
      expect(exp.totals.packets).toBe(exp.packets.length);
      expect(exp.packets.map((p) => p.frame)).toEqual(exp.packets.map((_, i) => i + 1));
      expect(scan.errorOffset).toBe(exp.error ? exp.error.offset : null);
    });

    it('global header matches the expected JSON', () => {
      if (exp.linktype === null) {
        expect(scan.header).toBeNull();
        return;
      }
      expect(scan.header).toEqual({
        le: exp.byteOrder === 'le',
        ns: exp.tsResolution === 'ns',
        snaplen: exp.snaplen,
        linktype: exp.linktype,
      });
    });

    it('"truncated" frames are cut by the snap length and others are captured whole', () => {
      scan.records.forEach((r, i) => {
        const status = exp.packets[i].status;
        if (status === 'truncated') expect(r.incl, `frame ${i + 1}`).toBeLessThan(r.orig);
        if (status === 'malformed' || status === 'not-ip') expect(r.incl, `frame ${i + 1}`).toBe(r.orig);
      });
    });
  });
});

describe.each(pcapngs)('%s', (file) => {
  const buf = readFileSync(join(committed, file));
  const exp = JSON.parse(readFileSync(join(committed, file.replace(/\.pcapng$/, '.expected.json')), 'utf8')) as Omit<Expected, 'packets'> & {
    format: string;
    sections: { byteOrder: string; interfaces: { linktype: number; snaplen: number }[] }[];
    packets: Array<{ frame: number; status: string; block: string; section: number; interface: number; capLen: number; origLen: number }>;
  };
  const scan = scanPcapng(buf);

  it('packet blocks and error offset match the expected JSON', () => {
    expect(exp.file).toBe(file);
    expect(exp.format).toBe('pcapng');
    expect(exp.totals.packets).toBe(exp.packets.length);
    expect(exp.packets.map((p) => p.frame)).toEqual(exp.packets.map((_, i) => i + 1));
    expect(scan.errorOffset).toBe(exp.error ? exp.error.offset : null);
    expect(scan.packets).toEqual(
      exp.packets.map((p) => ({ block: p.block, section: p.section, interface: p.interface, capLen: p.capLen, origLen: p.origLen })),
    );
  });

  it('sections and interfaces match the expected JSON', () => {
    expect(scan.sections.slice(0, exp.sections.length)).toEqual(
      exp.sections.map((s) => ({ byteOrder: s.byteOrder, interfaces: s.interfaces.map((i) => ({ linktype: i.linktype, snaplen: i.snaplen })) })),
    );
  });

  it('"truncated" frames are cut and others are captured whole', () => {
    scan.packets.forEach((r, i) => {
      const status = exp.packets[i].status;
      if (status === 'truncated') expect(r.capLen, `frame ${i + 1}`).toBeLessThan(r.origLen);
      if (status === 'malformed' || status === 'not-ip') expect(r.capLen, `frame ${i + 1}`).toBe(r.origLen);
    });
  });
});

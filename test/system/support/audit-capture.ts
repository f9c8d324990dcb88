/**
 * Captures for the audit system tests: the golden fixtures, and a large
 * generated capture.
 *
 * The large capture comes from qosmark's deterministic generator: the CLI
 * (`qosmark gen`) when the build has it, else the library's generateToFile
 * (dist/gen/generate.js). Only when neither exists is it made by replicating
 * the Ethernet fixtures' frames (1 ms apart) up to the requested count; the
 * returned `source` says which was used.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readPcap, writeEthernetPcap } from './pcap-file.js';
import { QOSMARK_CLI, REPO_ROOT, qosmark } from './qosmark.js';

export const FIXTURES = join(REPO_ROOT, 'fixtures/pcaps');

export interface CaptureFixture {
  /** Path relative to fixtures/pcaps, e.g. sip/sip-tcp-v4.pcap. */
  name: string;
  file: string;
}

/**
 * fixtures/pcaps/*.pcap|*.pcapng and fixtures/pcaps/sip/*.pcap|*.pcapng, except
 * error fixtures (an *.expected.json whose "error" is not null: files qosmark
 * must refuse part-way).
 */
export function auditFixtures(): CaptureFixture[] {
  const out: CaptureFixture[] = [];
  for (const dir of ['', 'sip']) {
    const abs = join(FIXTURES, dir);
    if (!existsSync(abs)) continue;
    for (const f of readdirSync(abs).sort()) {
      const m = /^(.*)\.(pcap|pcapng)$/.exec(f);
      if (m === null) continue;
      const json = join(abs, `${m[1]}.expected.json`);
      if (existsSync(json)) {
        const expected = JSON.parse(readFileSync(json, 'utf8')) as { error?: unknown };
        if (expected.error !== undefined && expected.error !== null) continue;
      }
      out.push({ name: dir === '' ? f : `${dir}/${f}`, file: join(abs, f) });
    }
  }
  return out;
}

export interface GeneratedCapture {
  file: string;
  packets: number;
  source: string;
}


/** Writes a large capture of `packets` packets to `file` (see the file comment). */
export async function generateCapture(file: string, packets: number, profile: string, seed: number): Promise<GeneratedCapture> {
  const cli = qosmark(['gen', '--packets', String(packets), '-o', file, '--profile', profile, '--seed', String(seed), '-q'], 120_000);
  if (cli.status === 0 && existsSync(file)) return { file, packets, source: `qosmark gen --profile ${profile} --seed ${seed}` };
  const unknownCommand = /unknown command/.test(cli.stderr);
  if (!unknownCommand) throw new Error(`qosmark gen failed (exit ${cli.status}): ${cli.stderr.trim()}`);
  const lib = join(QOSMARK_CLI, '../../gen/generate.js');
  if (existsSync(lib)) {
    const mod = (await import(pathToFileURL(lib).href)) as {
      generateToFile?: (o: { packets: number; profile: string; seed: number; output: string }) => unknown;
    };
    if (typeof mod.generateToFile === 'function') {
      mod.generateToFile({ packets, profile, seed, output: file });
      return { file, packets, source: `generateToFile (dist/gen/generate.js) profile ${profile} seed ${seed}; the CLI has no gen command yet` };
    }
  }
  // Fallback: the Ethernet fixtures' frames, replicated.
  const frames: Buffer[] = [];
  for (const fx of auditFixtures()) {
    if (!fx.file.endsWith('.pcap')) continue;
    const pcap = readPcap(readFileSync(fx.file));
    if (pcap.linkType === 1) frames.push(...pcap.records.map((r) => Buffer.from(r.data)));
  }
  if (frames.length === 0) throw new Error('no generator and no Ethernet fixtures to replicate');
  writeEthernetPcap(file, Array.from({ length: packets }, (_, i) => frames[i % frames.length]));
  return { file, packets, source: `fixture frames replicated (${frames.length} distinct); no generator in the build` };
}

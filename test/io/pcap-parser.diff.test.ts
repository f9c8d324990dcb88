/**
 * Differential test of the classic-pcap reader against an independent one,
 * the `pcap-parser` npm package: the same files must yield the same records
 * (timestamps, captured and original lengths, bytes), in order.
 *
 * pcap-parser knows only the microsecond magic. For nanosecond files it is
 * fed a copy whose magic says microseconds; it then reports the raw fraction,
 * which must equal qosmark's nanoseconds.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { generateToBuffer } from '../../src/gen/generate.js';
import { ByteInput } from '../../src/io/byte-stream.js';
import { streamCapture } from '../../src/io/capture-file.js';
import type { FrameHandler } from '../../src/io/frame-handler.js';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(input: string): NodeJS.EventEmitter };

const FIXTURES = path.resolve(__dirname, '../../fixtures/pcaps');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'qosmark-pcap-parser-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Rec {
  sec: number;
  frac: number;
  capLen: number;
  wireLen: number;
  data: string;
}

function readWithQosmark(file: string): Rec[] {
  const recs: Rec[] = [];
  const handler: FrameHandler = {
    handle(buf, off, capLen, wireLen, _linkType, tsSec, tsNsec) {
      recs.push({ sec: tsSec, frac: tsNsec, capLen, wireLen, data: Buffer.from(buf.subarray(off, off + capLen)).toString('hex') });
    },
  };
  const input = ByteInput.open(file);
  try {
    streamCapture(input, null, handler);
  } finally {
    input.close();
  }
  return recs;
}

function readWithPcapParser(file: string, fracScale: number): Promise<Rec[]> {
  return new Promise((resolve, reject) => {
    const recs: Rec[] = [];
    const parser = pcapParser.parse(file);
    parser.on('packet', (p: { header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number }; data: Buffer }) => {
      recs.push({
        sec: p.header.timestampSeconds,
        frac: p.header.timestampMicroseconds * fracScale,
        capLen: p.header.capturedLength,
        wireLen: p.header.originalLength,
        data: p.data.toString('hex'),
      });
    });
    parser.on('end', () => resolve(recs));
    parser.on('error', reject);
  });
}

/** pcap-parser's view of a file: nanosecond magics rewritten to microseconds, fraction kept raw. */
function forPcapParser(file: string): { file: string; fracScale: number } {
  const bytes = fs.readFileSync(file);
  const le = bytes.readUInt32LE(0);
  const be = bytes.readUInt32BE(0);
  if (le !== 0xa1b23c4d && be !== 0xa1b23c4d) return { file, fracScale: 1000 };
  const copy = Buffer.from(bytes);
  if (le === 0xa1b23c4d) copy.writeUInt32LE(0xa1b2c3d4, 0);
  else copy.writeUInt32BE(0xa1b2c3d4, 0);
  const out = path.join(tmp, `us-${path.basename(file)}`);
  fs.writeFileSync(out, copy);
  return { file: out, fracScale: 1 };
}

const classic = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.pcap'))
  .filter((f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f.replace(/\.pcap$/, '.expected.json')), 'utf8')).error === null);

describe('qosmark reader vs pcap-parser', () => {
  it('covers the classic fixtures', () => expect(classic.length).toBeGreaterThanOrEqual(15));

  for (const name of classic) {
    it(`${name}: same records`, async () => {
      const file = path.join(FIXTURES, name);
      const peer = forPcapParser(file);
      const theirs = await readWithPcapParser(peer.file, peer.fracScale);
      expect(readWithQosmark(file)).toEqual(theirs);
    });
  }

  for (const profile of ['cupc', 'worst-case'] as const) {
    it(`a generated ${profile} capture of 20,000 packets: same records`, async () => {
      const { pcap } = generateToBuffer({ packets: 20_000, profile, seed: 11, vlan: 100, wrongMarks: 0.3 });
      const file = path.join(tmp, `${profile}.pcap`);
      fs.writeFileSync(file, pcap);
      const ours = readWithQosmark(file);
      const theirs = await readWithPcapParser(file, 1000);
      expect(ours.length).toBe(20_000);
      expect(ours).toEqual(theirs);
    });
  }
});

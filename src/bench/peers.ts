/**
 * Reading a capture in this process: qosmark's reader against the
 * `pcap-parser` npm package (a devDependency: absent from a production
 * install, and then skipped).
 */
import { ByteInput } from '../io/byte-stream.js';
import { openCapture } from '../io/capture-file.js';
import type { FrameHandler } from '../io/frame-handler.js';
import type { Pipeline } from '../engine/pipeline.js';

class CountFrames implements FrameHandler {
  frames = 0;
  bytes = 0;
  handle(_buf: Uint8Array, _off: number, capLen: number): void {
    this.frames++;
    this.bytes += capLen;
  }
}

/** Streams the whole file through qosmark's reader; returns the frames and the seconds. */
export function qosmarkRead(file: string, pipeline: Pipeline | null = null): { frames: number; seconds: number } {
  const t0 = process.hrtime.bigint();
  const input = ByteInput.open(file);
  try {
    const handler = pipeline ?? new CountFrames();
    const frames = openCapture(input).stream(null, handler);
    return { frames, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
  } finally {
    input.close();
  }
}

interface PcapParserModule {
  parse(input: string): {
    on(event: 'packet', f: (packet: { header: unknown; data: Uint8Array }) => void): unknown;
    on(event: 'end', f: () => void): unknown;
    on(event: 'error', f: (err: Error) => void): unknown;
  };
}

/** The pcap-parser module, or null with the reason when it cannot be loaded. */
export async function loadPcapParser(): Promise<{ mod: PcapParserModule | null; version: string | null; reason: string | null }> {
  const name = 'pcap-parser';
  try {
    const ns = (await import(name)) as { default?: PcapParserModule } & Partial<PcapParserModule>;
    const mod = (ns.default ?? ns) as PcapParserModule;
    if (typeof mod.parse !== 'function') return { mod: null, version: null, reason: 'pcap-parser has no parse()' };
    let version: string | null = null;
    try {
      const { createRequire } = await import('node:module');
      const require = createRequire(import.meta.url);
      version = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      // the version is only informative
    }
    return { mod, version, reason: null };
  } catch (err) {
    return { mod: null, version: null, reason: `pcap-parser not installed (${(err as Error).message.split('\n')[0]}); it is a devDependency` };
  }
}

/** Reads the whole file with pcap-parser, counting 'packet' events. */
export function pcapParserRead(mod: PcapParserModule, file: string): Promise<{ frames: number; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let frames = 0;
    const parser = mod.parse(file);
    parser.on('packet', () => {
      frames++;
    });
    parser.on('error', reject);
    parser.on('end', () => resolve({ frames, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

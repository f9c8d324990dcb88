/** Pieces of the live bridge that need no interfaces: metrics address parsing, ss drop parsing. */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/cli/bridge-metrics.js';
import { LivePort, type CapModule } from '../../src/io/live-cap.js';
import { ReceiveDrops, parseProcNetDev } from '../../src/io/live-drops.js';

describe('parseListenAddress', () => {
  it('defaults to loopback and takes an explicit address', () => {
    expect(parseListenAddress('9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress(':9464')).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(parseListenAddress('0.0.0.0:80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(parseListenAddress('[::1]:9464')).toEqual({ host: '::1', port: 9464 });
    expect(parseListenAddress('localhost:0')).toEqual({ host: 'localhost', port: 0 });
  });
  it('refuses what is not an address and port', () => {
    for (const bad of ['', 'x', '70000', '1.2.3.4', '::1:80', 'a:b']) expect(() => parseListenAddress(bad), bad).toThrow(/--metrics/);
  });
});

describe('receive drops from /proc/net/dev', () => {
  const dev = (qmb0: number, qmb1: number) =>
    [
      'Inter-|   Receive                                                |  Transmit',
      ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
      `    lo:       0       0    0    0    0     0          0         0        0       0    0    0    0     0       0          0`,
      `  qmb0: 9036000   ${qmb0}    0    0    0     0          0         0        0       0    0    0    0     0       0          0`,
      `  qmb1:       0   ${qmb1}    0    0    0     0          0         0 17600000   88000    0    0    0     0       0          0`,
    ].join('\n');
  it('reads received packets per interface', () => {
    expect([...parseProcNetDev(dev(88000, 3))]).toEqual([
      ['lo', 0],
      ['qmb0', 88000],
      ['qmb1', 3],
    ]);
  });
  it('counts frames received since start that were not read', () => {
    const r = new ReceiveDrops();
    // start() reads the live file; give it a known base through drops() arithmetic instead.
    (r as unknown as { base: Map<string, number> }).base.set('qmb0', 1000);
    expect(r.drops('qmb0', 86000, parseProcNetDev(dev(88000, 0)))).toBe(1000);
    expect(r.drops('qmb0', 87000, parseProcNetDev(dev(88000, 0)))).toBe(0);
    expect(r.drops('qmb0', 87500, parseProcNetDev(dev(88000, 0)))).toBe(0); // more read than counted (a race at start): 0
    expect(r.drops('qmb0', 0, parseProcNetDev(dev(500, 0)))).toBeNull(); // counter went backwards
    expect(r.drops('qmb1', 0, parseProcNetDev(dev(0, 0)))).toBeNull(); // never started
  });
});

describe('LivePort: frames go straight to the callback, not through EventEmitter', () => {
  /**
   * Stands in for cap's binding: its constructor takes `emit` from the object
   * under construction, as binding.cc does, and `deliver` calls it the way
   * EmitPacket does ('packet', length, truncated).
   */
  class FakeCap extends EventEmitter {
    static deviceList(): { name: string }[] {
      return [];
    }
    private readonly emitAtConstruction: (type: string, ...args: unknown[]) => boolean;
    sent: number[] = [];
    constructor() {
      super();
      this.emitAtConstruction = this.emit;
    }
    open(): string {
      return 'ETHERNET';
    }
    close(): boolean {
      return true;
    }
    send(_buf: Buffer, n?: number): void {
      this.sent.push(n ?? -1);
    }
    deliver(n: number, truncated: boolean): boolean {
      return this.emitAtConstruction.call(this, 'packet', n, truncated);
    }
  }
  const cap = { Cap: FakeCap } as unknown as CapModule;

  it('calls the frame callback with the length and truncation flag; other events still reach listeners', () => {
    const port = new LivePort(cap, 'eth9');
    const seen: [number, boolean][] = [];
    port.start('', 1 << 20, (n, t) => seen.push([n, t]));
    const fake = port.handle as unknown as FakeCap;
    let viaEmitter = 0;
    fake.on('packet', () => viaEmitter++);
    expect(fake.deliver(60, false)).toBe(true);
    expect(fake.deliver(1514, true)).toBe(true);
    expect(seen).toEqual([
      [60, false],
      [1514, true],
    ]);
    expect(viaEmitter).toBe(0);
    let other = 0;
    fake.on('other', () => other++);
    fake.emit('other');
    expect(other).toBe(1);
    port.send(Buffer.alloc(10), 7);
    expect(fake.sent).toEqual([7]);
  });

  it('a port started without a callback (send only) hands frames to EventEmitter listeners, if any', () => {
    const port = new LivePort(cap, 'eth9');
    port.start('less 1', 1 << 20, null);
    const fake = port.handle as unknown as FakeCap;
    let n = 0;
    fake.on('packet', () => n++);
    fake.deliver(60, false);
    expect(n).toBe(1);
  });
});

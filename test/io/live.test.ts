/** Pieces of the live bridge that need no interfaces: metrics address parsing, ss drop parsing. */
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/cli/bridge-metrics.js';
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

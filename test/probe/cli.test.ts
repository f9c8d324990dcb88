import { describe, expect, it } from 'vitest';
import { runProbe, runReflect, splitHostPort } from '../../src/cli/probe.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('probe and reflect command lines', () => {
  it('usage mistakes are one-line UsageErrors, before any socket is opened', async () => {
    for (const [argv, msg] of [
      [[], /^probe: expected one HOST, got 0/],
      [['a', 'b'], /^probe: expected one HOST, got 2/],
      [['192.0.2.1', '--max-hops', '0'], /^probe: --max-hops: "0": expected a positive whole number up to 255$/],
      [['192.0.2.1', '--tries', '1.5'], /^probe: --tries: "1.5"/],
      [['192.0.2.1', '--wait', 'soon'], /^probe: --wait: "soon"/],
      [['192.0.2.1', '--classes', 'voice,bogus'], /^probe: --classes: unknown class "bogus" \(the policy has voice, video, signalling, data\)$/],
      [['192.0.2.1', '--classes', 'data'], /^probe: --classes: class "data" keeps DSCP/],
      [['192.0.2.1', '--reflector', 'host:notaport'], /^probe: --reflector: "host:notaport"/],
      [['192.0.2.1', '--bogus'], /^probe: unknown option '--bogus'$/],
    ] as [string[], RegExp][]) {
      const err = await runProbe(argv).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((err as Error).message.split('\n')[0]).toMatch(msg);
    }
    await expect(runReflect(['--listen', 'nowhere'])).rejects.toThrow(/^reflect: --listen: "nowhere"/);
  });

  it('splits HOST[:PORT], bracketed and bare IPv6', () => {
    expect(splitHostPort('192.0.2.50:862', 1)).toEqual({ host: '192.0.2.50', port: 862 });
    expect(splitHostPort('192.0.2.50', 862)).toEqual({ host: '192.0.2.50', port: 862 });
    expect(splitHostPort('[2001:db8::2]:9000', 862)).toEqual({ host: '2001:db8::2', port: 9000 });
    expect(splitHostPort('2001:db8::2', 862)).toEqual({ host: '2001:db8::2', port: 862 });
    expect(splitHostPort('[::]', 862)).toEqual({ host: '::', port: 862 });
    expect(splitHostPort('host:0', 862)).toBeNull();
    expect(splitHostPort(':862', 862)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { parseCommandLine, UsageError } from '../../src/cli/usage-error.js';

/** The complaint parseCommandLine raises for `args` (the first line of the UsageError). */
function complaint(args: string[], allowPositionals = true): string {
  try {
    parseCommandLine({ args, allowPositionals, options: { output: { type: 'string', short: 'o' }, quiet: { type: 'boolean', short: 'q' } } }, 'mark', 'usage: qosmark mark ...');
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const [first, ...rest] = (err as Error).message.split('\n');
    expect(rest).toEqual(['usage: qosmark mark ...']);
    return first;
  }
  throw new Error('no usage error');
}

describe('parseCommandLine turns parseArgs failures into one short line', () => {
  it('an unknown option, without parseArgs\' advice on --', () => {
    expect(complaint(['in.pcap', '--frob'])).toBe("mark: unknown option '--frob'");
    expect(complaint(['-x'])).toBe("mark: unknown option '-x'");
  });

  it('an option without its value', () => {
    expect(complaint(['in.pcap', '-o'])).toBe("mark: option '-o, --output <value>' argument missing");
  });

  it('a forgotten value, or a value that starts with a dash: both readings, on one line', () => {
    const both = (opt: string, form: string) =>
      `mark: option '${opt}' argument is ambiguous. Did you forget to specify the option argument for '${opt}'? ` +
      `To specify an option argument starting with a dash use ${form}.`;
    expect(complaint(['--output', '-x'])).toBe(both('--output', "'--output=-XYZ'"));
    expect(complaint(['-o', '--quiet'])).toBe(both('-o', "'--output=-XYZ' or '-o-XYZ'"));
  });

  it('a negative number after a long option that takes a value is its value (the option\'s own check judges it)', () => {
    const parse = (args: string[]) =>
      parseCommandLine({ args, allowPositionals: true, options: { packets: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } } }, 'gen');
    expect(parse(['--packets', '-5', 'x']).values.packets).toBe('-5');
    expect(parse(['--packets', '-0.5']).values.packets).toBe('-0.5');
    expect(parse(['--packets=-5']).values.packets).toBe('-5');
    // After --, everything is positional, as parseArgs has it.
    expect(parse(['--', '--packets', '-5']).positionals).toEqual(['--packets', '-5']);
    // Not a number: still the ambiguity parseArgs reports.
    expect(() => parse(['--packets', '-q'])).toThrow(/argument is ambiguous/);
  });

  it('a positional argument where none is taken', () => {
    expect(complaint(['in.pcap'], false)).toMatch(/^mark: unexpected argument 'in\.pcap'/);
  });

  it('good arguments parse', () => {
    const r = parseCommandLine({ args: ['a', '-q'], allowPositionals: true, options: { quiet: { type: 'boolean', short: 'q' } } }, 'mark');
    expect(r.positionals).toEqual(['a']);
    expect(r.values.quiet).toBe(true);
  });
});

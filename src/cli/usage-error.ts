import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: reported as one line, exit status 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Turns node:util parseArgs failures into one-line usage errors. */
function asUsageError(err: unknown, command: string, usage?: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    const complaint = `${command}: ${parseArgsComplaint((err as Error).message)}`;
    return new UsageError(usage === undefined ? complaint : `${complaint}\n${usage}`);
  }
  return err;
}

/**
 * parseArgs' message as one short line in the style of the others: its first
 * line, without the advice on `--` that follows an unknown option (which reads
 * as if the user had meant a file name), starting in lower case.
 */
export function parseArgsComplaint(message: string): string {
  const lines = message.split('\n');
  // `-o --json` (a forgotten value) or `--packets -5` (a value that starts with a dash):
  // parseArgs' three lines say both, and both are kept, on one line.
  const text = lines[0].endsWith('argument is ambiguous.') ? lines.join(' ') : lines[0].replace(/\. To specify a positional argument.*$/, '');
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** parseArgs for a command, its failures turned into one-line usage errors. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, command: string, usage?: string): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs({ ...config, args: joinNegativeValues(config) } as T) as ReturnType<typeof parseArgs<T>>;
  } catch (err) {
    throw asUsageError(err, command, usage);
  }
}

/**
 * `--packets -5` as `--packets=-5`: parseArgs takes a value that starts with a
 * dash for an option, and would complain that the argument is ambiguous. A
 * negative number after an option that takes a value is that option's value,
 * so the option's own check says what is wrong with it ("expected a whole
 * number").
 */
function joinNegativeValues(config: ParseArgsConfig): string[] | undefined {
  const args = config.args;
  if (args === undefined) return undefined;
  const takesValue = (arg: string): boolean =>
    arg.startsWith('--') && !arg.includes('=') && config.options?.[arg.slice(2)]?.type === 'string';
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (takesValue(args[i]) && i + 1 < args.length && /^-\d/.test(args[i + 1])) {
      out.push(`${args[i]}=${args[i + 1]}`);
      i++;
    } else {
      out.push(args[i]);
    }
  }
  return out;
}

/** The -h/--help option every command takes; spread into its parseArgs options. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h', default: false } } as const;

/** Prints the usage on stdout when -h/--help was given; the command then exits 0. */
export function helpShown(help: boolean | undefined, usage: string): boolean {
  if (help !== true) return false;
  process.stdout.write(`${usage}\n`);
  return true;
}

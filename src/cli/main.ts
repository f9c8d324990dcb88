#!/usr/bin/env node
/**
 * qosmark command line. Every failure the user can cause (usage, capture
 * file, policy) is one line per problem on stderr and exit status 2, never a
 * stack trace.
 */
import { PolicyError } from '../classify/policy-load.js';
import { CaptureFileError } from '../io/errors.js';
import { runAudit } from './audit.js';
import { runMark } from './mark.js';
import { runPolicy } from './policy-cmd.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: qosmark COMMAND [options]
commands:
  mark INPUT -o OUTPUT     re-mark DSCP and CoS in a capture file by policy
  audit INPUT              report what is mismarked, by how much, and the likely cause
  policy show|check        print the policy in effect, or validate policy files
run "qosmark COMMAND --help" for a command's options`;

export const EXIT_OK = 0;
export const EXIT_USAGE_OR_FILE = 2;

const COMMANDS: Record<string, (argv: string[]) => number> = {
  mark: runMark,
  audit: runAudit,
  policy: runPolicy,
};

export function main(argv: string[]): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE_OR_FILE : EXIT_OK;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write('qosmark 0.1.0\n');
    return EXIT_OK;
  }
  const run = COMMANDS[command];
  if (run === undefined) throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  return run(rest);
}

function reportFailure(err: unknown): number {
  if (err instanceof UsageError) {
    // The first line is the complaint; any usage text after it is shown as is.
    const [first, ...usage] = err.message.split('\n');
    process.stderr.write(`qosmark: ${first}\n${usage.map((l) => `${l}\n`).join('')}`);
    return EXIT_USAGE_OR_FILE;
  }
  if (err instanceof CaptureFileError || err instanceof PolicyError) {
    for (const line of err.message.split('\n')) process.stderr.write(`qosmark: ${line}\n`);
    return EXIT_USAGE_OR_FILE;
  }
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EPIPE') return EXIT_OK;
  process.stderr.write(`qosmark: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.QOSMARK_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 70;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(EXIT_OK);
});

let status: number;
try {
  status = main(process.argv.slice(2));
} catch (err) {
  status = reportFailure(err);
}
process.exitCode = status;

#!/usr/bin/env node
/**
 * qosmark command line. Every failure the user can cause (usage, capture
 * file, policy) is one line per problem on stderr and exit status 2, never a
 * stack trace.
 */
import { PolicyError } from '../classify/policy-load.js';
import { CaptureFileError } from '../io/errors.js';
import { runAudit } from './audit.js';
import { runBench } from './bench.js';
import { runBridge } from './bridge.js';
import { EXIT_OK, EXIT_USAGE_OR_FILE, statusIfStdoutCloses } from './exit-status.js';
import { runExport } from './export.js';
import { runGen } from './gen.js';
import { runMark } from './mark.js';
import { runPolicy } from './policy-cmd.js';
import { runProbe, runReflect } from './probe.js';
import { UsageError } from './usage-error.js';

const USAGE = `usage: qosmark COMMAND [options]
commands:
  mark INPUT -o OUTPUT     re-mark DSCP and CoS in a capture file by policy
  audit INPUT              report what is mismarked, by how much, and the likely cause
  policy show|check        print the policy in effect, or validate policy files
  export --format F        the policy as nftables, Cisco IOS or tc configuration
  gen --packets N -o FILE  write reproducible softphone traffic (benchmarks, labs)
  bridge --in IF --out IF  forward frames between two interfaces, marking them live
  probe HOST               find the hop where each class's DSCP/ECN marking is changed (root)
  reflect                  answer probe's STAMP test packets with the marking they arrived with (root)
  bench                    measure qosmark on this machine (--compare: against tcprewrite, tshark)
run "qosmark COMMAND --help" (or "qosmark help COMMAND") for a command's options`;

type Command = (argv: string[]) => number | Promise<number>;

/**
 * Imported statically, not with import(): a dynamically imported module is
 * bundled inside a lazy initialiser (esbuild's __esm), where its top-level
 * constants become variables assigned at run time. The bundle step can then
 * not replace them with their values, and the packet loop reads each one
 * from memory with a type check (scripts/bundle.mjs). Loading every command's
 * code costs a few milliseconds: native and large packages (cap, yaml,
 * prom-client) are still required only when used.
 */
const COMMANDS: Record<string, Command> = {
  mark: runMark,
  audit: runAudit,
  policy: runPolicy,
  export: runExport,
  gen: runGen,
  bridge: runBridge,
  probe: runProbe,
  reflect: runReflect,
  bench: runBench,
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // `qosmark help mark` is `qosmark mark --help`, as with git.
  if (command === 'help' && rest.length > 0 && Object.hasOwn(COMMANDS, rest[0])) return COMMANDS[rest[0]](['--help']);
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? EXIT_USAGE_OR_FILE : EXIT_OK;
  }
  if (command === '--version' || command === '-V') {
    process.stdout.write('qosmark 0.1.0\n');
    return EXIT_OK;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
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
  if (e?.code === 'EPIPE') return statusIfStdoutCloses();
  process.stderr.write(`qosmark: internal error: ${e?.message ?? String(err)}\n`);
  if (process.env.QOSMARK_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return 70;
}

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(statusIfStdoutCloses());
});

main(process.argv.slice(2)).then(
  (status) => (process.exitCode = status),
  (err: unknown) => (process.exitCode = reportFailure(err)),
);

/**
 * `qosmark bench`: how fast qosmark is on this machine, in memory and as a
 * whole process, against its targets and (--compare) the peers found here.
 */
import * as fs from 'node:fs';
import { describeOsError } from '../io/byte-stream.js';
import { PROFILES, type ProfileName } from '../gen/generate.js';
import { renderText } from '../bench/report.js';
import { runBenchmark, type BenchOptions } from '../bench/run.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const BENCH_USAGE = `usage: qosmark bench [--packets N] [--profile P] [--input FILE] [--json] [--compare] [--baseline OLD.json] [--quick]
  --packets N          packets in the generated capture (default 1,000,000; --quick 20,000)
  --profile NAME       generator profile: ${PROFILES.join(', ')} (default cupc)
  --seed N             generator seed (default 7)
  --input FILE         measure this capture (pcap or pcapng) instead of a generated one
  --compare            also time the peers found here: tcprewrite, tshark -T fields, pcap-parser
  --json               every figure, with CPU model, Node.js and qosmark versions, as one JSON object
  --baseline FILE      print the change per figure against an earlier --json output
  --quick              tiny sizes and one run each: a smoke test of a few seconds
  --runs N             whole-process runs per command, median reported (default 3; --quick 1)
  --dir DIR            where the generated capture and all outputs go (default /dev/shm)
  --tshark-packets N|all  tshark is timed on the first N packets, or the whole file
                       (default all; --quick 2,000); tshark reads ~30,000 packets/s
  --memory-packets N   frames held in memory for the in-memory figures (default up to 1,000,000)
  --gc-packets N       packets through Pipeline.handle while collections are counted (default 10,000,000)
progress goes to stderr; the table, or the JSON, to stdout`;

function whole(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const t = text.replace(/[_,]/g, '');
  if (!/^\d+$/.test(t) || !Number.isSafeInteger(Number(t)) || Number(t) < min) {
    throw new UsageError(`bench: --${name}: "${text}": expected a whole number >= ${min}`);
  }
  return Number(t);
}

export async function runBench(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: false,
      options: {
        packets: { type: 'string' },
        profile: { type: 'string', default: 'cupc' },
        seed: { type: 'string' },
        input: { type: 'string' },
        json: { type: 'boolean', default: false },
        compare: { type: 'boolean', default: false },
        baseline: { type: 'string' },
        quick: { type: 'boolean', default: false },
        runs: { type: 'string' },
        dir: { type: 'string', default: '/dev/shm' },
        'tshark-packets': { type: 'string' },
        'memory-packets': { type: 'string' },
        'gc-packets': { type: 'string' },
        ...HELP_OPTION,
      },
    },
    'bench', BENCH_USAGE,
  );
  const { values } = parsed;
  if (helpShown(values.help, BENCH_USAGE)) return 0;
  const quick = values.quick;
  const profile = values.profile as ProfileName;
  if (!PROFILES.includes(profile)) throw new UsageError(`bench: --profile: "${values.profile}": expected ${PROFILES.join(', ')}`);
  if (values.input !== undefined && values.packets !== undefined) throw new UsageError('bench: --input and --packets cannot be used together');
  if (values.input !== undefined && !fs.existsSync(values.input)) throw new UsageError(`bench: --input: ${values.input}: no such file`);
  if (!fs.existsSync(values.dir)) throw new UsageError(`bench: --dir: ${values.dir}: no such directory`);
  if (!fs.statSync(values.dir).isDirectory()) throw new UsageError(`bench: --dir: ${values.dir}: not a directory`);
  const packets = whole('packets', values.packets, quick ? 20_000 : 1_000_000);
  let baseline: BenchOptions['baseline'];
  if (values.baseline !== undefined) {
    // Read it first: a bad baseline should not cost a whole run.
    let text: string;
    try {
      text = fs.readFileSync(values.baseline, 'utf8');
    } catch (err) {
      throw new UsageError(`bench: --baseline: ${values.baseline}: ${describeOsError(err)}`);
    }
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      throw new UsageError(`bench: --baseline: ${values.baseline}: not JSON (expected the --json output of qosmark bench)`);
    }
    if (typeof doc !== 'object' || doc === null || typeof (doc as { figures?: unknown }).figures !== 'object') {
      throw new UsageError(`bench: --baseline: ${values.baseline}: not the --json output of qosmark bench (no "figures")`);
    }
    baseline = { file: values.baseline, doc: doc as NonNullable<BenchOptions['baseline']>['doc'] };
  }
  const options: BenchOptions = {
    packets,
    profile,
    seed: whole('seed', values.seed, 7, 0),
    input: values.input,
    compare: values.compare,
    quick,
    runs: whole('runs', values.runs, quick ? 1 : 3),
    dir: values.dir,
    tsharkPackets:
      values['tshark-packets'] === 'all' ? Infinity : whole('tshark-packets', values['tshark-packets'], quick ? 2_000 : Infinity),
    memoryPackets: whole('memory-packets', values['memory-packets'], Math.min(packets, quick ? 20_000 : 1_000_000)),
    gcPackets: whole('gc-packets', values['gc-packets'], quick ? 500_000 : 10_000_000),
    baseline,
  };
  const doc = await runBenchmark(options, (text) => process.stderr.write(`${text}\n`));
  if (values.json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else process.stdout.write(`${renderText(doc).join('\n')}\n`);
  return 0;
}

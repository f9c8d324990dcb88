/**
 * `qosmark mark IN -o OUT`: rewrite a capture file's markings by policy.
 * `qosmark mark A B ... --out-dir DIR`: several files, in parallel across cores.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { Pipeline } from '../engine/pipeline.js';
import { summarize, type RunSummary } from '../engine/summary.js';
import { countOf, grouped } from '../format/numbers.js';
import { type ByteOutput, describeOsError } from '../io/byte-stream.js';
import { openCapture, type CaptureFormat } from '../io/capture-file.js';
import { CaptureFileError } from '../io/errors.js';
import { createCaptureOutput, openCaptureInput } from '../io/io-threads-policy.js';
import { runInWorkers, sumCounts, type WorkerOutcome } from './parallel.js';
import { PIPELINE_ARG_SPECS, PIPELINE_USAGE, pipelineSetup, type PipelineArgs, type PipelineSetup } from './pipeline-options.js';
import { Progress } from './progress.js';
import { refuseOverwritingInput } from './same-file.js';
import { renderRun, timing, type Timing } from './report.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const MARK_USAGE = `usage: qosmark mark INPUT -o OUTPUT [options]
       qosmark mark INPUT... --out-dir DIR [options]     (several files in parallel, one per core)
  INPUT, OUTPUT      capture files, pcap or pcapng (the output keeps the input's format); - is stdin/stdout
  -o, --output FILE  the output file (one input)
  --out-dir DIR      one output per input, DIR/<input's name> (several inputs)
${PIPELINE_USAGE}
  --json             print the summary as one JSON object
  -q, --quiet        no summary and no progress line (with --json, the JSON only)`;

export interface MarkJob {
  input: string;
  output: string;
  args: PipelineArgs;
  progress: boolean;
  /** Read-ahead/write-behind threads allowed (by size); off in multi-file runs, which keep every core busy. */
  ioThreads?: boolean;
}

export interface FileErrorDoc {
  file: string;
  offset: number;
  message: string;
}

/** The error of a file that a lane could not run (no summary): from a CaptureFileError, or any other failure. */
export function fileErrorOf(outcome: WorkerOutcome<unknown>, input: string): FileErrorDoc {
  return { file: outcome.file ?? input, offset: outcome.offset ?? -1, message: outcome.what ?? outcome.message ?? 'failed' };
}

export type MarkDoc = { command: 'mark'; input: string; output: string; format: CaptureFormat | null } & RunSummary &
  Timing & { peakRssBytes: number; error: FileErrorDoc | null };

/** Marks one file. Capture-file problems end up in `error`; usage and policy errors throw. */
/** `setup` is the parsed options and compiled policy, when the caller has them already. */
export function markFile(job: MarkJob, setup: PipelineSetup = pipelineSetup('mark', job.args)): MarkDoc {
  refuseOverwritingInput('mark', job.input, job.output);
  const pipeline = new Pipeline(setup.policy, setup.options);
  // Read-ahead and write-behind threads for big files, in a single-file run only: a multi-file
  // run already keeps every core busy with one file each.
  const ioThreads = job.ioThreads ?? isMainThread;
  const input = openCaptureInput(job.input, ioThreads);
  let output: ByteOutput;
  try {
    output = createCaptureOutput(job.output, input.size, ioThreads);
  } catch (err) {
    input.close();
    throw err;
  }
  const progress = Progress.forRun('qosmark mark', input.size, !job.progress);
  const started = process.hrtime.bigint();
  let format: CaptureFormat | null = null;
  let fileError: CaptureFileError | null = null;
  try {
    const capture = openCapture(input);
    format = capture.format;
    capture.stream(output, pipeline, progress.update);
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    fileError = err;
  } finally {
    progress.done();
    try {
      input.close();
    } finally {
      // Closing flushes a write-behind thread's last slots: a write error can surface here.
      const closeError = closeOutput(output);
      if (closeError !== null && fileError === null) fileError = closeError;
    }
  }
  const summary = summarize(pipeline);
  return {
    command: 'mark',
    input: job.input,
    output: job.output,
    format,
    ...summary,
    ...timing(summary, Number(process.hrtime.bigint() - started) / 1e9),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    error: fileError && { file: fileError.file, offset: fileError.offset, message: fileError.what },
  };
}

export function runMark(argv: string[]): number | Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        'out-dir': { type: 'string' },
        ...PIPELINE_ARG_SPECS,
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        ...HELP_OPTION,
      },
    },
    'mark', MARK_USAGE,
  );
  const { values, positionals } = parsed;
  if (helpShown(values.help, MARK_USAGE)) return 0;
  if (positionals.length === 0) throw new UsageError(`mark: expected an input file\n${MARK_USAGE}`);
  // Options and policy are checked once, up front; a single file uses them as they are, workers build their own.
  const setup = pipelineSetup('mark', values);
  const outDir = values['out-dir'];
  if (outDir === undefined) {
    if (positionals.length !== 1) throw new UsageError(`mark: several input files need --out-dir DIR\n${MARK_USAGE}`);
    if (values.output === undefined) throw new UsageError(`mark: missing -o OUTPUT\n${MARK_USAGE}`);
    const doc = markFile({ input: positionals[0], output: values.output, args: values, progress: !values.json && !values.quiet }, setup);
    // Keep stdout clean for the capture when it is written there.
    printMark(doc, values.output === '-' ? process.stderr : process.stdout, values.json, values.quiet);
    if (doc.error) throw new CaptureFileError(doc.error.file, doc.error.offset, doc.error.message);
    return 0;
  }
  if (values.output !== undefined) throw new UsageError('mark: -o and --out-dir cannot be used together');
  const jobs = outputsIn(outDir, positionals).map((output, i) => ({ input: positionals[i], output, args: values, progress: false, ioThreads: false }));
  const started = process.hrtime.bigint();
  return runInWorkers<MarkJob, MarkDoc>('mark', jobs, (job) => markFile(job)).then((outcomes) => {
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    const docs = outcomes.filter((o) => o.ok).map((o) => o.result!);
    const total = sumCounts(docs as unknown as Record<string, unknown>[], NOT_SUMMED) as unknown as RunSummary;
    // The policy is the same for every file: take the markings from the first.
    if (docs.length > 0) {
      for (const [name, c] of Object.entries(total.classes)) Object.assign(c, { dscp: docs[0].classes[name].dscp, cos: docs[0].classes[name].cos });
      total.sdp.followed = docs[0].sdp.followed;
    }
    const wall = timing(total, elapsed);
    if (values.json) {
      // A file that could not be run at all (missing, refused) is listed with its error and no counts.
      const files = outcomes.map((o, i) =>
        o.ok ? o.result! : { command: 'mark', input: jobs[i].input, output: jobs[i].output, error: fileErrorOf(o, jobs[i].input) },
      );
      process.stdout.write(`${JSON.stringify({ command: 'mark', files, total: { ...total, ...wall } })}\n`);
    } else if (!values.quiet) {
      for (const d of docs) {
        process.stdout.write(
          `${d.input} -> ${d.output}: ${grouped(d.packets)} packets, DSCP changed ${grouped(d.dscpChanged)}, CoS changed ${grouped(d.cosChanged)}` +
            `${d.error ? ' (stopped at a file error)' : ''}\n`,
        );
      }
      const failed = jobs.length - docs.length;
      process.stdout.write(
        `qosmark mark: ${countOf(docs.length, 'file')} marked${failed > 0 ? `, ${grouped(failed)} not (errors below)` : ''}` +
          `${jobs.length > 1 ? ', in parallel' : ''}${docs.length > 0 ? '; total:' : ''}\n`,
      );
      if (docs.length > 0) process.stdout.write(`${renderRun(total, wall, true).join('\n')}\n`);
    }
    return reportFailures(outcomes, docs);
  });
}

/** Summary keys that are not counts. */
export const NOT_SUMMED: ReadonlySet<string> = new Set([
  'elapsedSeconds',
  'packetsPerSecond',
  'bytesPerSecond',
  'peakRssBytes',
  'dscp',
  'cos',
  'expectedDscp',
  'expectedCos',
  'error',
  'followed',
]);

export function printMark(doc: MarkDoc, out: NodeJS.WritableStream, json: boolean, quiet: boolean): void {
  if (json) out.write(`${JSON.stringify(doc)}\n`);
  else if (!quiet) {
    out.write(`qosmark mark: ${doc.input} -> ${doc.output}${doc.format ? ` (${doc.format})` : ''}\n`);
    out.write(`${renderRun(doc, doc, true).join('\n')}\n`);
  }
}

/** One line per failed file; exit status 2 when any failed. */
/** Closes the output; a write error found on closing is returned (other errors are thrown). */
function closeOutput(output: ByteOutput): CaptureFileError | null {
  try {
    output.close();
    return null;
  } catch (err) {
    if (err instanceof CaptureFileError) return err;
    throw err;
  }
}

export function reportFailures(outcomes: { ok: boolean; message?: string }[], docs: { error: FileErrorDoc | null }[]): number {
  let failed = false;
  for (const o of outcomes) {
    if (!o.ok) {
      process.stderr.write(`qosmark: ${o.message}\n`);
      failed = true;
    }
  }
  for (const d of docs) {
    if (d.error) {
      process.stderr.write(`qosmark: ${new CaptureFileError(d.error.file, d.error.offset, d.error.message).message}\n`);
      failed = true;
    }
  }
  return failed ? 2 : 0;
}

/** DIR/basename for each input; refuses stdin and two inputs with one name. */
export function outputsIn(dir: string, inputs: string[]): string[] {
  if (inputs.includes('-')) throw new UsageError('mark: - (stdin) cannot be used with --out-dir');
  const outputs = inputs.map((i) => path.join(dir, path.basename(i)));
  const seen = new Set<string>();
  for (const o of outputs) {
    if (seen.has(o)) throw new UsageError(`mark: two inputs would both be written to ${o}`);
    seen.add(o);
  }
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new CaptureFileError(dir, -1, describeOsError(err));
  }
  return outputs;
}

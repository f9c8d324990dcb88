/** `qosmark mark IN -o OUT`: rewrite a capture file's markings by policy. */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { summarize } from '../engine/summary.js';
import { Pipeline } from '../engine/pipeline.js';
import { ByteInput, ByteOutput } from '../io/byte-stream.js';
import { openCapture, type CaptureFormat } from '../io/capture-file.js';
import { CaptureFileError } from '../io/errors.js';
import { PIPELINE_ARG_SPECS, PIPELINE_USAGE, pipelineSetup } from './pipeline-options.js';
import { Progress } from './progress.js';
import { renderRun, timing } from './report.js';
import { UsageError, asUsageError } from './usage-error.js';

export const MARK_USAGE = `usage: qosmark mark INPUT -o OUTPUT [--policy FILE] [--cos-tag outer|inner|all] [--no-sdp] [--json] [-q]
  INPUT, OUTPUT      capture files, pcap or pcapng (the output keeps the input's format); - is stdin/stdout
${PIPELINE_USAGE}
  --json             print the summary as one JSON object
  -q, --quiet        no summary`;

export function runMark(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        output: { type: 'string', short: 'o' },
        ...PIPELINE_ARG_SPECS,
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw asUsageError(err, 'mark', MARK_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${MARK_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`mark: expected one input file, got ${positionals.length}\n${MARK_USAGE}`);
  if (values.output === undefined) throw new UsageError(`mark: missing -o OUTPUT\n${MARK_USAGE}`);
  const setup = pipelineSetup('mark', values);
  const inPath = positionals[0];
  const outPath = values.output;
  refuseOverwritingInput(inPath, outPath);

  const pipeline = new Pipeline(setup.policy, setup.options);
  const input = ByteInput.open(inPath);
  let output: ByteOutput;
  try {
    output = ByteOutput.create(outPath);
  } catch (err) {
    input.close();
    throw err;
  }
  const progress = Progress.forRun('qosmark mark', input.size, values.json);
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
    input.close();
    output.close();
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const summary = summarize(pipeline);
  const t = timing(summary, elapsed);
  // Keep stdout clean for the capture when it is written there.
  const report = outPath === '-' ? process.stderr : process.stdout;
  if (values.json) {
    const doc = {
      command: 'mark',
      input: inPath,
      output: outPath,
      format,
      ...summary,
      ...t,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      error: fileError && { file: fileError.file, offset: fileError.offset, message: fileError.what },
    };
    report.write(`${JSON.stringify(doc)}\n`);
  } else if (!values.quiet) {
    report.write(`qosmark mark: ${inPath} -> ${outPath}${format ? ` (${format})` : ''}\n`);
    report.write(`${renderRun(summary, t, true).join('\n')}\n`);
  }
  if (fileError) throw fileError;
  return 0;
}

function refuseOverwritingInput(inPath: string, outPath: string): void {
  if (inPath === '-' || outPath === '-') return;
  try {
    const a = fs.statSync(inPath);
    const b = fs.statSync(outPath);
    if (a.dev === b.dev && a.ino === b.ino) throw new UsageError(`mark: ${outPath}: output is the input file; refusing to overwrite it`);
  } catch (err) {
    if (err instanceof UsageError) throw err;
  }
}

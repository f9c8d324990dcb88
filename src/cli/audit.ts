/** `qosmark audit FILE`: what is mismarked, by how much, and the likely cause. */
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Auditor } from '../audit/auditor.js';
import { renderAuditHtml } from '../audit/html-report.js';
import { PacketLog } from '../audit/packet-log.js';
import { buildAuditReport } from '../audit/report.js';
import { renderAuditText } from '../audit/text-report.js';
import { Pipeline } from '../engine/pipeline.js';
import { ByteInput, ByteOutput, describeOsError } from '../io/byte-stream.js';
import { openCapture, type CaptureFormat } from '../io/capture-file.js';
import { CaptureFileError } from '../io/errors.js';
import { PIPELINE_ARG_SPECS, PIPELINE_USAGE, pipelineSetup } from './pipeline-options.js';
import { Progress } from './progress.js';
import { UsageError, asUsageError } from './usage-error.js';

export const AUDIT_USAGE = `usage: qosmark audit INPUT [--policy FILE] [--cos-tag outer|inner|all] [--no-sdp] [--json] [--packets OUT.jsonl] [--html REPORT.html]
  INPUT              capture file, pcap or pcapng; - is stdin
${PIPELINE_USAGE}
  --json             the whole report as one JSON object on stdout
  --packets FILE     one JSON object per packet (JSON Lines); - is stdout
  --html FILE        a self-contained HTML report with pictures
exit status: 0 nothing mismarked, 1 some packets mismarked, 2 usage or file error`;

export const EXIT_MISMARKED = 1;

export function runAudit(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...PIPELINE_ARG_SPECS,
        json: { type: 'boolean', default: false },
        packets: { type: 'string' },
        html: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (err) {
    throw asUsageError(err, 'audit', AUDIT_USAGE);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${AUDIT_USAGE}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`audit: expected one input file, got ${positionals.length}\n${AUDIT_USAGE}`);
  const setup = pipelineSetup('audit', values);
  if (values.json && values.packets === '-') throw new UsageError('audit: --json and --packets - both want stdout');
  const inPath = positionals[0];

  const policy = setup.policy;
  const pipeline = new Pipeline(policy, { ...setup.options, mark: false, recordCalls: true });
  const auditor = new Auditor(policy.classNames.length, policy.ruleNames.length, pipeline.cosTagMode);
  pipeline.observer = auditor;
  const input = ByteInput.open(inPath);
  let packetOut: ByteOutput | null = null;
  let log: PacketLog | null = null;
  let format: CaptureFormat | null = null;
  let fileError: CaptureFileError | null = null;
  const progress = Progress.forRun('qosmark audit', input.size, values.json || values.packets === '-');
  const started = process.hrtime.bigint();
  try {
    if (values.packets !== undefined) {
      packetOut = ByteOutput.create(values.packets);
      log = new PacketLog(packetOut);
      auditor.packetSink = log;
    }
    const capture = openCapture(input);
    format = capture.format;
    capture.stream(null, pipeline, progress.update);
  } catch (err) {
    if (!(err instanceof CaptureFileError)) throw err;
    fileError = err;
  } finally {
    progress.done();
    log?.flush();
    packetOut?.close();
    input.close();
  }
  const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const report = buildAuditReport(auditor, pipeline);
  const title = `${inPath}${format ? ` (${format})` : ''}, policy ${values.policy ?? 'built-in'}`;
  if (values.html !== undefined) {
    try {
      fs.writeFileSync(values.html, renderAuditHtml(report, title));
    } catch (err) {
      throw new CaptureFileError(values.html, -1, describeOsError(err));
    }
  }
  const out = values.packets === '-' ? process.stderr : process.stdout;
  if (values.json) {
    const doc = {
      command: 'audit',
      input: inPath,
      format,
      policy: values.policy ?? 'built-in',
      ...report,
      elapsedSeconds,
      packetsPerSecond: report.packets / Math.max(elapsedSeconds, 1e-9),
      error: fileError && { file: fileError.file, offset: fileError.offset, message: fileError.what },
    };
    out.write(`${JSON.stringify(doc)}\n`);
  } else {
    out.write(`${renderAuditText(report, title).join('\n')}\n`);
    out.write(`elapsed ${elapsedSeconds.toFixed(3)} s: ${(report.packets / Math.max(elapsedSeconds, 1e-9) / 1e6).toFixed(2)} Mpps\n`);
  }
  if (fileError) throw fileError;
  return report.mismarked > 0 ? EXIT_MISMARKED : 0;
}

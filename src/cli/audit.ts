/** `qosmark audit FILE`: what is mismarked, by how much, and the likely cause. */
import * as fs from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { Auditor } from '../audit/auditor.js';
import { renderAuditHtml } from '../audit/html-report.js';
import { PacketLog } from '../audit/packet-log.js';
import type { Diagnosis } from '../audit/diagnose.js';
import { buildAuditReport, TOP_CONVERSATIONS, type AuditReport, type ConversationReport } from '../audit/report.js';
import { renderAuditText } from '../audit/text-report.js';
import { Pipeline } from '../engine/pipeline.js';
import { countOf, grouped } from '../format/numbers.js';
import { ByteOutput, describeOsError } from '../io/byte-stream.js';
import { openCapture, type CaptureFormat } from '../io/capture-file.js';
import { CaptureFileError } from '../io/errors.js';
import { openCaptureInput } from '../io/io-threads-policy.js';
import { EXIT_USAGE_OR_FILE, setStatusIfStdoutCloses } from './exit-status.js';
import { fileErrorOf, reportFailures, type FileErrorDoc } from './mark.js';
import { runInWorkers, sumCounts } from './parallel.js';
import { PIPELINE_ARG_SPECS, PIPELINE_USAGE, pipelineSetup, type PipelineArgs, type PipelineSetup } from './pipeline-options.js';
import { Progress } from './progress.js';
import { refuseOverwritingInput } from './same-file.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const AUDIT_USAGE = `usage: qosmark audit INPUT... [--policy FILE] [--cos-tag outer|inner|all] [--no-sdp] [--sdp-idle SEC] [--sdp-entries N]
                            [--rtp-heuristic] [--json] [-q] [--packets OUT.jsonl] [--html REPORT.html]
  INPUT              capture file, pcap or pcapng; - is stdin
${PIPELINE_USAGE}
  --json             the whole report as one JSON object on stdout
  --packets FILE     one JSON object per packet (JSON Lines); - is stdout
  --html FILE        a self-contained HTML report with pictures; - is stdout
                     (with --packets - or --html -, the text report goes to stderr)
  -q, --quiet        no report and no progress line: the exit status only (as grep -q), for
                     scripts and CI gates; with --json, the JSON only
exit status: 0 nothing mismarked, 1 some packets mismarked, 2 usage or file error`;

export const EXIT_MISMARKED = 1;

export interface AuditJob {
  input: string;
  args: PipelineArgs;
  packets?: string;
  html?: string;
  progress: boolean;
  /** Read-ahead thread allowed (by size); off in multi-file runs, which keep every core busy. */
  ioThreads?: boolean;
}

export type AuditDoc = { command: 'audit'; input: string; format: CaptureFormat | null; policy: string } & AuditReport & {
  elapsedSeconds: number;
  packetsPerSecond: number;
  peakRssBytes: number;
  error: FileErrorDoc | null;
};

/** Audits one file. Capture-file problems end up in `error`; usage and policy errors throw. */
/** `setup` is the parsed options and compiled policy, when the caller has them already. */
export function auditFile(job: AuditJob, setup: PipelineSetup = pipelineSetup('audit', job.args)): AuditDoc {
  if (job.packets !== undefined) refuseOverwritingInput('audit', job.input, job.packets, '--packets file');
  if (job.html !== undefined) refuseOverwritingInput('audit', job.input, job.html, '--html file');
  const policy = setup.policy;
  const pipeline = new Pipeline(policy, { ...setup.options, mark: false, recordCalls: true });
  const auditor = new Auditor(policy.classNames.length, policy.ruleNames.length, pipeline.cosTagMode);
  pipeline.observer = auditor;
  // Read-ahead for a big file in a single-file run (see mark.ts).
  const input = openCaptureInput(job.input, job.ioThreads ?? isMainThread);
  let packetOut: ByteOutput | null = null;
  let log: PacketLog | null = null;
  let format: CaptureFormat | null = null;
  let fileError: CaptureFileError | null = null;
  const progress = Progress.forRun('qosmark audit', input.size, !job.progress);
  const started = process.hrtime.bigint();
  try {
    if (job.packets !== undefined) {
      packetOut = ByteOutput.create(job.packets);
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
  const policyName = job.args.policy ?? 'built-in';
  if (job.html !== undefined) {
    try {
      fs.writeFileSync(job.html, renderAuditHtml(report, auditTitle(job.input, format, policyName)));
    } catch (err) {
      throw new CaptureFileError(job.html, -1, describeOsError(err));
    }
  }
  return {
    command: 'audit',
    input: job.input,
    format,
    policy: policyName,
    ...report,
    elapsedSeconds,
    packetsPerSecond: report.packets / Math.max(elapsedSeconds, 1e-9),
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    error: fileError && { file: fileError.file, offset: fileError.offset, message: fileError.what },
  };
}

function auditTitle(input: string, format: CaptureFormat | null, policy: string): string {
  return `${input}${format ? ` (${format})` : ''}, policy ${policy}`;
}

/** The parts of audit reports that add up across files. */
const SUMMABLE = ['packets', 'bytes', 'mismarked', 'verdicts', 'byClass', 'byApp', 'dscpFound', 'cosFound', 'malformed'] as const;

export function runAudit(argv: string[]): number | Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        ...PIPELINE_ARG_SPECS,
        json: { type: 'boolean', default: false },
        packets: { type: 'string' },
        html: { type: 'string' },
        quiet: { type: 'boolean', short: 'q', default: false },
        ...HELP_OPTION,
      },
    },
    'audit', AUDIT_USAGE,
  );
  const { values, positionals } = parsed;
  if (helpShown(values.help, AUDIT_USAGE)) return 0;
  if (positionals.length === 0) throw new UsageError(`audit: expected an input file\n${AUDIT_USAGE}`);
  const setup = pipelineSetup('audit', values);
  const stdoutUsers = [values.json && '--json', values.packets === '-' && '--packets -', values.html === '-' && '--html -'].filter(Boolean);
  if (stdoutUsers.length > 1) {
    throw new UsageError(`audit: ${stdoutUsers.join(' and ')} ${stdoutUsers.length === 2 ? 'both' : 'all'} want stdout`);
  }
  if (positionals.length > 1) {
    if (values.packets !== undefined || values.html !== undefined) {
      throw new UsageError('audit: --packets and --html take one input file');
    }
    if (positionals.includes('-')) throw new UsageError('audit: - (stdin) takes no other input files');
    return auditMany(positionals, values, values.json, values.quiet);
  }
  const htmlToStdout = values.html === '-';
  const doc = auditFile(
    {
      input: positionals[0],
      args: values,
      packets: values.packets,
      html: htmlToStdout ? undefined : values.html,
      progress: !values.json && !values.quiet && values.packets !== '-' && !htmlToStdout,
    },
    setup,
  );
  const status = doc.error ? EXIT_USAGE_OR_FILE : doc.mismarked > 0 ? EXIT_MISMARKED : 0;
  setStatusIfStdoutCloses(status);
  if (htmlToStdout) process.stdout.write(renderAuditHtml(doc, auditTitle(doc.input, doc.format, doc.policy)));
  // Keep stdout for the packet log or the HTML when either is written there.
  const out = values.packets === '-' || htmlToStdout ? process.stderr : process.stdout;
  if (values.json) out.write(`${JSON.stringify(doc)}\n`);
  else if (!values.quiet) {
    out.write(`${renderAuditText(doc, auditTitle(doc.input, doc.format, doc.policy)).join('\n')}\n`);
    out.write(`elapsed ${doc.elapsedSeconds.toFixed(3)} s: ${(doc.packetsPerSecond / 1e6).toFixed(2)} Mpps\n`);
  }
  if (doc.error) throw new CaptureFileError(doc.error.file, doc.error.offset, doc.error.message);
  return status;
}

/** The diagnoses of several files by kind: packets added up, with the files each was made for. */
function combineDiagnoses(docs: AuditDoc[]): (Pick<Diagnosis, 'id' | 'packets' | 'fix'> & { files: string[] })[] {
  const byId = new Map<Diagnosis['id'], Pick<Diagnosis, 'id' | 'packets' | 'fix'> & { files: string[] }>();
  for (const d of docs) {
    for (const g of d.diagnoses) {
      const combined = byId.get(g.id) ?? { id: g.id, packets: 0, fix: g.fix, files: [] };
      combined.packets += g.packets;
      combined.files.push(d.input);
      byId.set(g.id, combined);
    }
  }
  return [...byId.values()].sort((a, b) => b.packets - a.packets);
}

/** The conversations with the most wrong markings over all files, each with its file. */
function topConversations(docs: AuditDoc[]): (ConversationReport & { file: string })[] {
  return docs
    .flatMap((d) => d.conversations.map((c) => ({ file: d.input, ...c })))
    .sort((a, b) => b.mismarked - a.mismarked || b.packets - a.packets)
    .slice(0, TOP_CONVERSATIONS);
}

function auditMany(inputs: string[], args: PipelineArgs, json: boolean, quiet: boolean): Promise<number> {
  const started = process.hrtime.bigint();
  const jobs: AuditJob[] = inputs.map((input) => ({ input, args, progress: false, ioThreads: false }));
  return runInWorkers<AuditJob, AuditDoc>('audit', jobs, (job) => auditFile(job)).then((outcomes) => {
    const elapsedSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    const docs = outcomes.filter((o) => o.ok).map((o) => o.result!);
    const parts = docs.map((d) => Object.fromEntries(SUMMABLE.map((k) => [k, d[k]])));
    const total = sumCounts(parts, new Set(['expectedDscp', 'expectedCos', 'class'])) as { packets?: number; mismarked?: number };
    const anyFailed = outcomes.some((o) => !o.ok) || docs.some((d) => d.error !== null);
    const status = anyFailed ? EXIT_USAGE_OR_FILE : (total.mismarked ?? 0) > 0 ? EXIT_MISMARKED : 0;
    setStatusIfStdoutCloses(status);
    const diagnoses = combineDiagnoses(docs);
    const conversations = topConversations(docs);
    if (json) {
      const files = outcomes.map((o, i) => (o.ok ? o.result! : { command: 'audit', input: jobs[i].input, error: fileErrorOf(o, jobs[i].input) }));
      process.stdout.write(`${JSON.stringify({ command: 'audit', files, total: { ...total, conversations, diagnoses, elapsedSeconds } })}\n`);
    } else if (!quiet) {
      for (const d of docs) {
        process.stdout.write(`${renderAuditText(d, auditTitle(d.input, d.format, d.policy)).join('\n')}\n\n`);
      }
      process.stdout.write(
        `qosmark audit: ${countOf(docs.length, 'file')} in parallel${docs.length < jobs.length ? ` (${grouped(jobs.length - docs.length)} not read: errors below)` : ''}: ` +
          `${grouped(total.packets ?? 0)} packets, ${grouped(total.mismarked ?? 0)} mismarked; ` +
          `elapsed ${elapsedSeconds.toFixed(3)} s\n`,
      );
      for (const g of diagnoses) process.stdout.write(`  ${g.id}: ${countOf(g.packets, 'packet')}, in ${g.files.join(', ')}\n`);
    }
    // One line per failed file on stderr; the status is the one worked out above.
    reportFailures(outcomes, docs);
    return status;
  });
}

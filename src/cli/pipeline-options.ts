/**
 * The options that shape the shared pipeline, parsed the same way for every
 * command that runs it (mark, audit, bridge).
 */
import { compilePolicy, type CompiledPolicy } from '../classify/compile.js';
import type { PipelineOptions } from '../engine/pipeline.js';
import { COS_TAG_MODES } from '../mark/cos.js';
import { loadPolicy } from './policy-source.js';
import { UsageError } from './usage-error.js';

/** node:util parseArgs option specs. */
export const PIPELINE_ARG_SPECS = {
  policy: { type: 'string' },
  'cos-tag': { type: 'string', default: 'outer' },
  'no-sdp': { type: 'boolean', default: false },
  'sdp-idle': { type: 'string' },
  'sdp-entries': { type: 'string' },
  'rtp-heuristic': { type: 'boolean', default: false },
} as const;

export const PIPELINE_USAGE = `  --policy FILE      policy in YAML or JSON (default: the built-in CUPC/Jabber policy)
  --cos-tag WHICH    which VLAN tag gets the CoS: outer (default), inner or all
  --no-sdp           do not follow SIP/SDP; only the port rules classify
  --sdp-idle SEC     forget an SDP media endpoint idle this long (default 300)
  --sdp-entries N    bound on SDP media endpoints kept (default 65536)
  --rtp-heuristic    for RTP flows whose SIP was not seen: a flow whose first 8 packets are
                     valid RTP with a mean payload above 500 bytes is video (else voice);
                     until then its packets keep the port class (voice)`;

export interface PipelineArgs {
  policy?: string;
  'cos-tag': string;
  'no-sdp': boolean;
  'sdp-idle'?: string;
  'sdp-entries'?: string;
  'rtp-heuristic': boolean;
}

function positiveNumber(command: string, flag: string, text: string, integer: boolean): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${command}: ${flag}: "${text}": expected a positive ${integer ? 'whole number' : 'number'}`);
  }
  return n;
}

export interface PipelineSetup {
  policy: CompiledPolicy;
  options: PipelineOptions;
}

export function pipelineSetup(command: string, args: PipelineArgs): PipelineSetup {
  const cosTagMode = COS_TAG_MODES[args['cos-tag']];
  if (cosTagMode === undefined) throw new UsageError(`${command}: --cos-tag: "${args['cos-tag']}": expected outer, inner or all`);
  const options: PipelineOptions = { cosTagMode, sdp: !args['no-sdp'], rtpHeuristic: args['rtp-heuristic'] };
  if (args['sdp-idle'] !== undefined) options.mediaIdleSec = positiveNumber(command, '--sdp-idle', args['sdp-idle'], false);
  if (args['sdp-entries'] !== undefined) options.mediaEntries = positiveNumber(command, '--sdp-entries', args['sdp-entries'], true);
  return { policy: compilePolicy(loadPolicy(args.policy)), options };
}

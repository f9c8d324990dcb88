/** `qosmark export`: one policy, three targets. */
import type { Policy } from '../classify/policy.js';
import { exportIos, type IosOptions } from './ios.js';
import { flatten, type ExportFormat, type ExportResult } from './model.js';
import { exportNftables, type NftOptions } from './nftables.js';
import { exportTc, type TcOptions } from './tc.js';

export { BUILTIN_POLICY_NAME, EXPORT_FORMATS, ExportError, type ExportFormat, type ExportResult } from './model.js';
export { NFT_FAMILIES, type NftFamily } from './nftables.js';

export type ExportRequest =
  | ({ format: 'nftables' } & NftOptions)
  | ({ format: 'ios' } & IosOptions)
  | ({ format: 'tc' } & TcOptions);

/** The configuration text for `policy` in the requested format; throws ExportError for what the format cannot say. */
export function exportPolicy(policy: Policy, policyName: string, req: ExportRequest): ExportResult {
  const flat = flatten(policy, policyName);
  switch (req.format) {
    case 'nftables':
      return exportNftables(flat, req);
    case 'ios':
      return exportIos(flat, req);
    case 'tc':
      return exportTc(flat, req);
  }
}

export function isExportFormat(s: string): s is ExportFormat {
  return s === 'nftables' || s === 'ios' || s === 'tc';
}

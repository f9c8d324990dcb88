/** `qosmark export --format nftables|ios|tc`: the policy as switch or kernel configuration. */
import * as fs from 'node:fs';
import { describeOsError } from '../io/byte-stream.js';
import {
  BUILTIN_POLICY_NAME,
  ExportError,
  NFT_FAMILIES,
  exportPolicy,
  isExportFormat,
  type ExportRequest,
  type NftFamily,
} from '../export/index.js';
import { checkIosInterface } from '../export/ios.js';
import { loadPolicy } from './policy-source.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const EXPORT_USAGE = `usage: qosmark export --format nftables [--family bridge|netdev|inet] [--device DEV] [--policy FILE] [--no-cos] [-o FILE]
       qosmark export --format ios [--interface NAME] [--policy FILE] [--no-cos] [-o FILE]
       qosmark export --format tc --device DEV [--policy FILE] [--no-cos] [-o FILE]
  --format F      nftables (an nft -f ruleset), ios (Cisco IOS MQC) or tc (a shell script of tc commands)
  --family F      nftables: bridge (default), netdev (ingress of --device) or inet (IP hooks, no CoS)
  --device DEV    nftables netdev: the ingress device; tc: the device whose ingress is classified
  --interface IF  ios: the softphone port that gets the service-policy and trust-boundary lines
  --policy FILE   policy in YAML or JSON (default: the built-in CUPC/Jabber policy)
  --no-cos        leave the 802.1p priority alone and export the DSCP only (said in the output's header)
  -o FILE         write the configuration to FILE instead of stdout
A policy that the format cannot express is refused, naming the rule and the format.`;

const DEVICE = /^[A-Za-z0-9_.:@-]{1,15}$/;

export function runExport(argv: string[]): number {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: false,
      options: {
        format: { type: 'string' },
        family: { type: 'string' },
        device: { type: 'string' },
        interface: { type: 'string' },
        policy: { type: 'string' },
        'no-cos': { type: 'boolean', default: false },
        output: { type: 'string', short: 'o' },
        ...HELP_OPTION,
      },
    },
    'export',
  );
  const { values } = parsed;
  if (helpShown(values.help, EXPORT_USAGE)) return 0;
  const format = values.format;
  if (format === undefined) throw new UsageError(`export: missing --format nftables|ios|tc\n${EXPORT_USAGE}`);
  if (!isExportFormat(format)) throw new UsageError(`export: --format: "${format}": expected nftables, ios or tc`);
  const only = (option: string, formats: string[]) => {
    if (!formats.includes(format)) throw new UsageError(`export: --${option} does not apply to --format ${format}`);
  };
  if (values.family !== undefined) only('family', ['nftables']);
  if (values.interface !== undefined) only('interface', ['ios']);
  if (values.device !== undefined) {
    only('device', ['nftables', 'tc']);
    if (!DEVICE.test(values.device)) throw new UsageError(`export: --device: "${values.device}": not a Linux interface name`);
  }
  const noCos = values['no-cos'];

  let req: ExportRequest;
  if (format === 'nftables') {
    const family = (values.family ?? 'bridge') as NftFamily;
    if (!NFT_FAMILIES.includes(family)) throw new UsageError(`export: --family: "${values.family}": expected bridge, netdev or inet`);
    if (family === 'netdev' && values.device === undefined) throw new UsageError('export: --family netdev needs --device DEV');
    if (family !== 'netdev' && values.device !== undefined) throw new UsageError(`export: --device is for --family netdev, not ${family}`);
    req = { format, family, device: values.device, noCos };
  } else if (format === 'tc') {
    if (values.device === undefined) throw new UsageError('export: --format tc needs --device DEV');
    req = { format, device: values.device, noCos };
  } else {
    req = { format, interface: values.interface, noCos };
  }

  const policy = loadPolicy(values.policy);
  let result;
  try {
    if (req.format === 'ios' && req.interface !== undefined) checkIosInterface(req.interface);
    result = exportPolicy(policy, values.policy ?? BUILTIN_POLICY_NAME, req);
  } catch (err) {
    if (err instanceof ExportError) throw new UsageError(`export: ${values.policy ?? 'built-in policy'}: ${err.message}`);
    throw err;
  }
  for (const w of result.warnings) process.stderr.write(`qosmark: export: ${format}: note: ${w}\n`);
  if (values.output === undefined || values.output === '-') {
    process.stdout.write(result.text);
  } else {
    try {
      fs.writeFileSync(values.output, result.text);
    } catch (err) {
      throw new UsageError(`export: ${values.output}: ${describeOsError(err)}`);
    }
  }
  return 0;
}

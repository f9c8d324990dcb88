/** `qosmark policy show|check`: print or validate a policy. */
import * as fs from 'node:fs';
import { compilePolicy } from '../classify/compile.js';
import { dscpLabel } from '../classify/dscp.js';
import { PolicyError, formatIssue, parsePolicy } from '../classify/policy-load.js';
import { KEEP } from '../classify/policy.js';
import { policyToDocument, policyToYaml, portRangeText } from '../classify/policy-write.js';
import { describeOsError } from '../io/byte-stream.js';
import { loadPolicy } from './policy-source.js';
import { HELP_OPTION, UsageError, helpShown, parseCommandLine } from './usage-error.js';

export const POLICY_USAGE = `usage: qosmark policy show [--policy FILE] [--json]
       qosmark policy check FILE... [--json]
check's exit status: 0 every file is a valid policy, 1 some file is not (or cannot be read), 2 usage error`;

export function runPolicy(argv: string[]): number {
  const [sub, ...rest] = argv;
  if (sub === 'show') return show(rest);
  if (sub === 'check') return check(rest);
  if (sub === '-h' || sub === '--help') {
    process.stdout.write(`${POLICY_USAGE}\n`);
    return 0;
  }
  if (sub === undefined) throw new UsageError(`policy: expected a subcommand, show or check\n${POLICY_USAGE}`);
  throw new UsageError(`policy: unknown subcommand "${sub}"\n${POLICY_USAGE}`);
}

function show(argv: string[]): number {
  const parsed = parseCommandLine(
    {
      args: argv,
      options: { policy: { type: 'string' }, json: { type: 'boolean', default: false }, ...HELP_OPTION },
    },
    'policy show', POLICY_USAGE,
  );
  const { values } = parsed;
  if (helpShown(values.help, POLICY_USAGE)) return 0;
  const policy = loadPolicy(values.policy);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(policyToDocument(policy), null, 2)}\n`);
    return 0;
  }
  const compiled = compilePolicy(policy);
  const lines = [policyToYaml(policy, values.policy ?? 'built-in (Cisco CUPC/Jabber port table)').trimEnd()];
  lines.push('#', '# compiled: what each rule does, in match order');
  policy.rules.forEach((rule, i) => {
    const cls = compiled.ruleClass[i];
    const dscp = compiled.classDscp[cls];
    const cos = compiled.classCos[cls];
    lines.push(
      `#   ${String(i + 1).padStart(2)}. ${rule.name.padEnd(10)} ${rule.protocols.join('+').padEnd(8)} ` +
        `${rule.side === 'either' ? 'src or dst' : rule.side} port ${rule.ports.map(portRangeText).join(',')}` +
        ` -> ${rule.className}: DSCP ${dscp === KEEP ? 'keep' : dscpLabel(dscp)}, CoS ${cos === KEEP ? 'keep' : cos}`,
    );
  });
  const d = policy.defaultMarking;
  lines.push(`#   otherwise: DSCP ${d.dscp === KEEP ? 'keep' : dscpLabel(d.dscp)}, CoS ${d.cos === KEEP ? 'keep' : d.cos}`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

function check(argv: string[]): number {
  const parsed = parseCommandLine(
    { args: argv, allowPositionals: true, options: { json: { type: 'boolean', default: false }, ...HELP_OPTION } },
    'policy check', POLICY_USAGE,
  );
  const { values, positionals } = parsed;
  if (helpShown(values.help, POLICY_USAGE)) return 0;
  if (positionals.length === 0) throw new UsageError(`policy check: expected a policy file\n${POLICY_USAGE}`);
  const results: { file: string; valid: boolean; errors: string[] }[] = [];
  for (const file of positionals) {
    let errors: string[] = [];
    try {
      const policy = parsePolicy(fs.readFileSync(file, 'utf8'), file);
      if (!values.json) process.stdout.write(`${file}: ok (${policy.classes.size} classes, ${policy.rules.length} rules)\n`);
    } catch (err) {
      if (err instanceof PolicyError) errors = err.issues.map(formatIssue);
      else errors = [describeOsError(err)];
      if (!values.json) for (const e of errors) process.stderr.write(`qosmark: ${file}: ${e}\n`);
    }
    results.push({ file, valid: errors.length === 0, errors });
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ policies: results })}\n`);
  return results.every((r) => r.valid) ? 0 : 1;
}

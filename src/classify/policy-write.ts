/**
 * Writes a Policy back in the policy-file format (shared/policy-format.md),
 * so that `qosmark policy show` output loads back to the same policy.
 */
import { dscpName } from './dscp.js';
import { KEEP, type Marking, type Policy, type PortRange, type Rule } from './policy.js';

/** The policy as the plain document a policy file holds (for JSON output). */
export function policyToDocument(policy: Policy): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    classes: Object.fromEntries([...policy.classes].map(([name, m]) => [name, markingToDocument(m)])),
    rules: policy.rules.map(ruleToDocument),
    default: markingToDocument(policy.defaultMarking),
  };
  // Written even when empty: an absent key would load back as the default mapping.
  doc.media = Object.fromEntries(policy.media);
  return doc;
}

function markingToDocument(m: Marking): Record<string, string | number> {
  return { dscp: dscpValue(m.dscp), cos: m.cos === KEEP ? 'keep' : m.cos };
}

function dscpValue(dscp: number): string | number {
  if (dscp === KEEP) return 'keep';
  return dscpName(dscp) ?? dscp;
}

export function portRangeText(r: PortRange): string | number {
  return r.lo === r.hi ? r.lo : `${r.lo}-${r.hi}`;
}

function ruleToDocument(rule: Rule): Record<string, unknown> {
  const doc: Record<string, unknown> = {
    name: rule.name,
    protocols: rule.protocols,
    ports: rule.ports.map(portRangeText),
  };
  if (rule.side !== 'either') doc.side = rule.side;
  doc.class = rule.className;
  if (rule.inspect) doc.inspect = rule.inspect;
  return doc;
}

const PLAIN = /^[A-Za-z_][A-Za-z0-9_.\-]*$/;
const YAML_RESERVED = /^(true|false|null|yes|no|on|off|y|n|~)$/i;

function scalar(value: unknown): string {
  if (typeof value === 'number') return String(value);
  const text = String(value);
  return PLAIN.test(text) && !YAML_RESERVED.test(text) ? text : JSON.stringify(text);
}

function flow(map: Record<string, unknown>): string {
  const parts = Object.entries(map).map(([k, v]) => {
    const shown = Array.isArray(v) ? `[${v.map(scalar).join(', ')}]` : scalar(v);
    return `${scalar(k)}: ${shown}`;
  });
  return `{ ${parts.join(', ')} }`;
}

/** YAML text in the documented layout, with a comment per rule saying what it does. */
export function policyToYaml(policy: Policy, title: string): string {
  const doc = policyToDocument(policy);
  const lines = [`# qosmark policy: ${title}`, '# first matching rule wins; classify = earliest rule matching the source or destination port', 'classes:'];
  const classes = doc.classes as Record<string, Record<string, unknown>>;
  if (Object.keys(classes).length === 0) lines[lines.length - 1] = 'classes: {}';
  for (const [name, marking] of Object.entries(classes)) lines.push(`  ${scalar(name)}: ${flow(marking)}`);
  const rules = doc.rules as Record<string, unknown>[];
  lines.push(rules.length === 0 ? 'rules: []' : 'rules:');
  for (const rule of rules) lines.push(`  - ${flow(rule)}`);
  lines.push(`default: ${flow(doc.default as Record<string, unknown>)}`);
  const media = doc.media as Record<string, unknown>;
  lines.push(Object.keys(media).length === 0 ? 'media: {}' : `media: ${flow(media)}`);
  return `${lines.join('\n')}\n`;
}

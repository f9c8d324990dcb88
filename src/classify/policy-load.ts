/**
 * Reads and validates a policy file (YAML or JSON, shared/policy-format.md).
 * Every problem in the file is collected, not only the first, each naming its
 * key path (list positions from 0) and the bad value.
 */
import { createRequire } from 'node:module';
import type * as YamlModule from 'yaml';
import { DSCP_MAX, dscpFromName } from './dscp.js';
import {
  KEEP,
  MEDIA_TYPES,
  type Marking,
  type Policy,
  type PortRange,
  type Protocol,
  type Rule,
  type Side,
} from './policy.js';

export interface PolicyIssue {
  path: string;
  message: string;
}

export class PolicyError extends Error {
  constructor(
    readonly source: string,
    readonly issues: PolicyIssue[],
  ) {
    super(issues.map((i) => `${source}: ${formatIssue(i)}`).join('\n'));
    this.name = 'PolicyError';
  }
}

export function formatIssue(issue: PolicyIssue): string {
  return issue.path === '' ? issue.message : `${cutToLine(issue.path)}: ${issue.message}`;
}

const TOP_KEYS = ['classes', 'rules', 'default', 'media'];
const MARKING_KEYS = ['dscp', 'cos'];
const RULE_KEYS = ['name', 'protocols', 'ports', 'side', 'class', 'inspect'];
const RULE_REQUIRED = ['name', 'protocols', 'ports', 'class'];
const SIDES: readonly Side[] = ['src', 'dst', 'either'];
const MAX_PORT = 65535;
const MAX_COS = 7;
/** Rule indexes are stored in 16-bit lookup tables, with one value kept for "no rule". */
export const MAX_RULES = 65535;
/** Class indexes are stored in bytes, with one kept for the default. */
export const MAX_CLASSES = 255;

/** The summary and audit name packets that no rule matches "default". */
const RESERVED_CLASS = 'default';

/** A bad value as the error shows it: JSON, cut to a line's worth (a binary file is one huge string). */
const SHOWN_VALUE_MAX = 80;
const show = (value: unknown): string => cutToLine(value === undefined ? 'undefined' : JSON.stringify(value));

/** Text cut to SHOWN_VALUE_MAX characters (code points: an emoji is not split), with its length when cut. */
function cutToLine(text: string): string {
  const chars = Array.from(text);
  return chars.length <= SHOWN_VALUE_MAX ? text : `${chars.slice(0, SHOWN_VALUE_MAX).join('')}... (${chars.length} characters)`;
}

type Json = Record<string, unknown>;

function isMapping(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

class Validator {
  readonly issues: PolicyIssue[] = [];

  bad(path: string, value: unknown, why: string): void {
    this.issues.push({ path, message: `${show(value)}: ${why}` });
  }

  note(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  /** `known` null: any key is allowed (class names are free-form). */
  mapping(path: string, value: unknown, known: readonly string[] | null): Json | undefined {
    if (!isMapping(value)) {
      this.bad(path, value, 'expected a mapping');
      return undefined;
    }
    if (known === null) return value;
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) this.note(join(path, key), `unknown key (expected one of: ${known.join(', ')})`);
    }
    return value;
  }

  marking(path: string, value: unknown): Marking {
    const marking: Marking = { dscp: KEEP, cos: KEEP };
    const map = this.mapping(path, value ?? {}, MARKING_KEYS);
    if (map === undefined) return marking;
    if ('dscp' in map) marking.dscp = this.dscp(join(path, 'dscp'), map.dscp);
    if ('cos' in map) marking.cos = this.cos(join(path, 'cos'), map.cos);
    return marking;
  }

  dscp(path: string, value: unknown): number {
    if (isKeep(value)) return KEEP;
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0 && value <= DSCP_MAX) return value;
      this.bad(path, value, `DSCP must be 0 to ${DSCP_MAX}, a PHB name or keep`);
      return KEEP;
    }
    if (typeof value === 'string') {
      const byName = dscpFromName(value.trim());
      if (byName !== undefined) return byName;
    }
    this.bad(path, value, 'DSCP must be 0 to 63, a PHB name (EF, VA, CS0-CS7, AF11-AF43, DF, BE) or keep');
    return KEEP;
  }

  cos(path: string, value: unknown): number {
    if (isKeep(value)) return KEEP;
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_COS) return value;
    this.bad(path, value, `CoS must be 0 to ${MAX_COS} or keep`);
    return KEEP;
  }

  port(path: string, value: unknown): PortRange | undefined {
    if (typeof value === 'number') {
      if (Number.isInteger(value) && value >= 0 && value <= MAX_PORT) return { lo: value, hi: value };
      this.bad(path, value, `port must be 0 to ${MAX_PORT}`);
      return undefined;
    }
    if (typeof value === 'string') {
      const text = value.trim();
      const one = /^\d+$/.exec(text);
      if (one) return this.port(path, Number(text)) && { lo: Number(text), hi: Number(text) };
      const range = /^(\d+)\s*-\s*(\d+)$/.exec(text);
      if (range) {
        const lo = Number(range[1]);
        const hi = Number(range[2]);
        if (lo > MAX_PORT || hi > MAX_PORT) {
          this.bad(path, value, `ports in a range must be 0 to ${MAX_PORT}`);
          return undefined;
        }
        if (hi < lo) {
          this.bad(path, value, 'range ends before it starts');
          return undefined;
        }
        return { lo, hi };
      }
    }
    this.bad(path, value, 'expected a port number or a range "A-B"');
    return undefined;
  }
}

function isKeep(value: unknown): boolean {
  return typeof value === 'string' && value.trim().toLowerCase() === 'keep';
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/** Parses policy text; throws PolicyError listing every problem. */
/** Loaded on first use: runs with the built-in policy never pay for the YAML parser. */
let yamlModule: typeof YamlModule | undefined;
function yaml(): typeof YamlModule {
  yamlModule ??= createRequire(import.meta.url)('yaml') as typeof YamlModule;
  return yamlModule;
}

/** YAML alias uses allowed when the document is expanded: a policy needs few, an alias bomb millions. */
const MAX_ALIAS_COUNT = 100;

export function parsePolicy(text: string, source: string): Policy {
  const { parseDocument } = yaml();
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const where = pos ? `line ${pos.line}, column ${pos.col}` : '';
      // The pretty message starts with the reason, then " at line L, column C:" and a source excerpt.
      const reason = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      return { path: where, message: `not valid YAML or JSON: ${reason}` };
    });
    throw new PolicyError(source, issues);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    // The yaml package refuses aliases that expand past the bound ("billion laughs").
    throw new PolicyError(source, [{ path: '', message: `not usable as a policy: ${(err as Error).message}` }]);
  }
  return validatePolicy(value, source, classOrder(doc));
}

/**
 * Class names in file order. Plain objects list integer-like keys first, so
 * the order is read from the YAML mapping itself.
 */
function classOrder(doc: YamlModule.Document): string[] | undefined {
  const { isMap, isScalar } = yaml();
  const classes = doc.get('classes', true);
  if (!isMap(classes)) return undefined;
  return classes.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key));
}

/** Validates an already-parsed document; throws PolicyError listing every problem. */
export function validatePolicy(doc: unknown, source: string, classNamesInOrder?: string[]): Policy {
  const v = new Validator();
  const root = v.mapping('', doc, TOP_KEYS);
  const policy: Policy = {
    classes: new Map(),
    rules: [],
    defaultMarking: { dscp: KEEP, cos: KEEP },
    media: new Map(),
  };
  if (root === undefined) throw new PolicyError(source, v.issues);

  if (root.classes !== undefined) {
    const classes = v.mapping('classes', root.classes, null);
    if (classes !== undefined) {
      const names = classNamesInOrder?.filter((n) => n in classes) ?? Object.keys(classes);
      for (const name of names) {
        if (name === RESERVED_CLASS) {
          v.bad(join('classes', name), name, 'the name "default" is reserved for unmatched packets; set their marking with the top-level default key');
          continue;
        }
        policy.classes.set(name, v.marking(join('classes', name), classes[name]));
      }
      if (policy.classes.size > MAX_CLASSES) v.bad('classes', policy.classes.size, `at most ${MAX_CLASSES} classes`);
    }
  }

  if (root.rules !== undefined) {
    if (!Array.isArray(root.rules)) v.bad('rules', root.rules, 'expected a list of rules');
    else {
      const firstByName = new Map<string, number>();
      root.rules.forEach((raw: unknown, index: number) => {
        const rule = readRule(v, join('rules', index), raw, policy.classes);
        // A rule with other errors still claims its name, so that every error is listed at once.
        const name = rule?.name ?? nameOf(raw);
        if (name !== undefined) {
          const earlier = firstByName.get(name);
          if (earlier !== undefined) {
            v.bad(join(join('rules', index), 'name'), name, `duplicate rule name (first used by rules[${earlier}])`);
          } else firstByName.set(name, index);
        }
        if (rule !== undefined) policy.rules.push(rule);
      });
      if (root.rules.length > MAX_RULES) v.bad('rules', root.rules.length, `at most ${MAX_RULES} rules`);
    }
  }

  if (root.default !== undefined) policy.defaultMarking = v.marking('default', root.default);

  if (root.media !== undefined) {
    const media = v.mapping('media', root.media, MEDIA_TYPES);
    if (media !== undefined) {
      for (const [type, className] of Object.entries(media)) {
        if (!(MEDIA_TYPES as readonly string[]).includes(type)) continue;
        const path = join('media', type);
        if (typeof className !== 'string') v.bad(path, className, 'expected a class name');
        else if (!policy.classes.has(className)) v.bad(path, className, 'no such class in classes');
        else policy.media.set(type, className);
      }
    }
  } else {
    if (policy.classes.has('voice')) policy.media.set('audio', 'voice');
    if (policy.classes.has('video')) policy.media.set('video', 'video');
  }

  if (v.issues.length > 0) throw new PolicyError(source, v.issues);
  return policy;
}

/** A rule's name when it has a usable one, whatever else is wrong with the rule. */
function nameOf(raw: unknown): string | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const name = (raw as Record<string, unknown>).name;
  return typeof name === 'string' && name.trim() !== '' ? name : undefined;
}

function readRule(v: Validator, path: string, raw: unknown, classes: Map<string, Marking>): Rule | undefined {
  const map = v.mapping(path, raw, RULE_KEYS);
  if (map === undefined) return undefined;
  for (const key of RULE_REQUIRED) {
    if (!(key in map)) v.note(join(path, key), 'missing required key');
  }
  let ok = true;

  const name = map.name;
  if ('name' in map && (typeof name !== 'string' || name.trim() === '')) {
    v.bad(join(path, 'name'), name, 'expected a non-empty string');
    ok = false;
  }

  const protocols: Protocol[] = [];
  if ('protocols' in map) {
    const list = map.protocols;
    if (!Array.isArray(list)) {
      v.bad(join(path, 'protocols'), list, 'expected a list of udp and/or tcp');
      ok = false;
    } else if (list.length === 0) {
      v.bad(join(path, 'protocols'), list, 'list is empty');
      ok = false;
    } else {
      list.forEach((p: unknown, i: number) => {
        const lower = typeof p === 'string' ? p.trim().toLowerCase() : '';
        if (lower === 'udp' || lower === 'tcp') {
          if (!protocols.includes(lower)) protocols.push(lower);
        } else {
          v.bad(join(join(path, 'protocols'), i), p, 'protocol must be udp or tcp');
          ok = false;
        }
      });
    }
  }

  const ports: PortRange[] = [];
  if ('ports' in map) {
    const list = map.ports;
    if (!Array.isArray(list)) {
      v.bad(join(path, 'ports'), list, 'expected a list of ports and ranges');
      ok = false;
    } else if (list.length === 0) {
      v.bad(join(path, 'ports'), list, 'list is empty');
      ok = false;
    } else {
      list.forEach((p: unknown, i: number) => {
        const range = v.port(join(join(path, 'ports'), i), p);
        if (range === undefined) ok = false;
        else ports.push(range);
      });
    }
  }

  let side: Side = 'either';
  if ('side' in map) {
    if ((SIDES as readonly unknown[]).includes(map.side)) side = map.side as Side;
    else {
      v.bad(join(path, 'side'), map.side, 'side must be src, dst or either');
      ok = false;
    }
  }

  const className = map.class;
  if ('class' in map) {
    if (typeof className !== 'string') {
      v.bad(join(path, 'class'), className, 'expected a class name');
      ok = false;
    } else if (!classes.has(className)) {
      v.bad(join(path, 'class'), className, 'no such class in classes');
      ok = false;
    }
  }

  let inspect: 'sip' | undefined;
  if ('inspect' in map) {
    if (map.inspect === 'sip') inspect = 'sip';
    else {
      v.bad(join(path, 'inspect'), map.inspect, 'inspect must be sip');
      ok = false;
    }
  }

  for (const key of RULE_REQUIRED) if (!(key in map)) ok = false;
  if (!ok) return undefined;
  const rule: Rule = { name: name as string, protocols, ports, side, className: className as string };
  if (inspect) rule.inspect = inspect;
  return rule;
}

/**
 * Policy file validation (shared/policy-format.md): every error class, the
 * exact "path: value: reason" messages, and that every error in a file is
 * reported rather than only the first.
 */
import { describe, expect, it } from 'vitest';
import { PolicyError, formatIssue, parsePolicy, validatePolicy } from '../../src/classify/policy-load.js';
import { KEEP } from '../../src/classify/policy.js';
import { dscpFromName, dscpLabel, dscpName } from '../../src/classify/dscp.js';

/** The formatted messages parsePolicy throws for `text`, or [] when it loads. */
function errorsOf(text: string): string[] {
  try {
    parsePolicy(text, 'p.yaml');
    return [];
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    return err.issues.map(formatIssue);
  }
}

const RULE = (extra: string) => `classes: {v: {dscp: EF}}\nrules:\n  - {name: a, protocols: [udp], ports: [1], class: v${extra}}\n`;

describe('valid policies', () => {
  it('`default: {dscp: 0, cos: 0}` alone is a valid policy', () => {
    const p = parsePolicy('default: {dscp: 0, cos: 0}\n', 'd.yaml');
    expect(p.classes.size).toBe(0);
    expect(p.rules).toEqual([]);
    expect(p.defaultMarking).toEqual({ dscp: 0, cos: 0 });
    expect(p.media.size).toBe(0);
  });

  it('the documented example loads with the documented values', () => {
    const text = `
# qosmark policy: first matching rule wins
classes:
  voice:      { dscp: EF,  cos: 5 }
  video:      { dscp: CS4, cos: 4 }
  signalling: { dscp: CS3, cos: 3 }
  data:       { dscp: keep, cos: keep }
rules:
  - { name: sip,      protocols: [udp, tcp], ports: [5060, 5061], class: signalling, inspect: sip }
  - { name: ctiqbe,   protocols: [tcp], ports: [2748], class: signalling }
  - { name: tftp,     protocols: [udp], ports: [69], class: data }
  - { name: web,      protocols: [tcp], ports: [80, 443, 8080], class: data }
  - { name: rtp,      protocols: [udp], ports: ["16384-32766"], side: either, class: voice }
default: { dscp: keep, cos: keep }
media: { audio: voice, video: video }
`;
    const p = parsePolicy(text, 'ex.yaml');
    expect([...p.classes]).toEqual([
      ['voice', { dscp: 46, cos: 5 }],
      ['video', { dscp: 32, cos: 4 }],
      ['signalling', { dscp: 24, cos: 3 }],
      ['data', { dscp: KEEP, cos: KEEP }],
    ]);
    expect(p.rules[0]).toEqual({
      name: 'sip',
      protocols: ['udp', 'tcp'],
      ports: [
        { lo: 5060, hi: 5060 },
        { lo: 5061, hi: 5061 },
      ],
      side: 'either',
      className: 'signalling',
      inspect: 'sip',
    });
    expect(p.rules[4]).toEqual({ name: 'rtp', protocols: ['udp'], ports: [{ lo: 16384, hi: 32766 }], side: 'either', className: 'voice' });
    expect(p.rules.map((r) => r.name)).toEqual(['sip', 'ctiqbe', 'tftp', 'web', 'rtp']);
    expect(p.defaultMarking).toEqual({ dscp: KEEP, cos: KEEP });
    expect([...p.media]).toEqual([
      ['audio', 'voice'],
      ['video', 'video'],
    ]);
  });

  it('the same policy as JSON loads the same', () => {
    const json = JSON.stringify({
      classes: { voice: { dscp: 'EF', cos: 5 } },
      rules: [{ name: 'rtp', protocols: ['udp'], ports: ['16384-32766', 5004], side: 'dst', class: 'voice' }],
      default: { dscp: 0 },
    });
    const p = parsePolicy(json, 'p.json');
    expect(p.rules[0].ports).toEqual([
      { lo: 16384, hi: 32766 },
      { lo: 5004, hi: 5004 },
    ]);
    expect(p.rules[0].side).toBe('dst');
    expect(p.defaultMarking).toEqual({ dscp: 0, cos: KEEP });
  });

  it('missing marking keys mean keep; an empty class mapping keeps both; keep is case-insensitive', () => {
    const p = parsePolicy('classes: {a: {dscp: 10}, b: {cos: 2}, c: {}, d: , e: {dscp: KEEP, cos: Keep}}\n', 'k.yaml');
    expect([...p.classes]).toEqual([
      ['a', { dscp: 10, cos: KEEP }],
      ['b', { dscp: KEEP, cos: 2 }],
      ['c', { dscp: KEEP, cos: KEEP }],
      ['d', { dscp: KEEP, cos: KEEP }],
      ['e', { dscp: KEEP, cos: KEEP }],
    ]);
  });

  it('ports may be strings; ranges may have spaces; protocols are case-insensitive and deduplicated', () => {
    const p = parsePolicy(RULE('').replace('ports: [1]', 'ports: ["5060", " 10 - 20 ", "7-7", 0, 65535]').replace('[udp]', '[UDP, udp, Tcp]'), 'x');
    expect(p.rules[0].ports).toEqual([
      { lo: 5060, hi: 5060 },
      { lo: 10, hi: 20 },
      { lo: 7, hi: 7 },
      { lo: 0, hi: 0 },
      { lo: 65535, hi: 65535 },
    ]);
    expect(p.rules[0].protocols).toEqual(['udp', 'tcp']);
  });

  it('without a media key, audio and video map to the voice and video classes that exist', () => {
    expect([...parsePolicy('classes: {voice: {}, video: {}}', 'm').media]).toEqual([
      ['audio', 'voice'],
      ['video', 'video'],
    ]);
    expect([...parsePolicy('classes: {video: {}}', 'm').media]).toEqual([['video', 'video']]);
    expect([...parsePolicy('classes: {other: {}}', 'm').media]).toEqual([]);
  });
});

describe('PHB names', () => {
  const cases: [string, number][] = [
    ['EF', 46],
    ['VA', 44],
    ['DF', 0],
    ['BE', 0],
    ['CS0', 0],
    ['CS1', 8],
    ['CS2', 16],
    ['CS3', 24],
    ['CS4', 32],
    ['CS5', 40],
    ['CS6', 48],
    ['CS7', 56],
    ['AF11', 10],
    ['AF12', 12],
    ['AF13', 14],
    ['AF21', 18],
    ['AF22', 20],
    ['AF23', 22],
    ['AF31', 26],
    ['AF32', 28],
    ['AF33', 30],
    ['AF41', 34],
    ['AF42', 36],
    ['AF43', 38],
  ];

  it.each(cases)('%s is DSCP %i in a policy file (also lower-case)', (name, value) => {
    const p = parsePolicy(`classes: {x: {dscp: ${name}}, y: {dscp: ${name.toLowerCase()}}}`, 'phb');
    expect(p.classes.get('x')!.dscp).toBe(value);
    expect(p.classes.get('y')!.dscp).toBe(value);
    expect(dscpFromName(name)).toBe(value);
  });

  it('names that are not PHBs are rejected', () => {
    for (const bad of ['AF44', 'AF10', 'AF51', 'CS8', 'EF1', 'XX']) {
      expect(dscpFromName(bad), bad).toBeUndefined();
      expect(errorsOf(`classes: {x: {dscp: ${bad}}}`)).toEqual([
        `classes.x.dscp: "${bad}": DSCP must be 0 to 63, a PHB name (EF, VA, CS0-CS7, AF11-AF43, DF, BE) or keep`,
      ]);
    }
  });

  it('dscpName / dscpLabel give the usual names and nothing for unnamed code points', () => {
    expect([0, 8, 10, 14, 24, 34, 38, 44, 46, 56].map((d) => dscpName(d))).toEqual([
      'CS0',
      'CS1',
      'AF11',
      'AF13',
      'CS3',
      'AF41',
      'AF43',
      'VA',
      'EF',
      'CS7',
    ]);
    for (const unnamed of [1, 2, 6, 13, 42, 63]) expect(dscpName(unnamed), String(unnamed)).toBeUndefined();
    expect(dscpLabel(46)).toBe('EF 46');
    expect(dscpLabel(13)).toBe('13');
    // every name round-trips through its number
    for (let d = 0; d < 64; d++) {
      const n = dscpName(d);
      if (n !== undefined) expect(dscpFromName(n)).toBe(d);
    }
  });
});

describe('policy errors', () => {
  it('unknown keys: top level, rule, marking, media', () => {
    expect(errorsOf('foo: 1\ndefault: {dscp: 0}')).toEqual(['foo: unknown key (expected one of: classes, rules, default, media)']);
    expect(errorsOf(RULE(', prio: 3'))).toEqual(['rules[0].prio: unknown key (expected one of: name, protocols, ports, side, class, inspect)']);
    expect(errorsOf('classes: {v: {dscp: 1, exp: 2}}')).toEqual(['classes.v.exp: unknown key (expected one of: dscp, cos)']);
    expect(errorsOf('classes: {v: {}}\nmedia: {smell: v}')).toEqual([
      'media.smell: unknown key (expected one of: audio, video, image, application, text)',
    ]);
  });

  it('missing required rule keys are each named', () => {
    expect(errorsOf('classes: {v: {}}\nrules:\n  - {protocols: [udp], ports: [1]}')).toEqual([
      'rules[0].name: missing required key',
      'rules[0].class: missing required key',
    ]);
    expect(errorsOf('classes: {v: {}}\nrules:\n  - {name: a}')).toEqual([
      'rules[0].protocols: missing required key',
      'rules[0].ports: missing required key',
      'rules[0].class: missing required key',
    ]);
  });

  it('empty protocols and ports lists', () => {
    expect(errorsOf(RULE('').replace('[udp]', '[]').replace('[1]', '[]'))).toEqual([
      'rules[0].protocols: []: list is empty',
      'rules[0].ports: []: list is empty',
    ]);
  });

  it('values of the wrong type', () => {
    expect(errorsOf('classes: {v: {dscp: true, cos: "5"}}\nrules:\n  - {name: 5, protocols: udp, ports: 80, class: v, side: up}')).toEqual([
      'classes.v.dscp: true: DSCP must be 0 to 63, a PHB name (EF, VA, CS0-CS7, AF11-AF43, DF, BE) or keep',
      'classes.v.cos: "5": CoS must be 0 to 7 or keep',
      'rules[0].name: 5: expected a non-empty string',
      'rules[0].protocols: "udp": expected a list of udp and/or tcp',
      'rules[0].ports: 80: expected a list of ports and ranges',
      'rules[0].side: "up": side must be src, dst or either',
    ]);
    expect(errorsOf('rules: {a: 1}')).toEqual(['rules: {"a":1}: expected a list of rules']);
    expect(errorsOf('classes: [1]')).toEqual(['classes: [1]: expected a mapping']);
    expect(errorsOf('rules: [3]')).toEqual(['rules[0]: 3: expected a mapping']);
    expect(errorsOf('default: 5')).toEqual(['default: 5: expected a mapping']);
    expect(errorsOf('classes: {v: {}}\nrules: [{name: "", protocols: [udp], ports: [1], class: v}]')).toEqual([
      'rules[0].name: "": expected a non-empty string',
    ]);
    expect(errorsOf('classes: {v: {}}\nmedia: {video: 3}')).toEqual(['media.video: 3: expected a class name']);
    expect(errorsOf(RULE('').replace('class: v', 'class: [v]'))).toEqual(['rules[0].class: ["v"]: expected a class name']);
    expect(errorsOf(RULE(', inspect: http'))).toEqual(['rules[0].inspect: "http": inspect must be sip']);
    expect(errorsOf(RULE('').replace('[udp]', '[udp, sctp]'))).toEqual(['rules[0].protocols[1]: "sctp": protocol must be udp or tcp']);
  });

  it('a document that is not a mapping', () => {
    expect(errorsOf('- 1\n- 2')).toEqual(['[1,2]: expected a mapping']);
    expect(errorsOf('')).toEqual(['null: expected a mapping']);
    expect(errorsOf('42')).toEqual(['42: expected a mapping']);
  });

  it('DSCP 64 and CoS 8 are out of range, as are negatives and fractions', () => {
    expect(errorsOf('classes: {v: {dscp: 64, cos: 8}}')).toEqual([
      'classes.v.dscp: 64: DSCP must be 0 to 63, a PHB name or keep',
      'classes.v.cos: 8: CoS must be 0 to 7 or keep',
    ]);
    expect(errorsOf('default: {dscp: -1, cos: 2.5}')).toEqual([
      'default.dscp: -1: DSCP must be 0 to 63, a PHB name or keep',
      'default.cos: 2.5: CoS must be 0 to 7 or keep',
    ]);
    expect(errorsOf('default: {dscp: 63, cos: 7}')).toEqual([]);
  });

  it('port 70000 and other bad ports, each named by its list position', () => {
    const errs = errorsOf(RULE('').replace('ports: [1]', 'ports: [70000, "1-70000", -1, 1.5, "x", "80"]'));
    expect(errs).toEqual([
      'rules[0].ports[0]: 70000: port must be 0 to 65535',
      'rules[0].ports[1]: "1-70000": ports in a range must be 0 to 65535',
      'rules[0].ports[2]: -1: port must be 0 to 65535',
      'rules[0].ports[3]: 1.5: port must be 0 to 65535',
      'rules[0].ports[4]: "x": expected a port number or a range "A-B"',
    ]);
    // The string form is rejected at its position too (the value is shown as the number it spells).
    const str = errorsOf(RULE('').replace('ports: [1]', 'ports: ["70000"]'));
    expect(str).toHaveLength(1);
    expect(str[0]).toMatch(/^rules\[0\]\.ports\[0\]: "?70000"?: port must be 0 to 65535$/);
  });

  it('"32766-16384" is a range that ends before it starts, with the documented message', () => {
    const text = `classes: {voice: {dscp: EF}}
rules:
  - {name: a, protocols: [udp], ports: [1], class: voice}
  - {name: b, protocols: [udp], ports: [2], class: voice}
  - {name: c, protocols: [udp], ports: [3], class: voice}
  - {name: d, protocols: [udp], ports: [4, "32766-16384"], class: voice}
`;
    expect(errorsOf(text)).toEqual(['rules[3].ports[1]: "32766-16384": range ends before it starts']);
    try {
      parsePolicy(text, 'my.yaml');
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('my.yaml: rules[3].ports[1]: "32766-16384": range ends before it starts');
      expect((err as PolicyError).source).toBe('my.yaml');
    }
  });

  it('a class that does not exist', () => {
    expect(errorsOf(RULE('').replace('class: v', 'class: nope'))).toEqual(['rules[0].class: "nope": no such class in classes']);
    expect(errorsOf('classes: {v: {}}\nmedia: {audio: nope}')).toEqual(['media.audio: "nope": no such class in classes']);
    // no classes at all
    expect(errorsOf('rules: [{name: a, protocols: [udp], ports: [1], class: voice}]')).toEqual([
      'rules[0].class: "voice": no such class in classes',
    ]);
  });

  it('a duplicate rule name names the first use', () => {
    const text = `classes: {v: {}}
rules:
  - {name: a, protocols: [tcp], ports: [1], class: v}
  - {name: b, protocols: [tcp], ports: [2], class: v}
  - {name: a, protocols: [udp], ports: [3], class: v}
`;
    expect(errorsOf(text)).toEqual(['rules[2].name: "a": duplicate rule name (first used by rules[0])']);
  });

  it('a duplicate rule name is listed with the other errors, also when a rule that uses the name has errors of its own', () => {
    const text = `classes: {v: {}}
rules:
  - {name: sip, protocols: [udp], ports: [5060], class: voix}
  - {name: sip, protocols: [tcp], ports: [70000], class: v}
  - {name: sip, protocols: [tcp], ports: [5061], class: v}
`;
    expect(errorsOf(text)).toEqual([
      'rules[0].class: "voix": no such class in classes',
      'rules[1].ports[0]: 70000: port must be 0 to 65535',
      'rules[1].name: "sip": duplicate rule name (first used by rules[0])',
      'rules[2].name: "sip": duplicate rule name (first used by rules[0])',
    ]);
  });

  it('bad YAML syntax is an error, not an exception of another kind', () => {
    const errs = errorsOf('classes: {v: {dscp: EF}\nrules: [');
    expect(errs.length).toBeGreaterThanOrEqual(1);
    for (const e of errs) expect(e).toMatch(/not valid YAML or JSON: /);
    expect(errorsOf('classes:\n  v: {dscp: EF}\n  v: {dscp: CS3}\n')).toEqual(['line 3, column 3: not valid YAML or JSON: Map keys must be unique']);
    // unclosed JSON
    expect(errorsOf('{"classes": {"v": {"dscp": 46}}')[0]).toMatch(/^line \d+, column \d+: not valid YAML or JSON: /);
  });

  it('a YAML alias bomb ("billion laughs") is a policy error, not an exception of another kind', () => {
    const levels = ['a: &a [x,x,x,x,x,x,x,x,x]'];
    for (const name of 'bcdefg') levels.push(`${name}: &${name} [${Array(9).fill(`*${String.fromCharCode(name.charCodeAt(0) - 1)}`).join(',')}]`);
    expect(errorsOf(`${levels.join('\n')}\n`)).toEqual(['not usable as a policy: Excessive alias count indicates a resource exhaustion attack']);
    // A few aliases, as a hand-written policy may use, are fine.
    expect(errorsOf('m: &m {dscp: EF}\nclasses: {v: *m, w: *m}\n')).toEqual(['m: unknown key (expected one of: classes, rules, default, media)']);
  });

  it('a long bad key or value is shown cut to a line, with its length in characters (an emoji is one)', () => {
    expect(errorsOf(`classes: {${'k'.repeat(5000)}: {dscp: 99}}\n`)).toEqual([
      `classes.${'k'.repeat(72)}... (5013 characters): 99: DSCP must be 0 to 63, a PHB name or keep`,
    ]);
    expect(errorsOf(`classes: {v: {dscp: "${'\u{1F600}'.repeat(3000)}"}}\n`)).toEqual([
      `classes.v.dscp: "${'\u{1F600}'.repeat(79)}... (3002 characters): DSCP must be 0 to 63, a PHB name (EF, VA, CS0-CS7, AF11-AF43, DF, BE) or keep`,
    ]);
    const long = 'x'.repeat(5000);
    expect(errorsOf(`classes: {v: {dscp: ${long}}}\n`)).toEqual([
      `classes.v.dscp: "${'x'.repeat(79)}... (5002 characters): DSCP must be 0 to 63, a PHB name (EF, VA, CS0-CS7, AF11-AF43, DF, BE) or keep`,
    ]);
  });

  it('a YAML syntax error says where it is (line and column)', () => {
    const errs = errorsOf('classes:\n  v: {dscp: EF}\n  v: {dscp: CS3}\n');
    expect(errs[0]).toMatch(/line \d+, column \d+/);
  });

  it('reports every error in the file, not only the first', () => {
    const text = `bogus: 1
classes:
  voice: {dscp: 64, cos: 8}
  video: {dscp: CS4, cos: 4, color: red}
rules:
  - {name: a, protocols: [udp], ports: [70000], class: voice}
  - {name: b, protocols: [], ports: ["32766-16384"], class: nope}
  - {name: a, protocols: [tcp], ports: [80], class: video}
  - {protocols: [tcp], ports: [81]}
default: {dscp: XX, cos: keep}
media: {audio: ghost}
`;
    expect(errorsOf(text)).toEqual([
      'bogus: unknown key (expected one of: classes, rules, default, media)',
      'classes.voice.dscp: 64: DSCP must be 0 to 63, a PHB name or keep',
      'classes.voice.cos: 8: CoS must be 0 to 7 or keep',
      'classes.video.color: unknown key (expected one of: dscp, cos)',
      'rules[0].ports[0]: 70000: port must be 0 to 65535',
      'rules[1].protocols: []: list is empty',
      'rules[1].ports[0]: "32766-16384": range ends before it starts',
      'rules[1].class: "nope": no such class in classes',
      'rules[2].name: "a": duplicate rule name (first used by rules[0])',
      'rules[3].name: missing required key',
      'rules[3].class: missing required key',
      'default.dscp: "XX": DSCP must be 0 to 63, a PHB name (EF, VA, CS0-CS7, AF11-AF43, DF, BE) or keep',
      'media.audio: "ghost": no such class in classes',
    ]);
  });

  it('PolicyError lists every issue, one line each, prefixed by the source', () => {
    try {
      parsePolicy('classes: {v: {dscp: 64, cos: 8}}', 'src.yaml');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as Error).message.split('\n')).toEqual([
        'src.yaml: classes.v.dscp: 64: DSCP must be 0 to 63, a PHB name or keep',
        'src.yaml: classes.v.cos: 8: CoS must be 0 to 7 or keep',
      ]);
    }
  });

  it('validatePolicy takes an already-parsed document', () => {
    expect(validatePolicy({ default: { dscp: 'EF' } }, 'obj').defaultMarking).toEqual({ dscp: 46, cos: KEEP });
    expect(() => validatePolicy({ rules: 'x' }, 'obj')).toThrow(PolicyError);
  });
});

/**
 * qosmark export: golden files, the structure each target needs, what the
 * output means (small interpreters of the exported nftables, tc and IOS text
 * agree with qosmark's own compiled classifier on every port that matters),
 * and the refusals.
 *
 * Regenerate the golden files with UPDATE_GOLDEN=1 npx vitest run test/export
 * (or: npm run build && UPDATE_GOLDEN=1 npx vitest run test/export).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePolicy, NO_RULE } from '../../src/classify/compile.js';
import { dscpFromName } from '../../src/classify/dscp.js';
import { parsePolicy } from '../../src/classify/policy-load.js';
import { builtinPolicy, KEEP, type Policy } from '../../src/classify/policy.js';
import { exportPolicy, ExportError, type ExportRequest } from '../../src/export/index.js';
import { mergeRanges } from '../../src/export/model.js';
import { IPPROTO_TCP, IPPROTO_UDP } from '../../src/parse/ip-protocol.js';
import { ensureBuilt } from '../support/build.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GOLDEN = path.join(ROOT, 'test/export/golden');
const POLICIES = path.join(ROOT, 'test/export/policies');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

interface NamedPolicy {
  label: string;
  name: string;
  policy: Policy;
}

function loadTestPolicy(file: string): NamedPolicy {
  const rel = `test/export/policies/${file}`;
  return { label: file.replace(/\.yaml$/, ''), name: rel, policy: parsePolicy(fs.readFileSync(path.join(POLICIES, file), 'utf8'), rel) };
}

const BUILTIN: NamedPolicy = { label: 'builtin', name: 'built-in CUPC/Jabber policy (qosmark policy show prints it)', policy: builtinPolicy() };
const USER = [loadTestPolicy('overlap-a.yaml'), loadTestPolicy('overlap-b.yaml')];
const ALL = [BUILTIN, ...USER];

function text(p: NamedPolicy, req: ExportRequest): string {
  return exportPolicy(p.policy, p.name, req).text;
}

interface Marking {
  dscp: number;
  cos: number;
}

/** qosmark's own answer: the marking of a TCP/UDP packet with these ports. */
const compiled = new WeakMap<Policy, ReturnType<typeof compilePolicy>>();

function qosmarkMarking(p: Policy, proto: 'tcp' | 'udp', sport: number, dport: number): Marking {
  let c = compiled.get(p);
  if (c === undefined) compiled.set(p, (c = compilePolicy(p)));
  const rule = c.lookup(proto === 'tcp' ? IPPROTO_TCP : IPPROTO_UDP, sport, dport);
  const cls = rule === NO_RULE ? c.defaultClass : c.ruleClass[rule];
  return { dscp: c.classDscp[cls], cos: c.classCos[cls] };
}

/** Ports where the answer can change: every range edge and its neighbours, plus a few others. */
function interestingPorts(p: Policy): number[] {
  const s = new Set<number>([0, 1, 1023, 1024, 49151, 65535]);
  for (const r of p.rules) for (const x of r.ports) for (const v of [x.lo - 1, x.lo, x.hi, x.hi + 1]) if (v >= 0 && v <= 65535) s.add(v);
  return [...s];
}

function packets(p: Policy): fc.Arbitrary<[('tcp' | 'udp'), number, number]> {
  const port = fc.oneof(fc.constantFrom(...interestingPorts(p)), fc.integer({ min: 0, max: 65535 }));
  return fc.tuple(fc.constantFrom<'tcp' | 'udp'>('tcp', 'udp'), port, port);
}

function inRanges(ranges: { lo: number; hi: number }[], port: number): boolean {
  return ranges.some((r) => port >= r.lo && port <= r.hi);
}

function parseRanges(list: string): { lo: number; hi: number }[] {
  return list.split(',').map((x) => {
    const [a, b] = x.trim().split('-').map(Number);
    return { lo: a, hi: b ?? a };
  });
}

// ---- nftables ----------------------------------------------------------------------------

const NFT_DSCP = (name: string): number => (/^\d+$/.test(name) ? Number(name) : (dscpFromName(name) as number));

function nftInterpreter(ruleset: string): (proto: 'tcp' | 'udp', sport: number, dport: number) => Marking {
  const sets = new Map<string, { lo: number; hi: number }[]>();
  for (const m of ruleset.matchAll(/set (\w+) \{[^}]*?elements = \{ ([^}]*) \}/g)) sets.set(m[1], parseRanges(m[2]));
  const chains = new Map<string, string[]>();
  for (const m of ruleset.matchAll(/chain (\w+) \{\n([\s\S]*?)\n\t\}/g)) chains.set(m[1], m[2].split('\n').map((l) => l.trim()));
  const marking = (chain: string): Marking => {
    const lines = chains.get(chain);
    if (lines === undefined) throw new Error(`no chain ${chain}`);
    expect(lines[lines.length - 1]).toBe('accept');
    let dscp = KEEP;
    let cos = KEEP;
    for (const l of lines) {
      const d = /^ip dscp set (\w+)$/.exec(l);
      if (d) {
        dscp = NFT_DSCP(d[1]);
        expect(lines).toContain(`ip6 dscp set ${d[1]}`);
      }
      const c = /^ether type \{ 8021q, 8021ad \} @ll,112,16 set @ll,112,16 & 0x1fff \| 0x([0-9a-f]{4})$/.exec(l);
      if (c) cos = parseInt(c[1], 16) >> 13;
    }
    return { dscp, cos };
  };
  const classify = chains.get('qm_classify')!;
  return (proto, sport, dport) => {
    for (const l of classify) {
      if (l.includes('frag-off')) continue; // fragments only
      const m = /^meta l4proto (\w+|\{ [\w, ]+ \}) th (sport|dport) @(\w+) goto (\w+) comment "[^"]*"$/.exec(l);
      if (m) {
        const protos = m[1].replace(/[{}\s]/g, '').split(',');
        if (protos.includes(proto) && inRanges(sets.get(m[3])!, m[2] === 'sport' ? sport : dport)) return marking(m[4]);
        continue;
      }
      const d = /^meta (protocol \{ ip, ip6 \}|nfproto \{ ipv4, ipv6 \}) goto qm_default comment "default"$/.exec(l);
      if (d) return marking('qm_default');
      throw new Error(`unexpected line in qm_classify: ${l}`);
    }
    throw new Error('no verdict');
  };
}

// ---- tc ------------------------------------------------------------------------------------

function tcInterpreter(script: string): (proto: 'tcp' | 'udp', sport: number, dport: number) => Marking {
  const filters = [...script.matchAll(/^tc filter add dev \S+ ingress pref (\d+) protocol ip flower(.*)$/gm)].map((m) => ({ pref: Number(m[1]), rest: m[2] }));
  const sorted = [...filters].sort((a, b) => a.pref - b.pref);
  return (proto, sport, dport) => {
    for (const f of sorted) {
      if (f.rest.includes('ip_flags frag/nofirstfrag')) continue;
      const p = /ip_proto (\w+)/.exec(f.rest);
      if (p && p[1] !== proto) continue;
      const s = /src_port ([\d-]+)/.exec(f.rest);
      if (s && !inRanges(parseRanges(s[1]), sport)) continue;
      const d = /dst_port ([\d-]+)/.exec(f.rest);
      if (d && !inRanges(parseRanges(d[1]), dport)) continue;
      const set = /munge ip dsfield set 0x([0-9a-f]{2}) retain 0xfc pipe action csum ip4h pass$/.exec(f.rest);
      if (set) return { dscp: parseInt(set[1], 16) >> 2, cos: KEEP };
      expect(f.rest).toMatch(/ action gact pass$/);
      return { dscp: KEEP, cos: KEEP };
    }
    throw new Error('no filter matched');
  };
}

// ---- IOS -----------------------------------------------------------------------------------

interface IosAce {
  proto: string;
  src: string;
  dst: string;
}

function iosPortMatch(spec: string, port: number): boolean {
  if (spec === '') return true;
  const [op, a, b] = spec.split(' ');
  if (op === 'eq') return port === Number(a);
  if (op === 'range') return port >= Number(a) && port <= Number(b);
  if (op === 'lt') return port < Number(a);
  if (op === 'gt') return port > Number(a);
  throw new Error(`port spec ${spec}`);
}

function parseIos(config: string) {
  const acls = new Map<string, string[]>();
  let current: string[] | null = null;
  const classMaps = new Map<string, string[]>();
  let currentClass: string[] | null = null;
  const policyClasses: { name: string; lines: string[] }[] = [];
  let inPolicy = false;
  for (const raw of config.split('\n')) {
    const line = raw.trimEnd();
    let m;
    if ((m = /^(?:ip access-list extended|ipv6 access-list) (\S+)$/.exec(line))) {
      current = [];
      acls.set(m[1], current);
      currentClass = null;
      inPolicy = false;
    } else if ((m = /^class-map match-any (\S+)$/.exec(line))) {
      currentClass = [];
      classMaps.set(m[1], currentClass);
      current = null;
    } else if (/^policy-map /.test(line)) {
      inPolicy = true;
      current = null;
      currentClass = null;
    } else if (inPolicy && (m = /^ class (\S+)$/.exec(line))) {
      policyClasses.push({ name: m[1], lines: [] });
    } else if (inPolicy && /^ {2}\S/.test(line)) {
      policyClasses[policyClasses.length - 1].lines.push(line.trim());
    } else if (current && /^ (permit|deny)/.test(line)) {
      current.push(line.trim());
    } else if (currentClass && (m = /^ match access-group name (\S+)$/.exec(line))) {
      currentClass.push(m[1]);
    } else if (!line.startsWith(' ')) {
      current = null;
      currentClass = null;
      if (line !== '!' && !line.startsWith('!')) inPolicy = false;
    }
  }
  return { acls, classMaps, policyClasses };
}

function aceMatches(ace: string, proto: string, sport: number, dport: number): 'permit' | 'deny' | null {
  if (ace.includes('fragments')) return null; // non-initial fragments only
  const m = /^(permit|deny) (\w+) any ?((?:eq \d+|range \d+ \d+|lt \d+|gt \d+)?) any ?((?:eq \d+|range \d+ \d+|lt \d+|gt \d+)?)$/.exec(ace);
  if (!m) throw new Error(`ACE ${ace}`);
  if (m[2] !== 'ip' && m[2] !== 'ipv6' && m[2] !== proto) return null;
  if (!iosPortMatch(m[3], sport) || !iosPortMatch(m[4], dport)) return null;
  return m[1] as 'permit' | 'deny';
}

function iosInterpreter(config: string, v6: boolean): (proto: 'tcp' | 'udp', sport: number, dport: number) => Marking {
  const { acls, classMaps, policyClasses } = parseIos(config);
  return (proto, sport, dport) => {
    for (const c of policyClasses) {
      if (c.name === 'class-default') return { dscp: KEEP, cos: KEEP };
      const aclNames = classMaps.get(c.name)!.filter((n) => n.endsWith('-V6') === v6);
      expect(aclNames.length).toBe(1);
      let hit = false;
      for (const ace of acls.get(aclNames[0])!) {
        const r = aceMatches(ace, proto, sport, dport);
        if (r !== null) {
          hit = r === 'permit';
          break;
        }
      }
      if (!hit) continue;
      let dscp = KEEP;
      let cos = KEEP;
      for (const l of c.lines) {
        let m;
        if ((m = /^set dscp (\w+)$/.exec(l))) dscp = /^\d+$/.test(m[1]) ? Number(m[1]) : m[1] === 'default' ? 0 : (dscpFromName(m[1]) as number);
        else if ((m = /^set cos (\d)$/.exec(l))) cos = Number(m[1]);
        else expect(l).toBe('trust dscp');
      }
      return { dscp, cos };
    }
    throw new Error('no class');
  };
}

// ---- tests ---------------------------------------------------------------------------------

const GOLDEN_CASES: { file: string; p: NamedPolicy; req: ExportRequest }[] = [
  { file: 'builtin.bridge.nft', p: BUILTIN, req: { format: 'nftables', family: 'bridge' } },
  { file: 'builtin.netdev.nft', p: BUILTIN, req: { format: 'nftables', family: 'netdev', device: 'eth1' } },
  { file: 'builtin.inet-no-cos.nft', p: BUILTIN, req: { format: 'nftables', family: 'inet', noCos: true } },
  { file: 'builtin.ios', p: BUILTIN, req: { format: 'ios', interface: 'GigabitEthernet1/0/5' } },
  { file: 'builtin.no-cos.tc.sh', p: BUILTIN, req: { format: 'tc', device: 'eth1', noCos: true } },
  ...USER.flatMap((p) => [
    { file: `${p.label}.bridge.nft`, p, req: { format: 'nftables', family: 'bridge' } as ExportRequest },
    { file: `${p.label}.ios`, p, req: { format: 'ios', interface: 'GigabitEthernet1/0/5' } as ExportRequest },
    { file: `${p.label}.no-cos.tc.sh`, p, req: { format: 'tc', device: 'eth1', noCos: true } as ExportRequest },
  ]),
];

describe('golden files', () => {
  for (const g of GOLDEN_CASES) {
    it(g.file, () => {
      const got = text(g.p, g.req);
      const file = path.join(GOLDEN, g.file);
      if (UPDATE) fs.writeFileSync(file, got);
      expect(got).toBe(fs.readFileSync(file, 'utf8'));
    });
  }
});

describe('each format means what qosmark does (interpreted, against the compiled policy)', () => {
  for (const p of ALL) {
    it(`nftables bridge and inet, ${p.label}`, () => {
      for (const req of [{ format: 'nftables', family: 'bridge' }, { format: 'nftables', family: 'inet', noCos: true }] as ExportRequest[]) {
        const nft = nftInterpreter(text(p, req));
        fc.assert(
          fc.property(packets(p.policy), ([proto, s, d]) => {
            const want = qosmarkMarking(p.policy, proto, s, d);
            if ((req as { noCos?: boolean }).noCos) want.cos = KEEP;
            expect(nft(proto, s, d)).toEqual(want);
          }),
          { numRuns: 3000, seed: 6 },
        );
      }
    });

    it(`tc --no-cos, ${p.label}`, () => {
      const tc = tcInterpreter(text(p, { format: 'tc', device: 'eth1', noCos: true }));
      fc.assert(
        fc.property(packets(p.policy), ([proto, s, d]) => {
          expect(tc(proto, s, d)).toEqual({ ...qosmarkMarking(p.policy, proto, s, d), cos: KEEP });
        }),
        { numRuns: 3000, seed: 6 },
      );
    });

    it(`ios, IPv4 and IPv6 access lists, ${p.label}`, () => {
      const config = text(p, { format: 'ios' });
      for (const v6 of [false, true]) {
        const ios = iosInterpreter(config, v6);
        fc.assert(
          fc.property(packets(p.policy), ([proto, s, d]) => {
            expect(ios(proto, s, d)).toEqual(qosmarkMarking(p.policy, proto, s, d));
          }),
          { numRuns: 2000, seed: 6 },
        );
      }
    });
  }
});

describe('structure', () => {
  for (const p of ALL) {
    it(`ios, ${p.label}: every port and range of each rule is in that rule's access lists, for its side; class order is rule order`, () => {
      const config = text(p, { format: 'ios', interface: 'GigabitEthernet1/0/5' });
      const { acls, classMaps, policyClasses } = parseIos(config);
      const ruleClasses = policyClasses.slice(0, p.policy.rules.length);
      expect(policyClasses.map((c) => c.name).slice(-2)).toEqual(['QOSMARK-DEFAULT', 'class-default']);
      expect(policyClasses.length).toBe(p.policy.rules.length + 2);
      p.policy.rules.forEach((rule, i) => {
        const cls = ruleClasses[i];
        expect(config).toContain(`class-map match-any ${cls.name}\n description qosmark rule ${rule.name} -> class ${rule.className}`);
        const names = classMaps.get(cls.name)!;
        expect(names).toEqual([cls.name, `${cls.name}-V6`]);
        for (const name of names) {
          const aces = acls.get(name)!;
          expect(aces[0]).toMatch(/^deny +ipv?6? any any fragments$/);
          for (const proto of rule.protocols) {
            for (const r of rule.ports) {
              const spec = r.lo === r.hi ? `eq ${r.lo}` : `range ${r.lo} ${r.hi}`;
              expect(aces.includes(`permit ${proto} any ${spec} any`)).toBe(rule.side !== 'dst');
              expect(aces.includes(`permit ${proto} any any ${spec}`)).toBe(rule.side !== 'src');
            }
          }
          expect(aces.length).toBe(1 + rule.protocols.length * new Set(rule.ports.map((r) => `${r.lo}-${r.hi}`)).size * (rule.side === 'either' ? 2 : 1));
        }
      });
      expect(config).toContain('interface GigabitEthernet1/0/5\n ! trust boundary: the softphone port trusts nothing; the policy decides\n no mls qos trust\n service-policy input QOSMARK\n');
      expect(config).toContain('\nmls qos map cos-dscp 0 8 16 24 32 46 48 56\n');
    });

    it(`nftables, ${p.label}: one set per rule holding exactly its ports, rule lines in policy order, one table`, () => {
      const nft = text(p, { format: 'nftables', family: 'bridge' });
      expect(nft.match(/^table bridge qosmark \{$/gm)?.length).toBe(1);
      const comments = [...nft.matchAll(/th [sd]port @\w+ goto \w+ comment "([^"]+)"/g)].map((m) => m[1]);
      const order = comments.filter((c, i) => c !== comments[i - 1]);
      expect(order).toEqual(p.policy.rules.map((r) => r.name));
      p.policy.rules.forEach((rule) => {
        const lines = [...nft.matchAll(new RegExp(`th ([sd]port) @(\\w+) goto \\w+ comment "${rule.name}"`, 'g'))];
        expect(lines.map((l) => l[1])).toEqual(rule.side === 'either' ? ['sport', 'dport'] : rule.side === 'src' ? ['sport'] : ['dport']);
        const set = new RegExp(`set ${lines[0][2]} \\{[^}]*elements = \\{ ([^}]*) \\}`).exec(nft)!;
        expect(parseRanges(set[1])).toEqual(mergeRanges(rule.ports));
      });
      expect(nft).toMatch(/meta protocol \{ ip, ip6 \} goto qm_default comment "default"\n\t\}/);
    });
  }

  it('tc: the same filters for every kind of frame, IPv6 with traffic_class, IPv4 with csum, each filter its own preference', () => {
    const script = text(BUILTIN, { format: 'tc', device: 'eth1', noCos: true });
    const filters = [...script.matchAll(/^tc filter add dev eth1 ingress pref (\d+) (protocol \S+ flower(?: vlan_ethtype \S+)?)(.*)$/gm)];
    const prefs = filters.map((f) => Number(f[1]));
    expect(prefs).toEqual(prefs.map((_, i) => i + 1));
    const byKind = new Map<string, string[]>();
    for (const f of filters) {
      const list = byKind.get(f[2]) ?? [];
      list.push(f[3].replace(/ip6 traffic_class set (0x\w+) retain 0xfc pass/, 'ip dsfield set $1 retain 0xfc pipe action csum ip4h pass'));
      byKind.set(f[2], list);
    }
    expect([...byKind.keys()].sort()).toEqual(
      [
        'protocol 802.1ad flower vlan_ethtype ip',
        'protocol 802.1ad flower vlan_ethtype ipv6',
        'protocol 802.1q flower vlan_ethtype ip',
        'protocol 802.1q flower vlan_ethtype ipv6',
        'protocol ip flower',
        'protocol ipv6 flower',
      ].sort(),
    );
    const lists = [...byKind.values()];
    for (const l of lists) expect(l).toEqual(lists[0]);
    expect(script).toMatch(/protocol ipv6 flower ip_proto udp src_port 16384-32766 action pedit ex munge ip6 traffic_class set 0xb8 retain 0xfc pass/);
  });
});

describe('refusals name the rule and the format', () => {
  const keepDscpSetCos = loadTestPolicy('keep-dscp-set-cos.yaml');
  const refuse = (p: NamedPolicy, req: ExportRequest): string => {
    try {
      exportPolicy(p.policy, p.name, req);
    } catch (err) {
      expect(err).toBeInstanceOf(ExportError);
      return (err as Error).message;
    }
    throw new Error('not refused');
  };

  it('tc refuses a policy that sets a CoS (vlan modify would rewrite the VLAN ID too)', () => {
    const msg = refuse(BUILTIN, { format: 'tc', device: 'eth1' });
    expect(msg).toMatch(/^tc: rule "sip" \(class signalling, CoS 3\) sets the 802\.1p priority/);
    expect(msg).toContain('--no-cos');
  });

  it('nftables inet refuses a policy that sets a CoS', () => {
    expect(refuse(USER[1], { format: 'nftables', family: 'inet' })).toMatch(/^nftables: rule "catch-high" \(class odd, CoS 2\) sets the 802\.1p priority, which the inet family cannot write/);
  });

  it('ios refuses a class that keeps the DSCP but sets the CoS', () => {
    expect(refuse(keepDscpSetCos, { format: 'ios' })).toMatch(/^ios: rule "rtp-cos" \(class cos-only\) keeps the DSCP but sets CoS 5/);
  });

  it('nftables netdev needs a device', () => {
    expect(refuse(BUILTIN, { format: 'nftables', family: 'netdev' })).toMatch(/^nftables: the netdev family needs --device/);
  });

  it('the same policy with --no-cos is exported, and says so', () => {
    expect(text(keepDscpSetCos, { format: 'ios', noCos: true })).toContain('! --no-cos: no set cos lines; only the DSCP is exported.');
    expect(text(BUILTIN, { format: 'tc', device: 'eth1', noCos: true })).toContain('# --no-cos: the 802.1p priority is left alone');
  });

  it('inspect: sip is not followed, and every format says so', () => {
    for (const req of [{ format: 'nftables', family: 'bridge' }, { format: 'ios' }, { format: 'tc', device: 'eth1', noCos: true }] as ExportRequest[]) {
      const r = exportPolicy(BUILTIN.policy, BUILTIN.name, req);
      expect(r.warnings).toEqual([expect.stringMatching(/^rule "sip": inspect: sip .* has no (nftables|ios|tc) equivalent/)]);
      expect(r.text).toContain('Not exported: rule "sip": inspect: sip');
    }
  });
});

describe('qosmark export on the command line', () => {
  const MAIN = path.join(ROOT, 'dist/cli/main.js');
  const cli = (args: string[]) => {
    ensureBuilt();
    const r = spawnSync(process.execPath, [MAIN, 'export', ...args], { cwd: ROOT, encoding: 'utf8' });
    return { status: r.status, out: r.stdout, err: r.stderr.split('\n').filter((l) => l !== '') };
  };

  it('prints the configuration on stdout, or writes -o FILE', () => {
    const r = cli(['--format', 'nftables']);
    expect(r.status).toBe(0);
    expect(r.out).toBe(text({ ...BUILTIN }, { format: 'nftables', family: 'bridge' }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'qosmark-export-'));
    try {
      const file = path.join(dir, 'x.ios');
      const w = cli(['--format', 'ios', '--policy', 'test/export/policies/overlap-a.yaml', '-o', file]);
      expect(w.status).toBe(0);
      expect(w.out).toBe('');
      expect(fs.readFileSync(file, 'utf8')).toBe(text(USER[0], { format: 'ios' }));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a refusal is one line naming the policy, the format and the rule, exit 2', () => {
    const r = cli(['--format', 'tc', '--device', 'eth1']);
    expect(r.status).toBe(2);
    expect(r.err.filter((l) => !l.includes('note:'))).toEqual([expect.stringMatching(/^qosmark: export: built-in policy: tc: rule "sip" /)]);
  });

  it('usage mistakes are one line and exit 2', () => {
    for (const args of [[], ['--format', 'pf'], ['--format', 'tc'], ['--format', 'ios', '--family', 'bridge'], ['--format', 'nftables', '--family', 'netdev'], ['--format', 'nftables', '--bogus']]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.err[0]).toMatch(/^qosmark: export: /);
      expect(r.err.join('\n')).not.toMatch(/\n\s+at /);
    }
  });
});

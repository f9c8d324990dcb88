/**
 * System test: `qosmark export --format nftables` marks as `qosmark mark` does.
 *
 * Three namespaces (support/export-lab.ts): tcpreplay sends the Ethernet
 * fixture captures from one, a Linux bridge in the middle one runs the
 * exported ruleset (bridge family, or netdev ingress of the bridge port),
 * tcpdump in the third writes what arrives. Every received frame is
 * compared with what `qosmark mark` wrote for the same input frame and
 * policy: byte for byte (so the same DSCP, ECN, PCP and IPv4 checksum) on
 * every frame the kernel can classify. The frames it cannot classify are
 * named by case and checked separately (export-lab.ts, KernelCase):
 * non-first fragments and IPv6 ports behind AH/mobility/HIP/shim6 get the
 * default marking; frames with stacked or 0x9100 tags pass unchanged.
 * Policies: the built-in one, and two user policies with the same
 * overlapping rules in different orders, with side src and dst rules.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeLab, XLAB, align, checkFrame, kernelCase, type DefaultMarking, type KernelCase } from './support/export-lab.js';
import { readPcap } from './support/pcap-file.js';
import { ensureBuilt, qosmark, REPO_ROOT } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const TOOLS = ['ip', 'nft', 'tcpreplay', 'tcpdump', 'ethtool', 'sysctl'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns());

/** Ethernet fixtures whose frames are real wire frames (not cut by a snap length). */
const FIXTURES = ['cupc-ports', 'vlan-stack', 'ecn', 'ipv4-options', 'ipv6-ext', 'fragments', 'be-nsec', 'bad-checksum'];
const FIXTURE_DIR = join(REPO_ROOT, 'fixtures/pcaps');
const POLICY_DIR = join(REPO_ROOT, 'test/export/policies');

interface PolicyCase {
  label: string;
  file: string | null;
  dflt: DefaultMarking;
}

const POLICIES: PolicyCase[] = [
  { label: 'built-in', file: null, dflt: { dscp: null, cos: null } },
  { label: 'overlap-a', file: join(POLICY_DIR, 'overlap-a.yaml'), dflt: { dscp: 0, cos: 0 } },
  { label: 'overlap-b', file: join(POLICY_DIR, 'overlap-b.yaml'), dflt: { dscp: 8, cos: null } },
];
const FAMILIES = ['bridge', 'netdev'] as const;

interface Sent {
  fixture: string;
  frame: number;
  status: string;
  input: Buffer;
}

interface RunReport {
  family: string;
  policy: string;
  compared: Record<KernelCase, number>;
  changedByKernel: number;
  problems: string[];
  lost: number;
  extra: number;
}

function policyArgs(p: PolicyCase): string[] {
  return p.file === null ? [] : ['--policy', p.file];
}

/** The same policy without SDP following: what port rules alone give (the kernel's best). */
function writePortOnlyPolicy(p: PolicyCase, work: string): string {
  const r = qosmark(['policy', 'show', '--json', ...policyArgs(p)]);
  if (r.status !== 0) throw new Error(`policy show: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { rules: Record<string, unknown>[]; media?: unknown };
  for (const rule of doc.rules) delete rule.inspect;
  doc.media = {};
  const file = join(work, `${p.label}.ports-only.json`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

function markAll(policyArgsList: string[], work: string, tag: string): Buffer[] {
  const frames: Buffer[] = [];
  for (const f of FIXTURES) {
    const out = join(work, `${f}.${tag}.pcap`);
    const r = qosmark(['mark', join(FIXTURE_DIR, `${f}.pcap`), '-o', out, '-q', ...policyArgsList]);
    if (r.status !== 0) throw new Error(`qosmark mark ${f} (${tag}): ${r.stderr}`);
    frames.push(...readPcap(readFileSync(out)).records.map((x) => x.data));
  }
  return frames;
}

describe('qosmark export --format nftables, loaded with nft -f on a bridge, marks every frame as qosmark mark does', () => {
  let work = '';
  let lab: BridgeLab | null = null;
  const sent: Sent[] = [];
  const reports: RunReport[] = [];
  const markedBy = new Map<string, Buffer[]>();

  beforeAll(async () => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-export-nft-');
    for (const f of FIXTURES) {
      const cap = readPcap(readFileSync(join(FIXTURE_DIR, `${f}.pcap`)));
      const expected = JSON.parse(readFileSync(join(FIXTURE_DIR, `${f}.expected.json`), 'utf8')) as { packets: { status: string }[] };
      if (cap.linkType !== 1) throw new Error(`${f}: link type ${cap.linkType}, not Ethernet`);
      cap.records.forEach((rec, i) => sent.push({ fixture: f, frame: rec.frame, status: expected.packets[i].status, input: rec.data }));
    }
    lab = new BridgeLab();
    lab.setup();
    const files = FIXTURES.map((f) => join(FIXTURE_DIR, `${f}.pcap`));

    for (const policy of POLICIES) {
      const marked = markAll(policyArgs(policy), work, policy.label);
      const portOnly = markAll(['--policy', writePortOnlyPolicy(policy, work)], work, `${policy.label}-ports`);
      markedBy.set(policy.label, marked);
      for (const family of FAMILIES) {
        const tag = `${family}-${policy.label}`;
        const rulesetFile = join(work, `${tag}.nft`);
        const familyArgs = family === 'netdev' ? ['--family', 'netdev', '--device', XLAB.inIf] : ['--family', 'bridge'];
        const exp = qosmark(['export', '--format', 'nftables', ...familyArgs, ...policyArgs(policy), '-o', rulesetFile]);
        if (exp.status !== 0) throw new Error(`qosmark export (${tag}): ${exp.stderr}`);
        lab.exec(lab.middle, 'nft', ['flush', 'ruleset']);
        lab.exec(lab.middle, 'nft', ['-f', rulesetFile]);
        const { cap } = await lab.replay(files, join(work, `${tag}.cap.pcap`), work, tag);
        lab.exec(lab.middle, 'nft', ['flush', 'ruleset']);

        const { pairs, extra } = align(
          sent.map((s) => s.input),
          cap.records.map((r) => r.data),
        );
        const report: RunReport = {
          family,
          policy: policy.label,
          compared: { classified: 0, 'sdp-followed': 0, 'stacked-tags': 0, 'non-first-fragment': 0, 'ipv6-ports-out-of-reach': 0, malformed: 0 },
          changedByKernel: 0,
          problems: [],
          lost: 0,
          extra: extra.length,
        };
        sent.forEach((s, i) => {
          const kase = kernelCase(s.input, s.status, marked[i], portOnly[i]);
          const got = pairs[i];
          const where = `${tag}: ${s.fixture} frame ${s.frame} (${kase})`;
          if (got === null) {
            report.lost++;
            report.problems.push(`${where}: not received`);
            return;
          }
          report.compared[kase]++;
          if (!got.equals(s.input)) report.changedByKernel++;
          for (const p of checkFrame(kase, s.input, marked[i], portOnly[i], got, policy.dflt)) report.problems.push(`${where}: ${p}`);
        });
        for (const x of extra) report.problems.push(`${tag}: extra frame received: ${x.subarray(0, 48).toString('hex')}`);
        reports.push(report);
      }
    }
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      removeWorkDir(work);
    }
  });

  for (const family of FAMILIES) {
    for (const policy of POLICIES) {
      it(`${family} family, ${policy.label} policy: every frame arrives, classifiable ones exactly as qosmark mark wrote them`, async (ctx) => {
        skipOrFail(ctx, unmetReason);
        const r = reports.find((x) => x.family === family && x.policy === policy.label);
        expect(r, 'run did not happen').toBeDefined();
        const summary =
          `${family}/${policy.label}: ${sent.length} frames sent; compared: ${Object.entries(r!.compared)
            .map(([k, n]) => `${k} ${n}`)
            .join(', ')}; changed by the kernel: ${r!.changedByKernel}`;
        console.log(summary);
        await ctx.annotate(summary);
        expect(r!.problems).toEqual([]);
        expect(r!.lost).toBe(0);
        expect(r!.extra).toBe(0);
        // The comparison proves little unless most frames are classifiable and the kernel rewrote many.
        expect(r!.compared.classified).toBeGreaterThan(100);
        expect(r!.changedByKernel).toBeGreaterThan(50);
        // Every case the kernel cannot classify was met and checked.
        expect(r!.compared['non-first-fragment']).toBeGreaterThan(5);
        expect(r!.compared['stacked-tags']).toBeGreaterThan(5);
        expect(r!.compared['ipv6-ports-out-of-reach']).toBeGreaterThan(5);
      });
    }
  }

  it('the two user policies differ only in rule order and side, and first match gives different markings on many frames', (ctx) => {
    skipOrFail(ctx, unmetReason);
    const a = markedBy.get('overlap-a')!;
    const b = markedBy.get('overlap-b')!;
    const differing = a.filter((f, i) => !f.equals(b[i])).length;
    expect(differing).toBeGreaterThan(30);
  });
});

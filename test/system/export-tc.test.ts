/**
 * System test: `qosmark export --format tc` (with --no-cos: tc cannot set the
 * PCP alone) marks IPv4 and IPv6 as `qosmark mark` does with the CoS kept.
 *
 * 1. Every command of the exported script is accepted by tc's own parser.
 *    tc parses a whole filter, its flower keys and its actions, before it
 *    talks to the kernel, so a command whose only complaint comes back from
 *    the kernel ("We have an error talking to the kernel") is good syntax.
 * 2. Where the kernel has cls_flower, act_pedit, act_csum and act_gact: the
 *    script runs on the ingress of the bridge port in the bridge lab
 *    (support/export-lab.ts), the fixture captures are replayed through it,
 *    and every frame is compared with qosmark mark's, as in
 *    export-nftables.test.ts. A kernel built without them (as on the
 *    project's VMs: CONFIG_NET_CLS_FLOWER, CONFIG_NET_ACT_PEDIT, _CSUM and
 *    _GACT not set, no modules) cannot run the proof: that part is skipped
 *    with the reason even under QOSMARK_REQUIRE_SYSTEM=1, because no package
 *    install can supply it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeLab, XLAB, align, checkFrame, kernelCase, type DefaultMarking, type KernelCase } from './support/export-lab.js';
import { dissectEthernet, readPcap } from './support/pcap-file.js';
import { run } from './support/proc.js';
import { ensureBuilt, qosmark, REPO_ROOT } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { makeWorkDir, removeWorkDir } from './support/work-dir.js';

const TOOLS = ['ip', 'tc', 'tcpreplay', 'tcpdump', 'ethtool', 'sysctl'];
const unmetReason = unmet(requireRoot(), requireTools(TOOLS), requireNetns());

const FIXTURES = ['cupc-ports', 'ecn', 'ipv4-options', 'ipv6-ext', 'fragments', 'be-nsec', 'bad-checksum', 'vlan-stack'];
const FIXTURE_DIR = join(REPO_ROOT, 'fixtures/pcaps');
const POLICY_DIR = join(REPO_ROOT, 'test/export/policies');
const POLICIES = [
  { label: 'built-in', args: [] as string[], dflt: { dscp: null, cos: null } as DefaultMarking },
  { label: 'overlap-a', args: ['--policy', join(POLICY_DIR, 'overlap-a.yaml')], dflt: { dscp: 0, cos: null } as DefaultMarking },
];
const KERNEL_SAID = /We have an error talking to the kernel/;

/** The policy with every CoS kept and no SDP following: what the tc export claims to do. */
function writeDscpOnlyPolicy(args: string[], file: string, portsOnly: boolean): void {
  const r = qosmark(['policy', 'show', '--json', ...args]);
  if (r.status !== 0) throw new Error(`policy show: ${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { classes: Record<string, { cos: unknown }>; default: { cos: unknown }; rules: Record<string, unknown>[]; media?: unknown };
  for (const c of Object.values(doc.classes)) c.cos = 'keep';
  doc.default.cos = 'keep';
  if (portsOnly) {
    for (const rule of doc.rules) delete rule.inspect;
    doc.media = {};
  }
  writeFileSync(file, JSON.stringify(doc));
}

/** Does this kernel have what the exported script needs? null when it does, else why not. */
function probeKernel(lab: BridgeLab): string | null {
  const dev = XLAB.inIf;
  lab.exec(lab.middle, 'tc', ['qdisc', 'replace', 'dev', dev, 'clsact']);
  const probe = lab.exec(
    lab.middle,
    'tc',
    ['filter', 'add', 'dev', dev, 'ingress', 'pref', '1', 'protocol', 'ip', 'flower', 'ip_proto', 'udp', 'dst_port', '9', 'action', 'pedit', 'ex', 'munge', 'ip', 'dsfield', 'set', '0xb8', 'retain', '0xfc', 'pipe', 'action', 'csum', 'ip4h', 'pipe', 'action', 'gact', 'pass'],
    { check: false },
  );
  lab.exec(lab.middle, 'tc', ['qdisc', 'del', 'dev', dev, 'clsact'], { check: false });
  if (probe.status === 0) return null;
  return `this kernel cannot run the tc export (cls_flower, act_pedit, act_csum and act_gact needed; tc said: ${probe.stderr.trim().split('\n')[0]})`;
}

describe('qosmark export --format tc', () => {
  let work = '';
  let lab: BridgeLab | null = null;
  let kernelReason: string | null = null;
  const scripts = new Map<string, string>();

  beforeAll(() => {
    if (unmetReason !== null) return;
    ensureBuilt();
    work = makeWorkDir('qosmark-export-tc-');
    for (const p of POLICIES) {
      const file = join(work, `${p.label}.tc.sh`);
      const r = qosmark(['export', '--format', 'tc', '--device', XLAB.inIf, '--no-cos', ...p.args, '-o', file]);
      if (r.status !== 0) throw new Error(`export ${p.label}: ${r.stderr}`);
      scripts.set(p.label, readFileSync(file, 'utf8'));
    }
    lab = new BridgeLab();
    lab.setup();
    kernelReason = probeKernel(lab);
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      removeWorkDir(work);
    }
  });

  for (const p of POLICIES) {
    it(`${p.label}: tc's parser accepts every command of the script`, (ctx) => {
      skipOrFail(ctx, unmetReason);
      const commands = scripts.get(p.label)!.split('\n').filter((l) => l.startsWith('tc filter add') || l.startsWith('tc qdisc'));
      expect(commands.length).toBeGreaterThan(50);
      const problems: string[] = [];
      lab!.exec(lab!.middle, 'tc', ['qdisc', 'replace', 'dev', XLAB.inIf, 'clsact']);
      for (const c of commands) {
        const r = lab!.exec(lab!.middle, 'sh', ['-c', c], { check: false, timeoutMs: 10_000 });
        if (r.status !== 0 && !KERNEL_SAID.test(r.stderr)) problems.push(`${c}\n  -> ${r.stderr.trim().split('\n')[0]}`);
      }
      lab!.exec(lab!.middle, 'tc', ['qdisc', 'del', 'dev', XLAB.inIf, 'clsact'], { check: false });
      expect(problems).toEqual([]);
    });

    it(`${p.label}: replayed through tc on a bridge port, IPv4 and IPv6 frames are marked as qosmark mark does (CoS kept)`, async (ctx) => {
      skipOrFail(ctx, unmetReason);
      if (kernelReason !== null) {
        // The one skip that QOSMARK_REQUIRE_SYSTEM=1 allows: no package can add a kernel
        // feature. Said on stderr so that the CI log shows why (README, Tests).
        await ctx.annotate(kernelReason);
        process.stderr.write(`export-tc: ${p.label}: replay skipped: ${kernelReason}\n`);
        ctx.skip(`system test skipped: ${kernelReason}`);
      }
      const l = lab!;
      const scriptFile = join(work, `${p.label}.run.sh`);
      writeFileSync(scriptFile, scripts.get(p.label)!);
      l.exec(l.middle, 'sh', [scriptFile], { timeoutMs: 120_000 });
      const files = FIXTURES.map((f) => join(FIXTURE_DIR, `${f}.pcap`));
      const sent: { fixture: string; frame: number; status: string; input: Buffer }[] = [];
      for (const f of FIXTURES) {
        const cap = readPcap(readFileSync(join(FIXTURE_DIR, `${f}.pcap`)));
        const exp = JSON.parse(readFileSync(join(FIXTURE_DIR, `${f}.expected.json`), 'utf8')) as { packets: { status: string }[] };
        cap.records.forEach((rec, i) => sent.push({ fixture: f, frame: rec.frame, status: exp.packets[i].status, input: rec.data }));
      }
      const markWith = (policyFile: string, tag: string) =>
        FIXTURES.flatMap((f) => {
          const out = join(work, `${f}.${tag}.pcap`);
          const r = qosmark(['mark', join(FIXTURE_DIR, `${f}.pcap`), '-o', out, '-q', '--policy', policyFile]);
          if (r.status !== 0) throw new Error(`mark ${f}: ${r.stderr}`);
          return readPcap(readFileSync(out)).records.map((x) => x.data);
        });
      const dscpOnly = join(work, `${p.label}.dscp-only.json`);
      const portsOnly = join(work, `${p.label}.dscp-ports-only.json`);
      writeDscpOnlyPolicy(p.args, dscpOnly, false);
      writeDscpOnlyPolicy(p.args, portsOnly, true);
      const marked = markWith(dscpOnly, `${p.label}-tc`);
      const portOnly = markWith(portsOnly, `${p.label}-tc-ports`);
      const { cap } = await l.replay(files, join(work, `${p.label}.tc.cap.pcap`), work, `tc-${p.label}`);
      run('ip', ['netns', 'exec', l.middle, 'tc', 'qdisc', 'del', 'dev', XLAB.inIf, 'clsact'], { check: false });
      const { pairs, extra } = align(
        sent.map((s) => s.input),
        cap.records.map((r) => r.data),
      );
      const problems: string[] = [];
      const counts: Partial<Record<KernelCase, number>> = {};
      const byVersion = { 4: 0, 6: 0 };
      sent.forEach((s, i) => {
        const kase = kernelCase(s.input, s.status, marked[i], portOnly[i]);
        const got = pairs[i];
        if (got === null) {
          problems.push(`${s.fixture} frame ${s.frame}: not received`);
          return;
        }
        counts[kase] = (counts[kase] ?? 0) + 1;
        const version = dissectEthernet(s.input).ip?.version;
        if (kase === 'classified' && version !== undefined) byVersion[version]++;
        for (const x of checkFrame(kase, s.input, marked[i], portOnly[i], got, p.dflt)) problems.push(`${s.fixture} frame ${s.frame} (${kase}): ${x}`);
      });
      await ctx.annotate(`${sent.length} frames; ${JSON.stringify(counts)}`);
      expect(problems).toEqual([]);
      expect(extra.length).toBe(0);
      expect(counts.classified).toBeGreaterThan(100);
      expect(byVersion[6]).toBeGreaterThan(10);
    });
  }
});

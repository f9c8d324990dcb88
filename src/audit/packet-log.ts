/**
 * `audit --packets FILE`: one JSON object per packet, in file order (JSON
 * Lines), so other tools can join on `frame`. Lines are batched and written
 * in large chunks.
 */
import type { Pipeline } from '../engine/pipeline.js';
import type { ByteOutput } from '../io/byte-stream.js';
import { FRAGMENT_NAMES } from '../parse/parsed-frame.js';
import { isMalformed, statusName } from '../parse/status.js';
import { vlanDei, vlanPcp, vlanVid } from '../parse/vlan.js';
import { readU16 } from '../parse/bytes.js';
import type { PacketFacts, PacketSink } from './auditor.js';
import { VERDICT_NAMES } from './verdict.js';

const FLUSH_CHARS = 1 << 20;

export class PacketLog implements PacketSink {
  private pending: string[] = [];
  private pendingChars = 0;
  /**
   * The log's reader went away (EPIPE: `--packets - | head`). The audit goes
   * on without the log, so that its report and exit status still come out.
   */
  readerGone = false;

  constructor(private readonly out: ByteOutput) {}

  write(pipeline: Pipeline, buf: Uint8Array, f: PacketFacts): void {
    if (this.readerGone) return;
    const p = pipeline.parsed;
    const cls = pipeline.classifier.cls;
    const rule = pipeline.classifier.rule;
    const tags: string[] = [];
    for (let i = 0; i < p.tagCount; i++) {
      const tci = p.tagTciOff[i];
      tags.push(
        `{"tpid":${readU16(buf, tci - 2)},"vid":${vlanVid(buf, tci)},"pcp":${vlanPcp(buf, tci)},"dei":${vlanDei(buf, tci)}}`,
      );
    }
    const hasIp = p.ipVersion !== 0 && p.l3Off >= 0 && f.foundDscp >= 0;
    const line =
      `{"frame":${f.frame},"time":${f.tsSec}.${String(f.tsNsec).padStart(9, '0')},"linktype":${p.linkType},` +
      `"tags":[${tags.join(',')}],"pcp":${p.tagCount > 0 ? vlanPcp(buf, p.tagTciOff[0]) : null},` +
      `"ipVersion":${hasIp ? p.ipVersion : null},"dscp":${hasIp ? f.foundDscp : null},"ecn":${hasIp ? f.foundEcn : null},` +
      `"proto":${p.proto >= 0 ? p.proto : null},"sport":${p.srcPort >= 0 ? p.srcPort : null},` +
      `"dport":${p.dstPort >= 0 ? p.dstPort : null},"fragment":${hasIp ? `"${FRAGMENT_NAMES[p.fragment]}"` : null},` +
      `"rule":${rule >= 0 ? JSON.stringify(pipeline.policy.ruleNames[rule]) : null},` +
      `"class":${cls >= 0 ? JSON.stringify(pipeline.policy.classNames[cls]) : null},` +
      `"expectedDscp":${f.expectedDscp >= 0 ? f.expectedDscp : null},"expectedCos":${f.expectedCos >= 0 ? f.expectedCos : null},` +
      `"verdict":"${VERDICT_NAMES[f.verdict]}","status":"${statusName(p.status)}"` +
      (isMalformed(p.status) ? `,"reason":"${statusName(p.status)}"` : '') +
      '}\n';
    this.pending.push(line);
    this.pendingChars += line.length;
    if (this.pendingChars >= FLUSH_CHARS) this.flush();
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingChars = 0;
    try {
      this.out.write(bytes, 0, bytes.length);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EPIPE') throw err;
      this.readerGone = true;
    }
  }
}

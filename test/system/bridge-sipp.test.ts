/**
 * System test: a real SIP call with SIPp across `qosmark bridge --both-ways`.
 *
 * The caller (sender namespace, 198.18.0.1) runs a UAC scenario that sends an
 * INVITE with SDP, ACKs the 200 OK and plays G.711 RTP (SIPp's g711a.pcap);
 * the callee (receiver namespace, 198.18.0.2) is SIPp's built-in UAS with RTP
 * echo, so RTP flows both ways. The media ports (SIPp's, around 6000) are
 * outside the policy's RTP port range: only following the SIP/SDP can make
 * them voice. One Pipeline serves both directions, so the callee's SDP (in
 * the 200 OK, going back) classifies RTP in both directions too.
 * At both ends: SIP is CS3, RTP is EF, in both directions; checksums valid.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BLAB, BridgeLab, requireLiveBridge, sleep, stopCapture } from './support/bridge-lab.js';
import { dissectEthernet, IPPROTO_UDP, readPcap, type Dissection, type PcapFile } from './support/pcap-file.js';
import type { Background, RunResult } from './support/proc.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';

const TOOLS = ['ip', 'tcpdump', 'ethtool', 'sipp'];
const G711 = '/usr/share/sip-tester/g711a.pcap';
const unmetReason = unmet(
  requireRoot(),
  requireTools(TOOLS),
  requireNetns(),
  requireLiveBridge(),
  (() => {
    try {
      readFileSync(G711);
      return null;
    } catch {
      return `${G711} missing (Debian package sip-tester)`;
    }
  })(),
);

const CALLER_MEDIA = 6100;
const CALLEE_MEDIA = 6000;

const UAC_XML = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="qosmark bridge UAC with RTP">
  <send retrans="500">
    <![CDATA[

      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[local_ip_type] [local_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000

    ]]>
  </send>
  <recv response="100" optional="true"></recv>
  <recv response="180" optional="true"></recv>
  <recv response="200" rtd="true"></recv>
  <send>
    <![CDATA[

      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <nop><action><exec play_pcap_audio="${G711}"/></action></nop>
  <pause milliseconds="2500"/>
  <send retrans="500">
    <![CDATA[

      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: sipp <sip:sipp@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [service] <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: sip:sipp@[local_ip]:[local_port]
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"></recv>
</scenario>
`;

interface Seen {
  d: Dissection;
  kind: 'sip' | 'rtp' | 'other';
  /** A SIP BYE request. */
  bye?: boolean;
  /** Capture time, seconds. */
  t: number;
}

function classify(file: PcapFile): Seen[] {
  const u32 = (b: Buffer, o: number) => (file.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const fracPerSec = u32(file.header, 0) === 0xa1b23c4d ? 1e9 : 1e6;
  return file.records.map((r) => {
    const f = r.data;
    const t = u32(r.header, 0) + u32(r.header, 4) / fracPerSec;
    const d = dissectEthernet(f);
    const ip = d.ip;
    if (ip?.proto !== IPPROTO_UDP || ip.sport === null) return { d, kind: 'other', t };
    if (ip.sport === 5060 || ip.dport === 5060) return { d, kind: 'sip', bye: f.includes('BYE sip:', 0, 'latin1'), t };
    const media = [CALLER_MEDIA, CALLEE_MEDIA];
    if (media.includes(ip.sport) && media.includes(ip.dport!)) return { d, kind: 'rtp', t };
    return { d, kind: 'other', t };
  });
}

describe('a SIPp call across qosmark bridge --both-ways: SIP CS3 and RTP EF in both directions', () => {
  let lab: BridgeLab | null = null;
  let bridge: Background | null = null;
  let uac: RunResult | null = null;
  let summary: Record<string, any> | null = null;
  let atReceiver: Seen[] = [];
  let atSender: Seen[] = [];

  beforeAll(async () => {
    if (unmetReason !== null) return;
    lab = new BridgeLab();
    lab.setup({ addresses: true });
    const w = lab.work;
    const scenario = join(w, 'uac.xml');
    writeFileSync(scenario, UAC_XML);
    bridge = await lab.startBridge('bridge', ['--both-ways', '--json']);
    const capR = await lab.startCapture(lab.receiver, BLAB.receiverIf, 'tcpdump-receiver', join(w, 'receiver.pcap'));
    const capS = await lab.startCapture(lab.sender, BLAB.senderIf, 'tcpdump-sender', join(w, 'sender.pcap'));
    const uas = lab.background(
      lab.receiver,
      'sipp-uas',
      'sipp',
      ['-sn', 'uas', '-i', BLAB.v4.receiver, '-p', '5060', '-mi', BLAB.v4.receiver, '-mp', String(CALLEE_MEDIA), '-rtp_echo', '-m', '1', '-nostdin', '-timeout', '40s'],
      60_000,
    );
    await sleep(500);
    uac = lab.exec(
      lab.sender,
      'sipp',
      ['-sf', scenario, '-i', BLAB.v4.sender, '-p', '5060', '-mi', BLAB.v4.sender, '-mp', String(CALLER_MEDIA), '-m', '1', '-nostdin', '-timeout', '40s', `${BLAB.v4.receiver}:5060`],
      { check: false, timeoutMs: 60_000 },
    );
    await sleep(500);
    await uas.stop('SIGTERM', 5_000);
    await stopCapture(capR);
    await stopCapture(capS);
    await bridge.stop('SIGTERM', 10_000);
    summary = JSON.parse(bridge.stdout());
    atReceiver = classify(readPcap(readFileSync(join(w, 'receiver.pcap'))));
    atSender = classify(readPcap(readFileSync(join(w, 'sender.pcap'))));
  });

  afterAll(async () => {
    try {
      await lab?.destroy();
    } finally {
      if (lab && process.env.QOSMARK_KEEP_SYSTEM_TMP !== '1') rmSync(lab.work, { recursive: true, force: true });
    }
  });

  it('the call completes', (ctx) => {
    skipOrFail(ctx, unmetReason);
    expect(uac!.status, `${uac!.stdout.slice(-2000)}\n${uac!.stderr}`).toBe(0);
  });

  for (const [where, frames] of [
    ['the callee (caller -> callee direction)', () => atReceiver],
    ['the caller (callee -> caller direction)', () => atSender],
  ] as const) {
    it(`at ${where}: SIP is CS3 and RTP is EF, ECN kept, IPv4 checksums valid`, (ctx) => {
      skipOrFail(ctx, unmetReason);
      const seen = frames();
      const sip = seen.filter((s) => s.kind === 'sip');
      // The BYE ends the call's SDP media entries (RFC 3261 section 15; qosmark's SipInspector),
      // so RTP that crosses the bridge after it is no longer the call's media. SIPp's player may
      // send one last packet as the BYE goes out, and the callee echoes it: RTP is judged up to
      // the moment the BYE reached the callee (both captures share the host's clock), and only
      // a few packets may follow it.
      const bye = atReceiver.find((s) => s.bye === true);
      expect(bye, 'the BYE crossed the bridge').toBeDefined();
      const rtp = seen.filter((s) => s.kind === 'rtp' && s.t < bye!.t);
      expect(seen.filter((s) => s.kind === 'rtp' && s.t >= bye!.t).length).toBeLessThanOrEqual(3);
      expect(sip.length).toBeGreaterThanOrEqual(2);
      expect(rtp.length).toBeGreaterThan(50);
      expect(sip.filter((s) => s.d.ip!.dscp !== 24).map((s) => `${s.d.ip!.sport}->${s.d.ip!.dport} DSCP ${s.d.ip!.dscp}`)).toEqual([]);
      expect(rtp.filter((s) => s.d.ip!.dscp !== 46).map((s) => `${s.d.ip!.sport}->${s.d.ip!.dport} DSCP ${s.d.ip!.dscp}`)).toEqual([]);
      expect(seen.filter((s) => s.d.ip?.version === 4 && s.d.ip.checksumOk !== true)).toHaveLength(0);
      expect(seen.filter((s) => s.d.ip !== null && s.d.ip.ecn !== 0)).toHaveLength(0);
    });
  }

  it("the bridge's summary: SDP followed, voice in both directions, nothing lost", (ctx) => {
    skipOrFail(ctx, unmetReason);
    const s = summary!;
    expect(s.sdp.followed).toBe(true);
    expect(s.sdp.withSdp).toBeGreaterThanOrEqual(2);
    expect(s.sdp.packetsClassifiedBySdp).toBeGreaterThan(100);
    const [fwd, rev] = s.directions;
    expect(fwd.classes.voice).toBeGreaterThan(50);
    expect(rev.classes.voice).toBeGreaterThan(50);
    expect(fwd.classes.signalling).toBeGreaterThanOrEqual(2);
    expect(rev.classes.signalling).toBeGreaterThanOrEqual(2);
    expect(s.notForwarded).toBe(0);
    expect(s.received).toBe(s.forwarded);
  });
});

/**
 * System test: a real SIP call with audio AND video, made by SIPp (Debian
 * package sip-tester) between a UAC and a UAS in two network namespaces
 * (198.18.0.1 and 198.18.0.2, support/netns-lab.ts), captured with tcpdump on
 * the UAS side. Then:
 * - `qosmark audit --packets` agrees frame by frame with tshark's SDP-driven
 *   RTP setup (support/sip-oracle.ts, as in sip-tshark.test.ts);
 * - `qosmark mark` gives EF (46) to every audio RTP packet and CS4 (32) to
 *   every video RTP packet, in both directions, and `--no-sdp` gives EF to all;
 * - the UDP port range makes the difference visible: all media ports are
 *   inside 16384-32766, where the port rules alone say voice.
 *
 * SIPp 3.6 runs one media play per call at a time (a second play_pcap_*
 * cancels the first), so each side plays one capture holding both streams:
 * audio to port 6000 and video to 6002. SIPp keeps each packet's offset from
 * the capture's lowest port, so audio leaves [media_port] for the peer's
 * m=audio port and video leaves [media_port]+2 for the peer's audio port + 2,
 * which is its m=video port (both SDPs put video at [media_port+2]).
 *
 * Bounded: about 130 packets, every process has a timeout, tcpdump stops at
 * 2000 packets; the namespaces are always deleted (afterAll).
 * Needs root, ip netns, ethtool, sipp, tcpdump, tshark, and a built dist/.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAB, VethLab } from './support/netns-lab.js';
import { expectedClass } from './support/policy-oracle.js';
import { qosmark, REPO_ROOT } from './support/qosmark.js';
import { requireNetns, requireRoot, requireTools, skipOrFail, unmet } from './support/require.js';
import { oracleClasses, tsharkFrames } from './support/sip-oracle.js';
import { num, tsharkFields } from './support/tshark.js';

const unmetReason = unmet(
  requireRoot(),
  requireTools(['ip', 'ethtool', 'sipp', 'tcpdump', 'tshark']),
  requireNetns(),
  existsSync(join(REPO_ROOT, 'dist/cli/main.js')) ? null : 'dist/cli/main.js not built',
);

const UAC_MEDIA_PORT = 20000;
const UAS_MEDIA_PORT = 30000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sdpLines(user: string, id: number): string {
  return [
    'v=0',
    `o=${user} ${id} 1 IN IP[local_ip_type] [local_ip]`,
    's=qosmark sipp',
    'c=IN IP[media_ip_type] [media_ip]',
    't=0 0',
    'm=audio [media_port] RTP/AVP 0',
    'a=rtpmap:0 PCMU/8000',
    'm=video [media_port+2] RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
  ].join('\n      ');
}

function uacScenario(media: string): string {
  const dialog = (method: string, cseq: string, tag = '') => `
      ${method} sip:bob@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:alice@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:bob@[remote_ip]:[remote_port]>${tag}
      Call-ID: [call_id]
      CSeq: ${cseq}
      Contact: <sip:alice@[local_ip]:[local_port]>
      Max-Forwards: 70`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="qosmark UAC, audio and video">
  <send retrans="500"><![CDATA[${dialog('INVITE', '1 INVITE')}
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdpLines('alice', 1001)}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[${dialog('ACK', '1 ACK', '[peer_tag_param]')}
      Content-Length: 0

    ]]></send>
  <nop><action><exec play_pcap_audio="${media}"/></action></nop>
  <pause milliseconds="1500"/>
  <send retrans="500"><![CDATA[${dialog('BYE', '2 BYE', '[peer_tag_param]')}
      Content-Length: 0

    ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
`;
}

function uasScenario(media: string): string {
  const response = (status: string, tag: boolean) => `
      SIP/2.0 ${status}
      [last_Via:]
      [last_From:]
      [last_To:]${tag ? ';tag=[pid]SIPpTag01[call_number]' : ''}
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:bob@[local_ip]:[local_port]>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="qosmark UAS, audio and video">
  <recv request="INVITE" crlf="true"/>
  <send><![CDATA[${response('180 Ringing', true)}
      Content-Length: 0

    ]]></send>
  <send retrans="500"><![CDATA[${response('200 OK', true)}
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdpLines('bob', 2001)}
    ]]></send>
  <recv request="ACK" crlf="true"/>
  <nop><action><exec play_pcap_audio="${media}"/></action></nop>
  <recv request="BYE"/>
  <send><![CDATA[${response('200 OK', false)}
      Content-Length: 0

    ]]></send>
</scenario>
`;
}

/** One capture with both streams: 40 audio packets (PT 0, port 6000, 20 ms), 24 video packets (PT 96, port 6002, 33 ms). */
function mediaPcap(): Buffer {
  const pkts: { t: number; port: number; pt: number; len: number; seq: number }[] = [];
  for (let i = 0; i < 40; i++) pkts.push({ t: i * 20_000, port: 6000, pt: 0, len: 160, seq: i + 1 });
  for (let i = 0; i < 24; i++) pkts.push({ t: i * 33_000 + 5_000, port: 6002, pt: 96, len: 1000, seq: i + 1 });
  pkts.sort((a, b) => a.t - b.t);
  const records = pkts.map((p) => {
    const rtp = Buffer.alloc(12 + p.len);
    rtp[0] = 0x80;
    rtp[1] = p.pt;
    rtp.writeUInt16BE(p.seq, 2);
    rtp.writeUInt32BE(p.seq * (p.pt === 0 ? 160 : 3000), 4);
    rtp.writeUInt32BE(p.pt === 0 ? 0x1111 : 0x2222, 8);
    const udp = Buffer.alloc(8);
    udp.writeUInt16BE(p.port, 0);
    udp.writeUInt16BE(p.port, 2);
    udp.writeUInt16BE(8 + rtp.length, 4);
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 8 + rtp.length, 2);
    ip[8] = 64;
    ip[9] = 17;
    ip.set([192, 0, 2, 1], 12);
    ip.set([192, 0, 2, 2], 16);
    const eth = Buffer.alloc(14);
    eth.writeUInt16BE(0x0800, 12);
    const frame = Buffer.concat([eth, ip, udp, rtp]);
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000, 0);
    rec.writeUInt32LE(p.t, 4);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    return Buffer.concat([rec, frame]);
  });
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  return Buffer.concat([header, ...records]);
}

const tmp = mkdtempSync(join(tmpdir(), 'qosmark-sipp-'));
const capture = join(tmp, 'call.pcap');
const lab = new VethLab();
let setupError: Error | null = null;
let callLog = '';

beforeAll(async () => {
  if (unmetReason) return;
  try {
    lab.setup();
    const media = join(tmp, 'av.pcap');
    writeFileSync(media, mediaPcap());
    writeFileSync(join(tmp, 'uac.xml'), uacScenario(media));
    writeFileSync(join(tmp, 'uas.xml'), uasScenario(media));
    const tcpdump = lab.background(lab.receiver, 'tcpdump', 'tcpdump', ['-i', LAB.receiverIf, '-n', '-U', '--immediate-mode', '-c', '2000', '-w', capture, 'udp'], tmp, 60_000);
    await tcpdump.waitFor('stderr', 'listening on', 15_000);
    const uas = lab.background(
      lab.receiver,
      'sipp-uas',
      'sipp',
      ['-sf', join(tmp, 'uas.xml'), '-i', LAB.v4.receiver, '-p', '5060', '-mp', String(UAS_MEDIA_PORT), '-m', '1', '-nostdin', '-timeout', '30s', '-timeout_error'],
      tmp,
      45_000,
    );
    await sleep(700);
    const uac = lab.exec(
      lab.sender,
      'sipp',
      [`${LAB.v4.receiver}:5060`, '-sf', join(tmp, 'uac.xml'), '-i', LAB.v4.sender, '-p', '5060', '-mp', String(UAC_MEDIA_PORT), '-m', '1', '-nostdin', '-timeout', '30s', '-timeout_error'],
      { timeoutMs: 45_000, check: false },
    );
    callLog = `UAC exit ${uac.status}: ${uac.stderr.trim()}`;
    for (let i = 0; i < 100 && uas.running; i++) await sleep(100);
    callLog += `\nUAS ${uas.running ? 'still running' : `exit ${uas.exitCode}`}: ${uas.stderr().trim()}`;
    await sleep(300);
    await tcpdump.stop('SIGINT', 5_000);
    if (uac.status !== 0) throw new Error(`SIPp UAC failed\n${callLog}`);
  } catch (err) {
    setupError = err as Error;
  }
}, 120_000);

afterAll(async () => {
  try {
    await lab.destroy();
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});

const portClass = (udp: boolean, sport: number, dport: number) => expectedClass(udp ? 17 : 6, sport, dport).name;

describe('a SIPp call with audio and video', () => {
  it('was captured: SIP with SDP both ways, audio and video RTP both ways, BYE', (ctx) => {
    skipOrFail(ctx, unmetReason);
    if (setupError) throw setupError;
    const frames = tsharkFrames(capture);
    expect(frames.length).toBeGreaterThan(100);
    expect(frames.length).toBeLessThan(2000);
    const flows = new Set(frames.filter((f) => f.rtpSetup !== null).map((f) => `${f.sport}->${f.dport}`));
    for (const flow of [`${UAC_MEDIA_PORT}->${UAS_MEDIA_PORT}`, `${UAS_MEDIA_PORT}->${UAC_MEDIA_PORT}`, `${UAC_MEDIA_PORT + 2}->${UAS_MEDIA_PORT + 2}`, `${UAS_MEDIA_PORT + 2}->${UAC_MEDIA_PORT + 2}`]) {
      expect(flows, `${flow}\n${callLog}`).toContain(flow);
    }
    const sip = tsharkFields(capture, ['frame.number', 'sip.Method', 'sip.Status-Code'], ['-Y', 'sip']);
    expect(sip.map((r) => r['sip.Method'] || r['sip.Status-Code'])).toEqual(expect.arrayContaining(['INVITE', '200', 'ACK', 'BYE']));
  });

  it('qosmark audit --packets agrees with tshark frame by frame', (ctx) => {
    skipOrFail(ctx, unmetReason);
    if (setupError) throw setupError;
    const out = join(tmp, 'packets.jsonl');
    const r = qosmark(['audit', capture, '--packets', out, '--json']);
    expect([0, 1], r.stderr).toContain(r.status);
    const qm = new Map(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { frame: number; class: string | null })
        .map((p) => [p.frame, p.class]),
    );
    const verdicts = oracleClasses(capture, portClass);
    const compared = verdicts.filter((v) => v.excluded === null);
    const wrong = compared.filter((v) => qm.get(v.frame) !== v.expected).map((v) => `frame ${v.frame}: ${v.expected} via ${v.via}, qosmark ${qm.get(v.frame)}`);
    expect(wrong).toEqual([]);
    expect(compared.filter((v) => v.expected === 'video').length).toBeGreaterThanOrEqual(40);
    expect(compared.filter((v) => v.expected === 'voice' && v.via.startsWith('rtp audio')).length).toBeGreaterThanOrEqual(60);
    const report = JSON.parse(r.stdout) as { calls: { streams: { media: string; class: string }[] }[] };
    expect(report.calls).toHaveLength(1);
    expect(report.calls[0].streams.map((s) => `${s.media}:${s.class}`).sort()).toEqual(['audio:voice', 'audio:voice', 'video:video', 'video:video']);
  });

  it('qosmark mark gives EF to audio and CS4 to video; --no-sdp gives EF to both', (ctx) => {
    skipOrFail(ctx, unmetReason);
    if (setupError) throw setupError;
    const kinds = new Map(oracleClasses(capture, portClass).map((v) => [v.frame, v.via.split(' ').slice(0, 2).join(' ')]));
    for (const sdp of [true, false]) {
      const out = join(tmp, sdp ? 'marked.pcap' : 'marked-nosdp.pcap');
      const r = qosmark(['mark', capture, '-o', out, '-q', ...(sdp ? [] : ['--no-sdp'])]);
      expect(r.status, r.stderr).toBe(0);
      const rows = tsharkFields(out, ['frame.number', 'ip.dsfield.dscp', 'ip.dsfield.ecn']);
      const seen: Record<string, Set<number>> = { 'rtp audio': new Set(), 'rtp video': new Set() };
      for (const row of rows) {
        const kind = kinds.get(num(row, 'frame.number')!);
        if (kind === 'rtp audio' || kind === 'rtp video') seen[kind].add(num(row, 'ip.dsfield.dscp')!);
        expect(num(row, 'ip.dsfield.ecn')).toBe(0);
      }
      expect([...seen['rtp audio']], sdp ? 'audio' : 'audio, --no-sdp').toEqual([46]);
      expect([...seen['rtp video']], sdp ? 'video' : 'video, --no-sdp').toEqual([sdp ? 32 : 46]);
    }
  });
});

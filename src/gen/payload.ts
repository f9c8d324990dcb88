/**
 * Payload bytes for generated frames: random fill, text, and SIP messages
 * whose SDP names the call's real media addresses and ports, so that an
 * SDP-aware dissector (tshark with heuristic RTP off) recognises the RTP.
 */
import { formatIp } from '../parse/ip-text.js';
import type { Rng } from './rng.js';

export function randomBytes(rng: Rng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  rng.fill(b);
  return b;
}

/** ASCII text repeated (and cut) to `n` bytes. */
export function textBytes(text: string, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = text.charCodeAt(i % text.length) & 0x7f;
  return b;
}

/** A TLS 1.2/1.3 application-data record of `n` bytes in all (5-byte header, opaque body). */
export function tlsRecord(rng: Rng, n: number): Uint8Array {
  const b = randomBytes(rng, n);
  b[0] = 0x17;
  b[1] = 0x03;
  b[2] = 0x03;
  b[3] = ((n - 5) >>> 8) & 0xff;
  b[4] = (n - 5) & 0xff;
  return b;
}

export function hex(rng: Rng, digits: number): string {
  let s = '';
  while (s.length < digits) s += rng.u32().toString(16).padStart(8, '0');
  return s.slice(0, digits);
}

export interface SipDialog {
  callId: string;
  fromTag: string;
  toTag: string;
  branch: string;
  caller: string;
  callee: string;
  /** The local phone (caller) and its media. */
  aAddr: Uint8Array;
  aPort: number;
  aVideoPort: number;
  /** The far phone and its media (announced in the answer). */
  bAddr: Uint8Array;
  bPort: number;
  bVideoPort: number;
  server: Uint8Array;
  serverPort: number;
  localPort: number;
  transport: 'UDP' | 'TCP' | 'TLS';
  codec: 0 | 18;
  video: boolean;
  cseq: number;
}

const ALLOW = 'ACK,BYE,CANCEL,INVITE,NOTIFY,OPTIONS,REFER,REGISTER,UPDATE,SUBSCRIBE,INFO';

function sdp(d: SipDialog, addr: Uint8Array, port: number, videoPort: number, sessionId: number): string {
  const ipv = addr.length === 4 ? 'IP4' : 'IP6';
  const a = formatIp(addr);
  const lines = [
    'v=0',
    `o=CiscoSystemsCCM-SIP ${sessionId} 1 IN ${ipv} ${a}`,
    's=SIP Call',
    `c=IN ${ipv} ${a}`,
    't=0 0',
    `m=audio ${port} RTP/AVP ${d.codec} 101`,
    `a=rtpmap:${d.codec} ${d.codec === 0 ? 'PCMU' : 'G729'}/8000`,
    'a=ptime:20',
    'a=rtpmap:101 telephone-event/8000',
    'a=fmtp:101 0-15',
    'a=sendrecv',
  ];
  if (d.video) {
    lines.push(
      'b=TIAS:4000000',
      `m=video ${videoPort} RTP/AVP 97 126`,
      'b=TIAS:4000000',
      'a=label:11',
      'a=rtpmap:97 H264/90000',
      'a=fmtp:97 profile-level-id=42801F;packetization-mode=0;max-mbps=245000;max-fs=9000;max-smbps=245000;max-fps=6000;max-rcmd-nalu-size=3456000',
      'a=rtpmap:126 H264/90000',
      'a=fmtp:126 profile-level-id=42801F;packetization-mode=1;max-mbps=245000;max-fs=9000;max-smbps=245000;max-fps=6000;max-rcmd-nalu-size=3456000',
      'a=rtcp-fb:* nack pli',
      'a=rtcp-fb:* ccm fir',
      'a=rtcp-fb:* ccm tmmbr',
      'a=extmap:14/sendrecv http://protocols.cisco.com/timestamp#100us',
      'a=content:main',
      'a=sendrecv',
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

function hostPort(addr: Uint8Array, port: number): string {
  return addr.length === 4 ? `${formatIp(addr)}:${port}` : `[${formatIp(addr)}]:${port}`;
}

function message(startLine: string, headers: string[], body: string): string {
  const all = [...headers];
  if (body.length > 0) all.push('Content-Type: application/sdp');
  all.push(`Content-Length: ${body.length}`);
  return `${startLine}\r\n${all.join('\r\n')}\r\n\r\n${body}`;
}

export type SipMessageKind = 'INVITE' | '100' | '180' | '200-INVITE' | 'ACK' | 'BYE' | '200-BYE';

/** One SIP message of the dialog, as the phone (caller) and the call agent exchange it. */
export function sipMessage(d: SipDialog, kind: SipMessageKind, byePhoneSends: boolean): string {
  const server = hostPort(d.server, d.serverPort);
  const phone = hostPort(d.aAddr, d.localPort);
  const via = `Via: SIP/2.0/${d.transport} ${phone};branch=z9hG4bK${d.branch}`;
  const serverVia = `Via: SIP/2.0/${d.transport} ${server};branch=z9hG4bK${d.branch}b`;
  const from = `From: "${d.caller}" <sip:${d.caller}@${server}>;tag=${d.fromTag}`;
  const toNoTag = `To: <sip:${d.callee}@${server}>`;
  const to = `${toNoTag};tag=${d.toTag}`;
  const callId = `Call-ID: ${d.callId}`;
  const common = ['Max-Forwards: 70', 'User-Agent: Cisco-CSF', 'Date: Mon, 01 Jan 2024 09:00:00 GMT'];
  const contact = `Contact: <sip:${d.caller}@${phone};transport=${d.transport.toLowerCase()}>;+u.sip!devicename.ccm.cisco.com="CSFUSER"`;
  switch (kind) {
    case 'INVITE':
      return message(
        `INVITE sip:${d.callee}@${server};user=phone SIP/2.0`,
        [
          via,
          from,
          toNoTag,
          callId,
          `CSeq: ${d.cseq} INVITE`,
          contact,
          ...common,
          `Allow: ${ALLOW}`,
          'Allow-Events: kpml,dialog',
          'Supported: replaces,join,sdp-anat,norefersub,resource-priority,extended-refer,X-cisco-callinfo,X-cisco-serviceuri,X-cisco-escapecodes,X-cisco-service-control,X-cisco-srtp-fallback,X-cisco-monrec,X-cisco-config,X-cisco-sis-7.0.0,X-cisco-xsi-8.5.1',
          `Call-Info: <urn:x-cisco-remotecc:callinfo>;security=NotAuthenticated;orientation=to;gci=1-${d.cseq};isVoip;call-instance=1`,
          'Cisco-Guid: 0123456789-0123456789-0123456789-0123456789',
          `Remote-Party-ID: "${d.caller}" <sip:${d.caller}@${server}>;party=calling;id-type=subscriber;privacy=off;screen=yes`,
        ],
        sdp(d, d.aAddr, d.aPort, d.aVideoPort, d.cseq * 7 + 1),
      );
    case '100':
      return message('SIP/2.0 100 Trying', [via, from, toNoTag, callId, `CSeq: ${d.cseq} INVITE`, ...common], '');
    case '180':
      return message(
        'SIP/2.0 180 Ringing',
        [via, from, to, callId, `CSeq: ${d.cseq} INVITE`, ...common, `Allow: ${ALLOW}`, 'Call-Info: <urn:x-cisco-remotecc:callinfo>;call-instance=1'],
        '',
      );
    case '200-INVITE':
      return message(
        'SIP/2.0 200 OK',
        [
          via,
          from,
          to,
          callId,
          `CSeq: ${d.cseq} INVITE`,
          `Contact: <sip:${d.callee}@${server};transport=${d.transport.toLowerCase()}>`,
          ...common,
          `Allow: ${ALLOW}`,
          'Supported: replaces,X-cisco-srtp-fallback,Geolocation',
          `Remote-Party-ID: "${d.callee}" <sip:${d.callee}@${server}>;party=called;screen=yes;privacy=off`,
        ],
        sdp(d, d.bAddr, d.bPort, d.bVideoPort, d.cseq * 11 + 3),
      );
    case 'ACK':
      return message(`ACK sip:${d.callee}@${server};transport=${d.transport.toLowerCase()} SIP/2.0`, [via, from, to, callId, `CSeq: ${d.cseq} ACK`, ...common], '');
    case 'BYE':
      return byePhoneSends
        ? message(`BYE sip:${d.callee}@${server} SIP/2.0`, [via, from, to, callId, `CSeq: ${d.cseq + 1} BYE`, ...common], '')
        : message(
            `BYE sip:${d.caller}@${phone} SIP/2.0`,
            [serverVia, `From: <sip:${d.callee}@${server}>;tag=${d.toTag}`, `To: "${d.caller}" <sip:${d.caller}@${server}>;tag=${d.fromTag}`, callId, 'CSeq: 101 BYE', ...common],
            '',
          );
    case '200-BYE':
      return byePhoneSends
        ? message('SIP/2.0 200 OK', [via, from, to, callId, `CSeq: ${d.cseq + 1} BYE`, ...common], '')
        : message(
            'SIP/2.0 200 OK',
            [serverVia, `From: <sip:${d.callee}@${server}>;tag=${d.toTag}`, `To: "${d.caller}" <sip:${d.caller}@${server}>;tag=${d.fromTag}`, callId, 'CSeq: 101 BYE', ...common],
            '',
          );
  }
}

/** Which side sends each message: 0 the phone, 1 the call agent. */
export function sipSender(kind: SipMessageKind, byePhoneSends: boolean): 0 | 1 {
  switch (kind) {
    case 'INVITE':
    case 'ACK':
      return 0;
    case '100':
    case '180':
    case '200-INVITE':
      return 1;
    case 'BYE':
      return byePhoneSends ? 0 : 1;
    case '200-BYE':
      return byePhoneSends ? 1 : 0;
  }
}

/**
 * tshark as the oracle for SIP/SDP following. With heuristic RTP/RTCP off, a
 * UDP frame is RTP (RTCP) only when an SDP set up its conversation, and
 * `rtp.setup-frame` (`rtcp.setup-frame`) names the frame of that SDP
 * (FIELD-NOTES: for a stream the answer announced, the offer's frame). The
 * media type is read from the dialog's SDP (PDML keeps each m= line with its
 * c= and a= lines) that advertised the packet's port.
 *
 * Where the rules deliberately differ from tshark, the frame is excluded and
 * the reason given:
 * - ended: tshark keeps a conversation after BYE, CANCEL or a final error to
 *   the INVITE (FIELD-NOTES); the rules remove the dialog's entries;
 * - replaced: a later offer/answer from the same side (o= line) in the dialog
 *   no longer lists the port; tshark keeps the old conversation;
 * - tcp-gap: the SDP came over a TCP connection after a lost segment; the
 *   rules drop such a connection from inspection, tshark still dissects it;
 * - idle: more than 300 s since the last packet on that endpoint; tshark
 *   never expires a conversation.
 */
import { run } from './proc.js';

export interface SdpMedia {
  type: string;
  port: number;
  rtcpPort: number;
  addr: string | null;
}

export interface SipMsg {
  frame: number;
  time: number;
  callId: string;
  method: string;
  status: number;
  cseqMethod: string;
  /** "username sess-id address" of o=, or null without SDP. */
  owner: string | null;
  media: SdpMedia[] | null;
}

export interface FrameRow {
  frame: number;
  time: number;
  rtpSetup: number | null;
  rtcpSetup: number | null;
  udp: boolean;
  fragment: boolean;
  sport: number | null;
  dport: number | null;
  tcpStream: number | null;
  lostSegment: boolean;
}

const TSHARK_OPTS = ['-n', '-o', 'rtp.heuristic_rtp:FALSE', '-o', 'rtcp.heuristic_rtcp:FALSE'];

function unescapeXml(s: string): string {
  return s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** Every SIP message tshark dissects (several per frame over TCP), with its SDP. */
export function tsharkSip(file: string): SipMsg[] {
  const r = run('tshark', ['-r', file, ...TSHARK_OPTS, '-Y', 'sip', '-T', 'pdml', '-J', 'frame sip sdp'], { timeoutMs: 120_000 });
  const out: SipMsg[] = [];
  let frame = 0;
  let time = 0;
  let cur: SipMsg | null = null;
  let media: SdpMedia | null = null;
  let sessionAddr: string | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.includes('<proto name="sip"')) {
      cur = { frame, time, callId: '', method: '', status: 0, cseqMethod: '', owner: null, media: null };
      out.push(cur);
      media = null;
      sessionAddr = null;
      continue;
    }
    if (line.includes('<proto name="sdp"') && cur) {
      cur.media = [];
      media = null;
      sessionAddr = null;
      continue;
    }
    const m = /<field name="([^"]+)"[^>]*?\sshow="([^"]*)"/.exec(line);
    if (!m) continue;
    const [, name, raw] = m;
    const show = unescapeXml(raw);
    switch (name) {
      case 'frame.number':
        frame = Number(show);
        break;
      case 'frame.time_epoch':
        time = Number(show);
        break;
      case 'sip.Call-ID':
        if (cur && cur.callId === '') cur.callId = show;
        break;
      case 'sip.Method':
        if (cur && cur.method === '') cur.method = show;
        break;
      case 'sip.Status-Code':
        if (cur) cur.status = Number(show);
        break;
      case 'sip.CSeq.method':
        if (cur && cur.cseqMethod === '') cur.cseqMethod = show;
        break;
      case 'sdp.owner': {
        const f = show.split(/\s+/);
        if (cur) cur.owner = `${f[0]} ${f[1]} ${f[5]}`;
        break;
      }
      case 'sdp.connection_info': {
        const addr = show.split(/\s+/)[2]?.split('/')[0] ?? null;
        if (media) media.addr = addr;
        else sessionAddr = addr;
        break;
      }
      case 'sdp.media': {
        const f = show.split(/\s+/);
        const port = Number(f[1]?.split('/')[0]);
        media = { type: f[0].toLowerCase(), port, rtcpPort: port + 1, addr: sessionAddr };
        cur?.media?.push(media);
        break;
      }
      case 'sdp.media_attr': {
        const a = /^rtcp:(\d+)/.exec(show);
        if (a && media) media.rtcpPort = Number(a[1]);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

const FIELDS = [
  'frame.number',
  'frame.time_epoch',
  'rtp.setup-frame',
  'rtcp.setup-frame',
  'ip.proto',
  'ipv6.nxt',
  'ip.flags.mf',
  'ip.frag_offset',
  'udp.srcport',
  'udp.dstport',
  'tcp.srcport',
  'tcp.dstport',
  'tcp.stream',
  'tcp.analysis.lost_segment',
];

export function tsharkFrames(file: string): FrameRow[] {
  const r = run('tshark', ['-r', file, ...TSHARK_OPTS, '-T', 'fields', ...FIELDS.flatMap((f) => ['-e', f]), '-E', 'separator=\t', '-E', 'occurrence=f'], {
    timeoutMs: 120_000,
  });
  const n = (s: string | undefined) => (s === undefined || s === '' ? null : Number(s));
  return r.stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const v = l.split('\t');
      const udp = v[4] === '17' || v[5] === '17';
      const fragment = v[6] === '1' || v[6] === 'True' || (n(v[7]) ?? 0) > 0;
      return {
        frame: Number(v[0]),
        time: Number(v[1]),
        rtpSetup: n(v[2]),
        rtcpSetup: n(v[3]),
        udp,
        fragment,
        sport: udp ? n(v[8]) : n(v[10]),
        dport: udp ? n(v[9]) : n(v[11]),
        tcpStream: n(v[12]),
        lostSegment: v[13] !== undefined && v[13] !== '',
      };
    });
}

export interface OracleVerdict {
  frame: number;
  /** The class the rules give according to tshark's view, or null when excluded / not compared. */
  expected: string | null;
  /** How it was decided: "rtp video (SDP frame 8)", "port rules", ... */
  via: string;
  excluded: 'ended' | 'replaced' | 'tcp-gap' | 'idle' | null;
}

export interface PortClassFn {
  (udp: boolean, sport: number, dport: number): string;
}

/**
 * The class of every UDP (unfragmented) and TCP frame according to tshark's
 * SDP-driven RTP/RTCP setup, with the built-in media map (audio → voice,
 * video → video; other types: port rules).
 */
export function oracleClasses(file: string, portClass: PortClassFn, mediaClass: Record<string, string> = { audio: 'voice', video: 'video' }): OracleVerdict[] {
  const sips = tsharkSip(file);
  const frames = tsharkFrames(file);
  const lostAt = new Map<number, number>(); // tcp stream -> first frame with a lost segment before it
  for (const f of frames) if (f.lostSegment && f.tcpStream !== null && !lostAt.has(f.tcpStream)) lostAt.set(f.tcpStream, f.frame);
  const streamOf = new Map(frames.map((f) => [f.frame, f.tcpStream]));
  const lastUse = new Map<string, number>();
  const expired = new Set<string>();
  const out: OracleVerdict[] = [];
  for (const f of frames) {
    if (f.sport === null || f.dport === null || (f.udp && f.fragment)) continue;
    const setup = f.rtpSetup ?? f.rtcpSetup;
    if (!f.udp || setup === null) {
      out.push({ frame: f.frame, expected: portClass(f.udp, f.sport, f.dport), via: 'port rules', excluded: null });
      continue;
    }
    const kind = f.rtpSetup !== null ? 'rtp' : 'rtcp';
    const setupMsg = sips.find((s) => s.frame === setup && s.media !== null) ?? sips.find((s) => s.frame === setup);
    if (!setupMsg) throw new Error(`${file}: frame ${f.frame}: setup frame ${setup} carries no SIP message tshark showed`);
    const dialog = sips.filter((s) => s.callId === setupMsg.callId && s.frame < f.frame);
    let match: { msg: SipMsg; line: SdpMedia } | null = null;
    for (let i = dialog.length - 1; i >= 0 && match === null; i--) {
      for (const line of dialog[i].media ?? []) {
        const port = kind === 'rtp' ? line.port : line.rtcpPort;
        if (line.port !== 0 && (port === f.sport || port === f.dport)) {
          match = { msg: dialog[i], line };
          break;
        }
      }
    }
    if (match === null) throw new Error(`${file}: frame ${f.frame}: no SDP in dialog ${setupMsg.callId} lists port ${f.sport} or ${f.dport}`);
    const { msg, line } = match;
    const type = mediaClass[line.type];
    const via = `${kind} ${line.type} (SDP frame ${msg.frame}, tshark setup frame ${setup})`;
    const ended = sips.find(
      (s) =>
        s.callId === msg.callId &&
        s.frame > msg.frame &&
        s.frame < f.frame &&
        ((s.method === 'BYE' || s.method === 'CANCEL') || (s.method === '' && s.cseqMethod === 'INVITE' && s.status >= 300)),
    );
    const replaced = dialog.find((s) => s.frame > msg.frame && s.media !== null && s.owner === msg.owner);
    const sdpStream = streamOf.get(msg.frame) ?? null;
    const gap = sdpStream !== null && lostAt.has(sdpStream) && lostAt.get(sdpStream)! <= msg.frame;
    const key = `${msg.frame}|${kind === 'rtp' ? line.port : line.rtcpPort}`;
    const last = lastUse.get(key) ?? msg.time;
    if (f.time - last > 300) expired.add(key);
    lastUse.set(key, f.time);
    const excluded = ended ? 'ended' : replaced ? 'replaced' : gap ? 'tcp-gap' : expired.has(key) ? 'idle' : null;
    out.push({ frame: f.frame, expected: excluded ? null : type ?? portClass(true, f.sport, f.dport), via, excluded });
  }
  return out;
}

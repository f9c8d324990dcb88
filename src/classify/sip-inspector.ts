/**
 * Follows SIP/SDP so that each advertised media endpoint gets the class of
 * its media type (audio → voice, video → video by default), in the media
 * table the classifier consults before the port rules.
 *
 * Only frames classified by a rule with `inspect: sip` come here. Fragmented
 * UDP datagrams are reassembled (for reading only) in a bounded buffer; SIP
 * over TCP goes through bounded per-connection reassembly with Content-Length
 * framing (RFC 3261 section 18.3). A gap, an overflow or text that is not SIP
 * drops that connection from inspection and is counted, never thrown.
 * Nothing here changes a frame's bytes.
 */
import { IPPROTO_TCP, IPPROTO_UDP } from '../parse/ip-protocol.js';
import { IPV4_ADDR_LEN, IPV4_SRC } from '../parse/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_SRC } from '../parse/ipv6.js';
import { FRAG_NONE, type ParsedFrame } from '../parse/parsed-frame.js';
import { parseSdp } from '../parse/sdp.js';
import { parseSipMessage, sdpOf, sipFrameLength, type SipMessage } from '../parse/sip.js';
import { UDP_HEADER_LEN } from '../parse/udp.js';
import { MediaTable } from './media-table.js';

const TCP_SEQ = 4;
const TCP_DATA_OFFSET = 12;
const TCP_FLAGS = 13;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
/**
 * TLS record content types (RFC 8446 section 5.1; RFC 5246 section 6.2.1):
 * change_cipher_spec 20 to heartbeat 24. A connection captured in mid-stream
 * starts with application data (23), not a handshake. No SIP message starts
 * with these bytes: SIP starts with a method or "SIP/2.0", in ASCII letters.
 */
const TLS_FIRST_CONTENT_TYPE = 20;
const TLS_LAST_CONTENT_TYPE = 24;
/** The record's legacy_record_version is 3.x for every TLS and SSL 3 version. */
const TLS_MAJOR_VERSION = 0x03;
/** Per-connection reassembly bound; a SIP message larger than this is not followed. */
export const MAX_STREAM_BYTES = 65536;
export const MAX_TCP_CONNECTIONS = 4096;
export const MAX_DATAGRAMS_IN_REASSEMBLY = 64;
const REASSEMBLY_TIMEOUT_SEC = 30;
/** Calls and streams kept for the audit's per-call view; beyond, only counted. */
export const MAX_RECORDED_CALLS = 10000;
export const MAX_RECORDED_STREAMS = 40000;
/** Dialogs followed at once; the oldest is forgotten (entries released) beyond this. */
export const MAX_DIALOGS = 16384;
/** Fragments held before their datagram's first fragment has shown it is SIP. */
const MAX_HELD_DATAGRAMS = 32;

export interface StreamRecord {
  call: number;
  media: string;
  className: string;
  address: string;
  port: number;
  rtcpPort: number;
  /** Side (SDP origin) that advertised it. */
  side: string;
  /** Frame number of the SIP message that set it up. */
  setupFrame: number;
  packets: number;
  /** DSCP found → packets. */
  dscpFound: Float64Array;
  classIndex: number;
}

export interface CallRecord {
  callId: string;
  from: string;
  to: string;
  start: number;
  end: number | null;
  endReason: string | null;
  streams: number[];
}

interface Dialog {
  id: number;
  call: number;
  /** A 2xx answered the INVITE: a later failed re-INVITE leaves the session as it was (RFC 3261 14.1). */
  established: boolean;
  /** Side → media entries (entry id, generation) it advertised. */
  sides: Map<string, number[]>;
}

interface TcpStream {
  nextSeq: number;
  text: string;
  dropped: boolean;
  /** The first data segment has been seen (and checked for TLS). */
  sawData: boolean;
}

interface Datagram {
  parts: { offset: number; bytes: Uint8Array }[];
  totalLen: number;
  startSec: number;
  bytes: number;
}

export class SipCounters {
  messages = 0;
  withSdp = 0;
  notSip = 0;
  tcpGaps = 0;
  tcpOverflows = 0;
  tcpNotSip = 0;
  tlsConnections = 0;
  connectionsEvicted = 0;
  datagramsReassembled = 0;
  reassemblyDropped = 0;
  unmappedStreams = 0;
  callsNotRecorded = 0;
  dialogsEvicted = 0;
}

function isTlsRecordStart(buf: Uint8Array, off: number, capEnd: number): boolean {
  const type = buf[off];
  return type >= TLS_FIRST_CONTENT_TYPE && type <= TLS_LAST_CONTENT_TYPE && off + 1 < capEnd && buf[off + 1] === TLS_MAJOR_VERSION;
}

export class SipInspector {
  readonly counters = new SipCounters();
  readonly calls: CallRecord[] = [];
  readonly streams: StreamRecord[] = [];
  private readonly dialogs = new Map<string, Dialog>();
  private readonly tcp = new Map<string, TcpStream>();
  private readonly datagrams = new Map<string, Datagram>();
  /** Non-first fragments that came before their first fragment (not yet known to be SIP). */
  private readonly held = new Map<string, Datagram>();
  private nextDialog = 1;
  /** Frame number, for setup-frame records. */
  frame = 0;

  constructor(
    readonly media: MediaTable,
    /** Media type → class index (unmapped types are absent). */
    private readonly mediaClass: Map<string, number>,
    private readonly classNames: readonly string[],
    /** Keep per-call and per-stream records (audit). */
    private readonly record: boolean,
  ) {}

  inspect(buf: Uint8Array, p: ParsedFrame, nowSec: number): void {
    if (p.proto === IPPROTO_UDP) this.inspectUdp(buf, p, nowSec);
    else if (p.proto === IPPROTO_TCP && p.fragment === FRAG_NONE) this.inspectTcp(buf, p, nowSec);
  }

  private inspectUdp(buf: Uint8Array, p: ParsedFrame, nowSec: number): void {
    const end = Math.min(p.ipEnd, p.capEnd);
    if (p.fragment === FRAG_NONE) {
      const start = p.l4Off + UDP_HEADER_LEN;
      if (start >= end) return;
      this.handleText(latin1(buf, start, end), true, sender(buf, p), nowSec);
      return;
    }
    const whole = this.reassemble(buf, p, end, nowSec);
    if (whole !== null && whole.length > UDP_HEADER_LEN) {
      this.counters.datagramsReassembled++;
      this.handleText(latin1(whole, UDP_HEADER_LEN, whole.length), true, sender(buf, p), nowSec);
    }
  }

  private reassemble(buf: Uint8Array, p: ParsedFrame, end: number, nowSec: number): Uint8Array | null {
    const key = datagramKey(buf, p);
    let d = this.datagrams.get(key);
    if (d === undefined) {
      this.expireDatagrams(nowSec);
      if (this.datagrams.size >= MAX_DATAGRAMS_IN_REASSEMBLY) {
        this.counters.reassemblyDropped++;
        return null;
      }
      d = this.held.get(key) ?? { parts: [], totalLen: -1, startSec: nowSec, bytes: 0 };
      this.held.delete(key);
      this.datagrams.set(key, d);
    }
    if (p.ipEnd > p.capEnd) {
      // A fragment cut by the snap length leaves a hole that never fills.
      this.datagrams.delete(key);
      this.counters.reassemblyDropped++;
      return null;
    }
    const bytes = buf.slice(p.l4Off, end);
    d.parts.push({ offset: p.fragOffset, bytes });
    d.bytes += bytes.length;
    if (!p.fragMore) d.totalLen = p.fragOffset + bytes.length;
    if (d.bytes > MAX_STREAM_BYTES) {
      this.datagrams.delete(key);
      this.counters.reassemblyDropped++;
      return null;
    }
    d.startSec = Math.min(d.startSec || nowSec, nowSec);
    if (d.totalLen < 0) return null;
    const whole = new Uint8Array(d.totalLen);
    const covered = new Uint8Array(d.totalLen);
    for (const part of d.parts) {
      const n = Math.min(part.bytes.length, d.totalLen - part.offset);
      if (n <= 0) continue;
      whole.set(part.bytes.subarray(0, n), part.offset);
      covered.fill(1, part.offset, part.offset + n);
    }
    if (covered.indexOf(0) >= 0) return null;
    this.datagrams.delete(key);
    return whole;
  }

  /**
   * Keeps a non-first fragment whose first fragment has not been seen: if
   * that first fragment turns out to be SIP, the datagram can still be read.
   */
  holdFragment(buf: Uint8Array, p: ParsedFrame): void {
    if (p.fragProto !== IPPROTO_UDP || p.ipEnd > p.capEnd) return;
    const key = datagramKey(buf, p);
    let d = this.held.get(key);
    if (d === undefined) {
      if (this.held.size >= MAX_HELD_DATAGRAMS) this.held.delete(this.held.keys().next().value as string);
      d = { parts: [], totalLen: -1, startSec: 0, bytes: 0 };
      this.held.set(key, d);
    }
    const bytes = buf.slice(p.l4Off, p.ipEnd);
    if (d.bytes + bytes.length > MAX_STREAM_BYTES) return;
    d.parts.push({ offset: p.fragOffset, bytes });
    d.bytes += bytes.length;
    if (!p.fragMore) d.totalLen = p.fragOffset + bytes.length;
  }

  private expireDatagrams(nowSec: number): void {
    for (const [key, d] of this.datagrams) {
      if (nowSec - d.startSec > REASSEMBLY_TIMEOUT_SEC) {
        this.datagrams.delete(key);
        this.counters.reassemblyDropped++;
      }
    }
  }

  private inspectTcp(buf: Uint8Array, p: ParsedFrame, nowSec: number): void {
    if (p.l4Off + TCP_FLAGS + 1 > p.capEnd) return;
    const key = connectionKey(buf, p, false);
    const flags = buf[p.l4Off + TCP_FLAGS];
    const seq = readU32(buf, p.l4Off + TCP_SEQ);
    const dataStart = p.l4Off + (buf[p.l4Off + TCP_DATA_OFFSET] >>> 4) * 4;
    const dataEnd = p.ipEnd;
    let stream = this.tcp.get(key);
    if ((flags & TCP_SYN) !== 0) {
      this.track(key, { nextSeq: (seq + 1) >>> 0, text: '', dropped: false, sawData: false });
      return;
    }
    if ((flags & TCP_RST) !== 0) {
      this.tcp.delete(key);
      return;
    }
    if (dataStart < dataEnd) {
      if (stream === undefined) {
        stream = { nextSeq: seq, text: '', dropped: false, sawData: false };
        this.track(key, stream);
      }
      if (!stream.sawData) {
        stream.sawData = true;
        if (isTlsRecordStart(buf, dataStart, p.capEnd)) {
          // A TLS record: SIP over TLS, which cannot be read.
          this.counters.tlsConnections++;
          this.dropConnection(buf, p, stream);
        }
      }
      if (!stream.dropped) this.appendSegment(stream, buf, p, seq, dataStart, dataEnd, nowSec);
    }
    if ((flags & TCP_FIN) !== 0) this.tcp.delete(key);
  }

  /** Stops inspecting both directions of a TCP connection. */
  private dropConnection(buf: Uint8Array, p: ParsedFrame, stream: TcpStream): void {
    stream.dropped = true;
    stream.text = '';
    const reverseKey = connectionKey(buf, p, true);
    const reverse = this.tcp.get(reverseKey);
    if (reverse !== undefined) {
      reverse.dropped = true;
      reverse.text = '';
    } else {
      this.track(reverseKey, { nextSeq: 0, text: '', dropped: true, sawData: true });
    }
  }

  private appendSegment(
    stream: TcpStream,
    buf: Uint8Array,
    p: ParsedFrame,
    seq: number,
    dataStart: number,
    dataEnd: number,
    nowSec: number,
  ): void {
    const ahead = (seq - stream.nextSeq) | 0;
    if (ahead > 0 || dataEnd > p.capEnd) {
      // Bytes missing before this segment, or inside it (snap length): the stream cannot be framed.
      this.counters.tcpGaps++;
      this.dropConnection(buf, p, stream);
      return;
    }
    const skip = -ahead;
    if (dataStart + skip >= dataEnd) return; // a retransmission of bytes already read
    stream.text += latin1(buf, dataStart + skip, dataEnd);
    stream.nextSeq = (stream.nextSeq + (dataEnd - dataStart - skip)) >>> 0;
    if (stream.text.length > MAX_STREAM_BYTES) {
      this.counters.tcpOverflows++;
      this.dropConnection(buf, p, stream);
      return;
    }
    for (;;) {
      const len = sipFrameLength(stream.text);
      if (len === -1) return;
      if (len === -2) {
        this.counters.tcpNotSip++;
        this.dropConnection(buf, p, stream);
        return;
      }
      const message = stream.text.slice(0, len);
      stream.text = stream.text.slice(len);
      this.handleText(message.replace(/^[\r\n]+/, ''), false, sender(buf, p), nowSec);
    }
  }

  private track(key: string, stream: TcpStream): void {
    this.tcp.delete(key);
    if (this.tcp.size >= MAX_TCP_CONNECTIONS) {
      const oldest = this.tcp.keys().next().value as string;
      this.tcp.delete(oldest);
      this.counters.connectionsEvicted++;
    }
    this.tcp.set(key, stream);
  }

  private handleText(text: string, datagram: boolean, from: string, nowSec: number): void {
    const message = parseSipMessage(text, datagram);
    if (message === null) {
      this.counters.notSip++;
      return;
    }
    this.counters.messages++;
    this.handleMessage(message, from, nowSec);
  }

  /** Applies one SIP message's effect on the media table. */
  handleMessage(message: SipMessage, from: string, nowSec: number): void {
    if (message.callId === '') return;
    const existing = this.dialogs.get(message.callId);
    if (!message.isRequest && message.cseqMethod === 'INVITE' && message.status >= 200 && message.status < 300 && existing) {
      existing.established = true;
    }
    const failedInvite = !message.isRequest && message.cseqMethod === 'INVITE' && message.status >= 300;
    const ends =
      (message.isRequest && (message.method === 'BYE' || message.method === 'CANCEL')) ||
      // A failed re-INVITE leaves an established session unchanged (RFC 3261 section 14.1).
      (failedInvite && existing !== undefined && !existing.established);
    if (ends) {
      this.endDialog(message, nowSec);
      return;
    }
    if (failedInvite) return;
    const sdp = sdpOf(message);
    if (sdp === null) return;
    this.counters.withSdp++;
    const description = parseSdp(sdp);
    const dialog = this.dialogFor(message, nowSec);
    // The o= line names the party; with the sender's address, two parties that
    // send identical o= lines (some stacks send "o=- 0 0 IN IP4 127.0.0.1") stay apart.
    const side = `${description.origin}|${from}`;
    const previous = dialog.sides.get(side);
    if (previous !== undefined) this.releaseEntries(dialog, previous);
    const entries: number[] = [];
    for (const s of description.streams) {
      if (s.port === 0 || s.address === null) continue;
      const cls = this.mediaClass.get(s.media);
      if (cls === undefined) {
        this.counters.unmappedStreams++;
        continue;
      }
      const streamId = this.recordStream(dialog, s.media, cls, s.addressText, s.port, s.rtcpPort, side);
      for (const port of s.rtcpPort > 0 && s.rtcpPort !== s.port ? [s.port, s.rtcpPort] : [s.port]) {
        const e = this.media.insert(s.ipVersion, s.address, port, cls, streamId, dialog.id, nowSec);
        entries.push(e, this.media.generation(e));
      }
    }
    dialog.sides.set(side, entries);
  }

  private dialogFor(message: SipMessage, nowSec: number): Dialog {
    let dialog = this.dialogs.get(message.callId);
    if (dialog === undefined) {
      let call = -1;
      if (this.record) {
        if (this.calls.length < MAX_RECORDED_CALLS) {
          call = this.calls.length;
          this.calls.push({ callId: message.callId, from: message.from, to: message.to, start: nowSec, end: null, endReason: null, streams: [] });
        } else this.counters.callsNotRecorded++;
      }
      dialog = { id: this.nextDialog++, call, established: false, sides: new Map() };
      if (this.dialogs.size >= MAX_DIALOGS) this.evictOldestDialog();
      this.dialogs.set(message.callId, dialog);
    }
    return dialog;
  }

  private recordStream(dialog: Dialog, media: string, cls: number, address: string, port: number, rtcpPort: number, side: string): number {
    if (!this.record || dialog.call < 0 || this.streams.length >= MAX_RECORDED_STREAMS) return -1;
    const id = this.streams.length;
    this.streams.push({
      call: dialog.call,
      media,
      className: this.classNames[cls],
      classIndex: cls,
      address,
      port,
      rtcpPort,
      side,
      setupFrame: this.frame,
      packets: 0,
      dscpFound: new Float64Array(64),
    });
    this.calls[dialog.call].streams.push(id);
    return id;
  }

  private evictOldestDialog(): void {
    const [callId, oldest] = this.dialogs.entries().next().value as [string, Dialog];
    for (const entries of oldest.sides.values()) this.releaseEntries(oldest, entries);
    this.dialogs.delete(callId);
    this.counters.dialogsEvicted++;
  }

  private endDialog(message: SipMessage, nowSec: number): void {
    const dialog = this.dialogs.get(message.callId);
    if (dialog === undefined) return;
    for (const entries of dialog.sides.values()) this.releaseEntries(dialog, entries);
    this.dialogs.delete(message.callId);
    if (dialog.call >= 0) {
      const call = this.calls[dialog.call];
      call.end = nowSec;
      call.endReason = message.isRequest ? message.method : `${message.status} to INVITE`;
    }
  }

  private releaseEntries(dialog: Dialog, entries: number[]): void {
    for (let i = 0; i < entries.length; i += 2) this.media.removeOwned(entries[i], dialog.id, entries[i + 1]);
  }
}

function latin1(buf: Uint8Array, start: number, end: number): string {
  return Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString('latin1');
}

function readU32(buf: Uint8Array, off: number): number {
  return ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
}

function addrHex(buf: Uint8Array, p: ParsedFrame): string {
  const len = 2 * (p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN);
  const off = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
  return Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('hex');
}

/** One direction of a TCP connection; `reverse` gives the other direction's key. */
function connectionKey(buf: Uint8Array, p: ParsedFrame, reverse: boolean): string {
  const len = p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN;
  const src = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
  const a = Buffer.from(buf.buffer, buf.byteOffset + src, len).toString('hex');
  const b = Buffer.from(buf.buffer, buf.byteOffset + src + len, len).toString('hex');
  return reverse ? `${b}${a}|${p.dstPort}|${p.srcPort}` : `${a}${b}|${p.srcPort}|${p.dstPort}`;
}

function datagramKey(buf: Uint8Array, p: ParsedFrame): string {
  return `${p.ipVersion}|${addrHex(buf, p)}|${p.fragId}|${p.fragProto}`;
}

function sender(buf: Uint8Array, p: ParsedFrame): string {
  const len = p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN;
  const off = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
  return Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('hex');
}

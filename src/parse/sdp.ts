/**
 * SDP (RFC 8866): each media description's type, port and connection
 * address, and its RTCP port (a=rtcp, RFC 3605, else RTP port + 1). Only
 * what media following needs; never throws on bad input.
 */
import { parseIpv4Text, parseIpv6Text } from './ip-text.js';

export interface SdpStream {
  /** audio, video, image, application, text, or whatever the m= line says. */
  media: string;
  /** RTP port; 0 means the stream is disabled. */
  port: number;
  rtcpPort: number;
  /** 4 or 6; 0 when no usable connection address was given. */
  ipVersion: number;
  /** Connection address bytes (4 or 16), media-level c= over session-level. */
  address: Uint8Array | null;
  addressText: string;
}

export interface SdpDescription {
  /** o= username, session id and address: who sent this description. */
  origin: string;
  streams: SdpStream[];
}

interface Connection {
  version: number;
  address: Uint8Array | null;
  text: string;
}

const NO_CONNECTION: Connection = { version: 0, address: null, text: '' };

export function parseSdp(text: string): SdpDescription {
  let origin = '';
  let session: Connection = NO_CONNECTION;
  const streams: SdpStream[] = [];
  let current: SdpStream | null = null;
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line.length < 2 || line[1] !== '=') continue;
    const value = line.slice(2).trim();
    switch (line[0]) {
      case 'o': {
        const f = value.split(/\s+/);
        origin = f.length >= 6 ? `${f[0]} ${f[1]} ${f[5]}` : value;
        break;
      }
      case 'c': {
        const c = parseConnection(value);
        if (current === null) session = c;
        else {
          current.ipVersion = c.version;
          current.address = c.address;
          current.addressText = c.text;
        }
        break;
      }
      case 'm': {
        const f = value.split(/\s+/);
        const port = f.length >= 2 ? parsePort(f[1].split('/')[0]) : -1;
        current = {
          media: (f[0] ?? '').toLowerCase(),
          port: port < 0 ? 0 : port,
          rtcpPort: port > 0 ? port + 1 : 0,
          ipVersion: session.version,
          address: session.address,
          addressText: session.text,
        };
        streams.push(current);
        break;
      }
      case 'a': {
        if (current !== null && value.toLowerCase().startsWith('rtcp:')) {
          const rtcp = parsePort(value.slice(5).trim().split(/\s+/)[0]);
          if (rtcp > 0) current.rtcpPort = rtcp;
        }
        break;
      }
      default:
        break;
    }
  }
  return { origin, streams };
}

function parsePort(text: string): number {
  if (!/^\d{1,5}$/.test(text)) return -1;
  const n = Number(text);
  return n <= 65535 ? n : -1;
}

function parseConnection(value: string): Connection {
  const f = value.split(/\s+/);
  if (f.length < 3 || f[0].toUpperCase() !== 'IN') return NO_CONNECTION;
  const addressText = f[2].split('/')[0];
  if (f[1].toUpperCase() === 'IP4') {
    const bytes = parseIpv4Text(addressText);
    return bytes ? { version: 4, address: bytes, text: addressText } : NO_CONNECTION;
  }
  if (f[1].toUpperCase() === 'IP6') {
    const bytes = parseIpv6Text(addressText);
    return bytes ? { version: 6, address: bytes, text: addressText } : NO_CONNECTION;
  }
  return NO_CONNECTION;
}

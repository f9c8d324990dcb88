/**
 * Raw sockets through the optional native modules, loaded lazily so that
 * qosmark works without them: `raw-socket` for sending whole IP packets
 * (IPPROTO_RAW: the header is ours, IP_HDRINCL) and reading ICMP, ICMPv6, TCP
 * and IPv4 UDP; `cap` (libpcap) only to see the IPv6 header of UDP datagrams,
 * which a raw IPv6 socket never shows.
 */
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { formatIp } from '../parse/ip-text.js';
import type { ProbeTransport, TransportHandlers, UdpArrival } from './engine.js';
import { parseIcmpV4Packet, parseIcmpV6, parseTcpReply } from './icmp.js';
import { PROTO_ICMP, PROTO_ICMPV6, PROTO_TCP, PROTO_UDP, type Family } from './wire.js';

const requireCjs = createRequire(import.meta.url);

const IPPROTO_RAW = 255;

/** Setting up raw sockets failed in a way the user can act on: one line. */
export class RawSocketError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RawSocketError';
  }
}

interface RawSocket {
  on(event: 'message', cb: (buffer: Buffer, source: string) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  on(event: 'close', cb: () => void): void;
  send(buffer: Buffer, offset: number, length: number, address: string, cb: (err: Error | null, bytes: number) => void): void;
  setOption(level: number, option: number, value: number): void;
  close(): void;
}

interface RawModule {
  createSocket(options: { addressFamily?: number; protocol?: number; bufferSize?: number }): RawSocket;
  AddressFamily: { IPv4: number; IPv6: number };
  SocketLevel: { SOL_SOCKET: number };
  SocketOption: { SO_RCVBUF: number };
}

let rawModule: RawModule | null | undefined;

export function loadRawSocket(): RawModule {
  if (rawModule === undefined) {
    try {
      rawModule = requireCjs('raw-socket') as RawModule;
    } catch {
      rawModule = null;
    }
  }
  if (rawModule === null) {
    throw new RawSocketError('needs the optional module raw-socket, which is not installed or did not build (npm install raw-socket)');
  }
  return rawModule;
}

/** Opens one raw socket; a permission failure becomes the one-line RawSocketError. */
export function openRaw(family: Family, protocol: number, bufferSize = 65535): RawSocket {
  const raw = loadRawSocket();
  try {
    return raw.createSocket({
      addressFamily: family === 6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
      protocol,
      bufferSize,
    });
  } catch (err) {
    const msg = (err as Error).message ?? String(err);
    if (/not permitted|permission|EPERM|EACCES/i.test(msg)) {
      throw new RawSocketError('needs root or CAP_NET_RAW for raw sockets (run it with sudo, or setcap cap_net_raw+ep on node)');
    }
    throw new RawSocketError(`cannot open a raw ${family === 6 ? 'IPv6' : 'IPv4'} socket: ${msg}`);
  }
}

export function sendRaw(socket: RawSocket, packet: Buffer, dst: string): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.send(packet, 0, packet.length, dst, (err) => (err ? reject(err) : resolve()));
  });
}

// ---------------------------------------------------------------- IPv6 header tap (libpcap)

export interface Udp6Datagram {
  src: string;
  dst: string;
  tos: number;
  hopLimit: number;
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface Tap {
  close(): void;
}

interface CapModule {
  Cap: new () => {
    open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
    on(event: 'packet', cb: (nbytes: number, truncated: boolean) => void): void;
    setMinBytes?: (n: number) => void;
    close(): void;
  };
}

/** The interface that has `address`, or "any". */
export function interfaceOf(address: string): string {
  const norm = address.toLowerCase();
  for (const [name, addrs] of Object.entries(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.address.toLowerCase() === norm) return name;
  }
  return 'any';
}

/**
 * IPv6 UDP datagrams with their header, from libpcap (the `cap` module). The
 * reason as a string when cap is missing or the capture cannot start.
 */
export function openUdp6Tap(device: string, filter: string, onDatagram: (d: Udp6Datagram) => void): Tap | string {
  let cap: CapModule;
  try {
    cap = requireCjs('cap') as CapModule;
  } catch {
    return 'the optional module cap (libpcap) is not installed';
  }
  const c = new cap.Cap();
  const buffer = Buffer.alloc(65535);
  let linkType: string;
  try {
    linkType = c.open(device, filter, 4 * 1024 * 1024, buffer);
  } catch (err) {
    return `libpcap capture on ${device} failed: ${(err as Error).message}`;
  }
  c.setMinBytes?.(0);
  c.on('packet', (nbytes) => {
    const frame = buffer.subarray(0, nbytes);
    const ip = ipv6Start(linkType, frame);
    if (ip < 0) return;
    const d = parseUdp6(frame.subarray(ip));
    if (d !== null) onDatagram(d);
  });
  return { close: () => c.close() };
}

/** Offset of the IPv6 header in a captured frame, or -1. */
export function ipv6Start(linkType: string, f: Uint8Array): number {
  let off: number;
  let etherType: number;
  // cap names link types "LINKTYPE_ETHERNET", "LINKTYPE_LINUX_SLL"...
  switch (linkType.replace(/^LINKTYPE_/, '')) {
    case 'ETHERNET':
      if (f.length < 14) return -1;
      off = 14;
      etherType = (f[12] << 8) | f[13];
      break;
    case 'LINUX_SLL':
      if (f.length < 16) return -1;
      off = 16;
      etherType = (f[14] << 8) | f[15];
      break;
    case 'LINUX_SLL2':
      if (f.length < 20) return -1;
      off = 20;
      etherType = (f[0] << 8) | f[1];
      break;
    case 'RAW':
    case 'IPV6':
      return f.length > 0 && f[0] >> 4 === 6 ? 0 : -1;
    default:
      return -1;
  }
  while ((etherType === 0x8100 || etherType === 0x88a8) && off + 4 <= f.length) {
    etherType = (f[off + 2] << 8) | f[off + 3];
    off += 4;
  }
  return etherType === 0x86dd ? off : -1;
}

/** An IPv6 packet carrying UDP directly (no extension headers), or null. */
export function parseUdp6(p: Uint8Array): Udp6Datagram | null {
  if (p.length < 48 || p[0] >> 4 !== 6 || p[6] !== PROTO_UDP) return null;
  const udp = p.subarray(40);
  const len = (udp[4] << 8) | udp[5];
  if (len < 8 || len > udp.length) return null;
  return {
    src: formatIp(p, 8, 16),
    dst: formatIp(p, 24, 16),
    tos: ((p[0] & 0x0f) << 4) | (p[1] >> 4),
    hopLimit: p[7],
    srcPort: (udp[0] << 8) | udp[1],
    dstPort: (udp[2] << 8) | udp[3],
    payload: udp.slice(8, len),
  };
}

/** An IPv4 packet carrying UDP, as a raw IPPROTO_UDP socket reads it. */
export function parseUdp4(p: Uint8Array): (Udp6Datagram & { ipId: number }) | null {
  if (p.length < 28 || p[0] >> 4 !== 4 || p[9] !== PROTO_UDP) return null;
  const ihl = (p[0] & 0x0f) * 4;
  if (ihl < 20 || p.length < ihl + 8) return null;
  const udp = p.subarray(ihl);
  const len = (udp[4] << 8) | udp[5];
  if (len < 8 || len > udp.length) return null;
  return {
    src: formatIp(p, 12, 4),
    dst: formatIp(p, 16, 4),
    tos: p[1],
    hopLimit: p[8],
    ipId: (p[4] << 8) | p[5],
    srcPort: (udp[0] << 8) | udp[1],
    dstPort: (udp[2] << 8) | udp[3],
    payload: udp.slice(8, len),
  };
}

// ---------------------------------------------------------------- probe transport

export interface RawTransportOptions {
  family: Family;
  /** Read UDP replies (STAMP) from this reflector. */
  stampFrom: { address: string; port: number } | null;
  /** Our address, to find the interface for the IPv6 tap. */
  source: string;
}

/** The raw-socket transport of `qosmark probe`. Throws RawSocketError. */
export function openProbeTransport(opts: RawTransportOptions, handlers: TransportHandlers): ProbeTransport & { warning: string | null } {
  const { family } = opts;
  const sockets: RawSocket[] = [];
  const taps: Tap[] = [];
  const close = () => {
    for (const s of sockets.splice(0)) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    for (const t of taps.splice(0)) t.close();
  };
  const guard = (s: RawSocket) => {
    s.on('error', () => undefined);
    sockets.push(s);
    return s;
  };
  try {
    const sender = guard(openRaw(family, IPPROTO_RAW));
    const icmp = guard(openRaw(family, family === 6 ? PROTO_ICMPV6 : PROTO_ICMP));
    icmp.on('message', (buf, source) => {
      const e = family === 6 ? parseIcmpV6(buf, source) : parseIcmpV4Packet(buf, source);
      if (e !== null) handlers.icmp(e);
    });
    const tcp = guard(openRaw(family, PROTO_TCP));
    tcp.on('message', (buf, source) => {
      const r = parseTcpReply(family, buf, source);
      if (r !== null) handlers.tcp(r);
    });
    let seesReplyTos = false;
    let warning: string | null = null;
    const stamp = opts.stampFrom;
    if (stamp !== null) {
      if (family === 4) {
        const udp = guard(openRaw(4, PROTO_UDP));
        seesReplyTos = true;
        udp.on('message', (buf) => {
          const d = parseUdp4(buf);
          if (d === null || d.src !== stamp.address || d.srcPort !== stamp.port) return;
          handlers.udp({ from: d.src, srcPort: d.srcPort, dstPort: d.dstPort, tos: d.tos, payload: d.payload });
        });
      } else {
        const filter = `ip6 and udp and src host ${stamp.address} and src port ${stamp.port}`;
        const tap = openUdp6Tap(interfaceOf(opts.source), filter, (d) =>
          handlers.udp({ from: d.src, srcPort: d.srcPort, dstPort: d.dstPort, tos: d.tos, payload: d.payload }),
        );
        if (typeof tap !== 'string') {
          taps.push(tap);
          seesReplyTos = true;
        } else {
          // Without libpcap: the replies still come (a raw IPv6 UDP socket), without their traffic class.
          warning = `the marking of reflected packets is not visible over IPv6: ${tap}`;
          const udp = guard(openRaw(6, PROTO_UDP));
          udp.on('message', (buf, source) => {
            if (buf.length < 8 || source !== stamp.address) return;
            const srcPort = (buf[0] << 8) | buf[1];
            if (srcPort !== stamp.port) return;
            const u: UdpArrival = { from: source, srcPort, dstPort: (buf[2] << 8) | buf[3], tos: null, payload: buf.subarray(8) };
            handlers.udp(u);
          });
        }
      }
    }
    return { send: (packet, dst) => sendRaw(sender, packet, dst), close, seesReplyTos, warning };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * A STAMP Session-Reflector in stateless mode (RFC 8762 section 4.3) that
 * fills the Class of Service TLV (RFC 8972 section 4.4) from the packet as it
 * arrived and sends the reflection with the DSCP the Session-Sender asked for.
 *
 * A UDP socket holds the port (so the kernel sends no Port Unreachable); the
 * test packets are read with their IP header (a raw IPv4 UDP socket, or
 * libpcap for IPv6) and the reflections are sent on an IPPROTO_RAW socket.
 */
import { dgram } from '../io/builtins.js';
import { openRaw, openUdp6Tap, interfaceOf, parseUdp4, sendRaw, RawSocketError, type Tap, type Udp6Datagram } from './raw.js';
import { reflect } from './stamp.js';
import { PROTO_UDP, addressBytes, buildUdpPacket, type Family } from './wire.js';

const IPPROTO_RAW = 255;
/** TTL of reflected packets (as TWAMP, RFC 5357 section 4.2). */
export const REFLECT_TTL = 255;

export interface ReflectEvent {
  time: string;
  from: string;
  fromPort: number;
  to: string;
  toPort: number;
  seq: number;
  ssid: number;
  length: number;
  receivedDscp: number;
  receivedEcn: number;
  receivedTtl: number;
  cos: boolean;
  reflectedDscp: number;
}

export interface ListenSpec {
  family: Family;
  address: string;
  port: number;
}

export interface Reflector {
  readonly listen: ListenSpec;
  answered: number;
  ignored: number;
  close(): void;
}

const isAny = (a: string) => a === '0.0.0.0' || a === '::';

/** Starts a reflector; resolves once it is listening. Throws RawSocketError with a one-line reason. */
export async function startReflector(listen: ListenSpec, onEvent: (e: ReflectEvent) => void): Promise<Reflector> {
  const holder = dgram().createSocket({ type: listen.family === 6 ? 'udp6' : 'udp4', ipv6Only: listen.family === 6 });
  holder.on('message', () => undefined);
  await new Promise<void>((resolve, reject) => {
    holder.once('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'EADDRINUSE' ? 'the port is in use' : err.code === 'EADDRNOTAVAIL' ? 'no such local address' : err.message;
      reject(new RawSocketError(`cannot listen on ${fmt(listen)}: ${why}`));
    });
    holder.bind(listen.port, listen.address, () => resolve());
  });
  holder.on('error', () => undefined);
  let sender;
  try {
    sender = openRaw(listen.family, IPPROTO_RAW);
  } catch (err) {
    holder.close();
    throw err;
  }
  sender.on('error', () => undefined);

  const state: Reflector = {
    listen,
    answered: 0,
    ignored: 0,
    close: () => undefined,
  };
  const handle = (d: Udp6Datagram) => {
    if (d.dstPort !== listen.port) return;
    if (!isAny(listen.address) && d.dst !== listen.address) return;
    const arrivedMs = Date.now();
    const r = reflect(d.payload, { tos: d.tos, ttl: d.hopLimit, receivedMs: arrivedMs }, Date.now());
    if (r === null) {
      state.ignored++;
      return;
    }
    const src = addressBytes(d.dst);
    const dst = addressBytes(d.src);
    if (src === null || dst === null) return;
    const packet = buildUdpPacket(
      { family: listen.family, src, dst, tos: r.dscp << 2, ttl: REFLECT_TTL, ipId: 1 + Math.floor(Math.random() * 0xfffe), flowLabel: 0 },
      listen.port,
      d.srcPort,
      r.packet,
    );
    sendRaw(sender, packet, d.src).then(
      () => {
        state.answered++;
        const seq = ((r.packet[0] << 24) | (r.packet[1] << 16) | (r.packet[2] << 8) | r.packet[3]) >>> 0;
        onEvent({
          time: new Date(arrivedMs).toISOString(),
          from: d.src,
          fromPort: d.srcPort,
          to: d.dst,
          toPort: d.dstPort,
          seq,
          ssid: (r.packet[14] << 8) | r.packet[15],
          length: d.payload.length,
          receivedDscp: d.tos >> 2,
          receivedEcn: d.tos & 3,
          receivedTtl: d.hopLimit,
          cos: r.cos,
          reflectedDscp: r.dscp,
        });
      },
      () => {
        state.ignored++;
      },
    );
  };

  let closeReader: () => void;
  if (listen.family === 4) {
    let reader;
    try {
      reader = openRaw(4, PROTO_UDP);
    } catch (err) {
      holder.close();
      sender.close();
      throw err;
    }
    reader.on('error', () => undefined);
    reader.on('message', (buf) => {
      const d = parseUdp4(buf);
      if (d !== null) handle(d);
    });
    closeReader = () => reader.close();
  } else {
    const device = isAny(listen.address) ? 'any' : interfaceOf(listen.address);
    const filter = `inbound and ip6 and udp dst port ${listen.port}${isAny(listen.address) ? '' : ` and dst host ${listen.address}`}`;
    const tap: Tap | string = openUdp6Tap(device, filter, handle);
    if (typeof tap === 'string') {
      holder.close();
      sender.close();
      throw new RawSocketError(`over IPv6 needs libpcap to read the traffic class of test packets: ${tap}`);
    }
    closeReader = () => tap.close();
  }
  state.close = () => {
    closeReader();
    sender.close();
    holder.close();
  };
  return state;
}

export function fmt(l: { address: string; port: number }): string {
  return l.address.includes(':') ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;
}

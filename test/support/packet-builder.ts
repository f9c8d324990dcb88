/**
 * Small frame and capture builders for tests that need specific traffic
 * (audit scenarios, CLI runs). Independent of src/: checksums are computed
 * here from RFC 1071.
 */
export interface UdpSpec {
  src?: [number, number, number, number];
  dst?: [number, number, number, number];
  sport: number;
  dport: number;
  dscp: number;
  ecn?: number;
  /** VLAN PCP; undefined = untagged. */
  pcp?: number;
  vid?: number;
  proto?: 'udp' | 'tcp';
  payloadLen?: number;
}

export function ipv4Checksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) if (i !== 10) sum += (header[i] << 8) | header[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Ethernet (optionally 802.1Q tagged) + IPv4 + UDP/TCP header + zero payload. */
export function ethIpv4(spec: UdpSpec): Uint8Array {
  const proto = spec.proto ?? 'udp';
  const l4Len = proto === 'udp' ? 8 : 20;
  const payload = spec.payloadLen ?? 32;
  const tagged = spec.pcp !== undefined;
  const ipOff = tagged ? 18 : 14;
  const frame = new Uint8Array(ipOff + 20 + l4Len + payload);
  frame.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2], 0);
  if (tagged) {
    frame.set([0x81, 0x00, ((spec.pcp! & 7) << 5) | (((spec.vid ?? 100) >> 8) & 0x0f), (spec.vid ?? 100) & 0xff], 12);
  }
  frame.set([0x08, 0x00], ipOff - 2);
  const ip = frame.subarray(ipOff, ipOff + 20);
  const total = 20 + l4Len + payload;
  ip.set([0x45, (spec.dscp << 2) | (spec.ecn ?? 0), total >> 8, total & 0xff, 0, 1, 0, 0, 64, proto === 'udp' ? 17 : 6, 0, 0]);
  ip.set(spec.src ?? [198, 18, 0, 1], 12);
  ip.set(spec.dst ?? [198, 18, 0, 2], 16);
  const sum = ipv4Checksum(ip);
  ip[10] = sum >> 8;
  ip[11] = sum & 0xff;
  const l4 = ipOff + 20;
  frame.set([spec.sport >> 8, spec.sport & 0xff, spec.dport >> 8, spec.dport & 0xff], l4);
  if (proto === 'udp') frame.set([(8 + payload) >> 8, (8 + payload) & 0xff], l4 + 4);
  else frame[l4 + 12] = 0x50;
  return frame;
}

/** A little-endian microsecond classic pcap, one record per frame, 20 ms apart. */
export function pcapFile(frames: Uint8Array[], linkType = 1, startSec = 1_700_000_000): Uint8Array {
  const size = 24 + frames.reduce((n, f) => n + 16 + f.length, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(65535, 16);
  out.writeUInt32LE(linkType, 20);
  let pos = 24;
  frames.forEach((f, i) => {
    const usec = i * 20_000;
    out.writeUInt32LE(startSec + Math.floor(usec / 1e6), pos);
    out.writeUInt32LE(usec % 1e6, pos + 4);
    out.writeUInt32LE(f.length, pos + 8);
    out.writeUInt32LE(f.length, pos + 12);
    out.set(f, pos + 16);
    pos += 16 + f.length;
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

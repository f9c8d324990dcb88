/**
 * A small classic-pcap reader and Ethernet/IP dissector for the system tests,
 * written from pcap-savefile(5), IEEE 802.1Q and RFC 791/8200, independently
 * of qosmark's own parser (src/ is not imported), and a writer for test captures.
 */
import { writeFileSync } from 'node:fs';

export interface PcapRecord {
  /** 1-based, like tshark's frame.number. */
  frame: number;
  /** Byte offset of the record header in the file. */
  offset: number;
  header: Buffer;
  data: Buffer;
}

export interface PcapFile {
  header: Buffer;
  littleEndian: boolean;
  linkType: number;
  records: PcapRecord[];
}

const MAGICS = [0xa1b2c3d4, 0xa1b23c4d];

export function readPcap(buf: Buffer): PcapFile {
  if (buf.length < 24) throw new Error(`pcap: ${buf.length} bytes, shorter than a file header`);
  const littleEndian = MAGICS.includes(buf.readUInt32LE(0));
  if (!littleEndian && !MAGICS.includes(buf.readUInt32BE(0))) throw new Error(`pcap: bad magic ${buf.subarray(0, 4).toString('hex')}`);
  const u32 = (o: number) => (littleEndian ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < buf.length) {
    if (off + 16 > buf.length) throw new Error(`pcap: file ends inside record header ${records.length + 1}`);
    const inclLen = u32(off + 8);
    if (off + 16 + inclLen > buf.length) throw new Error(`pcap: file ends inside record ${records.length + 1}`);
    records.push({
      frame: records.length + 1,
      offset: off,
      header: buf.subarray(off, off + 16),
      data: buf.subarray(off + 16, off + 16 + inclLen),
    });
    off += 16 + inclLen;
  }
  return { header: buf.subarray(0, 24), littleEndian, linkType: u32(20) & 0xffff, records };
}

export interface VlanTag {
  tpid: number;
  /** Offset of the 2-byte TCI in the frame. */
  tciOff: number;
  pcp: number;
  vid: number;
}

export interface IpInfo {
  version: 4 | 6;
  /** Offset of the IP header in the frame. */
  off: number;
  dscp: number;
  ecn: number;
  /** IPv4 only: the header checksum verifies. */
  checksumOk: boolean | null;
  /** Transport protocol when found (after IPv6 extension headers). */
  proto: number | null;
  /** Ports, when the packet is UDP or TCP, not a non-first fragment, and the ports were captured. */
  sport: number | null;
  dport: number | null;
}

export interface Dissection {
  tags: VlanTag[];
  ethertype: number | null;
  ip: IpInfo | null;
}

const TPIDS = new Set([0x8100, 0x88a8, 0x9100]);
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;

export function onesComplementSum(b: Buffer, start: number, end: number): number {
  let sum = 0;
  for (let i = start; i + 1 < end; i += 2) sum += (b[i] << 8) | b[i + 1];
  if ((end - start) % 2 === 1) sum += b[end - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Dissects an Ethernet (linktype 1) frame as far as the transport ports. */
export function dissectEthernet(f: Buffer): Dissection {
  const d: Dissection = { tags: [], ethertype: null, ip: null };
  let off = 12;
  if (f.length < off + 2) return d;
  let type = f.readUInt16BE(off);
  while (TPIDS.has(type) && f.length >= off + 6) {
    const tci = f.readUInt16BE(off + 2);
    d.tags.push({ tpid: type, tciOff: off + 2, pcp: tci >>> 13, vid: tci & 0xfff });
    off += 4;
    type = f.readUInt16BE(off);
  }
  d.ethertype = type;
  const l3 = off + 2;
  if (type === 0x0800) d.ip = dissectIpv4(f, l3);
  else if (type === 0x86dd) d.ip = dissectIpv6(f, l3);
  return d;
}

function ports(f: Buffer, proto: number, l4: number, ip: IpInfo): void {
  ip.proto = proto;
  if ((proto === IPPROTO_TCP || proto === IPPROTO_UDP) && f.length >= l4 + 4) {
    ip.sport = f.readUInt16BE(l4);
    ip.dport = f.readUInt16BE(l4 + 2);
  }
}

function dissectIpv4(f: Buffer, o: number): IpInfo | null {
  if (f.length < o + 20 || f[o] >>> 4 !== 4) return null;
  const ihl = (f[o] & 0x0f) * 4;
  if (ihl < 20 || f.length < o + ihl) return null;
  const ip: IpInfo = {
    version: 4,
    off: o,
    dscp: f[o + 1] >>> 2,
    ecn: f[o + 1] & 3,
    checksumOk: onesComplementSum(f, o, o + ihl) === 0xffff,
    proto: null,
    sport: null,
    dport: null,
  };
  const fragOffset = f.readUInt16BE(o + 6) & 0x1fff;
  if (fragOffset === 0) ports(f, f[o + 9], o + ihl, ip);
  else ip.proto = f[o + 9];
  return ip;
}

function dissectIpv6(f: Buffer, o: number): IpInfo | null {
  if (f.length < o + 40 || f[o] >>> 4 !== 6) return null;
  const tc = ((f[o] & 0x0f) << 4) | (f[o + 1] >>> 4);
  const ip: IpInfo = { version: 6, off: o, dscp: tc >>> 2, ecn: tc & 3, checksumOk: null, proto: null, sport: null, dport: null };
  let nh = f[o + 6];
  let p = o + 40;
  // Hop-by-hop, routing, destination options, fragment, AH.
  for (let n = 0; n < 16; n++) {
    if (nh === 0 || nh === 43 || nh === 60) {
      if (f.length < p + 2) return ip;
      const len = (f[p + 1] + 1) * 8;
      nh = f[p];
      p += len;
    } else if (nh === 44) {
      if (f.length < p + 8) return ip;
      const fragOffset = f.readUInt16BE(p + 2) >>> 3;
      nh = f[p];
      p += 8;
      if (fragOffset !== 0) {
        ip.proto = nh;
        return ip;
      }
    } else if (nh === 51) {
      if (f.length < p + 2) return ip;
      const len = (f[p + 1] + 2) * 4;
      nh = f[p];
      p += len;
    } else {
      ports(f, nh, p, ip);
      return ip;
    }
  }
  return ip;
}

/** Bits that marking may change in this frame: DSCP bits of the IP header, PCP bits of the outer tag, IPv4 checksum. */
export function markableBits(d: Dissection): Map<number, number> {
  const m = new Map<number, number>();
  if (d.tags.length > 0) m.set(d.tags[0].tciOff, 0xe0);
  if (d.ip !== null) {
    if (d.ip.version === 4) {
      m.set(d.ip.off + 1, 0xfc);
      m.set(d.ip.off + 10, 0xff);
      m.set(d.ip.off + 11, 0xff);
    } else {
      m.set(d.ip.off, 0x0f);
      m.set(d.ip.off + 1, 0xc0);
    }
  }
  return m;
}

/** A classic pcap (µs, Ethernet) holding `frames`, 1 ms apart. */
export function writeEthernetPcap(file: string, frames: Buffer[]): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262144, 16);
  header.writeUInt32LE(1, 20);
  const parts: Buffer[] = [header];
  frames.forEach((f, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1700000000 + Math.floor(i / 1000), 0);
    rec.writeUInt32LE((i % 1000) * 1000, 4);
    rec.writeUInt32LE(f.length, 8);
    rec.writeUInt32LE(f.length, 12);
    parts.push(rec, f);
  });
  writeFileSync(file, Buffer.concat(parts));
}

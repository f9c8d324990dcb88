/** ICMP and ICMPv6 error messages built byte by byte for the probe tests (RFC 792, RFC 4443, RFC 4884). */
import { addressBytes, internetChecksum, writeIpv4Header } from '../../src/probe/wire.js';

export interface ErrorOptions {
  /** RFC 4884: pad the quote to this many bytes and put the length in the header. */
  rfc4884Length?: number;
  /** RFC 4884 extension structure bytes (after the padded quote). */
  extension?: Uint8Array;
}

function body(quoted: Uint8Array, opts: ErrorOptions): Uint8Array {
  let original = quoted;
  if (opts.rfc4884Length !== undefined) {
    original = new Uint8Array(opts.rfc4884Length);
    original.set(quoted.subarray(0, opts.rfc4884Length));
  }
  const ext = opts.extension ?? new Uint8Array(0);
  const out = new Uint8Array(original.length + ext.length);
  out.set(original);
  out.set(ext, original.length);
  return out;
}

/** An ICMPv4 error with its outer IPv4 header, as a raw ICMP socket reads it. */
export function icmpV4Error(type: number, code: number, from: string, to: string, quoted: Uint8Array, opts: ErrorOptions = {}): Uint8Array {
  const b = body(quoted, opts);
  const icmp = new Uint8Array(8 + b.length);
  icmp[0] = type;
  icmp[1] = code;
  if (opts.rfc4884Length !== undefined) icmp[5] = opts.rfc4884Length / 4;
  icmp.set(b, 8);
  const c = internetChecksum(icmp);
  icmp[2] = c >> 8;
  icmp[3] = c & 0xff;
  const packet = new Uint8Array(20 + icmp.length);
  writeIpv4Header(packet, 0, { tos: 0xc0, totalLength: packet.length, id: 7, ttl: 64, protocol: 1, src: addressBytes(from)!, dst: addressBytes(to)! });
  packet.set(icmp, 20);
  return packet;
}

/** An ICMPv6 error as a raw ICMPv6 socket reads it (no IPv6 header; checksum left 0, the kernel checks it). */
export function icmpV6Error(type: number, code: number, quoted: Uint8Array, opts: ErrorOptions = {}): Uint8Array {
  const b = body(quoted, opts);
  const icmp = new Uint8Array(8 + b.length);
  icmp[0] = type;
  icmp[1] = code;
  if (opts.rfc4884Length !== undefined) icmp[4] = opts.rfc4884Length / 8;
  icmp.set(b, 8);
  return icmp;
}

/** An RFC 4884 extension structure with one MPLS label stack object (RFC 4950: class 1, c-type 1). */
export function mplsExtension(label: number): Uint8Array {
  const ext = new Uint8Array(4 + 8);
  ext[0] = 0x20; // version 2
  ext[4] = 0;
  ext[5] = 8; // object length
  ext[6] = 1; // class: MPLS label stack
  ext[7] = 1; // c-type: incoming stack
  ext[8] = (label >> 12) & 0xff;
  ext[9] = (label >> 4) & 0xff;
  ext[10] = ((label & 0xf) << 4) | 0x01; // bottom of stack
  ext[11] = 1; // TTL
  const c = internetChecksum(ext);
  ext[2] = c >> 8;
  ext[3] = c & 0xff;
  return ext;
}

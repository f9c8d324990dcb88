/**
 * Known-bytes vectors: each frame is written out as its hex dump (offset
 * column, bytes, and what the bytes are), and every decoded field of the
 * ParsedFrame is asserted. Offsets were worked out by hand from the header
 * layouts, not taken from the parser.
 */
import { describe, expect, it } from 'vitest';
import { parseFrame } from '../../src/parse/frame.js';
import {
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_IPV6,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_LOOP,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
} from '../../src/parse/linktype.js';
import { FRAG_FIRST, FRAG_NONE, FRAG_NONFIRST, ParsedFrame } from '../../src/parse/parsed-frame.js';
import { ST_NOT_IP, ST_OK } from '../../src/parse/status.js';
import { ipv4ChecksumValid, hex } from '../support/bytes.js';
import { type Expected, expected, parse, shifted, snapshot } from './helpers.js';

const V6_ADDRS = `
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01   # src 2001:db8::1
  20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 02   # dst 2001:db8::2`;

/** IPv4/UDP 10.0.0.1:5060 -> 10.0.0.2:20000, 28 bytes, checksum 0x549b. */
const IPV4_UDP = `
  45 00 00 1c 12 34 00 00 40 11 54 9b 0a 00 00 01   # v4 IHL 5, DS 0, total 28, id 0x1234, TTL 64, UDP, csum
  0a 00 00 02                                       # dst 10.0.0.2
  13 c4 4e 20 00 08 00 00                           # UDP 5060 -> 20000, len 8`;

/** IPv6/UDP 2001:db8::1:5060 -> ::2:20000, payload 8. */
const IPV6_UDP = `
  60 00 00 00 00 08 11 40                           # v6, TC 0, flow 0, plen 8, next UDP, hop 64
  ${V6_ADDRS}
  13 c4 4e 20 00 08 00 00                           # UDP 5060 -> 20000`;

interface Vector {
  name: string;
  linkType: number;
  dump: string;
  want: Expected;
}

const VECTORS: Vector[] = [
  // ---------------------------------------------------------------- Ethernet
  {
    name: 'Ethernet / IPv4 / UDP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  00 11 22 33 44 55 66 77 88 99 aa bb 08 00       dst, src, type IPv4
    // 000e  45 00 00 1c 12 34 00 00 40 11 54 9b 0a 00 00 01 0a 00 00 02
    // 0022  13 c4 4e 20 00 08 00 00                         UDP 5060 -> 20000
    dump: `00 11 22 33 44 55 66 77 88 99 aa bb 08 00 ${IPV4_UDP}`,
    want: { status: ST_OK, etherType: 0x0800, ipVersion: 4, l3Off: 14, ipEnd: 42, proto: 17, l4Off: 34, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'Ethernet / 802.1Q / IPv4 / UDP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  00 11 22 33 44 55 66 77 88 99 aa bb 81 00       TPID 802.1Q
    // 000e  a0 64 08 00                                     TCI PCP 5 VID 100, type IPv4
    // 0012  45 00 ... (IPv4 20) 0026  13 c4 4e 20 ...       UDP
    dump: `
      00 11 22 33 44 55 66 77 88 99 aa bb 81 00
      a0 64 08 00
      ${IPV4_UDP}`,
    want: { status: ST_OK, etherType: 0x0800, tagTciOff: [14], ipVersion: 4, l3Off: 18, ipEnd: 46, proto: 17, l4Off: 38, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'Ethernet / 802.1ad / 802.1Q / IPv6 / UDP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  00 11 22 33 44 55 66 77 88 99 aa bb 88 a8       TPID 802.1ad (S-tag)
    // 000e  00 0a 81 00                                     S-TCI VID 10, inner TPID 802.1Q
    // 0012  60 14 86 dd                                     C-TCI PCP 3 VID 20, type IPv6
    // 0016  60 00 00 00 00 08 11 40 + addresses (32)        IPv6, plen 8, UDP
    // 003e  4e 20 13 c4 00 08 00 00                         UDP 20000 -> 5060
    dump: `
      00 11 22 33 44 55 66 77 88 99 aa bb 88 a8
      00 0a 81 00
      60 14 86 dd
      60 00 00 00 00 08 11 40 ${V6_ADDRS}
      4e 20 13 c4 00 08 00 00`,
    want: { status: ST_OK, etherType: 0x86dd, tagTciOff: [14, 18], ipVersion: 6, l3Off: 22, ipEnd: 70, proto: 17, l4Off: 62, srcPort: 20000, dstPort: 5060 },
  },
  {
    name: 'Ethernet / 0x9100 / 802.1Q / IPv4 / UDP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  ... 91 00        TPID 0x9100 (pre-standard QinQ)
    // 000e  00 c8 81 00      VID 200, inner 802.1Q
    // 0012  20 05 08 00      PCP 1 VID 5, IPv4
    // 0016  IPv4 (20)  002a  UDP
    dump: `
      00 11 22 33 44 55 66 77 88 99 aa bb 91 00
      00 c8 81 00
      20 05 08 00
      ${IPV4_UDP}`,
    want: { status: ST_OK, etherType: 0x0800, tagTciOff: [14, 18], ipVersion: 4, l3Off: 22, ipEnd: 50, proto: 17, l4Off: 42, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'Ethernet / 802.1ad / 0x9100 / 802.1Q / IPv4 / ICMP (no ports)',
    linkType: LINKTYPE_ETHERNET,
    // 0000  ... 88 a8  000e 00 01 91 00  0012 00 02 81 00  0016 00 03 08 00
    // 001a  45 00 00 1c 00 01 00 00 40 01 66 de 0a 00 00 01 0a 00 00 02   IPv4 ICMP
    // 002e  08 00 f7 ff 00 00 00 00                                       echo request
    dump: `
      00 11 22 33 44 55 66 77 88 99 aa bb 88 a8
      00 01 91 00
      00 02 81 00
      00 03 08 00
      45 00 00 1c 00 01 00 00 40 01 66 de 0a 00 00 01 0a 00 00 02
      08 00 f7 ff 00 00 00 00`,
    want: { status: ST_OK, etherType: 0x0800, tagTciOff: [14, 18, 22], ipVersion: 4, l3Off: 26, ipEnd: 54, proto: 1, l4Off: 46 },
  },
  {
    name: 'Ethernet / IPv4 with 4 bytes of options (IHL 6) / UDP',
    linkType: LINKTYPE_ETHERNET,
    // 000e  46 00 00 20 12 35 00 00 40 11 51 95 0a 00 00 01   IHL 6, total 32
    // 001e  0a 00 00 02 01 01 01 00                           dst, NOP NOP NOP EOL
    // 0026  13 c4 4e 20 00 08 00 00                           UDP
    dump: `
      00 11 22 33 44 55 66 77 88 99 aa bb 08 00
      46 00 00 20 12 35 00 00 40 11 51 95 0a 00 00 01
      0a 00 00 02 01 01 01 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, etherType: 0x0800, ipVersion: 4, l3Off: 14, ipEnd: 46, proto: 17, l4Off: 38, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'Ethernet / IPv4 / UDP with Ethernet padding to 60 bytes',
    linkType: LINKTYPE_ETHERNET,
    // 0000  eth (14)  000e IPv4 total 28  0022 UDP (8)  002a 18 bytes of zero padding
    dump: `00 11 22 33 44 55 66 77 88 99 aa bb 08 00 ${IPV4_UDP}
      00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00`,
    want: { status: ST_OK, etherType: 0x0800, ipVersion: 4, l3Off: 14, ipEnd: 42, proto: 17, l4Off: 34, srcPort: 5060, dstPort: 20000 },
  },
  // ---------------------------------------------------------------- Linux cooked
  {
    name: 'SLL / IPv4 / TCP',
    linkType: LINKTYPE_LINUX_SLL,
    // 0000  00 00 00 01 00 06 66 77 88 99 aa bb 00 00 08 00   pkt type 0, ARPHRD 1, alen 6, addr(8), proto IPv4
    // 0010  45 00 00 28 12 36 40 00 40 06 a5 2b c0 a8 01 0a   total 40, DF, TCP, 192.168.1.10
    // 0020  c0 a8 01 14                                       192.168.1.20
    // 0024  c3 50 01 bb 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00   TCP 50000 -> 443 SYN
    dump: `
      00 00 00 01 00 06 66 77 88 99 aa bb 00 00 08 00
      45 00 00 28 12 36 40 00 40 06 a5 2b c0 a8 01 0a
      c0 a8 01 14
      c3 50 01 bb 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00`,
    want: { status: ST_OK, etherType: 0x0800, ipVersion: 4, l3Off: 16, ipEnd: 56, proto: 6, l4Off: 36, srcPort: 50000, dstPort: 443 },
  },
  {
    name: 'SLL / 802.1Q / IPv4 / UDP',
    linkType: LINKTYPE_LINUX_SLL,
    // 0000  00 04 00 01 00 06 66 77 88 99 aa bb 00 00 81 00   outgoing, proto 802.1Q
    // 0010  a0 64 08 00                                       PCP 5 VID 100, IPv4
    // 0014  IPv4 (20)  0028  UDP (8)
    dump: `
      00 04 00 01 00 06 66 77 88 99 aa bb 00 00 81 00
      a0 64 08 00
      ${IPV4_UDP}`,
    want: { status: ST_OK, etherType: 0x0800, tagTciOff: [16], ipVersion: 4, l3Off: 20, ipEnd: 48, proto: 17, l4Off: 40, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'SLL2 / IPv6 / UDP',
    linkType: LINKTYPE_LINUX_SLL2,
    // 0000  86 dd 00 00 00 00 00 02 00 01 00 06 66 77 88 99 aa bb 00 00
    //       proto IPv6, reserved, ifindex 2, ARPHRD 1, pkt type 0, alen 6, addr(8)
    // 0014  IPv6 (40)  003c UDP 5060 -> 5060
    dump: `
      86 dd 00 00 00 00 00 02 00 01 00 06 66 77 88 99 aa bb 00 00
      60 00 00 00 00 08 11 40 ${V6_ADDRS}
      13 c4 13 c4 00 08 00 00`,
    want: { status: ST_OK, etherType: 0x86dd, ipVersion: 6, l3Off: 20, ipEnd: 68, proto: 17, l4Off: 60, srcPort: 5060, dstPort: 5060 },
  },
  {
    name: 'SLL2 / 802.1Q / IPv4 / UDP',
    linkType: LINKTYPE_LINUX_SLL2,
    // 0000  81 00 00 00 00 00 00 02 00 01 00 06 66 77 88 99 aa bb 00 00   proto 802.1Q
    // 0014  60 0a 08 00                                                 PCP 3 VID 10, IPv4
    // 0018  IPv4 (20)  002c UDP
    dump: `
      81 00 00 00 00 00 00 02 00 01 00 06 66 77 88 99 aa bb 00 00
      60 0a 08 00
      ${IPV4_UDP}`,
    want: { status: ST_OK, etherType: 0x0800, tagTciOff: [20], ipVersion: 4, l3Off: 24, ipEnd: 52, proto: 17, l4Off: 44, srcPort: 5060, dstPort: 20000 },
  },
  // ---------------------------------------------------------------- BSD loopback
  {
    name: 'NULL (little-endian writer) / IPv4 / UDP',
    linkType: LINKTYPE_NULL,
    // 0000  02 00 00 00      AF_INET, little-endian
    // 0004  IPv4 (20)  0018 UDP
    dump: `02 00 00 00 ${IPV4_UDP}`,
    want: { status: ST_OK, ipVersion: 4, l3Off: 4, ipEnd: 32, proto: 17, l4Off: 24, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'NULL (big-endian writer) / IPv4 / UDP',
    linkType: LINKTYPE_NULL,
    // 0000  00 00 00 02      AF_INET, big-endian
    dump: `00 00 00 02 ${IPV4_UDP}`,
    want: { status: ST_OK, ipVersion: 4, l3Off: 4, ipEnd: 32, proto: 17, l4Off: 24, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'NULL (little-endian, AF_INET6 = 30 Darwin) / IPv6 / UDP',
    linkType: LINKTYPE_NULL,
    // 0000  1e 00 00 00      AF_INET6 (Darwin), little-endian
    // 0004  IPv6 (40)  002c UDP
    dump: `1e 00 00 00 ${IPV6_UDP}`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 4, ipEnd: 52, proto: 17, l4Off: 44, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'NULL (big-endian, AF_INET6 = 24 NetBSD/OpenBSD) / IPv6 / UDP',
    linkType: LINKTYPE_NULL,
    // 0000  00 00 00 18      AF_INET6 (BSD), big-endian
    dump: `00 00 00 18 ${IPV6_UDP}`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 4, ipEnd: 52, proto: 17, l4Off: 44, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'LOOP / IPv4 / UDP',
    linkType: LINKTYPE_LOOP,
    // 0000  00 00 00 02      AF_INET, always network byte order
    dump: `00 00 00 02 ${IPV4_UDP}`,
    want: { status: ST_OK, ipVersion: 4, l3Off: 4, ipEnd: 32, proto: 17, l4Off: 24, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'LOOP / IPv6 / UDP',
    linkType: LINKTYPE_LOOP,
    // 0000  00 00 00 18      AF_INET6 (OpenBSD)
    dump: `00 00 00 18 ${IPV6_UDP}`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 4, ipEnd: 52, proto: 17, l4Off: 44, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'LOOP with a little-endian family is not IP (LOOP is always big-endian)',
    linkType: LINKTYPE_LOOP,
    // 0000  02 00 00 00      would be AF_INET little-endian: invalid for LOOP
    dump: `02 00 00 00 ${IPV4_UDP}`,
    want: { status: ST_NOT_IP },
  },
  {
    name: 'NULL with an unknown family (7) is not IP',
    linkType: LINKTYPE_NULL,
    // 0000  07 00 00 00
    dump: `07 00 00 00 ${IPV4_UDP}`,
    want: { status: ST_NOT_IP },
  },
  // ---------------------------------------------------------------- raw IP
  {
    name: 'RAW / IPv4 / UDP',
    linkType: LINKTYPE_RAW,
    // 0000  45 ... IPv4 (20)  0014 UDP
    dump: IPV4_UDP,
    want: { status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 28, proto: 17, l4Off: 20, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'RAW / IPv6 / UDP',
    linkType: LINKTYPE_RAW,
    // 0000  60 ... IPv6 (40)  0028 UDP
    dump: IPV6_UDP,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 48, proto: 17, l4Off: 40, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'LINKTYPE_IPV4 / UDP',
    linkType: LINKTYPE_IPV4,
    dump: IPV4_UDP,
    want: { status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 28, proto: 17, l4Off: 20, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'LINKTYPE_IPV6 / UDP',
    linkType: LINKTYPE_IPV6,
    dump: IPV6_UDP,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 48, proto: 17, l4Off: 40, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'RAW / IPv4 with 40 bytes of options (IHL 15) / UDP',
    linkType: LINKTYPE_RAW,
    // 0000  4f 00 00 44 12 37 00 00 40 11 36 5d 0a 00 00 01 0a 00 00 02   IHL 15, total 68
    // 0014  39 x NOP (01), EOL (00)                                         options
    // 003c  13 c4 4e 20 00 08 00 00                                         UDP
    dump: `
      4f 00 00 44 12 37 00 00 40 11 36 5d 0a 00 00 01 0a 00 00 02
      01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01
      01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 01 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 68, proto: 17, l4Off: 60, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'RAW / IPv4 first fragment (MF, offset 0) / UDP',
    linkType: LINKTYPE_RAW,
    // 0000  45 00 00 24 ab cd 20 00 40 11 9a f9 0a 00 00 01 0a 00 00 02   id 0xabcd, MF
    // 0014  13 c4 4e 20 00 10 00 00 de ad be ef de ad be ef               UDP + 8 data bytes
    dump: `
      45 00 00 24 ab cd 20 00 40 11 9a f9 0a 00 00 01 0a 00 00 02
      13 c4 4e 20 00 10 00 00 de ad be ef de ad be ef`,
    want: { status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 36, proto: 17, l4Off: 20, fragment: FRAG_FIRST, fragId: 0xabcd, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'RAW / IPv4 non-first fragment (offset 1 unit) carries no ports',
    linkType: LINKTYPE_RAW,
    // 0000  45 00 00 1c ab cd 00 01 40 11 bb 00 0a 00 00 01 0a 00 00 02   id 0xabcd, offset 1
    // 0014  13 c4 4e 20 00 10 00 00                                       data that looks like ports
    dump: `
      45 00 00 1c ab cd 00 01 40 11 bb 00 0a 00 00 01 0a 00 00 02
      13 c4 4e 20 00 10 00 00`,
    want: { status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 28, proto: 17, l4Off: 20, fragment: FRAG_NONFIRST, fragId: 0xabcd },
  },
  // ---------------------------------------------------------------- IPv6 extension headers
  {
    name: 'IPv6 / Hop-by-Hop (8) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 10 00 40 + addrs      plen 16, next HBH
    // 0028  11 00 01 04 00 00 00 00              next UDP, len 0 (8 bytes), PadN
    // 0030  UDP
    dump: `
      60 00 00 00 00 10 00 40 ${V6_ADDRS}
      11 00 01 04 00 00 00 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 56, proto: 17, l4Off: 48, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / Routing (24) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 20 2b 40 + addrs      plen 32, next Routing
    // 0028  11 02 00 00 00 00 00 00 + 16 zero    next UDP, len 2 (24 bytes)
    // 0040  UDP
    dump: `
      60 00 00 00 00 20 2b 40 ${V6_ADDRS}
      11 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 72, proto: 17, l4Off: 64, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / Destination Options (8) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 10 3c 40 + addrs      next DSTOPTS
    // 0028  11 00 01 04 00 00 00 00
    dump: `
      60 00 00 00 00 10 3c 40 ${V6_ADDRS}
      11 00 01 04 00 00 00 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 56, proto: 17, l4Off: 48, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / Mobility (16) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 18 87 40 + addrs      next Mobility (135)
    // 0028  11 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00   len 1 (16 bytes)
    dump: `
      60 00 00 00 00 18 87 40 ${V6_ADDRS}
      11 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 64, proto: 17, l4Off: 56, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / HIP (8) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 10 8b 40 + addrs      next HIP (139)
    dump: `
      60 00 00 00 00 10 8b 40 ${V6_ADDRS}
      11 00 00 00 00 00 00 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 56, proto: 17, l4Off: 48, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / Shim6 (8) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 10 8c 40 + addrs      next Shim6 (140)
    dump: `
      60 00 00 00 00 10 8c 40 ${V6_ADDRS}
      11 00 00 00 00 00 00 00
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 56, proto: 17, l4Off: 48, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / AH (payload len 4 -> 24 bytes) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 20 33 40 + addrs      plen 32, next AH (51)
    // 0028  11 04 00 00                          next UDP, payload len 4 (=(4+2)*4 = 24 bytes), reserved
    // 002c  00 00 10 01 00 00 00 01              SPI, sequence
    // 0034  12 bytes ICV
    // 0040  UDP
    dump: `
      60 00 00 00 00 20 33 40 ${V6_ADDRS}
      11 04 00 00 00 00 10 01 00 00 00 01
      aa aa aa aa bb bb bb bb cc cc cc cc
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 72, proto: 17, l4Off: 64, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / Fragment (first: offset 0, M=1) / UDP',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 18 2c 40 + addrs      plen 24, next Fragment (44)
    // 0028  11 00 00 01 de ad be ef              next UDP, offset 0, M=1, ident 0xdeadbeef
    // 0030  13 c4 4e 20 00 20 00 00 + 8 data     UDP (first part)
    dump: `
      60 00 00 00 00 18 2c 40 ${V6_ADDRS}
      11 00 00 01 de ad be ef
      13 c4 4e 20 00 20 00 00 01 02 03 04 05 06 07 08`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 64, proto: 17, l4Off: 48, fragment: FRAG_FIRST, fragId: 0xdeadbeef, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'IPv6 / Fragment (non-first: offset 2 units, M=0) carries no ports',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 10 2c 40 + addrs      plen 16
    // 0028  11 00 00 10 de ad be ef              offset 0x0010>>3 = 2, M=0
    // 0030  13 c4 4e 20 00 20 00 00              data (not a header)
    dump: `
      60 00 00 00 00 10 2c 40 ${V6_ADDRS}
      11 00 00 10 de ad be ef
      13 c4 4e 20 00 20 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 56, proto: 17, l4Off: 48, fragment: FRAG_NONFIRST, fragId: 0xdeadbeef },
  },
  {
    name: 'IPv6 / atomic Fragment header (offset 0, M=0) is not a fragment',
    linkType: LINKTYPE_IPV6,
    // 0028  11 00 00 00 00 00 00 2a              offset 0, M=0, ident 42
    dump: `
      60 00 00 00 00 10 2c 40 ${V6_ADDRS}
      11 00 00 00 00 00 00 2a
      13 c4 4e 20 00 08 00 00`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 56, proto: 17, l4Off: 48, fragment: FRAG_NONE, fragId: 0, srcPort: 5060, dstPort: 20000 },
  },
  {
    name: 'Ethernet / IPv6 / HBH / DSTOPTS / Routing / Fragment(first) / AH / TCP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  00 11 22 33 44 55 66 77 88 99 aa bb 86 dd
    // 000e  60 00 00 00 00 5c 00 40 + addrs      plen 92, next HBH
    // 0036  3c 00 01 04 00 00 00 00              HBH -> DSTOPTS, 8 bytes
    // 003e  2b 00 01 04 00 00 00 00              DSTOPTS -> Routing, 8 bytes
    // 0046  2c 02 00 00 + 20 zero                Routing -> Fragment, 24 bytes
    // 005e  33 00 00 01 00 00 00 07              Fragment -> AH, offset 0, M=1, ident 7
    // 0066  06 04 00 00 + 20 bytes               AH -> TCP, 24 bytes
    // 007e  13 c5 0a bc ... (20)                 TCP 5061 -> 2748
    dump: `
      00 11 22 33 44 55 66 77 88 99 aa bb 86 dd
      60 00 00 00 00 5c 00 40 ${V6_ADDRS}
      3c 00 01 04 00 00 00 00
      2b 00 01 04 00 00 00 00
      2c 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
      33 00 00 01 00 00 00 07
      06 04 00 00 00 00 10 01 00 00 00 01 aa aa aa aa bb bb bb bb cc cc cc cc
      13 c5 0a bc 00 00 00 01 00 00 00 00 50 02 ff ff 00 00 00 00`,
    want: { status: ST_OK, etherType: 0x86dd, ipVersion: 6, l3Off: 14, ipEnd: 146, proto: 6, l4Off: 126, fragment: FRAG_FIRST, fragId: 7, srcPort: 5061, dstPort: 2748 },
  },
  {
    name: 'IPv6 / ESP stops the walk (no ports, still OK)',
    linkType: LINKTYPE_IPV6,
    // 0000  60 00 00 00 00 08 32 40 + addrs      next ESP (50)
    // 0028  00 00 10 01 00 00 00 01              SPI, sequence
    dump: `
      60 00 00 00 00 08 32 40 ${V6_ADDRS}
      00 00 10 01 00 00 00 01`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 48, proto: 50, l4Off: 40 },
  },
  {
    name: 'IPv6 / No Next Header (59)',
    linkType: LINKTYPE_IPV6,
    dump: `60 00 00 00 00 00 3b 40 ${V6_ADDRS}`,
    want: { status: ST_OK, ipVersion: 6, l3Off: 0, ipEnd: 40, proto: 59, l4Off: 40 },
  },
  // ---------------------------------------------------------------- not IP
  {
    name: 'Ethernet / ARP is not IP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  ff ff ff ff ff ff 66 77 88 99 aa bb 08 06     broadcast, type ARP
    // 000e  00 01 08 00 06 04 00 01 ...                   ARP request
    dump: `
      ff ff ff ff ff ff 66 77 88 99 aa bb 08 06
      00 01 08 00 06 04 00 01 66 77 88 99 aa bb 0a 00 00 01 00 00 00 00 00 00 0a 00 00 02`,
    want: { status: ST_NOT_IP, etherType: 0x0806 },
  },
  {
    name: 'Ethernet / 802.3 length field (LLC) is not IP',
    linkType: LINKTYPE_ETHERNET,
    // 0000  01 80 c2 00 00 00 66 77 88 99 aa bb 00 26     STP multicast, length 38
    // 000e  42 42 03 00 00 00 00 00                       LLC BPDU
    dump: `
      01 80 c2 00 00 00 66 77 88 99 aa bb 00 26
      42 42 03 00 00 00 00 00`,
    want: { status: ST_NOT_IP, etherType: 0x0026 },
  },
  {
    name: 'Ethernet / 802.1Q / LLDP (unknown EtherType) is not IP but keeps the tag',
    linkType: LINKTYPE_ETHERNET,
    // 0000  ... 81 00  000e 00 07 88 cc  0012 02 07 04 ...
    dump: `
      01 80 c2 00 00 0e 66 77 88 99 aa bb 81 00
      00 07 88 cc
      02 07 04 66 77 88 99 aa bb`,
    want: { status: ST_NOT_IP, etherType: 0x88cc, tagTciOff: [14] },
  },
];

describe('parseFrame known-bytes vectors', () => {
  it.each(VECTORS.map((v) => [v.name, v] as const))('%s', (_name, v) => {
    const bytes = hex(v.dump);
    const p = parse(bytes, v.linkType);
    expect(snapshot(p)).toEqual(expected(v.want));
    expect(p.linkType).toBe(v.linkType);
    expect(p.frameOff).toBe(0);
    expect(p.capEnd).toBe(bytes.length);
    expect(p.wireLen).toBe(bytes.length);
  });

  it.each(VECTORS.map((v) => [v.name, v] as const))('%s: same result at a non-zero buffer offset', (_name, v) => {
    const frame = hex(v.dump);
    const off = 37;
    const buf = new Uint8Array(off + frame.length + 23).fill(0xa5);
    buf.set(frame, off);
    const p = parse(buf, v.linkType, frame.length, frame.length, off);
    expect(snapshot(p)).toEqual(shifted(expected(v.want), off));
    expect(p.frameOff).toBe(off);
    expect(p.capEnd).toBe(off + frame.length);
  });

  it('the IPv4 vectors carry correct header checksums (sanity of the dumps)', () => {
    for (const v of VECTORS) {
      const bytes = hex(v.dump);
      const p = parse(bytes, v.linkType);
      if (p.ipVersion === 4) expect(ipv4ChecksumValid(bytes, p.l3Off, (bytes[p.l3Off] & 15) * 4), v.name).toBe(true);
    }
  });

  it.each([
    [10, 'Linux'],
    [24, 'NetBSD/OpenBSD'],
    [28, 'FreeBSD'],
    [30, 'Darwin'],
  ])('NULL accepts AF_INET6 = %i (%s) in both byte orders', (family) => {
    for (const head of [[family, 0, 0, 0], [0, 0, 0, family]]) {
      const bytes = hex(`${head.map((b) => b.toString(16).padStart(2, '0')).join(' ')} ${IPV6_UDP}`);
      const p = parse(bytes, LINKTYPE_NULL);
      expect(snapshot(p)).toEqual(
        expected({ status: ST_OK, ipVersion: 6, l3Off: 4, ipEnd: 52, proto: 17, l4Off: 44, srcPort: 5060, dstPort: 20000 }),
      );
    }
  });

  it('a NULL header with bytes set at both ends (01 00 00 02) is not a family', () => {
    const p = parse(hex(`01 00 00 02 ${IPV4_UDP}`), LINKTYPE_NULL);
    expect(p.status).toBe(ST_NOT_IP);
    expect(p.ipVersion).toBe(0);
  });

  it('reuses one ParsedFrame: a later frame leaves nothing of an earlier one', () => {
    const p = new ParsedFrame();
    const chain = hex(VECTORS.find((v) => v.name.startsWith('Ethernet / IPv6 / HBH'))!.dump);
    parseFrame(chain, 0, chain.length, chain.length, LINKTYPE_ETHERNET, p);
    expect(p.fragment).toBe(FRAG_FIRST);
    const arp = hex(VECTORS.find((v) => v.name === 'Ethernet / ARP is not IP')!.dump);
    parseFrame(arp, 0, arp.length, arp.length, LINKTYPE_ETHERNET, p);
    expect(snapshot(p)).toEqual(expected({ status: ST_NOT_IP, etherType: 0x0806 }));
    const raw = hex(IPV4_UDP);
    parseFrame(raw, 0, raw.length, raw.length, LINKTYPE_RAW, p);
    expect(snapshot(p)).toEqual(
      expected({ status: ST_OK, ipVersion: 4, l3Off: 0, ipEnd: 28, proto: 17, l4Off: 20, srcPort: 5060, dstPort: 20000 }),
    );
    expect(p.etherType).toBe(-1);
  });

  it('a wire length below the captured length counts as the captured length', () => {
    const bytes = hex(IPV4_UDP);
    const p = parse(bytes, LINKTYPE_RAW, bytes.length, 5);
    expect(p.wireLen).toBe(bytes.length);
    expect(p.status).toBe(ST_OK);
    expect(p.srcPort).toBe(5060);
  });
});

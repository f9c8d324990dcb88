/**
 * Traffic profiles: which streams the generator runs.
 *
 *  - cupc: a softphone site seen on its access trunk. Calls (SIP over UDP,
 *    TCP or TLS; G.711 or G.729 voice, some with H.264 video), CTIQBE desk
 *    phone control, XMPP presence, HTTPS, LDAP directory lookups, IMAP
 *    voicemail, TFTP configuration downloads, and unrelated traffic (DNS,
 *    NTP, SNMP, syslog, ping, SSH, RDP, SMB, ARP).
 *  - voice-only: long-running G.711/G.729 RTP streams, both directions.
 *  - worst-case: what costs the parser most per packet: eight VLAN tags,
 *    IPv4 headers with 40 bytes of options, IPv6 with eight extension headers,
 *    a quarter of the streams sent as IP fragments, every packet mis-marked.
 */
import { CLASS_DATA, CLASS_OTHER, CLASS_SIGNALLING, type GenContext } from './context.js';
import {
  CUPC_ENCAP,
  DEEP_IPV6_EXT,
  OPT_MAX_TIMESTAMP,
  deepTags,
  makeHost,
  pickEncap,
  type Encap,
  type EncapMix,
  type Host,
} from './net.js';
import { randomBytes, textBytes } from './payload.js';
import type { Rng } from './rng.js';
import { Arp, ReqResp, RtpStream, RTP_PORT_HI, RTP_PORT_LO, SipCall, TcpFlow, Tftp, dnsPayloads, type RrPayloads, type RrService, type SipTransport, type TcpService } from './streams.js';

export const PROFILES = ['cupc', 'voice-only', 'worst-case'] as const;
export type ProfileName = (typeof PROFILES)[number];

export const DEFAULT_WRONG_MARKS: Record<ProfileName, number> = {
  cupc: 0.3,
  'voice-only': 0.3,
  'worst-case': 1,
};

const SEC = 1e6;
const MS = 1e3;

const TCP_SERVICES: Record<string, TcpService> = {
  https: {
    name: 'https', port: 443, tls: true, cls: CLASS_DATA, dscp: 0,
    activeUs: 2 * SEC, idleUs: 10 * SEC, gapUs: 2 * MS, pServer: 0.5,
    client: { pAck: 0.9, pFull: 0, lo: 40, hi: 200 },
    server: { pAck: 0.7, pFull: 0.005, lo: 40, hi: 160 },
  },
  xmpp: {
    name: 'xmpp', port: 5222, tls: true, cls: CLASS_DATA, dscp: 0,
    activeUs: 300 * MS, idleUs: 6 * SEC, gapUs: 5 * MS, pServer: 0.55,
    client: { pAck: 0.7, pFull: 0, lo: 40, hi: 200 },
    server: { pAck: 0.5, pFull: 0, lo: 60, hi: 300 },
  },
  ldap: {
    name: 'ldap', port: 389, tls: true, cls: CLASS_DATA, dscp: 0,
    activeUs: 200 * MS, idleUs: 15 * SEC, gapUs: 5 * MS, pServer: 0.5,
    client: { pAck: 0.6, pFull: 0, lo: 50, hi: 200 },
    server: { pAck: 0.3, pFull: 0.01, lo: 60, hi: 600 },
  },
  imap: {
    name: 'imap', port: 143, tls: false, cls: CLASS_DATA, dscp: 0,
    activeUs: 500 * MS, idleUs: 30 * SEC, gapUs: 10 * MS, pServer: 0.55,
    client: { pAck: 0.6, pFull: 0, lo: 12, hi: 80 },
    server: { pAck: 0.2, pFull: 0.01, lo: 20, hi: 300 },
    text: '* 3 FETCH (FLAGS (\\Seen) UID 4827 RFC822.SIZE 48211)\r\na004 OK FETCH completed\r\n* IDLE accepted, awaiting DONE command.\r\n',
  },
  imaps: {
    name: 'imaps', port: 993, tls: true, cls: CLASS_DATA, dscp: 0,
    activeUs: 500 * MS, idleUs: 30 * SEC, gapUs: 10 * MS, pServer: 0.55,
    client: { pAck: 0.6, pFull: 0, lo: 40, hi: 120 },
    server: { pAck: 0.2, pFull: 0.01, lo: 40, hi: 300 },
  },
  ctiqbe: {
    name: 'ctiqbe', port: 2748, tls: false, cls: CLASS_SIGNALLING, dscp: 24,
    activeUs: 1 * SEC, idleUs: 15 * SEC, gapUs: 30 * MS, pServer: 0.5,
    client: { pAck: 0.5, pFull: 0, lo: 24, hi: 120 },
    server: { pAck: 0.4, pFull: 0, lo: 24, hi: 200 },
  },
  ssh: {
    name: 'ssh', port: 22, tls: false, cls: CLASS_OTHER, dscp: 8,
    activeUs: 10 * SEC, idleUs: 20 * SEC, gapUs: 20 * MS, pServer: 0.5,
    client: { pAck: 0.3, pFull: 0, lo: 36, hi: 52 },
    server: { pAck: 0.2, pFull: 0, lo: 36, hi: 200 },
  },
  rdp: {
    name: 'rdp', port: 3389, tls: true, cls: CLASS_OTHER, dscp: 0,
    activeUs: 5 * SEC, idleUs: 2500 * MS, gapUs: 5 * MS, pServer: 0.5,
    client: { pAck: 0.85, pFull: 0, lo: 20, hi: 60 },
    server: { pAck: 0.65, pFull: 0.002, lo: 30, hi: 120 },
  },
  smb: {
    name: 'smb', port: 445, tls: false, cls: CLASS_OTHER, dscp: 0,
    activeUs: 300 * MS, idleUs: 5 * SEC, gapUs: 2 * MS, pServer: 0.5,
    client: { pAck: 0.7, pFull: 0, lo: 60, hi: 180 },
    server: { pAck: 0.6, pFull: 0.003, lo: 60, hi: 200 },
  },
};

/** BER: tag, definite length, contents. */
function ber(tag: number, ...parts: (number[] | Uint8Array)[]): number[] {
  const body = parts.flatMap((x) => [...x]);
  return [tag, ...(body.length < 128 ? [body.length] : [0x81, body.length]), ...body];
}

/** SNMPv2c get of sysUpTime.0 and its response (RFC 3416). */
function snmpPayloads(rng: Rng): RrPayloads {
  const reqId = [0x02, 0x04, ...randomBytes(rng, 4)].map((v, i) => (i === 2 ? v & 0x7f : v));
  const oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00];
  const community = [0x04, 0x06, ...Buffer.from('public', 'latin1')];
  const msg = (pdu: number, value: number[]): Uint8Array =>
    Uint8Array.from(ber(0x30, [0x02, 0x01, 0x01], community, ber(pdu, reqId, [0x02, 0x01, 0x00, 0x02, 0x01, 0x00], ber(0x30, ber(0x30, oid, value)))));
  const req = msg(0xa0, [0x05, 0x00]);
  const resp = msg(0xa2, [0x43, 0x04, ...randomBytes(rng, 4)]);
  return { req, resp, reqLen: [req.length, req.length], respLen: [resp.length, resp.length] };
}

/** NTPv4 client request and server reply (RFC 5905), 48 bytes each. */
function ntpPayloads(rng: Rng): RrPayloads {
  const req = randomBytes(rng, 48);
  req.set([0x23, 0, 6, 0xe9], 0); // LI 0, version 4, client; poll 6; precision -23
  req.fill(0, 4, 40);
  const resp = randomBytes(rng, 48);
  resp.set([0x24, 2, 6, 0xe9, 0, 0, 0, 0x10, 0, 0, 0, 0x20, 198, 19, 0, 61], 0);
  return { req, resp, reqLen: [48, 48], respLen: [48, 48] };
}

const SYSLOG =
  '<189>Jan  1 09:00:00 access-sw1 %LINEPROTO-5-UPDOWN: Line protocol on Interface GigabitEthernet1/0/12, changed state to up\n' +
  '<190>Jan  1 09:00:01 access-sw1 %SEC-6-IPACCESSLOGP: list VOICE permitted udp 198.18.1.20(5060) -> 198.19.1.11(5060), 1 packet\n';

const RR_SERVICES: Record<string, RrService> = {
  dns: {
    name: 'dns', proto: 'udp', port: 53, cls: CLASS_OTHER, dscp: 0, dns: true,
    pResp: 0.98, rttUs: [300, 20_000], gapUs: 400 * MS, newPort: true, pBig: 0.01,
    payloads: (rng) => dnsPayloads(rng.pick(['cucm1.example.com', 'imp.example.com', '_cisco-uds._tcp.example.com', 'ldap.example.com', 'www.example.com', 'mail.example.com', 'tftp.example.com'])),
  },
  ntp: {
    name: 'ntp', proto: 'udp', port: 123, cls: CLASS_OTHER, dscp: 0, dns: false,
    pResp: 1, rttUs: [500, 5000], gapUs: 4 * SEC, newPort: false, pBig: 0,
    payloads: ntpPayloads,
  },
  snmp: {
    name: 'snmp', proto: 'udp', port: 161, cls: CLASS_OTHER, dscp: 0, dns: false,
    pResp: 0.95, rttUs: [1000, 10_000], gapUs: 500 * MS, newPort: false, pBig: 0,
    payloads: snmpPayloads,
  },
  syslog: {
    name: 'syslog', proto: 'udp', port: 514, cls: CLASS_OTHER, dscp: 0, dns: false,
    pResp: 0, rttUs: [0, 0], gapUs: 250 * MS, newPort: false, pBig: 0,
    payloads: () => ({ req: textBytes(SYSLOG, 230), resp: new Uint8Array(0), reqLen: [110, 230], respLen: [0, 0] }),
  },
  ping: {
    name: 'ping', proto: 'icmp', port: 0, cls: CLASS_OTHER, dscp: 0, dns: false,
    pResp: 0.97, rttUs: [200, 3000], gapUs: 250 * MS, newPort: false, pBig: 0,
    payloads: () => {
      const b = textBytes('abcdefghijklmnopqrstuvwabcdefghi', 32);
      return { req: b, resp: b, reqLen: [32, 32], respLen: [32, 32] };
    },
  },
};

interface Site {
  phones: Host[];
  phoneEncaps: Encap[];
  peers: Host[];
  cucm: Host[];
  imp: Host;
  ldap: Host;
  mail: Host;
  tftp: Host;
  web: Host[];
  infra: Host[];
}

function makeSite(g: GenContext, phones: number, mix: EncapMix): Site {
  const rng = g.rng;
  const site: Site = {
    phones: [],
    phoneEncaps: [],
    peers: [],
    cucm: [makeHost(false, 10, 255), makeHost(false, 11, 255)],
    imp: makeHost(false, 20, 64),
    ldap: makeHost(false, 30, 128),
    mail: makeHost(false, 40, 128),
    tftp: makeHost(false, 50, 255),
    web: [],
    infra: [],
  };
  for (let i = 0; i < phones; i++) {
    site.phones.push(makeHost(true, i, rng.chance(0.7) ? 128 : 64));
    site.phoneEncaps.push(pickEncap(rng, mix));
  }
  for (let i = 0; i < 200; i++) site.peers.push(makeHost(false, 1000 + i, rng.chance(0.7) ? 128 : 64));
  for (let i = 0; i < 40; i++) site.web.push(makeHost(false, 100 + i, 64));
  for (let i = 0; i < 10; i++) site.infra.push(makeHost(false, 60 + i, 64));
  return site;
}

export interface ProfileOptions {
  vlan: number | null;
}

function addCallSlot(g: GenContext, site: Site, phone: number, video: boolean, transport: SipTransport): void {
  const rng = g.rng;
  const local = site.phones[phone];
  const encap = site.phoneEncaps[phone];
  const codec = rng.chance(0.5) ? 0 : 18;
  const fps = rng.chance(0.5) ? 30 : 15;
  const jitterUs = rng.pick([200, 1000, 3000]);
  const peer = site.peers[0];
  const port = RTP_PORT_LO;
  const media: RtpStream[] = [];
  const voice = { video: false, codec, fragment: false, jitterUs, fps } as const;
  media.push(g.add(new RtpStream(g, local, peer, encap, true, port, port, voice)));
  media.push(g.add(new RtpStream(g, local, peer, encap, false, port, port, voice)));
  if (video) {
    const vid = { ...voice, video: true };
    media.push(g.add(new RtpStream(g, local, peer, encap, true, port + 2, port + 2, vid)));
    media.push(g.add(new RtpStream(g, local, peer, encap, false, port + 2, port + 2, vid)));
  }
  const cucm = site.cucm[phone % site.cucm.length];
  g.add(new SipCall(g, local, cucm, site.peers, encap, transport, media, codec, 150 * SEC, 30 * SEC));
}

function cupc(g: GenContext, opts: ProfileOptions): void {
  const rng = g.rng;
  const site = makeSite(g, 500, { vlan: opts.vlan, ...CUPC_ENCAP });
  const n = site.phones.length;
  // Calls: one slot per phone for the first 110 phones.
  for (let i = 0; i < 64; i++) {
    const transport = rng.pick<SipTransport>(['UDP', 'UDP', 'TCP', 'TLS']);
    addCallSlot(g, site, i, i % 24 === 0, transport);
  }
  const tcp = (phone: number, server: Host, svc: TcpService): void => {
    g.add(new TcpFlow(g, site.phones[phone % n], server, site.phoneEncaps[phone % n], svc));
  };
  for (let i = 0; i < 60; i++) tcp(i, site.imp, TCP_SERVICES.xmpp);
  for (let i = 0; i < 40; i++) tcp(i * 3 + 1, site.cucm[i % 2], TCP_SERVICES.ctiqbe);
  for (let i = 0; i < 160; i++) tcp(i * 7 + 2, site.web[i % site.web.length], TCP_SERVICES.https);
  for (let i = 0; i < 25; i++) tcp(i * 11 + 3, site.ldap, TCP_SERVICES.ldap);
  for (let i = 0; i < 30; i++) tcp(i * 13 + 4, site.mail, i % 2 === 0 ? TCP_SERVICES.imap : TCP_SERVICES.imaps);
  for (let i = 0; i < 6; i++) g.add(new Tftp(g, site.phones[(i * 17 + 5) % n], site.tftp, site.phoneEncaps[(i * 17 + 5) % n], 20 * SEC));
  // Unrelated traffic.
  for (let i = 0; i < 50; i++) tcp(i * 19 + 6, site.infra[i % 10], TCP_SERVICES.ssh);
  for (let i = 0; i < 60; i++) tcp(i * 23 + 7, site.infra[(i + 3) % 10], TCP_SERVICES.rdp);
  for (let i = 0; i < 50; i++) tcp(i * 29 + 8, site.infra[(i + 5) % 10], TCP_SERVICES.smb);
  const rr = (phone: number, server: Host, svc: RrService): void => {
    g.add(new ReqResp(g, site.phones[phone % n], server, site.phoneEncaps[phone % n], svc));
  };
  for (let i = 0; i < 60; i++) rr(i * 31 + 9, site.infra[0], RR_SERVICES.dns);
  for (let i = 0; i < 10; i++) rr(i * 37 + 10, site.infra[1], RR_SERVICES.ntp);
  for (let i = 0; i < 15; i++) rr(i * 41 + 11, site.infra[2], RR_SERVICES.snmp);
  for (let i = 0; i < 15; i++) rr(i * 43 + 12, site.infra[3], RR_SERVICES.syslog);
  for (let i = 0; i < 20; i++) rr(i * 47 + 13, site.infra[4], RR_SERVICES.ping);
  for (let i = 0; i < 10; i++) {
    const p = (i * 53 + 14) % n;
    const encap = site.phoneEncaps[p];
    g.add(new Arp(g, site.phones[p], { ...encap, ipVersion: 4 }, site.phones[(p + 1) % n].v4, 250 * MS));
  }
}

function voiceOnly(g: GenContext, opts: ProfileOptions): void {
  const rng = g.rng;
  const site = makeSite(g, 400, { vlan: opts.vlan, ...CUPC_ENCAP });
  for (let i = 0; i < site.phones.length; i++) {
    const codec = rng.chance(0.75) ? 0 : 18;
    const opt = { video: false, codec, fragment: false, jitterUs: rng.pick([200, 1000, 3000]), fps: 30 } as const;
    const a = rng.even(RTP_PORT_LO, RTP_PORT_HI - 1);
    const b = rng.even(RTP_PORT_LO, RTP_PORT_HI - 1);
    for (const outbound of [true, false]) {
      const s = g.add(new RtpStream(g, site.phones[i], site.peers[i % site.peers.length], site.phoneEncaps[i], outbound, a, b, opt));
      s.startAt = rng.int(0, 19_999);
    }
  }
}

function worstCase(g: GenContext, opts: ProfileOptions): void {
  const rng = g.rng;
  const vlan = opts.vlan ?? 100;
  for (let i = 0; i < 400; i++) {
    const local = makeHost(true, i, 64);
    const remote = makeHost(false, 1000 + i, 64);
    const v6 = i % 2 === 1;
    const encap: Encap = {
      tags: opts.vlan === null ? [] : deepTags(vlan),
      ipVersion: v6 ? 6 : 4,
      ipv4Options: v6 ? null : OPT_MAX_TIMESTAMP,
      ipv6Ext: v6 ? DEEP_IPV6_EXT : [],
      ecn: 0,
    };
    const opt = { video: false, codec: 18, fragment: i % 4 === 0 || i % 4 === 1, jitterUs: 500, fps: 30 } as const;
    const a = rng.even(RTP_PORT_LO, RTP_PORT_HI - 1);
    const b = rng.even(RTP_PORT_LO, RTP_PORT_HI - 1);
    for (const outbound of [true, false]) {
      const s = g.add(new RtpStream(g, local, remote, encap, outbound, a, b, { ...opt, fragment: opt.fragment && outbound }));
      s.startAt = rng.int(0, 19_999);
    }
  }
}

export function buildProfile(g: GenContext, profile: ProfileName, opts: ProfileOptions): void {
  switch (profile) {
    case 'cupc':
      return cupc(g, opts);
    case 'voice-only':
      return voiceOnly(g, opts);
    case 'worst-case':
      return worstCase(g, opts);
  }
}

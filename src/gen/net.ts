/**
 * The generated network: hosts with lab addresses (198.18.0.0/15, RFC 2544's
 * benchmarking range, and the IPv6 documentation prefix 2001:db8::/32),
 * locally administered MAC addresses, and per-stream encapsulations (VLAN
 * tags, IP version, IPv4 options, IPv6 extension headers) as seen on one
 * capture point: the access trunk of the local hosts. Frames to a local host
 * come from the router's MAC address.
 */
import { ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY, ETHERTYPE_VLAN } from '../parse/ethernet.js';
import { IPPROTO_AH, IPPROTO_DSTOPTS, IPPROTO_FRAGMENT, IPPROTO_HOPOPTS, IPPROTO_ROUTING } from '../parse/ip-protocol.js';
import { frameSpec, type FrameSpec, type Tag } from './frame.js';
import type { Rng } from './rng.js';

export interface Host {
  mac: Uint8Array;
  v4: Uint8Array;
  v6: Uint8Array;
  /** Initial TTL / hop limit of what this host sends (64 Linux/macOS, 128 Windows, 255 Cisco). */
  ttl: number;
}

export interface Encap {
  tags: Tag[];
  ipVersion: 4 | 6;
  ipv4Options: Uint8Array | null;
  ipv6Ext: number[];
  ecn: number;
}

export const ROUTER_MAC = Uint8Array.of(0x02, 0x00, 0x5e, 0x00, 0x00, 0x01);
/** Hops between the remote hosts and the capture point. */
const REMOTE_HOPS = 3;

function mac(kind: number, n: number): Uint8Array {
  return Uint8Array.of(0x02, 0x00, kind, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Host n of a /16-sized pool: 198.18.x.y (local) or 198.19.x.y (remote), 2001:db8:18::/48 or :19::. */
export function makeHost(local: boolean, n: number, ttl: number): Host {
  const v4 = Uint8Array.of(198, local ? 18 : 19, 1 + ((n >>> 8) % 254), 1 + (n & 0xff) % 254);
  const v6 = new Uint8Array(16);
  v6.set([0x20, 0x01, 0x0d, 0xb8, 0x00, local ? 0x18 : 0x19]);
  v6[14] = (n >>> 8) & 0xff;
  v6[15] = (n & 0xff) + 1;
  v6[8] = 0x02; // interface identifier looks like a modified EUI-64
  return { mac: mac(local ? 0x10 : 0x20, n), v4, v6, ttl };
}

export function untagged(): Tag[] {
  return [];
}

export function dot1q(vid: number): Tag[] {
  return [{ tpid: ETHERTYPE_VLAN, vid }];
}

export function qinq(outerVid: number, innerVid: number): Tag[] {
  return [
    { tpid: ETHERTYPE_QINQ, vid: outerVid },
    { tpid: ETHERTYPE_VLAN, vid: innerVid },
  ];
}

/** Eight tags, the deepest stack qosmark's parser follows, with every TPID it knows. */
export function deepTags(vid: number): Tag[] {
  const tpids = [ETHERTYPE_QINQ, ETHERTYPE_QINQ_LEGACY, ETHERTYPE_VLAN, ETHERTYPE_VLAN, ETHERTYPE_VLAN, ETHERTYPE_VLAN, ETHERTYPE_VLAN, ETHERTYPE_VLAN];
  return tpids.map((tpid, i) => ({ tpid, vid: i === tpids.length - 1 ? vid : 100 + i }));
}

/** Router Alert (RFC 2113). */
export const OPT_ROUTER_ALERT = Uint8Array.of(0x94, 0x04, 0x00, 0x00);
/** Record Route with room for two addresses, then End of Options. */
export const OPT_RECORD_ROUTE = Uint8Array.of(0x07, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0x00);
/** Timestamp option (RFC 791) filling all 40 option bytes: IHL 15. */
export const OPT_MAX_TIMESTAMP = (() => {
  const o = new Uint8Array(40);
  o[0] = 0x44;
  o[1] = 40;
  o[2] = 5;
  return o;
})();

/** Eight extension headers, the most qosmark's parser walks: unfragmentable part, fragment header, AH, destination options. */
export const DEEP_IPV6_EXT = [
  IPPROTO_HOPOPTS,
  IPPROTO_DSTOPTS,
  IPPROTO_ROUTING,
  IPPROTO_FRAGMENT,
  IPPROTO_AH,
  IPPROTO_DSTOPTS,
  IPPROTO_DSTOPTS,
  IPPROTO_DSTOPTS,
];

export interface EncapMix {
  vlan: number | null;
  /** Shares of untagged, 802.1Q and QinQ frames. */
  untagged: number;
  dot1q: number;
  qinq: number;
  ipv6: number;
  ipv4Options: number;
  ipv6Ext: number;
  ect: number;
}

export const CUPC_ENCAP: Omit<EncapMix, 'vlan'> = {
  untagged: 0.5,
  dot1q: 0.43,
  qinq: 0.07,
  ipv6: 0.2,
  ipv4Options: 0.03,
  ipv6Ext: 0.15,
  ect: 0.03,
};

export function pickEncap(rng: Rng, mix: EncapMix): Encap {
  let tags: Tag[] = [];
  if (mix.vlan !== null) {
    const which = rng.weighted([mix.untagged, mix.dot1q, mix.qinq]);
    if (which === 1) tags = dot1q(mix.vlan);
    else if (which === 2) tags = qinq(1000 + rng.int(0, 15), mix.vlan);
  }
  const ipVersion = rng.chance(mix.ipv6) ? 6 : 4;
  let ipv4Options: Uint8Array | null = null;
  let ipv6Ext: number[] = [];
  if (ipVersion === 4 && rng.chance(mix.ipv4Options)) ipv4Options = rng.chance(0.5) ? OPT_ROUTER_ALERT : OPT_RECORD_ROUTE;
  if (ipVersion === 6 && rng.chance(mix.ipv6Ext)) {
    ipv6Ext = rng.pick([[IPPROTO_HOPOPTS], [IPPROTO_DSTOPTS], [IPPROTO_HOPOPTS, IPPROTO_DSTOPTS], [IPPROTO_ROUTING]]);
  }
  return { tags, ipVersion, ipv4Options, ipv6Ext, ecn: rng.chance(mix.ect) ? 2 : 0 };
}

/**
 * The spec of one direction of a flow between a local host (on the capture
 * trunk) and a remote one. `outbound`: sent by the local host.
 */
export function flowSpec(
  local: Host,
  remote: Host,
  encap: Encap,
  outbound: boolean,
  proto: number,
  localPort: number,
  remotePort: number,
  appHead: Uint8Array,
  payload: Uint8Array,
): FrameSpec {
  const v6 = encap.ipVersion === 6;
  const la = v6 ? local.v6 : local.v4;
  const ra = v6 ? remote.v6 : remote.v4;
  return frameSpec({
    srcMac: outbound ? local.mac : ROUTER_MAC,
    dstMac: outbound ? ROUTER_MAC : local.mac,
    tags: encap.tags,
    ipVersion: encap.ipVersion,
    src: outbound ? la : ra,
    dst: outbound ? ra : la,
    ttl: outbound ? local.ttl : remote.ttl - REMOTE_HOPS,
    ecn: encap.ecn,
    flowLabel: v6 ? ((localPort * 7919 + remotePort * 104729) & 0xfffff) : 0,
    ipv4Options: encap.ipv4Options,
    ipv6Ext: encap.ipv6Ext,
    proto,
    // Windows (TTL 128) does not send TCP timestamps by default; Linux and macOS do.
    tcpTimestamps: local.ttl === 64,
    srcPort: outbound ? localPort : remotePort,
    dstPort: outbound ? remotePort : localPort,
    appHead,
    payload,
  });
}

/** Retargets a spec built by flowSpec to other hosts and ports (same sizes). */
export function retarget(spec: FrameSpec, local: Host, remote: Host, outbound: boolean, localPort: number, remotePort: number): void {
  const v6 = spec.ipVersion === 6;
  const la = v6 ? local.v6 : local.v4;
  const ra = v6 ? remote.v6 : remote.v4;
  spec.srcMac = outbound ? local.mac : ROUTER_MAC;
  spec.dstMac = outbound ? ROUTER_MAC : local.mac;
  spec.src = outbound ? la : ra;
  spec.dst = outbound ? ra : la;
  spec.srcPort = outbound ? localPort : remotePort;
  spec.dstPort = outbound ? remotePort : localPort;
  if (v6) spec.flowLabel = (localPort * 7919 + remotePort * 104729) & 0xfffff;
}

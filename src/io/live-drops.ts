/**
 * Receive drops of the bridge's capture: frames an interface received that
 * the bridge never read.
 *
 * libpcap counts its drops (ps_drop: the packet socket's tp_drops, frames
 * that found the ring full), but cap exposes neither pcap_stats() nor the
 * socket, and the kernel reports tp_drops to nobody else (sock_diag's drop
 * count, the one `ss` prints, stays 0 for a ring). So they are counted from
 * the outside: the interface's received-packets counter (/proc/net/dev, this
 * network namespace's) since the port was opened, minus the frames the bridge
 * read from it. That is the ring's drops, plus frames the kernel itself
 * discarded before any capture could see them (an 802.1Q tag cut short),
 * plus, while running, the few frames waiting in the ring to be read.
 */
import { readFileSync } from 'node:fs';

/** Received packets per interface, from /proc/net/dev; null when it cannot be read. */
export function rxPackets(): Map<string, number> | null {
  let text: string;
  try {
    text = readFileSync('/proc/net/dev', 'utf8');
  } catch {
    return null;
  }
  return parseProcNetDev(text);
}

export function parseProcNetDev(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    // Receive: bytes packets errs drop fifo frame compressed multicast.
    const packets = Number(fields[1]);
    if (name !== '' && Number.isFinite(packets)) out.set(name, packets);
  }
  return out;
}

/** Per capturing port: the interface's received-packets count when the port was opened. */
export class ReceiveDrops {
  private readonly base = new Map<string, number>();

  /** Call just before opening the port's capture. */
  start(iface: string): void {
    const v = rxPackets()?.get(iface);
    if (v !== undefined) this.base.set(iface, v);
  }

  /** Frames `iface` received since start() that were not among the `read` ones; null when unknown. */
  drops(iface: string, read: number, now: Map<string, number> | null = rxPackets()): number | null {
    const base = this.base.get(iface);
    const v = now?.get(iface);
    if (base === undefined || v === undefined) return null;
    // 32-bit counters on some drivers wrap; a negative difference means we cannot tell.
    const d = v - base - read;
    return d >= 0 ? d : v - base < 0 ? null : 0;
  }
}

/**
 * Remembers the class of each first fragment so that the datagram's later
 * fragments, which carry no ports, get the same class (RFC 791 section 3.2:
 * fragments are one datagram by source, destination, identification and
 * protocol; RFC 8200 section 4.5 likewise for IPv6).
 *
 * Bounded and allocation-free: a fixed open-addressed table of typed arrays.
 * A key may sit in any of PROBE_SLOTS slots after its hash; when all are
 * taken by live entries the oldest is evicted (and counted). Entries expire
 * after the reassembly time, measured in whole seconds of capture time.
 */
import { IPV4_ADDR_LEN, IPV4_SRC } from '../parse/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_SRC } from '../parse/ipv6.js';
import type { ParsedFrame } from '../parse/parsed-frame.js';

/** Linux's default ipfrag_time; RFC 791 suggests 15 s as a lower bound. */
export const FRAGMENT_TIMEOUT_SEC = 30;
export const DEFAULT_FRAGMENT_SLOTS = 4096;
const PROBE_SLOTS = 8;
/** Source and destination addresses, back to back, as they sit in the header. */
const KEY_ADDR_BYTES = 2 * IPV6_ADDR_LEN;

export class FragmentTable {
  private readonly mask: number;
  private readonly used: Uint8Array;
  private readonly version: Uint8Array;
  private readonly proto: Uint8Array;
  private readonly ident: Uint32Array;
  private readonly addrs: Uint8Array;
  private readonly insertedAt: Float64Array;
  private readonly rules: Int32Array;
  private readonly classes: Int16Array;

  /** Set by lookup(). */
  foundRule = -1;
  foundClass = -1;
  evictions = 0;

  constructor(
    slots = DEFAULT_FRAGMENT_SLOTS,
    private readonly timeoutSec = FRAGMENT_TIMEOUT_SEC,
  ) {
    let size = PROBE_SLOTS;
    while (size < slots) size <<= 1;
    this.mask = size - 1;
    this.used = new Uint8Array(size);
    this.version = new Uint8Array(size);
    this.proto = new Uint8Array(size);
    this.ident = new Uint32Array(size);
    this.addrs = new Uint8Array(size * KEY_ADDR_BYTES);
    this.insertedAt = new Float64Array(size);
    this.rules = new Int32Array(size);
    this.classes = new Int16Array(size);
  }

  /** Records the class of a first fragment. */
  insert(buf: Uint8Array, p: ParsedFrame, nowSec: number, rule: number, cls: number): void {
    const home = this.hash(buf, p);
    let victim = home;
    let victimAge = -Infinity;
    let free = false;
    for (let i = 0; i < PROBE_SLOTS; i++) {
      const slot = (home + i) & this.mask;
      if (this.used[slot] === 0 || this.matches(slot, buf, p) || this.expired(slot, nowSec)) {
        victim = slot;
        free = true;
        break;
      }
      // Ages may be negative when capture timestamps go backwards (merged captures).
      const age = nowSec - this.insertedAt[slot];
      if (age > victimAge) {
        victim = slot;
        victimAge = age;
      }
    }
    if (!free) this.evictions++;
    this.store(victim, buf, p, nowSec, rule, cls);
  }

  /** Finds the first fragment's class; sets foundRule/foundClass and returns true when found. */
  lookup(buf: Uint8Array, p: ParsedFrame, nowSec: number): boolean {
    const home = this.hash(buf, p);
    for (let i = 0; i < PROBE_SLOTS; i++) {
      const slot = (home + i) & this.mask;
      if (this.used[slot] !== 0 && this.matches(slot, buf, p) && !this.expired(slot, nowSec)) {
        this.foundRule = this.rules[slot];
        this.foundClass = this.classes[slot];
        return true;
      }
    }
    this.foundRule = -1;
    this.foundClass = -1;
    return false;
  }

  private expired(slot: number, nowSec: number): boolean {
    return nowSec - this.insertedAt[slot] > this.timeoutSec;
  }

  private hash(buf: Uint8Array, p: ParsedFrame): number {
    const addrOff = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
    const addrLen = 2 * (p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN);
    // FNV-1a over the addresses, then the identification and protocol mixed in.
    let h = 0x811c9dc5 ^ p.fragProto;
    for (let i = 0; i < addrLen; i++) h = Math.imul(h ^ buf[addrOff + i], 0x01000193);
    h = Math.imul(h ^ p.fragId, 0x01000193);
    h ^= h >>> 15;
    return h & this.mask;
  }

  private matches(slot: number, buf: Uint8Array, p: ParsedFrame): boolean {
    if (this.version[slot] !== p.ipVersion || this.proto[slot] !== p.fragProto || this.ident[slot] !== p.fragId) {
      return false;
    }
    const addrOff = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
    const addrLen = 2 * (p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN);
    const keyOff = slot * KEY_ADDR_BYTES;
    for (let i = 0; i < addrLen; i++) if (this.addrs[keyOff + i] !== buf[addrOff + i]) return false;
    return true;
  }

  private store(slot: number, buf: Uint8Array, p: ParsedFrame, nowSec: number, rule: number, cls: number): void {
    const addrOff = p.l3Off + (p.ipVersion === 4 ? IPV4_SRC : IPV6_SRC);
    const addrLen = 2 * (p.ipVersion === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN);
    const keyOff = slot * KEY_ADDR_BYTES;
    for (let i = 0; i < addrLen; i++) this.addrs[keyOff + i] = buf[addrOff + i];
    this.used[slot] = 1;
    this.version[slot] = p.ipVersion;
    this.proto[slot] = p.fragProto;
    this.ident[slot] = p.fragId;
    this.insertedAt[slot] = nowSec;
    this.rules[slot] = rule;
    this.classes[slot] = cls;
  }
}

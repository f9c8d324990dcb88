/**
 * Media endpoints advertised in SDP: (IP address, UDP port) → class. A UDP
 * packet whose source or destination endpoint is here takes that class,
 * ahead of the port rules.
 *
 * Allocation-free and bounded: entries live in typed-array pools; a
 * linear-probing index (backward-shift deletion, Knuth 6.4 Algorithm R) maps
 * endpoint hashes to entries. Entries idle longer than the idle time expire
 * when next looked at; when the table is full the oldest entry is evicted
 * (first in, first out) and counted.
 */
import { IPV4_ADDR_LEN, IPV4_DST, IPV4_SRC } from '../parse/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_DST, IPV6_SRC } from '../parse/ipv6.js';
import type { ParsedFrame } from '../parse/parsed-frame.js';

export const DEFAULT_MEDIA_ENTRIES = 65536;
export const DEFAULT_MEDIA_IDLE_SEC = 300;
const ADDR_BYTES = 16;
const EMPTY = -1;

export class MediaTable {
  readonly capacity: number;
  size = 0;
  evictions = 0;
  expirations = 0;
  /** Set by lookupPacket() on a hit. */
  foundClass = -1;
  foundStream = -1;
  foundEntry = -1;

  private readonly mask: number;
  private readonly slots: Int32Array;
  /**
   * Entries per port number: most packets' ports have none, and one array
   * read per port rules them out before any hashing.
   */
  private readonly portRefs = new Uint32Array(65536);
  private readonly home: Int32Array;
  private readonly version: Uint8Array;
  private readonly port: Int32Array;
  private readonly addr: Uint8Array;
  private readonly cls: Int16Array;
  private readonly stream: Int32Array;
  private readonly owner: Int32Array;
  private readonly lastSec: Float64Array;
  private readonly free: Int32Array;
  private freeTop: number;
  /** Insertion order, for first-in-first-out eviction; stale ids are skipped. */
  private readonly fifo: Int32Array;
  private readonly fifoGen: Float64Array;
  private readonly gen: Float64Array;
  private fifoHead = 0;
  private fifoLen = 0;
  private nextGen = 1;

  constructor(
    capacity = DEFAULT_MEDIA_ENTRIES,
    readonly idleSec = DEFAULT_MEDIA_IDLE_SEC,
  ) {
    this.capacity = capacity;
    let slots = 16;
    while (slots < capacity * 2) slots <<= 1;
    this.mask = slots - 1;
    this.slots = new Int32Array(slots).fill(EMPTY);
    this.home = new Int32Array(capacity);
    this.version = new Uint8Array(capacity);
    this.port = new Int32Array(capacity).fill(-1);
    this.addr = new Uint8Array(capacity * ADDR_BYTES);
    this.cls = new Int16Array(capacity);
    this.stream = new Int32Array(capacity);
    this.owner = new Int32Array(capacity);
    this.lastSec = new Float64Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
    // Twice the capacity: removed entries leave stale places, and compacting at most
    // once per `capacity` inserts keeps insertion amortised O(1).
    this.fifo = new Int32Array(2 * capacity);
    this.fifoGen = new Float64Array(2 * capacity);
    this.gen = new Float64Array(capacity);
  }

  /**
   * Looks up the packet's source endpoint, then its destination endpoint.
   * Returns true on a hit and sets foundClass/foundStream/foundEntry.
   */
  lookupPacket(buf: Uint8Array, p: ParsedFrame, nowSec: number): boolean {
    const v4 = p.ipVersion === 4;
    const len = v4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN;
    const srcOff = p.l3Off + (v4 ? IPV4_SRC : IPV6_SRC);
    const dstOff = p.l3Off + (v4 ? IPV4_DST : IPV6_DST);
    const srcKnown = this.portRefs[p.srcPort] !== 0;
    const dstKnown = this.portRefs[p.dstPort] !== 0;
    if (!srcKnown && !dstKnown) return false;
    if (srcKnown && this.lookup(buf, srcOff, len, p.ipVersion, p.srcPort, nowSec)) {
      if (!dstKnown) return true;
      // Keep the other end's entry alive too: idle means no packet to or from an endpoint.
      const cls = this.foundClass;
      const stream = this.foundStream;
      const entry = this.foundEntry;
      this.lookup(buf, dstOff, len, p.ipVersion, p.dstPort, nowSec);
      this.foundClass = cls;
      this.foundStream = stream;
      this.foundEntry = entry;
      return true;
    }
    return dstKnown && this.lookup(buf, dstOff, len, p.ipVersion, p.dstPort, nowSec);
  }

  private lookup(buf: Uint8Array, addrOff: number, len: number, version: number, port: number, nowSec: number): boolean {
    let slot = hashEndpoint(buf, addrOff, len, port) & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e === EMPTY) return false;
      if (this.port[e] === port && this.version[e] === version && this.sameAddr(e, buf, addrOff, len)) {
        if (nowSec - this.lastSec[e] > this.idleSec) {
          this.expirations++;
          this.remove(e);
          return false;
        }
        if (nowSec > this.lastSec[e]) this.lastSec[e] = nowSec;
        this.foundClass = this.cls[e];
        this.foundStream = this.stream[e];
        this.foundEntry = e;
        return true;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Adds or replaces an endpoint; returns its entry id. */
  insert(version: number, address: Uint8Array, port: number, cls: number, stream: number, owner: number, nowSec: number): number {
    const len = version === 4 ? IPV4_ADDR_LEN : IPV6_ADDR_LEN;
    const existing = this.find(address, 0, len, version, port);
    if (existing !== EMPTY) this.remove(existing);
    if (this.freeTop === 0) this.evictOldest();
    const e = this.free[--this.freeTop];
    this.version[e] = version;
    this.port[e] = port;
    this.addr.fill(0, e * ADDR_BYTES, (e + 1) * ADDR_BYTES);
    this.addr.set(address.subarray(0, len), e * ADDR_BYTES);
    this.cls[e] = cls;
    this.stream[e] = stream;
    this.owner[e] = owner;
    this.lastSec[e] = nowSec;
    this.gen[e] = this.nextGen++;
    let slot = hashEndpoint(address, 0, len, port) & this.mask;
    this.home[e] = slot;
    while (this.slots[slot] !== EMPTY) slot = (slot + 1) & this.mask;
    this.slots[slot] = e;
    this.size++;
    this.portRefs[port]++;
    this.pushFifo(e);
    return e;
  }

  /** Removes an entry if it is still the one `owner` created. */
  removeOwned(e: number, owner: number, generation: number): void {
    if (this.port[e] >= 0 && this.owner[e] === owner && this.gen[e] === generation) this.remove(e);
  }

  generation(e: number): number {
    return this.gen[e];
  }

  private find(address: Uint8Array, off: number, len: number, version: number, port: number): number {
    let slot = hashEndpoint(address, off, len, port) & this.mask;
    for (;;) {
      const e = this.slots[slot];
      if (e === EMPTY) return EMPTY;
      if (this.port[e] === port && this.version[e] === version && this.sameAddr(e, address, off, len)) return e;
      slot = (slot + 1) & this.mask;
    }
  }

  private sameAddr(e: number, buf: Uint8Array, off: number, len: number): boolean {
    const base = e * ADDR_BYTES;
    for (let i = 0; i < len; i++) if (this.addr[base + i] !== buf[off + i]) return false;
    return true;
  }

  private remove(e: number): void {
    let slot = this.home[e];
    while (this.slots[slot] !== e) slot = (slot + 1) & this.mask;
    // Backward-shift deletion keeps every remaining entry reachable from its home slot.
    let hole = slot;
    let next = (hole + 1) & this.mask;
    while (this.slots[next] !== EMPTY) {
      const home = this.home[this.slots[next]];
      const distNext = (next - home) & this.mask;
      const distHole = (hole - home) & this.mask;
      if (distHole < distNext) {
        this.slots[hole] = this.slots[next];
        hole = next;
      }
      next = (next + 1) & this.mask;
    }
    this.slots[hole] = EMPTY;
    this.portRefs[this.port[e]]--;
    this.port[e] = -1;
    this.gen[e] = 0;
    this.free[this.freeTop++] = e;
    this.size--;
  }

  private pushFifo(e: number): void {
    if (this.fifoLen === this.fifo.length) this.compactFifo();
    const at = (this.fifoHead + this.fifoLen) % this.fifo.length;
    this.fifo[at] = e;
    this.fifoGen[at] = this.gen[e];
    this.fifoLen++;
  }

  /** Drops queue positions whose entry was removed since (its generation changed). */
  private compactFifo(): void {
    let kept = 0;
    const ring = this.fifo.length;
    for (let i = 0; i < this.fifoLen; i++) {
      const at = (this.fifoHead + i) % ring;
      const e = this.fifo[at];
      if (this.gen[e] === this.fifoGen[at]) {
        const to = (this.fifoHead + kept) % ring;
        this.fifo[to] = e;
        this.fifoGen[to] = this.fifoGen[at];
        kept++;
      }
    }
    this.fifoLen = kept;
  }

  private evictOldest(): void {
    while (this.fifoLen > 0) {
      const e = this.fifo[this.fifoHead];
      const g = this.fifoGen[this.fifoHead];
      this.fifoHead = (this.fifoHead + 1) % this.fifo.length;
      this.fifoLen--;
      if (this.gen[e] === g) {
        this.remove(e);
        this.evictions++;
        return;
      }
    }
  }
}

function hashEndpoint(bytes: Uint8Array, off: number, len: number, port: number): number {
  let h = Math.imul(0x811c9dc5 ^ port, 0x01000193);
  for (let i = 0; i < len; i++) h = Math.imul(h ^ bytes[off + i], 0x01000193);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The generator's clock: a 4-ary min-heap of stream indexes keyed by each
 * stream's next send time (integer µs). Popping in key order makes the file's
 * timestamps monotonic. The stream index is folded into the low bits of the
 * key (time × 2^k + index), so ties go to the lower index with one float
 * comparison and the order is a function of the seed alone. A stream with
 * nothing to send waits at +∞ until another stream (its call's signalling)
 * reschedules it.
 */
export class Schedule {
  /** Composite keys, by stream. */
  private readonly ckey: Float64Array;
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;
  private readonly scale: number;

  constructor(readonly size: number) {
    let scale = 1;
    while (scale < size) scale *= 2;
    this.scale = scale;
    this.ckey = new Float64Array(size).fill(Infinity);
    this.heap = new Int32Array(size);
    this.pos = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      this.heap[i] = i;
      this.pos[i] = i;
    }
  }

  /** Sets every send time at once (before the run) and orders the heap. */
  init(times: ArrayLike<number>): void {
    for (let i = 0; i < this.size; i++) this.ckey[i] = this.composite(i, times[i]);
    for (let i = this.size - 1; i >= 0; i--) this.down(i);
  }

  private composite(stream: number, t: number): number {
    return t === Infinity ? Infinity : t * this.scale + stream;
  }

  top(): number {
    return this.heap[0];
  }

  /** Send time of the stream at the top. */
  topTime(): number {
    const k = this.ckey[this.heap[0]];
    return k === Infinity ? Infinity : Math.floor(k / this.scale);
  }

  /** New send time for any stream. */
  update(stream: number, t: number): void {
    const old = this.ckey[stream];
    const k = this.composite(stream, t);
    this.ckey[stream] = k;
    if (k < old) this.up(this.pos[stream]);
    else this.down(this.pos[stream]);
  }

  private up(i: number): void {
    const heap = this.heap;
    const key = this.ckey;
    const pos = this.pos;
    const s = heap[i];
    const ks = key[s];
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const ps = heap[parent];
      if (key[ps] <= ks) break;
      heap[i] = ps;
      pos[ps] = i;
      i = parent;
    }
    heap[i] = s;
    pos[s] = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const key = this.ckey;
    const pos = this.pos;
    const n = this.size;
    const s = heap[i];
    const ks = key[s];
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let c = first;
      let cs = heap[first];
      let kc = key[cs];
      const last = first + 4 < n ? first + 4 : n;
      for (let j = first + 1; j < last; j++) {
        const sj = heap[j];
        const kj = key[sj];
        if (kj < kc) {
          c = j;
          cs = sj;
          kc = kj;
        }
      }
      if (ks <= kc) break;
      heap[i] = cs;
      pos[cs] = i;
      i = c;
    }
    heap[i] = s;
    pos[s] = i;
  }
}

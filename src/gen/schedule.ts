/**
 * The generator's clock: a binary min-heap of stream indexes keyed by each
 * stream's next send time (integer µs). Popping in key order makes the file's
 * timestamps monotonic; ties go to the lower stream index, so the order is a
 * function of the seed alone. A stream with nothing to send waits at +∞ until
 * another stream (its call's signalling) reschedules it.
 */
export class Schedule {
  readonly key: Float64Array;
  private readonly heap: Int32Array;
  private readonly pos: Int32Array;

  constructor(readonly size: number) {
    this.key = new Float64Array(size).fill(Infinity);
    this.heap = new Int32Array(size);
    this.pos = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      this.heap[i] = i;
      this.pos[i] = i;
    }
  }

  /** Sets every key at once (before the run) and orders the heap. */
  init(keys: ArrayLike<number>): void {
    for (let i = 0; i < this.size; i++) this.key[i] = keys[i];
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.down(i);
  }

  top(): number {
    return this.heap[0];
  }

  topKey(): number {
    return this.key[this.heap[0]];
  }

  /** New key for the stream at the top (the one that just sent). */
  replaceTop(k: number): void {
    this.key[this.heap[0]] = k;
    this.down(0);
  }

  /** New key for any stream. */
  update(stream: number, k: number): void {
    const old = this.key[stream];
    this.key[stream] = k;
    if (k < old) this.up(this.pos[stream]);
    else this.down(this.pos[stream]);
  }

  private less(a: number, b: number): boolean {
    const ka = this.key[a];
    const kb = this.key[b];
    return ka < kb || (ka === kb && a < b);
  }

  private up(i: number): void {
    const heap = this.heap;
    const s = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = heap[parent];
      if (!this.less(s, ps)) break;
      heap[i] = ps;
      this.pos[ps] = i;
      i = parent;
    }
    heap[i] = s;
    this.pos[s] = i;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = this.size;
    const s = heap[i];
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.less(heap[c + 1], heap[c])) c++;
      const cs = heap[c];
      if (!this.less(cs, s)) break;
      heap[i] = cs;
      this.pos[cs] = i;
      i = c;
    }
    heap[i] = s;
    this.pos[s] = i;
  }
}

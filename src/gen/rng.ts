/**
 * Seeded pseudo-random numbers for the generator: sfc32 (Chris Doty-Humphrey's
 * Small Fast Counting generator), seeded through splitmix32. Integer-only
 * arithmetic, so a seed gives the same sequence on every machine, and with
 * it the same output bytes.
 */
export class Rng {
  /** sfc32 state a, b, c, counter d: int32 slots, so no step allocates. */
  private readonly s = new Int32Array(4);

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return z ^ (z >>> 16);
    };
    this.s[0] = next();
    this.s[1] = next();
    this.s[2] = next();
    this.s[3] = next() | 1;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** Uniform 32-bit unsigned integer. */
  u32(): number {
    const s = this.s;
    const a = s[0];
    const b = s[1];
    const c = s[2];
    const d = s[3];
    const t = (((a + b) | 0) + d) | 0;
    s[3] = (d + 1) | 0;
    s[0] = b ^ (b >>> 9);
    s[1] = (c + (c << 3)) | 0;
    s[2] = (((c << 21) | (c >>> 11)) + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() * 2.3283064365386963e-10;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.u32() * 2.3283064365386963e-10 * (hi - lo + 1));
  }

  /** Uniform even integer in [lo, hi]; `lo` must be even. */
  even(lo: number, hi: number): number {
    return lo + 2 * this.int(0, (hi - lo) >> 1);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Exponentially distributed with the given mean (Poisson inter-arrival times). */
  exp(mean: number): number {
    return -mean * Math.log(1 - this.float());
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }

  /** Picks an index by weight. */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (const w of weights) total += w;
    let x = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0) return i;
    }
    return weights.length - 1;
  }

  /** An independent generator derived from this one. */
  fork(): Rng {
    return new Rng(this.u32());
  }

  fill(buf: Uint8Array, off = 0, len = buf.length - off): void {
    for (let i = 0; i < len; i += 4) {
      let v = this.u32();
      for (let j = 0; j < 4 && i + j < len; j++, v >>>= 8) buf[off + i + j] = v & 0xff;
    }
  }
}

/** Small timing helpers for `qosmark bench`: no dependency on any benchmark package. */

export interface Spread {
  median: number;
  min: number;
  max: number;
  /** Every sample, in the order taken. */
  samples: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function spread(samples: readonly number[]): Spread {
  return { median: median(samples), min: Math.min(...samples), max: Math.max(...samples), samples: [...samples] };
}

export function nowNs(): bigint {
  return process.hrtime.bigint();
}

export function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

export interface LoopCase {
  /** Untimed, before each timed pass (e.g. restoring a buffer the pass rewrites). */
  before?: () => void;
  /** One timed pass. */
  pass: () => void;
}

export interface LoopPlan {
  /** Warm-up: at least this many passes... */
  warmupPasses: number;
  /** ...and at least this long, in seconds. */
  warmupSeconds: number;
  /** Timed samples. */
  runs: number;
  /** A sample adds passes until it lasts at least this long (short passes are too coarse to time alone). */
  minSampleSeconds: number;
}

/**
 * Times `c.pass` with process.hrtime.bigint after a warm-up; returns the
 * seconds per pass of each sample (a sample may hold several passes).
 */
export function timeLoop(c: LoopCase, plan: LoopPlan): number[] {
  const warmStart = nowNs();
  for (let i = 0; i < plan.warmupPasses || secondsSince(warmStart) < plan.warmupSeconds; i++) {
    c.before?.();
    c.pass();
  }
  const perPass: number[] = [];
  for (let r = 0; r < plan.runs; r++) {
    let timed = 0n;
    let passes = 0;
    do {
      c.before?.();
      const t0 = process.hrtime.bigint();
      c.pass();
      timed += process.hrtime.bigint() - t0;
      passes++;
    } while (Number(timed) / 1e9 < plan.minSampleSeconds);
    perPass.push(Number(timed) / 1e9 / passes);
  }
  return perPass;
}

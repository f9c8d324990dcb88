import { ST_COUNT } from '../parse/status.js';

/**
 * Run totals, updated in the hot loop: plain number fields and typed arrays
 * indexed by the numeric codes, so counting allocates nothing.
 */
export class Counters {
  frames = 0;
  capturedBytes = 0;
  ipv4 = 0;
  ipv6 = 0;
  dscpChanged = 0;
  cosChanged = 0;
  /** The class wanted a CoS, but the frame had no VLAN tag. */
  noTag = 0;
  fragmentsMatched = 0;
  fragmentsUnmatched = 0;
  /** Packets whose class came from an SDP media endpoint. */
  viaSdp = 0;
  readonly byStatus = new Float64Array(ST_COUNT);
  readonly byClass: Float64Array;
  readonly bytesByClass: Float64Array;
  readonly dscpChangedByClass: Float64Array;
  readonly cosChangedByClass: Float64Array;
  readonly byRule: Float64Array;

  constructor(classCount: number, ruleCount: number) {
    this.byClass = new Float64Array(classCount);
    this.bytesByClass = new Float64Array(classCount);
    this.dscpChangedByClass = new Float64Array(classCount);
    this.cosChangedByClass = new Float64Array(classCount);
    this.byRule = new Float64Array(ruleCount);
  }
}

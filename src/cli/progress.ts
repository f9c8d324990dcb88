/**
 * A one-line progress indicator on stderr, only when stderr is a terminal
 * (never in --json runs or when output is piped), redrawn at most 4 times a
 * second and erased at the end.
 */
import { grouped } from '../format/numbers.js';

const REDRAW_MS = 250;

export class Progress {
  private last = 0;
  private drawn = false;
  private readonly started = Date.now();

  constructor(
    private readonly label: string,
    private readonly totalBytes: number,
    private readonly enabled: boolean,
  ) {}

  static forRun(label: string, totalBytes: number, json: boolean): Progress {
    return new Progress(label, totalBytes, !json && process.stderr.isTTY === true);
  }

  update = (bytesDone: number, frames: number): void => {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < REDRAW_MS) return;
    this.last = now;
    const seconds = (now - this.started) / 1000;
    const rate = seconds > 0 ? ` ${(frames / seconds / 1e6).toFixed(2)} Mpps` : '';
    const share = this.totalBytes > 0 ? ` ${Math.min(100, (100 * bytesDone) / this.totalBytes).toFixed(0)}%` : '';
    process.stderr.write(`\r${this.label}: ${grouped(frames)} packets${share}${rate}\x1b[K`);
    this.drawn = true;
  };

  done(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

/**
 * Child processes for system tests: every spawn has a timeout, and
 * background processes are stopped by their own pid only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Throw when the exit status is not 0 (default true). */
  check?: boolean;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

function describeCommand(cmd: string, args: string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

/** Runs a command to completion (killed with SIGKILL after timeoutMs). */
export function run(cmd: string, args: string[], opts: RunOptions = {}): RunResult {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    maxBuffer: 512 * 1024 * 1024,
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const result: RunResult = { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  if (r.error) {
    const why = (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT' ? `timed out after ${timeoutMs} ms` : r.error.message;
    throw new Error(`${describeCommand(cmd, args)}: ${why}\nstderr: ${result.stderr.trim()}`);
  }
  if ((opts.check ?? true) && result.status !== 0) {
    throw new Error(
      `${describeCommand(cmd, args)}: exit ${result.status ?? result.signal}\n` +
        `stderr: ${result.stderr.trim()}\nstdout: ${result.stdout.slice(0, 2000).trim()}`,
    );
  }
  return result;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A long-running child with stdout and stderr in files, killed with SIGKILL
 * after `timeoutMs` at the latest.
 */
export class Background {
  readonly child: ChildProcess;
  readonly pid: number;
  private exited = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private readonly done: Promise<void>;
  private readonly hardKill: NodeJS.Timeout;

  constructor(
    readonly what: string,
    cmd: string,
    args: string[],
    readonly stdoutFile: string,
    readonly stderrFile: string,
    timeoutMs: number,
  ) {
    // A stale log from an earlier run would make waitFor() see an old line.
    rmSync(stdoutFile, { force: true });
    rmSync(stderrFile, { force: true });
    const out = openSync(stdoutFile, 'w');
    const err = openSync(stderrFile, 'w');
    try {
      this.child = spawn(cmd, args, { stdio: ['ignore', out, err] });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    if (this.child.pid === undefined) throw new Error(`${what}: could not start ${describeCommand(cmd, args)}`);
    this.pid = this.child.pid;
    this.done = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        this.exitCode = code;
        this.exitSignal = signal;
        resolve();
      });
      this.child.on('error', () => {
        this.exited = true;
        resolve();
      });
    });
    this.hardKill = setTimeout(() => this.kill('SIGKILL'), timeoutMs);
    this.hardKill.unref();
  }

  get running(): boolean {
    return !this.exited;
  }

  stdout(): string {
    return existsSync(this.stdoutFile) ? readFileSync(this.stdoutFile, 'utf8') : '';
  }

  stderr(): string {
    return existsSync(this.stderrFile) ? readFileSync(this.stderrFile, 'utf8') : '';
  }

  /** Waits until the stdout or stderr file contains `text`. */
  async waitFor(stream: 'stdout' | 'stderr', text: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const content = stream === 'stdout' ? this.stdout() : this.stderr();
      if (content.includes(text)) return;
      if (!this.running) {
        throw new Error(`${this.what} exited (${this.exitCode ?? this.exitSignal}) before printing "${text}": ${this.stderr().trim()}`);
      }
      if (Date.now() > until) throw new Error(`${this.what}: no "${text}" within ${timeoutMs} ms; stderr: ${this.stderr().trim()}`);
      await sleep(50);
    }
  }

  private kill(signal: NodeJS.Signals): void {
    if (this.exited) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // already gone
    }
  }

  /** Sends `signal`, waits for the exit, and falls back to SIGKILL after graceMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
    this.kill(signal);
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.done;
    clearTimeout(timer);
    clearTimeout(this.hardKill);
  }
}

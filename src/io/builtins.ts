/**
 * Node.js built-in modules that only some commands use, loaded on first use.
 *
 * Why: the CLI is one esbuild bundle, and esbuild hoists a bundle's static
 * imports of built-ins to its top, so every command would load them at
 * start-up; `mark` and `audit` need none of these. Loading them where they
 * are used took 12–14 ms off every command's start-up.
 */
import type * as ChildProcess from 'node:child_process';
import type * as Dgram from 'node:dgram';
import type * as Dns from 'node:dns/promises';
import type * as Http from 'node:http';
import { createRequire } from 'node:module';
import type * as Net from 'node:net';
import type * as PerfHooks from 'node:perf_hooks';

const nodeRequire = createRequire(import.meta.url);

export const childProcess = (): typeof ChildProcess => nodeRequire('node:child_process') as typeof ChildProcess;
export const dgram = (): typeof Dgram => nodeRequire('node:dgram') as typeof Dgram;
export const dns = (): typeof Dns => nodeRequire('node:dns/promises') as typeof Dns;
export const http = (): typeof Http => nodeRequire('node:http') as typeof Http;
export const net = (): typeof Net => nodeRequire('node:net') as typeof Net;
export const perfHooks = (): typeof PerfHooks => nodeRequire('node:perf_hooks') as typeof PerfHooks;

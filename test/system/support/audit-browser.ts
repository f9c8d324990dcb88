/**
 * Headless Chromium (Debian package `chromium`) for the audit HTML test: loads
 * one local page, dumps the DOM, takes a screenshot and writes a net log.
 *
 * Chromium runs in its own process group, with a fresh --user-data-dir that is
 * deleted afterwards; on timeout the whole group (the browser and the
 * renderer/GPU/zygote children it started) is killed by its id.
 * `--host-resolver-rules="MAP * ~NOTFOUND"` makes every host name unresolvable,
 * so nothing can leave the machine by name; the browser's own background
 * fetches (update checks, time, accounts) show in the net log as failed
 * requests from no page, and pageRequests() tells them apart from the page's.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { whichTool } from './require.js';

export function chromiumPath(): string | null {
  return whichTool('chromium') ?? whichTool('chromium-browser');
}

export interface BrowserRun {
  dom: string;
  stderr: string;
  screenshot: string;
  netLog: string;
}

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND',
  '--hide-scrollbars',
];

/** Loads `page` (a local file), returning the dumped DOM; the screenshot and net log go to `outDir`. */
export async function renderPage(page: string, outDir: string, tag: string, size = { width: 1000, height: 2400 }, timeoutMs = 60_000): Promise<BrowserRun> {
  const browser = chromiumPath();
  if (browser === null) throw new Error('chromium not found on PATH');
  const profile = mkdtempSync(join(tmpdir(), 'qosmark-chromium-'));
  const screenshot = join(outDir, `${tag}.png`);
  const netLog = join(outDir, `${tag}.netlog.json`);
  const args = [
    ...CHROMIUM_FLAGS,
    `--user-data-dir=${profile}`,
    `--window-size=${size.width},${size.height}`,
    `--screenshot=${screenshot}`,
    `--log-net-log=${netLog}`,
    '--net-log-capture-mode=Default',
    '--dump-dom',
    pathToFileURL(page).href,
  ];
  try {
    const child = spawn(browser, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (c) => resolve(c));
    });
    clearTimeout(timer);
    if (timedOut) throw new Error(`chromium: no exit within ${timeoutMs} ms loading ${page}; stderr: ${stderr.slice(-2000)}`);
    if (code !== 0) throw new Error(`chromium exit ${code} loading ${page}; stderr: ${stderr.slice(-2000)}`);
    if (!existsSync(screenshot)) throw new Error(`chromium wrote no screenshot; stderr: ${stderr.slice(-2000)}`);
    return { dom: stdout, stderr, screenshot, netLog };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

interface NetLogEvent {
  type: number;
  params?: Record<string, unknown>;
}

/**
 * URLs the page itself asked for: URL requests whose network isolation key
 * or site-for-cookies is the file:// page (the browser's own background
 * fetches carry none, or their own site).
 */
export function pageRequests(netLogFile: string): { page: string[]; browser: string[] } {
  let text = readFileSync(netLogFile, 'utf8').trimEnd();
  // A log cut short at exit lacks its closing brackets.
  if (!text.endsWith('}')) text = `${text.replace(/,\s*$/, '')}]}`;
  const log = JSON.parse(text) as { constants: { logEventTypes: Record<string, number> }; events: NetLogEvent[] };
  const start = log.constants.logEventTypes.URL_REQUEST_START_JOB;
  if (start === undefined) throw new Error('net log: no URL_REQUEST_START_JOB event type');
  const page = new Set<string>();
  const browser = new Set<string>();
  for (const e of log.events) {
    if (e.type !== start || typeof e.params?.url !== 'string') continue;
    const url = e.params.url;
    if (url.startsWith('file:') || url.startsWith('data:')) continue;
    const nik = String(e.params.network_isolation_key ?? '');
    const site = String(e.params.site_for_cookies ?? '');
    if (nik.includes('file://') || site.includes('file://')) page.add(url);
    else browser.add(url);
  }
  return { page: [...page], browser: [...browser] };
}

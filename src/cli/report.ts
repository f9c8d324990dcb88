/** Text rendering of run summaries, for people; --json prints the objects instead. */
import { dscpLabel } from '../classify/dscp.js';
import type { RunSummary } from '../engine/summary.js';

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1 file", "2 files", "1,000 files". */
export function countOf(n: number, noun: string): string {
  return `${count(n)} ${noun}${n === 1 ? '' : 's'}`;
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function breakdown(parts: Record<string, number>): string {
  const entries = Object.entries(parts);
  return entries.length === 0 ? '' : ` (${entries.map(([k, v]) => `${k} ${count(v)}`).join(', ')})`;
}

export interface Timing {
  elapsedSeconds: number;
  packetsPerSecond: number;
  bytesPerSecond: number;
}

export function timing(summary: RunSummary, elapsedSeconds: number): Timing {
  const safe = elapsedSeconds > 0 ? elapsedSeconds : 1e-9;
  return {
    elapsedSeconds,
    packetsPerSecond: summary.packets / safe,
    bytesPerSecond: summary.bytes / safe,
  };
}

export function renderRun(summary: RunSummary, t: Timing, marking: boolean): string[] {
  const lines: string[] = [];
  lines.push(
    `packets: ${count(summary.packets)} read, ${count(summary.packets)} written (${megabytes(summary.bytes)}); ` +
      `IPv4 ${count(summary.ipv4)}, IPv6 ${count(summary.ipv6)}`,
  );
  lines.push(
    `  ${pad('class', 12)}${pad('packets', 12, true)}  ${pad('sets DSCP', 10)}${pad('CoS', 5)}` +
      (marking ? `${pad('DSCP changed', 14, true)}${pad('CoS changed', 13, true)}` : ''),
  );
  for (const [name, c] of Object.entries(summary.classes)) {
    lines.push(
      `  ${pad(name, 12)}${pad(count(c.packets), 12, true)}  ${pad(c.dscp === null ? 'keep' : dscpLabel(c.dscp), 10)}` +
        `${pad(c.cos === null ? 'keep' : String(c.cos), 5)}` +
        (marking ? `${pad(count(c.dscpChanged), 14, true)}${pad(count(c.cosChanged), 13, true)}` : ''),
    );
  }
  if (marking) {
    lines.push(
      `changed: DSCP on ${countOf(summary.dscpChanged, 'packet')}, CoS on ${count(summary.cosChanged)}; ` +
        `${count(summary.untaggedNoCos)} untagged (no tag to carry CoS)`,
    );
  }
  lines.push(
    `left as found: not IP ${count(summary.notIp)}, ` +
      `truncated by snap length ${count(summary.truncatedTotal)}${breakdown(summary.truncated)}, ` +
      `malformed ${count(summary.malformedTotal)}${breakdown(summary.malformed)}` +
      (summary.unsupportedLinkType > 0 ? `, unsupported link type ${count(summary.unsupportedLinkType)}` : ''),
  );
  const f = summary.fragments;
  if (f.nonFirstMatched + f.nonFirstUnmatched > 0) {
    lines.push(
      `fragments: ${count(f.nonFirstMatched)} non-first fragments took their first fragment's class, ` +
        `${count(f.nonFirstUnmatched)} had no first fragment (left as found)`,
    );
  }
  const sdp = summary.sdp;
  lines.push(
    sdp.followed
      ? `SIP/SDP: ${countOf(sdp.sipMessages, 'SIP message')}, ${count(sdp.withSdp)} with SDP; ` +
          `${countOf(sdp.packetsClassifiedBySdp, 'packet')} classified by SDP media endpoint` +
          (sdp.tlsConnectionsNotFollowed > 0 ? `; ${count(sdp.tlsConnectionsNotFollowed)} SIP-over-TLS connections not readable` : '')
      : 'SIP/SDP: not followed (--no-sdp, or no rule has inspect: sip)',
  );
  lines.push(
    `elapsed ${t.elapsedSeconds.toFixed(3)} s: ${(t.packetsPerSecond / 1e6).toFixed(2)} Mpps, ` +
      `${(t.bytesPerSecond / 1e6).toFixed(1)} MB/s`,
  );
  return lines;
}

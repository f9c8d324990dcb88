/** Text rendering of run summaries, for people; --json prints the objects instead. */
import { dscpLabel } from '../classify/dscp.js';
import type { RunSummary } from '../engine/summary.js';
import { countOf, grouped } from '../format/numbers.js';

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function breakdown(parts: Record<string, number>): string {
  const entries = Object.entries(parts);
  return entries.length === 0 ? '' : ` (${entries.map(([k, v]) => `${k} ${grouped(v)}`).join(', ')})`;
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
    `packets: ${grouped(summary.packets)} read, ${grouped(summary.packets)} written (${megabytes(summary.bytes)}); ` +
      `IPv4 ${grouped(summary.ipv4)}, IPv6 ${grouped(summary.ipv6)}`,
  );
  lines.push(
    `  ${pad('class', 12)}${pad('packets', 12, true)}  ${pad('sets DSCP', 10)}${pad('CoS', 5)}` +
      (marking ? `${pad('DSCP changed', 14, true)}${pad('CoS changed', 13, true)}` : ''),
  );
  for (const [name, c] of Object.entries(summary.classes)) {
    lines.push(
      `  ${pad(name, 12)}${pad(grouped(c.packets), 12, true)}  ${pad(c.dscp === null ? 'keep' : dscpLabel(c.dscp), 10)}` +
        `${pad(c.cos === null ? 'keep' : String(c.cos), 5)}` +
        (marking ? `${pad(grouped(c.dscpChanged), 14, true)}${pad(grouped(c.cosChanged), 13, true)}` : ''),
    );
  }
  if (marking) {
    lines.push(
      `changed: DSCP on ${countOf(summary.dscpChanged, 'packet')}, CoS on ${grouped(summary.cosChanged)}; ` +
        `${grouped(summary.untaggedNoCos)} untagged (no tag to carry CoS)`,
    );
  }
  lines.push(
    `left as found: not IP ${grouped(summary.notIp)}, ` +
      `truncated by snap length ${grouped(summary.truncatedTotal)}${breakdown(summary.truncated)}, ` +
      `malformed ${grouped(summary.malformedTotal)}${breakdown(summary.malformed)}` +
      (summary.unsupportedLinkType > 0 ? `, unsupported link type ${grouped(summary.unsupportedLinkType)}` : ''),
  );
  const f = summary.fragments;
  if (f.nonFirstMatched + f.nonFirstUnmatched > 0) {
    lines.push(
      `fragments: ${grouped(f.nonFirstMatched)} non-first fragments took their first fragment's class, ` +
        `${grouped(f.nonFirstUnmatched)} had no first fragment (left as found)`,
    );
  }
  const sdp = summary.sdp;
  lines.push(
    sdp.followed
      ? `SIP/SDP: ${countOf(sdp.sipMessages, 'SIP message')}, ${grouped(sdp.withSdp)} with SDP; ` +
          `${countOf(sdp.packetsClassifiedBySdp, 'packet')} classified by SDP media endpoint` +
          (sdp.tlsConnectionsNotFollowed > 0 ? `; ${grouped(sdp.tlsConnectionsNotFollowed)} SIP-over-TLS connections not readable` : '')
      : 'SIP/SDP: not followed (--no-sdp, or no rule has inspect: sip)',
  );
  lines.push(
    `elapsed ${t.elapsedSeconds.toFixed(3)} s: ${(t.packetsPerSecond / 1e6).toFixed(2)} Mpps, ` +
      `${(t.bytesPerSecond / 1e6).toFixed(1)} MB/s`,
  );
  return lines;
}

/**
 * `qosmark bridge --metrics ADDR:PORT`: the bridge's counters in Prometheus
 * text format (prom-client), read from the live counters when scraped, so
 * the hot loop does no extra work.
 */
import type * as Http from 'node:http';
import { http } from '../io/builtins.js';
import { createRequire } from 'node:module';
import type { Forwarder } from '../engine/forwarder.js';
import { isMalformed, ST_COUNT, ST_NOT_IP } from '../parse/status.js';
import { UsageError } from './usage-error.js';

type PromClient = typeof import('prom-client');

export interface ListenAddress {
  host: string;
  port: number;
}

/** "PORT", ":PORT", "HOST:PORT" or "[V6]:PORT"; the host defaults to loopback. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:(?:\[([0-9a-fA-F:.%\w]+)\]|([^:[\]]*)):)?(\d{1,5})$/.exec(text);
  const port = m === null ? NaN : Number(m[3]);
  if (m === null || !(port >= 0 && port <= 65535)) {
    throw new UsageError(`bridge: --metrics: "${text}": expected PORT, ADDR:PORT or [V6ADDR]:PORT`);
  }
  const host = m[1] ?? (m[2] === undefined || m[2] === '' ? '127.0.0.1' : m[2]);
  return { host, port };
}

export interface BridgeMetricsSource {
  forwarder: Forwarder;
  /** Interface name and its receive drops now (null: unknown). */
  drops(): { iface: string; drops: number | null }[];
}

export function buildRegistry(src: BridgeMetricsSource): import('prom-client').Registry {
  const require = createRequire(import.meta.url);
  const prom = require('prom-client') as PromClient;
  const registry = new prom.Registry();
  const fw = src.forwarder;
  const classNames = fw.pipeline.policy.classNames;
  const counter = (name: string, help: string, labelNames: string[], fill: (set: (labels: Record<string, string>, v: number) => void) => void) =>
    new prom.Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill((labels, v) => this.inc(labels, v));
      },
    });
  counter('qosmark_bridge_frames_received_total', 'Frames read from the incoming interface of a direction.', ['direction'], (set) => {
    for (const d of fw.directions) set({ direction: d.label }, d.received);
  });
  counter('qosmark_bridge_bytes_received_total', 'Bytes of the frames read, per direction.', ['direction'], (set) => {
    for (const d of fw.directions) set({ direction: d.label }, d.receivedBytes);
  });
  counter('qosmark_bridge_frames_forwarded_total', 'Frames sent out of the outgoing interface of a direction.', ['direction'], (set) => {
    for (const d of fw.directions) set({ direction: d.label }, d.forwarded);
  });
  counter('qosmark_bridge_bytes_forwarded_total', 'Bytes of the frames sent, per direction.', ['direction'], (set) => {
    for (const d of fw.directions) set({ direction: d.label }, d.forwardedBytes);
  });
  counter(
    'qosmark_bridge_frames_not_forwarded_total',
    'Frames read but not sent: "mtu" (larger than the outgoing interface allows), "send_error", "local" (sent by this host) or "overload" (shed).',
    ['direction', 'reason'],
    (set) => {
      for (const d of fw.directions) {
        set({ direction: d.label, reason: 'mtu' }, d.tooLarge);
        set({ direction: d.label, reason: 'send_error' }, d.sendErrors);
        set({ direction: d.label, reason: 'local' }, d.local);
        set({ direction: d.label, reason: 'overload' }, d.overload);
      }
    },
  );
  counter('qosmark_bridge_frames_classified_total', 'Frames per policy class, per direction.', ['direction', 'class'], (set) => {
    for (const d of fw.directions) classNames.forEach((cls, i) => set({ direction: d.label, class: cls }, d.byClass[i]));
  });
  counter('qosmark_bridge_dscp_changed_total', 'Frames whose DSCP marking changed.', [], (set) => set({}, fw.pipeline.counters.dscpChanged));
  counter('qosmark_bridge_cos_changed_total', 'Frames whose 802.1p PCP changed.', [], (set) => set({}, fw.pipeline.counters.cosChanged));
  counter('qosmark_bridge_frames_not_ip_total', 'Frames that are not IP (forwarded as found).', [], (set) =>
    set({}, fw.pipeline.counters.byStatus[ST_NOT_IP]),
  );
  counter('qosmark_bridge_frames_malformed_total', 'Malformed frames (forwarded as found).', [], (set) => {
    let n = 0;
    for (let s = 0; s < ST_COUNT; s++) if (isMalformed(s)) n += fw.pipeline.counters.byStatus[s];
    set({}, n);
  });
  counter('qosmark_bridge_receive_drops_total', 'Frames an interface received that the bridge never read (libpcap ring full).', ['interface'], (set) => {
    for (const { iface, drops } of src.drops()) if (drops !== null) set({ interface: iface }, drops);
  });
  return registry;
}

/** Serves GET /metrics (and /) until close(). Resolves once listening; rejects with a UsageError. */
export function serveMetrics(addr: ListenAddress, registry: import('prom-client').Registry): Promise<Http.Server> {
  const server = http().createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || (path !== '/metrics' && path !== '/')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(new UsageError(`bridge: --metrics: cannot listen on ${addr.host}:${addr.port}: ${err.code ?? err.message}`));
    });
    server.listen(addr.port, addr.host, () => resolve(server));
  });
}

/**
 * Live capture and sending through the optional `cap` package (libpcap).
 *
 * `cap` is loaded lazily, so the rest of qosmark works without it. Facts
 * about it that shape this module (node_modules/cap/src/binding.cc):
 *  - it turns libpcap's immediate mode on only through dlopen("libpcap.so"),
 *    the unversioned name that only the development package installs; without
 *    it frames silently arrive up to a second late (FIELD-NOTES);
 *  - it captures 65535 bytes of every frame, in promiscuous mode, and hands
 *    each one to JS with its captured length only (no timestamp, no wire
 *    length, no statistics);
 *  - send() is pcap_sendpacket(): one send() on the capture's packet socket;
 *  - it reads frames one pcap_dispatch(cnt 1) at a time and hands each to JS
 *    through node::MakeCallback on the `emit` function it looked up on the
 *    object when it was constructed (EventEmitter's emit, which allocates an
 *    argument array per call). There is no batch API. LivePort constructs a
 *    subclass whose own `emit` calls the frame callback directly.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { childProcess } from './builtins.js';

/** A start-up problem, told to the user in one line. */
export class LiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveError';
  }
}

export interface CapHandle {
  open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
  close(): boolean;
  send(buffer: Buffer, nBytes?: number): void;
  on(event: 'packet', listener: (nBytes: number, truncated: boolean) => void): unknown;
}

export type CapClass = { new (): CapHandle; deviceList(): { name: string }[] };

export interface CapModule {
  Cap: CapClass;
}

/** What LivePort's Cap subclass calls for every frame. */
export type FrameCallback = (nBytes: number, truncated: boolean) => void;

/** A Cap whose `emit` hands frames straight to `onFrame` (see directCap). */
interface DirectCapHandle extends CapHandle {
  onFrame: FrameCallback | null;
}

const directCaps = new WeakMap<CapClass, new () => DirectCapHandle>();

/**
 * A subclass of cap's Cap with its own `emit`. cap's binding takes `emit` from
 * the object as it is being constructed and calls it for every frame; the
 * subclass's emit goes straight to the frame callback: no listener lookup,
 * no rest-argument array per frame (EventEmitter.emit allocates one).
 * Anything else (there is nothing else today) still goes through EventEmitter.
 */
function directCap(Cap: CapClass): new () => DirectCapHandle {
  let Direct = directCaps.get(Cap);
  if (Direct === undefined) {
    const Base = Cap as unknown as new () => CapHandle & { emit(type: string, ...args: unknown[]): boolean };
    Direct = class extends Base {
      onFrame: FrameCallback | null = null;
      override emit(type: string, nBytes?: unknown, truncated?: unknown): boolean {
        const onFrame = this.onFrame;
        if (type === 'packet' && onFrame !== null) {
          onFrame(nBytes as number, truncated as boolean);
          return true;
        }
        return super.emit(type, nBytes, truncated);
      }
    };
    directCaps.set(Cap, Direct);
  }
  return Direct;
}

let capModule: CapModule | null = null;

/** The `cap` module, or a LiveError that says how to get it. */
export function loadCap(): CapModule {
  if (capModule !== null) return capModule;
  const require = createRequire(import.meta.url);
  try {
    capModule = require('cap') as CapModule;
  } catch (err) {
    const why = (err as Error).message.split('\n')[0];
    throw new LiveError(
      `live capture needs the optional dependency "cap", which is not installed or did not build (${why}); ` +
        'install libpcap0.8-dev and a C++ toolchain (build-essential), then run npm install',
    );
  }
  return capModule;
}

/**
 * Why libpcap's immediate mode would not be on, or null when it will be.
 * Asks the dynamic linker exactly what cap asks it: dlopen("libpcap.so").
 */
export function immediateModeProblem(): string | null {
  try {
    process.dlopen({ exports: {} }, 'libpcap.so');
  } catch (err) {
    const msg = (err as Error).message;
    // Loaded, and not a Node add-on: the library is there, which is all cap needs.
    if (/did not self-register|Module did not|napi_register/i.test(msg)) return null;
    return (
      'libpcap.so (the unversioned library from the Debian package libpcap0.8-dev) cannot be loaded ' +
      `(${msg.split('\n')[0]}); without it cap cannot turn on libpcap's immediate mode and frames would be ` +
      'forwarded up to a second late: apt-get install libpcap0.8-dev'
    );
  }
  return null;
}

export interface InterfaceInfo {
  name: string;
  mtu: number;
  up: boolean;
  /** MAC address, "aa:bb:cc:dd:ee:ff", or null when unknown. */
  mac: string | null;
}

/** Interfaces of this network namespace (ip -j link; /proc/net/dev and sysfs when ip is missing). */
export function listInterfaces(): InterfaceInfo[] {
  try {
    const out = childProcess().execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
    const links = JSON.parse(out) as { ifname: string; mtu: number; flags?: string[]; address?: string; link_type?: string }[];
    return links.map((l) => ({
      name: l.ifname,
      mtu: l.mtu,
      up: (l.flags ?? []).includes('UP'),
      mac: l.link_type === 'ether' && l.address ? l.address : null,
    }));
  } catch {
    // fall through
  }
  const names = readFileSync('/proc/net/dev', 'utf8')
    .split('\n')
    .slice(2)
    .map((line) => line.split(':')[0].trim())
    .filter((n) => n.length > 0);
  return names.map((name) => {
    let mtu = 1500;
    let up = true;
    let mac: string | null = null;
    try {
      mtu = Number(readFileSync(`/sys/class/net/${name}/mtu`, 'utf8').trim()) || 1500;
      up = (Number(readFileSync(`/sys/class/net/${name}/flags`, 'utf8').trim()) & 1) === 1;
      mac = readFileSync(`/sys/class/net/${name}/address`, 'utf8').trim() || null;
    } catch {
      // keep the defaults
    }
    return { name, mtu, up, mac };
  });
}

const CAP_NET_RAW = 13;

/**
 * Whether this process may open packet sockets (CAP_NET_RAW in its effective
 * set, /proc/self/status CapEff); null when that cannot be read. Checked before
 * libpcap is asked, so the refusal is one clear line.
 */
export function hasNetRaw(): boolean | null {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m === null) return null;
    const low = parseInt(m[1].slice(-8), 16);
    return ((low >>> CAP_NET_RAW) & 1) === 1;
  } catch {
    return null;
  }
}

/** Receive offloads that merge frames, so a bridge would see frames larger than any that were sent. */
const MERGING_OFFLOADS: Record<string, string> = {
  'generic-receive-offload': 'gro',
  'large-receive-offload': 'lro',
  'rx-gro-hw': 'rx-gro-hw',
  'rx-gro-list': 'rx-gro-list',
};

/** Offloads that are on for the interface, as ethtool -K names; null when ethtool could not tell. */
export function mergingOffloads(dev: string): string[] | null {
  let out: string;
  try {
    out = childProcess().execFileSync('ethtool', ['-k', dev], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 });
  } catch {
    return null;
  }
  const on: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*([\w-]+):\s+(on|off)/.exec(line);
    if (m !== null && m[2] === 'on' && MERGING_OFFLOADS[m[1]] !== undefined) on.push(MERGING_OFFLOADS[m[1]]);
  }
  return on;
}

/**
 * The capture filter of a forwarding port: none. The obvious filter,
 * libpcap's `inbound`, loses the first frame after it is set: libpcap 1.10
 * (pcap_setfilter_linux) runs the next frame to reach its ring through its
 * userland BPF interpreter, which cannot load the kernel's packet-type
 * field (SKF_AD_PKTTYPE) and so rejects that frame. Without a filter, what
 * `inbound` was for still holds: a packet socket never receives the frames it
 * sent itself (the kernel skips the sending socket, dev_queue_xmit_nit), and
 * each port sends and captures through one and the same socket. Frames the
 * host's own stack sends out of the interface carry its MAC address as their
 * source; the forwarder recognises and skips those.
 */
export const FILTER_FORWARD = '';
/** A filter no frame passes: for a port that only sends. */
export const FILTER_NOTHING = 'less 1';

/** The frame buffer cap copies each frame into: more than its 65535-byte snap length. */
export const FRAME_BUFFER_LEN = 65536;

/**
 * One interface opened through libpcap: receives frames (those the filter
 * passes) into `buf`, and sends frames out of the interface.
 */
export class LivePort {
  readonly buf = Buffer.alloc(FRAME_BUFFER_LEN);
  readonly handle: DirectCapHandle;
  linkType = '';
  private open = false;

  constructor(
    cap: CapModule,
    readonly name: string,
  ) {
    this.handle = new (directCap(cap.Cap))();
  }

  /** Opens the capture; throws LiveError with a one-line reason. */
  start(filter: string, bufferBytes: number, onFrame: FrameCallback | null): void {
    try {
      this.linkType = this.handle.open(this.name, filter, bufferBytes, this.buf);
    } catch (err) {
      throw openError(this.name, err);
    }
    this.open = true;
    if (this.linkType !== 'ETHERNET') {
      this.close();
      throw new LiveError(`${this.name}: link type ${this.linkType}: the bridge forwards Ethernet interfaces only`);
    }
    this.handle.onFrame = onFrame;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Sends `len` bytes of `frame`; throws the libpcap error (e.g. "send: No buffer space available"). */
  send(frame: Buffer, len: number): void {
    this.handle.send(frame, len);
  }

  /** Stops capturing; safe inside this port's own frame callback (libpcap closes after the callback returns). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.handle.close();
  }
}

function openError(dev: string, err: unknown): LiveError {
  const msg = (err as Error)?.message ?? String(err);
  if (/permission|not permitted|EPERM|EACCES/i.test(msg)) {
    return new LiveError(`${dev}: permission denied: capturing and sending need root or CAP_NET_RAW (try sudo) (${msg})`);
  }
  if (/no such device|doesn't exist|not found/i.test(msg)) return new LiveError(`${dev}: interface not found (${msg})`);
  if (/not up/i.test(msg)) return new LiveError(`${dev}: interface is down: ip link set ${dev} up (${msg})`);
  return new LiveError(`${dev}: cannot open for capture: ${msg}`);
}

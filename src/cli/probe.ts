/**
 * `qosmark probe HOST`: find the hop where a class's markings are lost, from
 * the IP headers quoted in ICMP Time Exceeded, and end to end from a STAMP
 * reflector. `qosmark reflect`: that reflector. See docs/probe.md.
 */
import { dgram, dns, net } from '../io/builtins.js';
import { formatIp } from '../parse/ip-text.js';
import { DEFAULT_PACING, ProbeEngine, SILENT_HOPS_LIMIT, STAMP_TTL, type Endpoint, type ProbeOptions, type ReflectorEndpoint } from '../probe/engine.js';
import { PlanError, planProbes } from '../probe/plan.js';
import { openProbeTransport, RawSocketError } from '../probe/raw.js';
import { fmt, startReflector, type ListenSpec, type ReflectEvent } from '../probe/reflector.js';
import { renderJson, renderText } from '../probe/render.js';
import { STAMP_PORT } from '../probe/stamp.js';
import { verdicts } from '../probe/verdict.js';
import { addressBytes, ecnLabel, type Family } from '../probe/wire.js';
import { dscpLabel } from '../classify/dscp.js';
import { loadPolicy } from './policy-source.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const PROBE_USAGE = `usage: qosmark probe HOST [--policy FILE] [--classes voice,video,signalling] [--max-hops 30] [--tries 3] [--wait 1] [--reflector HOST[:PORT]] [--json]
  HOST               where to probe (name or address, IPv4 or IPv6); needs root or CAP_NET_RAW
  --policy FILE      policy in YAML or JSON (default: the built-in CUPC/Jabber policy)
  --classes LIST     classes to probe (default: every class with a DSCP)
  --max-hops N       highest TTL / hop limit (default 30)
  --tries N          probes per hop and class before a "*" (default 3)
  --wait SEC         how long to wait for each answer (default 1)
  --reflector H[:P]  a "qosmark reflect" (STAMP, port 862) to measure end to end and back
  --json             one JSON object with every hop, quote and verdict (docs/probe.md)
exit status: 0 markings kept, 1 a class re-marked or its ECN cleared, 2 usage or setup error, 3 destination unreachable`;

export const REFLECT_USAGE = `usage: qosmark reflect [--listen ADDR:PORT]... [--json]
  --listen ADDR:PORT  where to answer STAMP test packets (default 0.0.0.0:862; [::]:862 for IPv6, which needs libpcap)
  --json              one JSON object per answered packet
runs until SIGINT or SIGTERM, then prints how many packets it answered; needs root or CAP_NET_RAW`;

export const EXIT_REMARKED = 1;
export const EXIT_UNREACHABLE = 3;

function positive(flag: string, text: string, integer: boolean, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(`probe: ${flag}: "${text}": expected a positive ${integer ? 'whole number' : 'number'} up to ${max}`);
  }
  return n;
}

/** "host", "host:port", "[v6]:port", "v6" → host and port. */
export function splitHostPort(text: string, defaultPort: number): { host: string; port: number } | null {
  let host = text;
  let port = defaultPort;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket) {
    host = bracket[1];
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (net().isIPv6(text)) {
    host = text;
  } else {
    const i = text.lastIndexOf(':');
    if (i >= 0) {
      host = text.slice(0, i);
      if (!/^\d+$/.test(text.slice(i + 1))) return null;
      port = Number(text.slice(i + 1));
    }
  }
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) return null;
  return { host, port };
}

async function resolve(host: string, what: string, family?: Family): Promise<{ address: string; family: Family }> {
  const literal = net().isIP(host);
  if (literal !== 0) return { address: addressCanonical(host), family: literal as Family };
  try {
    const r = await dns().lookup(host, family ? { family } : {});
    return { address: addressCanonical(r.address), family: r.family as Family };
  } catch {
    throw new UsageError(`probe: unknown ${what} "${host}"`);
  }
}

function addressCanonical(a: string): string {
  if (!net().isIPv6(a)) return a;
  const b = addressBytes(a);
  return b === null ? a : formatIp(b);
}

/** The local address the kernel would send from, or the OS error when there is no route. */
async function sourceFor(target: string, family: Family): Promise<{ source: string } | { error: string }> {
  const s = dgram().createSocket(family === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((res, rej) => {
      s.once('error', rej);
      s.connect(9, target, () => res());
    });
    return { source: s.address().address };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: e.code ?? e.message };
  } finally {
    s.close();
  }
}

export async function runProbe(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: true,
      options: {
        policy: { type: 'string' },
        classes: { type: 'string' },
        'max-hops': { type: 'string', default: '30' },
        tries: { type: 'string', default: '3' },
        wait: { type: 'string', default: '1' },
        reflector: { type: 'string' },
        json: { type: 'boolean', default: false },
        ...HELP_OPTION,
      },
    },
    'probe', PROBE_USAGE,
  );
  const { values, positionals } = parsed;
  if (helpShown(values.help, PROBE_USAGE)) return 0;
  if (positionals.length !== 1) throw new UsageError(`probe: expected one HOST, got ${positionals.length}\n${PROBE_USAGE}`);
  const options: ProbeOptions = {
    maxHops: positive('--max-hops', values['max-hops'], true, 255),
    tries: positive('--tries', values.tries, true, 10),
    waitMs: positive('--wait', values.wait, false, 60) * 1000,
    burst: DEFAULT_PACING.burst,
    intervalMs: DEFAULT_PACING.intervalMs,
    silentHopsLimit: SILENT_HOPS_LIMIT,
    stampTtl: STAMP_TTL,
  };
  const wanted = values.classes === undefined ? null : values.classes.split(',').map((c) => c.trim()).filter((c) => c !== '');
  if (wanted !== null && wanted.length === 0) throw new UsageError('probe: --classes: expected class names, e.g. voice,video');
  const policy = loadPolicy(values.policy);
  let plan;
  try {
    plan = planProbes(policy, wanted);
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(`probe: --classes: ${err.message}`);
    throw err;
  }
  if (plan.kinds.length === 0) throw new UsageError('probe: no class to probe: no class with a DSCP has a port rule');

  const host = positionals[0];
  const target = await resolve(host, 'host');
  let reflector: ReflectorEndpoint | null = null;
  if (values.reflector !== undefined) {
    const hp = splitHostPort(values.reflector, STAMP_PORT);
    if (hp === null) throw new UsageError(`probe: --reflector: "${values.reflector}": expected HOST or HOST:PORT`);
    const r = await resolve(hp.host, 'reflector', target.family);
    if (r.family !== target.family) throw new UsageError(`probe: --reflector: ${r.address} is not IPv${target.family} like ${target.address}`);
    reflector = { address: r.address, addressBytes: addressBytes(r.address)!, port: hp.port };
  }
  const src = await sourceFor(target.address, target.family);
  if ('error' in src) {
    const line = `destination unreachable: no route to ${target.address} (${src.error})`;
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ command: 'probe', host, target: target.address, error: line, destination: { reached: false, unreachable: { reason: 'no-route', message: line } } })}\n`);
    } else process.stdout.write(`qosmark probe: ${line}\n`);
    return EXIT_UNREACHABLE;
  }
  const endpoint: Endpoint = {
    family: target.family,
    source: src.source,
    sourceBytes: addressBytes(src.source)!,
    target: target.address,
    targetBytes: addressBytes(target.address)!,
  };

  const engine = new ProbeEngine(endpoint, plan, options, reflector);
  let transport;
  try {
    transport = openProbeTransport(
      { family: target.family, stampFrom: reflector && { address: reflector.address, port: reflector.port }, source: src.source },
      engine.handlers(),
    );
  } catch (err) {
    if (err instanceof RawSocketError) throw new UsageError(`probe ${err.message}`);
    throw err;
  }
  let run;
  try {
    run = await engine.run(transport);
  } finally {
    transport.close();
  }
  if (transport.warning) run.notes.push(transport.warning);
  const v = verdicts(run);
  if (values.json) process.stdout.write(`${JSON.stringify(renderJson(run, v, host))}\n`);
  else process.stdout.write(renderText(run, v));
  if (v.some((x) => x.remarked || x.ecnCleared)) return EXIT_REMARKED;
  if (!run.destination.reached) return EXIT_UNREACHABLE;
  return 0;
}

function parseListen(text: string): ListenSpec {
  const hp = splitHostPort(text, STAMP_PORT);
  const family = hp === null ? 0 : net().isIP(hp.host);
  if (hp === null || family === 0) throw new UsageError(`reflect: --listen: "${text}": expected ADDRESS:PORT, e.g. 0.0.0.0:862 or [::]:862`);
  return { family: family as Family, address: addressCanonical(hp.host), port: hp.port };
}

export async function runReflect(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: false,
      options: {
        listen: { type: 'string', multiple: true },
        json: { type: 'boolean', default: false },
        ...HELP_OPTION,
      },
    },
    'reflect', REFLECT_USAGE,
  );
  const { values } = parsed;
  if (helpShown(values.help, REFLECT_USAGE)) return 0;
  const listens = (values.listen ?? ['0.0.0.0:862']).map(parseListen);
  const log = (e: ReflectEvent) => {
    if (values.json) {
      process.stdout.write(`${JSON.stringify(e)}\n`);
    } else {
      process.stdout.write(
        `${e.time} ${e.from.includes(':') ? `[${e.from}]` : e.from}:${e.fromPort} seq ${e.seq}: arrived as ${dscpLabel(e.receivedDscp)} ${ecnLabel(e.receivedEcn)} TTL ${e.receivedTtl}, ` +
          `reflected as ${dscpLabel(e.reflectedDscp)}${e.cos ? '' : ' (no CoS TLV)'}\n`,
      );
    }
  };
  const reflectors = [];
  try {
    for (const l of listens) reflectors.push(await startReflector(l, log));
  } catch (err) {
    for (const r of reflectors) r.close();
    if (err instanceof RawSocketError) throw new UsageError(`reflect ${err.message}`);
    throw err;
  }
  process.stderr.write(`qosmark reflect: listening on ${listens.map(fmt).join(', ')} (STAMP, stateless, Class of Service TLV)\n`);
  await new Promise<void>((resolveStop) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolveStop();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  let answered = 0;
  let ignored = 0;
  for (const r of reflectors) {
    answered += r.answered;
    ignored += r.ignored;
    r.close();
  }
  process.stderr.write(`qosmark reflect: answered ${answered} test packet${answered === 1 ? '' : 's'}${ignored ? `, ignored ${ignored}` : ''}\n`);
  return 0;
}

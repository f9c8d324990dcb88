/** `qosmark gen --packets N -o FILE`: write a deterministic synthetic capture. */
import { grouped } from '../format/numbers.js';
import { DEFAULT_SEED, DEFAULT_VLAN, GEN_FORMATS, PROFILES, generateToFile, type GenFormat, type ProfileName } from '../gen/generate.js';
import { DEFAULT_WRONG_MARKS } from '../gen/profiles.js';
import { HELP_OPTION, helpShown, parseCommandLine, UsageError } from './usage-error.js';

export const GEN_USAGE = `usage: qosmark gen --packets N -o FILE [--profile cupc|voice-only|worst-case] [--seed N] [--format pcap|pcapng] [--vlan ID|none] [--wrong-marks SHARE] [--json] [-q]
  --packets N          how many packets to write
  -o, --output FILE    capture file to write (Ethernet); - is stdout
  --format F           pcap (default: classic pcap, µs) or pcapng (one interface, µs timestamps,
                       the gen options as the section comment); the same packets either way
  --profile NAME       cupc (default): softphone site mix; voice-only: RTP voice;
                       worst-case: deepest tag stacks, IPv4 options, IPv6 extension chains, fragments
  --seed N             0..4294967295 (default ${DEFAULT_SEED}); the same options and seed give the same bytes
  --vlan ID|none       VLAN ID of 802.1Q tags, 0..4094 (default ${DEFAULT_VLAN}); none: untagged frames only
  --wrong-marks SHARE  share of voice, video and signalling packets carrying a wrong marking
                       (DSCP 0, DSCP 40 or CoS 0), 0..1 (default ${DEFAULT_WRONG_MARKS.cupc}; worst-case ${DEFAULT_WRONG_MARKS['worst-case']})
  --json               print the summary as one JSON object
  -q, --quiet          no summary`;

function wholeNumber(name: string, text: string, max: number): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`gen: --${name}: "${text}": expected a whole number`);
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n > max) throw new UsageError(`gen: --${name}: "${text}": expected at most ${max}`);
  return n;
}

export function runGen(argv: string[]): number {
  const parsed = parseCommandLine(
    {
      args: argv,
      allowPositionals: false,
      options: {
        packets: { type: 'string' },
        output: { type: 'string', short: 'o' },
        profile: { type: 'string', default: 'cupc' },
        seed: { type: 'string' },
        format: { type: 'string', default: 'pcap' },
        vlan: { type: 'string' },
        'wrong-marks': { type: 'string' },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', short: 'q', default: false },
        ...HELP_OPTION,
      },
    },
    'gen',
  );
  const { values } = parsed;
  if (helpShown(values.help, GEN_USAGE)) return 0;
  if (values.packets === undefined) throw new UsageError(`gen: missing --packets N\n${GEN_USAGE}`);
  if (values.output === undefined) throw new UsageError(`gen: missing -o FILE\n${GEN_USAGE}`);
  const packets = wholeNumber('packets', values.packets, Number.MAX_SAFE_INTEGER);
  const profile = values.profile as ProfileName;
  if (!PROFILES.includes(profile)) {
    throw new UsageError(`gen: --profile: "${values.profile}": expected ${PROFILES.join(', ')}`);
  }
  const format = values.format as GenFormat;
  if (!GEN_FORMATS.includes(format)) throw new UsageError(`gen: --format: "${values.format}": expected ${GEN_FORMATS.join(' or ')}`);
  const seed = values.seed === undefined ? DEFAULT_SEED : wholeNumber('seed', values.seed, 0xffffffff);
  let vlan: number | null = DEFAULT_VLAN;
  if (values.vlan === 'none') vlan = null;
  else if (values.vlan !== undefined) vlan = wholeNumber('vlan', values.vlan, 4094);
  let wrongMarks: number | undefined;
  if (values['wrong-marks'] !== undefined) {
    const text = values['wrong-marks'];
    wrongMarks = /^(0|1|0?\.\d+|1\.0*)$/.test(text) ? Number(text) : NaN;
    if (!(wrongMarks >= 0 && wrongMarks <= 1)) throw new UsageError(`gen: --wrong-marks: "${text}": expected a share from 0 to 1`);
  }

  const result = generateToFile({ packets, profile, seed, vlan, wrongMarks, format, output: values.output });
  // Keep stdout clean for the capture when it is written there.
  const report = values.output === '-' ? process.stderr : process.stdout;
  if (values.json) {
    report.write(`${JSON.stringify({ command: 'gen', output: values.output, ...result })}\n`);
  } else if (!values.quiet) {
    const mpps = result.wallSeconds > 0 ? result.packets / result.wallSeconds / 1e6 : 0;
    const classes = Object.entries(result.packetsByClass)
      .map(([k, v]) => `${k} ${grouped(v)}`)
      .join(', ');
    report.write(
      `qosmark gen: ${grouped(result.packets)} packets (${(result.bytes / 1e6).toFixed(1)} MB, ` +
        `${result.captureSeconds.toFixed(1)} s of traffic) -> ${values.output} (${result.format}); profile ${result.profile}, seed ${result.seed}\n` +
        `  ${classes}; ${grouped(result.ipFragments)} IP fragments\n` +
        `  ${result.wallSeconds.toFixed(3)} s, ${mpps.toFixed(2)} Mpps\n`,
    );
  }
  return 0;
}

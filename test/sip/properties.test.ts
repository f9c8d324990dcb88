/**
 * Property tests: random, truncated and mutated SIP/SDP never make the
 * parsers or the Pipeline throw, and the Pipeline never changes a packet's
 * bytes beyond its DSCP bits, its PCP and the IPv4 header checksum (ECN
 * never). A valid SIP/TCP stream cut into random segments gives the same
 * media classes as the whole stream when the segments arrive in order, and
 * is harmless in any order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSdp } from '../../src/parse/sdp.js';
import { parseSipMessage, sdpOf, sipFrameLength } from '../../src/parse/sip.js';
import {
  builtinPipeline,
  onlyMarkingChanged,
  rtpPayload,
  runFrames,
  sdpText,
  sipRequest,
  sipResponse,
  TCP_ACK,
  TCP_FIN,
  TCP_PSH,
  TCP_SYN,
  tcpFrame,
  udpFragments,
  udpFrame,
} from './helpers.js';

const RUNS = 300;

const OFFER = sdpText('alice', 1, '198.18.0.10', '198.18.0.10', [
  { type: 'audio', port: 20000, rtcp: 20101 },
  { type: 'video', port: 20002, conn: '2001:db8::10' },
]);
const INVITE = sipRequest('INVITE', 'p1@198.18.0.10', 1, OFFER);
const COMPACT = INVITE.replace('Call-ID:', 'i:').replace('Content-Type:', 'c:').replace('Content-Length:', 'l:');
const MULTIPART = sipRequest(
  'INVITE',
  'p2@198.18.0.10',
  1,
  `--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nContent-Type: application/sdp\r\n\r\n${OFFER}\r\n--b1--\r\n`,
  'multipart/mixed; boundary=b1',
);
const SEEDS = [INVITE, COMPACT, MULTIPART, sipResponse(200, 'OK', 'p1@198.18.0.10', 1, 'INVITE', OFFER), sipRequest('BYE', 'p1@198.18.0.10', 2)];

/** Characters that matter to SIP/SDP framing and parsing, plus anything. */
const SIP_CHARS = ['\r', '\n', ':', ' ', '\t', '=', '/', ';', '-', '0', '1', '9', '.', 'm', 'c', 'a', 'l', 'i', 'v', '"', '\u0000', '\u00ff', '[', ']'];
const arbSipChar = fc.oneof(fc.constantFrom(...SIP_CHARS), fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)));

type Edit = { at: number; kind: 'replace' | 'insert' | 'delete' | 'dup-line' | 'number'; text: string; n: number };
const arbEdit: fc.Arbitrary<Edit> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('replace', 'insert', 'delete', 'dup-line', 'number'),
  text: fc.array(arbSipChar, { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
  n: fc.oneof(fc.nat(), fc.constantFrom(-1, 0, 65535, 65536, 99999999, 2 ** 31)),
});

function mutate(seed: string, edits: Edit[]): string {
  let s = seed;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    switch (e.kind) {
      case 'replace':
        s = s.slice(0, at) + e.text + s.slice(at + e.text.length);
        break;
      case 'insert':
        s = s.slice(0, at) + e.text + s.slice(at);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + e.text.length);
        break;
      case 'dup-line': {
        const lines = s.split('\r\n');
        const i = at % Math.max(1, lines.length);
        lines.splice(i, 0, lines[i] ?? '');
        s = lines.join('\r\n');
        break;
      }
      case 'number': {
        // Rewrite the first number at or after `at` (Content-Length, ports, CSeq...).
        const m = /\d+/.exec(s.slice(at));
        if (m) s = s.slice(0, at + m.index) + String(e.n) + s.slice(at + m.index + m[0].length);
        break;
      }
    }
  }
  return s;
}

const arbMutated = fc.tuple(fc.constantFrom(...SEEDS), fc.array(arbEdit, { maxLength: 6 })).map(([seed, edits]) => mutate(seed, edits));
const arbTruncated = fc.tuple(fc.constantFrom(...SEEDS), fc.nat()).map(([seed, n]) => seed.slice(0, n % (seed.length + 1)));
const arbRandom = fc.oneof(
  fc.array(arbSipChar, { maxLength: 400 }).map((a) => a.join('')),
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b).toString('latin1')),
);
const arbText = fc.oneof(arbMutated, arbTruncated, arbRandom);

describe('SIP/SDP parsers on hostile text', () => {
  it('parseSipMessage, sdpOf, parseSdp and sipFrameLength never throw', () => {
    fc.assert(
      fc.property(arbText, fc.boolean(), (text, datagram) => {
        const m = parseSipMessage(text, datagram);
        if (m !== null) {
          const sdp = sdpOf(m);
          if (sdp !== null) {
            const d = parseSdp(sdp);
            for (const s of d.streams) {
              expect(s.port).toBeGreaterThanOrEqual(0);
              expect(s.port).toBeLessThanOrEqual(65535);
              if (s.address !== null) expect(s.address.length).toBe(s.ipVersion === 6 ? 16 : 4);
            }
          }
        }
        parseSdp(text);
        const n = sipFrameLength(text);
        expect(n === -1 || n === -2 || (n > 0 && n <= text.length)).toBe(true);
      }),
      { numRuns: 3000, seed: 1 },
    );
  });

  it('sipFrameLength frames a stream of whole messages exactly, whatever follows', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...SEEDS), { minLength: 1, maxLength: 4 }), fc.constantFrom('', '\r\n', '\r\n\r\n'), arbRandom, (msgs, keepAlive, tail) => {
        let text = msgs.map((m) => keepAlive + m).join('') + tail;
        for (const m of msgs) {
          const n = sipFrameLength(text);
          expect(n).toBe(keepAlive.length + m.length);
          expect(parseSipMessage(text.slice(0, n).replace(/^[\r\n]+/, ''), false)).not.toBeNull();
          text = text.slice(n);
        }
      }),
      { numRuns: RUNS, seed: 2 },
    );
  });
});

// ------------------------------------------------------------ pipeline -----

const A = '198.18.0.10';
const B = '198.18.0.20';
const A6 = '2001:db8::10';
const B6 = '2001:db8::20';

const arbFrameOpts = fc.record({
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  pcp: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
});

/** A frame on a SIP port carrying hostile text, over UDP or TCP, IPv4 or IPv6, maybe cut short. */
const arbSipFrame = fc
  .record({
    text: arbText,
    v6: fc.boolean(),
    tcp: fc.boolean(),
    sport: fc.constantFrom(5060, 5061, 49152),
    seq: fc.constantFrom(0, 1000, 2 ** 32 - 10),
    flags: fc.constantFrom(TCP_PSH | TCP_ACK, TCP_SYN, TCP_FIN | TCP_ACK, TCP_ACK),
    o: arbFrameOpts,
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map((r) => {
    const [src, dst] = r.v6 ? [A6, B6] : [A, B];
    const dport = r.sport === 49152 ? 5060 : r.sport;
    const f = r.tcp ? tcpFrame(src, dst, r.sport, dport, r.seq, r.flags, r.text, r.o) : udpFrame(src, dst, r.sport, dport, r.text, r.o);
    return { frame: f, capLen: r.cut === undefined ? f.length : r.cut % (f.length + 1) };
  });

/** Media frames on the ports the seeds advertise, so that lookups hit. */
const arbMediaFrame = fc.record({ v6: fc.boolean(), port: fc.constantFrom(20000, 20002, 20001, 20101, 20003), o: arbFrameOpts }).map((r) => {
  const f = r.v6 ? udpFrame(B6, A6, 30000, r.port, rtpPayload(96, 1, 40), r.o) : udpFrame(B, A, 30000, r.port, rtpPayload(0, 1, 40), r.o);
  return { frame: f, capLen: f.length };
});

/** Seed messages as IPv4 fragments in a random order, some fragments dropped or repeated. */
const arbFragments = fc.tuple(fc.constantFrom(...SEEDS), fc.constantFrom(8, 64, 256, 512), fc.nat(), fc.array(fc.nat(), { maxLength: 8 })).map(([text, size, id, picks]) => {
  const frags = udpFragments(A, B, 5060, 5060, text + 'a=pad:' + 'x'.repeat(600) + '\r\n', size, id % 65536);
  const order = picks.length === 0 ? frags : picks.map((k) => frags[k % frags.length]);
  return order.map((f) => ({ frame: f, capLen: f.length }));
});

describe('Pipeline on hostile SIP traffic', () => {
  it('never throws and changes nothing but DSCP, PCP and the IPv4 checksum (ECN never)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: arbSipFrame.map((f) => [f]) }, { weight: 2, arbitrary: arbMediaFrame.map((f) => [f]) }, { weight: 1, arbitrary: arbFragments }), { maxLength: 25 }),
        fc.boolean(),
        (groups, small) => {
          const pipeline = builtinPipeline(small ? { mediaEntries: 3, mediaIdleSec: 0.05 } : {});
          groups.flat().forEach(({ frame, capLen }, i) => {
            const before = frame.slice();
            pipeline.handle(frame, 0, capLen, frame.length, 1, 1_700_000_000 + Math.floor(i / 10), (i % 10) * 1e8);
            const changed = onlyMarkingChanged(before.subarray(0, capLen), frame.subarray(0, capLen));
            expect(changed).toBeNull();
            expect(frame.subarray(capLen)).toEqual(before.subarray(capLen));
          });
          expect(pipeline.sip!.media.size).toBeLessThanOrEqual(small ? 3 : 65536);
        },
      ),
      { numRuns: RUNS, seed: 3 },
    );
  });

  it('survives random bytes on the SIP ports in both transports', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.uint8Array({ maxLength: 1500 }), fc.boolean(), fc.nat()), { maxLength: 30 }), (items) => {
        const pipeline = builtinPipeline();
        for (const [payload, tcp, seq] of items) {
          const f = tcp ? tcpFrame(A, B, 49152, 5060, seq, TCP_PSH | TCP_ACK, payload) : udpFrame(A, B, 49152, 5060, payload);
          const before = f.slice();
          pipeline.handle(f, 0, f.length, f.length, 1, 1_700_000_000, 0);
          expect(onlyMarkingChanged(before, f)).toBeNull();
        }
      }),
      { numRuns: RUNS, seed: 4 },
    );
  });
});

// ------------------------------------------------------ TCP segmentation ---

const CALL = 'tcp-prop@198.18.0.10';
const STREAM = [
  sipRequest('INVITE', CALL, 1, sdpText('alice', 7, A, A, [{ type: 'audio', port: 20000 }, { type: 'video', port: 20002 }])),
  '\r\n\r\n', // keep-alive between messages (RFC 5626)
  sipRequest('OPTIONS', CALL, 2),
  sipRequest('UPDATE', CALL, 3, sdpText('alice', 7, A, A, [{ type: 'audio', port: 20000 }, { type: 'video', port: 20012 }], 2)),
].join('');
const PROBES = [20002, 20012, 20000].map((port) => udpFrame('198.18.0.30', A, 25000, port, rtpPayload(96, 1, 100)));
const PROBE_CLASSES = ['voice', 'video', 'voice'];

function segments(cuts: number[]): { seq: number; text: string }[] {
  const points = [...new Set(cuts.map((c) => 1 + (c % (STREAM.length - 1))))].sort((x, y) => x - y);
  const bounds = [0, ...points, STREAM.length];
  const out: { seq: number; text: string }[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) out.push({ seq: 1001 + bounds[i], text: STREAM.slice(bounds[i], bounds[i + 1]) });
  return out;
}

function tcpRun(segs: { seq: number; text: string }[]): (string | null)[] {
  const pipeline = builtinPipeline();
  const frames = [tcpFrame(A, B, 49200, 5060, 1000, TCP_SYN, ''), ...segs.map((s) => tcpFrame(A, B, 49200, 5060, s.seq, TCP_PSH | TCP_ACK, s.text))];
  for (const f of frames) {
    const before = f.slice();
    pipeline.handle(f, 0, f.length, f.length, 1, 1_700_000_000, 0);
    expect(onlyMarkingChanged(before, f)).toBeNull();
  }
  return runFrames(pipeline, PROBES);
}

describe('a SIP/TCP stream in random segments', () => {
  it('whole, the stream moves the video port from 20002 to 20012', () => {
    expect(tcpRun([{ seq: 1001, text: STREAM }])).toEqual(PROBE_CLASSES);
  });

  it('cut anywhere and sent in order (with retransmitted segments), gives the same result', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 40 }), fc.array(fc.nat(), { maxLength: 3 }), (cuts, repeats) => {
        const segs = segments(cuts);
        const withRepeats = [...segs];
        for (const r of repeats) {
          const k = r % segs.length;
          withRepeats.splice(withRepeats.indexOf(segs[k]) + 1, 0, segs[k]);
        }
        expect(tcpRun(withRepeats)).toEqual(PROBE_CLASSES);
      }),
      { numRuns: RUNS, seed: 5 },
    );
  });

  it('cut anywhere and sent in any order, never throws and never changes more than the marking', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 25 }), (cuts, order) => {
        const segs = segments(cuts);
        const shuffled = order.length === 0 ? [...segs].reverse() : order.map((k) => segs[k % segs.length]);
        const classes = tcpRun(shuffled);
        for (const c of classes) expect(['voice', 'video']).toContain(c);
      }),
      { numRuns: RUNS, seed: 6 },
    );
  });
});

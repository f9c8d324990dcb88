#!/usr/bin/env node
// What SIP/SDP following costs per frame: the same in-memory frame mixes run
// through the Pipeline (marking on) with SDP following off (--no-sdp) and on.
// Build first (npm run build); run: node bench/sdp-overhead.js [framesPerRun]
//
// Mixes (all UDP on Ethernet, IPv4, 198.18.0.0/15):
//   rtp-only      RTP between endpoints of 1,000 established calls; SIP seen once per call up front
//   sip-heavy     as rtp-only, but every 20th frame is a re-INVITE with SDP (replaces a side's entries)
//   table-full    10,000 calls x 8 endpoints (80,000 > 65,536 entries): evictions, then RTP
//   churn-bye     a full table while calls keep coming and half of them end with BYE
// Each mix is timed 5 times after a warm-up; the median is reported. Frames are marked in place and
// reused: classification does not depend on the DSCP found, so later runs see the same decisions.
// Timings swing on a loaded machine: compare the two columns of one run, not runs of different days.
import { compilePolicy } from '../dist/classify/compile.js';
import { builtinPolicy } from '../dist/classify/policy.js';
import { Pipeline } from '../dist/engine/pipeline.js';

const FRAMES = Number(process.argv[2] ?? 300_000);
const policy = compilePolicy(builtinPolicy());

function checksum(ip) {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) if (i !== 10) sum += (ip[i] << 8) | ip[i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function udp(src, dst, sport, dport, payload) {
  const f = Buffer.alloc(42 + payload.length);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 17], 14);
  f.writeUInt16BE(28 + payload.length, 16);
  f.set(src, 26);
  f.set(dst, 30);
  f.writeUInt16BE(checksum(f.subarray(14, 34)), 24);
  f.writeUInt16BE(sport, 34);
  f.writeUInt16BE(dport, 36);
  f.writeUInt16BE(8 + payload.length, 38);
  f.set(payload, 42);
  return new Uint8Array(f.buffer, f.byteOffset, f.length);
}

const addr = (n) => [198, 18 + ((n >> 16) & 1), (n >> 8) & 0xff, n & 0xff];
const ipText = (a) => a.join('.');
const rtpPayload = (video) => {
  const p = Buffer.alloc(video ? 1012 : 172);
  p[0] = 0x80;
  p[1] = video ? 96 : 0;
  return p;
};
const AUDIO = rtpPayload(false);
const VIDEO = rtpPayload(true);

function sdp(user, id, version, a, audio, video) {
  return `v=0\r\no=${user} ${id} ${version} IN IP4 ${ipText(a)}\r\ns=-\r\nc=IN IP4 ${ipText(a)}\r\nt=0 0\r\nm=audio ${audio} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nm=video ${video} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n`;
}
function sip(start, callId, cseq, body) {
  const head = `${start}\r\nVia: SIP/2.0/UDP 198.18.0.1:5060;branch=z9hG4bK${cseq}\r\nFrom: <sip:a@x>;tag=1\r\nTo: <sip:b@y>;tag=2\r\nCall-ID: ${callId}\r\nCSeq: ${cseq}\r\n`;
  return Buffer.from(body ? `${head}Content-Type: application/sdp\r\nContent-Length: ${body.length}\r\n\r\n${body}` : `${head}Content-Length: 0\r\n\r\n`, 'latin1');
}

/** A call: two hosts, their ports, and its setup frames. */
function call(i) {
  const a = addr(2 * i + 256);
  const b = addr(2 * i + 257);
  const pa = 16384 + ((i * 4) % 16000);
  const pb = 16384 + ((i * 4 + 2) % 16000);
  const id = `bench-${i}`;
  return {
    a, b, pa, pb, id,
    setup: [
      udp(a, b, 5060, 5060, sip('INVITE sip:b@y SIP/2.0', id, '1 INVITE', sdp('a', i, 1, a, pa, pa + 2))),
      udp(b, a, 5060, 5060, sip('SIP/2.0 200 OK', id, '1 INVITE', sdp('b', i, 1, b, pb, pb + 2))),
    ],
    reinvite: (v) => udp(a, b, 5060, 5060, sip('INVITE sip:b@y SIP/2.0', id, `${v} INVITE`, sdp('a', i, v, a, pa, pa + 2))),
    bye: udp(a, b, 5060, 5060, sip('BYE sip:b@y SIP/2.0', id, '9 BYE', '')),
    rtp: [udp(a, b, pa, pb, AUDIO), udp(b, a, pb, pa, AUDIO), udp(a, b, pa + 2, pb + 2, VIDEO), udp(b, a, pb + 2, pa + 2, VIDEO)],
  };
}

function mix(name) {
  const frames = [];
  if (name === 'rtp-only' || name === 'sip-heavy') {
    const calls = Array.from({ length: 1000 }, (_, i) => call(i));
    for (const c of calls) frames.push(...c.setup);
    let v = 2;
    while (frames.length < FRAMES) {
      const c = calls[frames.length % calls.length];
      if (name === 'sip-heavy' && frames.length % 20 === 0) frames.push(c.reinvite(v++));
      else frames.push(c.rtp[frames.length & 3]);
    }
  } else if (name === 'table-full') {
    const calls = Array.from({ length: 10_000 }, (_, i) => call(i));
    for (const c of calls) frames.push(...c.setup);
    while (frames.length < FRAMES) frames.push(calls[(frames.length * 7) % calls.length].rtp[frames.length & 3]);
  } else if (name === 'churn-bye') {
    let i = 0;
    while (frames.length < FRAMES) {
      const c = call(i++ % 60_000);
      frames.push(...c.setup, ...c.rtp);
      if (i % 2 === 0) frames.push(c.bye);
      for (let k = 0; k < 20; k++) frames.push(c.rtp[k & 3]);
    }
  }
  return frames.slice(0, FRAMES);
}

function time(frames, sdpOn) {
  const pipeline = new Pipeline(policy, { sdp: sdpOn });
  const start = process.hrtime.bigint();
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i];
    pipeline.handle(f, 0, f.length, f.length, 1, 1_700_000_000 + (i >> 10), (i & 1023) * 976_000);
  }
  const ns = Number(process.hrtime.bigint() - start);
  return { nsPerFrame: ns / frames.length, viaSdp: pipeline.counters.viaSdp, evictions: pipeline.sip?.media.evictions ?? 0 };
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

console.log(`qosmark SDP-following overhead, ${FRAMES} frames per run, node ${process.version}`);
console.log('mix          no-sdp ns/frame   sdp ns/frame   overhead   frames via SDP   evictions');
for (const name of ['rtp-only', 'sip-heavy', 'table-full', 'churn-bye']) {
  const frames = mix(name);
  time(frames, false);
  time(frames, true);
  const off = [];
  const on = [];
  let last = null;
  for (let r = 0; r < 5; r++) {
    off.push(time(frames, false).nsPerFrame);
    last = time(frames, true);
    on.push(last.nsPerFrame);
  }
  const a = median(off);
  const b = median(on);
  console.log(
    `${name.padEnd(12)} ${a.toFixed(1).padStart(15)} ${b.toFixed(1).padStart(14)} ${`${(((b - a) / a) * 100).toFixed(0)}%`.padStart(10)} ${String(last.viaSdp).padStart(16)} ${String(last.evictions).padStart(11)}`,
  );
}

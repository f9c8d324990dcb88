/**
 * SIP/SDP following, rule by rule, through the Pipeline: options and policy
 * media map, the table bound and idle time, TCP overflow, and the cases
 * cases that once deviated from the rules (each now a regression test, with
 * the rule it guards).
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { parsePolicy } from '../../src/classify/policy-load.js';
import { pipelineSetup } from '../../src/cli/pipeline-options.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import {
  builtinPipeline,
  rtpPayload,
  runFrames,
  sdpText,
  sipRequest,
  sipResponse,
  TCP_ACK,
  TCP_PSH,
  TCP_SYN,
  tcpFrame,
  udp6Fragments,
  udpFragments,
  udpFrame,
  type MediaLine,
} from './helpers.js';

const A = '198.18.0.10';
const B = '198.18.0.20';
const P = '198.18.0.30';

const sip = (from: string, to: string, text: string) => udpFrame(from, to, 5060, 5060, text);
const rtp = (from: string, sport: number, to: string, dport: number) => udpFrame(from, to, sport, dport, rtpPayload(96, 1, 400));
const offer = (media: MediaLine[], version = 1) => sdpText('alice', 11, A, A, media, version);
const answer = (media: MediaLine[], version = 1) => sdpText('bob', 22, B, B, media, version);
const AV_A: MediaLine[] = [{ type: 'audio', port: 20000 }, { type: 'video', port: 20002 }];
const AV_B: MediaLine[] = [{ type: 'audio', port: 30000 }, { type: 'video', port: 30002 }];

/** INVITE / 200 OK / ACK for one call with audio+video on both sides. */
function establish(callId = 'c1'): Uint8Array[] {
  return [
    sip(A, B, sipRequest('INVITE', callId, 1, offer(AV_A))),
    sip(B, A, sipResponse(200, 'OK', callId, 1, 'INVITE', answer(AV_B))),
    sip(A, B, sipRequest('ACK', callId, 1)),
  ];
}

describe('options and policy', () => {
  it('is on by default with the built-in policy; --no-sdp turns it off; --sdp-idle and --sdp-entries reach the table', () => {
    const on = pipelineSetup('mark', { 'cos-tag': 'outer', 'no-sdp': false, 'rtp-heuristic': false });
    expect(new Pipeline(on.policy, on.options).sip).not.toBeNull();
    const off = pipelineSetup('mark', { 'cos-tag': 'outer', 'no-sdp': true, 'rtp-heuristic': false });
    expect(new Pipeline(off.policy, off.options).sip).toBeNull();
    const tuned = pipelineSetup('mark', { 'cos-tag': 'outer', 'no-sdp': false, 'rtp-heuristic': false, 'sdp-idle': '42', 'sdp-entries': '1000' });
    const p = new Pipeline(tuned.policy, tuned.options);
    expect(p.sip!.media.idleSec).toBe(42);
    expect(p.sip!.media.capacity).toBe(1000);
  });

  it('maps audio and video by default and leaves image/application/text unmapped', () => {
    const p = builtinPipeline();
    const frames = [
      sip(A, B, sipRequest('INVITE', 'm1', 1, offer([{ type: 'image', port: 12000 }, { type: 'application', port: 12002 }, { type: 'text', port: 12004 }, { type: 'video', port: 12006 }]))),
      rtp(P, 13000, A, 12000),
      rtp(P, 13000, A, 12002),
      rtp(P, 13000, A, 12004),
      rtp(P, 13000, A, 12006),
      rtp(P, 20000, A, 12000),
    ];
    expect(runFrames(p, frames)).toEqual(['signalling', 'default', 'default', 'default', 'video', 'voice']);
  });

  it('follows a configured media map (image -> video, video unmapped)', () => {
    const policy = parsePolicy(
      [
        'classes: { voice: {dscp: EF, cos: 5}, video: {dscp: CS4, cos: 4}, signalling: {dscp: CS3, cos: 3} }',
        'rules:',
        '  - { name: sip, protocols: [udp, tcp], ports: [5060], class: signalling, inspect: sip }',
        '  - { name: rtp, protocols: [udp], ports: ["16384-32766"], class: voice }',
        'media: { audio: voice, image: video }',
      ].join('\n'),
      'test',
    );
    const p = new Pipeline(compilePolicy(policy));
    const frames = [sip(A, B, sipRequest('INVITE', 'm2', 1, offer([{ type: 'image', port: 20100 }, { type: 'video', port: 20102 }]))), rtp(P, 25000, A, 20100), rtp(P, 25000, A, 20102)];
    expect(runFrames(p, frames)).toEqual(['signalling', 'video', 'voice']);
  });

  it('reads SIP only on the ports of rules with inspect: sip', () => {
    const policy = parsePolicy(
      [
        'classes: { voice: {dscp: EF, cos: 5}, video: {dscp: CS4, cos: 4}, signalling: {dscp: CS3, cos: 3} }',
        'rules:',
        '  - { name: sip-alt, protocols: [udp], ports: [5080], class: signalling, inspect: sip }',
        '  - { name: sip, protocols: [udp], ports: [5060], class: signalling }',
        '  - { name: rtp, protocols: [udp], ports: ["16384-32766"], class: voice }',
      ].join('\n'),
      'test',
    );
    const p = new Pipeline(compilePolicy(policy));
    const frames = [
      udpFrame(A, B, 5060, 5060, sipRequest('INVITE', 'x1', 1, offer([{ type: 'video', port: 20002 }]))),
      rtp(P, 25000, A, 20002),
      udpFrame(A, B, 5080, 5080, sipRequest('INVITE', 'x2', 1, offer([{ type: 'video', port: 20012 }]))),
      rtp(P, 25000, A, 20012),
    ];
    expect(runFrames(p, frames)).toEqual(['signalling', 'voice', 'signalling', 'video']);
  });

  it('gives the SDP class to UDP only: TCP to an advertised endpoint keeps the port rules', () => {
    const p = builtinPipeline();
    const frames = [sip(A, B, sipRequest('INVITE', 'u1', 1, offer([{ type: 'video', port: 12002 }]))), tcpFrame(P, A, 40000, 12002, 1, TCP_ACK, ''), rtp(P, 40000, A, 12002)];
    expect(runFrames(p, frames)).toEqual(['signalling', 'default', 'video']);
  });

  it('does not follow SIP when no rule has inspect: sip', () => {
    const policy = parsePolicy(
      ['classes: { voice: {dscp: EF, cos: 5}, video: {dscp: CS4, cos: 4} }', 'rules:', '  - { name: rtp, protocols: [udp], ports: ["16384-32766"], class: voice }'].join('\n'),
      'test',
    );
    const p = new Pipeline(compilePolicy(policy));
    expect(p.sip).toBeNull();
    expect(runFrames(p, [...establish('n1'), rtp(B, 30002, A, 20002)]).at(-1)).toBe('voice');
  });
});

describe('table bound and idle time', () => {
  it('evicts the oldest endpoints when full and counts the evictions', () => {
    const p = builtinPipeline({ mediaEntries: 4 });
    const frames: Uint8Array[] = [];
    for (let c = 0; c < 3; c++) frames.push(sip(A, B, sipRequest('INVITE', `e${c}`, 1, offer([{ type: 'video', port: 20010 + 10 * c }]))));
    // 3 calls x (RTP + RTCP) = 6 endpoints into a table of 4.
    frames.push(rtp(P, 25000, A, 20010), rtp(P, 25000, A, 20020), rtp(P, 25000, A, 20030), rtp(P, 25000, A, 20031));
    expect(runFrames(p, frames).slice(3)).toEqual(['voice', 'video', 'video', 'video']);
    expect(p.sip!.media.evictions).toBe(2);
    expect(p.sip!.media.size).toBeLessThanOrEqual(4);
  });

  it('expires an endpoint idle longer than --sdp-idle (capture time)', () => {
    const p = builtinPipeline({ mediaIdleSec: 10 });
    const frames = [sip(A, B, sipRequest('INVITE', 'i1', 1, offer([{ type: 'video', port: 20002 }]))), rtp(P, 25000, A, 20002), rtp(P, 25000, A, 20002), rtp(P, 25000, A, 20002)];
    const t0 = 1_700_000_000;
    expect(runFrames(p, frames, [t0, t0 + 1, t0 + 10.5, t0 + 21])).toEqual(['signalling', 'video', 'video', 'voice']);
    expect(p.sip!.media.expirations).toBe(1);
  });

  // Regression: lookups used to stop at the source endpoint's hit, so an entry that only ever
  // matched as the destination was never refreshed and expired while in use.
  it('keeps an endpoint used only as a destination alive (idle means no packet to or from it)', () => {
    // Rule: "An entry idle for 300 s (capture time) expires."
    const p = builtinPipeline();
    const frames = [...establish('d1')];
    const t0 = 1_700_000_000;
    const times = [t0, t0 + 0.1, t0 + 0.2];
    // A sends video to B's video endpoint for 400 s, every 10 s.
    for (let t = 1; t <= 400; t += 10) {
      frames.push(rtp(A, 20002, B, 30002));
      times.push(t0 + t);
    }
    // Then a packet whose only SDP endpoint is B's (A now sends from another port).
    frames.push(rtp(A, 20502, B, 30002));
    times.push(t0 + 405);
    const classes = runFrames(p, frames, times);
    expect(classes.slice(3, -1).every((c) => c === 'video')).toBe(true);
    expect(classes.at(-1)).toBe('video');
  });
});

describe('TCP framing limits', () => {
  it('counts a message larger than the reassembly bound, drops the connection, and goes on', () => {
    const p = builtinPipeline();
    const big = 'a=x:' + 'y'.repeat(70_000) + '\r\n';
    const text = sipRequest('INVITE', 'big', 1, offer(AV_A) + big);
    const frames = [tcpFrame(A, B, 49000, 5060, 100, TCP_SYN, '')];
    let seq = 101;
    for (let off = 0; off < text.length; off += 1400) {
      const chunk = text.slice(off, off + 1400);
      frames.push(tcpFrame(A, B, 49000, 5060, seq, TCP_PSH | TCP_ACK, chunk));
      seq += chunk.length;
    }
    frames.push(rtp(P, 25000, A, 20002));
    // A second connection still works.
    const small = sipRequest('INVITE', 'small', 1, offer([{ type: 'video', port: 20202 }]));
    frames.push(tcpFrame(A, B, 49001, 5060, 500, TCP_SYN, ''), tcpFrame(A, B, 49001, 5060, 501, TCP_PSH | TCP_ACK, small), rtp(P, 25000, A, 20202));
    const classes = runFrames(p, frames);
    expect(classes.at(-4)).toBe('voice');
    expect(classes.at(-1)).toBe('video');
    expect(p.sip!.counters.tcpOverflows).toBe(1);
  });

  it('counts a TLS connection on 5061 whose first data segment was captured without its SYN', () => {
    const p = builtinPipeline();
    runFrames(p, [tcpFrame(A, B, 49500, 5061, 1000, TCP_PSH | TCP_ACK, Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0]))]);
    expect(p.sip!.counters.tlsConnections).toBe(1);
  });

  it('counts a TLS connection captured in mid-stream, whose first record seen is application data (23) or an alert (21)', () => {
    const p = builtinPipeline();
    runFrames(p, [
      tcpFrame(A, B, 49502, 5061, 5000, TCP_PSH | TCP_ACK, Uint8Array.from([0x17, 0x03, 0x03, 0x00, 0x05, 1, 2, 3, 4, 5])),
      // The other direction of the same connection: not a second connection.
      tcpFrame(B, A, 5061, 49502, 7000, TCP_PSH | TCP_ACK, Uint8Array.from([0x17, 0x03, 0x03, 0x00, 0x02, 1, 2])),
      tcpFrame(A, B, 49503, 5061, 100, TCP_PSH | TCP_ACK, Uint8Array.from([0x15, 0x03, 0x03, 0x00, 0x02, 1, 0])),
    ]);
    expect(p.sip!.counters.tlsConnections).toBe(2);
    // Bytes 20-24 not followed by a 3.x version are not TLS: that stream is left to the SIP reader.
    const q = builtinPipeline();
    runFrames(q, [tcpFrame(A, B, 49504, 5060, 100, TCP_PSH | TCP_ACK, Uint8Array.from([0x17, 0x41, 0x42]))]);
    expect(q.sip!.counters.tlsConnections).toBe(0);
  });

  // Regression: TLS was only recognised when the connection was new at its first data segment; a
  // captured SYN had already created the stream, so an ordinary TLS connection was never counted.
  it('counts a TLS connection on 5061 whose handshake was captured (rule: audit counts SIP-over-TLS connections)', () => {
    const p = builtinPipeline();
    runFrames(p, [
      tcpFrame(A, B, 49501, 5061, 1000, TCP_SYN, ''),
      tcpFrame(B, A, 5061, 49501, 9000, TCP_SYN | TCP_ACK, ''),
      tcpFrame(A, B, 49501, 5061, 1001, TCP_ACK, ''),
      tcpFrame(A, B, 49501, 5061, 1001, TCP_PSH | TCP_ACK, Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 0, 0, 1, 0])),
    ]);
    expect(p.sip!.counters.tlsConnections).toBe(1);
  });
});

describe('dialog rules', () => {
  it('a final error response to the initial INVITE removes the dialog\'s entries', () => {
    const p = builtinPipeline();
    const frames = [
      sip(A, B, sipRequest('INVITE', 'f1', 1, offer([{ type: 'video', port: 12002 }]))),
      rtp(P, 13000, A, 12002),
      sip(B, A, sipResponse(603, 'Decline', 'f1', 1, 'INVITE')),
      rtp(P, 13000, A, 12002),
    ];
    expect(runFrames(p, frames)).toEqual(['signalling', 'video', 'signalling', 'default']);
  });

  // Regression: any final >= 300 response to a CSeq INVITE used to end the dialog, also one to a
  // re-INVITE (491, 488...). RFC 3261 section 14.1: after a non-2xx final response to a re-INVITE
  // "the session parameters MUST remain unchanged"; the call goes on with its entries.
  it('a 491 to a re-INVITE leaves the established call\'s entries in place', () => {
    const p = builtinPipeline();
    const frames = [
      ...establish('r1'),
      rtp(P, 25000, A, 20002),
      sip(A, B, sipRequest('INVITE', 'r1', 2, offer(AV_A, 2))),
      sip(B, A, sipResponse(491, 'Request Pending', 'r1', 2, 'INVITE')),
      rtp(P, 25000, A, 20002),
      rtp(P, 25000, B, 30002),
    ];
    expect(runFrames(p, frames).slice(3)).toEqual(['video', 'signalling', 'signalling', 'video', 'video']);
  });

  // Regression: sides were keyed by the o= line alone, so two user agents sending identical o=
  // lines (e.g. both "o=- 0 0 IN IP4 127.0.0.1") were one side and the answer replaced the offer.
  it('keeps the offerer\'s entries when the answer carries an identical o= line', () => {
    const p = builtinPipeline();
    const same = (conn: string, media: MediaLine[]) => sdpText('-', 0, '127.0.0.1', conn, media, 0);
    const frames = [
      sip(A, B, sipRequest('INVITE', 'o1', 1, same(A, [{ type: 'video', port: 20002 }]))),
      sip(B, A, sipResponse(200, 'OK', 'o1', 1, 'INVITE', same(B, [{ type: 'video', port: 30002 }]))),
      rtp(P, 25000, A, 20002),
    ];
    expect(runFrames(p, frames).at(-1)).toBe('video');
  });

  it('a re-INVITE replaces only its own side; BYE with compact headers ends the call', () => {
    const p = builtinPipeline();
    const frames = [
      ...establish('s1'),
      sip(A, B, sipRequest('INVITE', 's1', 2, offer([{ type: 'audio', port: 20000 }, { type: 'video', port: 20012 }], 2))),
      rtp(P, 25000, A, 20002),
      rtp(P, 25000, A, 20012),
      rtp(P, 25000, B, 30002),
      sip(A, B, 'BYE sip:bob@198.18.0.20 SIP/2.0\r\nv: SIP/2.0/UDP 198.18.0.10\r\ni: s1\r\nf: <sip:a@a>;tag=1\r\nt: <sip:b@b>;tag=2\r\nCSeq: 3 BYE\r\nl: 0\r\n\r\n'),
      rtp(P, 25000, A, 20012),
      rtp(P, 25000, B, 30002),
    ];
    expect(runFrames(p, frames).slice(3)).toEqual(['signalling', 'voice', 'video', 'video', 'signalling', 'voice', 'voice']);
  });
});

describe('fragments and TCP directions', () => {
  it('reassembles an IPv4-fragmented INVITE whose fragments arrive in order', () => {
    const p = builtinPipeline();
    const big = sipRequest('INVITE', 'g1', 1, offer(AV_A) + 'a=x:' + 'z'.repeat(2000) + '\r\n');
    const frags = udpFragments(A, B, 5060, 5060, big, 1400, 77);
    const classes = runFrames(p, [...frags, rtp(P, 25000, A, 20002)]);
    expect(classes).toEqual(['signalling', 'signalling', 'video']);
  });

  it('reassembles an IPv6-fragmented INVITE', () => {
    const p = builtinPipeline();
    const [A6, P6] = ['2001:db8::10', '2001:db8::30'];
    const big = sipRequest('INVITE', 'g6', 1, sdpText('alice', 5, A6, A6, [{ type: 'video', port: 20002 }]) + 'a=x:' + 'q'.repeat(1500) + '\r\n');
    const frags = udp6Fragments(A6, '2001:db8::20', 5060, 5060, big, 1232, 0x1234);
    expect(frags).toHaveLength(2);
    expect(runFrames(p, [...frags, udpFrame(P6, A6, 25000, 20002, rtpPayload(96, 1))])).toEqual(['signalling', 'signalling', 'video']);
  });

  it('follows a SIP/TCP stream across the sequence number wrap', () => {
    const p = builtinPipeline();
    const inv = sipRequest('INVITE', 'w1', 1, sdpText('alice', 1, A, A, [{ type: 'video', port: 20002 }]));
    const isn = 0xffffff00;
    const frames = [
      tcpFrame(A, B, 49000, 5060, isn, TCP_SYN, ''),
      tcpFrame(A, B, 49000, 5060, (isn + 1) >>> 0, TCP_PSH | TCP_ACK, inv.slice(0, 300)),
      tcpFrame(A, B, 49000, 5060, (isn + 301) >>> 0, TCP_PSH | TCP_ACK, inv.slice(300)),
      rtp(P, 25000, A, 20002),
    ];
    expect(runFrames(p, frames)).toEqual(['signalling', 'signalling', 'signalling', 'video']);
  });

  // Regression: a non-first fragment seen before its first fragment got no class and was not
  // inspected, so an INVITE whose fragments arrived out of order was never reassembled.
  it('reassembles an IPv4-fragmented INVITE whose last fragment arrives first', () => {
    const p = builtinPipeline();
    const big = sipRequest('INVITE', 'g2', 1, 'a=x:' + 'z'.repeat(2000) + '\r\n' + offer(AV_A));
    const frags = udpFragments(A, B, 5060, 5060, big, 1400, 78);
    const classes = runFrames(p, [frags[1], frags[0], rtp(P, 25000, A, 20002)]);
    expect(classes.at(-1)).toBe('video');
  });

  // Rule: "on a gap ... the connection is dropped from inspection" (both directions). Regression:
  // streams were keyed per direction, so the server's answer after the client's gap was followed.
  it('after a gap in one direction, the other direction of the connection is not followed either', () => {
    const p = builtinPipeline();
    const inv = sipRequest('INVITE', 't1', 1, offer(AV_A));
    const frames = [
      tcpFrame(A, B, 49100, 5060, 100, TCP_SYN, ''),
      tcpFrame(B, A, 5060, 49100, 900, TCP_SYN | TCP_ACK, ''),
      tcpFrame(A, B, 49100, 5060, 101 + 50, TCP_PSH | TCP_ACK, inv), // 50 bytes lost before it
      tcpFrame(B, A, 5060, 49100, 901, TCP_PSH | TCP_ACK, sipResponse(200, 'OK', 't1', 1, 'INVITE', answer(AV_B))),
      rtp(P, 25000, B, 30002),
    ];
    expect(runFrames(p, frames).at(-1)).toBe('voice');
  });
});

import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import { ethIpv4 } from '../support/packet-builder.js';

function udpWithPayload(src: [number, number, number, number], dst: [number, number, number, number], sport: number, dport: number, text: string): Uint8Array {
  const payload = Buffer.from(text, 'latin1');
  const f = ethIpv4({ src, dst, sport, dport, dscp: 0, payloadLen: payload.length });
  f.set(payload, 14 + 20 + 8);
  return f;
}

const A: [number, number, number, number] = [198, 18, 0, 10];
const B: [number, number, number, number] = [198, 18, 0, 20];

const sdp = (ip: string, audio: number, video: number) =>
  `v=0\r\no=alice 1 1 IN IP4 ${ip}\r\ns=-\r\nc=IN IP4 ${ip}\r\nt=0 0\r\nm=audio ${audio} RTP/AVP 0\r\nm=video ${video} RTP/AVP 96\r\n`;

const invite = (body: string) =>
  `INVITE sip:bob@198.18.0.20 SIP/2.0\r\nVia: SIP/2.0/UDP 198.18.0.10:5060\r\ni: call-1@a\r\nf: <sip:alice@a>;tag=1\r\nt: <sip:bob@b>\r\nCSeq: 1 INVITE\r\nc: application/sdp\r\nl: ${body.length}\r\n\r\n${body}`;

describe('SDP following (smoke)', () => {
  it('classifies the video stream as video and the audio stream as voice', () => {
    const pipeline = new Pipeline(compilePolicy(builtinPolicy()), { recordCalls: true });
    const frames = [
      udpWithPayload(A, B, 5060, 5060, invite(sdp('198.18.0.10', 20000, 20002))),
      ethIpv4({ src: B, dst: A, sport: 30000, dport: 20002, dscp: 46 }),
      ethIpv4({ src: B, dst: A, sport: 30002, dport: 20000, dscp: 0 }),
      udpWithPayload(A, B, 5060, 5060, `BYE sip:bob@b SIP/2.0\r\ni: call-1@a\r\nCSeq: 2 BYE\r\nl: 0\r\n\r\n`),
      ethIpv4({ src: B, dst: A, sport: 30000, dport: 20002, dscp: 46 }),
    ];
    const classes: string[] = [];
    frames.forEach((f, i) => {
      pipeline.handle(f, 0, f.length, f.length, 1, 1000 + i, 0);
      classes.push(pipeline.policy.classNames[pipeline.classifier.cls]);
    });
    expect(classes).toEqual(['signalling', 'video', 'voice', 'signalling', 'voice']);
    expect(frames[1][15] >> 2).toBe(32);
    expect(pipeline.sip!.calls[0]).toMatchObject({ callId: 'call-1@a', endReason: 'BYE' });
  });
});

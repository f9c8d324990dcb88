/**
 * The bridge's forwarding loop without live interfaces: fake ports stand in
 * for cap. Every frame read is sent or counted with its reason; marks are
 * the Pipeline's; the MTU rule allows 4 more bytes for an 802.1Q tag; the
 * host's own frames are skipped; the tee gets what was sent; --count stops.
 */
import { describe, expect, it } from 'vitest';
import { compilePolicy } from '../../src/classify/compile.js';
import { builtinPolicy } from '../../src/classify/policy.js';
import { Forwarder } from '../../src/engine/forwarder.js';
import { Pipeline } from '../../src/engine/pipeline.js';
import type { LivePort } from '../../src/io/live-cap.js';
import type { PcapngWriter } from '../../src/io/pcapng-writer.js';
import { eth, ipv4, udp } from '../support/bytes.js';

class FakePort {
  readonly buf = Buffer.alloc(65536);
  sent: Buffer[] = [];
  failWith: string | null = null;
  constructor(readonly name: string) {}
  send(frame: Buffer, len: number): void {
    if (this.failWith !== null) throw new Error(this.failWith);
    this.sent.push(Buffer.from(frame.subarray(0, len)));
  }
}

class FakeTee {
  rows: { ifId: number; data: Buffer; sec: number; nsec: number }[] = [];
  writePacket(ifId: number, sec: number, nsec: number, data: Uint8Array, off: number, capLen: number): void {
    this.rows.push({ ifId, data: Buffer.from(data.subarray(off, off + capLen)), sec, nsec });
  }
  close(): void {}
}

function setup() {
  const pipeline = new Pipeline(compilePolicy(builtinPolicy()));
  const a = new FakePort('eth1');
  const b = new FakePort('eth2');
  const tee = new FakeTee();
  const fw = new Forwarder(pipeline, tee as unknown as PcapngWriter);
  const d = fw.addDirection(a as unknown as LivePort, b as unknown as LivePort);
  d.teeInterface = 0;
  const onFrame = fw.frameHandler(d);
  const feed = (frame: Uint8Array) => {
    a.buf.set(frame, 0);
    onFrame(frame.length, false);
  };
  return { pipeline, a, b, tee, fw, d, feed, onFrame };
}

const rtp = (len = 0) => eth(0x0800, ipv4({ proto: 17, tos: 0x01 }, udp(20000, 30000, new Array(len).fill(0))));

describe('Forwarder', () => {
  it('marks, sends and tees each frame; counts per direction and class', () => {
    const { a, b, tee, d, feed, pipeline } = setup();
    feed(rtp());
    feed(eth(0x88b5, [1, 2, 3, 4]));
    expect(b.sent).toHaveLength(2);
    expect(b.sent[0][15]).toBe((46 << 2) | 1); // EF, ECN kept
    expect(Array.from(b.sent[1].subarray(14))).toEqual([1, 2, 3, 4]);
    expect(d).toMatchObject({ received: 2, forwarded: 2, tooLarge: 0, sendErrors: 0, local: 0 });
    expect(d.byClass[pipeline.policy.classNames.indexOf('voice')]).toBe(1);
    expect(tee.rows.map((r) => r.data)).toEqual(b.sent);
    expect(Math.abs(tee.rows[0].sec - Date.now() / 1000)).toBeLessThan(5);
    expect(tee.rows[0].nsec).toBeGreaterThanOrEqual(0);
    expect(tee.rows[0].nsec).toBeLessThan(1e9);
    expect(a.sent).toHaveLength(0);
  });

  it('counts frames over the outgoing MTU as too large; an 802.1Q tag may add 4 bytes', () => {
    const { b, d, feed } = setup();
    d.outMtu = 100;
    const untagged = (n: number) => eth(0x0800, ipv4({ proto: 17 }, udp(1, 2, new Array(n - 14 - 28).fill(0))));
    feed(untagged(114));
    feed(untagged(115));
    const tagged = (n: number) => eth(0x0800, ipv4({ proto: 17 }, udp(1, 2, new Array(n - 18 - 28).fill(0))), [{ tpid: 0x8100, pcp: 0, vid: 5 }]);
    feed(tagged(118));
    feed(tagged(119));
    expect(b.sent.map((f) => f.length)).toEqual([114, 118]);
    expect(d).toMatchObject({ received: 4, forwarded: 2, tooLarge: 2 });
  });

  it('counts a frame cap truncated as too large', () => {
    const { a, b, d, onFrame } = setup();
    a.buf.set(rtp(), 0);
    onFrame(60, true);
    expect(b.sent).toHaveLength(0);
    expect(d.tooLarge).toBe(1);
  });

  it('counts send errors with the last message, and does not tee unsent frames', () => {
    const { b, d, feed, tee } = setup();
    b.failWith = 'send: No buffer space available';
    feed(rtp());
    b.failWith = null;
    feed(rtp());
    expect(d).toMatchObject({ received: 2, forwarded: 1, sendErrors: 1, lastSendError: 'send: No buffer space available' });
    expect(tee.rows).toHaveLength(1);
  });

  it("skips frames whose source is the incoming interface's own MAC (the host's own traffic)", () => {
    const { b, d, feed, pipeline } = setup();
    d.setOwnMac('66:77:88:99:aa:bb'); // MAC_SRC of the test frames
    feed(rtp());
    d.setOwnMac('02:00:00:00:00:01');
    feed(rtp());
    expect(b.sent).toHaveLength(1);
    expect(d).toMatchObject({ received: 2, forwarded: 1, local: 1 });
    expect(pipeline.counters.frames).toBe(1);
    expect(d.notForwarded).toBe(1);
  });

  it('calls onLimit at exactly the frame count', () => {
    const { fw, feed } = setup();
    let calls = 0;
    fw.limit = 3;
    fw.onLimit = () => calls++;
    feed(rtp());
    feed(rtp());
    expect(calls).toBe(0);
    feed(rtp());
    expect(calls).toBe(1);
  });

  it('stops teeing (and says why) when the tee fails, but keeps forwarding', () => {
    const { fw, b, feed } = setup();
    fw.tee = { writePacket: () => { throw new Error('ENOSPC: no space left on device'); }, close() {} } as unknown as PcapngWriter;
    feed(rtp());
    feed(rtp());
    expect(b.sent).toHaveLength(2);
    expect(fw.tee).toBeNull();
    expect(fw.teeError).toMatch(/ENOSPC/);
  });

  /** Lets the event loop turn after the read loop (the forwarder notices at the first turn 1 ms or more after it began). */
  const loopTurn = () => new Promise((r) => setTimeout(r, 3));

  it('notices the end of a read loop with one timer, re-armed (no Immediate per loop)', async () => {
    const { fw, feed } = setup();
    feed(rtp());
    const first = fw.batchStart;
    expect(first).toBeGreaterThanOrEqual(0);
    feed(rtp()); // same read loop
    expect(fw.batchStart).toBe(first);
    await loopTurn();
    expect(fw.batchStart).toBe(-1);
    const timer = (fw as unknown as { batchTimer: NodeJS.Timeout }).batchTimer;
    feed(rtp()); // a new read loop
    expect(fw.batchStart).toBeGreaterThan(first);
    expect((fw as unknown as { batchTimer: NodeJS.Timeout }).batchTimer).toBe(timer);
    await loopTurn();
    expect(fw.batchStart).toBe(-1);
  });

  it('without a tee, reads the clock at the start of a read loop and every 64 frames; with one, for every frame', async () => {
    const { fw, feed, tee } = setup();
    fw.tee = null;
    fw.yieldEveryMs = 5;
    fw.yieldMs = 0.05;
    feed(rtp()); // starts a read loop: clock read
    spin(6);
    feed(rtp()); // the clock is not read again yet: no yield
    expect(fw.yields).toBe(0);
    for (let i = 0; i < 63; i++) feed(rtp());
    expect(fw.yields).toBe(1);
    await loopTurn();
    fw.tee = tee as unknown as PcapngWriter;
    feed(rtp());
    spin(6);
    feed(rtp()); // the tee needs each frame's time: read, and the tick is seen at once
    expect(fw.yields).toBe(2);
    expect(tee.rows[1].sec * 1e3 + tee.rows[1].nsec / 1e6 - (tee.rows[0].sec * 1e3 + tee.rows[0].nsec / 1e6)).toBeGreaterThanOrEqual(5);
  });

  /** Busy-waits: the read loop keeps running (no event-loop turn). */
  const spin = (ms: number) => {
    const until = performance.now() + ms;
    while (performance.now() < until);
  };

  it('sheds frames (counted as overload) once one read loop has run for starvedMs with the ring 3/4 full and filling, until it returns', async () => {
    const { fw, b, d, feed, pipeline } = setup();
    let backlog = 10;
    fw.starvedMs = 5;
    fw.ringSlots = 1000;
    fw.backlog = () => backlog;
    feed(rtp()); // starts a read loop
    expect(fw.batchStart).toBeGreaterThanOrEqual(0);
    spin(10);
    feed(rtp()); // starved, but the ring is nearly empty: keeping up, no shedding
    expect(fw.shedding).toBe(false);
    backlog = 800;
    feed(rtp()); // the backlog is looked at no more than every 100 ms
    expect(fw.shedding).toBe(false);
    spin(110);
    feed(rtp()); // over 3/4 full and fuller than at the last check (10): shed
    feed(rtp());
    expect(b.sent).toHaveLength(3);
    expect(d).toMatchObject({ received: 5, forwarded: 3, overload: 2 });
    expect(pipeline.counters.frames).toBe(3);
    await loopTurn(); // the read loop returned
    expect(fw.shedding).toBe(false);
    expect(fw.batchStart).toBe(-1);
    feed(rtp());
    expect(b.sent).toHaveLength(4);
  });

  it('after earlier drops, a ring over 3/4 by the count that grows by a few frames only is not shed', async () => {
    const { fw, d, feed } = setup();
    let backlog = 5000; // mostly drops from an earlier overload: the ring itself may be nearly empty
    fw.starvedMs = 5;
    fw.ringSlots = 1000;
    fw.backlog = () => backlog;
    feed(rtp());
    spin(10);
    feed(rtp());
    for (const more of [10, 20, 30]) {
      backlog = 5000 + more;
      spin(110);
      feed(rtp());
      expect(fw.shedding).toBe(false);
    }
    backlog = 5100; // 70 more than 100 ms ago: more than 1000/32, filling for real
    spin(110);
    feed(rtp());
    expect(fw.shedding).toBe(true);
    expect(d.overload).toBe(1);
    await loopTurn();
  });

  it('a full ring that is draining, or half full and filling, is not shed', async () => {
    const { fw, d, feed } = setup();
    let backlog = 900;
    fw.starvedMs = 5;
    fw.ringSlots = 1000;
    fw.backlog = () => backlog;
    feed(rtp());
    spin(10);
    feed(rtp()); // first check: 900, nothing to compare with
    expect(fw.shedding).toBe(false);
    backlog = 850;
    spin(110);
    feed(rtp()); // 85 % full but emptier than 100 ms ago: being worked off
    expect(fw.shedding).toBe(false);
    backlog = 300;
    spin(110);
    feed(rtp());
    backlog = 700;
    spin(110);
    feed(rtp()); // filling, but below 3/4
    expect(fw.shedding).toBe(false);
    backlog = 780;
    spin(110);
    feed(rtp()); // above 3/4 and up by 80, more than 1000/32 slots: shed from here
    expect(fw.shedding).toBe(true);
    expect(d.overload).toBe(1);
    await loopTurn();
  });

  it('sheds after hardStarvedMs whatever the ring holds, and when the backlog is unknown; starvedMs 0 never', async () => {
    const a = setup();
    a.fw.starvedMs = 5;
    a.fw.hardStarvedMs = 20;
    a.fw.ringSlots = 1000;
    a.fw.backlog = () => 0;
    a.feed(rtp());
    spin(25);
    a.feed(rtp());
    expect(a.d.overload).toBe(1);
    await loopTurn();
    const u = setup(); // no backlog source
    u.fw.starvedMs = 5;
    u.feed(rtp());
    spin(10);
    u.feed(rtp());
    expect(u.d.overload).toBe(1);
    await loopTurn();
    const never = setup();
    never.fw.starvedMs = 0;
    never.feed(rtp());
    spin(10);
    never.feed(rtp());
    expect(never.d.overload).toBe(0);
  });

  it('yields the CPU (a short sleep) every yieldEveryMs of one read loop, so that V8 helper threads on the same core run', async () => {
    const { fw, feed, b } = setup();
    fw.yieldEveryMs = 5;
    fw.yieldMs = 0.05;
    feed(rtp()); // starts a read loop
    feed(rtp());
    expect(fw.yields).toBe(0);
    spin(6);
    feed(rtp());
    expect(fw.yields).toBe(1);
    feed(rtp()); // not again before another yieldEveryMs
    expect(fw.yields).toBe(1);
    spin(6);
    feed(rtp());
    expect(fw.yields).toBe(2);
    expect(b.sent).toHaveLength(5); // nothing shed or lost
    await loopTurn(); // the read loop returned: a new one starts its own clock
    feed(rtp());
    expect(fw.yields).toBe(2);
    const off = setup();
    off.fw.yieldMs = 0;
    off.fw.yieldEveryMs = 1;
    off.feed(rtp());
    spin(3);
    off.feed(rtp());
    expect(off.fw.yields).toBe(0);
  });





});

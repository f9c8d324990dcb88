/**
 * The audit's conversation table against a plain model: a Map keyed by the
 * canonical 5-tuple written out as text. Same conversations, same first-seen
 * order, same direction for every packet, and the same overflow count when
 * the table is full.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConversationTable, MAX_CONVERSATIONS } from '../../src/audit/conversations.js';
import { parseFrame } from '../../src/parse/frame.js';
import { LINKTYPE_ETHERNET } from '../../src/parse/linktype.js';
import { ParsedFrame } from '../../src/parse/parsed-frame.js';
import { eth, ipv4, ipv6, tcp, udp } from '../support/bytes.js';

interface Endpoint {
  addr: number[];
  port: number;
}

interface Packet {
  v6: boolean;
  proto: 6 | 17;
  src: Endpoint;
  dst: Endpoint;
}

function frameOf(pk: Packet): Uint8Array {
  const l4 = pk.proto === 17 ? udp(pk.src.port, pk.dst.port) : tcp(pk.src.port, pk.dst.port);
  return pk.v6
    ? eth(0x86dd, ipv6({ next: pk.proto, src: pk.src.addr, dst: pk.dst.addr }, l4))
    : eth(0x0800, ipv4({ proto: pk.proto, src: pk.src.addr, dst: pk.dst.addr }, l4));
}

function compareBytes(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The model: A is the smaller endpoint (address, then port), as the table documents. */
function modelKey(pk: Packet): { key: string; direction: number; a: Endpoint; b: Endpoint } {
  const order = compareBytes(pk.src.addr, pk.dst.addr) || pk.src.port - pk.dst.port;
  const [a, b] = order <= 0 ? [pk.src, pk.dst] : [pk.dst, pk.src];
  return { key: `${pk.v6 ? 6 : 4}/${pk.proto}/${a.addr.join('.')}:${a.port}/${b.addr.join('.')}:${b.port}`, direction: order <= 0 ? 0 : 1, a, b };
}

/**
 * Few distinct values, so that conversations repeat in both directions and
 * addresses differ in one part only: IPv6 hosts numbered alike in different
 * subnets (the hash leaves bytes 0-3 and 8-11 out), IPv4 hosts in one /24.
 */
const v6Addr = fc
  .record({ top: fc.constantFrom(0x20010db8, 0x20010db9), subnet: fc.integer({ min: 0, max: 2 }), mid: fc.integer({ min: 0, max: 1 }), host: fc.integer({ min: 1, max: 3 }) })
  .map(({ top, subnet, mid, host }) => [top >>> 24, (top >>> 16) & 0xff, (top >>> 8) & 0xff, top & 0xff, 0, 0, 0, subnet, 0, 0, 0, mid, 0, 0, 0, host]);
const v4Addr = fc.integer({ min: 1, max: 4 }).map((host) => [192, 0, 2, host]);
const port = fc.constantFrom(5060, 16384, 16386, 443);
const arbPacket: fc.Arbitrary<Packet> = fc.boolean().chain((v6) =>
  fc.record({
    v6: fc.constant(v6),
    proto: fc.constantFrom(6 as const, 17 as const),
    src: fc.record({ addr: v6 ? v6Addr : v4Addr, port }),
    dst: fc.record({ addr: v6 ? v6Addr : v4Addr, port }),
  }),
);

describe('ConversationTable', () => {
  it('finds the same conversations and directions as a map keyed by the whole 5-tuple', () => {
    fc.assert(
      fc.property(fc.array(arbPacket, { minLength: 1, maxLength: 300 }), (packets) => {
        const table = new ConversationTable();
        const model = new Map<string, { index: number; a: Endpoint; b: Endpoint }>();
        const p = new ParsedFrame();
        for (const pk of packets) {
          const frame = frameOf(pk);
          parseFrame(frame, 0, frame.length, frame.length, LINKTYPE_ETHERNET, p);
          const conv = table.track(frame, p, 0, 0);
          const { key, direction, a, b } = modelKey(pk);
          if (!model.has(key)) model.set(key, { index: model.size, a, b });
          expect(conv).not.toBeNull();
          expect(table.all.indexOf(conv!)).toBe(model.get(key)!.index);
          expect(table.direction).toBe(direction);
          conv!.packets[table.direction]++;
        }
        expect(table.all.length).toBe(model.size);
        // Each stored conversation holds its endpoints in the model's order.
        for (const { index, a, b } of model.values()) {
          const c = table.all[index];
          expect([Array.from(c.addrs), c.portA, c.portB]).toEqual([[...a.addr, ...b.addr], a.port, b.port]);
        }
        expect(table.all.reduce((n, c) => n + c.totalPackets, 0)).toBe(packets.length);
      }),
      { numRuns: 200 },
    );
  });

  it('counts packets of new conversations as overflow once it holds MAX_CONVERSATIONS, and still finds the old ones', () => {
    const table = new ConversationTable();
    const p = new ParsedFrame();
    const track = (i: number) => {
      const frame = frameOf({ v6: false, proto: 17, src: { addr: [10, 1, (i >>> 8) & 0xff, i & 0xff], port: 16384 }, dst: { addr: [10, 2, 0, 1], port: 5060 } });
      parseFrame(frame, 0, frame.length, frame.length, LINKTYPE_ETHERNET, p);
      return table.track(frame, p, 0, 0);
    };
    for (let i = 0; i < MAX_CONVERSATIONS; i++) expect(track(i)).not.toBeNull();
    expect(track(MAX_CONVERSATIONS)).toBeNull();
    expect(track(MAX_CONVERSATIONS + 1)).toBeNull();
    expect(table.overflow).toBe(2);
    expect(track(7)).toBe(table.all[7]);
    expect(table.all.length).toBe(MAX_CONVERSATIONS);
  });
});

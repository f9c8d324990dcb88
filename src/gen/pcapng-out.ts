/**
 * pcapng output for the generator (`gen --format pcapng`), the counterpart of
 * PcapOut: a Section Header Block whose comment is the gen options, one
 * Interface Description Block (Ethernet, microsecond timestamps, as the pcap
 * output has), then one Enhanced Packet Block per packet, assembled in place
 * around the frame in the pool's output area: no copy and no allocation per
 * packet. The same options give the same packets, frame for frame and
 * microsecond for microsecond, as the pcap output.
 */
import {
  EPB_HEADER_LEN,
  EPB_TRAILER_LEN,
  TSRESOL_MICROS,
  TWO_32,
  frameEpb,
  interfaceDescriptionBlock,
  pad4,
  sectionHeaderBlock,
} from '../io/pcapng-writer.js';
import { GEN_SNAPLEN, GenOut, LINKTYPE_ETHERNET, type Sink } from './pcap-out.js';

export class PcapngOut extends GenOut {
  constructor(
    buf: Uint8Array,
    start: number,
    end: number,
    sink: Sink,
    epochUs: number,
    /** The section comment: the gen options that give these packets again. */
    private readonly comment: string,
  ) {
    super(buf, start, end, sink, epochUs);
  }

  writeFileHeader(): void {
    const shb = sectionHeaderBlock({ userAppl: 'qosmark gen', comment: this.comment });
    const idb = interfaceDescriptionBlock({ linkType: LINKTYPE_ETHERNET, snapLen: GEN_SNAPLEN, name: 'qosmark-gen' }, TSRESOL_MICROS);
    this.buf.set(shb, this.pos);
    this.buf.set(idb, this.pos + shb.length);
    this.pos += shb.length + idb.length;
    this.bytes += shb.length + idb.length;
  }

  reserve(frameLen: number): number {
    if (this.pos + EPB_HEADER_LEN + pad4(frameLen) + EPB_TRAILER_LEN > this.end) this.flush();
    return this.pos + EPB_HEADER_LEN;
  }

  commit(f: number, frameLen: number, tsUs: number): void {
    const h = f - EPB_HEADER_LEN;
    const abs = tsUs + this.epochUs;
    const high = Math.floor(abs / TWO_32);
    const blockLen = frameEpb(this.dv, h, 0, high, abs - high * TWO_32, frameLen, frameLen);
    this.pos = h + blockLen;
    this.records++;
    this.bytes += blockLen;
  }
}

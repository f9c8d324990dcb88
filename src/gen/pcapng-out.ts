/**
 * pcapng output for the generator (`gen --format pcapng`), the counterpart of
 * PcapOut: a Section Header Block whose comment is the gen command line, one
 * Interface Description Block (Ethernet, microsecond timestamps, as the pcap
 * output has), then one Enhanced Packet Block per packet, assembled in place
 * around the frame in the pool's output area: no copy and no allocation per
 * packet. The same options give the same packets, frame for frame and
 * microsecond for microsecond, as the pcap output.
 */
import { interfaceDescriptionBlock, sectionHeaderBlock, TSRESOL_MICROS } from '../io/pcapng-writer.js';
import { BT_EPB } from '../io/pcapng.js';
import { GEN_SNAPLEN, GenOut, LINKTYPE_ETHERNET, type Sink } from './pcap-out.js';

/** EPB fields before the packet data: type, length, interface, timestamp high/low, captured and original length. */
const EPB_HEADER_LEN = 28;
/** The block's length again after the (padded) data. */
const EPB_TRAILER_LEN = 4;
const TWO_32 = 4294967296;

function pad4(n: number): number {
  return (n + 3) & ~3;
}

export class PcapngOut extends GenOut {
  constructor(
    buf: Uint8Array,
    start: number,
    end: number,
    sink: Sink,
    epochUs: number,
    /** The section comment: the command that writes these bytes again. */
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
    const dv = this.dv;
    const h = f - EPB_HEADER_LEN;
    const padded = pad4(frameLen);
    const blockLen = EPB_HEADER_LEN + padded + EPB_TRAILER_LEN;
    const abs = tsUs + this.epochUs;
    const high = Math.floor(abs / TWO_32);
    dv.setUint32(h, BT_EPB, true);
    dv.setUint32(h + 4, blockLen, true);
    dv.setUint32(h + 8, 0, true); // interface 0
    dv.setUint32(h + 12, high, true);
    dv.setUint32(h + 16, abs - high * TWO_32, true);
    dv.setUint32(h + 20, frameLen, true);
    dv.setUint32(h + 24, frameLen, true);
    for (let i = frameLen; i < padded; i++) this.buf[f + i] = 0;
    dv.setUint32(f + padded, blockLen, true);
    this.pos = h + blockLen;
    this.records++;
    this.bytes += blockLen;
    this.frameBytes += frameLen;
  }
}

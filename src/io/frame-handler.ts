/**
 * What a frame source hands each frame to. The bytes are borrowed: they are
 * valid only during the call, and the handler may rewrite them in place
 * (the source writes them out after the call returns).
 */
export interface FrameHandler {
  handle(
    buf: Uint8Array,
    off: number,
    capLen: number,
    wireLen: number,
    linkType: number,
    tsSec: number,
    tsNsec: number,
  ): void;
}

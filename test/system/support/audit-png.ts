/**
 * A minimal PNG reader for checking headless-browser screenshots: 8-bit
 * truecolour (colour type 2) or truecolour with alpha (6), not interlaced,
 * written from the PNG specification (filters None/Sub/Up/Average/Paeth).
 */
import { inflateSync } from 'node:zlib';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

export interface PngImage {
  width: number;
  height: number;
  /** Bytes per pixel (3 or 4). */
  bpp: number;
  /** Unfiltered pixel rows, width * bpp bytes each. */
  pixels: Buffer;
  at(x: number, y: number): Rgb;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function readPng(buf: Buffer): PngImage {
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file (signature)');
  let off = 8;
  let width = 0;
  let height = 0;
  let bpp = 0;
  const idat: Buffer[] = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const depth = data[8];
      const colour = data[9];
      const interlace = data[12];
      if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) {
        throw new Error(`PNG: unsupported depth ${depth} / colour type ${colour} / interlace ${interlace}`);
      }
      bpp = colour === 6 ? 4 : 3;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    off += 12 + len;
  }
  if (bpp === 0) throw new Error('PNG: no IHDR');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  if (raw.length !== height * (stride + 1)) throw new Error(`PNG: ${raw.length} bytes of image data, expected ${height * (stride + 1)}`);
  const pixels = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = pixels.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? pixels.subarray((y - 1) * stride, y * stride) : null;
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? row[i - bpp] : 0;
      const b = prev ? prev[i] : 0;
      const c = prev && i >= bpp ? prev[i - bpp] : 0;
      let v: number;
      switch (filter) {
        case 0: v = src[i]; break;
        case 1: v = src[i] + a; break;
        case 2: v = src[i] + b; break;
        case 3: v = src[i] + ((a + b) >>> 1); break;
        case 4: {
          const p = a + b - c;
          const pa = Math.abs(p - a);
          const pb = Math.abs(p - b);
          const pc = Math.abs(p - c);
          v = src[i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
          break;
        }
        default:
          throw new Error(`PNG: row ${y}: unknown filter ${filter}`);
      }
      row[i] = v & 0xff;
    }
  }
  return {
    width,
    height,
    bpp,
    pixels,
    at(x: number, y: number): Rgb {
      const o = y * stride + x * bpp;
      return { r: pixels[o], g: pixels[o + 1], b: pixels[o + 2] };
    },
  };
}

export function hexColour(hex: string): Rgb {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (m === null) throw new Error(`not a #rrggbb colour: ${hex}`);
  return { r: parseInt(m[1], 16), g: parseInt(m[2], 16), b: parseInt(m[3], 16) };
}

/** How many pixels are within `tolerance` (per channel) of each colour, and how many are not near-white. */
export function colourCounts(img: PngImage, colours: Record<string, Rgb>, tolerance = 6): { counts: Record<string, number>; nonWhite: number } {
  const counts: Record<string, number> = Object.fromEntries(Object.keys(colours).map((k) => [k, 0]));
  const entries = Object.entries(colours);
  let nonWhite = 0;
  for (let o = 0; o < img.pixels.length; o += img.bpp) {
    const r = img.pixels[o];
    const g = img.pixels[o + 1];
    const b = img.pixels[o + 2];
    if (r < 245 || g < 245 || b < 245) nonWhite++;
    for (const [name, c] of entries) {
      if (Math.abs(r - c.r) <= tolerance && Math.abs(g - c.g) <= tolerance && Math.abs(b - c.b) <= tolerance) counts[name]++;
    }
  }
  return { counts, nonWhite };
}

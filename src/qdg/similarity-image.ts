// The similarity matrix as a picture (Figure 5 left, Figure 15): rows and columns permuted (by cluster or by
// true subtask), downsampled to at most `size` x `size` block means, coloured with matplotlib's 'CMRmap' (the
// paper's colour map), with its colour bar on the right, and encoded as PNG with a tiny dependency-free encoder
// (node:zlib deflate + CRC-32).
import { deflateSync } from 'node:zlib';

import { blockMeans, cmrmap, IMAGE_SIZE } from './block-image.js';

export { blockMeans, cmrmap, cmrmapCss, IMAGE_SIZE } from './block-image.js';

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (ISO-HDLC, as PNG uses) of bytes. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/** Encodes 8-bit RGB pixels (rgb[3 (y width + x) + c]) as a PNG file. */
export function encodePng(width: number, height: number, rgb: Uint8Array): Uint8Array {
  if (rgb.length !== width * height * 3) throw new RangeError('encodePng: pixel buffer size');
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type: truecolour RGB
  // compression 0, filter 0, interlace 0
  const raw = new Uint8Array(height * (1 + 3 * width));
  for (let y = 0; y < height; y++) {
    raw[y * (1 + 3 * width)] = 0; // filter: none
    raw.set(rgb.subarray(y * 3 * width, (y + 1) * 3 * width), y * (1 + 3 * width) + 1);
  }
  const parts = [
    Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a),
    chunk('IHDR', header),
    chunk('IDAT', new Uint8Array(deflateSync(raw))),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

// A 3 x 5 pixel font for the colour bar's labels: each glyph is 5 rows of 3 bits (bit 2 = left column).
const GLYPHS: Record<string, number[]> = {
  '0': [7, 5, 5, 5, 7],
  '1': [2, 6, 2, 2, 7],
  '2': [7, 1, 7, 4, 7],
  '3': [7, 1, 7, 1, 7],
  '4': [5, 5, 7, 1, 1],
  '5': [7, 4, 7, 1, 7],
  '6': [7, 4, 7, 5, 7],
  '7': [7, 1, 1, 1, 1],
  '8': [7, 5, 7, 5, 7],
  '9': [7, 5, 7, 1, 7],
  '.': [0, 0, 0, 0, 2],
  '-': [0, 0, 7, 0, 0],
};

/** Draws `text` (digits, '.', '-') in black at (x, y) with each font pixel `scale` x `scale`. */
function drawText(rgb: Uint8Array, width: number, text: string, x: number, y: number, scale: number): void {
  for (const [c, ch] of [...text].entries()) {
    const glyph = GLYPHS[ch] ?? [0, 0, 0, 0, 0];
    for (let row = 0; row < 5; row++)
      for (let col = 0; col < 3; col++) {
        if (!((glyph[row] >> (2 - col)) & 1)) continue;
        for (let dy = 0; dy < scale; dy++)
          for (let dx = 0; dx < scale; dx++) {
            const p = 3 * ((y + row * scale + dy) * width + x + (4 * c + col) * scale + dx);
            rgb[p] = rgb[p + 1] = rgb[p + 2] = 0;
          }
      }
  }
}

/** The colour bar's geometry beside an n-pixel picture: a gap, the bar, a gap and room for 5-character labels. */
export function colorBarLayout(n: number): {
  scale: number;
  barX: number;
  barWidth: number;
  labelX: number;
  width: number;
} {
  const scale = Math.max(1, Math.floor(n / 120));
  const gap = 3 * scale;
  const barWidth = 5 * scale;
  const barX = n + gap;
  const labelX = barX + barWidth + gap;
  return { scale, barX, barWidth, labelX, width: labelX + 5 * 4 * scale };
}

/**
 * PNG of the permuted similarity matrix, block-mean downsampled to at most `size` pixels a side, coloured
 * with CMRmap between the smallest and largest block mean, with its colour bar on the right (the largest value
 * at the top, both ends labelled with 3 decimals). Pixel (x, y) for x < n is the block mean of rows y and
 * columns x. Returns the bytes, the matrix side n, the image width and the colour range.
 */
export function similarityPng(
  matrix: ArrayLike<number>,
  S: number,
  order: ArrayLike<number>,
  size = IMAGE_SIZE,
): { png: Uint8Array; n: number; width: number; min: number; max: number } {
  const { n, pixels } = blockMeans(matrix, S, order, size);
  let min = Infinity;
  let max = -Infinity;
  for (const v of pixels) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max > min ? max - min : 1;
  const bar = colorBarLayout(n);
  const W = bar.width;
  const rgb = new Uint8Array(W * n * 3).fill(255);
  for (let y = 0; y < n; y++)
    for (let x = 0; x < n; x++) rgb.set(cmrmap((pixels[y * n + x] - min) / span), 3 * (y * W + x));
  for (let y = 0; y < n; y++) {
    const colour = cmrmap(n > 1 ? 1 - y / (n - 1) : 1);
    for (let x = bar.barX; x < bar.barX + bar.barWidth; x++) rgb.set(colour, 3 * (y * W + x));
  }
  if (n >= 12 * bar.scale) {
    drawText(rgb, W, max.toFixed(3).slice(0, 5), bar.labelX, 0, bar.scale);
    drawText(rgb, W, min.toFixed(3).slice(0, 5), bar.labelX, n - 5 * bar.scale, bar.scale);
  }
  return { png: encodePng(W, n, rgb), n, width: W, min, max };
}

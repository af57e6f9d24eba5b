import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { inflateSync } from 'node:zlib';
import { blockMeans, cmrmap, crc32, encodePng, similarityPng } from '../src/qdg/similarity-image.js';

describe('similarity picture', () => {
  it('CRC-32 of "123456789" is the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  it('encodes a PNG whose IDAT inflates back to the filtered rows', () => {
    const w = 3;
    const h = 2;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 37) % 256);
    const png = encodePng(w, h, rgb);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset);
    expect(String.fromCharCode(...png.subarray(12, 16))).toBe('IHDR');
    expect(view.getUint32(16)).toBe(w);
    expect(view.getUint32(20)).toBe(h);
    const idatLen = view.getUint32(33);
    expect(String.fromCharCode(...png.subarray(37, 41))).toBe('IDAT');
    const raw = inflateSync(png.subarray(41, 41 + idatLen));
    expect(view.getUint32(41 + idatLen)).toBe(crc32(png.subarray(37, 41 + idatLen)));
    expect(raw.length).toBe(h * (1 + 3 * w));
    expect(raw[0]).toBe(0);
    expect(Array.from(raw.subarray(1, 1 + 3 * w))).toEqual(Array.from(rgb.subarray(0, 3 * w)));
    expect(String.fromCharCode(...png.subarray(png.length - 8, png.length - 4))).toBe('IEND');
  });

  it('block means equal the plain mean over each block of the permuted matrix', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        (S, size, seed) => {
          const M = Float32Array.from({ length: S * S }, (_, i) => ((i * 7919 + seed) % 101) / 100);
          const order = Array.from({ length: S }, (_, i) => (i * 13 + seed) % S);
          if (new Set(order).size !== S) order.sort((a, b) => a - b);
          const { n, pixels } = blockMeans(M, S, order, size);
          expect(n).toBe(Math.min(S, size));
          for (let u = 0; u < n; u++) {
            for (let v = 0; v < n; v++) {
              let sum = 0;
              let count = 0;
              for (let i = 0; i < S; i++) {
                for (let j = 0; j < S; j++) {
                  if (Math.floor((i * n) / S) === u && Math.floor((j * n) / S) === v) {
                    sum += M[order[i] * S + order[j]];
                    count++;
                  }
                }
              }
              expect(pixels[u * n + v]).toBeCloseTo(sum / count, 10);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it('CMRmap runs from black to white; the picture has the block-mean size', () => {
    expect(cmrmap(0)).toEqual([0, 0, 0]);
    expect(cmrmap(1)).toEqual([255, 255, 255]);
    expect(cmrmap(0.5)).toEqual([255, 64, 38]);
    const S = 30;
    const M = Float32Array.from({ length: S * S }, (_, i) => (i % S === Math.floor(i / S) ? 1 : 0.2));
    const { n, min, max, png } = similarityPng(
      M,
      S,
      Array.from({ length: S }, (_, i) => i),
      10,
    );
    expect(n).toBe(10);
    expect(min).toBeCloseTo(0.2, 6);
    expect(max).toBeCloseTo(0.2 + 0.8 / 3, 6);
    expect(png.length).toBeGreaterThan(50);
  });
});

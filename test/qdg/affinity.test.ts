import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Core } from '../../src/core/arena.js';
import { ConfigError } from '../../src/core/errors.js';
import { writeNpy } from '../../src/io/npy.js';
import { angularAffinity } from '../../src/qdg/affinity.js';
import { referenceAngularAffinity } from '../../src/qdg/reference.js';
import { similarityFromNpy } from '../../src/qdg/sources/npy.js';

const core = new Core();
const dir = mkdtempSync(join(tmpdir(), 'quanta-aff-'));

describe('arccos in Wasm', () => {
  it('is within 5e-7 rad (2 f32 ulps of pi) of Math.acos on a dense grid of [-1, 1] and at the ends', () => {
    let worst = 0;
    for (let i = 0; i <= 200000; i++) {
      const x = Math.fround(-1 + i / 100000);
      worst = Math.max(worst, Math.abs(core.kernels.acos_f32(x) - Math.acos(x)));
    }
    for (const x of [1, -1, 0, Math.fround(1 - 2 ** -24), Math.fround(-1 + 2 ** -24), 2 ** -30]) {
      worst = Math.max(worst, Math.abs(core.kernels.acos_f32(x) - Math.acos(x)));
    }
    expect(worst).toBeLessThan(5e-7);
    expect(core.kernels.acos_f32(1)).toBe(0);
    expect(core.kernels.acos_f32(1.5)).toBe(0); // clipped
    expect(core.kernels.acos_f32(-1.5)).toBeCloseTo(Math.PI, 6);
    expect(Number.isNaN(core.kernels.acos_f32(NaN))).toBe(true);
  });
});

describe('angularAffinity', () => {
  it('equals the f64 twin, is symmetric, in [0, 1], diagonal 1, for any symmetric C (even a bit outside [-1, 1])', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.array(fc.double({ min: -1.001, max: 1.001, noNaN: true }), { minLength: 600, maxLength: 600 }),
        (S, values) => {
          const c = new Float32Array(S * S);
          let t = 0;
          for (let i = 0; i < S; i++) {
            for (let j = 0; j <= i; j++) {
              c[i * S + j] = c[j * S + i] = values[t++ % values.length];
            }
          }
          const mark = core.mark();
          const ptr = core.allocF32(S * S);
          core.f32(ptr, S * S).set(c);
          angularAffinity(core, ptr, S);
          const a = core.f32(ptr, S * S);
          const want = referenceAngularAffinity(c, S);
          for (let i = 0; i < S; i++) {
            expect(a[i * S + i]).toBe(1);
            for (let j = 0; j < S; j++) {
              const v = a[i * S + j];
              expect(v).toBeGreaterThanOrEqual(0);
              expect(v).toBeLessThanOrEqual(1);
              expect(v).toBe(a[j * S + i]);
              expect(Math.abs(v - want[i * S + j])).toBeLessThan(2e-7);
            }
          }
          core.release(mark);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('of |C| (--cosine abs): equals the f64 twin, in [1/2, 1], and is the signed one of |C|, to the bit', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 23 }),
        fc.array(fc.double({ min: -1.001, max: 1.001, noNaN: true }), { minLength: 600, maxLength: 600 }),
        (S, values) => {
          const c = new Float32Array(S * S);
          let t = 0;
          for (let i = 0; i < S; i++)
            for (let j = 0; j <= i; j++) c[i * S + j] = c[j * S + i] = values[t++ % values.length];
          const mark = core.mark();
          const ptr = core.allocF32(S * S);
          core.f32(ptr, S * S).set(c);
          angularAffinity(core, ptr, S, true);
          const a = core.f32(ptr, S * S).slice();
          core.f32(ptr, S * S).set(c.map(Math.abs));
          angularAffinity(core, ptr, S);
          expect(Array.from(a)).toEqual(Array.from(core.f32(ptr, S * S)));
          const want = referenceAngularAffinity(c, S, true);
          for (let e = 0; e < S * S; e++) {
            expect(a[e]).toBeGreaterThanOrEqual(0.5);
            expect(a[e]).toBeLessThanOrEqual(1);
            expect(Math.abs(a[e] - want[e])).toBeLessThan(2e-7);
          }
          core.release(mark);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('covers every row block of a larger matrix (S = 1100: several kernel calls)', () => {
    const S = 1100;
    const mark = core.mark();
    const ptr = core.allocF32(S * S);
    const c = core.f32(ptr, S * S);
    for (let i = 0; i < S; i++)
      for (let j = 0; j <= i; j++) c[i * S + j] = c[j * S + i] = Math.cos(i * 0.37 + j * 0.37);
    const want = referenceAngularAffinity(c, S);
    angularAffinity(core, ptr, S);
    const a = core.f32(ptr, S * S);
    for (let i = 0; i < S * S; i++)
      if (Math.abs(a[i] - want[i]) > 2e-7) expect.fail(`entry ${i}: ${a[i]} vs ${want[i]}`);
    core.release(mark);
  });
});

describe('similarityFromNpy', () => {
  it('converts a cosine matrix and uses a non-negative affinity as is', () => {
    const S = 5;
    const c = new Float32Array(S * S);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) c[i * S + j] = i === j ? 1 : Math.cos(i + j) * 0.9;
    const p = join(dir, 'cos.npy');
    writeNpy(p, c, [S, S]);
    const mark = core.mark();
    const cos = similarityFromNpy(core, p, 'cosine');
    expect(cos.samples).toBe(S);
    const a = core.f32(cos.affinityPtr, S * S);
    const want = referenceAngularAffinity(c, S);
    for (let i = 0; i < S * S; i++) expect(a[i]).toBeCloseTo(want[i], 6);
    const aff = c.map((v) => (v + 1) / 2);
    writeNpy(p, Float64Array.from(aff), [S, S]);
    const used = similarityFromNpy(core, p, 'affinity');
    expect(Array.from(core.f32(used.affinityPtr, S * S))).toEqual(Array.from(aff));
    core.release(mark);
  });

  it('rejects non-square, asymmetric, negative and out-of-range matrices before returning', () => {
    const p = join(dir, 'bad.npy');
    writeNpy(p, new Float32Array(6), [2, 3]);
    expect(() => similarityFromNpy(core, p, 'cosine')).toThrow(/square/);
    writeNpy(p, Float32Array.of(1, 0.5, 0.2, 1), [2, 2]);
    expect(() => similarityFromNpy(core, p, 'cosine')).toThrow(/symmetric/);
    writeNpy(p, Float32Array.of(1, -0.5, -0.5, 1), [2, 2]);
    expect(() => similarityFromNpy(core, p, 'affinity')).toThrow(/non-negative/);
    writeNpy(p, Float32Array.of(1, 2, 2, 1), [2, 2]);
    expect(() => similarityFromNpy(core, p, 'cosine')).toThrow(ConfigError);
    const before = core.mark();
    writeNpy(p, Float32Array.of(1, NaN, NaN, 1), [2, 2]);
    expect(() => similarityFromNpy(core, p, 'affinity')).toThrow(/NaN/);
    expect(core.mark()).toBe(before);
  });
});

// The machine-limit microbenchmark kernels (assembly/limits.ts) against plain TypeScript twins. The
// twins are the test oracles only: bench/limits.mjs times the Wasm kernels.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../src/core/arena.js';

const core = new Core();

/** Twin of limits_f32x4_muladd: every one of the 48 lanes iterates a = fround(fround(a * m) + c). */
function f32MulAddTwin(state: Float32Array, iters: number, m: number, c: number): Float32Array {
  const out = Float32Array.from(state);
  const mf = Math.fround(m);
  const cf = Math.fround(c);
  for (let j = 0; j < out.length; j++) {
    let a = out[j];
    for (let i = 0; i < iters; i++) a = Math.fround(Math.fround(a * mf) + cf);
    out[j] = a;
  }
  return out;
}

/** Twin of limits_f64x2_muladd: every one of the 24 lanes iterates a = a * m + c in f64. */
function f64MulAddTwin(state: Float64Array, iters: number, m: number, c: number): Float64Array {
  const out = Float64Array.from(state);
  for (let j = 0; j < out.length; j++) {
    let a = out[j];
    for (let i = 0; i < iters; i++) a = a * m + c;
    out[j] = a;
  }
  return out;
}

/** Twin of limits_read: the wrapping sum of the i32 words. */
function readTwin(words: Int32Array): number {
  let s = 0;
  for (const w of words) s = (s + w) | 0;
  return s;
}

const f32 = fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });
const f64 = fc.double({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true });

describe('limits: SIMD arithmetic kernels equal their twins bit for bit', () => {
  it('f32x4 mul+add over 12 chains', () => {
    fc.assert(
      fc.property(
        fc.array(f32, { minLength: 48, maxLength: 48 }),
        fc.integer({ min: 0, max: 300 }),
        fc.float({ min: Math.fround(-0.999), max: Math.fround(0.999), noNaN: true }),
        fc.float({ min: -1, max: 1, noNaN: true }),
        (init, iters, m, c) => {
          const mark = core.mark();
          const ptr = core.allocF32(48);
          core.f32(ptr, 48).set(init);
          core.kernels.limits_f32x4_muladd(ptr, iters, m, c);
          const got = Array.from(core.f32(ptr, 48));
          const want = Array.from(f32MulAddTwin(Float32Array.from(init), iters, m, c));
          core.release(mark);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('f64x2 mul+add over 12 chains', () => {
    fc.assert(
      fc.property(
        fc.array(f64, { minLength: 24, maxLength: 24 }),
        fc.integer({ min: 0, max: 300 }),
        fc.double({ min: -0.999, max: 0.999, noNaN: true }),
        fc.double({ min: -1, max: 1, noNaN: true }),
        (init, iters, m, c) => {
          const mark = core.mark();
          const ptr = core.allocF64(24);
          core.f64(ptr, 24).set(init);
          core.kernels.limits_f64x2_muladd(ptr, iters, m, c);
          const got = Array.from(core.f64(ptr, 24));
          const want = Array.from(f64MulAddTwin(Float64Array.from(init), iters, m, c));
          core.release(mark);
          expect(got).toEqual(want);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('limits: memory kernels', () => {
  const words = fc.integer({ min: 0, max: 64 }).chain((blocks) =>
    fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), {
      minLength: blocks * 16,
      maxLength: blocks * 16,
    }),
  );

  it('read returns the wrapping sum of the words', () => {
    fc.assert(
      fc.property(words, (w) => {
        const mark = core.mark();
        const ptr = core.allocI32(w.length);
        core.i32(ptr, w.length).set(w);
        const got = core.kernels.limits_read(ptr, w.length * 4);
        core.release(mark);
        expect(got).toBe(readTwin(Int32Array.from(w)));
      }),
    );
  });

  it('write fills exactly the range; copy and bulk copy reproduce the source', () => {
    fc.assert(
      fc.property(words, fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (w, value) => {
        const n = w.length;
        const mark = core.mark();
        // a guard block of 16 words after each buffer catches overruns
        const src = core.allocI32(n + 16);
        const dst = core.allocI32(n + 16);
        core.i32(src, n).set(w);
        core.i32(dst + 4 * n, 16).fill(7);
        core.kernels.limits_write(dst, n * 4, value);
        expect(Array.from(core.i32(dst, n))).toEqual(new Array(n).fill(value));
        expect(Array.from(core.i32(dst + 4 * n, 16))).toEqual(new Array(16).fill(7));
        core.kernels.limits_copy(dst, src, n * 4);
        expect(Array.from(core.i32(dst, n))).toEqual(w);
        core.kernels.limits_write(dst, n * 4, 0);
        core.kernels.limits_bulk_copy(dst, src, n * 4);
        expect(Array.from(core.i32(dst, n))).toEqual(w);
        expect(Array.from(core.i32(dst + 4 * n, 16))).toEqual(new Array(16).fill(7));
        core.release(mark);
      }),
    );
  });
});

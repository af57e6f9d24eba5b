// The cut matrix-vector product of Lanczos (src/qdg/eigen/split.ts): the row-block kernel against its twin,
// and the same bits on one thread or two, for one product and for a whole eigensolve.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import { largestEigenpairs } from '../../src/qdg/eigen/lanczos.js';
import { closeSplitThread, splitProduct, splitRow, SPLIT_MIN_S } from '../../src/qdg/eigen/split.js';

const core = new Core();
afterAll(() => closeSplitThread());

function gaussians(n: number, seed: number): Float64Array {
  const g = new CounterRandom(seed, 98);
  return Float64Array.from({ length: n }, () => g.nextGaussian());
}

/** The share of rows i0..i1-1 of the upper triangle (mirrored) in y = A x: entries i0..S-1 (the rest 0). */
function rowsTwin(a: Float32Array, S: number, i0: number, i1: number, x: Float64Array): Float64Array {
  const y = new Float64Array(S);
  for (let i = i0; i < i1; i++) {
    for (let j = i; j < S; j++) {
      const aij = a[i * S + j];
      y[i] += aij * x[j];
      if (j !== i) y[j] += aij * x[i];
    }
  }
  return y;
}

function toWasm(a: Float32Array): number {
  const p = core.allocF32(a.length);
  core.f32(p, a.length).set(a);
  return p;
}

describe('lanczos_symv_upper_rows', () => {
  it('equals its twin over any row range, leaves y below i0 alone, and its blocks sum to the whole product', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 37 }), fc.nat(1000), fc.nat(), fc.nat(), (S, seed, u, v) => {
        const i0 = u % (S + 1);
        const i1 = i0 + (v % (S - i0 + 1));
        const mark = core.mark();
        try {
          const a = Float32Array.from(gaussians(S * S, seed)); // asymmetric: the lower triangle is ignored
          const x = gaussians(S, seed + 1);
          const ap = toWasm(a);
          const xp = core.allocF64(S);
          const yp = core.allocF64(S);
          core.f64(xp, S).set(x);
          core.f64(yp, S).fill(7);
          core.kernels.lanczos_symv_upper_rows(ap, S, S, i0, i1, xp, yp);
          const got = core.f64(yp, S);
          const want = rowsTwin(a, S, i0, i1, x);
          for (let i = 0; i < i0; i++) expect(got[i]).toBe(7);
          for (let i = i0; i < S; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12 * (1 + S));
          // rows 0..i1-1 read from a copy holding only those rows (lda S): the same bits
          const copy = toWasm(a.subarray(0, i1 * S));
          const y2 = core.allocF64(S);
          core.f64(y2, S).fill(7);
          core.kernels.lanczos_symv_upper_rows(copy, S, S, i0, i1, xp, y2);
          expect(core.f64(y2, S).subarray(i0)).toEqual(core.f64(yp, S).subarray(i0));
          // the whole range is lanczos_symv_upper, bit for bit
          core.kernels.lanczos_symv_upper_rows(ap, S, S, 0, S, xp, yp);
          core.kernels.lanczos_symv_upper(ap, S, xp, y2);
          expect(core.f64(y2, S)).toEqual(core.f64(yp, S));
        } finally {
          core.release(mark);
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('the cut product', () => {
  it('cuts at a multiple of 4 holding about half the triangle, and not below SPLIT_MIN_S', () => {
    expect(splitRow(SPLIT_MIN_S - 1)).toBe(0);
    for (const S of [SPLIT_MIN_S, 2000, 10_000, 20_001]) {
      const r = splitRow(S);
      expect(r % 4).toBe(0);
      const lead = r * S - (r * (r - 1)) / 2;
      const trail = ((S - r) * (S - r + 1)) / 2;
      expect(Math.abs(lead - trail) / (lead + trail)).toBeLessThan(4 / Math.sqrt(S));
    }
  });

  it('gives the same bits on one thread and on two, and its helper computes shares', () => {
    const S = 203;
    const r = 60;
    const mark = core.mark();
    try {
      const a = Float32Array.from(gaussians(S * S, 5));
      const ap = toWasm(a);
      const xp = core.allocF64(S);
      const yp = core.allocF64(S);
      const scratch = core.allocF64(S);
      const x = gaussians(S, 6);
      core.f64(xp, S).set(x);
      const one = splitProduct(core, ap, S, scratch, 1, r);
      one.apply(xp, yp);
      const want = core.f64(yp, S).slice();
      const twin = rowsTwin(a, S, 0, S, x);
      for (let i = 0; i < S; i++) expect(Math.abs(want[i] - twin[i])).toBeLessThan(1e-11);
      const two = splitProduct(core, ap, S, scratch, 2, r);
      // the helper thread starts while this thread computes both blocks; it joins after a while
      let differing = 0;
      for (let step = 0; step < 2_000_000 && two.helped < 50; step++) {
        core.f64(yp, S).fill(0);
        two.apply(xp, yp);
        const got = core.f64(yp, S);
        for (let i = 0; i < S; i++) if (!Object.is(got[i], want[i])) differing++;
      }
      two.close();
      expect(two.helped).toBeGreaterThanOrEqual(50);
      expect(differing).toBe(0);
    } finally {
      core.release(mark);
    }
  });

  it('a whole eigensolve: the same bits on one thread and on two', () => {
    const S = 160;
    const K = 12;
    const mark = core.mark();
    try {
      // a cosine-like affinity: Gram matrix of random unit vectors, made nonnegative
      const d = 20;
      const g = gaussians(S * d, 11);
      for (let i = 0; i < S; i++) {
        let n = 0;
        for (let c = 0; c < d; c++) n += g[i * d + c] ** 2;
        for (let c = 0; c < d; c++) g[i * d + c] /= Math.sqrt(n);
      }
      const a = new Float32Array(S * S);
      for (let i = 0; i < S; i++)
        for (let j = 0; j < S; j++) {
          let t = 0;
          for (let c = 0; c < d; c++) t += g[i * d + c] * g[j * d + c];
          a[i * S + j] = Math.abs(t);
        }
      const ap = toWasm(a);
      const scale = Float64Array.from({ length: S }, (_, i) => 1 / (1 + (i % 7)));
      const one = largestEigenpairs(core, ap, S, K, { threads: 1, splitRow: 48, scale });
      let two = largestEigenpairs(core, ap, S, K, { threads: 2, splitRow: 48, scale });
      // the helper needs some products to start: repeat until it computed some (each run is a few ms)
      for (let n = 0; n < 400 && two.helperProducts === 0; n++)
        two = largestEigenpairs(core, ap, S, K, { threads: 2, splitRow: 48, scale });
      expect(two.helperProducts).toBeGreaterThan(0);
      expect(one.helperProducts).toBe(0);
      expect(two.values).toEqual(one.values);
      expect(two.vectors).toEqual(one.vectors);
      expect(two.residuals).toEqual(one.residuals);
      for (const res of one.residuals) expect(res).toBeLessThan(1e-8);
      // the uncut solve finds the same pairs (the cut moves rounding only)
      const uncut = largestEigenpairs(core, ap, S, K, { threads: 1, scale });
      for (let c = 0; c < K; c++) expect(Math.abs(uncut.values[c] - one.values[c])).toBeLessThan(1e-9);
    } finally {
      core.release(mark);
    }
  });
});

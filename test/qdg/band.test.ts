import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { applyQ, pentadiagonalToTridiagonal } from '../../src/qdg/eigen/band.js';
import { bandConvergedCount, bandEstimates, bandKthPairFar, bandRitz } from '../../src/qdg/eigen/block.js';
import {
  kthLargestEigenvalue,
  symmetricTridiagonalEigen,
  tridiagonalEigenvectors,
} from '../../src/qdg/eigen/tridiagonal.js';
import { denseSymmetricEigen } from '../../src/qdg/eigen/reference.js';
import { CounterRandom } from '../../src/core/rng.js';
import { BLOCK_MIN_S, defaultBlockSize, defaultLanczosSteps } from '../../src/qdg/eigen/plan.js';

const core = new Core();

function pentadiagonal(n: number, seed: number) {
  const r = new CounterRandom(seed, 5);
  const d = Float64Array.from({ length: n }, () => r.nextGaussian());
  const e1 = Float64Array.from({ length: n }, () => r.nextGaussian());
  const e2 = Float64Array.from({ length: n }, () => r.nextGaussian());
  // some exact zeros in the second band: the reduction must skip them and still be exact
  if (seed % 3 === 0) for (let i = 0; i < n; i += 3) e2[i] = 0;
  const dense = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    dense[i * n + i] = d[i];
    if (i + 1 < n) dense[(i + 1) * n + i] = dense[i * n + i + 1] = e1[i];
    if (i + 2 < n) dense[(i + 2) * n + i] = dense[i * n + i + 2] = e2[i];
  }
  return { d, e1, e2, dense };
}

describe('pentadiagonal to tridiagonal', () => {
  it('T = Q Tt Q^T with Q orthogonal, its last two rows tracked, and the eigenvalues of the dense twin', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.nat(1000), (n, seed) => {
        const { d, e1, e2, dense } = pentadiagonal(n, seed);
        const red = pentadiagonalToTridiagonal(d, e1, e2, n, true);
        // Q's columns: Q applied to the unit vectors (row v of q = Q e_v)
        const q = new Float64Array(n * n);
        for (let i = 0; i < n; i++) q[i * n + i] = 1;
        applyQ(red, q, n, n);
        const Q = (i: number, j: number) => q[j * n + i];
        let worst = 0;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) {
            // (Q Tt Q^T)_ij with Tt tridiagonal
            let t = 0;
            for (let a = 0; a < n; a++) {
              let u = red.diag[a] * Q(j, a);
              if (a > 0) u += red.off[a - 1] * Q(j, a - 1);
              if (a + 1 < n) u += red.off[a] * Q(j, a + 1);
              t += Q(i, a) * u;
            }
            worst = Math.max(worst, Math.abs(t - dense[i * n + j]));
            let qq = 0;
            for (let a = 0; a < n; a++) qq += Q(i, a) * Q(j, a);
            expect(Math.abs(qq - (i === j ? 1 : 0))).toBeLessThan(1e-13);
          }
        expect(worst).toBeLessThan(1e-13 * n);
        for (let j = 0; j < n; j++) {
          if (n >= 2) {
            expect(red.bottom[j]).toBeCloseTo(Q(n - 2, j), 14);
            expect(red.bottom[n + j]).toBeCloseTo(Q(n - 1, j), 14);
          } else expect(red.bottom[j]).toBe(1);
        }
        const want = denseSymmetricEigen(dense, n).values;
        const got = symmetricTridiagonalEigen(red.diag, red.off, { track: 'none', core }).values;
        const norm = Math.max(...Array.from(want, Math.abs), 1);
        for (let i = 0; i < n; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12 * norm * n);
      }),
      { numRuns: 60 },
    );
  });

  it('QL tracks given rows: their products with each eigenvector', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.nat(1000), (n, seed) => {
        const { d, e1 } = pentadiagonal(n, seed);
        const r = new CounterRandom(seed, 6);
        const rows = Float64Array.from({ length: 3 * n }, () => r.nextGaussian());
        const all = symmetricTridiagonalEigen(d, e1, { track: 'vectors', order: 'descending', core });
        const got = symmetricTridiagonalEigen(d, e1, { track: 'rows', rows, order: 'descending', core });
        const vectors = all.vectors as Float64Array;
        const tracked = got.tracked as Float64Array;
        for (let j = 0; j < n; j++)
          for (let k = 0; k < 3; k++) {
            let t = 0;
            for (let i = 0; i < n; i++) t += rows[k * n + i] * vectors[i * n + j];
            expect(Math.abs(tracked[j * 3 + k] - t)).toBeLessThan(1e-12 * n);
          }
      }),
      { numRuns: 40 },
    );
  });
});

describe('the pentadiagonal k-th eigenvalue and eigenvector (the O(m) pre-test)', () => {
  it('bisection on L D L^T counts and banded inverse iteration match the dense twin', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.nat(1000), (n, seed) => {
        const { d, e1, e2, dense } = pentadiagonal(n, seed);
        const want = denseSymmetricEigen(dense, n);
        const norm = Math.max(...Array.from(want.values, Math.abs), 1);
        const k = 1 + (seed % n);
        const theta = kthLargestEigenvalue(d, e1, k, e2);
        expect(Math.abs(theta - want.values[n - k])).toBeLessThan(1e-10 * norm);
        const z = tridiagonalEigenvectors(d, e1, [theta], { second: e2 });
        expect(z.maxResidual).toBeLessThan(1e-12);
      }),
      { numRuns: 80 },
    );
  });
});

describe("a block run's band: Ritz pairs and their estimates", () => {
  it('bandRitz gives the K largest eigenpairs of T (the dense twin), orthonormal, by either route', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 60 }), fc.nat(1000), (n, seed) => {
        const { d, e1, e2, dense } = pentadiagonal(n, seed);
        const K = 1 + (seed % n);
        // bound 1e-13: inverse iteration on the band; -1: never met, so the fallback (QL vectors, rotations)
        const { values, coefficients: Y } = bandRitz({ d, e1, e2 }, n, K, seed % 2 ? 1e-13 : -1, core);
        const want = denseSymmetricEigen(dense, n).values;
        const norm = Math.max(...Array.from(want, Math.abs));
        for (let c = 0; c < K; c++) {
          expect(Math.abs(values[c] - want[n - 1 - c])).toBeLessThan(1e-12 * norm * n);
          let rr = 0;
          for (let i = 0; i < n; i++) {
            let t = -values[c] * Y[i * K + c];
            for (let j = 0; j < n; j++) t += dense[i * n + j] * Y[j * K + c];
            rr += t * t;
          }
          expect(Math.sqrt(rr)).toBeLessThan(1e-12 * norm * n);
          for (let c2 = 0; c2 <= c; c2++) {
            let t = 0;
            for (let i = 0; i < n; i++) t += Y[i * K + c] * Y[i * K + c2];
            expect(Math.abs(t - (c === c2 ? 1 : 0))).toBeLessThan(1e-10);
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('estimates are the residual norms of the coupling to the two next vectors; the count and pre-test agree', () => {
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 40 }), fc.nat(1000), (n, seed) => {
        // T of size n + 2: its leading m = n block is the run's T, the rest its couplings past m
        const { d, e1, e2, dense } = pentadiagonal(n + 2, seed);
        const band = { d, e1, e2 };
        const m = n;
        const K = 1 + (seed % (m - 1));
        const { values, coefficients: Y } = bandRitz(band, m, m, 1e-13, core);
        const est = bandEstimates(band, m, 1e-300, 1, core); // tolerance 0: nothing converges
        for (let c = 0; c < m; c++) {
          // || B^T [s_{m-2}, s_{m-1}] || over rows m, m+1 of the big T times (s, 0, 0)
          let rr = 0;
          for (const row of [m, m + 1]) {
            let t = 0;
            for (let j = 0; j < m; j++) t += dense[row * (n + 2) + j] * Y[j * m + c];
            rr += t * t;
          }
          expect(est.values[c]).toBeCloseTo(values[c], 12);
          // a tolerance just above / below the true estimate flips the test
          const r = Math.sqrt(rr);
          const tol = (x: number) => x / Math.abs(values[c]);
          if (r > 1e-8 && Math.abs(values[c]) > 1e-6) {
            expect(bandEstimates(band, m, tol(r * 1.001), 1e-300, core).converged[c]).toBe(true);
            expect(bandEstimates(band, m, tol(r * 0.999), 1e-300, core).converged[c]).toBe(false);
          }
        }
        // the count at a loose tolerance; the pre-test never calls "far" a pair the count calls converged
        const tolerance = 0.3;
        const count = bandConvergedCount(band, m, K, tolerance, 1, core);
        if (count === K && m > K) expect(bandKthPairFar(band, m, K, tolerance, 1, 1.01, 1e-13)).toBe(false);
      }),
      { numRuns: 60 },
    );
  });
});

describe('where the block route is the default', () => {
  it('from S 4096 on, unless the step limit leaves no room before S - 2', () => {
    expect(defaultBlockSize(BLOCK_MIN_S - 4, 500)).toBe(1);
    expect(defaultBlockSize(BLOCK_MIN_S, defaultLanczosSteps(BLOCK_MIN_S, 500))).toBe(2);
    expect(defaultBlockSize(10000, defaultLanczosSteps(10000, 1500))).toBe(2); // the paper's largest K
    // K 1024 of 4096: 4K steps reach S, where a block run could end unconverged at S - 2 and pay twice
    expect(defaultLanczosSteps(BLOCK_MIN_S, 1024)).toBe(BLOCK_MIN_S);
    expect(defaultBlockSize(BLOCK_MIN_S, defaultLanczosSteps(BLOCK_MIN_S, 1024))).toBe(1);
    expect(defaultBlockSize(BLOCK_MIN_S, BLOCK_MIN_S - 2)).toBe(2);
    expect(defaultBlockSize(BLOCK_MIN_S, BLOCK_MIN_S - 1)).toBe(1);
  });
});

// Block-2 Lanczos (largestEigenpairs' `block: 2`): two basis vectors per pass over the matrix.
//
// Why. At S = 10,000 a product streams the matrix's upper triangle (200 MB of f32) and the reorthogonalisation
// streams the basis (on average 60 MB of f64 and 30 MB of f32 a step at K = 500), and on two threads the run is
// bound by memory bandwidth, not arithmetic (about 20 GB/s here, 10 ms a product). Taking the products of two
// basis vectors in one pass, and projecting and subtracting two directions in one pass over the basis, halves
// those bytes per basis vector.
//
// What. The basis is the block Krylov sequence of two random start vectors, orthonormalised one vector at a
// time: M v_j lies in the span of v_0 .. v_{j+2}, so T = V^T M V is pentadiagonal, with d[j] = T[j][j],
// e1[j] = T[j+1][j], e2[j] = T[j+2][j]. Step t takes the pair (v_{2t}, v_{2t+1}): both products in one pass,
// the known couplings subtracted (the band recurrence), both directions reorthogonalised against the whole
// basis (classical Gram-Schmidt, again if it cancels, as the one-vector route does), then the first becomes
// v_{2t+2} (its norm is e2[2t]) and the second, after its component along v_{2t+2} (e1[2t+1]), v_{2t+3}
// (e2[2t+1]). After m = 2t + 2 vectors M V = V T + [v_m, v_{m+1}] B with B's nonzeros e2[m-2], e1[m-1] and
// e2[m-1], so a Ritz pair (theta, V s) has residual ||(e2[m-2] s_{m-2} + e1[m-1] s_{m-1}, e2[m-1] s_{m-1})||:
// the last two components of T's eigenvectors, which ./band.ts gives through its tridiagonal reduction.
//
// A block that loses rank (a direction's norm at rounding level: an invariant subspace) ends this route: the
// caller then runs the one-vector route, which restarts on invariant subspaces with its own bookkeeping.
import type { Core } from '../../core/arena.js';
import { applyQ, pentadiagonalToTridiagonal } from './band.js';
import { kthLargestEigenvalue, symmetricTridiagonalEigen, tridiagonalEigenvectors } from './tridiagonal.js';

const EPS = 2 ** -52;

/** The pentadiagonal T of a block run: its diagonal and two sub-diagonals, m columns filled. */
export interface Band {
  d: Float64Array;
  e1: Float64Array;
  e2: Float64Array;
}

/**
 * Ritz estimates of T's top Ritz pairs (m columns of the band, the couplings past them in e1[m-1], e2[m-2],
 * e2[m-1]): the values, descending, and whether each meets max(tol |theta|, 1000 eps ||M||).
 */
export function bandEstimates(
  band: Band,
  m: number,
  tol: number,
  mNorm: number,
  core: Core,
): { values: Float64Array; converged: boolean[] } {
  const red = pentadiagonalToTridiagonal(band.d, band.e1, band.e2, m);
  const t = symmetricTridiagonalEigen(red.diag, red.off, {
    track: 'rows',
    rows: red.bottom,
    order: 'descending',
    core,
  });
  const tracked = t.tracked as Float64Array;
  const converged = Array.from(t.values, (theta, i) => {
    const estimate = residualEstimate(band, m, tracked[2 * i], tracked[2 * i + 1]);
    return estimate <= Math.max(tol * Math.abs(theta), 1000 * EPS * mNorm);
  });
  return { values: t.values, converged };
}

/** ||M V s - theta V s|| for T's eigenvector s with last two components a = s_{m-2}, b = s_{m-1}. */
function residualEstimate(band: Band, m: number, a: number, b: number): number {
  const x = band.e2[m - 2] * a + band.e1[m - 1] * b;
  const y = band.e2[m - 1] * b;
  return Math.sqrt(x * x + y * y);
}

/** How many of T's K largest Ritz pairs meet the tolerance. */
export function bandConvergedCount(
  band: Band,
  m: number,
  K: number,
  tol: number,
  mNorm: number,
  core: Core,
): number {
  const r = bandEstimates(band, m, tol, mNorm, core);
  let done = 0;
  for (let i = 0; i < Math.min(K, m); i++) if (r.converged[i]) done++;
  return done;
}

/**
 * True when T's K-th largest Ritz pair (m > K) is clearly not converged (its estimate above `margin` times its
 * tolerance), in O(m): the value by bisection on the band's Sturm counts, the vector by inverse iteration on
 * the band (./tridiagonal.ts, `second`). `bound`: the inverse iteration residual the vector must meet.
 */
export function bandKthPairFar(
  band: Band,
  m: number,
  K: number,
  tol: number,
  mNorm: number,
  margin: number,
  bound: number,
): boolean {
  if (m <= K) return false;
  const d = band.d.subarray(0, m);
  const theta = kthLargestEigenvalue(d, band.e1, K, band.e2);
  const z = tridiagonalEigenvectors(d, band.e1, [theta], { solves: 2, second: band.e2 });
  if (!(z.maxResidual <= bound)) return false;
  const estimate = residualEstimate(band, m, z.vectors[m - 2], z.vectors[m - 1]);
  return estimate > margin * Math.max(tol * Math.abs(theta), 1000 * EPS * mNorm);
}

/**
 * T's K largest eigenvalues (descending, by QL on the reduced tridiagonal matrix) and their eigenvectors as
 * Ritz coefficients, m x K row-major (Y[r*K + c] = component r of the vector of values[c]), by inverse
 * iteration on T itself (banded elimination, O(m) a solve; applying the reduction's m^2 / 4 rotations to K
 * vectors instead took 2.3 s at m 1614, K 500). Only if that misses `bound`: every eigenvector of the reduced
 * matrix by QL, and the rotations applied to the K wanted ones.
 */
export function bandRitz(
  band: Band,
  m: number,
  K: number,
  bound: number,
  core: Core,
): { values: Float64Array; coefficients: Float64Array } {
  const red = pentadiagonalToTridiagonal(band.d, band.e1, band.e2, m);
  const all = symmetricTridiagonalEigen(red.diag, red.off, { track: 'none', order: 'descending', core });
  const values = all.values.slice(0, K);
  let z: Float64Array;
  const inv = tridiagonalEigenvectors(band.d.subarray(0, m), band.e1, values, { core, second: band.e2 });
  if (inv.maxResidual <= bound) z = inv.vectors;
  else {
    const kept = pentadiagonalToTridiagonal(band.d, band.e1, band.e2, m, true);
    const full = symmetricTridiagonalEigen(kept.diag, kept.off, {
      track: 'vectors',
      order: 'descending',
      core,
    });
    const s = full.vectors as Float64Array;
    z = new Float64Array(K * m);
    for (let c = 0; c < K; c++) for (let r = 0; r < m; r++) z[c * m + r] = s[r * m + c];
    applyQ(kept, z, m, K);
  }
  const coefficients = new Float64Array(m * K);
  for (let c = 0; c < K; c++) for (let r = 0; r < m; r++) coefficients[r * K + c] = z[c * m + r];
  return { values, coefficients };
}

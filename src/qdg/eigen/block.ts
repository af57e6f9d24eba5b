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
// caller then runs the one-vector route, which restarts on invariant subspaces with its own bookkeeping. So
// does a run that reaches its step limit unconverged: a block space of m vectors holds only m/2 powers of M,
// and the one-vector space of the same size reaches further out (about 5% more vectors at QDG's sizes).
import type { Core } from '../../core/arena.js';
import type { SplitWork } from './split.js';
import {
  F32_SUBTRACT_BOUND,
  INVERSE_ITERATION_RESIDUAL,
  type Iteration,
  PRETEST_MARGIN,
  throttledCount,
} from './route.js';
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

/** What the block route takes from largestEigenpairs (./lanczos.ts): its sizes, options, buffers and helpers. */
export interface BlockRun {
  core: Core;
  S: number;
  K: number;
  tol: number;
  /** The step limit asked for, and the block route's own (even, at most S - 2). */
  mMax: number;
  blockMax: number;
  pretest: boolean;
  onProgress?: (done: number, total: number) => void;
  work: SplitWork;
  /** The diagonal scaling of the operator (LanczosOptions.scale). */
  scale?: Float64Array;
  /** The basis (f64, stride ld; row j at V + j * rowBytes) and its f32 copy (stride ld32). */
  V: number;
  V32: number;
  ld: number;
  ld32: number;
  rowBytes: number;
  /** f64[S] directions, the Gram-Schmidt coefficients (f64[2 (mMax + 2)]), f64[2S] product input and output. */
  w: number;
  w2: number;
  h: number;
  pair: number;
  pairProduct: number;
  /** The kept products M v_j (rows as the basis), or 0. */
  W: number;
  /** ||p|| of a Core f64[S] vector. */
  norm(p: number): number;
  /** Row j: a random unit vector orthogonal to rows 0..j-1 (false if none is left). */
  randomDirection(j: number): boolean;
  /** Row j = vec / nw, and its f32 copy. */
  makeRow(j: number, vec: number, nw: number): void;
}

/**
 * The block-2 iteration (the file comment): T's K largest Ritz values and coefficients, or null when a block
 * loses rank, or when it reaches blockMax unconverged (the one-vector route then runs).
 */
export function blockIteration(run: BlockRun): Iteration | null {
  const { core, S, K, tol, mMax, blockMax, pretest, onProgress, work, scale } = run;
  const { V, V32, ld, ld32, rowBytes, w, w2, h, pair, pairProduct, W, norm, randomDirection, makeRow } = run;
  const k = core.kernels;
  const row = (j: number) => V + j * rowBytes;
  /** wa = M va, wb = M vb for basis rows va, vb: one pass over the matrix (interleaved in `pair`). */
  const apply2 = (va: number, vb: number, wa: number, wb: number) => {
    const a = core.f64(va, S);
    const b = core.f64(vb, S);
    const x2 = core.f64(pair, 2 * S);
    for (let i = 0; i < S; i++) {
      const si = scale ? scale[i] : 1;
      x2[2 * i] = a[i] * si;
      x2[2 * i + 1] = b[i] * si;
    }
    work.product2(pair, pairProduct, va, vb);
    const y2 = core.f64(pairProduct, 2 * S);
    const ya = core.f64(wa, S);
    const yb = core.f64(wb, S);
    for (let i = 0; i < S; i++) {
      const si = scale ? scale[i] : 1;
      ya[i] = y2[2 * i] * si;
      yb[i] = y2[2 * i + 1] * si;
    }
  };
  /**
   * Classical Gram-Schmidt of `vec` against basis rows 0..n-1, again if it cancels, as the one-vector route
   * does (the f32 basis for a first pass whose coefficients are rounding-sized); `fix` gets each pass's
   * coefficients (for T's band entries). `local`: on this thread only (the helper lacks row n-1). Returns
   * the norm after.
   */
  const reorthogonalise = (
    n: number,
    vec: number,
    fix: (hs: Float64Array) => void,
    local: boolean,
  ): number => {
    const before = norm(vec);
    let after = before;
    for (let pass = 0; pass < 2; pass++) {
      if (local) k.lanczos_project(V, n, ld, S, vec, h);
      else work.project(n, vec, h);
      const hs = core.f64(h, n);
      let h1 = 0;
      for (let r = 0; r < n; r++) h1 += Math.abs(hs[r]);
      fix(hs);
      const f32 = pass === 0 && h1 <= F32_SUBTRACT_BOUND * before;
      if (local) {
        if (f32) k.lanczos_subtract_f32(V32, n, ld32, S, h, vec);
        else k.lanczos_subtract(V, n, ld, S, h, vec);
      } else work.subtract(n, h, vec, f32);
      const prev = after;
      after = norm(vec);
      if (after > 0.7071 * prev) break;
    }
    return after;
  };
  const band: Band = {
    d: new Float64Array(mMax + 2),
    e1: new Float64Array(mMax + 2),
    e2: new Float64Array(mMax + 2),
  };
  const { d, e1, e2 } = band;
  randomDirection(0);
  if (!randomDirection(1)) return null;
  const wa = w;
  const wb = w2;
  let m = 0;
  let matvecs = 0;
  let mNorm = 0;
  let converged = false;
  let nextCheck = Math.min(mMax, K);
  const counted = throttledCount(onProgress, K);
  const setH = (...values: number[]) => core.f64(h, values.length).set(values);
  for (;;) {
    const j0 = m;
    const j1 = m + 1;
    apply2(row(j0), row(j1), wa, wb);
    matvecs += 2;
    if (W) {
      core.f64(W + j0 * rowBytes, S).set(core.f64(wa, S));
      core.f64(W + j1 * rowBytes, S).set(core.f64(wb, S));
    }
    // the band recurrence: wa -= e2[j0-2] v_{j0-2} + e1[j0-1] v_{j0-1}, then its components along v_j0 and
    // v_j1 (T's d[j0], e1[j0]); wb -= e2[j0-1] v_{j0-1} + e1[j0] v_j0, then its component along v_j1
    if (j0 >= 2) {
      setH(e2[j0 - 2], e1[j0 - 1]);
      k.lanczos_subtract(row(j0 - 2), 2, ld, S, h, wa);
    }
    k.lanczos_project(row(j0), 2, ld, S, wa, h);
    [d[j0], e1[j0]] = core.f64(h, 2);
    k.lanczos_subtract(row(j0), 2, ld, S, h, wa);
    if (j0 >= 1) {
      setH(e2[j0 - 1], e1[j0]);
      k.lanczos_subtract(row(j0 - 1), 2, ld, S, h, wb);
    } else {
      setH(e1[j0]);
      k.lanczos_subtract(row(j0), 1, ld, S, h, wb);
    }
    k.lanczos_project(row(j1), 1, ld, S, wb, h);
    d[j1] = core.f64(h, 1)[0];
    k.lanczos_subtract(row(j1), 1, ld, S, h, wb);
    // ...then both against the whole basis v_0 .. v_j1
    // (one pass over the basis for both; a second, one direction at a time, where it cancels)
    const beforeA = norm(wa);
    const beforeB = norm(wb);
    const n = j1 + 1;
    work.project2(n, wa, wb, h);
    const hs = core.f64(h, 2 * n);
    let h1a = 0;
    let h1b = 0;
    for (let r = 0; r < n; r++) {
      h1a += Math.abs(hs[2 * r]);
      h1b += Math.abs(hs[2 * r + 1]);
    }
    d[j0] += hs[2 * j0];
    e1[j0] += hs[2 * j1];
    d[j1] += hs[2 * j1 + 1];
    const f32 = h1a <= F32_SUBTRACT_BOUND * beforeA && h1b <= F32_SUBTRACT_BOUND * beforeB;
    work.subtract2(n, h, wa, wb, f32);
    let na = norm(wa);
    if (!(na > 0.7071 * beforeA)) {
      na = reorthogonalise(
        n,
        wa,
        (hs) => {
          d[j0] += hs[j0];
          e1[j0] += hs[j1];
        },
        false,
      );
    }
    let nb0 = norm(wb);
    if (!(nb0 > 0.7071 * beforeB)) nb0 = reorthogonalise(n, wb, (hs) => (d[j1] += hs[j1]), false);
    mNorm = Math.max(mNorm, bandRowSum(band, j0, na), bandRowSum(band, j1, 0));
    if (!(na > 1e-12 * mNorm)) return null;
    e2[j0] = na;
    makeRow(j1 + 1, wa, na);
    // wb's component along the new v_{j1+1} (T's e1[j1]), and its norm (T's e2[j1])
    k.lanczos_project(row(j1 + 1), 1, ld, S, wb, h);
    e1[j1] = core.f64(h, 1)[0];
    k.lanczos_subtract(row(j1 + 1), 1, ld, S, h, wb);
    let nb = norm(wb);
    if (!(nb > 0.7071 * nb0)) {
      nb = reorthogonalise(
        j1 + 2,
        wb,
        (hs) => {
          d[j1] += hs[j1];
          e1[j1] += hs[j1 + 1];
        },
        true,
      );
    }
    mNorm = Math.max(mNorm, bandRowSum(band, j1, nb));
    if (!(nb > 1e-12 * mNorm)) return null;
    e2[j1] = nb;
    makeRow(j1 + 2, wb, nb);
    m = j1 + 1;
    const last = m + 2 > blockMax;
    if (m >= nextCheck || last) {
      const far =
        pretest &&
        !last &&
        bandKthPairFar(band, m, K, tol, mNorm, PRETEST_MARGIN, INVERSE_ITERATION_RESIDUAL);
      const done = counted(far, () => bandConvergedCount(band, m, K, tol, mNorm, core));
      if (done >= 0) onProgress?.(done, K);
      if (done === K) {
        converged = true;
        break;
      }
      nextCheck = m + Math.max(5, Math.ceil(0.02 * m));
    }
    if (last) break;
  }
  // unconverged at its limit: the one-vector route, whose Krylov space of the same size can reach further
  // (a block space of m vectors holds only m/2 powers of M; seen with K 10 of a random S 119 at K + 100 steps)
  if (!converged) return null;
  const { values, coefficients } = bandRitz(band, m, K, INVERSE_ITERATION_RESIDUAL, core);
  return { m, values, coefficients, mNorm, matvecs, converged };
}

/** Row j of the band's absolute row sum, with `below` for its entry e2[j] when that is not yet stored. */
function bandRowSum(band: Band, j: number, below: number): number {
  const { d, e1, e2 } = band;
  return (
    Math.abs(d[j]) +
    Math.abs(e1[j]) +
    Math.abs(below) +
    (j >= 1 ? Math.abs(e1[j - 1]) : 0) +
    (j >= 2 ? Math.abs(e2[j - 2]) : 0)
  );
}

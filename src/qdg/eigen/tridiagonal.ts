// The symmetric tridiagonal eigenproblem T s = theta s that Lanczos reduces a large matrix to: implicit QL
// with Wilkinson-type shifts (the tql2 / tqli algorithm), to machine precision, with the rotations applied to
// any set of tracked rows of the eigenvector matrix. Lanczos tracks only the bottom row while it iterates
// (the residual estimate beta_m |e_m^T s| needs nothing else). At the end it needs only the K wanted
// eigenvectors of the m x m matrix (m about 2.5 K): tridiagonalEigenvectors finds them by inverse iteration in
// O(K m) instead of QL's O(m^3) for all of them (about 70 CPU-s at m = 3839).
//
// symmetricTridiagonalEigen is the convenient form of the Wasm kernel tridiag_ql (assembly/tridiagonal.ts): sorted
// values, eigenvectors as columns. Its plain TypeScript twin, statement for statement, is
// referenceTridiagonalQL in ./reference.ts (a test oracle, passed here as `ql` by the tests).
import type { Core } from '../../core/arena.js';
import { allocatePlan, planBytes, type BufferPlan } from '../../core/buffers.js';

/** The Wasm buffers of one tridiag_ql call: T's diagonals (n) and the R tracked rows (n x R), all f64. */
export function tridiagonalQLPlan(n: number, R: number): BufferPlan<'diagonal' | 'offDiagonal' | 'rows'> {
  return [
    { name: 'diagonal', bytes: 8 * n },
    { name: 'offDiagonal', bytes: 8 * n },
    { name: 'rows', bytes: 8 * n * R },
  ];
}

/** The Wasm buffers of tridiagonalEigenvectors for k of the n eigenvectors: the vectors, one solve, k dots. */
export function inverseIterationPlan(n: number, k: number): BufferPlan<'vectors' | 'solve' | 'dots'> {
  return [
    { name: 'vectors', bytes: 8 * k * n },
    { name: 'solve', bytes: 8 * n },
    { name: 'dots', bytes: 8 * k },
  ];
}

/**
 * Peak Wasm bytes of the tridiagonal work of an m-step Lanczos run wanting K pairs: the larger of QL with every
 * eigenvector (the fallback of the Ritz coefficients) and inverse iteration for K of them.
 */
export function tridiagonalBytes(m: number, K: number): number {
  return Math.max(planBytes(tridiagonalQLPlan(m, m)), planBytes(inverseIterationPlan(m, K)));
}

export interface TridiagonalEigen {
  /** The eigenvalues, in the order asked for. */
  values: Float64Array;
  /** n x n row-major, vectors[i*n + j] = component i of eigenvector j (when vectors were asked for). */
  vectors?: Float64Array;
  /** bottom[j] = last component of eigenvector j (when the bottom row was asked for). */
  bottom?: Float64Array;
  /** n x R: tracked[j*R + r] = (row r of `rows`) . (eigenvector j), for the R rows asked for. */
  tracked?: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `diag` (length n) and off-diagonal
 * `offDiag` (length >= n - 1, offDiag[i] couples i and i+1). `track` = 'vectors' (all eigenvectors),
 * 'bottom' (last components only, O(n^2)), 'rows' (the products of the R rows of `rows`, R x n row-major,
 * with each eigenvector: a band Lanczos's Q rows, ./band.ts) or 'none'. The QL sweeps run in Wasm on `core`
 * (or in `ql`).
 */
export function symmetricTridiagonalEigen(
  diag: ArrayLike<number>,
  offDiag: ArrayLike<number>,
  opts: {
    track?: 'vectors' | 'bottom' | 'rows' | 'none';
    /** With track 'rows': the rows (R x n row-major, R = rows.length / n). */
    rows?: Float64Array;
    order?: 'ascending' | 'descending';
    /** The Core whose tridiag_ql kernel runs the QL sweeps. */
    core?: Core;
    /** Instead of the kernel: a twin with its signature (the tests pass referenceTridiagonalQL). */
    ql?: (d: Float64Array, e: Float64Array, zt: Float64Array, n: number, R: number) => number;
  },
): TridiagonalEigen {
  const n = diag.length;
  const track = opts.track ?? 'vectors';
  const R =
    track === 'vectors' ? n : track === 'bottom' ? 1 : track === 'rows' ? (opts.rows?.length ?? 0) / n : 0;
  if (!Number.isInteger(R)) throw new RangeError('quanta: tracked rows must be R x n');
  const d = Float64Array.from(diag);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = offDiag[i];
  const zt = new Float64Array(n * R);
  if (track === 'vectors') for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  else if (track === 'bottom' && n > 0) zt[n - 1] = 1;
  else if (track === 'rows') {
    const rows = opts.rows as Float64Array;
    for (let r = 0; r < R; r++) for (let j = 0; j < n; j++) zt[j * R + r] = rows[r * n + j];
  }
  let failed: number;
  if (opts.core) {
    const core = opts.core;
    const mark = core.mark();
    try {
      const { diagonal: dp, offDiagonal: ep, rows: zp } = allocatePlan(core, tridiagonalQLPlan(n, R));
      core.f64(dp, n).set(d);
      core.f64(ep, n).set(e);
      core.f64(zp, n * R).set(zt);
      failed = core.kernels.tridiag_ql(dp, ep, zp, n, R);
      d.set(core.f64(dp, n));
      zt.set(core.f64(zp, n * R));
    } finally {
      core.release(mark);
    }
  } else if (opts.ql) {
    failed = opts.ql(d, e, zt, n, R);
  } else {
    throw new RangeError('quanta: symmetricTridiagonalEigen needs a core (or a ql twin)');
  }
  if (failed >= 0) throw new Error(`quanta: tridiagonal QL did not converge (eigenvalue ${failed} of ${n})`);
  const order = sortedOrder(d, opts.order ?? 'ascending');
  const values = Float64Array.from(order, (j) => d[j]);
  const out: TridiagonalEigen = { values };
  if (track === 'vectors') {
    const vectors = new Float64Array(n * n);
    order.forEach((src, j) => {
      for (let i = 0; i < n; i++) vectors[i * n + j] = zt[src * n + i];
    });
    out.vectors = vectors;
  } else if (track === 'bottom') {
    out.bottom = Float64Array.from(order, (j) => zt[j]);
  } else if (track === 'rows') {
    const tracked = new Float64Array(n * R);
    order.forEach((src, j) => {
      for (let r = 0; r < R; r++) tracked[j * R + r] = zt[src * R + r];
    });
    out.tracked = tracked;
  }
  return out;
}

/** The permutation that sorts `values` (ties keep their index order, so the result is deterministic). */
export function sortedOrder(values: ArrayLike<number>, order: 'ascending' | 'descending'): number[] {
  const idx = Array.from({ length: values.length }, (_, i) => i);
  const sign = order === 'ascending' ? 1 : -1;
  idx.sort((a, b) => sign * (values[a] - values[b]) || a - b);
  return idx;
}

/**
 * The k-th largest eigenvalue of the symmetric tridiagonal T (diagonal `diag`, off-diagonal `offDiag`, as
 * symmetricTridiagonalEigen; 1 <= k <= n) by bisection on Sturm counts (the signs of the pivots of T - x I),
 * O(n) per halving, to about eps ||T||: what Lanczos's cheap convergence pre-test needs instead of QL's O(n^2)
 * for every value. With `second` (second[i] couples i and i + 2) T is pentadiagonal and the counts are the
 * negative pivots of its L D L^T without pivoting (Sylvester's inertia; not backward stable as the tridiagonal
 * count is, which a pre-test that only skips work can afford).
 */
export function kthLargestEigenvalue(
  diag: ArrayLike<number>,
  offDiag: ArrayLike<number>,
  k: number,
  second?: ArrayLike<number>,
): number {
  const n = diag.length;
  if (!(Number.isInteger(k) && k >= 1 && k <= n))
    throw new RangeError(`quanta: eigenvalue rank k must be an integer in [1, ${n}], got ${k}`);
  let g = 0; // Gershgorin bound on |eigenvalue|
  let b2max = 0;
  for (let i = 0; i < n; i++) {
    const up = i + 1 < n ? Math.abs(offDiag[i]) : 0;
    let row = Math.abs(diag[i]) + (i > 0 ? Math.abs(offDiag[i - 1]) : 0) + up;
    if (second) row += (i > 1 ? Math.abs(second[i - 2]) : 0) + (i + 2 < n ? Math.abs(second[i]) : 0);
    g = Math.max(g, row);
    b2max = Math.max(b2max, up * up, second && i + 2 < n ? second[i] * second[i] : 0);
  }
  const pivmin = Number.MIN_VALUE * 2 ** 60 * Math.max(1, b2max);
  /** The number of eigenvalues of T below x. */
  const below = second
    ? pentadiagonalBelow(diag, offDiag, second, pivmin)
    : (x: number): number => {
        let count = 0;
        let q = 1;
        for (let i = 0; i < n; i++) {
          const b = i > 0 ? offDiag[i - 1] : 0;
          q = diag[i] - x - (i > 0 ? (b * b) / q : 0);
          if (Math.abs(q) < pivmin) q = -pivmin;
          if (q < 0) count++;
        }
        return count;
      };
  const rank = n - k; // the wanted value has exactly `rank` eigenvalues below it (ascending index)
  let lo = -g - 2 * EPS * g - pivmin;
  let hi = g + 2 * EPS * g + pivmin;
  for (let it = 0; it < 200; it++) {
    const mid = 0.5 * (lo + hi);
    if (!(hi - lo > 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi)) + pivmin) || mid === lo || mid === hi)
      break;
    if (below(mid) > rank) hi = mid;
    else lo = mid;
  }
  return 0.5 * (lo + hi);
}

export interface TridiagonalVectors {
  /** k x n row-major: vectors[j*n + i] = component i of the unit eigenvector of values[j]. */
  vectors: Float64Array;
  /** max_j ||T z_j - values[j] z_j|| / ||T||_1 over the returned vectors. */
  maxResidual: number;
}

/**
 * Eigenvectors of the symmetric tridiagonal T (diagonal `diag`, off-diagonal `offDiag`, as
 * symmetricTridiagonalEigen) for k of its eigenvalues, `values` sorted descending and accurate to about
 * eps ||T|| (from QL): inverse iteration as LAPACK's dstein does it, O(n) per solve instead of QL's O(n^2)
 * per vector. Each vector starts from a pseudo-random vector and takes `solves` solves of (T - theta I) z = b
 * by Gaussian elimination with partial pivoting (a zero pivot becomes eps ||T||). A vector is orthogonalised
 * (classical Gram-Schmidt, a second pass when the first cancels) against the earlier vectors whose eigenvalue
 * lies within `window` ||T||_1 (default 1e-5) of its own, after every solve: any two of those are within the
 * window of each
 * other, so they are orthonormal among themselves, and a repeated eigenvalue gets an orthonormal basis of its
 * eigenspace. Vectors further apart are orthogonal to about residual / gap <= 1e-16 / 1e-5 by their
 * residuals alone. (LAPACK's window is 1e-3 and chains neighbours into clusters; in QDG's bulk of nearly
 * equal eigenvalues that makes one cluster of all K and costs O(K^2 n), more than QL itself.)
 * The caller checks maxResidual (it is about eps; anything far above means the values were not T's).
 * With a Core the Gram-Schmidt passes run in Wasm (lanczos_project / lanczos_subtract): QDG's bulk of nearly
 * equal eigenvalues puts about a hundred earlier vectors in each window.
 */
export function tridiagonalEigenvectors(
  diag: ArrayLike<number>,
  offDiag: ArrayLike<number>,
  values: ArrayLike<number>,
  opts: {
    solves?: number;
    window?: number;
    seed?: number;
    core?: Core;
    /**
     * A second sub-diagonal (second[i] couples i and i + 2): T is then pentadiagonal (a block-2 Lanczos run's,
     * ./block.ts), factored by banded Gaussian elimination with partial pivoting (LAPACK dgbtrf's scheme).
     */
    second?: ArrayLike<number>;
  } = {},
): TridiagonalVectors {
  const n = diag.length;
  const k = values.length;
  const solves = opts.solves ?? 3;
  const window = opts.window ?? 1e-5;
  const e2 = opts.second;
  let tNorm = 0; // ||T||_1 = max column sum
  for (let i = 0; i < n; i++) {
    let s =
      Math.abs(diag[i]) + (i > 0 ? Math.abs(offDiag[i - 1]) : 0) + (i + 1 < n ? Math.abs(offDiag[i]) : 0);
    if (e2) s += (i > 1 ? Math.abs(e2[i - 2]) : 0) + (i + 2 < n ? Math.abs(e2[i]) : 0);
    tNorm = Math.max(tNorm, s);
  }
  if (tNorm === 0) tNorm = 1;
  const tiny = EPS * tNorm;
  // LU of T - theta I with partial pivoting (LAPACK dgttrf): l = multipliers, u0/u1/u2 = U's diagonals.
  const l = new Float64Array(n);
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const swap = new Uint8Array(n);
  const band = e2 ? pentadiagonalLU(diag, offDiag, e2, tNorm) : undefined;
  const core = opts.core;
  const mark = core?.mark();
  const buffers = core ? allocatePlan(core, inverseIterationPlan(n, k)) : undefined;
  const outPtr = buffers?.vectors ?? 0;
  const zPtr = buffers?.solve ?? 0;
  const hPtr = buffers?.dots ?? 0;
  // views made after the last allocation stay valid (memory only grows in alloc)
  const out = core ? core.f64(outPtr, k * n) : new Float64Array(k * n);
  const z = core ? core.f64(zPtr, n) : new Float64Array(n);
  const h = core ? core.f64(hPtr, k) : new Float64Array(k);
  let state = (opts.seed ?? 0x9e3779b9) >>> 0;
  const uniform = () => {
    // mulberry32: a start vector only needs to be generic, not Philox-quality
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  let first = 0; // first earlier vector inside the window of vector j
  let maxResidual = 0;
  for (let j = 0; j < k; j++) {
    const theta = values[j];
    while (first < j && values[first] - theta > window * tNorm) first++;
    if (band) band.factor(theta);
    else factor(theta);
    for (let i = 0; i < n; i++) z[i] = uniform();
    for (let s = 0; s < solves; s++) {
      if (band) band.solve(z);
      else solve();
      orthonormalise(j);
    }
    out.set(z, j * n);
    // residual ||T z - theta z||
    let rr = 0;
    for (let i = 0; i < n; i++) {
      let t = (diag[i] - theta) * z[i];
      if (i > 0) t += offDiag[i - 1] * z[i - 1];
      if (i + 1 < n) t += offDiag[i] * z[i + 1];
      if (e2) {
        if (i > 1) t += e2[i - 2] * z[i - 2];
        if (i + 2 < n) t += e2[i] * z[i + 2];
      }
      rr += t * t;
    }
    maxResidual = Math.max(maxResidual, Math.sqrt(rr) / tNorm);
  }
  const vectors = core ? out.slice() : out;
  if (core) core.release(mark as number);
  return { vectors, maxResidual };

  function factor(theta: number) {
    for (let i = 0; i < n; i++) {
      u0[i] = diag[i] - theta;
      u1[i] = i + 1 < n ? offDiag[i] : 0;
      u2[i] = 0;
      l[i] = i + 1 < n ? offDiag[i] : 0; // sub-diagonal entry below row i
      swap[i] = 0;
    }
    for (let i = 0; i + 1 < n; i++) {
      if (Math.abs(u0[i]) >= Math.abs(l[i])) {
        const f = u0[i] !== 0 ? l[i] / u0[i] : 0;
        l[i] = f;
        u0[i + 1] -= f * u1[i];
      } else {
        const f = u0[i] / l[i];
        u0[i] = l[i];
        l[i] = f;
        const t = u1[i];
        u1[i] = u0[i + 1];
        u0[i + 1] = t - f * u0[i + 1];
        if (i + 2 < n) {
          u2[i] = u1[i + 1];
          u1[i + 1] = -f * u1[i + 1];
        }
        swap[i] = 1;
      }
    }
    for (let i = 0; i < n; i++) if (Math.abs(u0[i]) < tiny) u0[i] = u0[i] < 0 ? -tiny : tiny;
  }

  /** z = (T - theta I)^-1 z with the current factors. */
  function solve() {
    for (let i = 0; i + 1 < n; i++) {
      if (swap[i]) {
        const t = z[i];
        z[i] = z[i + 1];
        z[i + 1] = t - l[i] * z[i];
      } else z[i + 1] -= l[i] * z[i];
    }
    z[n - 1] /= u0[n - 1];
    if (n > 1) z[n - 2] = (z[n - 2] - u1[n - 2] * z[n - 1]) / u0[n - 2];
    for (let i = n - 3; i >= 0; i--) z[i] = (z[i] - u1[i] * z[i + 1] - u2[i] * z[i + 2]) / u0[i];
    // rescale so the next solve cannot overflow (the growth is about 1 / (eps ||T||) per solve)
    let big = 0;
    for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(z[i]));
    if (big > 0 && Number.isFinite(big)) for (let i = 0; i < n; i++) z[i] /= big;
  }

  /** z -= (earlier vectors in the window) projections (again if that cancels); then z /= ||z||. */
  function orthonormalise(j: number) {
    let norm = vectorNorm();
    for (let pass = 0; pass < 2 && first < j; pass++) {
      const w = j - first;
      if (core) {
        core.kernels.lanczos_project(outPtr + first * n * 8, w, n, n, zPtr, hPtr);
        core.kernels.lanczos_subtract(outPtr + first * n * 8, w, n, n, hPtr, zPtr);
      } else {
        for (let r = 0; r < w; r++) {
          let t = 0;
          const o = (first + r) * n;
          for (let i = 0; i < n; i++) t += out[o + i] * z[i];
          h[r] = t;
        }
        for (let r = 0; r < w; r++) {
          const o = (first + r) * n;
          const t = h[r];
          for (let i = 0; i < n; i++) z[i] -= t * out[o + i];
        }
      }
      const prev = norm;
      norm = vectorNorm();
      if (norm > 0.7071 * prev) break;
    }
    for (let i = 0; i < n; i++) z[i] /= norm;
  }

  function vectorNorm(): number {
    let zz = 0;
    for (let i = 0; i < n; i++) zz += z[i] * z[i];
    return Math.sqrt(zz);
  }
}

const EPS = 2 ** -52;

/**
 * The number of eigenvalues below x of the symmetric pentadiagonal T (d, e1, e2): the negative pivots of
 * T - x I = L D L^T, L unit lower with two sub-diagonals (a pivot below pivmin becomes -pivmin).
 */
function pentadiagonalBelow(
  d: ArrayLike<number>,
  e1: ArrayLike<number>,
  e2: ArrayLike<number>,
  pivmin: number,
): (x: number) => number {
  const n = d.length;
  return (x: number) => {
    let count = 0;
    let d1 = 1; // D_{i-1}
    let d2 = 1; // D_{i-2}
    let l1 = 0; // L_{i,i-1}
    let l2 = 0; // L_{i,i-2}
    let next1 = 0; // L_{i+1,i-1}, made at step i-1
    for (let i = 0; i < n; i++) {
      let q = d[i] - x - (i > 0 ? l1 * l1 * d1 : 0) - (i > 1 ? l2 * l2 * d2 : 0);
      if (Math.abs(q) < pivmin) q = -pivmin;
      if (q < 0) count++;
      // L_{i+1,i} = (T_{i+1,i} - L_{i+1,i-1} L_{i,i-1} D_{i-1}) / D_i and L_{i+2,i} = T_{i+2,i} / D_i
      const a = i + 1 < n ? (e1[i] - (i > 0 ? next1 * l1 * d1 : 0)) / q : 0;
      const b = i + 2 < n ? e2[i] / q : 0;
      l2 = next1;
      l1 = a;
      next1 = b;
      d2 = d1;
      d1 = q;
    }
    return count;
  };
}

/**
 * LU with partial pivoting of the pentadiagonal T - theta I (diagonal d, sub-diagonals e1, e2), for inverse
 * iteration: row k of the band is stored over columns k-2..k+4 (7 entries; U reaches k+4 after interchanges),
 * the multipliers of step k in l[2k], l[2k+1], its interchange in piv[k]. A pivot below eps ||T|| becomes
 * eps ||T|| (keeping its sign), as for the tridiagonal factors. `solve` overwrites z with (T - theta I)^-1 z,
 * rescaled so that its largest entry is 1.
 */
function pentadiagonalLU(d: ArrayLike<number>, e1: ArrayLike<number>, e2: ArrayLike<number>, tNorm: number) {
  const n = d.length;
  const W = 7;
  const ab = new Float64Array(n * W);
  const l = new Float64Array(2 * n);
  const piv = new Int32Array(n);
  const tiny = EPS * tNorm;
  /** Index of T[r][c] in ab (c - r in -2..4). */
  const at = (r: number, c: number) => r * W + c - r + 2;
  return {
    factor(theta: number) {
      ab.fill(0);
      for (let r = 0; r < n; r++) {
        if (r >= 2) ab[at(r, r - 2)] = e2[r - 2];
        if (r >= 1) ab[at(r, r - 1)] = e1[r - 1];
        ab[at(r, r)] = d[r] - theta;
        if (r + 1 < n) ab[at(r, r + 1)] = e1[r];
        if (r + 2 < n) ab[at(r, r + 2)] = e2[r];
      }
      for (let k = 0; k < n; k++) {
        const last = Math.min(n - 1, k + 2);
        const cEnd = Math.min(n - 1, k + 4);
        let p = k;
        for (let r = k + 1; r <= last; r++) if (Math.abs(ab[at(r, k)]) > Math.abs(ab[at(p, k)])) p = r;
        piv[k] = p;
        if (p !== k) {
          for (let c = k; c <= cEnd; c++) {
            const t = ab[at(k, c)];
            ab[at(k, c)] = ab[at(p, c)];
            ab[at(p, c)] = t;
          }
        }
        let pivot = ab[at(k, k)];
        if (Math.abs(pivot) < tiny) pivot = ab[at(k, k)] = pivot < 0 ? -tiny : tiny;
        for (let r = k + 1; r <= last; r++) {
          const f = ab[at(r, k)] / pivot;
          l[2 * k + (r - k - 1)] = f;
          ab[at(r, k)] = 0;
          if (f !== 0) for (let c = k + 1; c <= cEnd; c++) ab[at(r, c)] -= f * ab[at(k, c)];
        }
      }
    },
    solve(z: Float64Array) {
      for (let k = 0; k < n; k++) {
        const p = piv[k];
        if (p !== k) {
          const t = z[k];
          z[k] = z[p];
          z[p] = t;
        }
        if (k + 1 < n) z[k + 1] -= l[2 * k] * z[k];
        if (k + 2 < n) z[k + 2] -= l[2 * k + 1] * z[k];
      }
      for (let k = n - 1; k >= 0; k--) {
        let t = z[k];
        const cEnd = Math.min(n - 1, k + 4);
        for (let c = k + 1; c <= cEnd; c++) t -= ab[at(k, c)] * z[c];
        z[k] = t / ab[at(k, k)];
      }
      let big = 0;
      for (let i = 0; i < n; i++) big = Math.max(big, Math.abs(z[i]));
      if (big > 0 && Number.isFinite(big)) for (let i = 0; i < n; i++) z[i] /= big;
    },
  };
}

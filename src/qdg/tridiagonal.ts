// The symmetric tridiagonal eigenproblem T s = theta s that Lanczos reduces a large matrix to: implicit QL
// with Wilkinson-type shifts (the tql2 / tqli algorithm), to machine precision, with the rotations applied to
// any set of tracked rows of the eigenvector matrix. Lanczos tracks only the bottom row while it iterates
// (the residual estimate beta_m |e_m^T s| needs nothing else) and all rows once, at the end.
//
// tridiagonalQL is the plain TypeScript twin of the Wasm kernel tridiag_ql (assembly/lanczos.ts), statement
// for statement; symmetricTridiagonalEigen is the convenient form (sorted values, eigenvectors as columns)
// and runs the Wasm kernel when a Core is given.
import type { Core } from '../core/arena.js';

/**
 * In place: d (f64[n]) becomes the eigenvalues (unsorted); e (f64[n], e[i] couples i and i+1) is destroyed;
 * zt (f64[n * R], zt[i*R + k] = Z[k][i]) has the rotations applied to its R tracked rows.
 * Returns -1 on success or the index of an eigenvalue that did not converge in 60 sweeps.
 */
export function tridiagonalQL(
  d: Float64Array,
  e: Float64Array,
  zt: Float64Array,
  n: number,
  R: number,
): number {
  if (n <= 1) return -1;
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) + dd === dd) break;
      }
      if (m === l) break;
      if (iter++ === 60) return l;
      const dl = d[l];
      const el = e[l];
      let g = (d[l + 1] - dl) / (2 * el);
      let r = pythag(g, 1);
      g = d[m] - dl + el / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let p = 0;
      let underflow = false;
      for (let i = m - 1; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = pythag(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= p;
          e[m] = 0;
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - p;
        r = (d[i] - g) * s + 2 * c * b;
        p = s * r;
        d[i + 1] = g + p;
        g = c * r - b;
        for (let k = 0; k < R; k++) {
          const a = zt[i * R + k];
          const z = zt[(i + 1) * R + k];
          zt[(i + 1) * R + k] = s * a + c * z;
          zt[i * R + k] = c * a - s * z;
        }
      }
      if (underflow) continue;
      d[l] = dl - p;
      e[l] = g;
      e[m] = 0;
    }
  }
  return -1;
}

export interface TridiagonalEigen {
  /** The eigenvalues, in the order asked for. */
  values: Float64Array;
  /** n x n row-major, vectors[i*n + j] = component i of eigenvector j (when vectors were asked for). */
  vectors?: Float64Array;
  /** bottom[j] = last component of eigenvector j (when the bottom row was asked for). */
  bottom?: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal `diag` (length n) and off-diagonal
 * `offDiag` (length >= n - 1, offDiag[i] couples i and i+1). `track` = 'vectors' (all eigenvectors),
 * 'bottom' (last components only, O(n^2)) or 'none'. With a Core the QL sweeps run in Wasm.
 */
export function symmetricTridiagonalEigen(
  diag: ArrayLike<number>,
  offDiag: ArrayLike<number>,
  opts: { track?: 'vectors' | 'bottom' | 'none'; order?: 'ascending' | 'descending'; core?: Core } = {},
): TridiagonalEigen {
  const n = diag.length;
  const track = opts.track ?? 'vectors';
  const R = track === 'vectors' ? n : track === 'bottom' ? 1 : 0;
  const d = Float64Array.from(diag);
  const e = new Float64Array(n);
  for (let i = 0; i + 1 < n; i++) e[i] = offDiag[i];
  const zt = new Float64Array(n * R);
  if (track === 'vectors') for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  else if (track === 'bottom' && n > 0) zt[n - 1] = 1;
  let failed: number;
  if (opts.core) {
    const core = opts.core;
    const mark = core.mark();
    try {
      const dp = core.allocF64(n);
      const ep = core.allocF64(n);
      const zp = core.allocF64(n * R);
      core.f64(dp, n).set(d);
      core.f64(ep, n).set(e);
      core.f64(zp, n * R).set(zt);
      failed = core.kernels.tridiag_ql(dp, ep, zp, n, R);
      d.set(core.f64(dp, n));
      zt.set(core.f64(zp, n * R));
    } finally {
      core.release(mark);
    }
  } else {
    failed = tridiagonalQL(d, e, zt, n, R);
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

/** sqrt(a^2 + b^2) without overflow, as assembly/lanczos.ts pythag() (so both round identically). */
function pythag(a: number, b: number): number {
  const x = Math.abs(a);
  const y = Math.abs(b);
  if (x > y) {
    const t = y / x;
    return x * Math.sqrt(1 + t * t);
  }
  if (y === 0) return 0;
  const t = x / y;
  return y * Math.sqrt(1 + t * t);
}

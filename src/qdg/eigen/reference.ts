// The plain twins of the eigen engine, test oracles and nothing else (no production file imports this one):
// - denseSymmetricEigen, the oracle of largestEigenpairs (./lanczos.ts) and of the spectral embedding: the
//   plain, slow, obviously-correct dense symmetric eigensolver, cyclic Jacobi rotations in f64 (Golub and
//   Van Loan, Algorithm 8.5.3), O(n^3) per sweep, for n up to a few hundred;
// - referenceTridiagonalQL, the twin of the Wasm kernel tridiag_ql (./tridiagonal.ts runs the kernel).

export interface DenseEigen {
  /** Ascending eigenvalues. */
  values: Float64Array;
  /** n x n row-major: vectors[i*n + j] = component i of the eigenvector of values[j]. */
  vectors: Float64Array;
}

/** All eigenpairs of the symmetric matrix `a` (n x n row-major, only read). */
export function denseSymmetricEigen(a: ArrayLike<number>, n: number): DenseEigen {
  const m = Float64Array.from(a);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < n * n; i++) scale += m[i] * m[i];
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += m[p * n + q] * m[p * n + q];
    if (off <= 1e-32 * scale || off === 0) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        // The rotation (c, s) that zeroes m[p][q].
        const tau = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = (tau >= 0 ? 1 : -1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p and q
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          // rows p and q
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => m[x * n + x] - m[y * n + y] || x - y);
  const values = Float64Array.from(order, (j) => m[j * n + j]);
  const vectors = new Float64Array(n * n);
  order.forEach((src, j) => {
    for (let i = 0; i < n; i++) vectors[i * n + j] = v[i * n + src];
  });
  return { values, vectors };
}

/**
 * The plain twin of the Wasm kernel tridiag_ql (assembly/lanczos.ts), statement for statement (a test
 * oracle). In place: d (f64[n]) becomes the eigenvalues (unsorted); e (f64[n], e[i] couples i and i+1) is destroyed;
 * zt (f64[n * R], zt[i*R + k] = Z[k][i]) has the rotations applied to its R tracked rows.
 * Returns -1 on success or the index of an eigenvalue that did not converge in 60 sweeps.
 */
export function referenceTridiagonalQL(
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

// The symmetric tridiagonal eigensolver behind Lanczos (./lanczos.ts builds the tridiagonal matrix T; this
// file diagonalises it). src/qdg/tridiagonal.ts drives it and holds its TypeScript twin.
//
//   d, e   f64[n]      diagonal and off-diagonal of T (e[i] couples i and i+1)
//   zt     f64[n * R]  R tracked rows of the eigenvector matrix, stored by column: zt[i*R + k] = Z[k][i]

/**
 * Implicit QL with Wilkinson-type shifts on a symmetric tridiagonal matrix (tql2/tqli): diagonal d (f64[n]),
 * off-diagonal e (f64[n], e[i] couples i and i+1, e[n-1] ignored). On return d holds the eigenvalues
 * (unsorted) and e is destroyed. The rotations are applied to R tracked rows of the eigenvector matrix,
 * stored by column in zt (f64[n * R], zt[i*R + k]); pass the identity (R = n) for all eigenvectors, or the
 * last unit row (R = 1, zt[n-1] = 1) for the bottom components that Lanczos residual estimates need.
 * Returns -1 on success, or the index of the eigenvalue that did not converge in 60 sweeps.
 */
export function tridiag_ql(d: usize, e: usize, zt: usize, n: i32, R: i32): i32 {
  if (n <= 1) return -1;
  store<f64>(e + ((<usize>(n - 1)) << 3), 0);
  const colBytes = (<usize>R) << 3;
  for (let l = 0; l < n; l++) {
    let iter = 0;
    for (;;) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = abs(load<f64>(d + ((<usize>m) << 3))) + abs(load<f64>(d + ((<usize>(m + 1)) << 3)));
        if (abs(load<f64>(e + ((<usize>m) << 3))) + dd == dd) break;
      }
      if (m == l) break;
      if (iter++ == 60) return l;
      const dl = load<f64>(d + ((<usize>l) << 3));
      const el = load<f64>(e + ((<usize>l) << 3));
      let g = (load<f64>(d + ((<usize>(l + 1)) << 3)) - dl) / (2.0 * el);
      let r = pythag(g, 1.0);
      g = load<f64>(d + ((<usize>m) << 3)) - dl + el / (g + (g >= 0 ? r : -r));
      let s: f64 = 1.0;
      let c: f64 = 1.0;
      let p: f64 = 0.0;
      let i = m - 1;
      let underflow = false;
      for (; i >= l; i--) {
        const ei = load<f64>(e + ((<usize>i) << 3));
        const f = s * ei;
        const b = c * ei;
        r = pythag(f, g);
        store<f64>(e + ((<usize>(i + 1)) << 3), r);
        if (r == 0.0) {
          const dp = d + ((<usize>(i + 1)) << 3);
          store<f64>(dp, load<f64>(dp) - p);
          store<f64>(e + ((<usize>m) << 3), 0);
          underflow = true;
          break;
        }
        s = f / r;
        c = g / r;
        g = load<f64>(d + ((<usize>(i + 1)) << 3)) - p;
        r = (load<f64>(d + ((<usize>i) << 3)) - g) * s + 2.0 * c * b;
        p = s * r;
        store<f64>(d + ((<usize>(i + 1)) << 3), g + p);
        g = c * r - b;
        rotateColumns(zt + <usize>i * colBytes, zt + <usize>(i + 1) * colBytes, R, c, s);
      }
      if (underflow) continue;
      store<f64>(d + ((<usize>l) << 3), dl - p);
      store<f64>(e + ((<usize>l) << 3), g);
      store<f64>(e + ((<usize>m) << 3), 0);
    }
  }
  return -1;
}

/** (zi, zj) <- (c zi - s zj, s zi + c zj) over R entries: column i and i+1 of the tracked rows. */
function rotateColumns(zi: usize, zj: usize, R: i32, c: f64, s: f64): void {
  const cv = f64x2.splat(c);
  const sv = f64x2.splat(s);
  let k = 0;
  for (; k + 1 < R; k += 2) {
    const o = (<usize>k) << 3;
    const a = v128.load(zi + o);
    const b = v128.load(zj + o);
    v128.store(zj + o, f64x2.add(f64x2.mul(sv, a), f64x2.mul(cv, b)));
    v128.store(zi + o, f64x2.sub(f64x2.mul(cv, a), f64x2.mul(sv, b)));
  }
  if (k < R) {
    const o = (<usize>k) << 3;
    const a = load<f64>(zi + o);
    const b = load<f64>(zj + o);
    store<f64>(zj + o, s * a + c * b);
    store<f64>(zi + o, c * a - s * b);
  }
}

/** sqrt(a^2 + b^2) without overflow, written out so the TypeScript twin rounds identically. */
function pythag(a: f64, b: f64): f64 {
  const x = abs(a);
  const y = abs(b);
  if (x > y) {
    const t = y / x;
    return x * Math.sqrt(1.0 + t * t);
  }
  if (y == 0.0) return 0.0;
  const t = x / y;
  return y * Math.sqrt(1.0 + t * t);
}

// Over 450 lines by choice: the Lanczos vector kernels (products, projections, Ritz vectors), one family.
// Lanczos eigensolver kernels for QDG's spectral embedding (src/qdg/eigen/lanczos.ts drives them); the tridiagonal
// eigensolver of its Ritz step is ./tridiagonal.ts.
//
// Shapes and storage (all pointers are byte offsets into the one linear memory):
//   A      f32[S * S]   the symmetric matrix, row-major (A[i*S + j]); f32 halves the memory of S = 20,000
//   x, y, w, h           f64 vectors
//   V      f64[m * ld]  the Lanczos basis, one basis vector per ROW: v_r[i] = V[r*ld + i], ld >= S
//   Y      f64[m * K]   Ritz coefficients, row-major: Y[r*K + k] = component r of Ritz vector k
// Every vector kernel accumulates in f64; the f32 matrix is promoted lane by lane, so the matrix is the only
// quantity held in single precision. v128 loads need no alignment in Wasm; 64-byte alignment (Core.alloc)
// and ld a multiple of 8 keep them on cache lines.
import { addProducts4, hsumF64x2, load2f32, madd } from './simd';

/**
 * y = A x for a dense S x S matrix A (f32, row-major, A[i*S + j]) and f64 vectors x, y (f64[S]).
 * Rows are taken two at a time so each x load serves two rows. `y` must not overlap `x` or `A`.
 * Symmetry is not used (reading a triangle would halve the bytes read but double the stores).
 */
export function lanczos_symv(a: usize, S: i32, x: usize, y: usize): void {
  const rowBytes = (<usize>S) << 2;
  let i = 0;
  for (; i + 1 < S; i += 2) {
    const r0 = a + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    let s0a = f64x2.splat(0);
    let s0b = f64x2.splat(0);
    let s1a = f64x2.splat(0);
    let s1b = f64x2.splat(0);
    let j = 0;
    for (; j + 3 < S; j += 4) {
      const xp = x + ((<usize>j) << 3);
      const xa = v128.load(xp);
      const xb = v128.load(xp, 16);
      const o = (<usize>j) << 2;
      s0a = f64x2.add(s0a, f64x2.mul(load2f32(r0 + o), xa));
      s0b = f64x2.add(s0b, f64x2.mul(load2f32(r0 + o + 8), xb));
      s1a = f64x2.add(s1a, f64x2.mul(load2f32(r1 + o), xa));
      s1b = f64x2.add(s1b, f64x2.mul(load2f32(r1 + o + 8), xb));
    }
    let t0 = hsumF64x2(f64x2.add(s0a, s0b));
    let t1 = hsumF64x2(f64x2.add(s1a, s1b));
    for (; j < S; j++) {
      const xj = load<f64>(x + ((<usize>j) << 3));
      t0 += <f64>load<f32>(r0 + ((<usize>j) << 2)) * xj;
      t1 += <f64>load<f32>(r1 + ((<usize>j) << 2)) * xj;
    }
    store<f64>(y + ((<usize>i) << 3), t0);
    store<f64>(y + ((<usize>(i + 1)) << 3), t1);
  }
  if (i < S) {
    const r0 = a + <usize>i * rowBytes;
    let t0: f64 = 0;
    for (let j = 0; j < S; j++)
      t0 += <f64>load<f32>(r0 + ((<usize>j) << 2)) * load<f64>(x + ((<usize>j) << 3));
    store<f64>(y + ((<usize>i) << 3), t0);
  }
}

/**
 * y = A x reading only the upper triangle of A (A[i*S + j], j >= i; f32, row-major, S x S): each stored
 * entry serves twice, t_i += A_ij x_j and y_j += A_ij x_i, so a product reads half the bytes of
 * lanczos_symv and each promoted f32 pair feeds two multiply-adds. The operator is exactly symmetric
 * (the lower triangle is never read). x, y: f64[S]; `y` is overwritten and must not overlap `x` or `A`.
 * Rows are taken four at a time: each load and store of y[j..j+1] serves four rows.
 */
export function lanczos_symv_upper(a: usize, S: i32, x: usize, y: usize): void {
  lanczos_symv_upper_rows(a, S, S, 0, S, x, y);
}

/**
 * The share of rows i0 <= i < i1 in lanczos_symv_upper's product: y[i0..S) = the terms A_ij x_j (j >= i) of
 * those rows and their mirrors A_ij x_i, in the same order as lanczos_symv_upper takes them from row i0 on
 * (which is this with i0 = 0, i1 = S). Row i is read at a + i * lda * 4 (columns i..S-1), so `a` may point
 * at a copy holding only rows 0..i1-1 (lda = S), or at the whole matrix. y[0..i0) is not touched; y[i0..S)
 * is overwritten. i0 and i1 multiples of 4 (but i1 = S) keep the four-row blocks of the whole product, which
 * is how src/qdg/eigen/split.ts makes a product from two row blocks the same on one thread or two.
 */
export function lanczos_symv_upper_rows(
  a: usize,
  lda: i32,
  S: i32,
  i0: i32,
  i1: i32,
  x: usize,
  y: usize,
): void {
  memory.fill(y + ((<usize>i0) << 3), 0, (<usize>(S - i0)) << 3);
  const rowBytes = (<usize>lda) << 2;
  let i = i0;
  for (; i + 3 < i1; i += 4) {
    const r0 = a + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    const xp = x + ((<usize>i) << 3);
    const x0 = load<f64>(xp);
    const x1 = load<f64>(xp, 8);
    const x2 = load<f64>(xp, 16);
    const x3 = load<f64>(xp, 24);
    const c = (<usize>i) << 2;
    // the 4 x 4 diagonal block, upper triangle mirrored
    const a00 = <f64>load<f32>(r0 + c);
    const a01 = <f64>load<f32>(r0 + c, 4);
    const a02 = <f64>load<f32>(r0 + c, 8);
    const a03 = <f64>load<f32>(r0 + c, 12);
    const a11 = <f64>load<f32>(r1 + c, 4);
    const a12 = <f64>load<f32>(r1 + c, 8);
    const a13 = <f64>load<f32>(r1 + c, 12);
    const a22 = <f64>load<f32>(r2 + c, 8);
    const a23 = <f64>load<f32>(r2 + c, 12);
    const a33 = <f64>load<f32>(r3 + c, 12);
    let t0 = a00 * x0 + a01 * x1 + (a02 * x2 + a03 * x3);
    let t1 = a01 * x0 + a11 * x1 + (a12 * x2 + a13 * x3);
    let t2 = a02 * x0 + a12 * x1 + (a22 * x2 + a23 * x3);
    let t3 = a03 * x0 + a13 * x1 + (a23 * x2 + a33 * x3);
    const x0v = f64x2.splat(x0);
    const x1v = f64x2.splat(x1);
    const x2v = f64x2.splat(x2);
    const x3v = f64x2.splat(x3);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    let j = i + 4;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 2;
      const q = (<usize>j) << 3;
      const xv = v128.load(x + q);
      const b0 = load2f32(r0 + o);
      const b1 = load2f32(r1 + o);
      const b2 = load2f32(r2 + o);
      const b3 = load2f32(r3 + o);
      s0 = madd(b0, xv, s0);
      s1 = madd(b1, xv, s1);
      s2 = madd(b2, xv, s2);
      s3 = madd(b3, xv, s3);
      v128.store(y + q, addProducts4(v128.load(y + q), b0, x0v, b1, x1v, b2, x2v, b3, x3v));
    }
    t0 += hsumF64x2(s0);
    t1 += hsumF64x2(s1);
    t2 += hsumF64x2(s2);
    t3 += hsumF64x2(s3);
    if (j < S) {
      const o = (<usize>j) << 2;
      const q = (<usize>j) << 3;
      const xj = load<f64>(x + q);
      const b0 = <f64>load<f32>(r0 + o);
      const b1 = <f64>load<f32>(r1 + o);
      const b2 = <f64>load<f32>(r2 + o);
      const b3 = <f64>load<f32>(r3 + o);
      t0 += b0 * xj;
      t1 += b1 * xj;
      t2 += b2 * xj;
      t3 += b3 * xj;
      store<f64>(y + q, load<f64>(y + q) + (b0 * x0 + b1 * x1 + (b2 * x2 + b3 * x3)));
    }
    const yp = y + ((<usize>i) << 3);
    store<f64>(yp, load<f64>(yp) + t0);
    store<f64>(yp, load<f64>(yp, 8) + t1, 8);
    store<f64>(yp, load<f64>(yp, 16) + t2, 16);
    store<f64>(yp, load<f64>(yp, 24) + t3, 24);
  }
  // the last (i1 - i0) mod 4 rows, one at a time (row i's entries left of the diagonal came from earlier rows)
  for (; i < i1; i++) {
    const r = a + <usize>i * rowBytes;
    const xi = load<f64>(x + ((<usize>i) << 3));
    let t = <f64>load<f32>(r + ((<usize>i) << 2)) * xi;
    for (let j = i + 1; j < S; j++) {
      const aij = <f64>load<f32>(r + ((<usize>j) << 2));
      const q = y + ((<usize>j) << 3);
      t += aij * load<f64>(x + ((<usize>j) << 3));
      store<f64>(q, load<f64>(q) + aij * xi);
    }
    const yp = y + ((<usize>i) << 3);
    store<f64>(yp, load<f64>(yp) + t);
  }
}

/**
 * Y = A X for eight vectors at once, reading only the upper triangle of A (A[i*S + j], j >= i; f32,
 * row-major), the same symmetric operator as lanczos_symv_upper: each stored entry serves row i (Y_i += A_ij
 * X_j) and row j (Y_j += A_ij X_i) for all eight vectors. X and Y f64[S * 8] row-major (X[j*8 + c] =
 * component j of vector c). `Y` is overwritten and must not overlap `X` or `A`.
 */
export function lanczos_symm8_upper(a: usize, S: i32, x: usize, y: usize): void {
  memory.fill(y, 0, (<usize>S) << 6);
  const rowBytes = (<usize>S) << 2;
  for (let i = 0; i < S; i++) {
    const r = a + <usize>i * rowBytes;
    const xi = x + ((<usize>i) << 6);
    const yi = y + ((<usize>i) << 6);
    const x0 = v128.load(xi);
    const x1 = v128.load(xi, 16);
    const x2 = v128.load(xi, 32);
    const x3 = v128.load(xi, 48);
    const d = f64x2.splat(<f64>load<f32>(r + ((<usize>i) << 2)));
    let p0 = f64x2.add(v128.load(yi), f64x2.mul(d, x0));
    let p1 = f64x2.add(v128.load(yi, 16), f64x2.mul(d, x1));
    let p2 = f64x2.add(v128.load(yi, 32), f64x2.mul(d, x2));
    let p3 = f64x2.add(v128.load(yi, 48), f64x2.mul(d, x3));
    for (let j = i + 1; j < S; j++) {
      const u = f64x2.splat(<f64>load<f32>(r + ((<usize>j) << 2)));
      const xp = x + ((<usize>j) << 6);
      const yp = y + ((<usize>j) << 6);
      p0 = f64x2.add(p0, f64x2.mul(u, v128.load(xp)));
      p1 = f64x2.add(p1, f64x2.mul(u, v128.load(xp, 16)));
      p2 = f64x2.add(p2, f64x2.mul(u, v128.load(xp, 32)));
      p3 = f64x2.add(p3, f64x2.mul(u, v128.load(xp, 48)));
      v128.store(yp, f64x2.add(v128.load(yp), f64x2.mul(u, x0)));
      v128.store(yp, f64x2.add(v128.load(yp, 16), f64x2.mul(u, x1)), 16);
      v128.store(yp, f64x2.add(v128.load(yp, 32), f64x2.mul(u, x2)), 32);
      v128.store(yp, f64x2.add(v128.load(yp, 48), f64x2.mul(u, x3)), 48);
    }
    v128.store(yi, p0);
    v128.store(yi, p1, 16);
    v128.store(yi, p2, 32);
    v128.store(yi, p3, 48);
  }
}

/** Dot product of two f64[n] vectors. */
function dot(p: usize, q: usize, n: i32): f64 {
  let sa = f64x2.splat(0);
  let sb = f64x2.splat(0);
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const o = (<usize>j) << 3;
    sa = f64x2.add(sa, f64x2.mul(v128.load(p + o), v128.load(q + o)));
    sb = f64x2.add(sb, f64x2.mul(v128.load(p + o, 16), v128.load(q + o, 16)));
  }
  let t = hsumF64x2(f64x2.add(sa, sb));
  for (; j < n; j++) t += load<f64>(p + ((<usize>j) << 3)) * load<f64>(q + ((<usize>j) << 3));
  return t;
}

/**
 * h = V^T w: h[r] = sum_i V[r*ld + i] * w[i] for r < m (the first half of a classical Gram-Schmidt pass).
 * V: f64[m * ld] basis rows; w: f64[S]; h: f64[m]. Four basis rows share each load of w.
 */
export function lanczos_project(v: usize, m: i32, ld: i32, S: i32, w: usize, h: usize): void {
  const rowBytes = (<usize>ld) << 3;
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const p0 = v + <usize>r * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    let j = 0;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 3;
      const wv = v128.load(w + o);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(p0 + o), wv));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(p1 + o), wv));
      s2 = f64x2.add(s2, f64x2.mul(v128.load(p2 + o), wv));
      s3 = f64x2.add(s3, f64x2.mul(v128.load(p3 + o), wv));
    }
    let t0 = hsumF64x2(s0);
    let t1 = hsumF64x2(s1);
    let t2 = hsumF64x2(s2);
    let t3 = hsumF64x2(s3);
    if (j < S) {
      const o = (<usize>j) << 3;
      const wj = load<f64>(w + o);
      t0 += load<f64>(p0 + o) * wj;
      t1 += load<f64>(p1 + o) * wj;
      t2 += load<f64>(p2 + o) * wj;
      t3 += load<f64>(p3 + o) * wj;
    }
    const hp = h + ((<usize>r) << 3);
    store<f64>(hp, t0);
    store<f64>(hp, t1, 8);
    store<f64>(hp, t2, 16);
    store<f64>(hp, t3, 24);
  }
  for (; r < m; r++) store<f64>(h + ((<usize>r) << 3), dot(v + <usize>r * rowBytes, w, S));
}

/**
 * w -= V h: w[i] -= sum_r h[r] * V[r*ld + i] for r < m (the second half of a Gram-Schmidt pass).
 * V: f64[m * ld]; h: f64[m]; w: f64[S], must not overlap V. Four basis rows per sweep over w.
 */
export function lanczos_subtract(v: usize, m: i32, ld: i32, S: i32, h: usize, w: usize): void {
  const rowBytes = (<usize>ld) << 3;
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const p0 = v + <usize>r * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    const hp = h + ((<usize>r) << 3);
    const h0s = load<f64>(hp);
    const h1s = load<f64>(hp, 8);
    const h2s = load<f64>(hp, 16);
    const h3s = load<f64>(hp, 24);
    const h0 = f64x2.splat(h0s);
    const h1 = f64x2.splat(h1s);
    const h2 = f64x2.splat(h2s);
    const h3 = f64x2.splat(h3s);
    let j = 0;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 3;
      const sum = f64x2.add(
        f64x2.add(f64x2.mul(v128.load(p0 + o), h0), f64x2.mul(v128.load(p1 + o), h1)),
        f64x2.add(f64x2.mul(v128.load(p2 + o), h2), f64x2.mul(v128.load(p3 + o), h3)),
      );
      v128.store(w + o, f64x2.sub(v128.load(w + o), sum));
    }
    if (j < S) {
      const o = (<usize>j) << 3;
      const sum =
        load<f64>(p0 + o) * h0s +
        load<f64>(p1 + o) * h1s +
        (load<f64>(p2 + o) * h2s + load<f64>(p3 + o) * h3s);
      store<f64>(w + o, load<f64>(w + o) - sum);
    }
  }
  for (; r < m; r++) {
    const p = v + <usize>r * rowBytes;
    const hr = load<f64>(h + ((<usize>r) << 3));
    for (let j = 0; j < S; j++) {
      const o = (<usize>j) << 3;
      store<f64>(w + o, load<f64>(w + o) - hr * load<f64>(p + o));
    }
  }
}

/**
 * w -= V32 h with an f32 copy of the basis: w[i] -= sum_r h[r] * V32[r*ld + i] for r < m, products and sums
 * in f64. V32: f32[m * ld] (ld >= S); h: f64[m]; w: f64[S], must not overlap V32. Reads half the bytes of
 * lanczos_subtract; the caller uses it only when every |h[r]| is so small against ||w|| that the f32
 * rounding of the basis (2^-24 relative) is below f64 rounding of w.
 */
export function lanczos_subtract_f32(v: usize, m: i32, ld: i32, S: i32, h: usize, w: usize): void {
  const rowBytes = (<usize>ld) << 2;
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const p0 = v + <usize>r * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    const hp = h + ((<usize>r) << 3);
    const h0s = load<f64>(hp);
    const h1s = load<f64>(hp, 8);
    const h2s = load<f64>(hp, 16);
    const h3s = load<f64>(hp, 24);
    const h0 = f64x2.splat(h0s);
    const h1 = f64x2.splat(h1s);
    const h2 = f64x2.splat(h2s);
    const h3 = f64x2.splat(h3s);
    let j = 0;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 2;
      const q = w + ((<usize>j) << 3);
      const sum = f64x2.add(
        f64x2.add(f64x2.mul(load2f32(p0 + o), h0), f64x2.mul(load2f32(p1 + o), h1)),
        f64x2.add(f64x2.mul(load2f32(p2 + o), h2), f64x2.mul(load2f32(p3 + o), h3)),
      );
      v128.store(q, f64x2.sub(v128.load(q), sum));
    }
    if (j < S) {
      const o = (<usize>j) << 2;
      const q = w + ((<usize>j) << 3);
      const sum =
        <f64>load<f32>(p0 + o) * h0s +
        <f64>load<f32>(p1 + o) * h1s +
        (<f64>load<f32>(p2 + o) * h2s + <f64>load<f32>(p3 + o) * h3s);
      store<f64>(q, load<f64>(q) - sum);
    }
  }
  for (; r < m; r++) {
    const p = v + <usize>r * rowBytes;
    const hr = load<f64>(h + ((<usize>r) << 3));
    for (let j = 0; j < S; j++) {
      const q = w + ((<usize>j) << 3);
      store<f64>(q, load<f64>(q) - hr * <f64>load<f32>(p + ((<usize>j) << 2)));
    }
  }
}

/**
 * Ritz vectors: out[i*K + k] = sum_{r<m} V[r*ld + i] * Y[r*K + k], i.e. out (S x K, row-major) = V^T Y.
 * V: f64[m * ld]; Y: f64[m * K]; out: f64[S * K], overwritten, must not overlap V or Y.
 * Blocked for the cache: 64 columns of Y by 256 of its rows (128 KiB) are reused across all S rows of out.
 * Register tile: two rows of out by eight columns (16 accumulators in 8 v128), so each load of Y serves
 * two rows and each basis entry eight columns.
 */
export function lanczos_ritz(v: usize, m: i32, ld: i32, S: i32, y: usize, K: i32, out: usize): void {
  memory.fill(out, 0, <usize>S * <usize>K * 8);
  const KB = 64;
  const RB = 256;
  const rowBytes = (<usize>ld) << 3;
  const outRow = (<usize>K) << 3;
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = min(K, k0 + KB);
    for (let r0 = 0; r0 < m; r0 += RB) {
      const r1 = min(m, r0 + RB);
      let i = 0;
      for (; i + 1 < S; i += 2) {
        const op = out + <usize>i * outRow;
        const vp = v + ((<usize>i) << 3);
        let k = k0;
        for (; k + 7 < k1; k += 8) {
          const ko = (<usize>k) << 3;
          const o0 = op + ko;
          const o1 = o0 + outRow;
          let p0 = v128.load(o0);
          let p1 = v128.load(o0, 16);
          let p2 = v128.load(o0, 32);
          let p3 = v128.load(o0, 48);
          let q0 = v128.load(o1);
          let q1 = v128.load(o1, 16);
          let q2 = v128.load(o1, 32);
          let q3 = v128.load(o1, 48);
          for (let r = r0; r < r1; r++) {
            const rp = vp + <usize>r * rowBytes;
            const a = f64x2.splat(load<f64>(rp));
            const b = f64x2.splat(load<f64>(rp, 8));
            const yp = y + <usize>r * outRow + ko;
            const y0 = v128.load(yp);
            const y1 = v128.load(yp, 16);
            const y2 = v128.load(yp, 32);
            const y3 = v128.load(yp, 48);
            p0 = madd(a, y0, p0);
            p1 = madd(a, y1, p1);
            p2 = madd(a, y2, p2);
            p3 = madd(a, y3, p3);
            q0 = madd(b, y0, q0);
            q1 = madd(b, y1, q1);
            q2 = madd(b, y2, q2);
            q3 = madd(b, y3, q3);
          }
          v128.store(o0, p0);
          v128.store(o0, p1, 16);
          v128.store(o0, p2, 32);
          v128.store(o0, p3, 48);
          v128.store(o1, q0);
          v128.store(o1, q1, 16);
          v128.store(o1, q2, 32);
          v128.store(o1, q3, 48);
        }
        for (; k < k1; k++) {
          const ko = (<usize>k) << 3;
          let t0 = load<f64>(op + ko);
          let t1 = load<f64>(op + outRow + ko);
          for (let r = r0; r < r1; r++) {
            const rp = vp + <usize>r * rowBytes;
            const yk = load<f64>(y + <usize>r * outRow + ko);
            t0 += load<f64>(rp) * yk;
            t1 += load<f64>(rp, 8) * yk;
          }
          store<f64>(op + ko, t0);
          store<f64>(op + outRow + ko, t1);
        }
      }
      if (i < S) {
        const op = out + <usize>i * outRow;
        const vp = v + ((<usize>i) << 3);
        for (let k = k0; k < k1; k++) {
          const ko = (<usize>k) << 3;
          let t = load<f64>(op + ko);
          for (let r = r0; r < r1; r++)
            t += load<f64>(vp + <usize>r * rowBytes) * load<f64>(y + <usize>r * outRow + ko);
          store<f64>(op + ko, t);
        }
      }
    }
  }
}

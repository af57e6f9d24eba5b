// Block-2 Lanczos kernels: the product, projection and subtraction of ./lanczos.ts for two vectors at once, so
// that one pass over the matrix or the basis serves both vectors (half the bytes of two one-vector calls).
//
// Shapes and storage, as in ./lanczos.ts (pointers are byte offsets; everything accumulates in f64):
//   A      f32[S * lda]  the matrix, row-major; only its upper triangle (j >= i) is read, and mirrored
//   x, y   f64[2 * S]    two vectors INTERLEAVED: x[2*j + c] = component j of vector c, so one v128 load
//                        holds component j of both
//   V      f64[m * ld]   the basis, one vector per row (V32: its f32 copy, stride ld32)
//   w0, w1 f64[S]        the two vectors projected on and subtracted from the basis
//   h      f64[2 * m]    their coefficients, interleaved: h[2*r + c] = <v_r, w_c>
import { lanczos_project, lanczos_subtract, lanczos_subtract_f32 } from './lanczos';
import { addProducts4, hsumF64x2, load2f32, madd } from './simd';

/** Loads one f32 at `p` into both lanes of an f64x2 (a broadcast load, then one conversion). */
function splatF32(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load32_splat(p));
}

/** (a0 b0 + a1 b1) + (a2 b2 + a3 b3), lane-wise: the order in which ./lanczos.ts sums four rows. */
function sum4(a0: v128, b0: v128, a1: v128, b1: v128, a2: v128, b2: v128, a3: v128, b3: v128): v128 {
  return f64x2.add(
    f64x2.add(f64x2.mul(a0, b0), f64x2.mul(a1, b1)),
    f64x2.add(f64x2.mul(a2, b2), f64x2.mul(a3, b3)),
  );
}

/**
 * Two products at once, Y = A [x0 x1] (x, y interleaved f64[2*S]), for the rows i0 <= i < i1 of A's upper
 * triangle: lanczos_symv_upper_rows for two vectors, with the same contract. y[2*i0 .. 2*S) is overwritten
 * with those rows' terms, A_ij x_j (j >= i) into y_i and their mirrors A_ij x_i (j > i) into y_j;
 * y[0 .. 2*i0) is not touched. Row i is read at a + i * lda * 4 (columns i..S-1). i0 and i1 multiples of 4
 * (but i1 = S) keep the four-row blocks of the whole product (0, S), as src/qdg/eigen/split.ts needs. `y`
 * must not overlap `x` or `A`.
 *
 * Each entry A_ij is loaded once, broadcast to both lanes and used twice: times x_j (both vectors) into row
 * i's accumulator and times x_i into y_j. The arithmetic is twice lanczos_symv_upper_rows' (four products per
 * entry instead of two, and f64x2 has no fused multiply-add), the matrix bytes the same: on one thread it
 * takes about 1.9 times as long in cache and 1.5 times from DRAM (S = 10,000), against 2 for two calls. A
 * broadcast load and a conversion per entry beat promoting pairs and splitting them with shuffles (15%), and
 * keep the loop's long-lived values to eight (four accumulators, x of the block's four rows), which V8 can
 * keep in registers; vector-by-vector pairs (x de-interleaved) need sixteen, and spill.
 * Vector c of the result equals lanczos_symv_upper_rows on vector c up to rounding (the row sums are added in
 * another order), not bit for bit.
 */
export function lanczos_symv2_upper_rows(
  a: usize,
  lda: i32,
  S: i32,
  i0: i32,
  i1: i32,
  x: usize,
  y: usize,
): void {
  memory.fill(y + ((<usize>i0) << 4), 0, (<usize>(S - i0)) << 4);
  const rowBytes = (<usize>lda) << 2;
  // the last (i1 - i0) mod 4 rows (only when i1 = S), one at a time; their terms land in y[2*i ..) only. They
  // come before the blocks because after them this loop made V8 keep two of the blocks' accumulators in
  // memory (20% slower).
  for (let i = i0 + ((i1 - i0) & ~3); i < i1; i++) {
    const r = a + <usize>i * rowBytes;
    const xi = v128.load(x + ((<usize>i) << 4));
    let t = f64x2.mul(splatF32(r + ((<usize>i) << 2)), xi);
    for (let j = i + 1; j < S; j++) {
      const aij = splatF32(r + ((<usize>j) << 2));
      const q = (<usize>j) << 4;
      t = f64x2.add(t, f64x2.mul(aij, v128.load(x + q)));
      v128.store(y + q, f64x2.add(v128.load(y + q), f64x2.mul(aij, xi)));
    }
    const yp = y + ((<usize>i) << 4);
    v128.store(yp, f64x2.add(v128.load(yp), t));
  }
  let i = i0;
  for (; i + 3 < i1; i += 4) {
    const r0 = a + <usize>i * rowBytes;
    const r1 = r0 + rowBytes;
    const r2 = r1 + rowBytes;
    const r3 = r2 + rowBytes;
    const xp = x + ((<usize>i) << 4);
    const x0 = v128.load(xp);
    const x1 = v128.load(xp, 16);
    const x2 = v128.load(xp, 32);
    const x3 = v128.load(xp, 48);
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    // two columns per iteration: one alone pays the loop's own instructions twice as often, four were slower
    let j = i + 4;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 2;
      const p0 = r0 + o;
      const p1 = r1 + o;
      const p2 = r2 + o;
      const p3 = r3 + o;
      const xq = x + ((<usize>j) << 4);
      const yq = y + ((<usize>j) << 4);
      const xa = v128.load(xq);
      const d0 = splatF32(p0);
      const d1 = splatF32(p1);
      const d2 = splatF32(p2);
      const d3 = splatF32(p3);
      s0 = madd(d0, xa, s0);
      s1 = madd(d1, xa, s1);
      s2 = madd(d2, xa, s2);
      s3 = madd(d3, xa, s3);
      v128.store(yq, addProducts4(v128.load(yq), d0, x0, d1, x1, d2, x2, d3, x3));
      const xb = v128.load(xq, 16);
      const e0 = splatF32(p0 + 4);
      const e1 = splatF32(p1 + 4);
      const e2 = splatF32(p2 + 4);
      const e3 = splatF32(p3 + 4);
      s0 = madd(e0, xb, s0);
      s1 = madd(e1, xb, s1);
      s2 = madd(e2, xb, s2);
      s3 = madd(e3, xb, s3);
      v128.store(yq, addProducts4(v128.load(yq, 16), e0, x0, e1, x1, e2, x2, e3, x3), 16);
    }
    if (j < S) {
      const o = (<usize>j) << 2;
      const yq = y + ((<usize>j) << 4);
      const xa = v128.load(x + ((<usize>j) << 4));
      const d0 = splatF32(r0 + o);
      const d1 = splatF32(r1 + o);
      const d2 = splatF32(r2 + o);
      const d3 = splatF32(r3 + o);
      s0 = madd(d0, xa, s0);
      s1 = madd(d1, xa, s1);
      s2 = madd(d2, xa, s2);
      s3 = madd(d3, xa, s3);
      v128.store(yq, addProducts4(v128.load(yq), d0, x0, d1, x1, d2, x2, d3, x3));
    }
    // the 4 x 4 diagonal block, upper triangle mirrored
    const c = (<usize>i) << 2;
    const a00 = splatF32(r0 + c);
    const a01 = splatF32(r0 + c + 4);
    const a02 = splatF32(r0 + c + 8);
    const a03 = splatF32(r0 + c + 12);
    const a11 = splatF32(r1 + c + 4);
    const a12 = splatF32(r1 + c + 8);
    const a13 = splatF32(r1 + c + 12);
    const a22 = splatF32(r2 + c + 8);
    const a23 = splatF32(r2 + c + 12);
    const a33 = splatF32(r3 + c + 12);
    const yp = y + ((<usize>i) << 4);
    v128.store(yp, f64x2.add(v128.load(yp), f64x2.add(sum4(a00, x0, a01, x1, a02, x2, a03, x3), s0)));
    v128.store(yp, f64x2.add(v128.load(yp, 16), f64x2.add(sum4(a01, x0, a11, x1, a12, x2, a13, x3), s1)), 16);
    v128.store(yp, f64x2.add(v128.load(yp, 32), f64x2.add(sum4(a02, x0, a12, x1, a22, x2, a23, x3), s2)), 32);
    v128.store(yp, f64x2.add(v128.load(yp, 48), f64x2.add(sum4(a03, x0, a13, x1, a23, x2, a33, x3), s3)), 48);
  }
}

/**
 * h[2*r + c] = sum_i V[r*ld + i] * w_c[i] for r < m and c = 0, 1: lanczos_project for two vectors, reading
 * each basis row once. V: f64[m * ld]; w0, w1: f64[S]; h: f64[2*m]. Each coefficient is summed exactly as
 * lanczos_project sums it (four rows per block, coordinate pairs, then the last m mod 4 rows by lanczos_project
 * itself), so h holds lanczos_project's bits for w0 and for w1; a row's value depends on neither m nor where
 * a call's rows start, when calls are cut at multiples of 4 (src/qdg/eigen/split.ts).
 */
export function lanczos_project2(v: usize, m: i32, ld: i32, S: i32, w0: usize, w1: usize, h: usize): void {
  const rowBytes = (<usize>ld) << 3;
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const p0 = v + <usize>r * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    // sRC: row R against w_C
    let s00 = f64x2.splat(0);
    let s01 = f64x2.splat(0);
    let s10 = f64x2.splat(0);
    let s11 = f64x2.splat(0);
    let s20 = f64x2.splat(0);
    let s21 = f64x2.splat(0);
    let s30 = f64x2.splat(0);
    let s31 = f64x2.splat(0);
    let j = 0;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 3;
      const a = v128.load(w0 + o);
      const b = v128.load(w1 + o);
      const v0 = v128.load(p0 + o);
      const v1 = v128.load(p1 + o);
      const v2 = v128.load(p2 + o);
      const v3 = v128.load(p3 + o);
      s00 = f64x2.add(s00, f64x2.mul(v0, a));
      s01 = f64x2.add(s01, f64x2.mul(v0, b));
      s10 = f64x2.add(s10, f64x2.mul(v1, a));
      s11 = f64x2.add(s11, f64x2.mul(v1, b));
      s20 = f64x2.add(s20, f64x2.mul(v2, a));
      s21 = f64x2.add(s21, f64x2.mul(v2, b));
      s30 = f64x2.add(s30, f64x2.mul(v3, a));
      s31 = f64x2.add(s31, f64x2.mul(v3, b));
    }
    let t00 = hsumF64x2(s00);
    let t01 = hsumF64x2(s01);
    let t10 = hsumF64x2(s10);
    let t11 = hsumF64x2(s11);
    let t20 = hsumF64x2(s20);
    let t21 = hsumF64x2(s21);
    let t30 = hsumF64x2(s30);
    let t31 = hsumF64x2(s31);
    if (j < S) {
      const o = (<usize>j) << 3;
      const a = load<f64>(w0 + o);
      const b = load<f64>(w1 + o);
      const v0 = load<f64>(p0 + o);
      const v1 = load<f64>(p1 + o);
      const v2 = load<f64>(p2 + o);
      const v3 = load<f64>(p3 + o);
      t00 += v0 * a;
      t01 += v0 * b;
      t10 += v1 * a;
      t11 += v1 * b;
      t20 += v2 * a;
      t21 += v2 * b;
      t30 += v3 * a;
      t31 += v3 * b;
    }
    const hp = h + ((<usize>r) << 4);
    store<f64>(hp, t00);
    store<f64>(hp, t01, 8);
    store<f64>(hp, t10, 16);
    store<f64>(hp, t11, 24);
    store<f64>(hp, t20, 32);
    store<f64>(hp, t21, 40);
    store<f64>(hp, t30, 48);
    store<f64>(hp, t31, 56);
  }
  for (; r < m; r++) {
    const p = v + <usize>r * rowBytes;
    const hp = h + ((<usize>r) << 4);
    lanczos_project(p, 1, ld, S, w0, hp);
    lanczos_project(p, 1, ld, S, w1, hp + 8);
  }
}

/**
 * w_c[i] -= sum_{r<m} h[2*r + c] * V[r*ld + i] for c = 0, 1: lanczos_subtract for two vectors, reading each
 * basis row once. V: f64[m * ld]; h: f64[2*m]; w0, w1: f64[S], not overlapping V. Each w_c[i] gets exactly
 * lanczos_subtract's operations (four rows per block, summed in its order; then the last m mod 4 rows by
 * lanczos_subtract itself), so the result is its bits for each vector, and coordinates are independent: a
 * call cut at any coordinate (src/qdg/eigen/split.ts cuts at an even one) gives the bits of the whole call.
 */
export function lanczos_subtract2(v: usize, m: i32, ld: i32, S: i32, h: usize, w0: usize, w1: usize): void {
  const rowBytes = (<usize>ld) << 3;
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const p0 = v + <usize>r * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    const hp = h + ((<usize>r) << 4);
    // hRC: row R's coefficient for w_C
    const h00 = load<f64>(hp);
    const h01 = load<f64>(hp, 8);
    const h10 = load<f64>(hp, 16);
    const h11 = load<f64>(hp, 24);
    const h20 = load<f64>(hp, 32);
    const h21 = load<f64>(hp, 40);
    const h30 = load<f64>(hp, 48);
    const h31 = load<f64>(hp, 56);
    const h00v = f64x2.splat(h00);
    const h01v = f64x2.splat(h01);
    const h10v = f64x2.splat(h10);
    const h11v = f64x2.splat(h11);
    const h20v = f64x2.splat(h20);
    const h21v = f64x2.splat(h21);
    const h30v = f64x2.splat(h30);
    const h31v = f64x2.splat(h31);
    let j = 0;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 3;
      const v0 = v128.load(p0 + o);
      const v1 = v128.load(p1 + o);
      const v2 = v128.load(p2 + o);
      const v3 = v128.load(p3 + o);
      const q0 = w0 + o;
      const q1 = w1 + o;
      v128.store(q0, f64x2.sub(v128.load(q0), sum4(v0, h00v, v1, h10v, v2, h20v, v3, h30v)));
      v128.store(q1, f64x2.sub(v128.load(q1), sum4(v0, h01v, v1, h11v, v2, h21v, v3, h31v)));
    }
    if (j < S) {
      const o = (<usize>j) << 3;
      const v0 = load<f64>(p0 + o);
      const v1 = load<f64>(p1 + o);
      const v2 = load<f64>(p2 + o);
      const v3 = load<f64>(p3 + o);
      store<f64>(w0 + o, load<f64>(w0 + o) - (v0 * h00 + v1 * h10 + (v2 * h20 + v3 * h30)));
      store<f64>(w1 + o, load<f64>(w1 + o) - (v0 * h01 + v1 * h11 + (v2 * h21 + v3 * h31)));
    }
  }
  for (; r < m; r++) {
    const p = v + <usize>r * rowBytes;
    const hp = h + ((<usize>r) << 4);
    lanczos_subtract(p, 1, ld, S, hp, w0);
    lanczos_subtract(p, 1, ld, S, hp + 8, w1);
  }
}

/**
 * lanczos_subtract2 with the f32 copy of the basis (V32: f32[m * ld32], promoted to f64): w_c[i] -= sum_{r<m}
 * h[2*r + c] * V32[r*ld32 + i]. Each w_c gets exactly lanczos_subtract_f32's operations (its bits), and a
 * call cut at any coordinate gives the bits of the whole call. The caller's condition for the f32 basis
 * (lanczos_subtract_f32) must hold for both vectors.
 */
export function lanczos_subtract2_f32(
  v32: usize,
  m: i32,
  ld32: i32,
  S: i32,
  h: usize,
  w0: usize,
  w1: usize,
): void {
  const rowBytes = (<usize>ld32) << 2;
  let r = 0;
  for (; r + 3 < m; r += 4) {
    const p0 = v32 + <usize>r * rowBytes;
    const p1 = p0 + rowBytes;
    const p2 = p1 + rowBytes;
    const p3 = p2 + rowBytes;
    const hp = h + ((<usize>r) << 4);
    const h00 = load<f64>(hp);
    const h01 = load<f64>(hp, 8);
    const h10 = load<f64>(hp, 16);
    const h11 = load<f64>(hp, 24);
    const h20 = load<f64>(hp, 32);
    const h21 = load<f64>(hp, 40);
    const h30 = load<f64>(hp, 48);
    const h31 = load<f64>(hp, 56);
    const h00v = f64x2.splat(h00);
    const h01v = f64x2.splat(h01);
    const h10v = f64x2.splat(h10);
    const h11v = f64x2.splat(h11);
    const h20v = f64x2.splat(h20);
    const h21v = f64x2.splat(h21);
    const h30v = f64x2.splat(h30);
    const h31v = f64x2.splat(h31);
    let j = 0;
    for (; j + 1 < S; j += 2) {
      const o = (<usize>j) << 2;
      const v0 = load2f32(p0 + o);
      const v1 = load2f32(p1 + o);
      const v2 = load2f32(p2 + o);
      const v3 = load2f32(p3 + o);
      const q0 = w0 + ((<usize>j) << 3);
      const q1 = w1 + ((<usize>j) << 3);
      v128.store(q0, f64x2.sub(v128.load(q0), sum4(v0, h00v, v1, h10v, v2, h20v, v3, h30v)));
      v128.store(q1, f64x2.sub(v128.load(q1), sum4(v0, h01v, v1, h11v, v2, h21v, v3, h31v)));
    }
    if (j < S) {
      const o = (<usize>j) << 2;
      const q = (<usize>j) << 3;
      const v0 = <f64>load<f32>(p0 + o);
      const v1 = <f64>load<f32>(p1 + o);
      const v2 = <f64>load<f32>(p2 + o);
      const v3 = <f64>load<f32>(p3 + o);
      store<f64>(w0 + q, load<f64>(w0 + q) - (v0 * h00 + v1 * h10 + (v2 * h20 + v3 * h30)));
      store<f64>(w1 + q, load<f64>(w1 + q) - (v0 * h01 + v1 * h11 + (v2 * h21 + v3 * h31)));
    }
  }
  for (; r < m; r++) {
    const p = v32 + <usize>r * rowBytes;
    const hp = h + ((<usize>r) << 4);
    lanczos_subtract_f32(p, 1, ld32, S, hp, w0);
    lanczos_subtract_f32(p, 1, ld32, S, hp + 8, w1);
  }
}

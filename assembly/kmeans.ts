// k-means in f64 (SPEC.md 4.1 step 9: the label assignment of spectral clustering). The data X is S x d
// row-major f64 (ld = d), centres are k x d. Squared distances are ||x||^2 - 2 x.c + ||c||^2, with every
// x.c of a block of rows computed as one SIMD matrix product (gemm_abt_f64), clamped at 0.
// The bounded (Elkan) kernels with f32 products that kmeans() uses are in ./kmeans-bounded.ts.

/** Columns per pass of the f64 product (2 KiB of a row in L1). */
const KC: i32 = 256;
/** Rows of B per panel. */
const JB: i32 = 64;
/** Rows of X per assignment block (the block's dot products, RB x k f64, are the scratch). */
const KMEANS_ROW_BLOCK: i32 = 64;

function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

function micro4x2d(C: usize, ldcB: usize, a: usize, ldaB: usize, b: usize, ldbB: usize, kc: i32): void {
  let s00 = f64x2.splat(0);
  let s01 = f64x2.splat(0);
  let s10 = f64x2.splat(0);
  let s11 = f64x2.splat(0);
  let s20 = f64x2.splat(0);
  let s21 = f64x2.splat(0);
  let s30 = f64x2.splat(0);
  let s31 = f64x2.splat(0);
  const a1 = a + ldaB;
  const a2 = a1 + ldaB;
  const a3 = a2 + ldaB;
  const b1 = b + ldbB;
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const off = (<usize>k) << 3;
    const v0 = v128.load(b + off);
    const v1 = v128.load(b1 + off);
    let x = v128.load(a + off);
    s00 = f64x2.add(s00, f64x2.mul(x, v0));
    s01 = f64x2.add(s01, f64x2.mul(x, v1));
    x = v128.load(a1 + off);
    s10 = f64x2.add(s10, f64x2.mul(x, v0));
    s11 = f64x2.add(s11, f64x2.mul(x, v1));
    x = v128.load(a2 + off);
    s20 = f64x2.add(s20, f64x2.mul(x, v0));
    s21 = f64x2.add(s21, f64x2.mul(x, v1));
    x = v128.load(a3 + off);
    s30 = f64x2.add(s30, f64x2.mul(x, v0));
    s31 = f64x2.add(s31, f64x2.mul(x, v1));
  }
  let t00 = hsum(s00);
  let t01 = hsum(s01);
  let t10 = hsum(s10);
  let t11 = hsum(s11);
  let t20 = hsum(s20);
  let t21 = hsum(s21);
  let t30 = hsum(s30);
  let t31 = hsum(s31);
  if (k < kc) {
    const off = (<usize>k) << 3;
    const v0 = load<f64>(b + off);
    const v1 = load<f64>(b1 + off);
    let x = load<f64>(a + off);
    t00 += x * v0;
    t01 += x * v1;
    x = load<f64>(a1 + off);
    t10 += x * v0;
    t11 += x * v1;
    x = load<f64>(a2 + off);
    t20 += x * v0;
    t21 += x * v1;
    x = load<f64>(a3 + off);
    t30 += x * v0;
    t31 += x * v1;
  }
  store<f64>(C, load<f64>(C) + t00);
  store<f64>(C + 8, load<f64>(C + 8) + t01);
  const C1 = C + ldcB;
  store<f64>(C1, load<f64>(C1) + t10);
  store<f64>(C1 + 8, load<f64>(C1 + 8) + t11);
  const C2 = C1 + ldcB;
  store<f64>(C2, load<f64>(C2) + t20);
  store<f64>(C2 + 8, load<f64>(C2 + 8) + t21);
  const C3 = C2 + ldcB;
  store<f64>(C3, load<f64>(C3) + t30);
  store<f64>(C3 + 8, load<f64>(C3 + 8) + t31);
}

// C[r][0] += A[r] . B[0] for r in 0..4 (the odd last column of a panel), sharing each load of B.
function micro4x1d(C: usize, ldcB: usize, a: usize, ldaB: usize, b: usize, kc: i32): void {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let s2 = f64x2.splat(0);
  let s3 = f64x2.splat(0);
  const a1 = a + ldaB;
  const a2 = a1 + ldaB;
  const a3 = a2 + ldaB;
  let k = 0;
  for (; k + 2 <= kc; k += 2) {
    const off = (<usize>k) << 3;
    const v = v128.load(b + off);
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + off), v));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a1 + off), v));
    s2 = f64x2.add(s2, f64x2.mul(v128.load(a2 + off), v));
    s3 = f64x2.add(s3, f64x2.mul(v128.load(a3 + off), v));
  }
  let t0 = hsum(s0);
  let t1 = hsum(s1);
  let t2 = hsum(s2);
  let t3 = hsum(s3);
  if (k < kc) {
    const off = (<usize>k) << 3;
    const v = load<f64>(b + off);
    t0 += load<f64>(a + off) * v;
    t1 += load<f64>(a1 + off) * v;
    t2 += load<f64>(a2 + off) * v;
    t3 += load<f64>(a3 + off) * v;
  }
  store<f64>(C, load<f64>(C) + t0);
  const C1 = C + ldcB;
  store<f64>(C1, load<f64>(C1) + t1);
  const C2 = C1 + ldcB;
  store<f64>(C2, load<f64>(C2) + t2);
  const C3 = C2 + ldcB;
  store<f64>(C3, load<f64>(C3) + t3);
}

function dot1d(a: usize, b: usize, kc: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= kc; k += 4) {
    const off = (<usize>k) << 3;
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + off), v128.load(b + off)));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a + off + 16), v128.load(b + off + 16)));
  }
  let t = hsum(f64x2.add(s0, s1));
  for (; k < kc; k++) {
    const off = (<usize>k) << 3;
    t += load<f64>(a + off) * load<f64>(b + off);
  }
  return t;
}

/**
 * C += A B^T in f64: A m x K (lda), B n x K (ldb), C m x n (ldc), row-major, all entries (no triangle).
 * Cache-blocked like gemm_abt_f32 (K chunks of KC, panels of JB rows of B, a 4 x 2 register tile).
 */
export function gemm_abt_f64(
  C: usize,
  ldc: i32,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  m: i32,
  n: i32,
  K: i32,
): void {
  const ldcB = (<usize>ldc) << 3;
  const ldaB = (<usize>lda) << 3;
  const ldbB = (<usize>ldb) << 3;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const kOff = (<usize>k0) << 3;
    for (let j0 = 0; j0 < n; j0 += JB) {
      const j1 = min(n, j0 + JB);
      let i = 0;
      for (; i + 4 <= m; i += 4) {
        const a = A + <usize>i * ldaB + kOff;
        const crow = C + <usize>i * ldcB;
        let j = j0;
        for (; j + 2 <= j1; j += 2) {
          micro4x2d(crow + ((<usize>j) << 3), ldcB, a, ldaB, B + <usize>j * ldbB + kOff, ldbB, kc);
        }
        if (j < j1) micro4x1d(crow + ((<usize>j) << 3), ldcB, a, ldaB, B + <usize>j * ldbB + kOff, kc);
      }
      for (; i < m; i++) {
        const a = A + <usize>i * ldaB + kOff;
        for (let j = j0; j < j1; j++) {
          const p = C + <usize>i * ldcB + ((<usize>j) << 3);
          store<f64>(p, load<f64>(p) + dot1d(a, B + <usize>j * ldbB + kOff, kc));
        }
      }
    }
  }
}

/** Squared Euclidean norms of the S rows of X (S x d f64) into out f64[S]. */
export function kmeans_row_norms(X: usize, S: i32, d: i32, out: usize): void {
  const rowB = (<usize>d) << 3;
  for (let i = 0; i < S; i++) {
    const r = X + <usize>i * rowB;
    store<f64>(out + ((<usize>i) << 3), dot1d(r, r, d));
  }
}

/**
 * Assignment step: labels[i] = argmin_c ||x_i - c||^2 (first index on ties), minDist[i] = that squared
 * distance (>= 0). X S x d f64, xNorm f64[S], centers k x d f64, cNorm f64[k], labels i32[S], minDist
 * f64[S], scratch f64[KMEANS_ROW_BLOCK * k]. Returns the inertia sum_i minDist[i].
 */
export function kmeans_assign(
  X: usize,
  S: i32,
  d: i32,
  xNorm: usize,
  centers: usize,
  k: i32,
  cNorm: usize,
  labels: usize,
  minDist: usize,
  scratch: usize,
): f64 {
  const rowB = (<usize>d) << 3;
  const kB = (<usize>k) << 3;
  let inertia: f64 = 0;
  for (let r0 = 0; r0 < S; r0 += KMEANS_ROW_BLOCK) {
    const rb = min(KMEANS_ROW_BLOCK, S - r0);
    memory.fill(scratch, 0, <usize>rb * kB);
    gemm_abt_f64(scratch, k, X + <usize>r0 * rowB, d, centers, d, rb, k, d);
    for (let r = 0; r < rb; r++) {
      const dots = scratch + <usize>r * kB;
      let best = 0;
      let bestV = load<f64>(cNorm) - 2 * load<f64>(dots);
      for (let c = 1; c < k; c++) {
        const v = load<f64>(cNorm + ((<usize>c) << 3)) - 2 * load<f64>(dots + ((<usize>c) << 3));
        if (v < bestV) {
          bestV = v;
          best = c;
        }
      }
      const i = r0 + r;
      const dist = max<f64>(0, load<f64>(xNorm + ((<usize>i) << 3)) + bestV);
      store<i32>(labels + ((<usize>i) << 2), best);
      store<f64>(minDist + ((<usize>i) << 3), dist);
      inertia += dist;
    }
  }
  return inertia;
}

/**
 * Update step: centers[c] = mean of the rows of X labelled c; counts[c] = their number (f64[k]). An empty
 * cluster's centre is left at 0 with count 0 (the caller relocates it). X S x d, labels i32[S] in [0, k).
 */
export function kmeans_update(
  X: usize,
  S: i32,
  d: i32,
  labels: usize,
  k: i32,
  centers: usize,
  counts: usize,
): void {
  updateClusters(X, S, d, labels, k, centers, counts, 0);
}

/**
 * kmeans_update for the clusters with dirty[j] != 0 (i32[k]) only: their centres and counts are recomputed
 * exactly as kmeans_update computes them (the same sums in the same order, so the same bits); the other
 * clusters' centres and counts are left as they are (the caller keeps them from the step that made them:
 * a cluster whose members did not change gets the same bits again).
 */
export function kmeans_update_dirty(
  X: usize,
  S: i32,
  d: i32,
  labels: usize,
  k: i32,
  centers: usize,
  counts: usize,
  dirty: usize,
): void {
  updateClusters(X, S, d, labels, k, centers, counts, dirty);
}

/** The update of every cluster (dirty = 0) or of those with dirty[c] != 0: sums in row order, then 1/n. */
function updateClusters(
  X: usize,
  S: i32,
  d: i32,
  labels: usize,
  k: i32,
  centers: usize,
  counts: usize,
  dirty: usize,
): void {
  const rowB = (<usize>d) << 3;
  for (let c = 0; c < k; c++) {
    if (dirty && load<i32>(dirty + ((<usize>c) << 2)) == 0) continue;
    memory.fill(centers + <usize>c * rowB, 0, rowB);
    store<f64>(counts + ((<usize>c) << 3), 0);
  }
  for (let i = 0; i < S; i++) {
    const c = load<i32>(labels + ((<usize>i) << 2));
    if (dirty && load<i32>(dirty + ((<usize>c) << 2)) == 0) continue;
    const cp = counts + ((<usize>c) << 3);
    store<f64>(cp, load<f64>(cp) + 1);
    const dst = centers + <usize>c * rowB;
    const src = X + <usize>i * rowB;
    let j = 0;
    for (; j + 2 <= d; j += 2) {
      const off = (<usize>j) << 3;
      v128.store(dst + off, f64x2.add(v128.load(dst + off), v128.load(src + off)));
    }
    if (j < d) {
      const off = (<usize>j) << 3;
      store<f64>(dst + off, load<f64>(dst + off) + load<f64>(src + off));
    }
  }
  for (let c = 0; c < k; c++) {
    if (dirty && load<i32>(dirty + ((<usize>c) << 2)) == 0) continue;
    const n = load<f64>(counts + ((<usize>c) << 3));
    if (n == 0) continue;
    const inv = 1 / n;
    const dst = centers + <usize>c * rowB;
    for (let j = 0; j < d; j++) {
      const off = (<usize>j) << 3;
      store<f64>(dst + off, load<f64>(dst + off) * inv);
    }
  }
}

/**
 * k-means++ local trials: for each of t candidate centres (cand t x d f64, candNorm f64[t]) the squared
 * distances to every row of X go to dist (S x t f64, row i = the t distances of row i; overwritten) and its
 * potential sum_i min(closest[i], dist[i][c]) to pots f64[t]. closest f64[S] is the current squared distance
 * of each row to its nearest chosen centre. (X is the left operand of the product, so the 4-row register
 * tiles run over the S rows, not over the few candidates.)
 */
export function kmeans_pp_trials(
  X: usize,
  S: i32,
  d: i32,
  xNorm: usize,
  cand: usize,
  candNorm: usize,
  t: i32,
  closest: usize,
  dist: usize,
  pots: usize,
): void {
  const tB = (<usize>t) << 3;
  memory.fill(dist, 0, <usize>S * tB);
  memory.fill(pots, 0, tB);
  gemm_abt_f64(dist, t, X, d, cand, d, S, t, d);
  for (let i = 0; i < S; i++) {
    const row = dist + <usize>i * tB;
    const xn = load<f64>(xNorm + ((<usize>i) << 3));
    const cl = load<f64>(closest + ((<usize>i) << 3));
    for (let c = 0; c < t; c++) {
      const off = (<usize>c) << 3;
      const v = max<f64>(0, xn + load<f64>(candNorm + off) - 2 * load<f64>(row + off));
      store<f64>(row + off, v);
      store<f64>(pots + off, load<f64>(pots + off) + min<f64>(v, cl));
    }
  }
}

/**
 * closest[i] = min(closest[i], dist[i * stride]) over S rows (f64): accepting a k-means++ candidate, whose
 * distances are a column of the S x stride matrix of kmeans_pp_trials (dist = its base + 8 c).
 */
export function kmeans_pp_accept(closest: usize, dist: usize, S: i32, stride: i32): void {
  const sB = (<usize>stride) << 3;
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 3;
    store<f64>(closest + off, min<f64>(load<f64>(closest + off), load<f64>(dist + <usize>i * sB)));
  }
}

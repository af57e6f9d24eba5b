// k-means in f64 (SPEC.md 4.1 step 9: the label assignment of spectral clustering). The data X is S x d
// row-major f64 (ld = d), centres are k x d. Squared distances are ||x||^2 - 2 x.c + ||c||^2, with every
// x.c of a block of rows computed as one SIMD matrix product (gemm_abt_f64, ./gemm.ts), clamped at 0.
// The bounded (Elkan) kernels with f32 products that kmeans() uses are in ./kmeans-bounded.ts.
import { dot1d, gemm_abt_f64 } from './gemm';
import { closestSum, potentialOf, potentialStep } from './kmeans-common';

/** Rows of X per assignment block (the block's dot products, RB x k f64, are the scratch). */
const KMEANS_ROW_BLOCK: i32 = 64;

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
 * order i32[S] and starts i32[k + 1] are scratch.
 */
export function kmeans_update(
  X: usize,
  S: i32,
  d: i32,
  labels: usize,
  k: i32,
  centers: usize,
  counts: usize,
  order: usize,
  starts: usize,
): void {
  sumClusters(X, S, d, labels, k, centers, counts, 0, 0, order, starts);
  scaleClusters(centers, centers, counts, k, d, 0, 0);
}

/** A cluster's incremental sum is rebuilt from zero once it has had this many terms per member (and 16 more). */
const REBUILD_TERMS: f64 = 4;

/**
 * Lloyd's update from the moves of one step: sums (k x d f64) hold each cluster's sum of member rows, built
 * from zero in row order and since then changed by the rows that left (subtracted) and joined (added), in row
 * order; terms f64[k] counts the additions and subtractions each sum has had since it was last built from
 * zero. labels i32[S] are the new labels, prev i32[S] the labels the sums describe; counts f64[k] the
 * member counts (updated). For each cluster that a row left or joined: rebuilt from zero (the kmeans_update
 * sum) when its moves are at least its new member count (the cheaper way) or when its terms would pass
 * REBUILD_TERMS x n + 16 (which bounds the error: see gramCentresUpdated in src/qdg/kmeans/gram.ts), and
 * otherwise updated by its moves; then its centre = sum x (1/n), or 0 when it is empty. all != 0, or more
 * than S / 2 moved rows, rebuilds every cluster. flags i32[k] out: 1 where the centre was recomputed (0
 * elsewhere; centres and counts of those clusters are untouched). order i32[S], starts i32[k + 1]: scratch.
 */
export function kmeans_update_moves(
  X: usize,
  S: i32,
  d: i32,
  labels: usize,
  prev: usize,
  k: i32,
  sums: usize,
  centers: usize,
  counts: usize,
  terms: usize,
  flags: usize,
  all: i32,
  order: usize,
  starts: usize,
): void {
  const kB = (<usize>k) << 2;
  let moved = 0;
  if (!all) {
    for (let i = 0; i < S; i++) {
      const off = (<usize>i) << 2;
      if (load<i32>(labels + off) != load<i32>(prev + off)) moved++;
    }
  }
  if (all || moved * 2 > S) {
    sumClusters(X, S, d, labels, k, sums, counts, 0, 0, order, starts);
    for (let c = 0; c < k; c++) {
      store<f64>(terms + ((<usize>c) << 3), load<f64>(counts + ((<usize>c) << 3)));
      store<i32>(flags + ((<usize>c) << 2), 1);
    }
    scaleClusters(sums, centers, counts, k, d, 0, 0);
    return;
  }
  // moves per cluster (starts[c + 1]) and the new counts
  memory.fill(starts, 0, kB + 4);
  memory.fill(flags, 0, kB);
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 2;
    const a = load<i32>(prev + off);
    const b = load<i32>(labels + off);
    if (a == b) continue;
    const sa = starts + ((<usize>(a + 1)) << 2);
    store<i32>(sa, load<i32>(sa) + 1);
    const sb = starts + ((<usize>(b + 1)) << 2);
    store<i32>(sb, load<i32>(sb) + 1);
    const ca = counts + ((<usize>a) << 3);
    store<f64>(ca, load<f64>(ca) - 1);
    const cb = counts + ((<usize>b) << 3);
    store<f64>(cb, load<f64>(cb) + 1);
  }
  // the way of each changed cluster: 1 by its moves, 2 rebuilt from zero
  let rebuild = 0;
  for (let c = 0; c < k; c++) {
    const m = <f64>load<i32>(starts + ((<usize>(c + 1)) << 2));
    if (m == 0) continue;
    const n = load<f64>(counts + ((<usize>c) << 3));
    const t = load<f64>(terms + ((<usize>c) << 3)) + m;
    const way = m >= n || t > REBUILD_TERMS * n + 16 ? 2 : 1;
    store<i32>(flags + ((<usize>c) << 2), way);
    if (way == 2) rebuild++;
    else store<f64>(terms + ((<usize>c) << 3), t);
  }
  // the moves grouped by cluster (rows ascending within one; a leaving row stored as -1 - row)
  for (let c = 0; c < k; c++) {
    const sp = starts + ((<usize>(c + 1)) << 2);
    store<i32>(sp, load<i32>(sp) + load<i32>(sp - 4));
  }
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 2;
    const a = load<i32>(prev + off);
    const b = load<i32>(labels + off);
    if (a == b) continue;
    const sa = starts + ((<usize>a) << 2);
    const at = load<i32>(sa);
    store<i32>(order + ((<usize>at) << 2), -1 - i);
    store<i32>(sa, at + 1);
    const sb = starts + ((<usize>b) << 2);
    const bt = load<i32>(sb);
    store<i32>(order + ((<usize>bt) << 2), i);
    store<i32>(sb, bt + 1);
  }
  // the cursors sit at each group's end, which is the next group's start
  const rowB = (<usize>d) << 3;
  let e: i32 = 0;
  for (let c = 0; c < k; c++) {
    const e1 = load<i32>(starts + ((<usize>c) << 2));
    if (load<i32>(flags + ((<usize>c) << 2)) == 1) {
      const dst = sums + <usize>c * rowB;
      for (let p = e; p < e1; p++) {
        const r = load<i32>(order + ((<usize>p) << 2));
        if (r < 0) subRowF64(dst, X + <usize>(-1 - r) * rowB, d);
        else addRowF64(dst, X + <usize>r * rowB, d);
      }
    }
    e = e1;
  }
  if (rebuild > 0) {
    sumClusters(X, S, d, labels, k, sums, counts, flags, 2, order, starts);
    for (let c = 0; c < k; c++) {
      const f = flags + ((<usize>c) << 2);
      if (load<i32>(f) != 2) continue;
      store<f64>(terms + ((<usize>c) << 3), load<f64>(counts + ((<usize>c) << 3)));
      store<i32>(f, 1);
    }
  }
  scaleClusters(sums, centers, counts, k, d, flags, 1);
}

/**
 * Sums of member rows from zero, in row order (rows ascending), of every cluster (flags = 0) or of those with
 * flags[c] == want, into sums (k x d f64), and their member counts into counts f64[k]. The rows are first
 * grouped by cluster (a counting sort) so that a sum is read and written once per four members
 * (addRows4F64); every value gets the same additions in the same order as a row-by-row pass.
 */
function sumClusters(
  X: usize,
  S: i32,
  d: i32,
  labels: usize,
  k: i32,
  sums: usize,
  counts: usize,
  flags: usize,
  want: i32,
  order: usize,
  starts: usize,
): void {
  const rowB = (<usize>d) << 3;
  memory.fill(starts, 0, (<usize>(k + 1)) << 2);
  for (let i = 0; i < S; i++) {
    const c = load<i32>(labels + ((<usize>i) << 2));
    if (flags && load<i32>(flags + ((<usize>c) << 2)) != want) continue;
    const sp = starts + ((<usize>(c + 1)) << 2);
    store<i32>(sp, load<i32>(sp) + 1);
  }
  for (let c = 0; c < k; c++) {
    const sp = starts + ((<usize>(c + 1)) << 2);
    store<i32>(sp, load<i32>(sp) + load<i32>(sp - 4));
  }
  for (let i = 0; i < S; i++) {
    const c = load<i32>(labels + ((<usize>i) << 2));
    if (flags && load<i32>(flags + ((<usize>c) << 2)) != want) continue;
    const sp = starts + ((<usize>c) << 2);
    const at = load<i32>(sp);
    store<i32>(order + ((<usize>at) << 2), i);
    store<i32>(sp, at + 1);
  }
  // the cursors now sit at each group's end: shift them back to the starts
  for (let c = k; c > 0; c--)
    store<i32>(starts + ((<usize>c) << 2), load<i32>(starts + ((<usize>(c - 1)) << 2)));
  store<i32>(starts, 0);
  for (let c = 0; c < k; c++) {
    if (flags && load<i32>(flags + ((<usize>c) << 2)) != want) continue;
    const e1 = load<i32>(starts + ((<usize>(c + 1)) << 2));
    let e = load<i32>(starts + ((<usize>c) << 2));
    store<f64>(counts + ((<usize>c) << 3), <f64>(e1 - e));
    const dst = sums + <usize>c * rowB;
    memory.fill(dst, 0, rowB);
    for (; e + 4 <= e1; e += 4) {
      const at = order + ((<usize>e) << 2);
      addRows4F64(
        dst,
        X + <usize>load<i32>(at) * rowB,
        X + <usize>load<i32>(at + 4) * rowB,
        X + <usize>load<i32>(at + 8) * rowB,
        X + <usize>load<i32>(at + 12) * rowB,
        d,
      );
    }
    for (; e < e1; e++) addRowF64(dst, X + <usize>load<i32>(order + ((<usize>e) << 2)) * rowB, d);
  }
}

/**
 * centers[c] = sums[c] x (1/n_c) (n_c = counts[c]; 0 when n_c is 0) for every cluster (flags = 0) or those with
 * flags[c] == want. sums may be centers (in place).
 */
function scaleClusters(
  sums: usize,
  centers: usize,
  counts: usize,
  k: i32,
  d: i32,
  flags: usize,
  want: i32,
): void {
  const rowB = (<usize>d) << 3;
  for (let c = 0; c < k; c++) {
    if (flags && load<i32>(flags + ((<usize>c) << 2)) != want) continue;
    const n = load<f64>(counts + ((<usize>c) << 3));
    const src = sums + <usize>c * rowB;
    const dst = centers + <usize>c * rowB;
    if (n == 0) {
      memory.fill(dst, 0, rowB);
      continue;
    }
    const inv = 1 / n;
    for (let j = 0; j < d; j++) {
      const off = (<usize>j) << 3;
      store<f64>(dst + off, load<f64>(src + off) * inv);
    }
  }
}

/** dst f64[d] -= src f64[d]. */
function subRowF64(dst: usize, src: usize, d: i32): void {
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const off = (<usize>j) << 3;
    v128.store(dst + off, f64x2.sub(v128.load(dst + off), v128.load(src + off)));
  }
  if (j < d) {
    const off = (<usize>j) << 3;
    store<f64>(dst + off, load<f64>(dst + off) - load<f64>(src + off));
  }
}

/** dst f64[d] += src f64[d]. */
function addRowF64(dst: usize, src: usize, d: i32): void {
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

/** dst f64[d] += a, then b, then c, then e (f64[d] each): four addRowF64 calls' bits, dst read and written once. */
function addRows4F64(dst: usize, a: usize, b: usize, c: usize, e: usize, d: i32): void {
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const off = (<usize>j) << 3;
    const s = f64x2.add(f64x2.add(v128.load(dst + off), v128.load(a + off)), v128.load(b + off));
    v128.store(dst + off, f64x2.add(f64x2.add(s, v128.load(c + off)), v128.load(e + off)));
  }
  if (j < d) {
    const off = (<usize>j) << 3;
    let v = load<f64>(dst + off) + load<f64>(a + off);
    v += load<f64>(b + off);
    v += load<f64>(c + off);
    store<f64>(dst + off, v + load<f64>(e + off));
  }
}

/**
 * k-means++ local trials: for each of t candidate centres (cand t x d f64, candNorm f64[t]) the squared
 * distances to every row of X go to dist (S x t f64, row i = the t distances of row i; overwritten) and its
 * potential sum_i min(closest[i], dist[i][c]) to pots f64[t], in the operation order of potentialOf
 * (./kmeans-common.ts). closest f64[S] is the current squared distance
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
      if (v < cl) store<f64>(pots + off, potentialStep(load<f64>(pots + off), v, cl));
    }
  }
  const base = closestSum(closest, S);
  for (let c = 0; c < t; c++) {
    const off = (<usize>c) << 3;
    store<f64>(pots + off, potentialOf(base, load<f64>(pots + off)));
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

// Bounded (exact) k-means kernels: Elkan's per-point lower bounds, one per centre, with blocked recomputation
// (src/qdg/kmeans/). The plain f64 kernels of the same algorithm are in ./kmeans.ts.
import { gemm_abt_f32 } from './gemm';
import { dotTile, potentialOf, potentialStep, sqDist } from './kmeans-common';

/** Rows per recomputed block (the block's products, KMEANS_ROW_BLOCK x k f32, are the scratch). */
const KMEANS_ROW_BLOCK: i32 = 64;

// ---------------------------------------------------------------------------------------------------------
// lower is S x k f64 (row i at lower + 8 k i): lower[i][j] <= ||x_i - c_j|| (true distance, not squared).
// A point whose exact distance to its own centre is below every other bound keeps its centre with no
// distance computation; the other points are gathered KMEANS_ROW_BLOCK at a time and get all their
// distances from one f32 product (gemm_abt_f32 of f32 copies of the rows and centres). Every f32 value v32
// of a squared distance ||x||^2 + ||c||^2 - 2 x.c comes with the rigorous error bound g |x| |c| (g about
// 2 (d + 4) 2^-24: the rounding of x and c to f32 and of a d-term f32 dot product in any order). Values
// that decide something within that error are recomputed in f64 by dotTile, whose operation order is the
// one of the 4 x 2 register tile of gemm_abt_f64, so results equal those of kmeans_assign and
// kmeans_pp_trials bit for bit. delta bounds the rounding error of an f64 squared distance (the caller
// passes about 1e-10 R^2, R the largest row norm); eta bounds the rounding of a bound (about 1e-12 R).
// ---------------------------------------------------------------------------------------------------------

/**
 * The rows rows[n0 .. n0 + rb) of X32 (S x d f32) as one contiguous matrix: X32 itself when they are
 * consecutive (no copy), else a copy into block (d per row). Returns its address.
 */
function gatherRows32(X32: usize, d: i32, rows: usize, n0: i32, rb: i32, block: usize): usize {
  const rowB = (<usize>d) << 2;
  const first = load<i32>(rows + ((<usize>n0) << 2));
  if (load<i32>(rows + ((<usize>(n0 + rb - 1)) << 2)) - first == rb - 1) return X32 + <usize>first * rowB;
  for (let r = 0; r < rb; r++) {
    const i = load<i32>(rows + ((<usize>(n0 + r)) << 2));
    memory.copy(block + <usize>r * rowB, X32 + <usize>i * rowB, rowB);
  }
  return block;
}

/** dst f32[n] = src f64[n] rounded to nearest. */
export function kmeans_to_f32(src: usize, dst: usize, n: i32): void {
  for (let e = 0; e < n; e++) {
    store<f32>(dst + ((<usize>e) << 2), <f32>load<f64>(src + ((<usize>e) << 3)));
  }
}

/**
 * The exact squared distance of each row of X to its labelled centre, into minDist f64[S]. X S x d f64,
 * centers k x d f64, labels i32[S] in [0, k).
 */
export function kmeans_label_distances(
  X: usize,
  S: i32,
  d: i32,
  centers: usize,
  labels: usize,
  minDist: usize,
): void {
  const rowB = (<usize>d) << 3;
  for (let i = 0; i < S; i++) {
    const a = load<i32>(labels + ((<usize>i) << 2));
    store<f64>(minDist + ((<usize>i) << 3), sqDist(X + <usize>i * rowB, centers + <usize>a * rowB, d));
  }
}

/**
 * Centre shifts after an update: shifts[j] = ||newC_j - oldC_j|| (f64[k]); returns sum_j shifts[j]^2.
 * oldC and newC are k x d f64.
 */
export function kmeans_shifts(oldC: usize, newC: usize, k: i32, d: i32, shifts: usize): f64 {
  const rowB = (<usize>d) << 3;
  let total: f64 = 0;
  for (let j = 0; j < k; j++) {
    const s = sqDist(oldC + <usize>j * rowB, newC + <usize>j * rowB, d);
    store<f64>(shifts + ((<usize>j) << 3), sqrt<f64>(s));
    total += s;
  }
  return total;
}

/**
 * lower[j] -= shifts[j] for j in [j0, j1) (lower the row's bounds, f64); returns the least of the new values
 * (Infinity for none). Two at a time: f64x2.sub is the scalar subtraction lane by lane, so the same bits.
 */
function lowerBounds(li: usize, shifts: usize, j0: i32, j1: i32): f64 {
  let m = f64x2.splat(Infinity);
  let j = j0;
  for (; j + 2 <= j1; j += 2) {
    const off = (<usize>j) << 3;
    const l = f64x2.sub(v128.load(li + off), v128.load(shifts + off));
    v128.store(li + off, l);
    m = f64x2.min(m, l);
  }
  let mn = min<f64>(f64x2.extract_lane(m, 0), f64x2.extract_lane(m, 1));
  if (j < j1) {
    const off = (<usize>j) << 3;
    const l = load<f64>(li + off) - load<f64>(shifts + off);
    store<f64>(li + off, l);
    mn = min<f64>(mn, l);
  }
  return mn;
}

/**
 * The f32 pass of a recomputed row, two centres at a time (each lane the scalar formula's operations in its
 * order, so the same bits): v = xn + cn_j - 2 dots_j (the f32 product widened), e = gx cRoot_j;
 * lower_j = max(0, sqrt(max(0, v - e - delta)) - eta). Returns the least v + e over the k centres.
 */
function f32Bounds(
  dr: usize,
  cNorm: usize,
  cRoot: usize,
  li: usize,
  k: i32,
  xn: f64,
  gx: f64,
  delta: f64,
  eta: f64,
): f64 {
  const xn2 = f64x2.splat(xn);
  const gx2 = f64x2.splat(gx);
  const two = f64x2.splat(2);
  const delta2 = f64x2.splat(delta);
  const eta2 = f64x2.splat(eta);
  const zero = f64x2.splat(0);
  let m = f64x2.splat(Infinity);
  let j = 0;
  for (; j + 2 <= k; j += 2) {
    const off = (<usize>j) << 3;
    const dot = f64x2.promote_low_f32x4(v128.load64_zero(dr + ((<usize>j) << 2)));
    const v = f64x2.sub(f64x2.add(xn2, v128.load(cNorm + off)), f64x2.mul(two, dot));
    const e = f64x2.mul(gx2, v128.load(cRoot + off));
    m = f64x2.min(m, f64x2.add(v, e));
    const r = f64x2.sqrt(f64x2.max(zero, f64x2.sub(f64x2.sub(v, e), delta2)));
    v128.store(li + off, f64x2.max(zero, f64x2.sub(r, eta2)));
  }
  let minUpper = min<f64>(f64x2.extract_lane(m, 0), f64x2.extract_lane(m, 1));
  if (j < k) {
    const cn = load<f64>(cNorm + ((<usize>j) << 3));
    const v = xn + cn - 2 * <f64>load<f32>(dr + ((<usize>j) << 2));
    const e = gx * load<f64>(cRoot + ((<usize>j) << 3));
    minUpper = min<f64>(minUpper, v + e);
    store<f64>(li + ((<usize>j) << 3), max<f64>(0, sqrt<f64>(max<f64>(0, v - e - delta)) - eta));
  }
  return minUpper;
}

/**
 * Bounded assignment step, exact: afterwards labels[i] is the nearest centre of row i (for a recomputed
 * row, the first minimum of the f64 values that kmeans_assign computes), minDist[i] its squared distance
 * (direct differences). On entry labels i32[S] hold the previous assignment, lower (S x k f64) bounds
 * valid for the centres before they moved by shifts f64[k] (upper bounds of the moves; 0s when they did not
 * move). A row is skipped when sqrt(minDist) (rounded up) is below every lower[i][j] - shifts[j], j !=
 * label; the others are listed in rows i32[S] and recomputed through block (KMEANS_ROW_BLOCK x d f32) and
 * dots (KMEANS_ROW_BLOCK x k f32), refreshing their k bounds. X S x d f64 and its f32 copy X32, xNorm
 * f64[S], centers k x d f64 and its f32 copy centers32, cNorm f64[k] (squared centre norms), g the f32
 * error factor, cRoot f64[k] scratch. Returns the number of recomputed rows.
 */
export function kmeans_assign_bounded(
  X: usize,
  X32: usize,
  S: i32,
  d: i32,
  xNorm: usize,
  centers: usize,
  centers32: usize,
  k: i32,
  cNorm: usize,
  labels: usize,
  minDist: usize,
  lower: usize,
  shifts: usize,
  delta: f64,
  eta: f64,
  g: f64,
  rows: usize,
  block: usize,
  dots: usize,
  cRoot: usize,
): i32 {
  const rowB = (<usize>d) << 3;
  const kB = (<usize>k) << 3;
  const k4 = (<usize>k) << 2;
  for (let j = 0; j < k; j++) {
    const off = (<usize>j) << 3;
    store<f64>(cRoot + off, sqrt<f64>(load<f64>(cNorm + off)));
  }
  let count = 0;
  for (let i = 0; i < S; i++) {
    const a = load<i32>(labels + ((<usize>i) << 2));
    const u2 = sqDist(X + <usize>i * rowB, centers + <usize>a * rowB, d);
    store<f64>(minDist + ((<usize>i) << 3), u2);
    const u = sqrt<f64>(u2) * (1 + 1e-11) + eta;
    const li = lower + <usize>i * kB;
    // every bound lowered by its centre's shift; mn the least of them but the label's
    const mn = min<f64>(lowerBounds(li, shifts, 0, a), lowerBounds(li, shifts, a + 1, k));
    const offA = (<usize>a) << 3;
    store<f64>(li + offA, load<f64>(li + offA) - load<f64>(shifts + offA));
    if (!(u < mn)) {
      store<i32>(rows + ((<usize>count) << 2), i);
      count++;
    }
  }
  for (let n0 = 0; n0 < count; n0 += KMEANS_ROW_BLOCK) {
    const rb = min(KMEANS_ROW_BLOCK, count - n0);
    const A = gatherRows32(X32, d, rows, n0, rb, block);
    memory.fill(dots, 0, <usize>rb * k4);
    gemm_abt_f32(dots, k, A, d, centers32, d, rb, k, d, -1);
    for (let r = 0; r < rb; r++) {
      const i = load<i32>(rows + ((<usize>(n0 + r)) << 2));
      const xi = X + <usize>i * rowB;
      const xn = load<f64>(xNorm + ((<usize>i) << 3));
      const gx = g * sqrt<f64>(xn);
      const dr = dots + <usize>r * k4;
      const li = lower + <usize>i * kB;
      // f32 pass: bounds of every centre, and the least upper value of a squared distance
      const minUpper = f32Bounds(dr, cNorm, cRoot, li, k, xn, gx, delta, eta);
      // f64 pass over the centres that may be nearest
      let best = 0;
      let bestV = Infinity;
      for (let j = 0; j < k; j++) {
        const cn = load<f64>(cNorm + ((<usize>j) << 3));
        const v32 = xn + cn - 2 * <f64>load<f32>(dr + ((<usize>j) << 2));
        if (v32 - gx * load<f64>(cRoot + ((<usize>j) << 3)) > minUpper + delta) continue;
        const v = cn - 2 * dotTile(xi, centers + <usize>j * rowB, d);
        if (v < bestV) {
          bestV = v;
          best = j;
        }
        store<f64>(li + ((<usize>j) << 3), max<f64>(0, sqrt<f64>(max<f64>(0, xn + v - delta)) - eta));
      }
      store<i32>(labels + ((<usize>i) << 2), best);
      store<f64>(minDist + ((<usize>i) << 3), sqDist(xi, centers + <usize>best * rowB, d));
    }
  }
  return count;
}

/**
 * Bounded k-means++ local trials, exact: the potentials of kmeans_pp_trials, bit for bit. State of the
 * seeding: closest f64[S] (squared distance of each row to its nearest chosen centre, Infinity before the
 * first), near i32[S] (that centre), lower S x k f64 (lower[i][j] <= ||x_i - c_j|| for the chosen centres
 * j). Candidate c is the data row candIdx[c] (i32[t]), also copied in cand (t x d f64) and cand32 (t x d
 * f32) with its squared norm in candNorm f64[t]. A row i cannot come closer to candidate c when a lower bound
 * of ||cand_c - c_near(i)|| (from the candidate's own bounds) is at least twice its radius; the others are
 * listed in rows i32[S] (returned: their number), and their t squared distances go to dist (count x t f64,
 * row n = rows[n]) through block (KMEANS_ROW_BLOCK x d f32) and dots (KMEANS_ROW_BLOCK x t f32). A
 * distance that the f32 product puts surely above closest[i] is stored as its f32 lower bound (still above
 * closest[i], so it changes nothing); the others are the f64 values of kmeans_pp_trials. pots f64[t] gets
 * sum_i min(closest[i], dist_i[c]) in the operation order of potentialOf (./kmeans-common.ts), base the sum of
 * closest in row order (closestSum there). X S x d f64, X32 its f32 copy, g the f32 error factor,
 * candInfo f64[3 t] scratch.
 */
export function kmeans_pp_trials_bounded(
  X: usize,
  X32: usize,
  S: i32,
  d: i32,
  xNorm: usize,
  cand: usize,
  cand32: usize,
  candNorm: usize,
  candIdx: usize,
  t: i32,
  closest: usize,
  near: usize,
  lower: usize,
  k: i32,
  delta: f64,
  eta: f64,
  g: f64,
  rows: usize,
  block: usize,
  dots: usize,
  dist: usize,
  pots: usize,
  candInfo: usize,
  base: f64,
): i32 {
  const rowB = (<usize>d) << 3;
  const kB = (<usize>k) << 3;
  const tB = (<usize>t) << 3;
  const t4 = (<usize>t) << 2;
  // per candidate: [its nearest centre, a lower bound of its distance to it, sqrt of its squared norm]
  for (let c = 0; c < t; c++) {
    const q = load<i32>(candIdx + ((<usize>c) << 2));
    const info = candInfo + <usize>c * 24;
    store<f64>(info, <f64>load<i32>(near + ((<usize>q) << 2)));
    store<f64>(info + 8, sqrt<f64>(max<f64>(0, load<f64>(closest + ((<usize>q) << 3)) - delta)) - eta);
    store<f64>(info + 16, sqrt<f64>(load<f64>(candNorm + ((<usize>c) << 3))));
  }
  let count = 0;
  for (let i = 0; i < S; i++) {
    const j = load<i32>(near + ((<usize>i) << 2));
    const cl = load<f64>(closest + ((<usize>i) << 3));
    const threshold = 2 * sqrt<f64>(cl + delta) + eta;
    let need = cl == Infinity; // before the first centre
    for (let c = 0; c < t && !need; c++) {
      const info = candInfo + <usize>c * 24;
      const q = load<i32>(candIdx + ((<usize>c) << 2));
      const bound =
        <i32>load<f64>(info) == j
          ? load<f64>(info + 8)
          : load<f64>(lower + <usize>q * kB + ((<usize>j) << 3));
      if (bound < threshold) need = true;
    }
    if (need) {
      store<i32>(rows + ((<usize>count) << 2), i);
      count++;
    }
  }
  for (let n0 = 0; n0 < count; n0 += KMEANS_ROW_BLOCK) {
    const rb = min(KMEANS_ROW_BLOCK, count - n0);
    const A = gatherRows32(X32, d, rows, n0, rb, block);
    memory.fill(dots, 0, <usize>rb * t4);
    gemm_abt_f32(dots, t, A, d, cand32, d, rb, t, d, -1);
    for (let r = 0; r < rb; r++) {
      const i = load<i32>(rows + ((<usize>(n0 + r)) << 2));
      const xn = load<f64>(xNorm + ((<usize>i) << 3));
      const cl = load<f64>(closest + ((<usize>i) << 3));
      const gx = g * sqrt<f64>(xn);
      const dr = dots + <usize>r * t4;
      const out = dist + <usize>(n0 + r) * tB;
      for (let c = 0; c < t; c++) {
        const off = (<usize>c) << 3;
        const cn = load<f64>(candNorm + off);
        const low =
          xn +
          cn -
          2 * <f64>load<f32>(dr + ((<usize>c) << 2)) -
          gx * load<f64>(candInfo + <usize>c * 24 + 16);
        if (low >= cl + delta) {
          store<f64>(out + off, low);
        } else {
          const dot = dotTile(X + <usize>i * rowB, cand + <usize>c * rowB, d);
          store<f64>(out + off, max<f64>(0, xn + cn - 2 * dot));
        }
      }
    }
  }
  // the potentials (potentialOf in ./kmeans-common.ts): only listed rows can come closer
  memory.fill(pots, 0, tB);
  for (let n = 0; n < count; n++) {
    const cl = load<f64>(closest + ((<usize>load<i32>(rows + ((<usize>n) << 2))) << 3));
    const dr = dist + <usize>n * tB;
    for (let c = 0; c < t; c++) {
      const off = (<usize>c) << 3;
      const v = load<f64>(dr + off);
      if (v < cl) store<f64>(pots + off, potentialStep(load<f64>(pots + off), v, cl));
    }
  }
  for (let c = 0; c < t; c++) {
    const off = (<usize>c) << 3;
    store<f64>(pots + off, potentialOf(base, load<f64>(pots + off)));
  }
  return count;
}

/**
 * Accepts candidate `best` of kmeans_pp_trials_bounded (data row q) as centre m: every row gets its bound
 * lower[i][m] (from its distance, or the distance's lower bound, when listed in rows[0 .. count), else
 * from the triangle inequality through its nearest centre), and closest/near move to m where the distance
 * is smaller. Arguments as there.
 */
export function kmeans_pp_accept_bounded(
  S: i32,
  t: i32,
  best: i32,
  q: i32,
  m: i32,
  rows: usize,
  count: i32,
  dist: usize,
  closest: usize,
  near: usize,
  lower: usize,
  k: i32,
  delta: f64,
  eta: f64,
): void {
  const kB = (<usize>k) << 3;
  const tB = (<usize>t) << 3;
  const mOff = (<usize>m) << 3;
  const nearQ = load<i32>(near + ((<usize>q) << 2));
  const radiusQ = sqrt<f64>(max<f64>(0, load<f64>(closest + ((<usize>q) << 3)) - delta)) - eta;
  const lowerQ = lower + <usize>q * kB;
  let n = 0;
  for (let i = 0; i < S; i++) {
    const cp = closest + ((<usize>i) << 3);
    const li = lower + <usize>i * kB;
    const cl = load<f64>(cp);
    if (n < count && load<i32>(rows + ((<usize>n) << 2)) == i) {
      const v = load<f64>(dist + <usize>n * tB + ((<usize>best) << 3));
      store<f64>(li + mOff, max<f64>(0, sqrt<f64>(max<f64>(0, v - delta)) - eta));
      if (v < cl) {
        store<f64>(cp, v);
        store<i32>(near + ((<usize>i) << 2), m);
      }
      n++;
    } else {
      const j = load<i32>(near + ((<usize>i) << 2));
      const bound = j == nearQ ? radiusQ : load<f64>(lowerQ + ((<usize>j) << 3));
      store<f64>(li + mOff, max<f64>(0, bound - sqrt<f64>(cl + delta) - eta));
    }
  }
}

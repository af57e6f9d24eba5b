// Over 450 lines by choice: the Gram route's kernels share its error bounds and block sizes; one concept.
// Gram-route k-means kernels (src/qdg/kmeans-gram.ts): k-means on S rows of dimension d through the S x S
// Gram matrix F = X X^T of the rows, so that one k-means++ trial or one assignment step costs O(S) per
// candidate and O(S k) per step instead of O(S d) and O(S k d). Exact: every value that decides something
// within F's rounding allowance is recomputed in f64 by dotTile (./kmeans-common.ts), so labels, inertia
// and centres equal those of the bounded route (./kmeans-bounded.ts) bit for bit.
//
// Why it pays: the centres of Lloyd's algorithm are means of rows, so x_i . c_j = (1/n_j) sum_{l in C_j}
// F_il. With Pt (k x S f64, Pt[j][i] = sum over the members l of cluster j of F_il) an assignment step is a
// pass over Pt, and moving a row l from cluster a to b is two row updates (Pt[a] -= F[l], Pt[b] += F[l]).
// A late Lloyd step, in which few clusters changed, reads only the changed clusters' rows of Pt: the other
// clusters' values are the same bits as at the previous step, whose least two per row it keeps.
// k-means++ candidates are data rows q, so their distances to every row are F's row q. F itself costs
// S^2 d / 2 multiply-adds once, shared by every restart (and, extended column by column, by every K of a
// spectral sweep whose embeddings are prefixes of one another).
//
// Rounding allowances (u = 2^-53, gamma(n) = n u / (1 - n u); R bounds every row norm):
// - F_il is a d-term f64 dot product in some order, dotTile(x_i, x_l) another: each within gamma(d) |x_i||x_l|
//   of the exact value.
// - Pt[j][i] sums `terms_j` values +-F_il (a rebuild counts n_j, each incremental move one more): within
//   gamma(terms_j) terms_j |x_i| R of its exact sum, plus n_j gamma(d) |x_i| R from F.
// - the centre c_j (kmeans_update_moves, relocations) is within cerr_j R of the exact mean of its members (the
//   caller tracks cerr_j).
// - the kernels read F32, F rounded to f32 (half the memory traffic): each entry within 2^-24 |F_il| more.
// Each kernel's comment states the resulting test.
import { gemm_abt_f64 } from './gemm';
import {
  dot0,
  dot1,
  dot2,
  dot3,
  dotTile,
  dotTile4,
  potentialOf,
  potentialStep,
  sqDist,
} from './kmeans-common';
import { widenHigh, widenLow } from './simd';

const U: f64 = 1.1102230246251565e-16; // 2^-53
const U32: f64 = 5.960464477539063e-8; // 2^-24

function gamma(n: f64): f64 {
  return (n * U) / (1 - n * U);
}

/** Rows per chunk of the assignment's first pass (3 x 2 KiB of running minima in L1). */
const ASSIGN_CHUNK: i32 = 256;

/** Rows of F per product block. */
const GRAM_ROW_BLOCK: i32 = 64;

/**
 * F += X[:, c0:c1] X[:, c0:c1]^T, and F32 = F rounded to f32: F S x S f64 and F32 S x S f32, row-major
 * (ld = S), X S x ld f64. The lower triangle (with the diagonal) is computed by strips of GRAM_ROW_BLOCK rows
 * through gemm_abt_f64; each strip, while it is in cache, is then mirrored onto the upper triangle (so F stays
 * exactly symmetric: row l of F is also its column l) and rounded into both triangles of F32. One pass over
 * F instead of three (the product, a mirror, a rounding); the same bits as those three.
 */
export function gram_extend_f64(F: usize, F32: usize, S: i32, X: usize, ld: i32, c0: i32, c1: i32): void {
  if (c1 <= c0) return;
  const rowB = (<usize>S) << 3;
  const ldB = (<usize>ld) << 3;
  const cOff = (<usize>c0) << 3;
  for (let i0 = 0; i0 < S; i0 += GRAM_ROW_BLOCK) {
    const i1 = min(S, i0 + GRAM_ROW_BLOCK);
    gemm_abt_f64(F + <usize>i0 * rowB, S, X + <usize>i0 * ldB + cOff, ld, X + cOff, ld, i1 - i0, i1, c1 - c0);
    mirrorStrip(F, F32, S, i0, i1);
  }
}

/**
 * Rows i0..i1 of F are final in their lower triangle: copies F[i][j] (j < i) to F[j][i] and writes F32[i][j]
 * and F32[j][i] (j <= i) rounded to f32. Below the strip's diagonal block, by 2 x 2 blocks (two rows of the
 * strip, two columns), j outside: the strip's 64 rows of a column pair stay in L1 while row j is written.
 */
function mirrorStrip(F: usize, F32: usize, S: i32, i0: i32, i1: i32): void {
  const rowB = (<usize>S) << 3;
  const rowB32 = (<usize>S) << 2;
  const iPairs = i0 + ((i1 - i0) & ~1);
  for (let j = 0; j < i0; j += 2) {
    const jOff = (<usize>j) << 3;
    const jOff32 = (<usize>j) << 2;
    const up = F + <usize>j * rowB;
    const up32 = F32 + <usize>j * rowB32;
    for (let i = i0; i < iPairs; i += 2) {
      const p = F + <usize>i * rowB + jOff;
      const p32 = F32 + <usize>i * rowB32 + jOff32;
      const a = v128.load(p); // F[i][j], F[i][j + 1]
      const b = v128.load(p + rowB); // F[i + 1][j], F[i + 1][j + 1]
      const t0 = v128.shuffle<f64>(a, b, 0, 2); // F[i][j], F[i + 1][j]
      const t1 = v128.shuffle<f64>(a, b, 1, 3);
      const iOff = (<usize>i) << 3;
      const iOff32 = (<usize>i) << 2;
      v128.store(up + iOff, t0);
      v128.store(up + rowB + iOff, t1);
      v128.store64_lane(p32, f32x4.demote_f64x2_zero(a), 0);
      v128.store64_lane(p32 + rowB32, f32x4.demote_f64x2_zero(b), 0);
      v128.store64_lane(up32 + iOff32, f32x4.demote_f64x2_zero(t0), 0);
      v128.store64_lane(up32 + rowB32 + iOff32, f32x4.demote_f64x2_zero(t1), 0);
    }
    if (iPairs < i1) {
      // an odd strip (S odd): its last row alone
      for (let jj = j; jj < j + 2; jj++) mirrorOne(F, F32, S, iPairs, jj);
    }
  }
  // the diagonal block, one value at a time
  for (let i = i0; i < i1; i++) for (let j = i0; j <= i; j++) mirrorOne(F, F32, S, i, j);
}

/** F[j][i] = F[i][j], F32[i][j] = F32[j][i] = f32(F[i][j]) for j <= i. */
function mirrorOne(F: usize, F32: usize, S: i32, i: i32, j: i32): void {
  const v = load<f64>(F + ((<usize>i * <usize>S + <usize>j) << 3));
  const v32 = <f32>v;
  store<f32>(F32 + ((<usize>i * <usize>S + <usize>j) << 2), v32);
  if (j < i) {
    store<f64>(F + ((<usize>j * <usize>S + <usize>i) << 3), v);
    store<f32>(F32 + ((<usize>j * <usize>S + <usize>i) << 2), v32);
  }
}

/**
 * k-means++ local trials through F32 (S x S f32): the best candidate, exactly the one of lowest
 * potential (the first on ties) that kmeans_pp_trials_bounded gives, and its potential, bit for bit. Candidate c
 * is the data row q = candIdx[c] (i32[t]). Row i's f64 value is v = max(0, xn_i + xn_q - 2 dotTile(x_i, x_q));
 * the approximation w = xn_i + xn_q - 2 F32_iq is within E = bf (xn_i + xn_q + 2 |x_i| |x_q|) of it (bf, from
 * the caller, covers 4 gamma(d), 2^-23 for the f32 rounding of F and the additions' rounding), so where
 * w - E >= closest[i] the candidate cannot come closer. With |x_q| <= R that holds whenever
 * F32_iq <= tau_i + beta_q, where
 *   tau_i = (xn_i (1 - bf) - closest[i]) / 2 - bf R |x_i|,   beta_q = xn_q (1 - bf) / 2,
 * each lowered by 2^-22 of its size before its rounding to f32 (which covers that rounding and the f32 sum's).
 * Passes: (1) the screen, one f32 comparison per row and candidate along the candidate's row of F32, sixteen
 * rows per test of the combined masks, listing the (candidate, row) pairs it does not clear; (2) each
 * candidate's potential from the values max(0, w) of its listed pairs (the row of F32 just screened, still in
 * cache), with a bound of its distance to the exact potential (their allowances E and both sums' rounding);
 * (3) when the bounds settle which candidate has the least exact potential (a
 * candidate of the same row as an earlier one never does), only its values in f64 (dotTile4, four rows at a
 * time) and its exact potential (potentialOf in ./kmeans-common.ts: the rows it comes closer to are kept and
 * their differences v - closest[i] added in row order to base, the sum of closest in row order); otherwise,
 * and with one candidate or before the first centre, every candidate's. Returns the best candidate c: pots[c]
 * (f64[t]) its exact potential, rows[c S ..] the rows it comes closer to (ascending), dist[c S ..] their values
 * (f64), changed[c] (i32[t]) their number (other candidates' entries are scratch). X S x d f64, xNorm f64[S]
 * squared row norms, xRoot f64[S] their square roots, closest f64[S] (Infinity before the first centre),
 * scratch 4 (S + 2 t) + 8 (t + 1) bytes: tau first, computed from closest when `full` is nonzero, else as
 * kmeans_gram_accept left it (which updates it with closest); base as closestSum in ./kmeans-common.ts (the
 * caller has it from its cumulative sums).
 */
export function kmeans_gram_trials(
  X: usize,
  S: i32,
  d: i32,
  xNorm: usize,
  xRoot: usize,
  F32: usize,
  candIdx: usize,
  t: i32,
  closest: usize,
  dist: usize,
  rows: usize,
  changed: usize,
  pots: usize,
  bf: f64,
  R: f64,
  scratch: usize,
  full: i32,
  base: f64,
): i32 {
  const s4 = (<usize>S) << 2;
  const tau = scratch;
  const beta = scratch + s4; // f32[t]
  const errs = (beta + ((<usize>t) << 3) + 7) & ~(<usize>7); // f64[t]: the potentials' bounds
  const one = 1 - bf;
  if (full) for (let i = 0; i < S; i++) setTau(tau, xNorm, xRoot, closest, bf, R, i);
  for (let c = 0; c < t; c++) {
    const q = <usize>load<i32>(candIdx + ((<usize>c) << 2));
    store<f32>(beta + ((<usize>c) << 2), lowered(0.5 * load<f64>(xNorm + (q << 3)) * one));
    store<i32>(changed + ((<usize>c) << 2), 0);
  }
  // (1) the screen, a candidate at a time along its row of F32 (and tau): sixteen rows per test of the
  // combined masks, then one at a time
  let i = 0;
  for (let c = 0; c < t; c++) {
    const q = <usize>load<i32>(candIdx + ((<usize>c) << 2));
    const b = load<f32>(beta + ((<usize>c) << 2));
    const bv = f32x4.splat(b);
    const Fq = F32 + q * s4;
    i = 0;
    for (; i + 16 <= S; i += 16) {
      const fo = (<usize>i) << 2;
      const m0 = f32x4.gt(v128.load(Fq + fo), f32x4.add(v128.load(tau + fo), bv));
      const m1 = f32x4.gt(v128.load(Fq + fo + 16), f32x4.add(v128.load(tau + fo + 16), bv));
      const m2 = f32x4.gt(v128.load(Fq + fo + 32), f32x4.add(v128.load(tau + fo + 32), bv));
      const m3 = f32x4.gt(v128.load(Fq + fo + 48), f32x4.add(v128.load(tau + fo + 48), bv));
      if (v128.any_true(v128.or(v128.or(m0, m1), v128.or(m2, m3)))) {
        for (let r = 0; r < 16; r++) screenRow(F32, s4, tau, q, b, rows, changed, S, c, i + r);
      }
    }
    for (; i < S; i++) screenRow(F32, s4, tau, q, b, rows, changed, S, c, i);
  }
  if (t > 1 && base != Infinity) {
    // (2) the potentials from F32, with their bounds
    for (let c = 0; c < t; c++) {
      const q = <usize>load<i32>(candIdx + ((<usize>c) << 2));
      if (sameRowBefore(candIdx, c, <i32>q)) continue;
      const xnq = load<f64>(xNorm + (q << 3));
      const xrq = load<f64>(xRoot + (q << 3));
      const Fq = F32 + q * s4;
      const n = load<i32>(changed + ((<usize>c) << 2));
      const cb = <usize>c * <usize>S;
      let p: f64 = 0;
      let sumE: f64 = 0;
      let sumAbs: f64 = 0;
      for (let e = 0; e < n; e++) {
        const r = <usize>load<i32>(rows + ((cb + <usize>e) << 2));
        const xn = load<f64>(xNorm + (r << 3));
        const w = max<f64>(0, xn + xnq - 2 * <f64>load<f32>(Fq + (r << 2)));
        sumE += bf * (xn + xnq + 2 * load<f64>(xRoot + (r << 3)) * xrq);
        const cl = load<f64>(closest + (r << 3));
        if (w < cl) {
          const v = w - cl;
          p += v;
          sumAbs -= v;
        }
      }
      const pot = base + p;
      store<f64>(pots + ((<usize>c) << 3), pot);
      store<f64>(
        errs + ((<usize>c) << 3),
        1.01 *
          (sumE +
            2 * gamma(<f64>(n + 2)) * (sumAbs + sumE) +
            4 * U * (abs<f64>(pot) + sumE + abs<f64>(base))),
      );
    }
    // (3) the least of them when the bounds settle it
    let best = 0;
    for (let c = 1; c < t; c++) {
      if (sameRowBefore(candIdx, c, load<i32>(candIdx + ((<usize>c) << 2)))) continue;
      if (load<f64>(pots + ((<usize>c) << 3)) < load<f64>(pots + ((<usize>best) << 3))) best = c;
    }
    const high = load<f64>(pots + ((<usize>best) << 3)) + load<f64>(errs + ((<usize>best) << 3));
    let settled = true;
    for (let c = 0; c < t && settled; c++) {
      if (c == best || sameRowBefore(candIdx, c, load<i32>(candIdx + ((<usize>c) << 2)))) continue;
      const low = load<f64>(pots + ((<usize>c) << 3)) - load<f64>(errs + ((<usize>c) << 3));
      // an earlier candidate must be above the best (ties go to it), a later one not below
      settled = c < best ? low > high : low >= high;
    }
    if (settled) {
      exactPotential(X, S, d, xNorm, candIdx, closest, dist, rows, changed, pots, base, best);
      return best;
    }
  }
  let best = 0;
  for (let c = 0; c < t; c++) {
    exactPotential(X, S, d, xNorm, candIdx, closest, dist, rows, changed, pots, base, c);
    if (load<f64>(pots + ((<usize>c) << 3)) < load<f64>(pots + ((<usize>best) << 3))) best = c;
  }
  return best;
}

/** Whether a candidate before c is the same data row q. */
function sameRowBefore(candIdx: usize, c: i32, q: i32): bool {
  for (let e = 0; e < c; e++) if (load<i32>(candIdx + ((<usize>e) << 2)) == q) return true;
  return false;
}

/**
 * Candidate c's f64 values at its listed rows (four dot products at a time; a short group repeats its first
 * row), the rows it comes closer to kept in place (rows, dist, changed[c]) and its exact potential into pots.
 */
function exactPotential(
  X: usize,
  S: i32,
  d: i32,
  xNorm: usize,
  candIdx: usize,
  closest: usize,
  dist: usize,
  rows: usize,
  changed: usize,
  pots: usize,
  base: f64,
  c: i32,
): void {
  const rowB = (<usize>d) << 3;
  const q = <usize>load<i32>(candIdx + ((<usize>c) << 2));
  const xq = X + q * rowB;
  const cnq = load<f64>(xNorm + (q << 3));
  const n = load<i32>(changed + ((<usize>c) << 2));
  const cb = <usize>c * <usize>S;
  for (let e = 0; e < n; e += 4) {
    const r0 = <usize>load<i32>(rows + ((cb + <usize>e) << 2));
    const r1 = e + 1 < n ? <usize>load<i32>(rows + ((cb + <usize>(e + 1)) << 2)) : r0;
    const r2 = e + 2 < n ? <usize>load<i32>(rows + ((cb + <usize>(e + 2)) << 2)) : r0;
    const r3 = e + 3 < n ? <usize>load<i32>(rows + ((cb + <usize>(e + 3)) << 2)) : r0;
    dotTile4(X + r0 * rowB, xq, X + r1 * rowB, xq, X + r2 * rowB, xq, X + r3 * rowB, xq, d);
    const at = dist + ((cb + <usize>e) << 3);
    store<f64>(at, max<f64>(0, load<f64>(xNorm + (r0 << 3)) + cnq - 2 * dot0));
    if (e + 1 < n) store<f64>(at + 8, max<f64>(0, load<f64>(xNorm + (r1 << 3)) + cnq - 2 * dot1));
    if (e + 2 < n) store<f64>(at + 16, max<f64>(0, load<f64>(xNorm + (r2 << 3)) + cnq - 2 * dot2));
    if (e + 3 < n) store<f64>(at + 24, max<f64>(0, load<f64>(xNorm + (r3 << 3)) + cnq - 2 * dot3));
  }
  let m = 0;
  let p: f64 = 0;
  for (let e = 0; e < n; e++) {
    const r = load<i32>(rows + ((cb + <usize>e) << 2));
    const v = load<f64>(dist + ((cb + <usize>e) << 3));
    const cl = load<f64>(closest + ((<usize>r) << 3));
    if (v < cl) {
      store<i32>(rows + ((cb + <usize>m) << 2), r);
      store<f64>(dist + ((cb + <usize>m) << 3), v);
      m++;
      p = potentialStep(p, v, cl);
    }
  }
  store<i32>(changed + ((<usize>c) << 2), m);
  store<f64>(pots + ((<usize>c) << 3), potentialOf(base, p));
}

/** Pass 1 for row i of candidate c (row q, beta b) on its own: lists the row unless the screen clears it. */
function screenRow(
  F32: usize,
  s4: usize,
  tau: usize,
  q: usize,
  b: f32,
  rows: usize,
  changed: usize,
  S: i32,
  c: i32,
  i: i32,
): void {
  const fo = (<usize>i) << 2;
  if (load<f32>(F32 + q * s4 + fo) <= load<f32>(tau + fo) + b) return;
  const cp = changed + ((<usize>c) << 2);
  const n = load<i32>(cp);
  store<i32>(rows + ((<usize>c * <usize>S + <usize>n) << 2), i);
  store<i32>(cp, n + 1);
}

/**
 * v less 2^-22 |v|, rounded to f32: below v by more than the rounding of this value to f32 and of an f32 sum
 * of two such values (each within 2^-24 of its size), so that tau_i + beta_q in f32 stays below the f64 one.
 */
function lowered(v: f64): f32 {
  return <f32>(v - 2.384185791015625e-7 * abs<f64>(v));
}

/**
 * Accepts k-means++ candidate c of the last kmeans_gram_trials: closest takes its changed distances, and the
 * trials' tau (at scratch) follows them (arguments as there).
 */
export function kmeans_gram_accept(
  S: i32,
  c: i32,
  dist: usize,
  rows: usize,
  changed: usize,
  closest: usize,
  xNorm: usize,
  xRoot: usize,
  bf: f64,
  R: f64,
  scratch: usize,
): void {
  const n = load<i32>(changed + ((<usize>c) << 2));
  const base = <usize>c * <usize>S;
  for (let e = 0; e < n; e++) {
    const at = base + <usize>e;
    const i = load<i32>(rows + (at << 2));
    store<f64>(closest + ((<usize>i) << 3), load<f64>(dist + (at << 3)));
    setTau(scratch, xNorm, xRoot, closest, bf, R, i);
  }
}

/** tau_i of kmeans_gram_trials from closest[i] (tau f32[S], the trials' scratch). */
function setTau(tau: usize, xNorm: usize, xRoot: usize, closest: usize, bf: f64, R: f64, i: i32): void {
  const o = (<usize>i) << 3;
  const v = 0.5 * (load<f64>(xNorm + o) * (1 - bf) - load<f64>(closest + o)) - bf * R * load<f64>(xRoot + o);
  store<f32>(tau + ((<usize>i) << 2), lowered(v));
}

/** Pt[j] = F32[rows[j]] for j < k: the singleton clusters of the k-means++ centres. Pt k x S f64. */
export function kmeans_gram_rows(F32: usize, S: i32, rows: usize, k: i32, Pt: usize): void {
  const sB = (<usize>S) << 3;
  const s4 = (<usize>S) << 2;
  for (let j = 0; j < k; j++) {
    const dst = Pt + <usize>j * sB;
    memory.fill(dst, 0, sB);
    addRow(dst, F32 + <usize>load<i32>(rows + ((<usize>j) << 2)) * s4, S, 1);
  }
}

/** dst f64[S] += sign src f32[S] (sign +1 or -1), each value widened exactly to f64 (negation is exact). */
function addRow(dst: usize, src: usize, S: i32, sign: f64): void {
  const neg = sign < 0;
  let i = 0;
  for (; i + 4 <= S; i += 4) {
    const v = v128.load(src + ((<usize>i) << 2));
    const o = dst + ((<usize>i) << 3);
    v128.store(o, f64x2.add(v128.load(o), widenLow(v, neg)));
    v128.store(o + 16, f64x2.add(v128.load(o + 16), widenHigh(v, neg)));
  }
  for (; i < S; i++) {
    const o = dst + ((<usize>i) << 3);
    store<f64>(o, load<f64>(o) + sign * <f64>load<f32>(src + ((<usize>i) << 2)));
  }
}

/**
 * dst f64[S] += sign (a + b + c + e), the four f32 rows added one after another in that order to each value
 * (the bits of four addRow calls: only the loops are interchanged, so dst is read and written once, not four
 * times).
 */
function addRows4(dst: usize, a: usize, b: usize, c: usize, e: usize, S: i32, sign: f64): void {
  const neg = sign < 0;
  let i = 0;
  for (; i + 4 <= S; i += 4) {
    const o = dst + ((<usize>i) << 3);
    const fo = (<usize>i) << 2;
    const va = v128.load(a + fo);
    const vb = v128.load(b + fo);
    const vc = v128.load(c + fo);
    const ve = v128.load(e + fo);
    let lo = f64x2.add(f64x2.add(v128.load(o), widenLow(va, neg)), widenLow(vb, neg));
    let hi = f64x2.add(f64x2.add(v128.load(o + 16), widenHigh(va, neg)), widenHigh(vb, neg));
    lo = f64x2.add(f64x2.add(lo, widenLow(vc, neg)), widenLow(ve, neg));
    hi = f64x2.add(f64x2.add(hi, widenHigh(vc, neg)), widenHigh(ve, neg));
    v128.store(o, lo);
    v128.store(o + 16, hi);
  }
  for (; i < S; i++) {
    const o = dst + ((<usize>i) << 3);
    const fo = (<usize>i) << 2;
    let v = load<f64>(o) + sign * <f64>load<f32>(a + fo);
    v += sign * <f64>load<f32>(b + fo);
    v += sign * <f64>load<f32>(c + fo);
    store<f64>(o, v + sign * <f64>load<f32>(e + fo));
  }
}

/**
 * dst f64[S] += sign (r[0] + ... + r[7]), the eight f32 rows at rs (i32 row indices of F32, stride s4) added
 * one after another in that order to each value: the bits of eight addRow calls, dst read and written once
 * (subtracting a row is adding its negation, exactly).
 */
function addRows8(dst: usize, F32: usize, s4: usize, rs: usize, S: i32, sign: f64): void {
  const a = F32 + <usize>load<i32>(rs) * s4;
  const b = F32 + <usize>load<i32>(rs + 4) * s4;
  const c = F32 + <usize>load<i32>(rs + 8) * s4;
  const e = F32 + <usize>load<i32>(rs + 12) * s4;
  const f = F32 + <usize>load<i32>(rs + 16) * s4;
  const g = F32 + <usize>load<i32>(rs + 20) * s4;
  const h = F32 + <usize>load<i32>(rs + 24) * s4;
  const m = F32 + <usize>load<i32>(rs + 28) * s4;
  let i = 0;
  if (sign < 0) {
    for (; i + 4 <= S; i += 4) {
      const o = dst + ((<usize>i) << 3);
      const fo = (<usize>i) << 2;
      let lo = v128.load(o);
      let hi = v128.load(o + 16);
      let v = v128.load(a + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(b + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(c + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(e + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(f + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(g + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(h + fo);
      lo = f64x2.sub(lo, widenLow(v, false));
      hi = f64x2.sub(hi, widenHigh(v, false));
      v = v128.load(m + fo);
      v128.store(o, f64x2.sub(lo, widenLow(v, false)));
      v128.store(o + 16, f64x2.sub(hi, widenHigh(v, false)));
    }
  } else {
    for (; i + 4 <= S; i += 4) {
      const o = dst + ((<usize>i) << 3);
      const fo = (<usize>i) << 2;
      let lo = v128.load(o);
      let hi = v128.load(o + 16);
      let v = v128.load(a + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(b + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(c + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(e + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(f + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(g + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(h + fo);
      lo = f64x2.add(lo, widenLow(v, false));
      hi = f64x2.add(hi, widenHigh(v, false));
      v = v128.load(m + fo);
      v128.store(o, f64x2.add(lo, widenLow(v, false)));
      v128.store(o + 16, f64x2.add(hi, widenHigh(v, false)));
    }
  }
  for (; i < S; i++) {
    const o = dst + ((<usize>i) << 3);
    const fo = (<usize>i) << 2;
    let x = load<f64>(o);
    x += sign * <f64>load<f32>(a + fo);
    x += sign * <f64>load<f32>(b + fo);
    x += sign * <f64>load<f32>(c + fo);
    x += sign * <f64>load<f32>(e + fo);
    x += sign * <f64>load<f32>(f + fo);
    x += sign * <f64>load<f32>(g + fo);
    x += sign * <f64>load<f32>(h + fo);
    store<f64>(o, x + sign * <f64>load<f32>(m + fo));
  }
}

/** dst f64[S] += sign (a + b), a then b: the bits of two addRow calls, dst read and written once. */
function addRows2(dst: usize, a: usize, b: usize, S: i32, sign: f64): void {
  const neg = sign < 0;
  let i = 0;
  for (; i + 4 <= S; i += 4) {
    const o = dst + ((<usize>i) << 3);
    const fo = (<usize>i) << 2;
    const va = v128.load(a + fo);
    const vb = v128.load(b + fo);
    v128.store(o, f64x2.add(f64x2.add(v128.load(o), widenLow(va, neg)), widenLow(vb, neg)));
    v128.store(o + 16, f64x2.add(f64x2.add(v128.load(o + 16), widenHigh(va, neg)), widenHigh(vb, neg)));
  }
  for (; i < S; i++) {
    const o = dst + ((<usize>i) << 3);
    const fo = (<usize>i) << 2;
    const v = load<f64>(o) + sign * <f64>load<f32>(a + fo);
    store<f64>(o, v + sign * <f64>load<f32>(b + fo));
  }
}

/**
 * Counting sort of the rows l with keep(l) by key(l) in [0, k): order i32[S] gets them grouped by key
 * (ascending l within a group), starts i32[k + 1] the group boundaries. Returns the number of rows.
 */
function groupRows(
  keys: usize,
  other: usize,
  changedOnly: bool,
  S: i32,
  k: i32,
  order: usize,
  starts: usize,
): i32 {
  memory.fill(starts, 0, (<usize>(k + 1)) << 2);
  for (let l = 0; l < S; l++) {
    const off = (<usize>l) << 2;
    if (changedOnly && load<i32>(keys + off) == load<i32>(other + off)) continue;
    const sp = starts + ((<usize>(load<i32>(keys + off) + 1)) << 2);
    store<i32>(sp, load<i32>(sp) + 1);
  }
  for (let j = 0; j < k; j++) {
    const sp = starts + ((<usize>(j + 1)) << 2);
    store<i32>(sp, load<i32>(sp) + load<i32>(sp - 4));
  }
  // fill with a running cursor per group (starts[j] advances, then is restored from starts[j + 1] below)
  for (let l = 0; l < S; l++) {
    const off = (<usize>l) << 2;
    if (changedOnly && load<i32>(keys + off) == load<i32>(other + off)) continue;
    const sp = starts + ((<usize>load<i32>(keys + off)) << 2);
    const at = load<i32>(sp);
    store<i32>(order + ((<usize>at) << 2), l);
    store<i32>(sp, at + 1);
  }
  const total = load<i32>(starts + ((<usize>k) << 2));
  for (let j = k; j > 0; j--)
    store<i32>(starts + ((<usize>j) << 2), load<i32>(starts + ((<usize>(j - 1)) << 2)));
  store<i32>(starts, 0);
  return total;
}

/**
 * Pt[j] += sign F32[l] for the rows l of each group j of (order, starts), in group order: one Pt row in cache
 * per group, its rows eight at a time (addRows8), then four (addRows4), two (addRows2), one (addRow).
 */
function addGroups(F32: usize, S: i32, k: i32, Pt: usize, order: usize, starts: usize, sign: f64): void {
  const sB = (<usize>S) << 3;
  const s4 = (<usize>S) << 2;
  for (let j = 0; j < k; j++) {
    const e1 = load<i32>(starts + ((<usize>(j + 1)) << 2));
    const dst = Pt + <usize>j * sB;
    let e = load<i32>(starts + ((<usize>j) << 2));
    for (; e + 8 <= e1; e += 8) addRows8(dst, F32, s4, order + ((<usize>e) << 2), S, sign);
    for (; e + 4 <= e1; e += 4) {
      const at = order + ((<usize>e) << 2);
      addRows4(
        dst,
        F32 + <usize>load<i32>(at) * s4,
        F32 + <usize>load<i32>(at + 4) * s4,
        F32 + <usize>load<i32>(at + 8) * s4,
        F32 + <usize>load<i32>(at + 12) * s4,
        S,
        sign,
      );
    }
    if (e + 2 <= e1) {
      const at = order + ((<usize>e) << 2);
      addRows2(dst, F32 + <usize>load<i32>(at) * s4, F32 + <usize>load<i32>(at + 4) * s4, S, sign);
      e += 2;
    }
    if (e < e1) addRow(dst, F32 + <usize>load<i32>(order + ((<usize>e) << 2)) * s4, S, sign);
  }
}

/**
 * Brings Pt (k x S f64) to the membership `labels` (i32[S] in [0, k)): Pt[j] = sum of F32's rows of the
 * members of cluster j; counts f64[k] = cluster sizes; terms f64[k] = values summed into Pt[j] since its
 * last rebuild. pmem i32[S] is the membership Pt holds (any value < 0: none) and becomes labels. Moves the
 * changed rows (out of their old clusters, into their new ones, a cluster at a time) when at most S/2
 * changed, else rebuilds from zero. order i32[S] and starts i32[k + 1] are scratch. Returns the number of
 * changed rows.
 */
export function kmeans_gram_sync(
  F32: usize,
  S: i32,
  labels: usize,
  pmem: usize,
  k: i32,
  Pt: usize,
  counts: usize,
  terms: usize,
  order: usize,
  starts: usize,
): i32 {
  const sB = (<usize>S) << 3;
  let changed = 0;
  for (let l = 0; l < S; l++) {
    const off = (<usize>l) << 2;
    if (load<i32>(labels + off) != load<i32>(pmem + off)) changed++;
  }
  if (changed == 0) return 0;
  if (changed * 2 > S) {
    memory.fill(Pt, 0, <usize>k * sB);
    groupRows(labels, pmem, false, S, k, order, starts);
    addGroups(F32, S, k, Pt, order, starts, 1);
    for (let j = 0; j < k; j++) {
      const n = <f64>(load<i32>(starts + ((<usize>(j + 1)) << 2)) - load<i32>(starts + ((<usize>j) << 2)));
      store<f64>(counts + ((<usize>j) << 3), n);
      store<f64>(terms + ((<usize>j) << 3), n);
    }
    memory.copy(pmem, labels, (<usize>S) << 2);
    return changed;
  }
  // out of the old clusters, then into the new ones
  groupRows(pmem, labels, true, S, k, order, starts);
  addGroups(F32, S, k, Pt, order, starts, -1);
  for (let j = 0; j < k; j++) {
    const n = <f64>(load<i32>(starts + ((<usize>(j + 1)) << 2)) - load<i32>(starts + ((<usize>j) << 2)));
    store<f64>(counts + ((<usize>j) << 3), load<f64>(counts + ((<usize>j) << 3)) - n);
    store<f64>(terms + ((<usize>j) << 3), load<f64>(terms + ((<usize>j) << 3)) + n);
  }
  groupRows(labels, pmem, true, S, k, order, starts);
  addGroups(F32, S, k, Pt, order, starts, 1);
  for (let j = 0; j < k; j++) {
    const n = <f64>(load<i32>(starts + ((<usize>(j + 1)) << 2)) - load<i32>(starts + ((<usize>j) << 2)));
    store<f64>(counts + ((<usize>j) << 3), load<f64>(counts + ((<usize>j) << 3)) + n);
    store<f64>(terms + ((<usize>j) << 3), load<f64>(terms + ((<usize>j) << 3)) + n);
  }
  memory.copy(pmem, labels, (<usize>S) << 2);
  return changed;
}

/** 2 / n, or 0 for an empty cluster (whose centre is 0 and value exactly its cNorm, 0). */
function twoOver(n: f64): f64 {
  return n > 0 ? 2 / n : 0;
}

/** One centre's update of row i's least (m1, at i1) and second-least (m2) approximation, as the SIMD pass. */
function scalarUpdate(
  Pt: usize,
  sB: usize,
  cNorm: usize,
  counts: usize,
  j: i32,
  i: i32,
  m1: usize,
  m2: usize,
  i1: usize,
): void {
  const o = (<usize>i) << 3;
  const a =
    load<f64>(cNorm + ((<usize>j) << 3)) -
    twoOver(load<f64>(counts + ((<usize>j) << 3))) * load<f64>(Pt + <usize>j * sB + o);
  const a1 = load<f64>(m1 + o);
  if (a < a1) {
    store<f64>(m2 + o, a1);
    store<f64>(m1 + o, a);
    store<f64>(i1 + o, <f64>j);
  } else if (a < load<f64>(m2 + o)) {
    store<f64>(m2 + o, a);
  }
}

// The allowances of an assignment step (set by allowances(), read by the passes below).
let EPS: f64 = 0;
let CN_MAX: f64 = 0;
let RC: f64 = 0;

/** eps, cnMax and Rc of kmeans_gram_assign's comment, into EPS, CN_MAX and RC. */
function allowances(d: i32, R: f64, k: i32, cNorm: usize, counts: usize, terms: usize, cerr: usize): void {
  let eps: f64 = 0;
  let cnMax: f64 = 0;
  for (let j = 0; j < k; j++) {
    const off = (<usize>j) << 3;
    const tj = load<f64>(terms + off);
    const e =
      2 * gamma(<f64>d) +
      1.01 * U32 +
      (gamma(tj) * tj) / max<f64>(1, load<f64>(counts + off)) +
      2 * load<f64>(cerr + off) +
      4 * U;
    eps = max<f64>(eps, e);
    cnMax = max<f64>(cnMax, load<f64>(cNorm + off));
  }
  EPS = eps;
  CN_MAX = cnMax;
  RC = max<f64>(R, sqrt<f64>(cnMax) * (1 + 4 * U));
}

/** E_i of kmeans_gram_assign's comment for a row of norm xr (after allowances()). */
function allowance(xr: f64): f64 {
  return 1.01 * (2 * xr * RC * EPS + 4 * U * (CN_MAX + 2 * xr * RC));
}

/**
 * scalarUpdate for kmeans_gram_assign_changed, whose candidates do not come in centre order: a value equal to
 * the least goes first when its centre comes first (the full pass keeps the first centre of the least value).
 */
function changedUpdate(
  Pt: usize,
  sB: usize,
  cNorm: usize,
  counts: usize,
  j: i32,
  i: i32,
  m1: usize,
  m2: usize,
  i1: usize,
): void {
  const o = (<usize>i) << 3;
  const a =
    load<f64>(cNorm + ((<usize>j) << 3)) -
    twoOver(load<f64>(counts + ((<usize>j) << 3))) * load<f64>(Pt + <usize>j * sB + o);
  const a1 = load<f64>(m1 + o);
  if (a < a1 || (a == a1 && <f64>j < load<f64>(i1 + o))) {
    store<f64>(m2 + o, a1);
    store<f64>(m1 + o, a);
    store<f64>(i1 + o, <f64>j);
  } else if (a < load<f64>(m2 + o)) {
    store<f64>(m2 + o, a);
  }
}

/**
 * changedUpdate of rows r0 .. r1 for the centres j0 < j1 < j2 < j3, in that order per row, two rows at a time in
 * f64x2 (the bits of the scalar updates: the same values, the same comparisons). For centres that come in
 * order from the first (the full pass) it is scalarUpdate's too: a value equal to the least never has the
 * lower index there.
 */
function fourCentres(
  Pt: usize,
  sB: usize,
  cNorm: usize,
  counts: usize,
  j0: i32,
  j1: i32,
  j2: i32,
  j3: i32,
  r0: i32,
  r1: i32,
  scratch: usize,
): void {
  const m1 = scratch;
  const m2 = scratch + sB;
  const i1 = scratch + 2 * sB;
  const cnA = f64x2.splat(load<f64>(cNorm + ((<usize>j0) << 3)));
  const cnB = f64x2.splat(load<f64>(cNorm + ((<usize>j1) << 3)));
  const cnC = f64x2.splat(load<f64>(cNorm + ((<usize>j2) << 3)));
  const cnD = f64x2.splat(load<f64>(cNorm + ((<usize>j3) << 3)));
  const sA = f64x2.splat(twoOver(load<f64>(counts + ((<usize>j0) << 3))));
  const sBv = f64x2.splat(twoOver(load<f64>(counts + ((<usize>j1) << 3))));
  const sC = f64x2.splat(twoOver(load<f64>(counts + ((<usize>j2) << 3))));
  const sD = f64x2.splat(twoOver(load<f64>(counts + ((<usize>j3) << 3))));
  const jA = f64x2.splat(<f64>j0);
  const jB = f64x2.splat(<f64>j1);
  const jC = f64x2.splat(<f64>j2);
  const jD = f64x2.splat(<f64>j3);
  const rowA = Pt + <usize>j0 * sB;
  const rowB_ = Pt + <usize>j1 * sB;
  const rowC = Pt + <usize>j2 * sB;
  const rowD = Pt + <usize>j3 * sB;
  let i = r0;
  for (; i + 2 <= r1; i += 2) {
    const o = (<usize>i) << 3;
    const aA = f64x2.sub(cnA, f64x2.mul(sA, v128.load(rowA + o)));
    const aB = f64x2.sub(cnB, f64x2.mul(sBv, v128.load(rowB_ + o)));
    const aC = f64x2.sub(cnC, f64x2.mul(sC, v128.load(rowC + o)));
    const aD = f64x2.sub(cnD, f64x2.mul(sD, v128.load(rowD + o)));
    let x2 = v128.load(m2 + o);
    // none of the four at or below a row's second least changes anything (a value equal to the least is
    // not above the second least, so the test lets it through for its index)
    const low = f64x2.min(f64x2.min(aA, aB), f64x2.min(aC, aD));
    if (!v128.any_true(f64x2.le(low, x2))) continue;
    let x1 = v128.load(m1 + o);
    let xi = v128.load(i1 + o);
    let lt1 = v128.or(f64x2.lt(aA, x1), v128.and(f64x2.eq(aA, x1), f64x2.lt(jA, xi)));
    x2 = v128.bitselect(x1, v128.bitselect(aA, x2, f64x2.lt(aA, x2)), lt1);
    x1 = v128.bitselect(aA, x1, lt1);
    xi = v128.bitselect(jA, xi, lt1);
    lt1 = v128.or(f64x2.lt(aB, x1), v128.and(f64x2.eq(aB, x1), f64x2.lt(jB, xi)));
    x2 = v128.bitselect(x1, v128.bitselect(aB, x2, f64x2.lt(aB, x2)), lt1);
    x1 = v128.bitselect(aB, x1, lt1);
    xi = v128.bitselect(jB, xi, lt1);
    lt1 = v128.or(f64x2.lt(aC, x1), v128.and(f64x2.eq(aC, x1), f64x2.lt(jC, xi)));
    x2 = v128.bitselect(x1, v128.bitselect(aC, x2, f64x2.lt(aC, x2)), lt1);
    x1 = v128.bitselect(aC, x1, lt1);
    xi = v128.bitselect(jC, xi, lt1);
    lt1 = v128.or(f64x2.lt(aD, x1), v128.and(f64x2.eq(aD, x1), f64x2.lt(jD, xi)));
    x2 = v128.bitselect(x1, v128.bitselect(aD, x2, f64x2.lt(aD, x2)), lt1);
    x1 = v128.bitselect(aD, x1, lt1);
    xi = v128.bitselect(jD, xi, lt1);
    v128.store(m1 + o, x1);
    v128.store(m2 + o, x2);
    v128.store(i1 + o, xi);
  }
  for (; i < r1; i++) {
    changedUpdate(Pt, sB, cNorm, counts, j0, i, m1, m2, i1);
    changedUpdate(Pt, sB, cNorm, counts, j1, i, m1, m2, i1);
    changedUpdate(Pt, sB, cNorm, counts, j2, i, m1, m2, i1);
    changedUpdate(Pt, sB, cNorm, counts, j3, i, m1, m2, i1);
  }
}

/**
 * Assignment step through Pt, exact: labels[i] = the first minimum over j of the f64 values
 * cNorm_j - 2 dotTile(x_i, c_j) (as kmeans_assign_bounded), minDist[i] = sqDist(x_i, c_label).
 * The approximation a_ij = cNorm_j - s_j Pt[j][i], s_j = 2 / counts_j (0 for an empty cluster, whose centre
 * is 0 and value exactly cNorm_j = 0), is within E_i of the f64 value, with
 *   E_i = 1.01 (2 |x_i| Rc eps + 4 u (cnMax + 2 |x_i| Rc)),
 *   eps = max_j [2 gamma(d) + 1.01 2^-24 + gamma(terms_j) terms_j / max(1, counts_j) + 2 cerr_j + 4 u],
 * Rc = max(R, max_j |c_j|). One SIMD pass over Pt keeps each row's least and second-least a; a row whose
 * two are within 2 E_i is re-decided in f64 over the centres with a_ij <= min + 2 E_i (no other centre can
 * be a minimum). X S x d f64, xRoot f64[S] row norms, centers k x d f64, cNorm f64[k] their squared norms
 * (kmeans_row_norms), Pt/counts/terms as kmeans_gram_sync leaves them for the membership that made the
 * centres, cerr f64[k], labels i32[S] and minDist f64[S] outputs (minDist only when `distances` != 0: the
 * caller needs it for the inertia, which Lloyd's loop itself does not), scratch f64[4 S] (its first 3 S keep
 * every row's least a, its second-least and the index of the least for kmeans_gram_assign_changed).
 * Returns the number of re-decided rows.
 */
export function kmeans_gram_assign(
  X: usize,
  S: i32,
  d: i32,
  xRoot: usize,
  R: f64,
  centers: usize,
  k: i32,
  cNorm: usize,
  Pt: usize,
  counts: usize,
  terms: usize,
  cerr: usize,
  labels: usize,
  minDist: usize,
  scratch: usize,
  distances: i32,
): i32 {
  allowances(d, R, k, cNorm, counts, terms, cerr);
  leastTwo(S, k, cNorm, Pt, counts, scratch);
  return decide(X, S, d, xRoot, centers, k, cNorm, Pt, counts, labels, minDist, scratch, distances);
}

/**
 * kmeans_gram_assign after a step in which only the clusters changed[0 .. nc) (i32, ascending; flags i32[k]
 * marks them with 1, the others 0) changed their values a_ij (their members, hence Pt[j] and counts_j, or
 * their centre, hence cNorm_j): the same labels, minDist and return value, bit for bit, from O(S nc) work
 * instead of O(S k). On entry scratch holds what the previous assignment left (every row's least a m1 at
 * i1 and its second-least m2, so every other centre's a is >= m2); the values of the unchanged clusters are
 * the same bits as then. Per row, with b = m2: the least of m1 (unless i1 changed) and the changed
 * clusters' new values is the row's least when it is below b (every other value is >= b), and min(its
 * second, b) bounds the second-least from below. A row is scanned over all k centres as the full pass
 * would (strided reads of Pt) when that fails, or when the bound is not above m1 + 2 E_i and might hide a
 * value that the full pass would re-decide on; when more than S / 8 rows need it, the full pass runs
 * instead. info i32[2] gets the number of rescanned rows (S for the full pass) and whether the full pass
 * ran. rows i32[S] is scratch.
 */
export function kmeans_gram_assign_changed(
  X: usize,
  S: i32,
  d: i32,
  xRoot: usize,
  R: f64,
  centers: usize,
  k: i32,
  cNorm: usize,
  Pt: usize,
  counts: usize,
  terms: usize,
  cerr: usize,
  labels: usize,
  minDist: usize,
  scratch: usize,
  distances: i32,
  changed: usize,
  nc: i32,
  flags: usize,
  rows: usize,
  info: usize,
): i32 {
  allowances(d, R, k, cNorm, counts, terms, cerr);
  const sB = (<usize>S) << 3;
  const m1 = scratch;
  const m2 = scratch + sB;
  const i1 = scratch + 2 * sB;
  const bound = scratch + 3 * sB;
  // the bound b, and the candidates left from the previous step: the least unless its cluster changed
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 3;
    store<f64>(bound + off, load<f64>(m2 + off));
    store<f64>(m2 + off, Infinity);
    if (load<i32>(flags + ((<usize>(<i32>load<f64>(i1 + off))) << 2)) != 0) {
      store<f64>(m1 + off, Infinity);
      store<f64>(i1 + off, 0);
    }
  }
  // the changed clusters' values, a chunk of rows at a time (their m1, m2, i1 stay in L1), four clusters a pass
  for (let r0 = 0; r0 < S; r0 += ASSIGN_CHUNK) {
    const r1 = min(S, r0 + ASSIGN_CHUNK);
    let c = 0;
    for (; c + 4 <= nc; c += 4) {
      const js = changed + ((<usize>c) << 2);
      const j0 = load<i32>(js);
      const j1 = load<i32>(js + 4);
      const j2 = load<i32>(js + 8);
      fourCentres(Pt, sB, cNorm, counts, j0, j1, j2, load<i32>(js + 12), r0, r1, scratch);
    }
    for (; c < nc; c++) {
      const j = load<i32>(changed + ((<usize>c) << 2));
      for (let i = r0; i < r1; i++) changedUpdate(Pt, sB, cNorm, counts, j, i, m1, m2, i1);
    }
  }
  // which rows the candidates decide
  let count = 0;
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 3;
    const b = load<f64>(bound + off);
    const lo = load<f64>(m1 + off);
    const second = load<f64>(m2 + off);
    if (lo < b && (second < b || b > lo + 2 * allowance(load<f64>(xRoot + off)))) {
      store<f64>(m2 + off, min<f64>(second, b));
    } else {
      store<i32>(rows + ((<usize>count) << 2), i);
      count++;
    }
  }
  if (count * 8 > S) {
    leastTwo(S, k, cNorm, Pt, counts, scratch);
    store<i32>(info, S);
    store<i32>(info + 4, 1);
  } else {
    for (let n = 0; n < count; n++) {
      const i = load<i32>(rows + ((<usize>n) << 2));
      const off = (<usize>i) << 3;
      store<f64>(m1 + off, Infinity);
      store<f64>(m2 + off, Infinity);
      store<f64>(i1 + off, 0);
      for (let j = 0; j < k; j++) scalarUpdate(Pt, sB, cNorm, counts, j, i, m1, m2, i1);
    }
    store<i32>(info, count);
    store<i32>(info + 4, 0);
  }
  return decide(X, S, d, xRoot, centers, k, cNorm, Pt, counts, labels, minDist, scratch, distances);
}

/** Pass 1 of the assignment: every row's least a (m1, at i1) and second-least (m2) into scratch. */
function leastTwo(S: i32, k: i32, cNorm: usize, Pt: usize, counts: usize, scratch: usize): void {
  const sB = (<usize>S) << 3;
  const m1 = scratch;
  const m2 = scratch + sB;
  const i1 = scratch + 2 * sB;
  // pass 1: least (m1, at i1) and second-least (m2) approximation of every row
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 3;
    store<f64>(m1 + off, Infinity);
    store<f64>(m2 + off, Infinity);
    store<f64>(i1 + off, 0);
  }
  // chunks of ASSIGN_CHUNK rows keep their m1, m2, i1 in L1 while the centres' segments of Pt stream by,
  // four centres a pass (their updates applied in centre order, as one centre a pass would)
  for (let r0 = 0; r0 < S; r0 += ASSIGN_CHUNK) {
    const r1 = min(S, r0 + ASSIGN_CHUNK);
    let j = 0;
    for (; j + 4 <= k; j += 4) fourCentres(Pt, sB, cNorm, counts, j, j + 1, j + 2, j + 3, r0, r1, scratch);
    for (; j < k; j++) {
      for (let i = r0; i < r1; i++) scalarUpdate(Pt, sB, cNorm, counts, j, i, m1, m2, i1);
    }
  }
}

/** Pass 2 of the assignment: labels (and minDist), re-deciding the rows whose two least a are close. */
/** The least value so far and its centre (decide's running minimum, kept across valueFour calls). */
let bestValue: f64 = Infinity;
let bestIndex: i32 = 0;

/**
 * decide's values cNorm_j - 2 dotTile(x_i, c_j) of the first n of centres j0 .. j3 (ascending), four dot
 * products in one loop, each compared in order with the running minimum (strictly less replaces it).
 */
function valueFour(
  xi: usize,
  centers: usize,
  rowB: usize,
  d: i32,
  cNorm: usize,
  j0: i32,
  j1: i32,
  j2: i32,
  j3: i32,
  n: i32,
): void {
  const c0 = centers + <usize>j0 * rowB;
  dotTile4(
    xi,
    c0,
    xi,
    n > 1 ? centers + <usize>j1 * rowB : c0,
    xi,
    n > 2 ? centers + <usize>j2 * rowB : c0,
    xi,
    n > 3 ? centers + <usize>j3 * rowB : c0,
    d,
  );
  consider(load<f64>(cNorm + ((<usize>j0) << 3)) - 2 * dot0, j0);
  if (n > 1) consider(load<f64>(cNorm + ((<usize>j1) << 3)) - 2 * dot1, j1);
  if (n > 2) consider(load<f64>(cNorm + ((<usize>j2) << 3)) - 2 * dot2, j2);
  if (n > 3) consider(load<f64>(cNorm + ((<usize>j3) << 3)) - 2 * dot3, j3);
}

function consider(v: f64, j: i32): void {
  if (v < bestValue) {
    bestValue = v;
    bestIndex = j;
  }
}

function decide(
  X: usize,
  S: i32,
  d: i32,
  xRoot: usize,
  centers: usize,
  k: i32,
  cNorm: usize,
  Pt: usize,
  counts: usize,
  labels: usize,
  minDist: usize,
  scratch: usize,
  distances: i32,
): i32 {
  const rowB = (<usize>d) << 3;
  const sB = (<usize>S) << 3;
  const m1 = scratch;
  const m2 = scratch + sB;
  const i1 = scratch + 2 * sB;
  // pass 2: labels, re-deciding the rows whose two least values are within the allowance
  let redecided = 0;
  for (let i = 0; i < S; i++) {
    const off = (<usize>i) << 3;
    const E = allowance(load<f64>(xRoot + off));
    const lo = load<f64>(m1 + off);
    let best = <i32>load<f64>(i1 + off);
    const xi = X + <usize>i * rowB;
    if (load<f64>(m2 + off) <= lo + 2 * E) {
      redecided++;
      const limit = lo + 2 * E;
      // the centres within the limit, in order, valued four at a time (dotTile4); the first least wins
      bestValue = Infinity;
      bestIndex = best;
      let n = 0;
      let j0 = 0;
      let j1 = 0;
      let j2 = 0;
      for (let j = 0; j < k; j++) {
        const jo = (<usize>j) << 3;
        const sj = twoOver(load<f64>(counts + jo));
        if (load<f64>(cNorm + jo) - sj * load<f64>(Pt + <usize>j * sB + off) > limit) continue;
        if (n == 0) j0 = j;
        else if (n == 1) j1 = j;
        else if (n == 2) j2 = j;
        else {
          valueFour(xi, centers, rowB, d, cNorm, j0, j1, j2, j, 4);
          n = 0;
          continue;
        }
        n++;
      }
      if (n > 0) valueFour(xi, centers, rowB, d, cNorm, j0, j1, j2, j0, n);
      best = bestIndex;
    }
    store<i32>(labels + ((<usize>i) << 2), best);
    if (distances) store<f64>(minDist + off, sqDist(xi, centers + <usize>best * rowB, d));
  }
  return redecided;
}

// Shared f64 helpers of the exact k-means kernels (./kmeans.ts, ./kmeans-bounded.ts, ./kmeans-gram.ts). Not exported from
// the module: dotTile defines the operation order that every exact route reproduces.

import { KC_F64 as KC } from './gemm';
import { hsumF64x2 } from './simd';

/** Squared Euclidean distance of two f64 vectors of length d (direct differences, no cancellation). */
export function sqDist(a: usize, b: usize, d: i32): f64 {
  let s0 = f64x2.splat(0);
  let s1 = f64x2.splat(0);
  let k = 0;
  for (; k + 4 <= d; k += 4) {
    const off = (<usize>k) << 3;
    const e0 = f64x2.sub(v128.load(a + off), v128.load(b + off));
    const e1 = f64x2.sub(v128.load(a + off + 16), v128.load(b + off + 16));
    s0 = f64x2.add(s0, f64x2.mul(e0, e0));
    s1 = f64x2.add(s1, f64x2.mul(e1, e1));
  }
  let t = hsumF64x2(f64x2.add(s0, s1));
  for (; k < d; k++) {
    const off = (<usize>k) << 3;
    const e = load<f64>(a + off) - load<f64>(b + off);
    t += e * e;
  }
  return t;
}

/**
 * a . b in f64 with the operation order of one entry of gemm_abt_f64's register tiles (chunks of KC
 * columns, two lanes over column pairs, the odd column last, chunk sums added in order), so the same bits.
 */
export function dotTile(a: usize, b: usize, d: i32): f64 {
  let c: f64 = 0;
  for (let k0 = 0; k0 < d; k0 += KC) {
    const kc = min(KC, d - k0);
    const base = (<usize>k0) << 3;
    let s = f64x2.splat(0);
    let k = 0;
    for (; k + 2 <= kc; k += 2) {
      const off = base + ((<usize>k) << 3);
      s = f64x2.add(s, f64x2.mul(v128.load(a + off), v128.load(b + off)));
    }
    let t = hsumF64x2(s);
    if (k < kc) {
      const off = base + ((<usize>k) << 3);
      t += load<f64>(a + off) * load<f64>(b + off);
    }
    c += t;
  }
  return c;
}

/** The results of dotTile4 (module globals: a Wasm function returns one value). */
export let dot0: f64 = 0;
export let dot1: f64 = 0;
export let dot2: f64 = 0;
export let dot3: f64 = 0;

/**
 * Four dot products a_r . b_r, each with dotTile's operation order (so each the same bits as dotTile), in
 * one loop: four independent chains of additions instead of one, so the latency of each f64 addition
 * overlaps the others'. Results in dot0 .. dot3.
 */
export function dotTile4(
  a0: usize,
  b0: usize,
  a1: usize,
  b1: usize,
  a2: usize,
  b2: usize,
  a3: usize,
  b3: usize,
  d: i32,
): void {
  let c0: f64 = 0;
  let c1: f64 = 0;
  let c2: f64 = 0;
  let c3: f64 = 0;
  for (let k0 = 0; k0 < d; k0 += KC) {
    const kc = min(KC, d - k0);
    const base = (<usize>k0) << 3;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let s2 = f64x2.splat(0);
    let s3 = f64x2.splat(0);
    let k = 0;
    for (; k + 2 <= kc; k += 2) {
      const off = base + ((<usize>k) << 3);
      s0 = f64x2.add(s0, f64x2.mul(v128.load(a0 + off), v128.load(b0 + off)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(a1 + off), v128.load(b1 + off)));
      s2 = f64x2.add(s2, f64x2.mul(v128.load(a2 + off), v128.load(b2 + off)));
      s3 = f64x2.add(s3, f64x2.mul(v128.load(a3 + off), v128.load(b3 + off)));
    }
    let t0 = hsumF64x2(s0);
    let t1 = hsumF64x2(s1);
    let t2 = hsumF64x2(s2);
    let t3 = hsumF64x2(s3);
    if (k < kc) {
      const off = base + ((<usize>k) << 3);
      t0 += load<f64>(a0 + off) * load<f64>(b0 + off);
      t1 += load<f64>(a1 + off) * load<f64>(b1 + off);
      t2 += load<f64>(a2 + off) * load<f64>(b2 + off);
      t3 += load<f64>(a3 + off) * load<f64>(b3 + off);
    }
    c0 += t0;
    c1 += t1;
    c2 += t2;
    c3 += t3;
  }
  dot0 = c0;
  dot1 = c1;
  dot2 = c2;
  dot3 = c3;
}

// The k-means++ potential of a candidate, sum_i min(closest[i], v_i), in the one operation order that every
// route reproduces (kmeans_pp_trials, kmeans_pp_trials_bounded, kmeans_gram_trials): the sum of closest in row
// order (base), plus the differences v_i - closest[i] of the rows the candidate comes closer to (v_i <
// closest[i]) added in row order to p = 0 (potentialStep), the two then added (potentialOf). A candidate's
// potential thus costs its few changed rows, not S. Before the first centre (closest Infinity everywhere) p
// is the sum of every v_i in row order and the potential p.

/** sum_i closest[i] in row order (f64[S]). */
export function closestSum(closest: usize, S: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < S; i++) s += load<f64>(closest + ((<usize>i) << 3));
  return s;
}

/** The running sum p of a candidate's differences after a row with value v < cl (its closest). */
export function potentialStep(p: f64, v: f64, cl: f64): f64 {
  return cl == Infinity ? p + v : p + (v - cl);
}

/** The potential from the sum of closest and the candidate's summed differences. */
export function potentialOf(base: f64, p: f64): f64 {
  return base == Infinity ? p : base + p;
}

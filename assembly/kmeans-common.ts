// Shared f64 helpers of the exact k-means kernels (./kmeans-bounded.ts, ./kmeans-gram.ts). Not exported from
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

// Angular affinity (SPEC.md 4.1 step 8): A = 1 - arccos(clip(C, -1, 1)) / pi, in place over f32; and the same
// of |C| (QDG's --cosine abs, beyond the paper).
//
// arccos on [0, 1] is Abramowitz & Stegun 4.4.46: acos(x) = sqrt(1 - x) (a0 + a1 x + ... + a7 x^7), with
// absolute error <= 2e-8 rad; for x < 0, acos(x) = pi - acos(-x). In f32 arithmetic the result is within
// about 4e-7 rad (two f32 ulps of pi) of the true angle (tested against Math.acos); 1 - x is exact for x in
// [0.5, 1] (Sterbenz), so the steep region near x = 1 loses nothing to cancellation.

const A0: f32 = 1.570796305;
const A1: f32 = -0.2145988016;
const A2: f32 = 0.0889789874;
const A3: f32 = -0.0501743046;
const A4: f32 = 0.030891881;
const A5: f32 = -0.0170881256;
const A6: f32 = 0.0066700901;
const A7: f32 = -0.0012624911;
const PI_F32: f32 = 3.14159265358979;
const INV_PI: f32 = 0.318309886183791;

function acosVec(c: v128): v128 {
  const one = f32x4.splat(1);
  const x = f32x4.min(f32x4.max(c, f32x4.splat(-1)), one);
  const ax = f32x4.abs(x);
  let p = f32x4.splat(A7);
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A6));
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A5));
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A4));
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A3));
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A2));
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A1));
  p = f32x4.add(f32x4.mul(p, ax), f32x4.splat(A0));
  const r = f32x4.mul(f32x4.sqrt(f32x4.sub(one, ax)), p);
  const neg = f32x4.lt(x, f32x4.splat(0));
  return v128.bitselect(f32x4.sub(f32x4.splat(PI_F32), r), r, neg);
}

/** arccos of one f32 (clipped to [-1, 1]; NaN stays NaN), the scalar form of the vector kernel. */
export function acos_f32(c: f32): f32 {
  return f32x4.extract_lane(acosVec(f32x4.splat(c)), 0);
}

/**
 * In place over rows [row0, row0 + rows) of an S x S f32 cosine-similarity matrix (row-major, ld = S):
 * A_ij = 1 - arccos(C_ij)/pi after clipping C_ij to [-1, 1], so A is in [0, 1]; the diagonal entries of these
 * rows are set to exactly 1 (a sample's angle with itself is 0, whatever rounding left in C_ii). Symmetric C
 * gives symmetric A. NaN entries stay NaN. (Row ranges let the caller make many short calls, so the engine
 * tiers the kernel up to optimised code after the first few: a Wasm call never switches tier mid-call.)
 */
export function affinity_angular(C: usize, S: i32, row0: i32, rows: i32): void {
  const begin = <usize>row0 * <usize>S;
  const end = begin + <usize>rows * <usize>S;
  const one = f32x4.splat(1);
  const invPi = f32x4.splat(INV_PI);
  let e: usize = begin;
  for (; e + 4 <= end; e += 4) {
    const p = C + (e << 2);
    v128.store(p, f32x4.sub(one, f32x4.mul(acosVec(v128.load(p)), invPi)));
  }
  for (; e < end; e++) {
    const p = C + (e << 2);
    store<f32>(p, 1 - acos_f32(load<f32>(p)) * INV_PI);
  }
  const diagStep = (<usize>S + 1) << 2;
  for (let i = row0; i < row0 + rows; i++) store<f32>(C + <usize>i * diagStep, 1);
}

/**
 * As affinity_angular, of the absolute cosine: A_ij = 1 - arccos(|C_ij|)/pi after clipping |C_ij| to [0, 1], so A
 * is in [1/2, 1] and a gradient and its negative count as one direction. The rows are made |C| in place, then
 * affinity_angular runs over them (the rows of one call are few: the second pass reads them from cache).
 */
export function affinity_angular_abs(C: usize, S: i32, row0: i32, rows: i32): void {
  const begin = <usize>row0 * <usize>S;
  const end = begin + <usize>rows * <usize>S;
  let e: usize = begin;
  for (; e + 4 <= end; e += 4) {
    const p = C + (e << 2);
    v128.store(p, f32x4.abs(v128.load(p)));
  }
  for (; e < end; e++) {
    const p = C + (e << 2);
    store<f32>(p, Mathf.abs(load<f32>(p)));
  }
  affinity_angular(C, S, row0, rows);
}

// Small SIMD helpers shared by the kernel files, @inline (so .prettierignore skips this file: TypeScript
// rejects decorators on functions). Not re-exported by ./index.ts, so not Wasm exports (an
// exported function with a v128 parameter would be an AS112 warning). Each horizontal sum fixes its
// operation order: a kernel and its TypeScript twin that must agree bit for bit rely on it.

/** v[0] + v[1] of an f64x2. */
@inline export function hsumF64x2(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Loads two f32 at `p` and promotes them to an f64x2. */
@inline export function load2f32(p: usize): v128 {
  return f64x2.promote_low_f32x4(v128.load64_zero(p));
}

/** (v[0] + v[1]) + (v[2] + v[3]) of an f32x4: adjacent pairs first. */
@inline export function hsumF32x4Pairs(v: v128): f32 {
  return (
    f32x4.extract_lane(v, 0) +
    f32x4.extract_lane(v, 1) +
    (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
  );
}

/** (v[0] + v[2]) + (v[1] + v[3]) of an f32x4: the two halves added lane-wise first (one shuffle). */
@inline export function hsumF32x4Halves(v: v128): f32 {
  const t = f32x4.add(v, v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return f32x4.extract_lane(t, 0) + f32x4.extract_lane(t, 1);
}

/** Values 0 and 1 of an f32x4 widened exactly to f64, negated when `neg` (negation is exact). */
@inline export function widenLow(v: v128, neg: bool): v128 {
  const p = f64x2.promote_low_f32x4(v);
  return neg ? f64x2.neg(p) : p;
}

/** Values 2 and 3 of an f32x4 widened exactly to f64, negated when `neg`. */
@inline export function widenHigh(v: v128, neg: bool): v128 {
  const p = f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
  return neg ? f64x2.neg(p) : p;
}

// The relaxed-SIMD build (./relaxed.ts, compiled with `--enable relaxed-simd`; src/core/wasm.ts loads it only when
// asked) fuses the multiply-adds of a few hot loops. In the core's own build ASC_FEATURE_RELAXED_SIMD is false and
// these are exactly the separate multiplies and adds the kernels always did, in the same order: the same bits.

/** c + a b, lane-wise: one fused multiply-add in the relaxed build, a multiply then an add in the core's. */
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(c, f64x2.mul(a, b));
}

/**
 * acc + (a0 b0 + a1 b1) + (a2 b2 + a3 b3), lane-wise: in the core's build the tree in that order (acc added
 * last), in the relaxed build a chain of four fused multiply-adds onto acc (fewer instructions, and the chain
 * is not loop-carried: the fastest of the FMA forms measured in session 13).
 */
@inline export function addProducts4(
  acc: v128,
  a0: v128,
  b0: v128,
  a1: v128,
  b1: v128,
  a2: v128,
  b2: v128,
  a3: v128,
  b3: v128,
): v128 {
  if (ASC_FEATURE_RELAXED_SIMD)
    return f64x2.relaxed_madd(
      a3,
      b3,
      f64x2.relaxed_madd(a2, b2, f64x2.relaxed_madd(a1, b1, f64x2.relaxed_madd(a0, b0, acc))),
    );
  return f64x2.add(
    acc,
    f64x2.add(f64x2.add(f64x2.mul(a0, b0), f64x2.mul(a1, b1)), f64x2.add(f64x2.mul(a2, b2), f64x2.mul(a3, b3))),
  );
}

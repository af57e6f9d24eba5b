// The optional relaxed-SIMD module: the Lanczos products and Ritz vectors of ./lanczos.ts and ./lanczos-block.ts
// compiled again with `--enable relaxed-simd`, so that ./simd.ts's madd and addProducts4 become fused
// multiply-adds (f64x2.relaxed_madd: vfmadd on x86-64 with FMA3, fmla on ARM). It imports the core's memory and
// allocates nothing: src/core/wasm.ts instantiates it over a core's memory, and the kernels below replace the
// core's own, only when the user asks for it (QUANTA_SIMD=relaxed). Fused results differ from the core's in
// the last bits; on one machine they are the same from run to run and on one thread or two.
export { lanczos_symv_upper, lanczos_symv_upper_rows, lanczos_ritz } from './lanczos';
export { lanczos_symv2_upper_rows } from './lanczos-block';

/** 1 if f64x2.relaxed_madd rounds once here (fused), 0 if it multiplies then adds: (1 + 2^-30)^2 - (1 + 2^-29). */
export function relaxed_fused(): i32 {
  const a = f64x2.splat(1 + 0.000000000931322574615478515625);
  const c = f64x2.splat(-(1 + 0.00000000186264514923095703125));
  return f64x2.extract_lane(f64x2.relaxed_madd(a, a, c), 0) != 0 ? 1 : 0;
}

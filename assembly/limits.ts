// Microbenchmark kernels that measure this machine's limits for the Wasm core (bench/limits.mjs): the SIMD
// arithmetic peak (f32x4 and f64x2 multiply + add with enough independent accumulators to hide latency) and
// the memory bandwidth (streaming read, write, copy). They compute something checkable, so that no compiler
// can drop the work and a TypeScript twin (test/limits.test.ts) can hold them to exact results.
//
// Wasm has no fused multiply-add without relaxed SIMD, so one "mul+add" is two IEEE operations, each rounded,
// and counted as 2 flops per lane.

// Both arithmetic kernels keep 12 independent accumulator chains: enough to cover mul + add latency on x86-64
// (2 ports x about 3 cycles each way) while the chains and the two constants stay within the 16 xmm registers.

/**
 * f32x4 arithmetic peak: `iters` times, every accumulator a_j (j < 12, 4 lanes each) becomes
 * a_j * m + c, rounded to f32 after the multiply and after the add.
 * `state` f32[48] (16-byte aligned): the 12 accumulators, read at the start and written back at the end.
 * Work: iters * 48 * 2 flops. The caller keeps |m| < 1 and c small so the values stay finite.
 */
export function limits_f32x4_muladd(state: usize, iters: i32, m: f32, c: f32): void {
  const vm = f32x4.splat(m);
  const vc = f32x4.splat(c);
  let a0 = v128.load(state, 0);
  let a1 = v128.load(state, 16);
  let a2 = v128.load(state, 32);
  let a3 = v128.load(state, 48);
  let a4 = v128.load(state, 64);
  let a5 = v128.load(state, 80);
  let a6 = v128.load(state, 96);
  let a7 = v128.load(state, 112);
  let a8 = v128.load(state, 128);
  let a9 = v128.load(state, 144);
  let a10 = v128.load(state, 160);
  let a11 = v128.load(state, 176);
  for (let i = 0; i < iters; i++) {
    a0 = f32x4.add(f32x4.mul(a0, vm), vc);
    a1 = f32x4.add(f32x4.mul(a1, vm), vc);
    a2 = f32x4.add(f32x4.mul(a2, vm), vc);
    a3 = f32x4.add(f32x4.mul(a3, vm), vc);
    a4 = f32x4.add(f32x4.mul(a4, vm), vc);
    a5 = f32x4.add(f32x4.mul(a5, vm), vc);
    a6 = f32x4.add(f32x4.mul(a6, vm), vc);
    a7 = f32x4.add(f32x4.mul(a7, vm), vc);
    a8 = f32x4.add(f32x4.mul(a8, vm), vc);
    a9 = f32x4.add(f32x4.mul(a9, vm), vc);
    a10 = f32x4.add(f32x4.mul(a10, vm), vc);
    a11 = f32x4.add(f32x4.mul(a11, vm), vc);
  }
  v128.store(state, a0, 0);
  v128.store(state, a1, 16);
  v128.store(state, a2, 32);
  v128.store(state, a3, 48);
  v128.store(state, a4, 64);
  v128.store(state, a5, 80);
  v128.store(state, a6, 96);
  v128.store(state, a7, 112);
  v128.store(state, a8, 128);
  v128.store(state, a9, 144);
  v128.store(state, a10, 160);
  v128.store(state, a11, 176);
}

/**
 * f64x2 arithmetic peak: `iters` times, every accumulator a_j (j < 12, 2 lanes each) becomes a_j * m + c.
 * `state` f64[24] (16-byte aligned), read at the start and written back at the end.
 * Work: iters * 24 * 2 flops. The caller keeps |m| < 1 and c small.
 */
export function limits_f64x2_muladd(state: usize, iters: i32, m: f64, c: f64): void {
  const vm = f64x2.splat(m);
  const vc = f64x2.splat(c);
  let a0 = v128.load(state, 0);
  let a1 = v128.load(state, 16);
  let a2 = v128.load(state, 32);
  let a3 = v128.load(state, 48);
  let a4 = v128.load(state, 64);
  let a5 = v128.load(state, 80);
  let a6 = v128.load(state, 96);
  let a7 = v128.load(state, 112);
  let a8 = v128.load(state, 128);
  let a9 = v128.load(state, 144);
  let a10 = v128.load(state, 160);
  let a11 = v128.load(state, 176);
  for (let i = 0; i < iters; i++) {
    a0 = f64x2.add(f64x2.mul(a0, vm), vc);
    a1 = f64x2.add(f64x2.mul(a1, vm), vc);
    a2 = f64x2.add(f64x2.mul(a2, vm), vc);
    a3 = f64x2.add(f64x2.mul(a3, vm), vc);
    a4 = f64x2.add(f64x2.mul(a4, vm), vc);
    a5 = f64x2.add(f64x2.mul(a5, vm), vc);
    a6 = f64x2.add(f64x2.mul(a6, vm), vc);
    a7 = f64x2.add(f64x2.mul(a7, vm), vc);
    a8 = f64x2.add(f64x2.mul(a8, vm), vc);
    a9 = f64x2.add(f64x2.mul(a9, vm), vc);
    a10 = f64x2.add(f64x2.mul(a10, vm), vc);
    a11 = f64x2.add(f64x2.mul(a11, vm), vc);
  }
  v128.store(state, a0, 0);
  v128.store(state, a1, 16);
  v128.store(state, a2, 32);
  v128.store(state, a3, 48);
  v128.store(state, a4, 64);
  v128.store(state, a5, 80);
  v128.store(state, a6, 96);
  v128.store(state, a7, 112);
  v128.store(state, a8, 128);
  v128.store(state, a9, 144);
  v128.store(state, a10, 160);
  v128.store(state, a11, 176);
}

/**
 * Streaming read: the wrapping (mod 2^32) sum of the i32 words of `src`, read 64 bytes per iteration into
 * four independent i32x4 accumulators. `src` 16-byte aligned, `bytes` a multiple of 64.
 */
export function limits_read(src: usize, bytes: i32): i32 {
  let s0 = i32x4.splat(0);
  let s1 = i32x4.splat(0);
  let s2 = i32x4.splat(0);
  let s3 = i32x4.splat(0);
  const end = src + <usize>bytes;
  for (let p = src; p < end; p += 64) {
    s0 = i32x4.add(s0, v128.load(p, 0));
    s1 = i32x4.add(s1, v128.load(p, 16));
    s2 = i32x4.add(s2, v128.load(p, 32));
    s3 = i32x4.add(s3, v128.load(p, 48));
  }
  const s = i32x4.add(i32x4.add(s0, s1), i32x4.add(s2, s3));
  return (
    i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3)
  );
}

/**
 * Streaming write: fills `bytes` bytes at `dst` with the i32 `value`, 64 bytes per iteration.
 * `dst` 16-byte aligned, `bytes` a multiple of 64.
 */
export function limits_write(dst: usize, bytes: i32, value: i32): void {
  const v = i32x4.splat(value);
  const end = dst + <usize>bytes;
  for (let p = dst; p < end; p += 64) {
    v128.store(p, v, 0);
    v128.store(p, v, 16);
    v128.store(p, v, 32);
    v128.store(p, v, 48);
  }
}

/**
 * Streaming copy with v128 loads and stores, 64 bytes per iteration: dst[0, bytes) = src[0, bytes).
 * Both 16-byte aligned, `bytes` a multiple of 64, the two ranges disjoint.
 */
export function limits_copy(dst: usize, src: usize, bytes: i32): void {
  const end = src + <usize>bytes;
  let q = dst;
  for (let p = src; p < end; p += 64) {
    const x0 = v128.load(p, 0);
    const x1 = v128.load(p, 16);
    const x2 = v128.load(p, 32);
    const x3 = v128.load(p, 48);
    v128.store(q, x0, 0);
    v128.store(q, x1, 16);
    v128.store(q, x2, 32);
    v128.store(q, x3, 48);
    q += 64;
  }
}

/** Copy with the bulk-memory instruction memory.copy (the engine's memmove): dst[0, bytes) = src[0, bytes). */
export function limits_bulk_copy(dst: usize, src: usize, bytes: i32): void {
  memory.copy(dst, src, <usize>bytes);
}

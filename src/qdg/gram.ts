// The dense route to the QDG similarity matrix (SPEC.md 4.1 items 6-7) for per-sample gradients that users
// bring as .npy: the Gram G = A A^T of the S x P gradient matrix A, accumulated by a SIMD SYRK over blocks of
// columns (memory holds S x blockCols of A at a time, P may be millions), then the cosine normalisation
// C_ij = G_ij / sqrt(G_ii G_jj). Models trained here take the factored route instead (./factored-gram.ts).
//
// Accumulation is f32 (see assembly/syrk.ts): the S x S matrix in f64 would not fit Wasm's 4 GiB at
// S = 20,000, and the reference computes it with f32 torch matmuls too.
import type { Core } from '../core/arena.js';
import type { BufferPlan } from '../core/buffers.js';

/** Default bytes of one column block of A in Wasm memory. */
export const DEFAULT_BLOCK_BYTES = 64 * 2 ** 20;

/** Columns of A in one block: as many as `blockBytes` holds for S rows of f32 (at least 1, at most P). */
export function gramBlockColumns(S: number, P: number, blockBytes = DEFAULT_BLOCK_BYTES): number {
  return Math.max(1, Math.min(P, Math.floor(blockBytes / (4 * S))));
}

/** The dense route's scratch beside the S x S Gram: one S x blockCols block of A, f32. */
export function gradientBlockPlan(
  S: number,
  P: number,
  blockBytes = DEFAULT_BLOCK_BYTES,
): BufferPlan<'block'> {
  return [{ name: 'block', bytes: 4 * S * gramBlockColumns(S, P, blockBytes) }];
}

/**
 * G += A A^T into the f32 S x S matrix at gramPtr from an S x cols block of A (row stride `ld` floats) at
 * blockPtr. Only the lower triangle is accumulated; call `mirrorGram` once at the end.
 */
export function syrkAccumulate(
  core: Core,
  gramPtr: number,
  S: number,
  blockPtr: number,
  cols: number,
  ld = cols,
): void {
  core.kernels.gemm_abt_f32(gramPtr, S, blockPtr, ld, blockPtr, ld, S, S, cols, 0);
}

/**
 * Calls `kernel(row0, rows)` over [0, S) in row blocks of about 2^20 elements. A Wasm call never changes
 * tier mid-call, so one call over a whole S x S matrix would run entirely in the engine's baseline code;
 * many short calls let it switch to optimised code after the first few (about 2x faster here).
 */
export function forRowBlocks(S: number, kernel: (row0: number, rows: number) => void, multiple = 64): void {
  const step = Math.max(multiple, Math.floor(2 ** 20 / S / multiple) * multiple);
  for (let r0 = 0; r0 < S; r0 += step) kernel(r0, Math.min(step, S - r0));
}

/** Copies the lower triangle of the S x S f32 matrix onto the upper one. */
export function mirrorGram(core: Core, gramPtr: number, S: number): void {
  forRowBlocks(S, (r0, rows) => core.kernels.gram_mirror_lower(gramPtr, S, r0, rows));
}

/**
 * In place: C_ij = G_ij / sqrt(G_ii G_jj) over the full symmetric f32 S x S Gram at gramPtr, diagonal
 * exactly 1. A zero-norm sample (G_ii = 0) gets cosine 0 everywhere, its diagonal included (torch's
 * F.normalize maps a zero vector to zero). Uses S floats of scratch above the allocator top, released after.
 */
export function cosineFromGram(core: Core, gramPtr: number, S: number): void {
  const mark = core.mark();
  try {
    const scratch = core.allocF32(S);
    core.kernels.gram_inv_norms(gramPtr, S, scratch);
    forRowBlocks(S, (r0, rows) => core.kernels.gram_cosine_rows(gramPtr, S, scratch, r0, rows), 1);
  } finally {
    core.release(mark);
  }
}

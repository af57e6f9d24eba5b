// The dense route to the QDG similarity matrix (SPEC.md 4.1 items 6-7) for per-sample gradients that users
// bring as .npy: the Gram G = A A^T of the S x P gradient matrix A, accumulated by a SIMD SYRK over blocks of
// columns (memory holds S x blockCols of A at a time, P may be millions), then the cosine normalisation
// C_ij = G_ij / sqrt(G_ii G_jj). Models trained here take the factored route instead (./factored-gram.ts).
//
// Accumulation is f32 (see assembly/syrk.ts): the S x S matrix in f64 would not fit Wasm's 4 GiB at
// S = 20,000, and the reference computes it with f32 torch matmuls too.
import type { Core } from '../core/arena.js';
import { MemoryLimitError, formatBytes } from '../core/arena.js';
import { ConfigError } from '../core/errors.js';
import { NpyReader } from '../io/npy.js';

/** Default bytes of one column block of A in Wasm memory. */
export const DEFAULT_BLOCK_BYTES = 64 * 2 ** 20;

export interface GramOptions {
  /** Bytes of Wasm memory for one S x blockCols block of gradients (default 64 MiB). */
  blockBytes?: number;
  /** Called after each block with (columns done, total columns). */
  onProgress?: (done: number, total: number) => void;
}

export interface GramResult {
  /** S: rows of the gradient matrix. */
  samples: number;
  /** f32 S x S, row-major, symmetric (both triangles filled), allocated on `core`. */
  gramPtr: number;
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
 * The Gram matrix G = A A^T of the S x P gradient matrix stored in the .npy file at `path` (dtype <f4, <f2
 * or <f8, C order; rows are samples). Reads column blocks of A with one positioned read per row and block,
 * so it never holds more than S x blockCols floats of A. Returns the f32 S x S matrix in Wasm memory
 * (allocated on `core`; release it with core.release(mark) taken before the call).
 */
export function gramFromNpy(core: Core, path: string, opts: GramOptions = {}): GramResult {
  const reader = new NpyReader(path);
  try {
    const { shape } = reader.header;
    if (shape.length !== 2)
      throw new ConfigError(
        `${path}: gradients must be a 2-D (samples x parameters) array, got shape (${shape.join(', ')})`,
      );
    const S = reader.rows;
    const P = reader.cols;
    if (S < 1 || P < 1) throw new ConfigError(`${path}: empty gradient matrix (${S} x ${P})`);
    const blockBytes = opts.blockBytes ?? DEFAULT_BLOCK_BYTES;
    const blockCols = Math.max(1, Math.min(P, Math.floor(blockBytes / (4 * S))));
    const need = 4 * S * S + 4 * S * blockCols + 256;
    if (need > core.available) {
      throw new MemoryLimitError(
        `${path}: the ${S} x ${S} Gram and a ${S} x ${blockCols} block need ${formatBytes(need)}, ${formatBytes(core.available)} of Wasm memory is free`,
      );
    }
    const gramPtr = core.allocF32(S * S);
    const mark = core.mark();
    try {
      const blockPtr = core.allocF32(S * blockCols);
      for (let c0 = 0; c0 < P; c0 += blockCols) {
        const nc = Math.min(blockCols, P - c0);
        reader.readBlock(0, S, c0, nc, core.f32(blockPtr, S * nc), nc);
        syrkAccumulate(core, gramPtr, S, blockPtr, nc);
        opts.onProgress?.(c0 + nc, P);
      }
      mirrorGram(core, gramPtr, S);
      // a NaN or an infinity anywhere in row i makes G_ii non-finite: find it only then (no cost otherwise)
      const G = core.f32(gramPtr, S * S);
      for (let i = 0; i < S; i++)
        if (!Number.isFinite(G[i * S + i])) throw badGradientRow(core, reader, path, i, P);
    } finally {
      core.release(mark);
    }
    return { samples: S, gramPtr };
  } finally {
    reader.close();
  }
}

/** The error for gradient row i whose sum of squares is not finite: its first non-finite value, named. */
function badGradientRow(core: Core, reader: NpyReader, path: string, i: number, P: number): ConfigError {
  const mark = core.mark();
  try {
    const cols = Math.min(P, 1 << 16);
    const ptr = core.allocF32(cols);
    for (let c0 = 0; c0 < P; c0 += cols) {
      const nc = Math.min(cols, P - c0);
      const row = core.f32(ptr, nc);
      reader.readBlock(i, 1, c0, nc, row, nc);
      const k = row.findIndex((x) => !Number.isFinite(x));
      if (k >= 0)
        return new ConfigError(`--gradients: ${path}: non-finite value ${row[k]} at (${i}, ${c0 + k})`);
    }
  } finally {
    core.release(mark);
  }
  return new ConfigError(
    `--gradients: ${path}: row ${i}'s squared norm overflows float32 (values near 1e19 or larger): rescale the gradients`,
  );
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

/** Plain twin (test oracle): G = A A^T of a row-major S x P matrix, in f64. */
export function referenceGram(a: ArrayLike<number>, S: number, P: number): Float64Array {
  const g = new Float64Array(S * S);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      let s = 0;
      for (let k = 0; k < P; k++) s += a[i * P + k] * a[j * P + k];
      g[i * S + j] = s;
    }
  }
  return g;
}

/** Plain twin (test oracle) of cosineFromGram. */
export function referenceCosine(g: ArrayLike<number>, S: number): Float64Array {
  const c = new Float64Array(S * S);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const d = g[i * S + i] * g[j * S + j];
      c[i * S + j] = g[i * S + i] > 0 && g[j * S + j] > 0 ? g[i * S + j] / Math.sqrt(d) : 0;
    }
    if (g[i * S + i] > 0) c[i * S + i] = 1;
  }
  return c;
}

// The QDG affinity (SPEC.md 4.1 item 8): the angular similarity A_ij = 1 - arccos(clip(C_ij, -1, 1))/pi of a
// cosine-similarity matrix C, in [0, 1] with diagonal 1, as the later reference scripts compute it (they clip
// to avoid NaN from cosines a rounding above 1). Also loads user-supplied matrices from .npy: a cosine
// similarity (converted here) or an affinity that is already non-negative (used as is).
import type { Core } from '../core/arena.js';
import { MemoryLimitError, formatBytes } from '../core/arena.js';
import { ConfigError } from '../core/errors.js';
import { NpyReader } from '../io/npy.js';
import { forRowBlocks } from './gram.js';

/** In place over the f32 S x S cosine matrix at `ptr` (row-major): C -> 1 - arccos(clip(C))/pi, diagonal 1. */
export function angularAffinity(core: Core, ptr: number, S: number): void {
  forRowBlocks(S, (r0, rows) => core.kernels.affinity_angular(ptr, S, r0, rows), 1);
}

/** What a user-supplied S x S matrix holds. */
export type SimilarityKind = 'cosine' | 'affinity';

export interface SimilarityMatrix {
  samples: number;
  /** f32 S x S affinity in Wasm memory (allocated on `core`). */
  affinityPtr: number;
}

/**
 * Reads an S x S similarity matrix from .npy into Wasm memory as the affinity spectral clustering needs.
 * kind 'cosine': values must lie in [-1 - 1e-3, 1 + 1e-3]; converted by angularAffinity. kind 'affinity':
 * used as is; it must be finite and non-negative. Either way it must be square and symmetric (to 1e-4
 * relative), checked before anything is returned; a bad matrix is a ConfigError naming the file.
 */
export function similarityFromNpy(core: Core, path: string, kind: SimilarityKind): SimilarityMatrix {
  const reader = new NpyReader(path);
  let S: number;
  try {
    const { shape } = reader.header;
    if (shape.length !== 2 || shape[0] !== shape[1] || shape[0] < 1) {
      throw new ConfigError(
        `${path}: a similarity matrix must be square (S x S), got shape (${shape.join(', ')})`,
      );
    }
    S = shape[0];
    const need = 4 * S * S + 64;
    if (need > core.available) {
      throw new MemoryLimitError(`${path}: the ${S} x ${S} matrix needs ${formatBytes(need)} of Wasm memory`);
    }
    const mark = core.mark();
    const ptr = core.allocF32(S * S);
    try {
      const rowsPerRead = Math.max(1, Math.floor(2 ** 24 / S));
      for (let r0 = 0; r0 < S; r0 += rowsPerRead) {
        const nr = Math.min(rowsPerRead, S - r0);
        reader.readBlock(r0, nr, 0, S, core.f32(ptr + 4 * r0 * S, nr * S));
      }
      checkSimilarity(core.f32(ptr, S * S), S, kind, path);
    } catch (e) {
      core.release(mark);
      throw e;
    }
    if (kind === 'cosine') angularAffinity(core, ptr, S);
    return { samples: S, affinityPtr: ptr };
  } finally {
    reader.close();
  }
}

export function checkSimilarity(m: Float32Array, S: number, kind: SimilarityKind, path: string): void {
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const v = m[i * S + j];
      if (!Number.isFinite(v)) throw new ConfigError(`${path}: entry (${i}, ${j}) is ${v}`);
      if (kind === 'affinity' && v < 0) {
        throw new ConfigError(`${path}: an affinity must be non-negative, entry (${i}, ${j}) is ${v}`);
      }
      if (kind === 'cosine' && Math.abs(v) > 1 + 1e-3) {
        throw new ConfigError(`${path}: a cosine similarity must lie in [-1, 1], entry (${i}, ${j}) is ${v}`);
      }
      if (j < i) {
        const w = m[j * S + i];
        if (Math.abs(v - w) > 1e-4 * Math.max(1, Math.abs(v), Math.abs(w))) {
          throw new ConfigError(
            `${path}: not symmetric: entry (${i}, ${j}) is ${v}, entry (${j}, ${i}) is ${w}`,
          );
        }
      }
    }
  }
}

/** Plain twin (test oracle) of angularAffinity, in f64. */
export function referenceAngularAffinity(c: ArrayLike<number>, S: number): Float64Array {
  const a = new Float64Array(S * S);
  for (let i = 0; i < S * S; i++) a[i] = 1 - Math.acos(Math.min(1, Math.max(-1, c[i]))) / Math.PI;
  for (let i = 0; i < S; i++) a[i * S + i] = 1;
  return a;
}

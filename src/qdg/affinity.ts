// The QDG affinity (SPEC.md 4.1 item 8): the angular similarity A_ij = 1 - arccos(clip(C_ij, -1, 1))/pi of a
// cosine-similarity matrix C, in [0, 1] with diagonal 1, as the later reference scripts compute it (they clip
// to avoid NaN from cosines a rounding above 1); or, beyond the paper, the same of |C_ij| (--cosine abs). Its plain twin is referenceAngularAffinity (./reference.ts);
// user-supplied matrices are read by ./sources/npy.ts.
import type { Core } from '../core/arena.js';
import { ConfigError } from '../core/errors.js';
import { forRowBlocks } from './gram.js';

/**
 * In place over the f32 S x S cosine matrix at `ptr` (row-major): C -> 1 - arccos(clip(C))/pi, diagonal 1; with
 * `absolute`, C -> 1 - arccos(clip(|C|))/pi (in [1/2, 1]: a vector and its negative are one direction).
 */
export function angularAffinity(core: Core, ptr: number, S: number, absolute = false): void {
  const K = core.kernels;
  forRowBlocks(
    S,
    (r0, rows) =>
      absolute ? K.affinity_angular_abs(ptr, S, r0, rows) : K.affinity_angular(ptr, S, r0, rows),
    1,
  );
}

/** What a user-supplied S x S matrix holds. */
export type SimilarityKind = 'cosine' | 'affinity';

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

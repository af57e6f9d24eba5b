// The QDG affinity (SPEC.md 4.1 item 8): the angular similarity A_ij = 1 - arccos(clip(C_ij, -1, 1))/pi of a
// cosine-similarity matrix C, in [0, 1] with diagonal 1, as the later reference scripts compute it (they clip
// to avoid NaN from cosines a rounding above 1). Its plain twin is referenceAngularAffinity (./reference.ts);
// user-supplied matrices are read by ./sources/npy.ts.
import type { Core } from '../core/arena.js';
import { forRowBlocks } from './gram.js';

/** In place over the f32 S x S cosine matrix at `ptr` (row-major): C -> 1 - arccos(clip(C))/pi, diagonal 1. */
export function angularAffinity(core: Core, ptr: number, S: number): void {
  forRowBlocks(S, (r0, rows) => core.kernels.affinity_angular(ptr, S, r0, rows), 1);
}

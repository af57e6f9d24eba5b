// The Wasm memory of one QDG run, planned before any work (SPEC.md 4.1; DESIGN.md "validate a whole config
// before any work starts"): the S x S matrix, the source's own buffers, and the clustering's working set (the
// embedding for the largest K, then k-means). A run that does not fit is refused with the largest S that does.
import { formatBytes, type Core } from '../core/arena.js';
import { planBytes, type BufferPlan } from '../core/buffers.js';
import { ConfigError } from '../core/errors.js';
import { embeddingWorkBytes } from './embedding.js';
import { kmeansBytes } from './kmeans/plan.js';

/** The matrix every QDG run holds from its source to its end: f32 S x S (similarities, then the affinity). */
export function qdgMatrixPlan(S: number): BufferPlan<'matrix'> {
  return [{ name: 'matrix', bytes: 4 * S * S }];
}

/**
 * Bytes of Wasm memory a QDG run over S samples needs, from the plans its stages allocate: the S x S matrix,
 * plus the largest of the stages that follow one another over it: the source's scratch (`sourceScratch`, e.g.
 * a block of gradients), the spectral embedding for the largest K (./eigen/lanczos.ts), and k-means at the
 * largest K on its bounded route (./kmeans/plan.ts; the Gram route is taken only when its matrix fits in
 * what is left, checked where it is made).
 */
export function qdgBytes(S: number, maxK: number, sourceScratch = 0): number {
  return (
    planBytes(qdgMatrixPlan(S)) +
    Math.max(sourceScratch, embeddingWorkBytes(S, maxK), kmeansBytes(S, maxK, maxK, 'bounded'))
  );
}

/** The largest S (<= upper) whose qdgBytes fits in `available` bytes. */
export function largestFittingSamples(
  available: number,
  maxK: number,
  upper: number,
  sourceScratch = 0,
): number {
  let lo = 0;
  let hi = upper;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (qdgBytes(mid, Math.min(maxK, Math.max(1, mid - 1)), sourceScratch) <= available) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Refuses a run that does not fit in Wasm memory, naming the largest S that does. */
export function requireQdgMemory(core: Core, S: number, maxK: number, sourceScratch = 0, reserved = 0): void {
  const need = qdgBytes(S, maxK, sourceScratch) + reserved;
  if (need > core.available) {
    const best = largestFittingSamples(core.available - reserved, maxK, S, sourceScratch);
    throw new ConfigError(
      `${S} samples with K up to ${maxK} need ${formatBytes(need)} of Wasm memory, but only ` +
        `${formatBytes(core.available)} is free (wasm32 addresses 4 GiB); the largest S that fits is ${best} ` +
        `(use --samples)`,
    );
  }
}

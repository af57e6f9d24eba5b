// Planning a kmeans() call (./kmeans.ts): which route (bounded or Gram, ./gram.ts) takes less time,
// and how much Wasm memory each needs, so that a call is refused before any work when it does not fit.
import type { Core } from '../../core/arena.js';
import { MemoryLimitError, formatBytes } from '../../core/arena.js';
import { planBytes, type BufferPlan } from '../../core/buffers.js';
import { gramStateBytes, gramStoreBytes } from './gram.js';

/** Rows per assignment block (KMEANS_ROW_BLOCK in assembly/kmeans.ts). */
export const ROW_BLOCK = 64;

export type KMeansRoute = 'auto' | 'bounded' | 'gram';

/**
 * Whether the Gram route takes less wall time on `threads` threads: it costs S^2 d / 2 f64 multiply-adds
 * for F (the columns not yet folded; every thread builds its own, side by side), then per restart about
 * 3 S^2 + 30 S k passes; the bounded route about (trials + 10) S k d f32 multiply-adds per restart
 * (measured on QDG embeddings: the k-means++ trials, then Lloyd steps that recompute about half of the
 * rows). f64 work counts double; each thread runs ceil(nInit / threads) restarts.
 */
export function gramRoutePays(
  S: number,
  d: number,
  k: number,
  nInit: number,
  foldedColumns = 0,
  threads = 1,
): boolean {
  const trials = 2 + Math.floor(Math.log(k));
  const restarts = Math.ceil(nInit / Math.max(1, threads));
  const bounded = restarts * (trials + 10) * S * k * d;
  const gram = S * S * Math.max(0, d - foldedColumns) + restarts * (3 * S * S + 30 * S * k);
  return gram < bounded;
}

/** The buffers of one thread's k-means restarts (./restarts.ts; the KMeansState fields of the same names). */
export type KMeansBuffer =
  | 'X'
  | 'X32'
  | 'xNorm'
  | 'centers'
  | 'centers32'
  | 'cNorm'
  | 'labels'
  | 'minDist'
  | 'closest'
  | 'near'
  | 'lower'
  | 'shifts'
  | 'cRoot'
  | 'rows'
  | 'block'
  | 'dots'
  | 'dist'
  | 'cand'
  | 'cand32'
  | 'candNorm'
  | 'candIdx'
  | 'pots'
  | 'candInfo'
  | 'centersNew'
  | 'counts'
  | 'dirty'
  | 'order'
  | 'starts'
  | 'sums'
  | 'terms'
  | 'prev';

/**
 * The buffers one thread's restarts allocate for S rows of dimension d and k clusters, on a route: those of
 * both routes, and those of the bounded route only (0 bytes on the Gram route, whose own state is
 * gramStatePlan in ./gram.ts). trials = 2 + floor(ln k) k-means++ candidates per centre.
 */
export function kmeansPlan(
  S: number,
  d: number,
  k: number,
  route: 'bounded' | 'gram',
): BufferPlan<KMeansBuffer> {
  const trials = 2 + Math.floor(Math.log(k));
  const bounded = (bytes: number) => (route === 'bounded' ? bytes : 0);
  return [
    { name: 'X', bytes: 8 * S * d }, // the centred (and scaled) data, f64 S x d
    { name: 'X32', bytes: bounded(4 * S * d) }, // its f32 copy for the checked f32 products
    { name: 'xNorm', bytes: 8 * S },
    { name: 'centers', bytes: 8 * k * d },
    { name: 'centers32', bytes: bounded(4 * k * d) },
    { name: 'cNorm', bytes: 8 * k },
    { name: 'labels', bytes: 4 * S },
    { name: 'minDist', bytes: 8 * S },
    { name: 'closest', bytes: 8 * S },
    { name: 'near', bytes: bounded(4 * S) },
    { name: 'lower', bytes: bounded(8 * S * k) }, // Elkan's lower bounds, f64 S x k
    { name: 'shifts', bytes: 8 * k },
    { name: 'cRoot', bytes: bounded(8 * k) },
    { name: 'rows', bytes: 4 * S },
    { name: 'block', bytes: bounded(4 * ROW_BLOCK * d) },
    { name: 'dots', bytes: bounded(4 * ROW_BLOCK * Math.max(k, trials)) },
    { name: 'dist', bytes: 8 * trials * S },
    { name: 'cand', bytes: bounded(8 * trials * d) },
    { name: 'cand32', bytes: bounded(4 * trials * d) },
    { name: 'candNorm', bytes: bounded(8 * trials) },
    { name: 'candIdx', bytes: 4 * trials },
    { name: 'pots', bytes: 8 * trials },
    { name: 'candInfo', bytes: bounded(8 * 3 * trials) },
    { name: 'centersNew', bytes: 8 * k * d },
    { name: 'counts', bytes: 8 * k },
    { name: 'dirty', bytes: 4 * k },
    { name: 'order', bytes: 4 * S }, // the centre update's scratch: rows grouped by cluster
    { name: 'starts', bytes: 4 * (k + 1) },
    { name: 'sums', bytes: 8 * k * d }, // each cluster's sum of member rows, kept across Lloyd steps
    { name: 'terms', bytes: 8 * k }, // additions and subtractions in each sum since it was built from zero
    { name: 'prev', bytes: 4 * S }, // the labels the sums describe
  ];
}

/**
 * Wasm bytes of one k-means call's working memory on a route (the Gram route's F not included), from the plans
 * the restarts allocate.
 */
export function kmeansBytes(S: number, d: number, k: number, route: 'bounded' | 'gram'): number {
  return planBytes(kmeansPlan(S, d, k, route)) + (route === 'gram' ? gramStateBytes(S, k) : 0);
}

/**
 * Refuses (MemoryLimitError) a k-means whose working memory does not fit on `core` (with the Gram route's
 * S x S matrix when `withGram`).
 */
export function requireKMeansMemory(
  core: Core,
  S: number,
  d: number,
  k: number,
  route: 'bounded' | 'gram' = 'bounded',
  withGram = false,
): void {
  const need = kmeansBytes(S, d, k, route) + (withGram ? gramStoreBytes(S) : 0);
  if (need > core.available) {
    throw new MemoryLimitError(
      `k-means of ${S} x ${d} with k = ${k} needs ${formatBytes(need)} of Wasm memory`,
    );
  }
}

// Planning a kmeans() call (./kmeans.ts): which route (bounded or Gram, ./kmeans-gram.ts) takes less time,
// and how much Wasm memory each needs, so that a call is refused before any work when it does not fit.
import type { Core } from '../../core/arena.js';
import { MemoryLimitError, formatBytes } from '../../core/arena.js';
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

/** Wasm bytes of one k-means call's working memory on a route (the Gram route's F not included). */
export function kmeansBytes(S: number, d: number, k: number, route: 'bounded' | 'gram'): number {
  const trials = 2 + Math.floor(Math.log(k));
  const shared =
    8 * (S * d + 3 * S + 2.5 * k * d + 4 * k + trials * (S + 2)) + 4 * (2 * S + trials) + 16 * 64;
  if (route === 'gram') return shared + gramStateBytes(S, k);
  const bounded =
    8 * (0.5 * S * d + S * k + (ROW_BLOCK * (d + Math.max(k, trials))) / 2 + trials * (1.5 * d + 3)) +
    4 * S +
    12 * 64;
  return shared + bounded;
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

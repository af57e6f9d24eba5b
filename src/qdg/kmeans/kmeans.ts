// k-means label assignment for spectral clustering (SPEC.md 4.1 item 9), following scikit-learn's KMeans
// (lloyd): greedy k-means++ seeding with 2 + floor(ln k) local trials, n_init restarts keeping the lowest
// inertia, Lloyd iterations (nearest centre, first on ties), stop on unchanged labels or a total squared
// centre shift <= tol times the mean per-feature variance, then one final assignment to the final centres.
// Empty clusters are relocated to the points farthest from their centres. Data are centred by their mean
// (as sklearn does). Restart r draws from CounterRandom(seed, Stream.kmeans, r).
//
// Same results as that plain Lloyd (./reference.ts, the test oracle), with far less work:
// - Elkan's bounds: lower[i][j] <= ||x_i - c_j|| for every row and centre, lowered by each centre's move.
//   A row whose exact distance to its own centre is below all its other bounds keeps its label with no
//   distance computation; only the others are recomputed, as gathered blocks through one matrix product.
// - The k-means++ trials skip rows that a candidate provably cannot come closer to (triangle inequality
//   through the row's nearest centre) and leave the bounds for the first assignment.
// - Distances come from an f32 product (twice the f64 speed) with a rigorous error bound; any value that
//   decides something within its bound is recomputed in f64 in the operation order of the f64 route, so the
//   choices are those of the f64 computation.
// - Lloyd's update changes a cluster's sum of member rows by the rows that left and joined it in the step
//   (assembly/kmeans.ts kmeans_update_moves), not by summing its members again: at the paper's scale a step
//   moves 6 times fewer rows than its changed clusters hold (12-16 times at K 700-1100). Each sum is summed
//   again from zero when that is cheaper or after 4 n + 16 terms, and every restart's final centres are
//   summed from zero in row order, so the result is the plain Lloyd's up to the rounding of the centres in
//   the steps before the last (a label can differ only at a tie within that rounding).
// - Restarts run on several threads (./threads.ts) with the same result as one.
// - When k d is large against S (QDG's sweeps: k = d = K up to 1500 of S = 10,000), the Gram route
//   (./gram.ts) replaces the products with the rows by reads of the S x S Gram matrix of the rows,
//   computed once; the same bits again. route 'auto' picks it by a cost model when it fits in memory.
// How much the bounds save depends on the data: on well-separated clusters most rows are skipped; on the
// noisy high-dimensional embeddings of QDG (radius ~ distance between centres) the triangle inequality
// rarely decides, and the f32 product and the threads carry the speed-up.
import type { Core } from '../../core/arena.js';
import { ConfigError, assertInt } from '../../core/errors.js';
import { defaultKMeansWorkers, gramHelpersAffordable, kmeansInThreads, threadsAvailable } from './threads.js';
import { kmeansRestarts } from './restarts.js';
import { gramRoutePays, kmeansBytes, requireKMeansMemory, type KMeansRoute } from './plan.js';
import { createGramStore, gramStoreBytes, requireLiveStore } from './gram.js';
import type { GramStore, KMeansResult, KMeansSettings } from './types.js';

export type { GramStore, KMeansResult } from './types.js';

export interface KMeansOptions {
  /** Restarts; the run with the lowest inertia is kept (default 30: SPEC.md 4.1 item 9, n_init=30). */
  nInit?: number;
  /** Lloyd iterations per restart (default 300, sklearn's). */
  maxIter?: number;
  /** Relative tolerance on the total squared centre shift (default 1e-4, sklearn's). */
  tol?: number;
  /** Seed of the counter-based generator (default 0). */
  seed?: number;
  /**
   * Called after each assignment step with the restart, the iteration (0-based) and the inertia. With
   * workers > 1 the calls of restarts run by helper threads come when those threads finish.
   */
  onIteration?: (init: number, iteration: number, inertia: number) => void;
  /**
   * Progress without the cost of a per-step inertia: called on this thread each time it starts a restart,
   * with the number of restarts started so far by all threads.
   */
  onRestart?: (started: number) => void;
  /**
   * Threads sharing the restarts (default: all cores; 1 = this thread only). Each restart is a function of
   * its index alone and the kept one is the lowest inertia, first index on ties, so the result does not
   * depend on this number. Helper threads live on between calls (closeKMeansThreads ends them).
   */
  workers?: number;
  /**
   * How distances are found (the result is the same bits either way): 'bounded' (Elkan bounds and f32
   * products with the rows), 'gram' (the S x S Gram matrix of the rows, ./gram.ts), or 'auto'
   * (default): 'gram' when its cost model wins and its matrix fits in Wasm memory.
   */
  route?: KMeansRoute;
  /**
   * The Gram matrix to use and extend on this thread (route 'gram' or 'auto'), kept by the caller across
   * calls whose data extend one another by columns, as the K of a spectral sweep (see ./gram.ts).
   * Without it the Gram route builds a matrix for this call only.
   */
  gram?: GramStore;
}

/**
 * k-means on S rows of dimension d. `data` is a Float64Array or Float32Array of S x d row-major values, or a
 * pointer to S x d f64 in Wasm memory (not modified). Allocates working memory on `core` above the current
 * mark and releases it before returning.
 */
export function kmeans(
  core: Core,
  data: number | Float64Array | Float32Array,
  S: number,
  d: number,
  k: number,
  opts: KMeansOptions = {},
): KMeansResult {
  assertInt(S, 'k-means samples', 1);
  assertInt(d, 'k-means dimension', 1);
  assertInt(k, 'number of clusters k', 1, S);
  const nInit = opts.nInit ?? 30;
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-4;
  const seed = opts.seed ?? 0;
  assertInt(nInit, 'k-means n_init', 1);
  assertInt(maxIter, 'k-means max_iter', 1);
  if (!(tol >= 0)) throw new RangeError(`quanta: k-means tol must be >= 0, got ${tol}`);
  if (typeof data !== 'number' && data.length !== S * d) {
    throw new RangeError(`kmeans: data has ${data.length} values, expected ${S} x ${d}`);
  }
  const requested = opts.route ?? 'auto';
  if (!['auto', 'bounded', 'gram'].includes(requested)) {
    throw new RangeError(`quanta: k-means route must be auto, bounded or gram, got ${String(requested)}`);
  }
  let store = opts.gram;
  if (store) requireLiveStore(store, core, S);
  const threads = threadsAvailable() ? Math.min(opts.workers ?? defaultKMeansWorkers(), nInit) : 1;
  let route: 'bounded' | 'gram' = 'bounded';
  if (requested === 'gram') route = 'gram';
  else if (requested === 'auto') {
    const folded = store && store.columns <= d ? store.columns : 0;
    const fits = store !== undefined || gramStoreBytes(S) + kmeansBytes(S, d, k, 'gram') < core.available;
    if (fits && gramRoutePays(S, d, k, nInit, folded, threads)) route = 'gram';
  }
  requireKMeansMemory(core, S, d, k, route, route === 'gram' && !store);
  // reject non-finite data here, before any thread starts
  const values = typeof data === 'number' ? core.f64(data, S * d) : data;
  for (let e = 0; e < S * d; e++) {
    if (!Number.isFinite(values[e])) {
      throw new ConfigError(
        `k-means data has a non-finite value ${values[e]} at row ${Math.floor(e / d)}, column ${e % d}`,
      );
    }
  }
  let workers = Math.min(opts.workers ?? defaultKMeansWorkers(), nInit);
  assertInt(workers, 'k-means workers', 1);
  // every helper thread of the Gram route keeps its own F: no more helpers than the free memory holds
  if (route === 'gram') workers = Math.min(workers, 1 + gramHelpersAffordable(S));
  const mark = core.mark();
  try {
    // a Gram matrix for this call only, when the caller keeps none
    if (route === 'gram' && !store) store = createGramStore(core, S);
    const settings: KMeansSettings = { S, d, k, nInit, maxIter, tol, seed, route, gramId: store?.id };
    if (workers > 1 && threadsAvailable()) {
      const r = kmeansInThreads(core, data, settings, workers, opts.onIteration, store, opts.onRestart);
      return { ...r, route };
    }
    let next = 0;
    const claim = () => {
      if (next >= nInit) return -1;
      opts.onRestart?.(next + 1);
      return next++;
    };
    const outcome = kmeansRestarts(core, data, settings, claim, opts.onIteration, store);
    const result: KMeansResult = { ...outcome.best!, restartsPerThread: [outcome.ran], route };
    if (outcome.gramSteps) result.gramSteps = outcome.gramSteps;
    return result;
  } finally {
    core.release(mark);
  }
}

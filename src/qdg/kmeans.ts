// k-means label assignment for spectral clustering (SPEC.md 4.1 item 9), following scikit-learn's KMeans
// (lloyd): greedy k-means++ seeding with 2 + floor(ln k) local trials, n_init restarts keeping the lowest
// inertia, Lloyd iterations (nearest centre, first on ties), stop on unchanged labels or a total squared
// centre shift <= tol times the mean per-feature variance, then one final assignment to the final centres.
// Empty clusters are relocated to the points farthest from their centres. Data are centred by their mean
// (as sklearn does). Restart r draws from CounterRandom(seed, Stream.kmeans, r).
//
// Same results as that plain Lloyd (./kmeans-reference.ts, the test oracle), with far less work:
// - Elkan's bounds: lower[i][j] <= ||x_i - c_j|| for every row and centre, lowered by each centre's move.
//   A row whose exact distance to its own centre is below all its other bounds keeps its label with no
//   distance computation; only the others are recomputed, as gathered blocks through one matrix product.
// - The k-means++ trials skip rows that a candidate provably cannot come closer to (triangle inequality
//   through the row's nearest centre) and leave the bounds for the first assignment.
// - Distances come from an f32 product (twice the f64 speed) with a rigorous error bound; any value that
//   decides something within its bound is recomputed in f64 in the operation order of the f64 route, so the
//   choices are those of the f64 computation.
// - Restarts run on several threads (./kmeans-parallel.ts) with the same result as one.
// - When k d is large against S (QDG's sweeps: k = d = K up to 1500 of S = 10,000), the Gram route
//   (./kmeans-gram.ts) replaces the products with the rows by reads of the S x S Gram matrix of the rows,
//   computed once; the same bits again. route 'auto' picks it by a cost model when it fits in memory.
// How much the bounds save depends on the data: on well-separated clusters most rows are skipped; on the
// noisy high-dimensional embeddings of QDG (radius ~ distance between centres) the triangle inequality
// rarely decides, and the f32 product and the threads carry the speed-up.
import type { Core } from '../core/arena.js';
import { CounterRandom, Stream } from '../core/rng.js';
import { ConfigError, requireInt, requireNumber } from '../core/errors.js';
import {
  defaultKMeansWorkers,
  gramHelpersAffordable,
  kmeansInThreads,
  threadsAvailable,
} from './kmeans-parallel.js';
import { seedPlusPlus } from './kmeans-seeding.js';
import {
  ROW_BLOCK,
  gramRoutePays,
  kmeansBytes,
  requireKMeansMemory,
  type KMeansRoute,
} from './kmeans-plan.js';
import {
  allocGramState,
  createGramStore,
  extendGram,
  gramAssign,
  gramCentresUpdated,
  gramRelocated,
  gramStoreBytes,
  ensureDistances,
  prepareGramState,
  requireLiveStore,
  type GramState,
  type GramStore,
} from './kmeans-gram.js';

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
   * products with the rows), 'gram' (the S x S Gram matrix of the rows, ./kmeans-gram.ts), or 'auto'
   * (default): 'gram' when its cost model wins and its matrix fits in Wasm memory.
   */
  route?: KMeansRoute;
  /**
   * The Gram matrix to use and extend on this thread (route 'gram' or 'auto'), kept by the caller across
   * calls whose data extend one another by columns, as the K of a spectral sweep (see ./kmeans-gram.ts).
   * Without it the Gram route builds a matrix for this call only.
   */
  gram?: GramStore;
}

export interface KMeansResult {
  /** i32[S] cluster of each row, in [0, k). */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centres. */
  inertia: number;
  /** Lloyd iterations of the kept restart. */
  iterations: number;
  /** f64 k x d centres of the kept restart (in the input's coordinates). */
  centers: Float64Array;
  /** Restarts run by each thread (this one first), a diagnostic: the result does not depend on it. */
  restartsPerThread?: number[];
  /** The route the call took. */
  route?: 'bounded' | 'gram';
}

/** Data whose largest centred row norm is beyond 2^+-SCALE_LIMIT are scaled by a power of 2 (exactly). */
const SCALE_LIMIT = 20;

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
  requireInt(S, 'k-means samples', 1);
  requireInt(d, 'k-means dimension', 1);
  requireInt(k, 'number of clusters k', 1, S);
  const nInit = opts.nInit ?? 30;
  const maxIter = opts.maxIter ?? 300;
  const tol = opts.tol ?? 1e-4;
  const seed = opts.seed ?? 0;
  requireInt(nInit, 'k-means n_init', 1);
  requireInt(maxIter, 'k-means max_iter', 1);
  requireNumber(tol, 'k-means tol', 0);
  if (typeof data !== 'number' && data.length !== S * d) {
    throw new RangeError(`kmeans: data has ${data.length} values, expected ${S} x ${d}`);
  }
  const requested = opts.route ?? 'auto';
  if (!['auto', 'bounded', 'gram'].includes(requested)) {
    throw new ConfigError(`k-means route must be auto, bounded or gram, got ${String(requested)}`);
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
  requireInt(workers, 'k-means workers', 1);
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
    return { ...outcome.best!, restartsPerThread: [outcome.ran], route };
  } finally {
    core.release(mark);
  }
}

/** The validated settings of one k-means call (what a helper thread needs besides the data). */
export interface KMeansSettings {
  S: number;
  d: number;
  k: number;
  nInit: number;
  maxIter: number;
  tol: number;
  seed: number;
  /** The route every thread takes. */
  route: 'bounded' | 'gram';
  /** The Gram route's store id (helper threads keep their own F per id). */
  gramId?: number;
}

/** The best of the restarts one thread ran, and their index. */
export interface RestartsOutcome {
  best?: KMeansResult;
  bestRestart: number;
  /** Restarts this thread ran. */
  ran: number;
}

/**
 * Runs the restarts that `claim()` hands out (a restart index, or -1 when none is left) and keeps the
 * lowest inertia (the first claimed on ties; claims come in increasing order). Restart r draws from
 * CounterRandom(seed, Stream.kmeans, r), so its result depends on r alone.
 */
export function kmeansRestarts(
  core: Core,
  data: number | Float64Array | Float32Array,
  settings: KMeansSettings,
  claim: () => number,
  onIteration?: (init: number, iteration: number, inertia: number) => void,
  store?: GramStore,
): RestartsOutcome {
  const { S, d, k, maxIter, tol, seed } = settings;
  const trials = 2 + Math.floor(Math.log(k));
  const gram = settings.route === 'gram';
  // claim first: a thread that arrives when every restart is taken does no set-up work (no F to extend)
  const firstInit = claim();
  if (firstInit < 0) return { bestRestart: -1, ran: 0 };
  if (gram && !store) throw new Error('kmeans: the Gram route needs a Gram store on this thread');
  const mark = core.mark();
  try {
    const K = core.kernels;
    const X = core.allocF64(S * d);
    // buffers of the bounded route only (0 on the Gram route)
    const b = (bytes: () => number) => (gram ? 0 : bytes());
    const ctx: KMeansState = {
      core,
      X,
      X32: b(() => core.allocF32(S * d)),
      S,
      d,
      k,
      trials,
      xNorm: core.allocF64(S),
      centers: core.allocF64(k * d),
      centers32: b(() => core.allocF32(k * d)),
      cNorm: core.allocF64(k),
      labels: core.allocI32(S),
      minDist: core.allocF64(S),
      closest: core.allocF64(S),
      near: b(() => core.allocI32(S)),
      lower: b(() => core.allocF64(S * k)),
      shifts: core.allocF64(k),
      cRoot: b(() => core.allocF64(k)),
      rows: core.allocI32(S),
      block: b(() => core.allocF32(ROW_BLOCK * d)),
      dots: b(() => core.allocF32(ROW_BLOCK * Math.max(k, trials))),
      dist: core.allocF64(trials * S),
      cand: b(() => core.allocF64(trials * d)),
      cand32: b(() => core.allocF32(trials * d)),
      candNorm: b(() => core.allocF64(trials)),
      candIdx: core.allocI32(trials),
      pots: core.allocF64(trials),
      candInfo: b(() => core.allocF64(3 * trials)),
      delta: 0,
      eta: 0,
      g: 2.02 * (d + 4) * 2 ** -24,
      gram: gram ? allocGramState(core, store!, S, d, k) : undefined,
    };
    const centersNew = core.allocF64(k * d);
    const counts = core.allocF64(k);
    const dirtyPtr = core.allocI32(k);

    // centre the data (a copy), and sklearn's tolerance: tol x mean of the per-feature variances
    const x = core.f64(X, S * d);
    if (typeof data === 'number') x.set(core.f64(data, S * d));
    else x.set(data);
    for (let e = 0; e < S * d; e++) {
      if (!Number.isFinite(x[e])) {
        throw new ConfigError(
          `k-means data has a non-finite value ${x[e]} at row ${Math.floor(e / d)}, column ${e % d}`,
        );
      }
    }
    const mean = new Float64Array(d);
    for (let i = 0; i < S; i++) for (let j = 0; j < d; j++) mean[j] += x[i * d + j];
    for (let j = 0; j < d; j++) mean[j] /= S;
    let variance = 0;
    for (let i = 0; i < S; i++) {
      for (let j = 0; j < d; j++) {
        const v = (x[i * d + j] -= mean[j]);
        variance += v * v;
      }
    }
    let tolAbs = (tol * variance) / (S * d);
    K.kmeans_row_norms(X, S, d, ctx.xNorm);
    // An exact power-of-2 scaling into f32's comfortable range: the f32 products (bounded route) and F32
    // (Gram route) assume normal f32 values. It changes no decision; centres and inertia are scaled back
    // exactly, so the result does not depend on the data's scale.
    let rowMax = 0;
    const xn0 = core.f64(ctx.xNorm, S);
    for (let i = 0; i < S; i++) rowMax = Math.max(rowMax, xn0[i]);
    const exponent = rowMax > 0 ? Math.round(Math.log2(rowMax) / 2) : 0;
    const unscale = Math.abs(exponent) > SCALE_LIMIT ? 2 ** exponent : 1;
    if (unscale !== 1) {
      const down = 1 / unscale;
      for (let e = 0; e < S * d; e++) x[e] *= down;
      tolAbs *= down * down;
      K.kmeans_row_norms(X, S, d, ctx.xNorm);
    }
    const reportInertia = (v: number) => v * unscale * unscale;
    if (ctx.gram) {
      extendGram(store!, X, S, d);
      prepareGramState(ctx, ctx.gram);
    } else {
      K.kmeans_to_f32(X, ctx.X32, S * d);
    }
    // Rounding allowances of the bounds. Every centre (a data row or a mean of rows) has norm <= R, so a
    // squared distance ||x||^2 + ||c||^2 - 2 x.c computed in f64 is off by at most about 2 (d + 2) eps R^2;
    // delta is 1e-10 R^2 (4 (d + 2) eps R^2 above d ~ 1e5) and eta, the slack of a bound, 1e-12 R.
    const xn = core.f64(ctx.xNorm, S);
    let R2 = 0;
    for (let i = 0; i < S; i++) R2 = Math.max(R2, xn[i]);
    ctx.delta = Math.max(1e-10, 4 * (d + 2) * Number.EPSILON) * R2;
    ctx.eta = 1e-12 * Math.sqrt(R2);

    let best: KMeansResult | undefined;
    let bestRestart = -1;
    let ran = 0;
    for (let init = firstInit; init >= 0; init = claim()) {
      ran++;
      const rng = new CounterRandom(seed, Stream.kmeans, init);
      seedPlusPlus(ctx, rng);
      // the seeding's nearest centres are the first assignment's starting labels; no centre moved yet
      if (!ctx.gram) core.i32(ctx.labels, S).set(core.i32(ctx.near, S));
      core.f64(ctx.shifts, k).fill(0);
      const labelsOld = new Int32Array(S).fill(-1);
      // the update recomputes only the clusters whose members changed (the others' centres are the same
      // bits again); all of them at the first step and after a relocation (whose centres are not means)
      let allDirty = true;
      let iter = 0;
      for (; iter < maxIter; iter++) {
        // the inertia of a step is only reported (the Gram route then skips the distances it needs)
        const inertia = assign(ctx, onIteration !== undefined);
        onIteration?.(init, iter, reportInertia(inertia));
        const dirty = core.i32(dirtyPtr, k);
        const lab = core.i32(ctx.labels, S);
        dirty.fill(allDirty ? 1 : 0);
        if (!allDirty) {
          for (let i = 0; i < S; i++) {
            if (lab[i] !== labelsOld[i]) dirty[lab[i]] = dirty[labelsOld[i]] = 1;
          }
        }
        K.kmeans_update_dirty(X, S, d, ctx.labels, k, centersNew, counts, dirtyPtr);
        if (ctx.gram) gramCentresUpdated(ctx, ctx.gram, counts);
        allDirty = relocateEmptyClusters(ctx, centersNew, counts);
        const shift = K.kmeans_shifts(ctx.centers, centersNew, k, d, ctx.shifts);
        const shifts = core.f64(ctx.shifts, k);
        for (let j = 0; j < k; j++) shifts[j] = shifts[j] * (1 + 1e-12) + ctx.eta;
        core.f64(ctx.centers, k * d).set(core.f64(centersNew, k * d));
        let same = true;
        for (let i = 0; i < S; i++) {
          if (lab[i] !== labelsOld[i]) {
            same = false;
            break;
          }
        }
        if (same) break; // strict convergence
        if (shift <= tolAbs) break;
        labelsOld.set(lab);
      }
      // the final assignment, so that labels match the final centres
      const inertia = reportInertia(assign(ctx, true));
      if (!best || inertia < best.inertia) {
        const c = Float64Array.from(core.f64(ctx.centers, k * d));
        for (let i = 0; i < k; i++)
          for (let j = 0; j < d; j++) c[i * d + j] = c[i * d + j] * unscale + mean[j];
        best = {
          labels: Int32Array.from(core.i32(ctx.labels, S)),
          inertia,
          iterations: Math.min(iter + 1, maxIter),
          centers: c,
        };
        bestRestart = init;
      }
    }
    return { best, bestRestart, ran };
  } finally {
    core.release(mark);
  }
}

/** The working buffers of one k-means call (pointers into Wasm memory) and its rounding allowances. */
export interface KMeansState {
  core: Core;
  X: number;
  /** f32 copy of X, for the f32 products whose results are checked against their error bound g. */
  X32: number;
  S: number;
  d: number;
  k: number;
  trials: number;
  xNorm: number;
  centers: number;
  centers32: number;
  cNorm: number;
  labels: number;
  minDist: number;
  closest: number;
  near: number;
  /** f64 S x k: lower[i][j] <= ||x_i - c_j|| (Elkan's bounds). */
  lower: number;
  shifts: number;
  cRoot: number;
  rows: number;
  block: number;
  dots: number;
  dist: number;
  cand: number;
  cand32: number;
  candNorm: number;
  candIdx: number;
  pots: number;
  candInfo: number;
  delta: number;
  eta: number;
  /** An f32 squared distance is within g |x| |c| of the true one (2^-24 per rounding, d + 4 of them, x 2). */
  g: number;
  /** The Gram route's state (then the bounded route's buffers X32, lower, near, ... are 0). */
  gram?: GramState;
}

/** The exact assignment step of the call's route; returns the inertia (NaN when the route skipped it). */
function assign(c: KMeansState, distances: boolean): number {
  if (c.gram) return gramAssign(c, c.gram, distances);
  const { core, S, d, k } = c;
  const K = core.kernels;
  K.kmeans_row_norms(c.centers, k, d, c.cNorm);
  K.kmeans_to_f32(c.centers, c.centers32, k * d);
  K.kmeans_assign_bounded(
    c.X,
    c.X32,
    S,
    d,
    c.xNorm,
    c.centers,
    c.centers32,
    k,
    c.cNorm,
    c.labels,
    c.minDist,
    c.lower,
    c.shifts,
    c.delta,
    c.eta,
    c.g,
    c.rows,
    c.block,
    c.dots,
    c.cRoot,
  );
  const dist = core.f64(c.minDist, S);
  let inertia = 0;
  for (let i = 0; i < S; i++) inertia += dist[i];
  return inertia;
}

/**
 * sklearn's relocation: each empty cluster takes the point farthest from its (old) centre, which leaves
 * its former cluster (whose mean is updated). Returns whether any cluster was empty (then the next update
 * recomputes every centre: a relocated centre is not the plain mean of its members).
 */
function relocateEmptyClusters(c: KMeansState, centersNew: number, countsPtr: number): boolean {
  const { core, X, S, d, k } = c;
  const counts = core.f64(countsPtr, k);
  const empty: number[] = [];
  for (let j = 0; j < k; j++) if (counts[j] === 0) empty.push(j);
  if (empty.length === 0) return false;
  if (c.gram) ensureDistances(c, c.gram);
  const dist = core.f64(c.minDist, S);
  const order = Array.from({ length: S }, (_, i) => i).sort((p, q) => dist[q] - dist[p] || p - q);
  const labels = core.i32(c.labels, S);
  const cen = core.f64(centersNew, k * d);
  const x = core.f64(X, S * d);
  let next = 0;
  for (const e of empty) {
    // skip points that are alone in their cluster (moving them would empty it)
    while (next < S && counts[labels[order[next]]] <= 1) next++;
    if (next >= S) break;
    const p = order[next++];
    const old = labels[p];
    const n = counts[old];
    for (let j = 0; j < d; j++) {
      cen[old * d + j] = (cen[old * d + j] * n - x[p * d + j]) / (n - 1);
      cen[e * d + j] = x[p * d + j];
    }
    counts[old] = n - 1;
    counts[e] = 1;
    labels[p] = e;
    if (c.gram) gramRelocated(c, c.gram, old, e, n);
    else core.f64(c.lower + 8 * p * k, k).fill(0); // moved by hand: recompute it in the next assignment
  }
  return true;
}

export { referenceAssign, referenceInertia } from './kmeans-reference.js';
export { gramRoutePays, kmeansBytes, requireKMeansMemory, type KMeansRoute } from './kmeans-plan.js';

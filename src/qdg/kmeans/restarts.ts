// The restarts of one k-means call on one thread (the Lloyd loop of ./kmeans.ts, run by the calling thread and
// by every helper thread of ./threads.ts): k-means++ seeding (./seeding.ts), Lloyd iterations through the
// bounded route (Elkan bounds, f32 products checked in f64) or the Gram route (./gram.ts), relocation of empty
// clusters, and the lowest inertia of the restarts claimed. See ./kmeans.ts for the method.
import type { Core } from '../../core/arena.js';
import { CounterRandom, Stream } from '../../core/rng.js';
import { ConfigError } from '../../core/errors.js';
import { seedPlusPlus } from './seeding.js';
import { allocatePlan } from '../../core/buffers.js';
import { kmeansPlan } from './plan.js';
import {
  allocGramState,
  extendGram,
  gramAssign,
  gramCentresUpdated,
  gramRelocated,
  ensureDistances,
  prepareGramState,
} from './gram.js';
import type { GramStore, KMeansResult, KMeansSettings, KMeansState, RestartsOutcome } from './types.js';

/** Data whose largest centred row norm is beyond 2^+-SCALE_LIMIT are scaled by a power of 2 (exactly). */
const SCALE_LIMIT = 20;

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
    const buf = allocatePlan(core, kmeansPlan(S, d, k, settings.route));
    // buffers of the bounded route only are 0 on the Gram route
    const b = (ptr: number) => (gram ? 0 : ptr);
    const X = buf.X;
    const ctx: KMeansState = {
      core,
      X,
      X32: b(buf.X32),
      S,
      d,
      k,
      trials,
      xNorm: buf.xNorm,
      centers: buf.centers,
      centers32: b(buf.centers32),
      cNorm: buf.cNorm,
      labels: buf.labels,
      minDist: buf.minDist,
      closest: buf.closest,
      near: b(buf.near),
      lower: b(buf.lower),
      shifts: buf.shifts,
      cRoot: b(buf.cRoot),
      rows: buf.rows,
      block: b(buf.block),
      dots: b(buf.dots),
      dist: buf.dist,
      cand: b(buf.cand),
      cand32: b(buf.cand32),
      candNorm: b(buf.candNorm),
      candIdx: buf.candIdx,
      pots: buf.pots,
      candInfo: b(buf.candInfo),
      delta: 0,
      eta: 0,
      g: 2.02 * (d + 4) * 2 ** -24,
      gram: gram ? allocGramState(core, store!, S, d, k) : undefined,
    };
    const { centersNew, counts, dirty: dirtyPtr, order, starts, sums, terms, prev: prevPtr } = buf;

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
      // the labels that the cluster sums describe (none yet)
      core.i32(prevPtr, S).fill(-1);
      // the update changes only the clusters whose members changed, by their moves or from zero (the
      // others' centres are the same bits again); every cluster from zero at the first step and after a
      // relocation (whose centres are not means)
      let rebuildAll = true;
      let iter = 0;
      for (; iter < maxIter; iter++) {
        // the inertia of a step is only reported (the Gram route then skips the distances it needs)
        const inertia = assign(ctx, onIteration !== undefined);
        onIteration?.(init, iter, reportInertia(inertia));
        // prettier-ignore
        K.kmeans_update_moves(
          X, S, d, ctx.labels, prevPtr, k, sums, centersNew, counts, terms, dirtyPtr, rebuildAll ? 1 : 0, order, starts,
        );
        if (ctx.gram) gramCentresUpdated(ctx, ctx.gram, counts, terms, dirtyPtr);
        const relocated = relocateEmptyClusters(ctx, centersNew, counts);
        const shift = K.kmeans_shifts(ctx.centers, centersNew, k, d, ctx.shifts);
        const shifts = core.f64(ctx.shifts, k);
        for (let j = 0; j < k; j++) shifts[j] = shifts[j] * (1 + 1e-12) + ctx.eta;
        const cOld = core.f64(ctx.centers, k * d);
        const cNew = core.f64(centersNew, k * d);
        if (rebuildAll || relocated) cOld.set(cNew);
        else {
          const dirty = core.i32(dirtyPtr, k);
          for (let j = 0; j < k; j++) if (dirty[j]) cOld.set(cNew.subarray(j * d, j * d + d), j * d);
        }
        rebuildAll = relocated;
        // views made after the step's calls: none outlives a growth of the Wasm memory
        const lab = core.i32(ctx.labels, S);
        const prev = core.i32(prevPtr, S);
        let same = true;
        for (let i = 0; i < S; i++) {
          if (lab[i] !== prev[i]) {
            same = false;
            break;
          }
        }
        if (same) break; // strict convergence
        if (shift <= tolAbs) break;
        prev.set(lab);
      }
      // the final centres: every mean summed from zero in row order (the bits of kmeans_update), so that
      // restarts that reach one partition by different moves have the same centres and inertia, and the
      // first of them is kept; then the final assignment, so that labels match them
      // prettier-ignore
      K.kmeans_update_moves(X, S, d, ctx.labels, prevPtr, k, sums, centersNew, counts, terms, dirtyPtr, 1, order, starts);
      if (ctx.gram) gramCentresUpdated(ctx, ctx.gram, counts, terms, dirtyPtr);
      K.kmeans_shifts(ctx.centers, centersNew, k, d, ctx.shifts);
      const finalShifts = core.f64(ctx.shifts, k);
      for (let j = 0; j < k; j++) finalShifts[j] = finalShifts[j] * (1 + 1e-12) + ctx.eta;
      core.f64(ctx.centers, k * d).set(core.f64(centersNew, k * d));
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
    return { best, bestRestart, ran, gramSteps: ctx.gram ? { ...ctx.gram.stats } : undefined };
  } finally {
    core.release(mark);
  }
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

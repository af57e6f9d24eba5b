// k-means++ seeding of kmeans() (./kmeans.ts), scikit-learn's greedy variant: the first centre uniform, then
// each centre the best (lowest potential) of 2 + floor(ln k) candidates drawn with probability proportional
// to the squared distance to the nearest chosen centre. Exact, with fewer distance computations: the
// potentials come from one of two routes with the same bits, kmeans_pp_trials_bounded
// (assembly/kmeans-bounded.ts) or the Gram matrix (./gram.ts).
import type { CounterRandom } from '../../core/rng.js';
import type { KMeansState } from './types.js';
import { gramAccept, gramSeeded, gramTrials } from './gram.js';

/** How one route evaluates and accepts k-means++ candidates (data rows). */
interface SeedingRoute {
  /**
   * The best of the t candidate rows ids[0 .. t) (the lowest potential, the first on ties), its potential left
   * in c.pots; base: the sum of closest in row order.
   */
  trials(ids: Int32Array, t: number, base: number): number;
  /** Accepts candidate bestT of the last trials (data row `row`) as centre `centre`. */
  accept(t: number, bestT: number, row: number, centre: number): void;
}

/**
 * sklearn's greedy k-means++: each new centre is the best of `trials` D^2-sampled candidates. On the
 * bounded route the trials skip the rows that a candidate provably cannot come closer to
 * (kmeans_pp_trials_bounded) and leave Elkan's lower bounds of every row to every centre for the Lloyd
 * iterations; on the Gram route they read the candidate's row of F (kmeans_gram_trials).
 */
export function seedPlusPlus(c: KMeansState, rng: CounterRandom): void {
  const { core, X, S, d, k, trials } = c;
  const route = c.gram ? gramRoute(c) : boundedRoute(c);
  const copyRow = (dst: number, row: number) => core.f64(dst, d).set(core.f64(X + 8 * row * d, d));
  const seedRows = new Int32Array(k);
  const ids = new Int32Array(trials);
  // first centre: uniform; closest = squared distance of every row to it
  const first = rng.nextInt(S);
  copyRow(c.centers, first);
  seedRows[0] = first;
  core.f64(c.closest, S).fill(Infinity);
  if (!c.gram) core.i32(c.near, S).fill(0);
  ids[0] = first;
  route.trials(ids, 1, Infinity);
  let pot = core.f64(c.pots, 1)[0];
  route.accept(1, 0, first, 0);
  const cumsum = new Float64Array(S);
  for (let centre = 1; centre < k; centre++) {
    const closest = core.f64(c.closest, S);
    let acc = 0;
    for (let i = 0; i < S; i++) cumsum[i] = acc += closest[i];
    for (let t = 0; t < trials; t++) {
      const u = rng.nextDouble() * pot;
      // searchsorted(cumsum, u, side='left'), clipped to S - 1
      let lo = 0;
      let hi = S - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (cumsum[mid] >= u) hi = mid;
        else lo = mid + 1;
      }
      ids[t] = lo;
    }
    const bestT = route.trials(ids, trials, acc);
    pot = core.f64(c.pots, trials)[bestT];
    route.accept(trials, bestT, ids[bestT], centre);
    copyRow(c.centers + 8 * centre * d, ids[bestT]);
    seedRows[centre] = ids[bestT];
  }
  if (c.gram) gramSeeded(c, c.gram, seedRows);
}

/** Candidates through F: their rows of the Gram matrix, exact f64 where a row may come closer. */
function gramRoute(c: KMeansState): SeedingRoute {
  const g = c.gram!;
  const { core } = c;
  let first = true; // the first trial: the kernel's thresholds from closest (Infinity) anew
  return {
    trials(ids, t, base) {
      core.i32(c.candIdx, t).set(ids.subarray(0, t));
      const best = gramTrials(c, g, t, first, base);
      first = false;
      return best;
    },
    accept(_t, bestT) {
      gramAccept(c, g, bestT);
    },
  };
}

/** Candidates through f32 products of the rows not pruned by the triangle inequality, exact f64 checks. */
function boundedRoute(c: KMeansState): SeedingRoute {
  const { core, X, S, d, k, trials } = c;
  const K = core.kernels;
  let count = 0;
  const setCandidate = (t: number, row: number) => {
    core.f64(c.cand + 8 * t * d, d).set(core.f64(X + 8 * row * d, d));
    core.f32(c.cand32 + 4 * t * d, d).set(core.f32(c.X32 + 4 * row * d, d));
    core.f64(c.candNorm, trials)[t] = core.f64(c.xNorm, S)[row];
    core.i32(c.candIdx, trials)[t] = row;
  };
  return {
    trials(ids, t, base) {
      for (let e = 0; e < t; e++) setCandidate(e, ids[e]);
      count = K.kmeans_pp_trials_bounded(
        X,
        c.X32,
        S,
        d,
        c.xNorm,
        c.cand,
        c.cand32,
        c.candNorm,
        c.candIdx,
        t,
        c.closest,
        c.near,
        c.lower,
        k,
        c.delta,
        c.eta,
        c.g,
        c.rows,
        c.block,
        c.dots,
        c.dist,
        c.pots,
        c.candInfo,
        base,
      );
      const pots = core.f64(c.pots, t);
      let best = 0;
      for (let e = 1; e < t; e++) if (pots[e] < pots[best]) best = e;
      return best;
    },
    accept(t, bestT, row, centre) {
      K.kmeans_pp_accept_bounded(
        S,
        t,
        bestT,
        row,
        centre,
        c.rows,
        count,
        c.dist,
        c.closest,
        c.near,
        c.lower,
        k,
        c.delta,
        c.eta,
      );
    },
  };
}

// k-means++ seeding of kmeans() (./kmeans.ts), scikit-learn's greedy variant: the first centre uniform, then
// each centre the best (lowest potential) of 2 + floor(ln k) candidates drawn with probability proportional
// to the squared distance to the nearest chosen centre. Exact, with fewer distance computations: see
// kmeans_pp_trials_bounded in assembly/kmeans-bounded.ts.
import type { CounterRandom } from '../core/rng.js';
import type { KMeansState } from './kmeans.js';

/**
 * sklearn's greedy k-means++: each new centre is the best of `trials` D^2-sampled candidates. The trials
 * skip the rows that a candidate provably cannot come closer to (kmeans_pp_trials_bounded), and leave
 * Elkan's lower bounds of every row to every centre for the Lloyd iterations.
 */
export function seedPlusPlus(c: KMeansState, rng: CounterRandom): void {
  const { core, X, S, d, k, trials } = c;
  const K = core.kernels;
  const copyRow = (dst: number, row: number) => core.f64(dst, d).set(core.f64(X + 8 * row * d, d));
  const setCandidate = (t: number, row: number) => {
    copyRow(c.cand + 8 * t * d, row);
    core.f32(c.cand32 + 4 * t * d, d).set(core.f32(c.X32 + 4 * row * d, d));
    core.f64(c.candNorm, trials)[t] = core.f64(c.xNorm, S)[row];
    core.i32(c.candIdx, trials)[t] = row;
  };
  const tryCandidates = (t: number) =>
    K.kmeans_pp_trials_bounded(
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
    );
  const accept = (t: number, bestT: number, row: number, centre: number, count: number) =>
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
  // first centre: uniform; closest = squared distance of every row to it
  const first = rng.nextInt(S);
  copyRow(c.centers, first);
  setCandidate(0, first);
  core.f64(c.closest, S).fill(Infinity);
  core.i32(c.near, S).fill(0);
  accept(1, 0, first, 0, tryCandidates(1));
  let pot = core.f64(c.pots, 1)[0];
  const cumsum = new Float64Array(S);
  const ids = new Int32Array(trials);
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
      setCandidate(t, lo);
    }
    const count = tryCandidates(trials);
    const pots = core.f64(c.pots, trials);
    let bestT = 0;
    for (let t = 1; t < trials; t++) if (pots[t] < pots[bestT]) bestT = t;
    pot = pots[bestT];
    accept(trials, bestT, ids[bestT], centre, count);
    copyRow(c.centers + 8 * centre * d, ids[bestT]);
  }
}

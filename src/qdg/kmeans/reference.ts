// The plain twin of kmeans() (./kmeans.ts), a test oracle only: sklearn's Lloyd written out with no bounds,
// no f32 and no threads. Greedy k-means++ (2 + floor(ln k) D^2-sampled trials per centre, the one with the
// lowest potential kept), Lloyd iterations (nearest centre, first on ties; means; empty clusters take the
// points farthest from their centres; stop on unchanged labels or a total squared centre shift <= tol x
// mean feature variance), a final assignment, the lowest inertia of nInit restarts. Same data centring and
// the same random draws (CounterRandom(seed, Stream.kmeans, restart)) as kmeans().
import { CounterRandom, Stream } from '../../core/rng.js';
import type { KMeansResult } from './types.js';

function sqDist(x: ArrayLike<number>, i: number, c: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let e = 0; e < d; e++) s += (x[i * d + e] - c[j * d + e]) ** 2;
  return s;
}

/** A decision closer than this (relative) is a tie that rounding settles, differently in other code. */
const TIE = 1e-9;

/**
 * The result, and `nearTies`: how many decisions (k-means++ candidates of different rows with equal
 * potentials, rows equally near two centres) were ties within TIE, where any two implementations may
 * differ by rounding (a pair of points far from the rest: either as the new centre gives one potential).
 */
export function referenceKMeans(
  data: ArrayLike<number>,
  S: number,
  d: number,
  k: number,
  opts: { nInit?: number; maxIter?: number; tol?: number; seed?: number } = {},
): KMeansResult & { nearTies: number } {
  const { nInit = 30, maxIter = 300, tol = 1e-4, seed = 0 } = opts;
  const mean = new Float64Array(d);
  for (let i = 0; i < S; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / S;
  const x = Float64Array.from({ length: S * d }, (_, e) => data[e] - mean[e % d]);
  let variance = 0;
  for (const v of x) variance += v * v;
  const tolAbs = (tol * variance) / (S * d);
  const trials = 2 + Math.floor(Math.log(k));
  let best: KMeansResult | undefined;
  let nearTies = 0;
  for (let init = 0; init < nInit; init++) {
    const rng = new CounterRandom(seed, Stream.kmeans, init);
    // k-means++
    const centers = new Float64Array(k * d);
    const setCentre = (j: number, row: number) => centers.set(x.subarray(row * d, row * d + d), j * d);
    const first = rng.nextInt(S);
    setCentre(0, first);
    const closest = Float64Array.from({ length: S }, (_, i) => sqDist(x, i, x, first, d));
    let pot = closest.reduce((a, b) => a + b, 0);
    for (let j = 1; j < k; j++) {
      const cumsum = new Float64Array(S);
      let acc = 0;
      for (let i = 0; i < S; i++) cumsum[i] = acc += closest[i];
      let bestRow = -1;
      let bestPot = Infinity;
      let bestDist: Float64Array | undefined;
      const tried: [number, number][] = [];
      for (let t = 0; t < trials; t++) {
        const u = rng.nextDouble() * pot;
        let row = cumsum.findIndex((c) => c >= u);
        if (row < 0) row = S - 1;
        const dist = Float64Array.from({ length: S }, (_, i) =>
          Math.min(closest[i], sqDist(x, i, x, row, d)),
        );
        const p = dist.reduce((a, b) => a + b, 0);
        tried.push([row, p]);
        if (p < bestPot) {
          bestPot = p;
          bestRow = row;
          bestDist = dist;
        }
      }
      if (tried.some(([row, p]) => row !== bestRow && Math.abs(p - bestPot) <= TIE * bestPot)) nearTies++;
      pot = bestPot;
      closest.set(bestDist!);
      setCentre(j, bestRow);
    }
    // Lloyd
    const labels = new Int32Array(S);
    const minDist = new Float64Array(S);
    const assign = () => {
      let inertia = 0;
      for (let i = 0; i < S; i++) {
        let b = 0;
        let bv = Infinity;
        let second = Infinity;
        for (let j = 0; j < k; j++) {
          const v = sqDist(x, i, centers, j, d);
          if (v < bv) {
            second = bv;
            bv = v;
            b = j;
          } else if (v < second) second = v;
        }
        if (second - bv <= TIE * (bv + 1e-300)) nearTies++;
        labels[i] = b;
        minDist[i] = bv;
        inertia += bv;
      }
      return inertia;
    };
    const labelsOld = new Int32Array(S).fill(-1);
    let iter = 0;
    for (; iter < maxIter; iter++) {
      assign();
      const sums = new Float64Array(k * d);
      const counts = new Float64Array(k);
      for (let i = 0; i < S; i++) {
        counts[labels[i]]++;
        for (let e = 0; e < d; e++) sums[labels[i] * d + e] += x[i * d + e];
      }
      const next = Float64Array.from(sums, (v, e) =>
        counts[Math.floor(e / d)] ? v / counts[Math.floor(e / d)] : 0,
      );
      const order = Array.from({ length: S }, (_, i) => i).sort((p, q) => minDist[q] - minDist[p] || p - q);
      let o = 0;
      for (let e = 0; e < k; e++) {
        if (counts[e] !== 0) continue;
        while (o < S && counts[labels[order[o]]] <= 1) o++;
        if (o >= S) break;
        const p = order[o++];
        const old = labels[p];
        const n = counts[old];
        for (let j = 0; j < d; j++) {
          next[old * d + j] = (next[old * d + j] * n - x[p * d + j]) / (n - 1);
          next[e * d + j] = x[p * d + j];
        }
        counts[old] = n - 1;
        counts[e] = 1;
        labels[p] = e;
      }
      let shift = 0;
      for (let e = 0; e < k * d; e++) shift += (next[e] - centers[e]) ** 2;
      centers.set(next);
      if (labels.every((l, i) => l === labelsOld[i])) break;
      if (shift <= tolAbs) break;
      labelsOld.set(labels);
    }
    const inertia = assign();
    if (!best || inertia < best.inertia) {
      best = {
        labels: Int32Array.from(labels),
        inertia,
        iterations: Math.min(iter + 1, maxIter),
        centers: Float64Array.from(centers, (v, e) => v + mean[e % d]),
      };
    }
  }
  return { ...best!, nearTies };
}

/** Plain twin (test oracle): the inertia of labels and centres, sum_i ||x_i - c_label(i)||^2. */
export function referenceInertia(
  x: ArrayLike<number>,
  S: number,
  d: number,
  labels: ArrayLike<number>,
  centers: ArrayLike<number>,
): number {
  let s = 0;
  for (let i = 0; i < S; i++)
    for (let j = 0; j < d; j++) s += (x[i * d + j] - centers[labels[i] * d + j]) ** 2;
  return s;
}

/** Plain twin (test oracle): the nearest centre of each row (first on ties) and the squared distance. */
export function referenceAssign(
  x: ArrayLike<number>,
  S: number,
  d: number,
  centers: ArrayLike<number>,
  k: number,
): { labels: Int32Array; dist: Float64Array } {
  const labels = new Int32Array(S);
  const dist = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    let best = Infinity;
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x[i * d + j] - centers[c * d + j]) ** 2;
      if (s < best) {
        best = s;
        labels[i] = c;
      }
    }
    dist[i] = best;
  }
  return { labels, dist };
}

/**
 * The plain twin of kmeans_update_moves (assembly/kmeans.ts), a test oracle: one Lloyd update from the moves
 * of a step, row by row. sums, counts and terms are updated in place (as the kernel does); returns the new
 * centres of every cluster (NaN rows for the clusters it did not recompute) and the flags.
 */
export function referenceUpdateMoves(
  x: ArrayLike<number>,
  S: number,
  d: number,
  labels: ArrayLike<number>,
  prev: ArrayLike<number>,
  k: number,
  sums: Float64Array,
  counts: Float64Array,
  terms: Float64Array,
  all: boolean,
): { centers: Float64Array; flags: Int32Array } {
  const flags = new Int32Array(k);
  const centers = new Float64Array(k * d).fill(NaN);
  const fromZero = (c: number) => {
    sums.fill(0, c * d, c * d + d);
    counts[c] = 0;
    for (let i = 0; i < S; i++) {
      if (labels[i] !== c) continue;
      counts[c]++;
      for (let e = 0; e < d; e++) sums[c * d + e] += x[i * d + e];
    }
    terms[c] = counts[c];
  };
  let moved = 0;
  for (let i = 0; i < S; i++) if (labels[i] !== prev[i]) moved++;
  if (all || moved * 2 > S) {
    for (let c = 0; c < k; c++) {
      fromZero(c);
      flags[c] = 1;
    }
  } else {
    const moves = new Float64Array(k);
    for (let i = 0; i < S; i++) {
      if (labels[i] === prev[i]) continue;
      moves[prev[i]]++;
      moves[labels[i]]++;
      counts[prev[i]]--;
      counts[labels[i]]++;
    }
    for (let c = 0; c < k; c++) {
      if (moves[c] === 0) continue;
      flags[c] = 1;
      // the cheaper way, unless the sum has had too many terms since it was summed from zero
      if (moves[c] >= counts[c] || terms[c] + moves[c] > 4 * counts[c] + 16) {
        fromZero(c);
        continue;
      }
      terms[c] += moves[c];
      for (let i = 0; i < S; i++) {
        if (prev[i] === labels[i]) continue;
        if (prev[i] === c) for (let e = 0; e < d; e++) sums[c * d + e] -= x[i * d + e];
        if (labels[i] === c) for (let e = 0; e < d; e++) sums[c * d + e] += x[i * d + e];
      }
    }
  }
  for (let c = 0; c < k; c++) {
    if (!flags[c]) continue;
    const inv = 1 / counts[c];
    for (let e = 0; e < d; e++) centers[c * d + e] = counts[c] === 0 ? 0 : sums[c * d + e] * inv;
  }
  return { centers, flags };
}

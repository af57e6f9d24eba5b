import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import { blobs, gaussians } from './kmeans-data.js';
import { kmeans } from '../../src/qdg/kmeans/kmeans.js';
import {
  referenceAssign,
  referenceInertia,
  referenceKMeans,
  referenceUpdateMoves,
} from '../../src/qdg/kmeans/reference.js';
import { adjustedRandIndex, normalizedMutualInfo } from '../../src/qdg/metrics.js';

const core = new Core();

describe('clustering agreement metrics', () => {
  it('match hand-computed values', () => {
    // ARI: sum C(n_ij,2) = 1, sum C(a_i,2) = 2, sum C(b_j,2) = 1, C(4,2) = 6: (1 - 1/3) / (3/2 - 1/3) = 4/7
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(4 / 7, 12);
    // NMI: MI = ln 2, H(a) = ln 2, H(b) = 1.5 ln 2: ln 2 / (1.25 ln 2) = 0.8
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.8, 12);
    // ARI: (2 - 18/15) / (9/2 - 18/15) = 8/33
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])).toBeCloseTo(8 / 33, 12);
    // independent 2 x 2 design: MI = 0
    expect(normalizedMutualInfo([0, 0, 1, 1], [0, 1, 0, 1])).toBe(0);
    // ARI of the independent design: sum C(n_ij,2) = 0, expected = 2*2/6: (0 - 2/3)/(2 - 2/3) = -1/2
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
    expect(adjustedRandIndex([5, 5, 5], [1, 1, 1])).toBe(1);
    expect(normalizedMutualInfo([5, 5, 5], [1, 1, 1])).toBe(1);
  });

  it('are 1 on relabelled copies and symmetric', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 2, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 60, maxLength: 60 }),
        (a, bRaw) => {
          const b = bRaw.slice(0, a.length);
          const relabel = a.map((x) => 100 - 7 * x);
          expect(adjustedRandIndex(a, relabel)).toBeCloseTo(1, 12);
          expect(normalizedMutualInfo(a, relabel)).toBeCloseTo(1, 12);
          expect(adjustedRandIndex(a, b)).toBeCloseTo(adjustedRandIndex(b, a), 12);
          expect(normalizedMutualInfo(a, b)).toBeCloseTo(normalizedMutualInfo(b, a), 12);
          const nmi = normalizedMutualInfo(a, b);
          expect(nmi).toBeGreaterThanOrEqual(0);
          expect(nmi).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe('k-means kernels against the plain twins', () => {
  it('the assignment step equals the nearest-centre oracle', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, k, seed) => {
          const mark = core.mark();
          const x = gaussians(S * d, seed);
          const c = gaussians(k * d, seed + 1);
          const X = core.allocF64(S * d);
          const C = core.allocF64(k * d);
          const xn = core.allocF64(S);
          const cn = core.allocF64(k);
          const labels = core.allocI32(S);
          const dist = core.allocF64(S);
          const scratch = core.allocF64(64 * k);
          core.f64(X, S * d).set(x);
          core.f64(C, k * d).set(c);
          core.kernels.kmeans_row_norms(X, S, d, xn);
          core.kernels.kmeans_row_norms(C, k, d, cn);
          const inertia = core.kernels.kmeans_assign(X, S, d, xn, C, k, cn, labels, dist, scratch);
          const want = referenceAssign(x, S, d, c, k);
          const got = core.i32(labels, S);
          const gd = core.f64(dist, S);
          let total = 0;
          for (let i = 0; i < S; i++) {
            // a different label only on a near-tie
            if (got[i] !== want.labels[i]) {
              const alt = referenceInertia(x.subarray(i * d, i * d + d), 1, d, [got[i]], c);
              expect(alt).toBeCloseTo(want.dist[i], 9);
            }
            expect(gd[i]).toBeCloseTo(want.dist[i], 9);
            total += want.dist[i];
          }
          expect(inertia).toBeCloseTo(total, 8);
          core.release(mark);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the update by moves equals its twin bit for bit, step after step (sums, counts, terms, recomputed centres)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, k, seed) => {
          const mark = core.mark();
          try {
            const r = new CounterRandom(seed, 5);
            // values 60 binades apart, so that another order of additions or subtractions shows
            const x = Float64Array.from(
              { length: S * d },
              () => r.nextGaussian() * 2 ** (r.nextInt(60) - 30),
            );
            const m = updateByMoves(x, S, d, k);
            const lab = Int32Array.from({ length: S }, () => r.nextInt(k));
            const was = new Int32Array(S).fill(-1);
            const tw = {
              sums: new Float64Array(k * d),
              counts: new Float64Array(k),
              terms: new Float64Array(k),
            };
            for (let step = 0; step < 12; step++) {
              const all = step === 0 || r.nextInt(8) === 0;
              const before = Float64Array.from(m.centers());
              const got = m.step(lab, was, all);
              const want = referenceUpdateMoves(x, S, d, lab, was, k, tw.sums, tw.counts, tw.terms, all);
              expect(Array.from(got.flags)).toEqual(Array.from(want.flags));
              for (let e = 0; e < k * d; e++) {
                const w = want.flags[Math.floor(e / d)] ? want.centers[e] : before[e];
                if (!Object.is(got.centers[e], w)) expect(got.centers[e]).toBe(w);
              }
              for (let e = 0; e < k * d; e++) if (!Object.is(got.sums[e], tw.sums[e])) return false;
              expect(Array.from(got.counts)).toEqual(Array.from(tw.counts));
              expect(Array.from(got.terms)).toEqual(Array.from(tw.terms));
              // the next step: a few rows move (sometimes most of them)
              was.set(lab);
              const moves = r.nextInt(5) === 0 ? S : r.nextInt(Math.max(1, S >> 2) + 1);
              for (let q = 0; q < moves; q++) lab[r.nextInt(S)] = r.nextInt(k);
            }
            return true;
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("the update by moves keeps each centre within gramCentresUpdated's bound of the exact mean", () => {
    // the bound (src/qdg/kmeans/gram.ts): (gamma(t) t / n + gamma(2)) R, t = terms since summed from zero
    const u = 2 ** -53;
    const gamma = (n: number) => (n * u) / (1 - n * u);
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 120 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, k, seed) => {
          const mark = core.mark();
          try {
            const r = new CounterRandom(seed, 7);
            // values of a few binades: a double-double sum of them is exact enough to judge the bound
            const x = Float64Array.from({ length: S * d }, () => r.nextGaussian() * 2 ** (r.nextInt(8) - 4));
            let R = 0;
            for (let i = 0; i < S; i++) R = Math.max(R, Math.hypot(...x.subarray(i * d, i * d + d)));
            const m = updateByMoves(x, S, d, k);
            const lab = Int32Array.from({ length: S }, () => r.nextInt(k));
            let was = new Int32Array(S).fill(-1);
            let worst = 0;
            for (let step = 0; step < 40; step++) {
              const { centers: c, counts, terms } = m.step(lab, was, step === 0);
              for (let j = 0; j < k; j++) {
                const n = counts[j];
                if (n === 0) continue;
                const t = terms[j];
                let err2 = 0;
                for (let e = 0; e < d; e++) {
                  // the exact mean's coordinate as a double-double (TwoSum accumulation)
                  let [hi, lo] = [0, 0];
                  for (let i = 0; i < S; i++) {
                    if (lab[i] !== j) continue;
                    const v = x[i * d + e];
                    const s = hi + v;
                    const bb = s - hi;
                    lo += hi - (s - bb) + (v - bb);
                    hi = s;
                  }
                  err2 += (c[j * d + e] - (hi + lo) / n) ** 2;
                }
                const bound = ((gamma(t) * t) / n + gamma(2)) * R;
                worst = Math.max(worst, Math.sqrt(err2) / bound);
              }
              was = Int32Array.from(lab);
              for (let q = r.nextInt(3); q >= 0; q--) lab[r.nextInt(S)] = r.nextInt(k);
            }
            return worst <= 1;
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('the update equals its twin: each centre the sum of its rows in row order from 0, times 1/n', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 11 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, k, seed) => {
          const mark = core.mark();
          try {
            const r = new CounterRandom(seed, 6);
            // values 60 binades apart, so that sums round and another order of additions shows
            const x = Float64Array.from(
              { length: S * d },
              () => r.nextGaussian() * 2 ** (r.nextInt(60) - 30),
            );
            const lab = Int32Array.from({ length: S }, () => r.nextInt(k));
            const X = core.allocF64(S * d);
            const labels = core.allocI32(S);
            const centers = core.allocF64(k * d);
            const counts = core.allocF64(k);
            const order = core.allocI32(S);
            const starts = core.allocI32(k + 1);
            core.f64(X, S * d).set(x);
            core.i32(labels, S).set(lab);
            core.f64(centers, k * d).fill(NaN);
            core.kernels.kmeans_update(X, S, d, labels, k, centers, counts, order, starts);
            const want = new Float64Array(k * d);
            const n = new Float64Array(k);
            for (let i = 0; i < S; i++) {
              n[lab[i]]++;
              for (let e = 0; e < d; e++) want[lab[i] * d + e] += x[i * d + e];
            }
            for (let j = 0; j < k; j++) {
              if (n[j] > 0) for (let e = 0; e < d; e++) want[j * d + e] *= 1 / n[j];
            }
            const got = core.f64(centers, k * d);
            return (
              got.every((v, i) => Object.is(v, want[i])) && core.f64(counts, k).every((v, j) => v === n[j])
            );
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

/**
 * The buffers of kmeans_update_moves on data x (S x d) with k clusters, kept across steps; step() runs the
 * kernel for labels after prev labels and returns views of its results (valid until the next allocation).
 */
function updateByMoves(x: Float64Array, S: number, d: number, k: number) {
  const X = core.allocF64(S * d);
  core.f64(X, S * d).set(x);
  const [labels, prev] = [core.allocI32(S), core.allocI32(S)];
  const [sums, centers] = [core.allocF64(k * d), core.allocF64(k * d)];
  const [counts, terms] = [core.allocF64(k), core.allocF64(k)];
  const [flags, order, starts] = [core.allocI32(k), core.allocI32(S), core.allocI32(k + 1)];
  return {
    centers: () => core.f64(centers, k * d),
    step(lab: Int32Array, was: Int32Array, all: boolean) {
      core.i32(labels, S).set(lab);
      core.i32(prev, S).set(was);
      // prettier-ignore
      core.kernels.kmeans_update_moves(
        X, S, d, labels, prev, k, sums, centers, counts, terms, flags, all ? 1 : 0, order, starts,
      );
      return {
        centers: core.f64(centers, k * d),
        sums: core.f64(sums, k * d),
        counts: core.f64(counts, k),
        terms: core.f64(terms, k),
        flags: core.i32(flags, k),
      };
    },
  };
}

/** k planted clusters, far apart, in d dimensions; sizes vary. */
function planted(k: number, d: number, seed: number): { x: Float64Array; truth: Int32Array; S: number } {
  const r = new CounterRandom(seed, 78);
  const means = Float64Array.from({ length: k * d }, () => r.nextGaussian() * 40);
  const sizes = Array.from({ length: k }, (_, i) => 3 + ((i * 7 + seed) % 9));
  const S = sizes.reduce((a, b) => a + b, 0);
  const x = new Float64Array(S * d);
  const truth = new Int32Array(S);
  let s = 0;
  for (let c = 0; c < k; c++) {
    for (let m = 0; m < sizes[c]; m++, s++) {
      truth[s] = c;
      for (let j = 0; j < d; j++) x[s * d + j] = means[c * d + j] + r.nextGaussian() * 0.5;
    }
  }
  return { x, truth, S };
}

describe('kmeans', () => {
  it('never increases its objective across Lloyd iterations', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 120 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, k0, seed) => {
          const k = Math.min(k0, S);
          const x = gaussians(S * d, seed);
          const trace: number[][] = [];
          const res = kmeans(core, x, S, d, k, {
            nInit: 3,
            seed,
            tol: 0,
            onIteration: (init, _it, inertia) => (trace[init] ??= []).push(inertia),
          });
          for (const t of trace) {
            for (let i = 1; i < t.length; i++)
              expect(t[i]).toBeLessThanOrEqual(t[i - 1] * (1 + 1e-12) + 1e-12);
          }
          expect(res.inertia).toBeCloseTo(referenceInertia(x, S, d, res.labels, res.centers), 8);
          const best = Math.min(...trace.map((t) => t[t.length - 1]));
          expect(res.inertia).toBeLessThanOrEqual(best * (1 + 1e-12) + 1e-12);
          for (const l of res.labels) expect(l >= 0 && l < k).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('recovers well-separated planted clusters exactly (ARI 1), from f64, f32 and a Wasm pointer', () => {
    for (const [k, d, seed] of [
      [3, 2, 1],
      [8, 5, 2],
      [20, 10, 3],
      [40, 16, 4],
    ]) {
      const { x, truth, S } = planted(k, d, seed);
      const res = kmeans(core, x, S, d, k, { nInit: 10, seed });
      expect(adjustedRandIndex(truth, res.labels)).toBe(1);
      expect(normalizedMutualInfo(truth, res.labels)).toBeCloseTo(1, 12);
      const r32 = kmeans(core, Float32Array.from(x), S, d, k, { nInit: 10, seed });
      expect(adjustedRandIndex(truth, r32.labels)).toBe(1);
      const mark = core.mark();
      const ptr = core.allocF64(S * d);
      core.f64(ptr, S * d).set(x);
      const rp = kmeans(core, ptr, S, d, k, { nInit: 10, seed });
      expect(Array.from(rp.labels)).toEqual(Array.from(res.labels));
      expect(Array.from(core.f64(ptr, S * d))).toEqual(Array.from(x)); // input untouched
      core.release(mark);
    }
  });

  it('is deterministic for a seed and keeps the best of n_init', () => {
    const x = gaussians(200 * 3, 9);
    const a = kmeans(core, x, 200, 3, 7, { nInit: 5, seed: 4 });
    const b = kmeans(core, x, 200, 3, 7, { nInit: 5, seed: 4 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.inertia).toBe(b.inertia);
    // restart 0 of the 5 is the whole of an n_init = 1 run: the kept one is at least as good
    const first = kmeans(core, x, 200, 3, 7, { nInit: 1, seed: 4 });
    expect(a.inertia).toBeLessThanOrEqual(first.inertia + 1e-9);
  });

  it('handles k = S, duplicate points and k = 1, and rejects a bad k (an internal assert: user input is checked once, by qdgConfig)', () => {
    const x = Float64Array.of(0, 0, 1, 1, 0, 0, 5, 5);
    const all = kmeans(core, x, 4, 2, 4, { nInit: 2 });
    expect(all.inertia).toBeCloseTo(0, 12);
    const one = kmeans(core, x, 4, 2, 1, { nInit: 1 });
    expect(Array.from(one.labels)).toEqual([0, 0, 0, 0]);
    expect(one.inertia).toBeCloseTo(referenceInertia(x, 4, 2, [0, 0, 0, 0], [1.5, 1.5]), 12);
    expect(() => kmeans(core, x, 4, 2, 5)).toThrow(RangeError);
    expect(() => kmeans(core, x, 4, 2, 0)).toThrow(RangeError);
    const mark = core.mark();
    expect(() => kmeans(core, Float64Array.of(0, 0, NaN, 1), 2, 2, 1)).toThrow(
      /non-finite value NaN at row 1, column 0/,
    );
    expect(core.mark()).toBe(mark); // working memory released
  });
});

describe('bounded k-means against its plain twin', () => {
  it('gives the plain Lloyd result: same labels, inertia and iterations (bounds, f32 checks, threads)', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 0.3, 1),
        fc.integer({ min: 0, max: 1000 }),
        (extra, d, k, noise, seed) => {
          const S = 3 * k + extra;
          const x = noise === 0 ? gaussians(S * d, seed) : blobs(S, d, 6, noise, seed);
          const want = referenceKMeans(x, S, d, k, { nInit: 3, seed });
          if (want.nearTies > 0) return; // a tie that rounding settles (counted below)
          compared++;
          const got = kmeans(core, x, S, d, k, { nInit: 3, seed, workers: 1 + (seed % 2) });
          expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
          expect(got.iterations).toBe(want.iterations);
          expect(got.inertia).toBeCloseTo(want.inertia, 9);
          for (let e = 0; e < k * d; e++) expect(got.centers[e]).toBeCloseTo(want.centers[e], 9);
        },
      ),
      { numRuns: 80 },
    );
    expect(compared).toBeGreaterThan(40);
  });

  it('gives the plain Lloyd result in more dimensions than one f64 chunk (d = 300)', () => {
    const S = 160;
    const d = 300;
    const x = blobs(S, d, 12, 0.8, 5);
    const want = referenceKMeans(x, S, d, 15, { nInit: 2, seed: 3 });
    expect(want.nearTies).toBe(0);
    const got = kmeans(core, x, S, d, 15, { nInit: 2, seed: 3 });
    expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
    expect(got.inertia).toBeCloseTo(want.inertia, 8);
  });

  it('bounded assignment from any valid bounds equals the nearest-centre oracle, and keeps bounds valid', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 70 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, k, seed) => {
          const mark = core.mark();
          const x = blobs(S, d, 5, 0.5, seed);
          const c = blobs(k, d, 5, 0.5, seed + 1);
          const before = blobs(k, d, 5, 0.5, seed + 2); // centres the bounds were made for
          const r = new CounterRandom(seed, 80);
          const ptr = (n: number) => core.allocF64(n);
          const X = ptr(S * d);
          const X32 = core.allocF32(S * d);
          const C = ptr(k * d);
          const C32 = core.allocF32(k * d);
          const [xn, cn, minDist, lower, shifts, cRoot] = [
            ptr(S),
            ptr(k),
            ptr(S),
            ptr(S * k),
            ptr(k),
            ptr(k),
          ];
          const [labels, rows] = [core.allocI32(S), core.allocI32(S)];
          const [block, dots] = [core.allocF32(64 * d), core.allocF32(64 * k)];
          core.f64(X, S * d).set(x);
          core.f64(C, k * d).set(c);
          const K = core.kernels;
          K.kmeans_row_norms(X, S, d, xn);
          K.kmeans_row_norms(C, k, d, cn);
          K.kmeans_to_f32(X, X32, S * d);
          K.kmeans_to_f32(C, C32, k * d);
          // valid bounds for the old centres (a random fraction of the true distance), exact shifts
          const lo = core.f64(lower, S * k);
          for (let i = 0; i < S; i++)
            for (let j = 0; j < k; j++)
              lo[i * k + j] =
                Math.sqrt(referenceInertia(x.subarray(i * d), 1, d, [j], before)) * r.nextDouble();
          const sh = core.f64(shifts, k);
          for (let j = 0; j < k; j++)
            sh[j] = Math.sqrt(referenceInertia(c.subarray(j * d), 1, d, [0], before.subarray(j * d)));
          const lab = core.i32(labels, S);
          for (let i = 0; i < S; i++) lab[i] = r.nextInt(k);
          let maxX = 0;
          for (let i = 0; i < S; i++) maxX = Math.max(maxX, core.f64(xn, S)[i]);
          const g = 2.02 * (d + 4) * 2 ** -24;
          K.kmeans_assign_bounded(
            X,
            X32,
            S,
            d,
            xn,
            C,
            C32,
            k,
            cn,
            labels,
            minDist,
            lower,
            shifts,
            1e-10 * maxX,
            1e-12 * Math.sqrt(maxX),
            g,
            rows,
            block,
            dots,
            cRoot,
          );
          const want = referenceAssign(x, S, d, c, k);
          const got = core.i32(labels, S);
          const gd = core.f64(minDist, S);
          const after = core.f64(lower, S * k);
          for (let i = 0; i < S; i++) {
            if (got[i] !== want.labels[i]) expect(gd[i]).toBeCloseTo(want.dist[i], 9); // only on a tie
            expect(gd[i]).toBeCloseTo(want.dist[i], 9);
            for (let j = 0; j < k; j++) {
              const dist = Math.sqrt(referenceInertia(x.subarray(i * d), 1, d, [j], c));
              expect(after[i * k + j]).toBeLessThanOrEqual(dist * (1 + 1e-12) + 1e-12);
            }
          }
          core.release(mark);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('does not depend on the number of threads', () => {
    const S = 600;
    const d = 12;
    const x = blobs(S, d, 20, 0.7, 11);
    const one = kmeans(core, x, S, d, 20, { nInit: 7, seed: 2, workers: 1 });
    for (const workers of [2, 3]) {
      const trace: number[][] = [];
      const many = kmeans(core, x, S, d, 20, {
        nInit: 7,
        seed: 2,
        workers,
        onIteration: (init, _it, inertia) => (trace[init] ??= []).push(inertia),
      });
      expect(Array.from(many.labels)).toEqual(Array.from(one.labels));
      expect(many.inertia).toBe(one.inertia);
      expect(Array.from(many.centers)).toEqual(Array.from(one.centers));
      expect(many.iterations).toBe(one.iterations);
      expect(trace.filter((t) => t && t.length > 0).length).toBe(7); // every restart reported
    }
  });
});

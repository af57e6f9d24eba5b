// The Gram route of kmeans() (src/qdg/kmeans-gram.ts) against the bounded route and the plain twin: the same
// bits (labels, inertia, iterations, centres) on any data, with and without a store kept across calls.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { blobs, gaussians } from './kmeans-data.js';
import { kmeans, type KMeansResult } from '../../src/qdg/kmeans/kmeans.js';
import { gramRoutePays } from '../../src/qdg/kmeans/plan.js';
import { createGramStore, extendGram } from '../../src/qdg/kmeans/gram.js';
import { referenceKMeans } from '../../src/qdg/kmeans/reference.js';
import { CounterRandom } from '../../src/core/rng.js';

const core = new Core();

function expectSameBits(got: KMeansResult, want: KMeansResult): void {
  expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
  expect(got.iterations).toBe(want.iterations);
  expect(Object.is(got.inertia, want.inertia)).toBe(true);
  expect(Array.from(got.centers)).toEqual(Array.from(want.centers));
}

/** The first d columns of an S x D row-major matrix. */
function columns(x: Float64Array, S: number, D: number, d: number): Float64Array {
  const out = new Float64Array(S * d);
  for (let i = 0; i < S; i++) out.set(x.subarray(i * D, i * D + d), i * d);
  return out;
}

describe('Gram-route k-means', () => {
  it('equals the bounded route bit for bit (labels, inertia, iterations, centres), on 1 or 2 threads', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 90 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 14 }),
        fc.constantFrom(0, 0.3, 1, 3),
        fc.integer({ min: 0, max: 1000 }),
        (extra, d, k, noise, seed) => {
          const S = 3 * k + extra;
          const x = noise === 0 ? gaussians(S * d, seed) : blobs(S, d, 6, noise, seed);
          const workers = 1 + (seed % 2);
          const want = kmeans(core, x, S, d, k, { nInit: 3, seed, workers: 1, route: 'bounded' });
          const got = kmeans(core, x, S, d, k, { nInit: 3, seed, workers, route: 'gram' });
          expectSameBits(got, want);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('updates only the changed clusters in late Lloyd steps, with the bits of the bounded route', () => {
    // many clusters and slow convergence: most steps move a few rows, so the assignment goes incremental
    const steps = { full: 0, incremental: 0, rescanned: 0 };
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 48 }),
        fc.integer({ min: 2, max: 24 }),
        fc.constantFrom(0, 0.5, 2),
        fc.integer({ min: 0, max: 1000 }),
        (k, d, noise, seed) => {
          const S = 10 * k;
          const x = noise === 0 ? gaussians(S * d, seed) : blobs(S, d, 8, noise, seed);
          const want = kmeans(core, x, S, d, k, { nInit: 2, seed, workers: 1, route: 'bounded' });
          const got = kmeans(core, x, S, d, k, { nInit: 2, seed, workers: 1, route: 'gram' });
          expectSameBits(got, want);
          const g = got.gramSteps!;
          // every restart starts with a full pass (after the seeding), and the final one is counted too
          expect(g.full).toBeGreaterThanOrEqual(2);
          steps.full += g.full;
          steps.incremental += g.incremental;
          steps.rescanned += g.rescanned;
        },
      ),
      { numRuns: 25 },
    );
    expect(steps.incremental).toBeGreaterThan(steps.full);
    expect(steps.rescanned).toBeGreaterThan(0);
  });

  it('equals the plain Lloyd twin where no decision is a near tie', () => {
    let compared = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 0, max: 1000 }),
        (extra, d, k, seed) => {
          const S = 3 * k + extra;
          const x = blobs(S, d, 5, 0.5, seed);
          const want = referenceKMeans(x, S, d, k, { nInit: 2, seed });
          if (want.nearTies > 0) return;
          compared++;
          const got = kmeans(core, x, S, d, k, { nInit: 2, seed, workers: 1, route: 'gram' });
          expect(Array.from(got.labels)).toEqual(Array.from(want.labels));
          expect(got.iterations).toBe(want.iterations);
          expect(got.inertia).toBeCloseTo(want.inertia, 9);
        },
      ),
      { numRuns: 40 },
    );
    expect(compared).toBeGreaterThan(20);
  });

  it('handles duplicate points, k = S and k = 1 as the bounded route does', () => {
    const S = 30;
    const d = 4;
    const x = new Float64Array(S * d);
    for (let i = 0; i < S; i++) for (let j = 0; j < d; j++) x[i * d + j] = (i % 5) + 0.25 * j; // 5 distinct rows
    for (const k of [1, 5, 7, S]) {
      const want = kmeans(core, x, S, d, k, { nInit: 4, seed: 9, workers: 1, route: 'bounded' });
      const got = kmeans(core, x, S, d, k, { nInit: 4, seed: 9, workers: 1, route: 'gram' });
      expectSameBits(got, want);
      // with a per-step inertia the Gram route computes every step's distances: the same result
      const traced: number[] = [];
      const tracedWant: number[] = [];
      const opts = { nInit: 4, seed: 9, workers: 1 };
      const gotTraced = kmeans(core, x, S, d, k, {
        ...opts,
        route: 'gram',
        onIteration: (_r, _i, inertia) => traced.push(inertia),
      });
      kmeans(core, x, S, d, k, { ...opts, route: 'bounded', onIteration: (_r, _i, v) => tracedWant.push(v) });
      expectSameBits(gotTraced, want);
      expect(traced).toEqual(tracedWant);
    }
  });

  it('a store kept across growing column prefixes gives the result of a fresh matrix, and rebuilds for other data', () => {
    const S = 240;
    const D = 48;
    const x = blobs(S, D, 16, 0.6, 4);
    const mark = core.mark();
    try {
      const store = createGramStore(core, S);
      for (const d of [6, 20, 33, 48]) {
        const cols = columns(x, S, D, d);
        const opts = { nInit: 3, seed: 1, route: 'gram' as const, gram: store };
        const kept = kmeans(core, cols, S, d, d, { ...opts, workers: 1 });
        expect(store.columns).toBe(d);
        // with a helper thread (it keeps its own F; this thread may run no restart and fold nothing)
        expectSameBits(kmeans(core, cols, S, d, d, { ...opts, workers: 2 }), kept);
        const fresh = kmeans(core, cols, S, d, d, { nInit: 3, seed: 1, workers: 1, route: 'bounded' });
        expectSameBits(kept, fresh);
      }
      // other data of the same shape: the fingerprint differs, F is rebuilt, the result is still exact
      const other = blobs(S, 10, 8, 0.6, 5);
      const got = kmeans(core, other, S, 10, 8, {
        nInit: 2,
        seed: 3,
        workers: 1,
        route: 'gram',
        gram: store,
      });
      const want = kmeans(core, other, S, 10, 8, { nInit: 2, seed: 3, workers: 1, route: 'bounded' });
      expectSameBits(got, want);
      expect(store.columns).toBe(10);
    } finally {
      core.release(mark);
    }
  });

  it('helper threads keep their own Gram matrix: the same bits on 2 threads, the helper taking restarts', () => {
    const S = 3000;
    const d = 64;
    const x = blobs(S, d, 40, 0.8, 8);
    const opts = { seed: 4, route: 'gram' as const };
    kmeans(core, x, S, d, d, { ...opts, nInit: 2, workers: 2 }); // the helper thread is up from here on
    const one = kmeans(core, x, S, d, d, { ...opts, nInit: 12, workers: 1 });
    const two = kmeans(core, x, S, d, d, { ...opts, nInit: 12, workers: 2 });
    expectSameBits(two, one);
    expect(two.route).toBe('gram');
    expect(two.restartsPerThread!.length).toBe(2);
    expect(two.restartsPerThread![1]).toBeGreaterThan(0);
    expect(two.restartsPerThread![0] + two.restartsPerThread![1]).toBe(12);
  });

  it('reports each restart as it starts (onRestart: 1 .. nInit on one thread)', () => {
    const S = 200;
    const x = blobs(S, 8, 6, 0.5, 2);
    const started: number[] = [];
    kmeans(core, x, S, 8, 6, {
      nInit: 5,
      seed: 0,
      workers: 1,
      route: 'gram',
      onRestart: (n) => started.push(n),
    });
    expect(started).toEqual([1, 2, 3, 4, 5]);
  });

  it('does not depend on the scale of the data (exact power-of-2 scaling inside), on either route', () => {
    const S = 150;
    const d = 6;
    const x = blobs(S, d, 10, 0.4, 12);
    for (const route of ['bounded', 'gram'] as const) {
      const base = kmeans(core, x, S, d, 9, { nInit: 3, seed: 5, workers: 1, route });
      for (const e of [70, -80, 200]) {
        const f = 2 ** e;
        const got = kmeans(
          core,
          x.map((v) => v * f),
          S,
          d,
          9,
          { nInit: 3, seed: 5, workers: 1, route },
        );
        expect(Array.from(got.labels)).toEqual(Array.from(base.labels));
        expect(got.iterations).toBe(base.iterations);
        expect(got.inertia).toBe(base.inertia * f * f);
        expect(Array.from(got.centers)).toEqual(Array.from(base.centers).map((v) => v * f));
      }
    }
  });

  it('refuses a store of another core or a released one, and rebuilds F for data that only look alike', () => {
    const S = 200;
    const d = 5;
    const x = blobs(S, d, 8, 0.5, 21);
    const other = new Core();
    const foreign = createGramStore(other, S);
    expect(() => kmeans(core, x, S, d, 6, { nInit: 1, workers: 1, route: 'gram', gram: foreign })).toThrow(
      /another Core/,
    );
    const mark = core.mark();
    const store = createGramStore(core, S);
    kmeans(core, x, S, d, 6, { nInit: 2, seed: 1, workers: 1, route: 'gram', gram: store });
    // the same first, middle and last rows, the others reversed: not the folded data
    const y = Float64Array.from(x);
    for (let i = 1; i < 99; i++) y.set(x.subarray((99 - i) * d, (100 - i) * d), i * d);
    const got = kmeans(core, y, S, d, 6, { nInit: 2, seed: 1, workers: 1, route: 'gram', gram: store });
    const want = kmeans(core, y, S, d, 6, { nInit: 2, seed: 1, workers: 1, route: 'bounded' });
    expectSameBits(got, want);
    core.release(mark);
    expect(() => kmeans(core, x, S, d, 6, { nInit: 1, workers: 1, route: 'gram', gram: store })).toThrow(
      /released/,
    );
  });

  it('builds F = X X^T (symmetric, equal to the direct products within f64 rounding)', () => {
    const S = 37;
    const d = 11;
    const x = gaussians(S * d, 2);
    const mark = core.mark();
    try {
      const X = core.allocF64(S * d);
      core.f64(X, S * d).set(x);
      const store = createGramStore(core, S);
      extendGram(store, X, S, d);
      const F = core.f64(store.ptr, S * S);
      for (let i = 0; i < S; i++) {
        for (let j = 0; j < S; j++) {
          let dot = 0;
          for (let c = 0; c < d; c++) dot += x[i * d + c] * x[j * d + c];
          expect(Math.abs(F[i * S + j] - dot)).toBeLessThan(1e-13 * d);
          expect(F[i * S + j]).toBe(F[j * S + i]);
        }
      }
    } finally {
      core.release(mark);
    }
  });

  it('extends F and F32 in pieces: F exactly symmetric and within f64 rounding of X X^T, F32 = F rounded', () => {
    // strips of 64 rows: S up to 200 makes several, odd S an odd last strip; d in up to 3 pieces
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 24 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 2 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, cuts, seed) => {
          const x = gaussians(S * d, seed);
          const mark = core.mark();
          try {
            const store = createGramStore(core, S);
            core.f32(store.ptr32, S * S).fill(Number.NaN); // every entry must be written
            const widths = [...cuts.map((c) => 1 + Math.floor(c * (d - 1))), d].sort((a, b) => a - b);
            for (const w of widths) {
              // the first w columns: the store folds those it has not folded yet
              const X = core.allocF64(S * w);
              core.f64(X, S * w).set(columns(x, S, d, w));
              extendGram(store, X, S, w);
            }
            const F = core.f64(store.ptr, S * S);
            const F32 = core.f32(store.ptr32, S * S);
            for (let i = 0; i < S; i++) {
              for (let j = 0; j < S; j++) {
                let dot = 0;
                let norms = 0;
                for (let c = 0; c < d; c++) {
                  dot += x[i * d + c] * x[j * d + c];
                  norms += Math.abs(x[i * d + c] * x[j * d + c]);
                }
                if (!(Math.abs(F[i * S + j] - dot) <= 4 * d * 2 ** -53 * norms)) return false;
                if (!Object.is(F[i * S + j], F[j * S + i])) return false;
                if (!Object.is(F32[i * S + j], Math.fround(F[i * S + j]))) return false;
              }
            }
            return true;
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 40 },
    );
  });

  it('the cost model picks the Gram route for QDG-sized sweeps and the bounded route for few dimensions', () => {
    expect(gramRoutePays(10000, 1500, 1500, 30)).toBe(true);
    expect(gramRoutePays(10000, 200, 200, 30)).toBe(true);
    expect(gramRoutePays(10000, 10, 10, 30)).toBe(false);
    expect(gramRoutePays(100000, 20, 20, 30)).toBe(false);
  });
});

/** The buffers of the assignment kernels' arguments (S rows of d, k clusters), on the test's core. */
function assignmentBuffers(S: number, k: number, d: number) {
  return {
    X: core.allocF64(S * d),
    xRoot: core.allocF64(S),
    centers: core.allocF64(k * d),
    cNorm: core.allocF64(k),
    Pt: core.allocF64(k * S),
    counts: core.allocF64(k),
    terms: core.allocF64(k),
    cerr: core.allocF64(k),
    labels: core.allocI32(S),
    minDist: core.allocF64(S),
    scratch: core.allocF64(4 * S),
    fresh: core.allocF64(4 * S),
    changed: core.allocI32(k),
    flags: core.allocI32(k),
    rows: core.allocI32(S),
    info: core.allocI32(2),
  };
}

describe('kmeans_gram_assign_changed (the incremental assignment kernel)', () => {
  it('gives the full pass its labels, distances, least values and count, after any change of any clusters', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.constantFrom(2, 5, 1000),
        (k, S, d, seed, levels) => {
          // values on a coarse grid (levels) make exact ties and near ties, which the full pass re-decides
          const r = new CounterRandom(seed, 91);
          const grid = () => Math.round(r.nextGaussian() * levels) / levels;
          const mark = core.mark();
          try {
            // prettier-ignore
            const { X, xRoot, centers, cNorm, Pt, counts, terms, cerr, labels, minDist, scratch, fresh, changed, flags,
              rows, info } = assignmentBuffers(S, k, d);
            core.f64(X, S * d).set(Array.from({ length: S * d }, grid));
            const x = core.f64(X, S * d);
            let R = 0;
            for (let i = 0; i < S; i++) {
              let n = 0;
              for (let j = 0; j < d; j++) n += x[i * d + j] ** 2;
              R = Math.max(R, (core.f64(xRoot, S)[i] = Math.sqrt(n)));
            }
            const setCluster = (j: number) => {
              const c = core.f64(centers, k * d);
              let n = 0;
              for (let e = 0; e < d; e++) n += (c[j * d + e] = grid()) ** 2;
              core.f64(cNorm, k)[j] = n;
              const m = 1 + r.nextInt(4);
              core.f64(counts, k)[j] = m;
              core.f64(terms, k)[j] = m;
              const pt = core.f64(Pt, k * S);
              for (let i = 0; i < S; i++) pt[j * S + i] = grid() * m;
            };
            for (let j = 0; j < k; j++) setCluster(j);
            core.f64(cerr, k).fill(0);
            const K = core.kernels;
            const full = (into: number) =>
              K.kmeans_gram_assign(
                X,
                S,
                d,
                xRoot,
                R,
                centers,
                k,
                cNorm,
                Pt,
                counts,
                terms,
                cerr,
                labels,
                minDist,
                into,
                1,
              );
            full(scratch);
            // change a random subset of the clusters (members, centre or both), then assign both ways
            const flag = core.i32(flags, k);
            const list = core.i32(changed, k);
            let nc = 0;
            for (let j = 0; j < k; j++) {
              flag[j] = r.nextDouble() < 0.3 ? 1 : 0;
              if (flag[j]) {
                list[nc++] = j;
                setCluster(j);
              }
            }
            const gotCount = K.kmeans_gram_assign_changed(
              X,
              S,
              d,
              xRoot,
              R,
              centers,
              k,
              cNorm,
              Pt,
              counts,
              terms,
              cerr,
              labels,
              minDist,
              scratch,
              1,
              changed,
              nc,
              flags,
              rows,
              info,
            );
            const gotLabels = Array.from(core.i32(labels, S));
            const gotDist = Array.from(core.f64(minDist, S));
            const wantCount = full(fresh);
            expect(gotLabels).toEqual(Array.from(core.i32(labels, S)));
            expect(gotDist).toEqual(Array.from(core.f64(minDist, S)));
            expect(gotCount).toBe(wantCount);
            const got = core.f64(scratch, 3 * S);
            const want = core.f64(fresh, 3 * S);
            for (let i = 0; i < S; i++) {
              expect(got[i]).toBe(want[i]); // the least value
              expect(got[2 * S + i]).toBe(want[2 * S + i]); // its centre
              expect(got[S + i]).toBeLessThanOrEqual(want[S + i]); // a bound of the second least
            }
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** v rounded to f32 downwards (down) or upwards: one of the two f32 values around v. */
function f32Neighbour(v: number, down: boolean): number {
  const f = Math.fround(v);
  if (f === v || f < v !== down) return f;
  const b = new Float32Array([f]);
  const u = new Int32Array(b.buffer);
  // the next f32 toward v: one step of the bits, toward zero for |f| > |v|, away from it otherwise
  u[0] += Math.abs(f) > Math.abs(v) ? -1 : 1;
  return b[0];
}

/** a . b with dotTile's operation order (assembly/kmeans-common.ts): chunks of 256 columns, two lanes. */
function dotTileTwin(x: Float64Array, a: number, b: number, d: number): number {
  let c = 0;
  for (let k0 = 0; k0 < d; k0 += 256) {
    const kc = Math.min(256, d - k0);
    let s0 = 0;
    let s1 = 0;
    let k = 0;
    for (; k + 2 <= kc; k += 2) {
      s0 += x[a * d + k0 + k] * x[b * d + k0 + k];
      s1 += x[a * d + k0 + k + 1] * x[b * d + k0 + k + 1];
    }
    let t = s0 + s1;
    if (k < kc) t += x[a * d + k0 + k] * x[b * d + k0 + k];
    c += t;
  }
  return c;
}

describe('kmeans_gram_assign_changed on an exact tie', () => {
  it('a changed cluster of lower index that ties the least value takes it, as in the full pass', () => {
    // values a_j = cNorm_j - (2 / counts_j) Pt[j][i] set exactly (counts 2, centres j on a line): the least 0
    // at cluster 5, the second least 3, then cluster 1 of a group of four changed ones (1 .. 4) comes to 0 as
    // well, below the old second least: the least's centre becomes 1 (the first of equal values), which the
    // changed clusters' pass must find (no rescan)
    const S = 2;
    const k = 8;
    const d = 1;
    const mark = core.mark();
    try {
      // prettier-ignore
      const { X, xRoot, centers, cNorm, Pt, counts, terms, cerr, labels, minDist, scratch, fresh, changed, flags,
        rows, info } = assignmentBuffers(S, k, d);
      core.f64(X, S).set([0.5, -0.25]);
      core.f64(xRoot, S).set([0.5, 0.25]);
      for (let j = 0; j < k; j++) {
        core.f64(centers, k)[j] = j;
        core.f64(cNorm, k)[j] = j * j;
      }
      core.f64(counts, k).fill(2);
      core.f64(terms, k).fill(2);
      core.f64(cerr, k).fill(0);
      const setValues = (a: number[]) => {
        for (let j = 0; j < k; j++) for (let i = 0; i < S; i++) core.f64(Pt, k * S)[j * S + i] = j * j - a[j];
      };
      const K = core.kernels;
      // prettier-ignore
      const full = (into: number) => K.kmeans_gram_assign(
        X, S, d, xRoot, 0.5, centers, k, cNorm, Pt, counts, terms, cerr, labels, minDist, into, 1,
      );
      setValues([5, 5, 5, 5, 5, 0, 3, 5]);
      full(scratch);
      expect(Array.from(core.f64(scratch + 16 * S, S))).toEqual([5, 5]); // the least's centre: 5
      setValues([5, 0, 5, 5, 5, 0, 3, 5]);
      core.i32(changed, 4).set([1, 2, 3, 4]);
      core.i32(flags, k).set([0, 1, 1, 1, 1, 0, 0, 0]);
      // prettier-ignore
      K.kmeans_gram_assign_changed(
        X, S, d, xRoot, 0.5, centers, k, cNorm, Pt, counts, terms, cerr, labels, minDist, scratch, 1,
        changed, 4, flags, rows, info,
      );
      expect(core.i32(info, 2)[0]).toBe(0); // no row rescanned
      full(fresh);
      expect(Array.from(core.f64(fresh + 16 * S, S))).toEqual([1, 1]);
      expect(Array.from(core.f64(scratch, 3 * S))).toEqual(Array.from(core.f64(fresh, 3 * S)));
    } finally {
      core.release(mark);
    }
  });
});

describe('kmeans_gram_trials and kmeans_gram_sync against their twins', () => {
  it('trials: the best candidate (least exact potential, the first on ties), its potential and closest distances', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 70 }),
        fc.constantFrom(1, 2, 5, 17, 260),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        (S, d, t, seed, twins) => {
          const r = new CounterRandom(seed, 92);
          const x = blobs(S, d, 3, 0.5, seed);
          // twins: the candidates are rows equal to one another or a hair apart (different candidates of
          // exactly equal potentials, or of potentials closer than F32 can tell)
          const q0 = r.nextInt(S);
          if (twins) {
            for (let c = 1; c < Math.min(t, S); c++) {
              const hair = r.nextInt(3) * 2 ** -40;
              for (let e = 0; e < d; e++) x[((q0 + c) % S) * d + e] = x[q0 * d + e] * (1 + hair);
            }
          }
          const U = 2 ** -53;
          const gamma = (n: number) => (n * U) / (1 - n * U);
          const bf = 1.01 * (4 * gamma(d) + 2 ** -23 + 32 * U);
          const mark = core.mark();
          try {
            const X = core.allocF64(S * d);
            const xNorm = core.allocF64(S);
            const xRoot = core.allocF64(S);
            const F32 = core.allocF32(S * S);
            const cand = core.allocI32(t);
            const closest = core.allocF64(S);
            const dist = core.allocF64(t * S);
            const rows = core.allocI32(t * S);
            const changed = core.allocI32(t);
            const pots = core.allocF64(t);
            const tau = core.allocF64(S + 3 * t);
            core.f64(X, S * d).set(x);
            const xn = core.f64(xNorm, S);
            const f = core.f32(F32, S * S);
            let R = 0;
            for (let i = 0; i < S; i++) {
              xn[i] = dotTileTwin(x, i, i, d);
              core.f64(xRoot, S)[i] = Math.sqrt(xn[i]);
              R = Math.max(R, Math.sqrt(xn[i]) * (1 + 4 * U));
            }
            // F32: the products off by up to gamma(d) |x_i| |x_j| (as F's other summation order may be), then
            // rounded either way to f32 at random (F32's own error, within the allowance's 2^-23)
            for (let i = 0; i < S; i++) {
              for (let j = 0; j < S; j++) {
                const v =
                  dotTileTwin(x, i, j, d) + (r.nextDouble() * 2 - 1) * gamma(d) * Math.sqrt(xn[i] * xn[j]);
                f[i * S + j] = f32Neighbour(v, r.nextInt(2) === 0);
              }
            }
            const q = Array.from({ length: t }, (_, c) => (twins ? (q0 + c) % S : r.nextInt(S)));
            core.i32(cand, t).set(q);
            // closest: Infinity (no centre yet), a distance to some row, exactly a candidate's, or a
            // candidate's nudged by two ulps either way (the screen's edge: a lower one must be found)
            const cl = core.f64(closest, S);
            const p = r.nextInt(4);
            for (let i = 0; i < S; i++) {
              const to = p >= 2 ? q[r.nextInt(t)] : r.nextInt(S);
              const v = Math.max(0, xn[i] + xn[to] - 2 * dotTileTwin(x, i, to, d));
              cl[i] = p === 0 ? Infinity : p === 3 ? v * (1 + (r.nextInt(3) - 1) * 2 * U) : v;
            }
            const before = Float64Array.from(cl);
            let base = 0; // the sum of closest in row order (the seeding's cumulative sum)
            for (let i = 0; i < S; i++) base += before[i];
            // the twin: every row's f64 value, its new closest distance, the potential as the sum of closest
            // in row order plus the differences of the rows that come closer, summed in row order
            const want = Array.from({ length: t }, () => new Float64Array(S));
            const wantPot = q.map((row, c) => {
              let diff = 0;
              for (let i = 0; i < S; i++) {
                const v = Math.max(0, xn[i] + xn[row] - 2 * dotTileTwin(x, i, row, d));
                want[c][i] = Math.min(before[i], v);
                if (v < before[i]) diff += before[i] === Infinity ? v : v - before[i];
              }
              return base === Infinity ? diff : base + diff;
            });
            let wantBest = 0;
            for (let c = 1; c < t; c++) if (wantPot[c] < wantPot[wantBest]) wantBest = c;
            // prettier-ignore
            const best = core.kernels.kmeans_gram_trials(
              X, S, d, xNorm, xRoot, F32, cand, t, closest, dist, rows, changed, pots, bf, R, tau, 1, base,
            );
            if (best !== wantBest || !Object.is(core.f64(pots, t)[best], wantPot[best])) return false;
            // the screen's thresholds from closest (the kernel's tau, f64 operations, then rounded to f32)
            const tauOf = (i: number, c: number) => {
              const v = 0.5 * (xn[i] * (1 - bf) - c) - bf * R * Math.sqrt(xn[i]);
              return Math.fround(v - 2.384185791015625e-7 * Math.abs(v));
            };
            for (let i = 0; i < S; i++)
              if (!Object.is(core.f32(tau, S)[i], tauOf(i, before[i]))) return false;
            const n = core.i32(changed, t)[best];
            const listed = Array.from(core.i32(rows + 4 * best * S, n));
            const expected = [];
            for (let i = 0; i < S; i++) if (want[best][i] < before[i]) expected.push(i);
            if (listed.join() !== expected.join()) return false;
            // accepting the best gives exactly its new closest distances, and the thresholds follow
            // prettier-ignore
            core.kernels.kmeans_gram_accept(S, best, dist, rows, changed, closest, xNorm, xRoot, bf, R, tau);
            const after = core.f64(closest, S);
            for (let i = 0; i < S; i++) if (!Object.is(after[i], want[best][i])) return false;
            for (let i = 0; i < S; i++)
              if (!Object.is(core.f32(tau, S)[i], tauOf(i, want[best][i]))) return false;
            return true;
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('bounded trials: each potential the sum of closest plus the differences of the rows that come closer', () => {
    // kmeans_pp_trials_bounded with valid state (closest and near from m chosen centres, lower bounds 0 but
    // for the candidates' own centre) against the twin of the Gram trials test above
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 150 }),
        fc.constantFrom(1, 3, 17, 260),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, d, t, m, seed) => {
          const r = new CounterRandom(seed, 93);
          const x = blobs(S, d, 3, 0.5, seed);
          const k = Math.max(1, m);
          const mark = core.mark();
          try {
            const X = core.allocF64(S * d);
            const X32 = core.allocF32(S * d);
            const xNorm = core.allocF64(S);
            const cand = core.allocF64(t * d);
            const cand32 = core.allocF32(t * d);
            const candNorm = core.allocF64(t);
            const candIdx = core.allocI32(t);
            const closest = core.allocF64(S);
            const near = core.allocI32(S);
            const lower = core.allocF64(S * k);
            const rows = core.allocI32(S);
            const block = core.allocF32(64 * d);
            const dots = core.allocF32(64 * t);
            const dist = core.allocF64(S * t);
            const pots = core.allocF64(t);
            const candInfo = core.allocF64(3 * t);
            core.f64(X, S * d).set(x);
            core.f32(X32, S * d).set(x);
            const xn = core.f64(xNorm, S);
            let R2 = 0;
            for (let i = 0; i < S; i++) R2 = Math.max(R2, (xn[i] = dotTileTwin(x, i, i, d)));
            const delta = Math.max(1e-10, 4 * (d + 2) * Number.EPSILON) * R2;
            const eta = 1e-12 * Math.sqrt(R2);
            const g = 2.02 * (d + 4) * 2 ** -24;
            // m chosen centres (data rows; none: before the first centre), each row's nearest
            const centres = Array.from({ length: m }, () => r.nextInt(S));
            const sq = (i: number, j: number) => Math.max(0, xn[i] + xn[j] - 2 * dotTileTwin(x, i, j, d));
            const cl = core.f64(closest, S);
            const nr = core.i32(near, S);
            for (let i = 0; i < S; i++) {
              cl[i] = Infinity;
              nr[i] = 0;
              centres.forEach((row, j) => {
                const v = sq(i, row);
                if (v < cl[i]) [cl[i], nr[i]] = [v, j];
              });
            }
            core.f64(lower, S * k).fill(0);
            const q = Array.from({ length: t }, () => r.nextInt(S));
            q.forEach((row, c) => {
              core.f64(cand + 8 * c * d, d).set(x.subarray(row * d, row * d + d));
              core.f32(cand32 + 4 * c * d, d).set(x.subarray(row * d, row * d + d));
              core.f64(candNorm, t)[c] = xn[row];
            });
            core.i32(candIdx, t).set(q);
            let base = 0;
            for (let i = 0; i < S; i++) base += cl[i];
            // prettier-ignore
            core.kernels.kmeans_pp_trials_bounded(
              X, X32, S, d, xNorm, cand, cand32, candNorm, candIdx, t, closest, near, lower, k, delta, eta, g,
              rows, block, dots, dist, pots, candInfo, base,
            );
            for (let c = 0; c < t; c++) {
              let diff = 0;
              for (let i = 0; i < S; i++) {
                const v = sq(i, q[c]);
                if (v < cl[i]) diff += cl[i] === Infinity ? v : v - cl[i];
              }
              const pot = base === Infinity ? diff : base + diff;
              if (!Object.is(core.f64(pots, t)[c], pot)) return false;
            }
            return true;
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('sync: each Pt row is its members rows of F added (or removed) one after another in row order', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 1000 }),
        (S, k, moves, seed) => {
          const r = new CounterRandom(seed, 93);
          const mark = core.mark();
          try {
            const F32 = core.allocF32(S * S);
            const labels = core.allocI32(S);
            const pmem = core.allocI32(S);
            const Pt = core.allocF64(k * S);
            const counts = core.allocF64(k);
            const terms = core.allocF64(k);
            const order = core.allocI32(S);
            const starts = core.allocI32(k + 1);
            const f = core.f32(F32, S * S);
            // exponents 100 binades apart: sums of a few f32 values round in f64, so a changed order shows
            for (let i = 0; i < S * S; i++) f[i] = r.nextGaussian() * 2 ** (r.nextInt(100) - 50);
            core.i32(pmem, S).fill(-1);
            // the twin: a plain f64 Pt kept by the same rule (rebuild when more than S/2 changed, else move)
            const want = new Float64Array(k * S);
            const lab = new Int32Array(S);
            let held = new Int32Array(S).fill(-1);
            for (const share of moves) {
              for (let l = 0; l < S; l++) if (r.nextDouble() < share) lab[l] = r.nextInt(k);
              core.i32(labels, S).set(lab);
              const n = core.kernels.kmeans_gram_sync(
                F32,
                S,
                labels,
                pmem,
                k,
                Pt,
                counts,
                terms,
                order,
                starts,
              );
              let changed = 0;
              for (let l = 0; l < S; l++) if (lab[l] !== held[l]) changed++;
              if (n !== changed) return false;
              const add = (j: number, l: number, sign: number) => {
                for (let i = 0; i < S; i++) want[j * S + i] += sign * f[l * S + i];
              };
              if (changed * 2 > S) {
                want.fill(0);
                for (let j = 0; j < k; j++) for (let l = 0; l < S; l++) if (lab[l] === j) add(j, l, 1);
              } else if (changed > 0) {
                for (let j = 0; j < k; j++)
                  for (let l = 0; l < S; l++) if (held[l] === j && lab[l] !== j) add(j, l, -1);
                for (let j = 0; j < k; j++)
                  for (let l = 0; l < S; l++) if (lab[l] === j && held[l] !== j) add(j, l, 1);
              }
              held = lab.slice();
              const got = core.f64(Pt, k * S);
              for (let i = 0; i < k * S; i++) if (!Object.is(got[i], want[i])) return false;
            }
            return true;
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

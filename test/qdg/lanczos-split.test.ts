// The cut matrix-vector product of Lanczos (src/qdg/eigen/split.ts): the row-block kernel against its twin,
// and the same bits on one thread or two, for one product and for a whole eigensolve.
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import { instantiateCore, relaxedFused } from '../../src/core/wasm.js';
import { largestEigenpairs } from '../../src/qdg/eigen/lanczos.js';
import {
  closeSplitThread,
  splitBasisRows,
  splitCoordinate,
  splitRow,
  splitWork,
  SPLIT_MIN_S,
} from '../../src/qdg/eigen/split.js';

const core = new Core();
afterAll(() => closeSplitThread());

function gaussians(n: number, seed: number): Float64Array {
  const g = new CounterRandom(seed, 98);
  return Float64Array.from({ length: n }, () => g.nextGaussian());
}

/** The share of rows i0..i1-1 of the upper triangle (mirrored) in y = A x: entries i0..S-1 (the rest 0). */
function rowsTwin(a: Float32Array, S: number, i0: number, i1: number, x: Float64Array): Float64Array {
  const y = new Float64Array(S);
  for (let i = i0; i < i1; i++) {
    for (let j = i; j < S; j++) {
      const aij = a[i * S + j];
      y[i] += aij * x[j];
      if (j !== i) y[j] += aij * x[i];
    }
  }
  return y;
}

function toWasm(a: Float32Array): number {
  const p = core.allocF32(a.length);
  core.f32(p, a.length).set(a);
  return p;
}

describe('lanczos_symv_upper_rows', () => {
  it('equals its twin over any row range, leaves y below i0 alone, and its blocks sum to the whole product', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 37 }), fc.nat(1000), fc.nat(), fc.nat(), (S, seed, u, v) => {
        const i0 = u % (S + 1);
        const i1 = i0 + (v % (S - i0 + 1));
        const mark = core.mark();
        try {
          const a = Float32Array.from(gaussians(S * S, seed)); // asymmetric: the lower triangle is ignored
          const x = gaussians(S, seed + 1);
          const ap = toWasm(a);
          const xp = core.allocF64(S);
          const yp = core.allocF64(S);
          core.f64(xp, S).set(x);
          core.f64(yp, S).fill(7);
          core.kernels.lanczos_symv_upper_rows(ap, S, S, i0, i1, xp, yp);
          const got = core.f64(yp, S);
          const want = rowsTwin(a, S, i0, i1, x);
          for (let i = 0; i < i0; i++) expect(got[i]).toBe(7);
          for (let i = i0; i < S; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12 * (1 + S));
          // rows 0..i1-1 read from a copy holding only those rows (lda S): the same bits
          const copy = toWasm(a.subarray(0, i1 * S));
          const y2 = core.allocF64(S);
          core.f64(y2, S).fill(7);
          core.kernels.lanczos_symv_upper_rows(copy, S, S, i0, i1, xp, y2);
          expect(core.f64(y2, S).subarray(i0)).toEqual(core.f64(yp, S).subarray(i0));
          // the whole range is lanczos_symv_upper, bit for bit
          core.kernels.lanczos_symv_upper_rows(ap, S, S, 0, S, xp, yp);
          core.kernels.lanczos_symv_upper(ap, S, xp, y2);
          expect(core.f64(y2, S)).toEqual(core.f64(yp, S));
        } finally {
          core.release(mark);
        }
      }),
      { numRuns: 120 },
    );
  });
});

describe('the cut product', () => {
  it('cuts at a multiple of 4 holding about half the triangle, and not below SPLIT_MIN_S', () => {
    expect(splitRow(SPLIT_MIN_S - 1)).toBe(0);
    for (const S of [SPLIT_MIN_S, 2000, 10_000, 20_001]) {
      const r = splitRow(S);
      expect(r % 4).toBe(0);
      const lead = r * S - (r * (r - 1)) / 2;
      const trail = ((S - r) * (S - r + 1)) / 2;
      expect(Math.abs(lead - trail) / (lead + trail)).toBeLessThan(4 / Math.sqrt(S));
    }
  });

  it('cuts projections at a multiple of 4 and subtractions at an even coordinate, near the middle', () => {
    for (const m of [1, 3, 4, 7, 8, 9, 100, 1537]) {
      const R = splitBasisRows(m);
      expect(R % 4).toBe(0);
      expect(R).toBeLessThanOrEqual(m);
      expect(Math.abs(R - m / 2)).toBeLessThanOrEqual(4);
    }
    for (const S of [SPLIT_MIN_S, 2001, 10_000]) {
      const c = splitCoordinate(S);
      expect(c % 2).toBe(0);
      expect(Math.abs(c - S / 2)).toBeLessThanOrEqual(2);
    }
  });

  /** A layout over a random matrix and a random basis of m rows (f64 and its f32 rounding). */
  function layout(S: number, m: number, seed: number) {
    const ld = 8 * Math.ceil(S / 8);
    const ld32 = 16 * Math.ceil(S / 16);
    const a = Float32Array.from(gaussians(S * S, seed));
    const matrix = toWasm(a);
    const V = core.allocF64(m * ld);
    const V32 = core.allocF32(m * ld32);
    const g = gaussians(m * S, seed + 1);
    for (let j = 0; j < m; j++) {
      core.f64(V + 8 * j * ld, S).set(g.subarray(j * S, (j + 1) * S));
      core.f32(V32 + 4 * j * ld32, S).set(g.subarray(j * S, (j + 1) * S));
    }
    return { a, matrix, S, V, V32, ld, ld32, mMax: m, scratch: core.allocF64(S) };
  }

  /** A layout (seed), a random x (seed + 1) and the vectors y, w (f64[S]) and h (f64[m]). */
  function setUp(S: number, m: number, seed: number) {
    const L = layout(S, m, seed);
    const x = core.allocF64(S);
    core.f64(x, S).set(gaussians(S, seed + 1));
    return { L, x, y: core.allocF64(S), w: core.allocF64(S), h: core.allocF64(m) };
  }

  /** Waits (up to 30 s) until the helper thread of `work` is ready to join. */
  async function helperReady(work: ReturnType<typeof splitWork>) {
    for (let waited = 0; !work.helperReady && waited < 30_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it('projections and subtractions, cut, give the bits of the uncut kernels', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 90 }),
        fc.integer({ min: 1, max: 23 }),
        fc.nat(1000),
        (S, m, seed) => {
          const mark = core.mark();
          try {
            const L = layout(S, m, seed);
            const work = splitWork(core, L, 1, 4 * Math.floor(S / 8) || 4);
            const w = core.allocF64(S);
            const h = core.allocF64(m);
            const h2 = core.allocF64(m);
            core.f64(w, S).set(gaussians(S, seed + 2));
            work.project(m, w, h);
            core.kernels.lanczos_project(L.V, m, L.ld, S, w, h2);
            expect(core.f64(h, m)).toEqual(core.f64(h2, m));
            for (const f32 of [false, true]) {
              const w2 = core.allocF64(S);
              core.f64(w2, S).set(core.f64(w, S));
              const w3 = core.allocF64(S);
              core.f64(w3, S).set(core.f64(w, S));
              work.subtract(m, h, w2, f32);
              if (f32) core.kernels.lanczos_subtract_f32(L.V32, m, L.ld32, S, h, w3);
              else core.kernels.lanczos_subtract(L.V, m, L.ld, S, h, w3);
              expect(core.f64(w2, S)).toEqual(core.f64(w3, S));
            }
          } finally {
            core.release(mark);
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('gives the same bits on one thread and on two, once the helper has joined', async () => {
    const S = 203;
    const m = 40;
    const r = 60;
    const mark = core.mark();
    try {
      const { L, x, y, w, h } = setUp(S, m, 5);
      const one = splitWork(core, L, 1, r);
      one.product(x, y, L.V);
      const wantY = core.f64(y, S).slice();
      const twin = rowsTwin(L.a, S, 0, S, core.f64(x, S));
      for (let i = 0; i < S; i++) expect(Math.abs(wantY[i] - twin[i])).toBeLessThan(1e-11);
      core.f64(w, S).set(gaussians(S, 7));
      const w0 = core.f64(w, S).slice();
      one.project(m, w, h);
      const wantH = core.f64(h, m).slice();
      one.subtract(m, h, w, false);
      const wantW = core.f64(w, S).slice();
      one.subtract(m, h, w, true);
      const wantW32 = core.f64(w, S).slice();

      // two threads: row j is made with product j, as in a Lanczos run. The first rows are made before the
      // helper is ready (this thread does every share); once it is, it joins at the next product and catches up
      // on the rows made before, so its projections and subtractions read the same basis.
      const two = splitWork(core, L, 2, r);
      const products: Float64Array[] = [];
      const product = (j: number) => {
        two.product(x, y, L.V + 8 * j * L.ld);
        products.push(core.f64(y, S).slice());
      };
      for (let j = 0; j < 10; j++) product(j);
      await helperReady(two);
      for (let j = 10; j < m; j++) product(j);
      const afterProducts = two.helped;
      core.f64(w, S).set(w0);
      two.project(m, w, h);
      const gotH = core.f64(h, m).slice();
      two.subtract(m, h, w, false);
      const gotW = core.f64(w, S).slice();
      two.subtract(m, h, w, true);
      const gotW32 = core.f64(w, S).slice();
      const helped = two.helped;
      two.close();
      expect(afterProducts).toBe(m - 10 + 10); // 30 products and the 10 rows it caught up on
      expect(helped).toBe(afterProducts + 3);
      for (const p of products) expect(p).toEqual(Float64Array.from(wantY));
      expect(gotH).toEqual(Float64Array.from(wantH));
      expect(gotW).toEqual(Float64Array.from(wantW));
      expect(gotW32).toEqual(Float64Array.from(wantW32));
    } finally {
      core.release(mark);
    }
  });

  it('when the helper fails, this thread does its share and every later one: the same bits', async () => {
    const S = 203;
    const m = 24;
    const r = 60;
    const mark = core.mark();
    try {
      const { L, x, y, w, h } = setUp(S, m, 9);
      const run = (work: ReturnType<typeof splitWork>) => {
        const out: Float64Array[] = [];
        for (let j = 0; j < m; j++) {
          work.product(x, y, L.V + 8 * j * L.ld);
          out.push(core.f64(y, S).slice());
          if (j % 6 === 5) {
            core.f64(w, S).set(gaussians(S, 11 + j));
            work.project(j + 1, w, h);
            out.push(core.f64(h, j + 1).slice());
            work.subtract(j + 1, h, w, j % 12 === 5);
            out.push(core.f64(w, S).slice());
          }
        }
        return out;
      };
      const want = run(splitWork(core, L, 1, r));
      // the helper joins at the first product (it is ready first) and throws at its 6th command
      const two = splitWork(core, L, 2, r, 6);
      await helperReady(two);
      const got = run(two); // the helper says on stderr why it failed ("as the test asked")
      two.close();
      expect(two.helped).toBe(5);
      expect(got).toEqual(want);
    } finally {
      core.release(mark);
    }
  });

  /** A cosine-like affinity (S x S f32): the Gram matrix of random unit vectors, made nonnegative. */
  function cosineAffinity(S: number): Float32Array {
    const d = 20;
    const g = gaussians(S * d, 11);
    for (let i = 0; i < S; i++) {
      let n = 0;
      for (let c = 0; c < d; c++) n += g[i * d + c] ** 2;
      for (let c = 0; c < d; c++) g[i * d + c] /= Math.sqrt(n);
    }
    const a = new Float32Array(S * S);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        let t = 0;
        for (let c = 0; c < d; c++) t += g[i * d + c] * g[j * d + c];
        a[i * S + j] = Math.abs(t);
      }
    return a;
  }

  // ritzStream (the residuals from kept products): the helper makes every Ritz row and hands them over block by
  // block; this thread's `own` work runs before it waits for a block, `use` after. Also when the helper fails at
  // that very command: then this thread makes every block itself.
  it.each([undefined, 31])(
    'the Ritz stream: the rows and the order of the callbacks of one thread, on two (helper failing at %s)',
    async (failAt) => {
      const S = 600; // three blocks of RITZ_ROWS: 256, 256, 88
      const m = 30;
      const K = 7;
      const mark = core.mark();
      try {
        const L = { ...layout(S, m, 21), K, products: true };
        const x = core.allocF64(S);
        const y = core.allocF64(S);
        core.f64(x, S).set(gaussians(S, 22));
        const Y = core.allocF64(m * K);
        core.f64(Y, m * K).set(gaussians(m * K, 23));
        const stream = (work: ReturnType<typeof splitWork>) => {
          const out = core.allocF64(S * K);
          const calls: string[] = [];
          const seen: number[] = [];
          // the helper joins at the first product and gets each basis row with its product, as in a run: the
          // stream is command m + 1
          for (let j = 0; j < m; j++) work.product(x, y, L.V + 8 * j * L.ld);
          work.ritzStream(
            m,
            Y,
            out,
            (i0, i1) => calls.push(`own ${i0} ${i1}`),
            (i0, i1) => {
              calls.push(`use ${i0} ${i1}`);
              // a block's rows are in `out` when `use` runs
              seen.push(...core.f64(out + i0 * K * 8, (i1 - i0) * K));
            },
          );
          work.close();
          return { calls, seen, out: core.f64(out, S * K).slice(), helped: work.helped };
        };
        const one = stream(splitWork(core, L, 1, 48));
        const two = splitWork(core, L, 2, 48, failAt);
        await helperReady(two);
        const got = stream(two);
        expect(one.calls).toEqual([
          'own 0 256',
          'use 0 256',
          'own 256 512',
          'use 256 512',
          'own 512 600',
          'use 512 600',
        ]);
        expect(got.calls).toEqual(one.calls);
        expect(got.out).toEqual(one.out);
        expect(got.seen).toEqual(Array.from(one.out));
        expect(got.helped).toBe(failAt === undefined ? m + 1 : m);
        // and the rows are V^T Y
        const V = core.f64(L.V, m * L.ld);
        const Yv = core.f64(Y, m * K);
        for (const i of [0, 255, 256, 599])
          for (let c = 0; c < K; c++) {
            let t = 0;
            for (let r = 0; r < m; r++) t += V[r * L.ld + i] * Yv[r * K + c];
            expect(Math.abs(one.out[i * K + c] - t)).toBeLessThan(1e-12);
          }
      } finally {
        core.release(mark);
      }
    },
  );

  // The helper makes every Ritz vector while this thread makes M Y from the kept products, and without them rows
  // 256.. at S 600 (ritzCut), all of them at S 160 and 203. S 203 comes after
  // S 600: the helper's kept core and the kept shared buffers are larger than its job needs (stale values beyond)
  it.each([
    [160, 12],
    [600, 8],
    [203, 10],
  ])('a whole eigensolve: the same bits on one thread and on two (S %i, K %i)', (S, K) => {
    const mark = core.mark();
    try {
      const ap = toWasm(cosineAffinity(S));
      const scale = Float64Array.from({ length: S }, (_, i) => 1 / (1 + (i % 7)));
      // both routes: one vector per pass over the matrix, and two (./block.ts: its own kernels and commands)
      for (const [block, keepProducts] of [
        [1, true],
        [2, true],
        [1, false],
      ] as const) {
        const opts = { splitRow: 48, scale, block, keepProducts };
        const one = largestEigenpairs(core, ap, S, K, { ...opts, threads: 1 });
        let two = largestEigenpairs(core, ap, S, K, { ...opts, threads: 2 });
        // the helper needs some products to start: repeat until it computed some (each run is a few ms)
        for (let n = 0; n < 400 && two.helperShares === 0; n++)
          two = largestEigenpairs(core, ap, S, K, { ...opts, threads: 2 });
        expect(one.block).toBe(block);
        expect(two.helperShares).toBeGreaterThan(0);
        expect(one.helperShares).toBe(0);
        expect(two.values).toEqual(one.values);
        expect(two.vectors).toEqual(one.vectors);
        expect(two.residuals).toEqual(one.residuals);
        for (const res of one.residuals) expect(res).toBeLessThan(1e-8);
        // the uncut solve finds the same pairs (the cut moves rounding only)
        const uncut = largestEigenpairs(core, ap, S, K, { threads: 1, scale, block });
        for (let c = 0; c < K; c++) expect(Math.abs(uncut.values[c] - one.values[c])).toBeLessThan(1e-9);
      }
    } finally {
      core.release(mark);
    }
  });

  // The helper thread reads QUANTA_SIMD like any thread; what it must run is the caller's core's mode (in the
  // job), else its half of each product would be the other kernels' bits. This core is the mode the environment
  // does not ask for (the test runs under both: vitest.config.ts).
  it("the helper runs the kernels of the caller's core, whatever the environment asks", () => {
    const S = 160;
    const K = 12;
    const other = new Core(instantiateCore(core.simd === 'relaxed' ? 'baseline' : 'relaxed'));
    const a = cosineAffinity(S);
    const ap = other.allocF32(S * S);
    other.f32(ap, S * S).set(a);
    const mine = toWasm(a);
    const fused = relaxedFused();
    for (const block of [1, 2]) {
      const opts = { splitRow: 48, block };
      const one = largestEigenpairs(other, ap, S, K, { ...opts, threads: 1 });
      let two = largestEigenpairs(other, ap, S, K, { ...opts, threads: 2 });
      for (let n = 0; n < 400 && two.helperShares === 0; n++)
        two = largestEigenpairs(other, ap, S, K, { ...opts, threads: 2 });
      expect(two.helperShares).toBeGreaterThan(0);
      expect(two.vectors).toEqual(one.vectors);
      expect(two.residuals).toEqual(one.residuals);
      // and the modes are different kernels where this machine fuses relaxed multiply-adds
      const here = largestEigenpairs(core, mine, S, K, { ...opts, threads: 1 });
      if (fused) expect(here.vectors).not.toEqual(one.vectors);
      else expect(here.vectors).toEqual(one.vectors);
      for (let c = 0; c < K; c++) expect(Math.abs(here.values[c] - one.values[c])).toBeLessThan(1e-12);
    }
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { CounterRandom } from '../../src/core/rng.js';
import { ConfigError } from '../../src/core/errors.js';
import {
  embeddingBytes,
  embeddingColumns,
  largestEmbeddableSamples,
  requireEmbeddingFits,
  spectralEmbedding,
} from '../../src/qdg/embedding.js';
import { denseSymmetricEigen } from '../../src/qdg/eigen/reference.js';

const core = new Core();

function put(a: Float32Array): number {
  const p = core.allocF32(a.length);
  core.f32(p, a.length).set(a);
  return p;
}

/** c disconnected cliques of the given sizes (affinity 1 inside a clique, 0 across), diagonal 5 (ignored). */
function cliques(sizes: number[]): { a: Float32Array; label: number[] } {
  const label = sizes.flatMap((n, c) => Array<number>(n).fill(c));
  const S = label.length;
  const a = new Float32Array(S * S);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++) a[i * S + j] = i === j ? 5 : label[i] === label[j] ? 1 : 0;
  return { a, label };
}

/**
 * Angular affinity 1 - arccos(cos)/pi of random vectors around c centres in d dimensions: point i around
 * centre i mod c, or with `zipf` cluster sizes proportional to rank^-1.4 (the shape of QDG's data).
 */
function angularAffinity(
  S: number,
  c: number,
  d: number,
  spread: number,
  seed: number,
  zipf = false,
): Float32Array {
  const g = new CounterRandom(seed, 77);
  const centres = Array.from({ length: c }, () => Array.from({ length: d }, () => g.nextGaussian()));
  const label = Array.from({ length: S }, (_, i) => i % c);
  if (zipf) {
    const w = Array.from({ length: c }, (_, r) => (r + 1) ** -1.4);
    const total = w.reduce((p, q) => p + q, 0);
    label.length = 0;
    for (let r = 0; r < c && label.length < S; r++) {
      const n = r === c - 1 ? S - label.length : Math.max(1, Math.round((S * w[r]) / total));
      for (let t = 0; t < n && label.length < S; t++) label.push(r);
    }
  }
  const x = label.map((r) => {
    const v = centres[r].map((m) => m + spread * g.nextGaussian());
    const n = Math.hypot(...v);
    return v.map((t) => t / n);
  });
  const a = new Float32Array(S * S);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++) {
      let dot = 0;
      for (let k = 0; k < d; k++) dot += x[i][k] * x[j][k];
      a[i * S + j] = 1 - Math.acos(Math.min(1, Math.max(-1, dot))) / Math.PI;
    }
  return a;
}

/**
 * The dense (sklearn-style) twin: L = I - D^-1/2 A D^-1/2 in f64 from the f32 affinity, all eigenpairs by
 * Jacobi; the caller divides by dd and flips signs.
 */
function denseEmbedding(a: Float32Array, S: number, K: number) {
  const m = Float64Array.from(a);
  const dd = new Float64Array(S);
  const isolated: boolean[] = [];
  for (let i = 0; i < S; i++) {
    m[i * S + i] = 0;
    let d = 0;
    for (let j = 0; j < S; j++) d += m[i * S + j];
    isolated.push(d === 0);
    dd[i] = d === 0 ? 1 : Math.sqrt(d);
  }
  const lap = new Float64Array(S * S);
  for (let i = 0; i < S; i++)
    for (let j = 0; j < S; j++) {
      const mij = i === j ? (isolated[i] ? 1 : 0) : m[i * S + j] / dd[i] / dd[j];
      lap[i * S + j] = (i === j ? 1 : 0) - mij;
    }
  const eig = denseSymmetricEigen(lap, S);
  return { values: eig.values.slice(0, K), vectors: eig.vectors, dd };
}

describe('spectralEmbedding', () => {
  it('c disconnected cliques: c zero Laplacian eigenvalues, and the embedding separates the cliques', () => {
    const sizes = [5, 8, 12, 20, 9];
    const { a, label } = cliques(sizes);
    const S = label.length;
    const K = 7;
    const mark = core.mark();
    const e = spectralEmbedding(core, put(a), S, K, { seed: 1 });
    core.release(mark);
    expect(e.converged).toBe(true);
    expect(e.isolatedSamples).toBe(0);
    for (let j = 0; j < sizes.length; j++) expect(Math.abs(e.laplacianEigenvalues[j])).toBeLessThan(1e-12);
    // the next ones are 1 + 1/(n - 1) of the largest clique (19 times)
    expect(e.laplacianEigenvalues[5]).toBeCloseTo(1 + 1 / 19, 12);
    expect(e.laplacianEigenvalues[6]).toBeCloseTo(1 + 1 / 19, 12);
    // Rows of the first c columns: equal within a clique, far apart across cliques.
    const c = sizes.length;
    const rows = embeddingColumns(e, c);
    const dist = (i: number, j: number) => {
      let t = 0;
      for (let k = 0; k < c; k++) t += (rows[i * c + k] - rows[j * c + k]) ** 2;
      return Math.sqrt(t);
    };
    for (let i = 0; i < S; i++)
      for (let j = 0; j < S; j++) {
        if (label[i] === label[j]) expect(dist(i, j)).toBeLessThan(1e-8);
        else expect(dist(i, j)).toBeGreaterThan(1e-2);
      }
  });

  it('isolated samples give zero eigenvalues and no NaN', () => {
    const { a } = cliques([6, 1, 7, 1]); // two singletons: degree 0 once the diagonal is ignored
    const S = 15;
    const mark = core.mark();
    const e = spectralEmbedding(core, put(a), S, 6);
    core.release(mark);
    expect(e.isolatedSamples).toBe(2);
    expect(e.embedding.every(Number.isFinite)).toBe(true);
    for (let j = 0; j < 4; j++) expect(Math.abs(e.laplacianEigenvalues[j])).toBeLessThan(1e-10);
    expect(e.laplacianEigenvalues[4]).toBeGreaterThan(0.5);
  });

  it('matches the dense sklearn-style twin on angular affinities (eigenvalues, columns, signs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 90 }),
        fc.integer({ min: 2, max: 6 }),
        fc.nat(500),
        (S, c, seed) => {
          const K = Math.min(S - 1, c + 4);
          const a = angularAffinity(S, c, 12, 0.3, seed);
          const mark = core.mark();
          const e = spectralEmbedding(core, put(a), S, K, { seed });
          core.release(mark);
          const ref = denseEmbedding(a, S, K);
          for (let j = 0; j < K; j++)
            expect(Math.abs(e.laplacianEigenvalues[j] - ref.values[j])).toBeLessThan(1e-9);
          // columns whose eigenvalue is simple equal the twin's column (after the same sign rule)
          for (let j = 0; j < K; j++) {
            const gapBelow = j > 0 ? ref.values[j] - ref.values[j - 1] : Infinity;
            const gapAbove = j + 1 < K ? ref.values[j + 1] - ref.values[j] : 1; // K < S, so a next value exists
            if (!(Math.min(gapBelow, gapAbove) > 1e-4)) continue;
            const col = Float64Array.from({ length: S }, (_, i) => ref.vectors[i * S + j] / ref.dd[i]);
            let at = 0;
            for (let i = 0; i < S; i++) if (Math.abs(col[i]) > Math.abs(col[at])) at = i;
            const sign = col[at] < 0 ? -1 : 1;
            for (let i = 0; i < S; i++)
              expect(Math.abs(e.embedding[i * K + j] - sign * col[i])).toBeLessThan(1e-6);
          }
        },
      ),
      { numRuns: 8 },
    );
  });

  it('signs are deterministic: the largest |entry| of every column is positive; same seed, same bytes', () => {
    const S = 80;
    const a = angularAffinity(S, 4, 10, 0.5, 3);
    const runs = [1, 1, 2].map((seed) => {
      const mark = core.mark();
      const e = spectralEmbedding(core, put(a), S, 6, { seed });
      core.release(mark);
      return e;
    });
    expect(Array.from(runs[0].embedding)).toEqual(Array.from(runs[1].embedding));
    for (const e of runs) {
      for (let j = 0; j < 6; j++) {
        let at = 0;
        for (let i = 0; i < S; i++)
          if (Math.abs(e.embedding[i * 6 + j]) > Math.abs(e.embedding[at * 6 + j])) at = i;
        expect(e.embedding[at * 6 + j]).toBeGreaterThan(0);
      }
    }
    // a different start vector gives the same embedding up to rounding (simple eigenvalues, fixed signs)
    for (let i = 0; i < S * 6; i++)
      expect(Math.abs(runs[2].embedding[i] - runs[0].embedding[i])).toBeLessThan(1e-7);
  });

  it('reads the upper triangle only: an affinity asymmetric in the last bits gives the same embedding', () => {
    const S = 70;
    const a = angularAffinity(S, 3, 8, 0.4, 9);
    const b = Float32Array.from(a);
    for (let i = 1; i < S; i++)
      for (let j = 0; j < i; j++) b[i * S + j] = Math.fround(a[i * S + j] * (1 + 2e-7));
    const mark = core.mark();
    const e = spectralEmbedding(core, put(a), S, 5, { seed: 2 });
    const f = spectralEmbedding(core, put(b), S, 5, { seed: 2 });
    core.release(mark);
    expect(Array.from(f.embedding)).toEqual(Array.from(e.embedding));
    expect(Math.abs(f.laplacianEigenvalues[0])).toBeLessThan(1e-12); // D^1/2 1 stays an exact eigenvector
  });

  it('one eigensolve serves every smaller K: embeddingColumns is the prefix', () => {
    const S = 60;
    const a = angularAffinity(S, 3, 8, 0.4, 5);
    const mark = core.mark();
    const big = spectralEmbedding(core, put(a), S, 10, { seed: 4 });
    core.release(mark);
    const small = embeddingColumns(big, 3);
    for (let i = 0; i < S; i++)
      for (let j = 0; j < 3; j++) expect(small[i * 3 + j]).toBe(big.embedding[i * 10 + j]);
    // into a reused buffer (a sweep's): the same values in its first S k entries, the rest left alone
    const buffer = new Float64Array(S * 10).fill(7);
    const into = embeddingColumns(big, 3, buffer);
    expect(into.buffer).toBe(buffer.buffer);
    expect(Array.from(into)).toEqual(Array.from(small));
    expect(buffer[S * 3]).toBe(7);
    expect(() => embeddingColumns(big, 4, new Float64Array(S * 4 - 1))).toThrow(/cannot hold/);
  });

  it('converges where Lanczos needs more than 3K steps (the default limit is 4K; 3K once stopped short)', () => {
    // Zipf-sized clusters put many near-repeated eigenvalues among the K smallest: this one needs ~490 steps
    const S = 600;
    const K = 150;
    const mark = core.mark();
    try {
      const e = spectralEmbedding(core, put(angularAffinity(S, 30, 64, 0.8, 3, true)), S, K, { seed: 0 });
      expect(e.iterations).toBeGreaterThan(3 * K);
      expect(e.converged).toBe(true);
      expect(Math.max(...e.residuals)).toBeLessThan(1e-8);
    } finally {
      core.release(mark);
    }
  });

  it('refuses an S that does not fit in 4 GiB, naming the largest that does', () => {
    expect(embeddingBytes(20000, 1500)).toBeLessThan(2 ** 32);
    const best = largestEmbeddableSamples(1500);
    expect(best).toBeGreaterThanOrEqual(20000);
    expect(embeddingBytes(best + 1, 1500)).toBeGreaterThan(2 ** 32);
    expect(() => requireEmbeddingFits(40000, 1500)).toThrow(ConfigError);
    expect(() => requireEmbeddingFits(40000, 1500)).toThrow(
      new RegExp(`largest S that fits for K = 1500 is ${best}`),
    );
  });
});

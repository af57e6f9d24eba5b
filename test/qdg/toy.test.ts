import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Core } from '../../src/core/arena.js';
import { ConfigError } from '../../src/core/errors.js';
import { philox4x32, seedKey, Stream, uniform53 } from '../../src/core/rng.js';
import {
  toyAffinity,
  toyEstimate,
  toyPointCounts,
  toyPoints,
  toySamples,
  validateToy,
  type ToyConfig,
} from '../../src/qdg/toy.js';

const core = new Core();

/** The plain twin of toyPoints: Philox blocks one by one, Box-Muller, f64 rows normalised. */
function referenceToyPoints(c: ToyConfig): { rows: number[][]; labels: number[] } {
  const [k0, k1] = seedKey(c.seed);
  const gaussians = (c1: number, row: number): number[] => {
    const u = (j: number) => {
      const w = philox4x32(2 * c.d * row + j, c1, Stream.toy, 0, k0, k1);
      return uniform53(w[0], w[1]);
    };
    return Array.from(
      { length: c.d },
      (_, e) => Math.sqrt(-2 * Math.log(1 - u(2 * e))) * Math.cos(2 * Math.PI * u(2 * e + 1)),
    );
  };
  const rows: number[][] = [];
  const labels: number[] = [];
  toyPointCounts(c.subtasks, c.alpha, c.scale).forEach((n, i) => {
    if (n === 0) return;
    const centre = gaussians(0, i);
    for (let m = 0; m < n; m++) {
      const noise = c.sigma > 0 ? gaussians(1, rows.length) : centre.map(() => 0);
      const x = centre.map((v, j) => v + c.sigma * noise[j]);
      const norm = Math.hypot(...x);
      rows.push(x.map((v) => v / norm));
      labels.push(i);
    }
  });
  return { rows, labels };
}

describe('toy point counts (SPEC 4.4)', () => {
  it("matches the paper's totals: alpha 1 -> 7069 points in 1000 subtasks, alpha 1.5 -> 2374 in 100", () => {
    const c1 = toyPointCounts(1000, 1);
    expect(c1.reduce((a, b) => a + b, 0)).toBe(7069);
    expect(c1.filter((n) => n > 0).length).toBe(1000);
    expect(c1.slice(0, 4)).toEqual([1000, 500, 333, 250]);
    const c15 = toyPointCounts(1000, 1.5);
    expect(c15.reduce((a, b) => a + b, 0)).toBe(2374);
    expect(c15.filter((n) => n > 0).length).toBe(100);
    expect(toySamples(1000, 1.5)).toBe(2374);
  });

  it('n_i = floor(1000 / i^alpha): non-increasing, exact at integer powers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.double({ min: 0.5, max: 3, noNaN: true }),
        (n, alpha) => {
          const counts = toyPointCounts(n, alpha);
          expect(counts[0]).toBe(1000);
          for (let i = 1; i < n; i++) {
            expect(counts[i]).toBeLessThanOrEqual(counts[i - 1]);
            expect(Math.abs(counts[i] - 1000 / Math.pow(i + 1, alpha))).toBeLessThan(1 + 1e-9);
          }
        },
      ),
    );
    expect(toyPointCounts(10, 2)).toEqual([1000, 250, 111, 62, 40, 27, 20, 15, 12, 10]);
  });

  it('rejects bad configurations with a ConfigError', () => {
    const ok: ToyConfig = { subtasks: 10, alpha: 1, d: 5, sigma: 0.5, seed: 0 };
    expect(() => validateToy(ok)).not.toThrow();
    for (const bad of [
      { ...ok, subtasks: 0 },
      { ...ok, alpha: 0 },
      { ...ok, alpha: NaN },
      { ...ok, d: 0 },
      { ...ok, d: 2.5 },
      { ...ok, sigma: -1 },
      { ...ok, seed: -1 },
    ]) {
      expect(() => validateToy(bad)).toThrow(ConfigError);
    }
  });
});

describe('toy points and affinity', () => {
  it('Wasm-drawn points equal the plain Philox + Box-Muller twin', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        fc.constantFrom(0, 0.5, 2),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (subtasks, d, sigma, seed) => {
          // scale A = 60 keeps S small (60, 21, 11, 7, 5, 4 points)
          const c: ToyConfig = { subtasks, alpha: 1.5, d, sigma, seed, scale: 60 };
          const mark = core.mark();
          const pts = toyPoints(core, c);
          const ref = referenceToyPoints(c);
          expect(pts.samples).toBe(ref.rows.length);
          expect(Array.from(pts.labels)).toEqual(ref.labels);
          const X = core.f32(pts.pointsPtr, pts.samples * d);
          for (let p = 0; p < pts.samples; p++) {
            for (let j = 0; j < d; j++) expect(X[p * d + j]).toBeCloseTo(ref.rows[p][j], 5);
          }
          core.release(mark);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('affinity is 1 + cosine: symmetric, in [0, 2], diagonal 2, equal within a subtask when sigma = 0', () => {
    const mark = core.mark();
    const pts = toyPoints(core, { subtasks: 4, alpha: 1.5, d: 6, sigma: 0, seed: 3, scale: 100 });
    const S = pts.samples;
    const A = core.f32(toyAffinity(core, pts), S * S);
    const X = core.f32(pts.pointsPtr, S * 6);
    let maxError = 0;
    let asymmetric = 0;
    let outOfRange = 0;
    let sameSubtaskBelow2 = 0;
    for (let a = 0; a < S; a++) {
      for (let b = 0; b < S; b++) {
        let dot = 0;
        for (let j = 0; j < 6; j++) dot += X[a * 6 + j] * X[b * 6 + j];
        const v = A[a * S + b];
        maxError = Math.max(maxError, Math.abs(v - (1 + dot)));
        if (v !== A[b * S + a]) asymmetric++;
        if (v < 0 || v > 2) outOfRange++;
        if (pts.labels[a] === pts.labels[b] && Math.abs(v - 2) > 1e-5) sameSubtaskBelow2++;
      }
    }
    expect(maxError).toBeLessThan(1e-5);
    expect([asymmetric, outOfRange, sameSubtaskBelow2]).toEqual([0, 0, 0]);
    core.release(mark);
  });

  it('the estimate of alpha is minus the envelope slope', () => {
    expect(toyEstimate(1, -1.2)).toEqual({ estimatedAlpha: 1.2, estimationError: expect.closeTo(0.2, 12) });
  });
});

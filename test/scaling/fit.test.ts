import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CounterRandom } from '../../src/core/rng.js';
import { ConfigError } from '../../src/core/errors.js';
import {
  averageRanks,
  bootstrapPowerLaw,
  linearFit,
  powerLawAt,
  powerLawFit,
  quantileSorted,
  spearman,
} from '../../src/scaling/fit.js';

describe('powerLawFit', () => {
  it('recovers a planted exponent exactly from exact data (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -3, max: 3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.integer({ min: 2, max: 40 }),
        (slope, scale, n) => {
          const x = Array.from({ length: n }, (_, i) => 10 * Math.pow(1.7, i));
          const y = x.map((v) => scale * Math.pow(v, slope));
          const fit = powerLawFit(x, y);
          expect(fit.slope).toBeCloseTo(slope, 9);
          expect(Math.abs(Math.exp(fit.intercept) - scale) / scale).toBeLessThan(1e-8);
          expect(fit.n).toBe(n);
          expect(powerLawAt(fit, 123) / (scale * Math.pow(123, slope))).toBeCloseTo(1, 8);
          if (Math.abs(slope) > 1e-3) expect(fit.r2).toBeCloseTo(1, 9);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('drops non-positive points and rejects degenerate input with a ConfigError', () => {
    const fit = powerLawFit([0, 1, 2, 4, -1], [5, 1, 0.5, 0.25, 3]);
    expect(fit.n).toBe(3);
    expect(fit.slope).toBeCloseTo(-1, 12);
    expect(() => powerLawFit([1], [1])).toThrow(ConfigError);
    expect(() => linearFit([2, 2, 2], [1, 2, 3])).toThrow(ConfigError);
  });
});

describe('bootstrapPowerLaw', () => {
  function noisy(slope: number, seed: number, seeds: number) {
    const rng = new CounterRandom(seed, 99);
    const x: number[] = [];
    const y: number[] = [];
    const g: number[] = [];
    for (let s = 0; s < seeds; s++) {
      for (let i = 0; i < 20; i++) {
        const xi = 1e3 * Math.pow(1.4, i);
        x.push(xi);
        y.push(2 * Math.pow(xi, slope) * Math.exp(0.1 * rng.nextGaussian()));
        g.push(s);
      }
    }
    return { x, y, g };
  }

  it('contains the planted exponent in its 95% interval for noisy data (most seeds)', () => {
    let covered = 0;
    const trials = 20;
    for (let t = 0; t < trials; t++) {
      const { x, y } = noisy(-0.4, t, 1);
      const ci = bootstrapPowerLaw(x, y, { resamples: 300, seed: t }).slopeCi;
      expect(ci[0]).toBeLessThan(ci[1]);
      if (ci[0] <= -0.4 && -0.4 <= ci[1]) covered++;
      const fit = powerLawFit(x, y);
      expect(fit.slope).toBeGreaterThanOrEqual(ci[0] - 0.05);
      expect(fit.slope).toBeLessThanOrEqual(ci[1] + 0.05);
    }
    expect(covered).toBeGreaterThanOrEqual(15);
  });

  it('is deterministic for a seed and resamples groups when given several', () => {
    const { x, y, g } = noisy(-0.3, 7, 3);
    const a = bootstrapPowerLaw(x, y, { resamples: 200, seed: 5, groups: g });
    const b = bootstrapPowerLaw(x, y, { resamples: 200, seed: 5, groups: g });
    expect(a).toEqual(b);
    expect(a.used).toBe(200);
    expect(a.slopeCi[0]).toBeLessThan(-0.3 + 0.1);
    expect(a.slopeCi[1]).toBeGreaterThan(-0.3 - 0.1);
  });

  it('gives a zero-width interval on exact data', () => {
    const x = [1, 2, 4, 8, 16, 32];
    const ci = bootstrapPowerLaw(
      x,
      x.map((v) => Math.pow(v, -0.7)),
      { resamples: 100 },
    ).slopeCi;
    expect(ci[0]).toBeCloseTo(-0.7, 10);
    expect(ci[1]).toBeCloseTo(-0.7, 10);
  });
});

describe('spearman', () => {
  it('is 1 for any increasing transform and -1 for a decreasing one (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 50 }),
        (xs) => {
          expect(
            spearman(
              xs,
              xs.map((v) => v * v * v + 5),
            ),
          ).toBeCloseTo(1, 12);
          expect(
            spearman(
              xs,
              xs.map((v) => -Math.exp(v / 100)),
            ),
          ).toBeCloseTo(-1, 12);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('handles ties with average ranks and matches a worked value', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    // classic example: rho = 1 - 6 sum d^2 / (n (n^2 - 1)) without ties
    const x = [1, 2, 3, 4, 5];
    const y = [2, 1, 4, 3, 5];
    expect(spearman(x, y)).toBeCloseTo(1 - (6 * 4) / (5 * 24), 12);
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });

  it('quantileSorted interpolates between order statistics', () => {
    expect(quantileSorted([0, 10], 0.25)).toBeCloseTo(2.5, 12);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.5)).toBe(3);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfigError } from '../../src/core/errors.js';
import {
  capWindowToClusters,
  clusterSizes,
  defaultClusterCounts,
  defaultEnvelopeWindow,
  envelopeSlope,
  leastSquaresLine,
  parseWindow,
  predictedEnvelopeSlope,
  rankFrequencyCsv,
  rankFrequencyEnvelope,
} from '../../src/qdg/rank-frequency.js';
import { qdgConfig } from '../../src/qdg/config.js';

describe('cluster sizes', () => {
  it('counts labels and sorts sizes in descending order, dropping empty clusters', () => {
    expect(clusterSizes([0, 2, 2, 1, 2, 0], 4)).toEqual([3, 2, 1]);
    expect(() => clusterSizes([0, 5], 3)).toThrow(RangeError);
  });

  it('sizes sum to the number of samples and are non-increasing', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.array(fc.nat(), { maxLength: 200 }), (K, raw) => {
        const labels = raw.map((x) => x % K);
        const sizes = clusterSizes(labels, K);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(labels.length);
        for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThanOrEqual(sizes[i - 1]);
      }),
    );
  });
});

describe('envelope', () => {
  it('takes the max at each rank over curves of different lengths', () => {
    expect(
      rankFrequencyEnvelope([
        [5, 3],
        [4, 4, 1],
        [6, 1, 1, 1],
      ]),
    ).toEqual([6, 4, 1, 1]);
  });

  it('recovers the exponent of exactly Zipfian sizes (any exponent, any window)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.3, max: 3, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 2, max: 300 }),
        (exponent, scale, first, width) => {
          const length = first + width + 10;
          const sizes = Array.from({ length }, (_, r) => scale * Math.pow(r + 1, -exponent));
          const fit = envelopeSlope(rankFrequencyEnvelope([sizes]), { first, last: first + width });
          expect(fit.envelopeSlope).toBeCloseTo(-exponent, 8);
          expect(fit.intercept).toBeCloseTo(Math.log(scale), 6);
          expect(fit.ranksUsed).toBe(width + 1);
        },
      ),
    );
  });

  it('recovers a Zipf exponent from integer cluster sizes of a paper-sized run to 0.02', () => {
    // 10,000 samples: the paper's window 101..1000, sizes floor(4800 r^-1.083) as Fig. 5's reference line.
    const sizes = Array.from({ length: 1500 }, (_, r) => Math.floor(48000 * Math.pow(r + 1, -1.083)));
    const fit = envelopeSlope(sizes, defaultEnvelopeWindow(10_000));
    expect(fit.envelopeSlope).toBeGreaterThan(-1.083 - 0.02);
    expect(fit.envelopeSlope).toBeLessThan(-1.083 + 0.02);
  });

  it('the envelope of sub-sampled Zipf curves keeps the slope', () => {
    const full = Array.from({ length: 400 }, (_, r) => 1e5 * Math.pow(r + 1, -1.4));
    const curves = [50, 100, 200, 400].map((K) => full.slice(0, K));
    expect(envelopeSlope(rankFrequencyEnvelope(curves), { first: 5, last: 400 }).envelopeSlope).toBeCloseTo(
      -1.4,
      8,
    );
  });

  it('ignores ranks beyond the envelope and zero sizes; NaN with fewer than two ranks', () => {
    const fit = envelopeSlope([8, 4, 0, 1], { first: 1, last: 100 });
    expect(fit.ranksUsed).toBe(3);
    expect(Number.isNaN(envelopeSlope([8, 4], { first: 2, last: 10 }).envelopeSlope)).toBe(true);
    expect(Number.isNaN(leastSquaresLine([1, 1], [2, 3]).slope)).toBe(true);
  });
});

describe('window scaling and defaults', () => {
  it("is the paper's 101..1000 at S = 10,000 and scales with S", () => {
    expect(defaultEnvelopeWindow(10_000)).toEqual({ first: 101, last: 1000 });
    expect(defaultEnvelopeWindow(2000)).toEqual({ first: 21, last: 200 });
    expect(defaultEnvelopeWindow(400)).toEqual({ first: 5, last: 40 });
    expect(defaultEnvelopeWindow(7069)).toEqual({ first: 72, last: 707 });
    // about a decade: the first rank's + 1 narrows it most at S = 1050 (12..105, 8.75x), then less as S grows
    expect(defaultEnvelopeWindow(1050)).toEqual({ first: 12, last: 105 });
    expect(defaultEnvelopeWindow(1350)).toEqual({ first: 15, last: 135 });
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 3000 }), fc.integer({ min: 1, max: 1_000_000 })),
        (S) => {
          const w = defaultEnvelopeWindow(S);
          expect(w.first).toBeGreaterThanOrEqual(1);
          expect(w.last).toBeGreaterThan(w.first);
          if (S >= 1000) expect(w.last / w.first).toBeGreaterThanOrEqual(105 / 12);
          if (S >= 10_000) expect(w.last / w.first).toBeGreaterThan(9.8);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('parses --window a:b and rejects bad windows with a ConfigError', () => {
    expect(parseWindow('101:1000')).toEqual({ first: 101, last: 1000 });
    expect(parseWindow(' 2 : 5 ')).toEqual({ first: 2, last: 5 });
    for (const bad of ['', '5', 'a:b', '1.5:4', '-1:3']) {
      expect(() => parseWindow(bad)).toThrow(ConfigError);
    }
    // the ranks themselves are qdgConfig's to check, once
    for (const bad of ['5:5', '6:5', '0:4']) {
      expect(() => qdgConfig({ window: parseWindow(bad) }, 100)).toThrow(/--window must satisfy 1 <= a < b/);
    }
  });

  it('predicts -(1 + alpha_N)', () => {
    expect(predictedEnvelopeSlope(0.083)).toBeCloseTo(-1.083, 12);
  });

  it('default cluster counts: 30 log-spaced values 10..S/7, deduplicated, increasing, below S', () => {
    const ks = defaultClusterCounts(10_000);
    expect(ks.length).toBe(30);
    expect(ks[0]).toBe(10);
    expect(ks[ks.length - 1]).toBe(1428);
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 100_000 }), (S) => {
        const list = defaultClusterCounts(S);
        expect(list.length).toBeGreaterThan(0);
        expect(list.length).toBeLessThanOrEqual(30);
        for (let i = 1; i < list.length; i++) expect(list[i]).toBeGreaterThan(list[i - 1]);
        expect(list[0]).toBeGreaterThanOrEqual(2);
        expect(list[list.length - 1]).toBeLessThan(S);
      }),
    );
  });

  it('writes rank-frequency rows sorted by K', () => {
    const csv = rankFrequencyCsv(
      new Map([
        [20, [3, 1]],
        [10, [4]],
      ]),
    );
    expect(csv).toBe('K,rank,size_samples\n10,1,4\n20,1,3\n20,2,1\n');
  });
});

describe('window capped to the cluster counts', () => {
  it('leaves a window inside the envelope alone and shrinks one that runs past the largest K', () => {
    expect(capWindowToClusters({ first: 101, last: 1000 }, 1500)).toEqual({ first: 101, last: 1000 });
    expect(capWindowToClusters({ first: 72, last: 707 }, 500)).toEqual({ first: 33, last: 333 });
    expect(capWindowToClusters({ first: 5, last: 40 }, 12)).toEqual({ first: 1, last: 8 });
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 100_000 }), fc.integer({ min: 2, max: 5000 }), (S, K) => {
        const w = capWindowToClusters(defaultEnvelopeWindow(S), K);
        expect(w.first).toBeGreaterThanOrEqual(1);
        expect(w.last).toBeGreaterThan(w.first);
        expect(w.last <= K || w.last === defaultEnvelopeWindow(S).last).toBe(true);
      }),
    );
  });
});

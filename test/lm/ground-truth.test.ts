// Scoring the paper's criteria against known classes (src/lm/ground-truth.ts), on a synthetic loss matrix whose
// answers are worked out by hand: precision, recall, the truth definitions, seed agreement, transition widths.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.js';
import {
  readTruthLabels,
  scoreGroundTruth,
  trueMonogenicRows,
  type TruthLabels,
} from '../../src/lm/ground-truth.js';
import { TokenClass } from '../../src/lm/skills.js';

const N = [1e3, 2e3, 4e3, 8e3, 16e3];
const lnN = N.map(Math.log);
const linear = (a: number, b: number) => lnN.map((x) => a + b * (x - lnN[0]));
const { irreducible: I, monogenic: Mo, polygenic: P } = TokenClass;

// rows: [class, skill, seed-0 curve, seed-1 curve]
const ROWS: [number, number, number[], number[]][] = [
  [Mo, 1, [6, 6, 0.1, 0.1, 0.1], [6, 6, 0.1, 0.1, 0.1]], // 0-3: skill 1 learned at size 2: monogenic
  [Mo, 1, [6, 6, 0.1, 0.1, 0.1], [6, 6, 0.1, 0.1, 0.1]],
  [Mo, 1, [6, 6, 0.1, 0.1, 0.1], [6, 6, 0.1, 0.1, 0.1]],
  [Mo, 1, [6, 6, 0.1, 0.1, 0.1], [6, 0.1, 0.1, 0.1, 0.1]],
  [Mo, 1, [6, 3, 0.1, 0.1, 0.1], [6, 3, 0.1, 0.1, 0.1]], // 4: same skill, a soft transition: true, not found
  [Mo, 2, [0.1, 0.1, 0.1, 0.1, 0.1], [0.1, 0.1, 0.1, 0.1, 0.1]], // 5: skill 2 learned before the range: not true
  [P, -1, linear(5, -0.8), [5, 5, 5, 5, 1]], // 6: polygenic in seed 0 only
  [P, -1, [5, 3, 4.5, 2, 3], [5, 3, 4.5, 2, 3]], // 7: a noisy polygenic token: true, not found
  [I, -1, linear(6, -0.5), linear(6, -0.5)], // 8: an irreducible token found polygenic: a false positive
  [I, -1, [4, 4, 4, 4, 4], [4, 4, 4, 4, 4]], // 9
  [I, -1, [6, 6, 6, 0.2, 0.2], [6, 6, 6, 0.2, 0.2]], // 10: an irreducible token found monogenic
];
const R = ROWS.length;
const M = N.length;
const matrix = (s: number) => Float32Array.from(ROWS.flatMap((r) => r[2 + s]));
const truth: TruthLabels = {
  language: { answers: 256, alpha: 0.4, bands: 2 },
  cls: ROWS.map((r) => r[0]),
  skill: ROWS.map((r) => r[1]),
  bayes: ROWS.map((r) => (r[0] === Mo ? 0 : r[0] === P ? 1 : 3)),
};

describe('ground-truth scoring', () => {
  const g = scoreGroundTruth({
    seeds: [0, 1],
    losses: [matrix(0), matrix(1)],
    rows: R,
    parameters: N,
    truth,
    polygenicRows: 100_000,
  });

  it('true monogenic tokens are those of skills learned inside the range (skill means, not the criterion)', () => {
    expect([...trueMonogenicRows(matrix(0), R, M, truth)]).toEqual([0, 1, 2, 3, 4]);
    expect(g.definitions.unlearnedAtSmallest).toBeCloseTo(Math.log(256) / 2, 12);
    expect(g.definitions.learnedAtLargest).toBeCloseTo(Math.log(256) / 10, 12);
  });

  it('precision and recall per seed and their means', () => {
    const [s0, s1] = g.perSeed;
    expect(s0.monogenic).toMatchObject({ found: 5, correct: 4, trueTokens: 5, trueFound: 4 });
    expect(s0.monogenic.precision).toBeCloseTo(0.8, 12);
    expect(s0.monogenic.recall).toBeCloseTo(0.8, 12);
    expect(s0.polygenic).toMatchObject({
      found: 2,
      correct: 1,
      trueTokens: 2,
      trueFound: 1,
      precision: 0.5,
      recall: 0.5,
    });
    expect(s1.monogenic).toMatchObject({ found: 5, correct: 4, trueTokens: 5, trueFound: 4 });
    expect(s1.polygenic).toMatchObject({
      found: 1,
      correct: 0,
      trueTokens: 2,
      trueFound: 0,
      precision: 0,
      recall: 0,
    });
    expect(g.monogenic.precision).toBeCloseTo(0.8, 12);
    expect(g.monogenic.recall).toBeCloseTo(0.8, 12);
    expect(g.polygenic.precision).toBeCloseTo(0.25, 12);
    expect(g.polygenic.recall).toBeCloseTo(0.25, 12);
    expect(g.counts).toEqual({ monogenic: 6, polygenic: 2, irreducible: 3, rows: R });
  });

  it('seed agreement of each token class', () => {
    expect(g.agreement.monogenic).toBe(1);
    expect(g.agreement.polygenic).toBe(0.5);
    expect(g.agreement.overall).toBeCloseTo(10 / 11, 12);
  });

  it('monogenic transition widths, interpolated in ln N', () => {
    const sharp = ((6 - 0.3) / 5.9 - (6 - 5) / 5.9) * Math.log(2);
    const soft = (1 + 2.7 / 2.9 - 1 / 3) * Math.log(2);
    expect(g.transitions.tokens).toBe(10);
    expect(g.transitions.medianWidth).toBeCloseTo(sharp, 5);
    expect(g.transitions.medianStep).toBeCloseTo(Math.log(2), 12);
    expect(g.transitions.narrowerThanStep).toBeCloseTo(0.8, 12);
    expect(soft).toBeGreaterThan(Math.log(2));
  });

  it('precision is null when a criterion finds nothing, recall when nothing is true', () => {
    const flat = new Float32Array(R * M).fill(4);
    const h = scoreGroundTruth({
      seeds: [0],
      losses: [flat],
      rows: R,
      parameters: N,
      truth,
      polygenicRows: 100_000,
    });
    expect(h.monogenic.precision).toBeNull();
    expect(h.monogenic.recall).toBeNull(); // no skill learned inside the range
    expect(h.polygenic.precision).toBeNull();
    expect(h.polygenic.recall).toBe(0);
    expect(h.agreement.overall).toBe(1);
  });

  it('alpha_N against the Zipf exponent: raw, above the Bayes loss, and on monogenic tokens', () => {
    expect(g.scaling.predicted).toBe(0.4);
    const bayes = truth.bayes as number[];
    expect(g.scaling.bayesLoss).toBeCloseTo(bayes.reduce((a, b) => a + b, 0) / R, 12);
    expect(Number.isFinite(g.scaling.raw.alphaN)).toBe(true);
    expect(g.scaling.raw.alphaN).toBeGreaterThan(0);
    expect(g.scaling.monogenic!.alphaN).toBeGreaterThan(g.scaling.raw.alphaN);
    // skill 1 is learned (seed-mean) from size 2 on, skill 2 at every size
    expect(g.scaling.learnedSkills).toEqual([1, 1, 2, 2, 2]);
    expect(g.scaling.skillsWithTokens).toBe(2);
    expect(g.scaling.learnedExponent!.beta).toBeCloseTo(0, 12);
  });

  it('readTruthLabels refuses files that are not a ground truth for the matrix', () => {
    const ok = { language: { answers: 4, alpha: 0.4, bands: 1 }, cls: [0, 1], skill: [0, 1], bayes: [0, 0] };
    expect(readTruthLabels('t.json', 2, () => ok).cls).toEqual([0, 1]);
    for (const [doc, why] of [
      [[], /not a JSON object/],
      [{ ...ok, language: 3 }, /language/],
      [{ ...ok, cls: [0] }, /cls is not 2 numbers/],
      [{ ...ok, skill: ['a', 'b'] }, /skill/],
      [{ ...ok, bayes: [0, null] }, /bayes/],
    ] as const) {
      expect(() => readTruthLabels('t.json', 2, () => doc)).toThrow(ConfigError);
      expect(() => readTruthLabels('t.json', 2, () => doc)).toThrow(why);
    }
  });
});

import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  D_FIT_START_BITS,
  alphaFitsOf,
  analyseAlpha,
  analyseFolder,
  convergenceSteps,
  earlyStopIndex,
  learnedSubtaskCount,
  loadSweepFolder,
  fitWarnings,
  widestRuns,
} from '../../src/scaling/analysis.js';
import { ConfigError } from '../../src/core/errors.js';
import { plantedMultiEpoch, plantedSingleEpoch, syntheticRecord } from '../synthetic-records.js';
import { DEFAULT_RUN } from '../../src/train/config.js';

describe('per-run measurements', () => {
  const config = { ...DEFAULT_RUN, nTasks: 3, logEvery: 10, data: 1000 };
  // subtask 1 learned at step 10; subtask 2 dips below 0.1 nats only at step 30, after the minimum mean loss
  // (step 20); subtask 3 reaches 0.08 nats: below 0.1 nats (learned, Fig. 9) but not below 0.1 bits = 0.069
  // nats (not converged, Fig. 8).
  const r = syntheticRecord(
    config,
    [
      [0.69, 0.69, 0.69],
      [0.01, 0.69, 0.69],
      [0.01, 0.6, 0.08],
      [0.01, 0.05, 0.5],
    ],
    [0.69, 0.3, 0.2, 0.25],
  );

  it('early stopping picks the minimum mean loss; learned counts any step below 0.1 nats', () => {
    expect(earlyStopIndex(r)).toBe(2);
    expect(learnedSubtaskCount(r)).toBe(3);
  });

  it('convergence is the first step below 0.1 bits', () => {
    expect(convergenceSteps(r)).toEqual([10, 30, null]);
  });
});

describe('planted power laws and emergence (alpha 0.4)', () => {
  const alpha = 0.4;
  const records = [...plantedSingleEpoch({ alpha }), ...plantedMultiEpoch({ alpha })];
  const fits = analyseAlpha(records, alpha);

  it('recovers alpha_N exactly from exact N data', () => {
    expect(fits.N.measured).toBeCloseTo(alpha, 10);
    expect(fits.N.predicted).toBe(alpha);
    expect(fits.N.paper).toBe(0.38);
    expect(fits.N.points).toHaveLength(6);
  });

  it('alpha_S is recovered exactly from the planted curve on the [500, 15000) window', () => {
    expect(fits.S.window![0]).toBe(500);
    expect(fits.S.window![1]).toBe(14_900);
    expect(fits.S.measured!).toBeCloseTo(alpha / (alpha + 1), 10);
    expect(fits.S.ci![0]).toBeCloseTo(fits.S.measured!, 10);
    expect(fits.S.ci![1]).toBeCloseTo(fits.S.measured!, 10);
  });

  it('alpha_D is fitted from the first D below 0.95 bits and recovered exactly', () => {
    const used = fits.D.points.filter((p) => p.used);
    const unused = fits.D.points.filter((p) => !p.used);
    expect(unused.length).toBeGreaterThan(0);
    expect(unused.every((p) => p.y >= D_FIT_START_BITS)).toBe(true);
    expect(used[0].y).toBeLessThan(D_FIT_START_BITS);
    expect(fits.D.measured!).toBeCloseTo(alpha / (alpha + 1), 10);
  });

  it('n(D) grows like D^(1/(alpha+1)) and convergence steps like p^-1', () => {
    expect(fits.learnedVsData.measured!).toBeCloseTo(1 / (alpha + 1), 1);
    expect(fits.convergence.slope!).toBeGreaterThan(-1.1);
    expect(fits.convergence.slope!).toBeLessThan(-0.9);
    expect(fits.convergence.paper).toBe(-0.81);
    expect(fits.learnOrderSpearman!).toBeGreaterThan(0.99);
  });

  it('a fit window from sweep.json overrides the default', () => {
    const narrow = analyseAlpha(records, alpha, { S: [1000, 5000], N: [1000, 20_000] });
    expect(narrow.S.window![0]).toBe(1000);
    expect(narrow.S.window![1]).toBe(4900);
    expect(narrow.N.points.filter((p) => p.used).length).toBeLessThan(6);
  });
});

describe('noisy seeds', () => {
  it('the bootstrap interval of alpha_N (resampling seeds) contains the planted exponent in most trials', () => {
    const alpha = 0.3;
    let covered = 0;
    for (let t = 0; t < 8; t++) {
      const seeds = [4 * t, 4 * t + 1, 4 * t + 2, 4 * t + 3];
      const records = plantedSingleEpoch({ alpha, seeds, noise: 0.05, nTasks: 30 });
      const fits = analyseAlpha(records, alpha);
      expect(fits.N.points).toHaveLength(24);
      expect(Math.abs(fits.N.measured! - alpha)).toBeLessThan(0.03);
      if (fits.N.ci![0] <= alpha && alpha <= fits.N.ci![1]) covered++;
      if (t === 0) expect(widestRuns(records)).toHaveLength(4);
    }
    expect(covered).toBeGreaterThanOrEqual(5);
  });
});

describe('folders', () => {
  it('analyses a folder with several alphas into a table, reading fitWindows from sweep.json', () => {
    const dir = mkdtempSync(join(tmpdir(), 'quanta-analysis-'));
    try {
      mkdirSync(join(dir, 'runs'));
      const records = [0.2, 0.6].flatMap((alpha) => [
        ...plantedSingleEpoch({ alpha, nTasks: 60 }),
        ...plantedMultiEpoch({ alpha, nTasks: 60 }),
      ]);
      records.forEach((r, i) => writeFileSync(join(dir, 'runs', `run-${i}.json`), JSON.stringify(r)));
      writeFileSync(
        join(dir, 'sweep.json'),
        JSON.stringify({ kind: 'alpha', fitWindows: { S: [200, 8000] } }),
      );
      // runs/ holds records only: anything else there is refused, never skipped in silence
      writeFileSync(join(dir, 'runs', 'junk.json'), '{"not": "a record"}');
      expect(() => loadSweepFolder(dir)).toThrow(/junk\.json is not a run record/);
      rmSync(join(dir, 'runs', 'junk.json'));
      const folder = loadSweepFolder(dir);
      expect(folder.records).toHaveLength(records.length);
      expect(folder.fitWindows.S).toEqual([200, 8000]);
      const fits = analyseFolder(folder);
      expect('alphas' in fits).toBe(true);
      const all = alphaFitsOf(fits);
      expect(all.map((f) => f.alpha)).toEqual([0.2, 0.6]);
      if ('table' in fits) {
        expect(fits.table[0].alphaNPaper).toBe(0.28);
        expect(fits.table[1].alphaDPredicted).toBeCloseTo(0.6 / 1.6, 12);
        expect(fits.table[0].alphaN).toBeCloseTo(0.2, 8);
      }
      expect(all[0].S.window![0]).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a missing directory, an empty one and a bad window with a ConfigError', () => {
    expect(() => loadSweepFolder('/nonexistent/quanta-dir')).toThrow(ConfigError);
    const dir = mkdtempSync(join(tmpdir(), 'quanta-empty-'));
    try {
      expect(() => loadSweepFolder(dir)).toThrow(/no run records/);
      writeFileSync(join(dir, 'r.json'), JSON.stringify(plantedMultiEpoch({ alpha: 0.4, nTasks: 20 })[0]));
      writeFileSync(join(dir, 'sweep.json'), JSON.stringify({ fitWindows: { D: [10, 5] } }));
      expect(() => loadSweepFolder(dir)).toThrow(ConfigError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a folder with only multi-epoch runs still gives D, n(D) and convergence (no N, S)', () => {
    const fits = analyseAlpha(plantedMultiEpoch({ alpha: 0.5 }), 0.5);
    expect(fits.N.measured).toBeNull();
    expect(fits.S.measured).toBeNull();
    expect(fits.D.measured).not.toBeNull();
    expect(fits.convergence.points.length).toBeGreaterThan(0);
  });
});

describe('fits with too few points', () => {
  it('flag a fit through two points in its note', () => {
    const records = plantedSingleEpoch({ alpha: 0.4, nTasks: 30 }).slice(0, 2);
    const f = analyseAlpha(records, 0.4);
    expect(f.N.measured).not.toBeNull();
    expect(f.N.note).toMatch(
      /only 2 distinct point\(s\) to fit, fewer than 3: a line through them, not a fit/,
    );
    const three = analyseAlpha(plantedSingleEpoch({ alpha: 0.4, nTasks: 30 }).slice(0, 3), 0.4);
    expect(three.N.note).toBeUndefined();
    expect(fitWarnings([three])).toEqual([]);
    expect(fitWarnings([f])).toEqual([`alpha_N (alpha 0.4): ${f.N.note}`]);
  });

  it('flag a fit window that leaves fewer than 3 of the points there are', () => {
    const records = plantedSingleEpoch({ alpha: 0.4, nTasks: 30 });
    const Ns = records.map((r) => r.parameters).sort((a, b) => a - b);
    // a window holding the two smallest N only
    const f = analyseAlpha(records, 0.4, { N: [Ns[0], Ns[2]] });
    expect(f.N.measured).not.toBeNull();
    expect(f.N.note).toBe(
      `the fit window leaves only 2 of ${Ns.length} distinct points (${Ns[0]}..${Ns[1]}), fewer than 3: ` +
        'a line through them, not a fit (r2 and interval mean nothing)',
    );
    // a window holding one point: no fit, and the note says why
    const one = analyseAlpha(records, 0.4, { N: [Ns[0], Ns[1]] });
    expect(one.N.measured).toBeNull();
    expect(one.N.note).toMatch(/^the fit window leaves only 1 of \d+ distinct points .*: no fit$/);
    expect(fitWarnings([one])[0]).toMatch(/^alpha_N \(alpha 0.4\): the fit window leaves only 1/);
  });
});

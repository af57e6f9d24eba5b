// The convergence study refits each exponent on the same records cut at earlier budgets: at the full budget it
// equals the ordinary fit; cutting a record keeps exactly the log steps at or below the budget; the compute
// of a budget grows with it; a planted sweep whose losses stop moving half-way reports convergence, and one
// whose N losses keep falling with steps at a width-dependent rate reports the exponent still moving.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { analyseAlpha } from '../../src/scaling/analysis.js';
import { budgetGrid, convergenceStudy, truncateRecord } from '../../src/scaling/convergence.js';
import { DEFAULT_RUN, type RunConfig } from '../../src/train/config.js';
import { plantedMultiEpoch, plantedSingleEpoch, syntheticRecord } from '../synthetic-records.js';

describe('convergence study', () => {
  it('at the full budget equals the ordinary fits', () => {
    const records = [
      ...plantedSingleEpoch({ alpha: 0.4, nTasks: 60 }),
      ...plantedMultiEpoch({ alpha: 0.4, nTasks: 60 }),
    ];
    const full = analyseAlpha(records, 0.4);
    const study = convergenceStudy(records, 0.4);
    expect(study.alphaN.final).toBeCloseTo(full.N.measured!, 12);
    expect(study.alphaD.final).toBeCloseTo(full.D.measured!, 12);
    // alpha_S's window end moves past the ordinary window: at that window's end it is the ordinary fit
    const sAtWindow = study.alphaS.points.filter((p) => p.budget < full.S.window![1] + 1e-9).at(-1)!;
    expect(study.alphaS.points.some((p) => p.budget > sAtWindow.budget)).toBe(true);
    expect(sAtWindow.measured).not.toBeNull();
    for (const e of [study.alphaN, study.alphaS, study.alphaD]) {
      const hours = e.points.map((p) => p.coreHours);
      expect(hours).toEqual([...hours].sort((a, b) => a - b));
      expect(e.predicted).toBeCloseTo(e.exponent === 'alpha_N' ? 0.4 : 0.4 / 1.4, 12);
    }
  });

  it('cuts a record at the last log step at or below the budget (property)', () => {
    const record = plantedSingleEpoch({ alpha: 0.4, nTasks: 20 })[5];
    const steps = record.log.steps;
    fc.assert(
      fc.property(fc.integer({ min: -10, max: steps[steps.length - 1] + 10 }), (budget) => {
        const cut = truncateRecord(record, budget);
        const kept = steps.filter((s) => s <= budget);
        if (kept.length === 0) {
          expect(cut).toBeNull();
        } else {
          expect(cut!.log.steps).toEqual(kept);
          expect(cut!.log.meanLoss).toEqual(record.log.meanLoss.slice(0, kept.length));
          expect(cut!.log.subtaskLoss.length).toBe(kept.length);
        }
      }),
    );
  });

  it('budget grids are increasing logged steps that end at the last one', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 1e6 }), { minLength: 1, maxLength: 200 }),
        (xs) => {
          const grid = budgetGrid(xs, 12);
          const positive = xs.filter((x) => x > 0);
          if (positive.length === 0) {
            expect(grid).toEqual([]);
            return;
          }
          expect(grid[grid.length - 1]).toBe(Math.max(...positive));
          expect(grid.length).toBeLessThanOrEqual(Math.min(13, positive.length));
          for (let i = 1; i < grid.length; i++) expect(grid[i]).toBeGreaterThan(grid[i - 1]);
          for (const g of grid) expect(positive).toContain(g);
        },
      ),
    );
  });

  it('tells a converged exponent from one still moving', () => {
    // mean loss of width w at step s: c N^-0.4 once s >= 500 (converged early) ...
    const build = (lossAt: (N: number, step: number) => number) =>
      [8, 16, 32, 64, 128, 256].map((width) => {
        const config: RunConfig = {
          ...DEFAULT_RUN,
          nTasks: 10,
          width,
          steps: 2000,
          logEvery: 100,
          data: null,
        };
        const N = (config.nTasks + config.n + 3) * width + 2;
        const logs = config.steps / config.logEvery;
        const rows = Array.from({ length: logs }, () => Array(10).fill(0.5));
        const mean = Array.from({ length: logs }, (_, i) => lossAt(N, i * config.logEvery) * Math.LN2);
        return syntheticRecord(config, rows, mean);
      });
    const settled = convergenceStudy(
      build((N, s) => 5 * N ** -(s >= 500 ? 0.4 : (0.4 * s) / 500 + 0.01)),
      0.4,
    );
    expect(settled.alphaN.final).toBeCloseTo(0.4, 6);
    expect(settled.alphaN.changeOverLastDoubling).toBeCloseTo(0, 6);
    expect(settled.alphaN.within005FromCoreHours).toBeLessThan(settled.alphaN.points.at(-1)!.coreHours);
    // ... or an exponent that keeps growing with the steps
    const moving = convergenceStudy(
      build((N, s) => 5 * N ** -(0.01 + (0.4 * s) / 1900)),
      0.4,
    );
    expect(moving.alphaN.changeOverLastDoubling!).toBeGreaterThan(0.1);
  });
});

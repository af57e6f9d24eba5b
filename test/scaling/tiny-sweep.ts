// The tiny sweep the pool and sweep tests share: 3 widths and 2 dataset sizes of a 10-subtask task, a few
// hundred steps each (a second or two per run).
import type { SweepOverrides } from '../../src/scaling/plan.js';

export const TINY: SweepOverrides = {
  base: {
    nTasks: 10,
    n: 12,
    k: 3,
    batch: 200,
    steps: 300,
    logEvery: 50,
    testPoints: 2000,
    testPointsPerTask: 50,
  },
  widths: [8, 12, 16],
  dataSizes: [400, 1500],
  dataWidth: 16,
  alphas: [0.4],
  seeds: [0],
};

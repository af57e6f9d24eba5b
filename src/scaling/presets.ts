// Sweep presets: the paper's exact Figure 2 and Figure 10 configurations (SPEC.md 2, 3.2-3.4) and the scaled-down
// `quick` preset that `npm start` runs in a few minutes on two cores (SPEC.md 9). A preset gives, for one sweep
// kind, the base run configs and the grids that the plan (./plan.ts) expands into runs.
import type { RunConfig } from '../train/config.js';

export const PRESETS = ['quick', 'paper', 'faithful'] as const;
export type PresetName = (typeof PRESETS)[number];

/** Fit windows that override the analysis defaults (SPEC.md 9), per scaling variable: [lo, hi). */
export interface FitWindows {
  N?: [number, number];
  S?: [number, number];
  D?: [number, number];
}

/** What a preset gives one sweep kind before the user's overrides. */
export interface SweepSettings {
  /** Single-epoch runs (N and S sweeps); `width` is replaced per run. */
  base: RunConfig;
  /** Multi-epoch runs (D sweep); `data` is replaced per run, `width` is the D sweep's fixed width. */
  dataBase: RunConfig;
  /** Paper alphas (p_k ~ k^-(alpha+1)) and seeds of the single-epoch runs. */
  alphas: number[];
  seeds: number[];
  widths: number[];
  /** Paper alphas and seeds of the multi-epoch runs (Fig. 10's D row has its own grid). */
  dataAlphas: number[];
  dataSeeds: number[];
  dataSizes: number[];
  fitWindows?: FitWindows;
}

/**
 * `int(2^linspace(log2 lo, log2 hi, count))`, exactly as the reference's numpy expression: the float grid is
 * truncated, so 10..500 starts at 9 and 1e4..5e6 ends at 4999999 (SPEC.md 2 and 3.4).
 */
export function logSpacedInts(lo: number, hi: number, count: number): number[] {
  const start = Math.log2(lo);
  const stop = Math.log2(hi);
  if (count === 1) return [Math.trunc(Math.pow(2, start))];
  const step = (stop - start) / (count - 1);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    // numpy.linspace: i * step + start, and the endpoint is set to stop exactly
    const y = i === count - 1 ? stop : i * step + start;
    out.push(Math.trunc(Math.pow(2, y)));
  }
  return out;
}

/** lo, lo + by, ..., hi, rounded to the grid's decimals (0.1, 0.2, 0.3 and not 0.30000000000000004). */
export function linearGrid(lo: number, hi: number, by: number): number[] {
  const out: number[] = [];
  const count = Math.round((hi - lo) / by) + 1;
  for (let i = 0; i < count; i++) out.push(Number((lo + i * by).toFixed(6)));
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// The paper (SPEC.md 2, 3.2-3.4). Every paper run: 500 subtasks, 100 task bits, k 3, one hidden layer of ReLU,
// batch 20000, AdamW lr 1e-3 with no weight decay, test_points 1e6, test_points_per_task 1000.

const PAPER_RUN: RunConfig = {
  nTasks: 500,
  n: 100,
  k: 3,
  alpha: 0.4,
  width: 500,
  depth: 2,
  activation: 'relu',
  batch: 20_000,
  steps: 200_000,
  lr: 1e-3,
  weightDecay: 0,
  seed: 0,
  logEvery: 100,
  testPoints: 1_000_000,
  testPointsPerTask: 1000,
  data: null,
};

/** Fig. 2: P-scaling-15 (N and S, 2e5 steps, log every 100) and D-scaling-6 (D, width 500, 1e6 steps). */
const PAPER_FIGURE_2: SweepSettings = {
  base: { ...PAPER_RUN },
  dataBase: { ...PAPER_RUN, width: 500, steps: 1_000_000, logEvery: 100 },
  alphas: [0.4],
  seeds: [0],
  widths: logSpacedInts(10, 500, 30),
  dataAlphas: [0.4],
  dataSeeds: [0],
  dataSizes: logSpacedInts(1e4, 5e6, 30),
  // the only S fit the paper makes on this run is Fig. 8's: log_steps[4:90] = steps [400, 9000), slope -0.45
  fitWindows: { S: [400, 9_000] },
};

/**
 * Fig. 10: P-scaling-17 (N and S: widths 10..300 in 20, paper alphas 0.1..0.8, seeds 0, 1, 2, 1e5 steps, log
 * every 500) and D-scaling-9 (D: 25 sizes 1e4..5e6, paper alphas 0.1..0.8 by 0.05, seed 0, width 500, 1e5
 * steps, log every 500).
 */
const PAPER_FIGURE_10: SweepSettings = {
  base: { ...PAPER_RUN, steps: 100_000, logEvery: 500 },
  dataBase: { ...PAPER_RUN, width: 500, steps: 100_000, logEvery: 500 },
  alphas: linearGrid(0.1, 0.8, 0.1),
  seeds: [0, 1, 2],
  widths: logSpacedInts(10, 300, 20),
  dataAlphas: linearGrid(0.1, 0.8, 0.05),
  dataSeeds: [0],
  dataSizes: logSpacedInts(1e4, 5e6, 25),
};

// ---------------------------------------------------------------------------------------------------------
// quick: what `npm start` runs (N, S and D for alpha 0.4 in at most 10 minutes on two cores, fit and report
// included). Scaled down as SPEC.md 9 suggests: fewer subtasks and task bits (parity is learned sooner with
// small n), smaller batches and fewer steps. Measured numbers are in README.md "Sweeps".

const QUICK_RUN: RunConfig = {
  nTasks: 100,
  n: 24,
  k: 3,
  alpha: 0.4,
  width: 256,
  depth: 2,
  activation: 'relu',
  batch: 500,
  steps: 20_000,
  // 3x the paper's 1e-3: subtasks are learned about twice as fast per step, which the short runs need
  lr: 3e-3,
  weightDecay: 0,
  seed: 0,
  logEvery: 200,
  testPoints: 10_000,
  testPointsPerTask: 100,
  data: null,
};

const QUICK: SweepSettings = {
  base: { ...QUICK_RUN },
  dataBase: { ...QUICK_RUN, width: 128 },
  alphas: [0.4],
  seeds: [0],
  widths: logSpacedInts(8, 256, 10),
  dataAlphas: [0.4],
  dataSeeds: [0],
  dataSizes: logSpacedInts(1e3, 1e6, 10),
  // the paper's S window [500, 15000) assumes 2e5 steps; the quick runs are 10x shorter
  fitWindows: { S: [200, 20_000] },
};

/** Fig. 10's grid, scaled down like `quick`: four alphas, one seed. */
const QUICK_ALPHA: SweepSettings = {
  ...QUICK,
  alphas: [0.2, 0.4, 0.6, 0.8],
  dataAlphas: [0.2, 0.4, 0.6, 0.8],
};

// ---------------------------------------------------------------------------------------------------------
// faithful: Fig. 10's runs (P-scaling-17, D-scaling-9) at alpha 0.4 with what a 2-core budget cannot afford
// cut, each cut a departure from the reference to be measured against the exponents (issue "The paper's
// numbers, reproduced"; README "Reproducing the paper's numbers"):
// - the paper's batch 20000, lr 1e-3, 1e5 steps and log every 500 for the N and S runs (a first candidate at
//   batch 2000 stalled: its width-300 net learned 5 subtasks by step 40000 and none in the next 460000 steps;
//   results/pilots/batch-2000-width-300.json);
// - 8 widths over Fig. 10's range 9..300 instead of 20, one seed instead of three;
// - test sets of 1e5 exact-frequency samples (every subtask at least 5: floor(p_500 * 1e5) = 5) and 200 per
//   subtask, instead of 1e6 and 1000 (the mean loss's sampling error stays below 1% of its value);
// - D: 8 sizes over Fig. 10's range 1e4..5e6 instead of 25, width 500, 2e4 steps instead of 1e5: the paper's
//   largest D reaches its minimum at step 9500 (SPEC 3.4), smaller D sooner.

const FAITHFUL_RUN: RunConfig = {
  ...PAPER_RUN,
  steps: 100_000,
  logEvery: 500,
  testPoints: 100_000,
  testPointsPerTask: 200,
};

const FAITHFUL: SweepSettings = {
  base: { ...FAITHFUL_RUN },
  dataBase: { ...FAITHFUL_RUN, width: 500, steps: 20_000, logEvery: 250 },
  alphas: [0.4],
  seeds: [0],
  widths: logSpacedInts(10, 300, 8),
  dataAlphas: [0.4],
  dataSeeds: [0],
  dataSizes: logSpacedInts(1e4, 5e6, 8),
};

/** Fig. 10's alpha trend at the faithful settings: four alphas, one seed. */
const FAITHFUL_ALPHA: SweepSettings = {
  ...FAITHFUL,
  alphas: [0.2, 0.4, 0.6, 0.8],
  dataAlphas: [0.2, 0.4, 0.6, 0.8],
};

/** The settings a preset gives a sweep kind (fresh copies: callers may change them). */
export function presetSettings(preset: PresetName, kind: string): SweepSettings {
  if (preset === 'faithful') return structuredClone(kind === 'alpha' ? FAITHFUL_ALPHA : FAITHFUL);
  const s =
    preset === 'paper'
      ? kind === 'alpha'
        ? PAPER_FIGURE_10
        : PAPER_FIGURE_2
      : kind === 'alpha'
        ? QUICK_ALPHA
        : QUICK;
  return structuredClone(s);
}

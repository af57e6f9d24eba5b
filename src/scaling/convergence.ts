// How each measured exponent converges with compute (issue "The paper's numbers, reproduced", part 2).
// A measured exponent depends on how long the sweep ran; every run logs its losses at every log step, so the
// same records answer "what would this sweep have measured had it stopped earlier":
//   alpha_N at budget S: the N fit (SPEC 3.2) on every single-epoch run's log cut at step S;
//   alpha_D at budget S: the D fit (SPEC 3.4, minimum over time) on every multi-epoch run's log cut at S;
//   alpha_S at window end H: the S fit (SPEC 3.3) on the widest runs' curves over [lo, H).
// Each point carries the compute it took: the core-hours of the runs it uses, cut at the same step (a run's
// seconds are spread evenly over its steps). The paper's value and the theory's are carried beside.
import type { RunRecord } from '../train/record.js';
import {
  analyseAlpha,
  multiEpochRuns,
  singleEpochRuns,
  widestRuns,
  type ExponentFit,
  type FitWindows,
} from './analysis.js';

/** An exponent measured at one budget. */
export interface ConvergencePoint {
  /** Steps of every run used (alpha_N, alpha_D), or the S window's upper end (alpha_S). */
  budget: number;
  /** Core-hours of the runs used, up to the budget. */
  coreHours: number;
  measured: number | null;
  ci: [number, number] | null;
}

export interface ExponentConvergence {
  exponent: 'alpha_N' | 'alpha_S' | 'alpha_D';
  /** What the budget counts. */
  budgetAxis: string;
  predicted: number;
  paper: number | null;
  points: ConvergencePoint[];
  /** The measured value at the full budget (the last point with a fit). */
  final: number | null;
  /**
   * The least compute from which every later point is within 0.05 of the final value (a proxy for "within
   * 0.05 of its limit": a sweep that has not converged says so by its last points still moving).
   */
  within005FromCoreHours: number | null;
  /**
   * final minus the value at half the final compute (the nearest point at or below it): a sweep whose
   * exponent still moves over its last doubling of compute has not converged, whatever the proxy above says.
   */
  changeOverLastDoubling: number | null;
}

export interface ConvergenceStudy {
  alpha: number;
  alphaN: ExponentConvergence;
  alphaS: ExponentConvergence;
  alphaD: ExponentConvergence;
}

/** Points of a budget grid: about `count` log-spaced values among the logged steps, the last one included. */
export function budgetGrid(steps: number[], count = 16): number[] {
  const positive = [...new Set(steps.filter((s) => s > 0))].sort((a, b) => a - b);
  if (positive.length <= count) return positive;
  const lo = Math.log(positive[0]);
  const hi = Math.log(positive[positive.length - 1]);
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    const target = Math.exp(lo + ((hi - lo) * i) / (count - 1));
    // the logged step nearest the target (in log)
    let best = positive[0];
    for (const s of positive)
      if (Math.abs(Math.log(s / target)) < Math.abs(Math.log(best / target))) best = s;
    out.add(best);
  }
  out.add(positive[positive.length - 1]);
  return [...out].sort((a, b) => a - b);
}

/** A record whose log stops at the last log step <= `step` (null when none is). */
export function truncateRecord(r: RunRecord, step: number): RunRecord | null {
  const k = r.log.steps.findIndex((s) => s > step);
  const n = k < 0 ? r.log.steps.length : k;
  if (n === 0) return null;
  return {
    ...r,
    log: {
      steps: r.log.steps.slice(0, n),
      meanLoss: r.log.meanLoss.slice(0, n),
      accuracy: r.log.accuracy.slice(0, n),
      subtaskLoss: r.log.subtaskLoss.slice(0, n),
      subtaskAccuracy: r.log.subtaskAccuracy.slice(0, n),
    },
  };
}

/**
 * Core-hours of a run up to `step` (its recorded seconds spread evenly over the steps it trained: all of
 * config.steps, or up to where config.stopAfterMinimum stopped it).
 */
export function runCoreHours(r: RunRecord, step: number): number {
  const trained = r.stoppedEarly?.step ?? r.config.steps;
  return (r.timing.seconds * Math.min(1, step / Math.max(1, trained))) / 3600;
}

function summarise(
  exponent: ExponentConvergence['exponent'],
  budgetAxis: string,
  points: ConvergencePoint[],
  reference: ExponentFit,
): ExponentConvergence {
  const fitted = points.filter((p) => p.measured !== null);
  const final = fitted.length > 0 ? (fitted[fitted.length - 1].measured as number) : null;
  let within: number | null = null;
  if (final !== null) {
    for (let i = fitted.length - 1; i >= 0; i--) {
      if (Math.abs((fitted[i].measured as number) - final) > 0.05) break;
      within = fitted[i].coreHours;
    }
  }
  let change: number | null = null;
  if (final !== null && fitted.length > 1) {
    const half = fitted[fitted.length - 1].coreHours / 2;
    const before = fitted.filter((p) => p.coreHours <= half * 1.0001);
    if (before.length > 0) change = final - (before[before.length - 1].measured as number);
  }
  return {
    exponent,
    budgetAxis,
    changeOverLastDoubling: change,
    predicted: reference.predicted,
    paper: reference.paper,
    points,
    final,
    within005FromCoreHours: within,
  };
}

/** The convergence of alpha_N, alpha_S and alpha_D with compute for the runs of one alpha. */
export function convergenceStudy(
  records: RunRecord[],
  alpha: number,
  windows: FitWindows = {},
  count = 16,
): ConvergenceStudy {
  const full = analyseAlpha(records, alpha, windows);
  const single = singleEpochRuns(records);
  const multi = multiEpochRuns(records);
  const widest = widestRuns(records);

  const cut = (runs: RunRecord[], step: number) =>
    runs.map((r) => truncateRecord(r, step)).filter((r): r is RunRecord => r !== null);
  const hours = (runs: RunRecord[], step: number) => runs.reduce((a, r) => a + runCoreHours(r, step), 0);

  const nPoints = budgetGrid(
    single.flatMap((r) => r.log.steps),
    count,
  ).map((step) => {
    const f = analyseAlpha(cut(single, step), alpha, windows).N;
    return { budget: step, coreHours: hours(single, step), measured: f.measured, ci: f.ci };
  });
  const dPoints = budgetGrid(
    multi.flatMap((r) => r.log.steps),
    count,
  ).map((step) => {
    const f = analyseAlpha(cut(multi, step), alpha, windows).D;
    return { budget: step, coreHours: hours(multi, step), measured: f.measured, ci: f.ci };
  });
  // alpha_S: the window's upper end moves up through the widest runs' log steps (its lower end stays)
  const lo = full.S.window?.[0] ?? windows.S?.[0] ?? 0;
  const sPoints = budgetGrid(
    widest.flatMap((r) => r.log.steps).filter((s) => s > lo),
    count,
  ).map((hi) => {
    const w: FitWindows = { ...windows, S: [windows.S?.[0] ?? lo, hi + 1] };
    const f = analyseAlpha(cut(widest, hi), alpha, w).S;
    return { budget: hi, coreHours: hours(widest, hi), measured: f.measured, ci: f.ci };
  });
  return {
    alpha,
    alphaN: summarise('alpha_N', 'steps of every single-epoch run', nPoints, full.N),
    alphaS: summarise('alpha_S', 'upper end of the S fit window (steps of the widest runs)', sPoints, full.S),
    alphaD: summarise('alpha_D', 'steps of every multi-epoch run', dPoints, full.D),
  };
}

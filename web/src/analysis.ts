// What the page measures from a run's log: losses in bits, emergence of subtasks, and the power-law fits
// (alpha_S from the learning curve, alpha_N from the width sweep) beside the theory's predictions
// (SPEC.md 3.1: alpha_N = alpha, alpha_S = alpha/(alpha+1), learned subtasks n ~ S^(1/(alpha+1))).
// The fit and the predictions are the library's own (src/scaling/fit.ts, src/theory/exponents.ts).
import { powerLawFit, type PowerLawFit } from 'quanta/scaling';

export { predictedAlphaN, predictedAlphaS, predictedLearnedExponent } from 'quanta/theory';

/** Nats to bits. */
export const BITS_PER_NAT = 1 / Math.LN2;

/**
 * A subtask has emerged (is learned) once its test loss falls below 0.1 bits: the "convergence step" rule of
 * the paper's Figure 8 (A3) left (SPEC.md 3.5).
 */
export const EMERGED_BELOW_BITS = 0.1;

/**
 * The alpha_S fit window starts at the first log whose mean loss is below 0.95 bits (the plateau's end: the
 * same rule as the alpha_D fit range of Figure 10, SPEC.md 3.4) ...
 */
export const FIT_START_BELOW_BITS = 0.95;
/**
 * ... and ends before the mean loss falls under 0.02 bits: with a finite number of subtasks the loss drops to
 * zero once the last one is learned, which is not part of the power law.
 */
export const FIT_END_ABOVE_BITS = 0.02;

/** OLS of ln y on ln x over the points with x > 0 and y > 0 (src/scaling/fit.ts); null when it cannot fit. */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | null {
  try {
    return powerLawFit(xs, ys);
  } catch {
    return null; // fewer than 2 usable points, or all x equal
  }
}

/** Index range [start, end) of the logs that the alpha_S fit uses, or null when there are too few. */
export function stepsFitWindow(
  steps: readonly number[],
  meanLossBits: readonly number[],
): [number, number] | null {
  let start = -1;
  for (let i = 0; i < steps.length; i++) {
    if (steps[i] > 0 && meanLossBits[i] < FIT_START_BELOW_BITS) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  let end = start;
  while (end < steps.length && meanLossBits[end] >= FIT_END_ABOVE_BITS) end++;
  return end - start >= 3 ? [start, end] : null;
}

/** The first logged step at which each subtask's loss is below EMERGED_BELOW_BITS, or -1 if not yet. */
export function emergenceSteps(
  steps: readonly number[],
  subtaskLossBits: readonly Float64Array[],
): Int32Array {
  const nTasks = subtaskLossBits.length > 0 ? subtaskLossBits[0].length : 0;
  const emerged = new Int32Array(nTasks).fill(-1);
  for (let t = 0; t < steps.length; t++) {
    const row = subtaskLossBits[t];
    for (let i = 0; i < nTasks; i++) {
      if (emerged[i] < 0 && row[i] < EMERGED_BELOW_BITS) emerged[i] = steps[t];
    }
  }
  return emerged;
}

/** Number of subtasks below EMERGED_BELOW_BITS in one evaluation. */
export function learnedCount(subtaskLossBits: Float64Array): number {
  let count = 0;
  for (const x of subtaskLossBits) if (x < EMERGED_BELOW_BITS) count++;
  return count;
}

/**
 * A theory line y = c x^-exponent over [x0, x1], as two points, scaled to pass through (anchorX, anchorY).
 * (The paper draws its theory lines this way: not fitted, only placed; SPEC.md 3.2 and 3.3.)
 */
export function theoryLine(
  exponent: number,
  x0: number,
  x1: number,
  anchorX: number,
  anchorY: number,
): Array<[number, number]> {
  const c = anchorY * Math.pow(anchorX, exponent);
  return [
    [x0, c * Math.pow(x0, -exponent)],
    [x1, c * Math.pow(x1, -exponent)],
  ];
}

/** Geometric widths from `low` to `high` (inclusive, distinct integers), `count` of them. */
export function geometricWidths(low: number, high: number, count: number): number[] {
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    const t = count === 1 ? 1 : i / (count - 1);
    out.add(Math.max(1, Math.round(low * Math.pow(high / low, t))));
  }
  return [...out].sort((a, b) => a - b);
}

// What both routes of the Lanczos eigensolver (./lanczos.ts one vector per pass, ./block.ts two) share: the
// result a route hands to the Ritz step, the thresholds of its tests, and the throttle of its full counts.

/** What either route leaves for the Ritz vectors: T's K largest eigenpairs as Ritz values and coefficients. */
export interface Iteration {
  m: number;
  values: Float64Array;
  /** m x K row-major. */
  coefficients: Float64Array;
  mNorm: number;
  matvecs: number;
  converged: boolean;
}

/**
 * A progress report at most this often (ms), and at most every 20 times the count's own time, while the cheap
 * pre-test skips the full convergence count.
 */
export const PROGRESS_MS = 1000;
/**
 * How far above its tolerance the K-th Ritz pair's estimate must be for the pre-test to skip the full count:
 * its value and vector come from bisection and inverse iteration, not QL, so near the tolerance the two
 * could disagree by rounding, and there the full count decides, as it always did.
 */
export const PRETEST_MARGIN = 100;
/** sum |h_r| / ||w|| at or below which the reorthogonalising subtraction may use the f32 basis (see the loops). */
export const F32_SUBTRACT_BOUND = 2 ** -30;

/**
 * A convergence test's full count, `count`: always when the cheap pre-test could not rule out a stop (`far`
 * false); else only for a progress report that is due (at most every PROGRESS_MS and every 20 times the count's
 * own time), and then -1 is returned all the same: the reports never decide anything.
 */
export function throttledCount(
  onProgress: ((done: number, total: number) => void) | undefined,
  K: number,
): (far: boolean, count: () => number) => number {
  let reported = Date.now(); // when onProgress was last called
  let countMs = 0; // what the last count for a report took: reports cost at most 5% of the time
  return (far, count) => {
    if (!far) {
      reported = Date.now();
      return count();
    }
    const now = Date.now();
    if (onProgress && now - reported >= Math.max(PROGRESS_MS, 20 * countMs)) {
      const c = count();
      reported = Date.now();
      countMs = reported - now;
      onProgress(Math.min(K - 1, c), K);
    }
    return -1;
  };
}

/**
 * Residual bound (relative to ||T||_1) that inverse iteration's vectors must meet; they reach a few eps, and
 * anything far above falls back to the full QL eigenvector matrix.
 */
export const INVERSE_ITERATION_RESIDUAL = 1e-13;

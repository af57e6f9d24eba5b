// The quantization model's loss L_n after learning the n most frequent quanta (paper section 2 and Appendix
// A; SPEC.md 3.1). Quanta are used with p_k = k^-(alpha+1) / zeta(alpha+1) (the paper's alpha, alpha > 0);
// learning quantum k lowers the loss on its samples from b_k to a_k:
//   L_n = sum_{k<=n} a_k p_k + sum_{k>n} b_k p_k.
// Each law comes as an exact sum (finite number of quanta, or infinitely many via Hurwitz zeta tails) and as
// the paper's asymptotic form. Losses are in nats.
import { requireInt, requireNumber } from '../core/errors.js';
import { zeta, zetaLogTail, zetaTail } from './zeta.js';

function checkAlpha(alpha: number): void {
  requireNumber(alpha, 'alpha (the paper convention p_k ~ k^-(alpha+1))', 0, 1000, true);
}

function checkN(n: number): void {
  requireNumber(n, 'n (quanta learned)', 0);
}

/** p_k = k^-(alpha+1) / zeta(alpha+1) over infinitely many quanta (k >= 1). */
export function quantumFrequency(k: number, alpha: number): number {
  checkAlpha(alpha);
  return Math.pow(k, -(alpha + 1)) / zeta(alpha + 1);
}

/** p_1..p_count of the infinite Zipf law (they sum to less than 1; see parity/task for a finite law). */
export function quantumFrequencies(count: number, alpha: number): Float64Array {
  checkAlpha(alpha);
  requireInt(count, 'count', 0, 1e8);
  const z = zeta(alpha + 1);
  const p = new Float64Array(count);
  for (let k = 1; k <= count; k++) p[k - 1] = Math.pow(k, -(alpha + 1)) / z;
  return p;
}

/** Probability mass of the quanta not yet learned, sum_{k>n} p_k (infinitely many quanta). */
export function unlearnedMass(n: number, alpha: number): number {
  checkAlpha(alpha);
  checkN(n);
  return zetaTail(alpha + 1, Math.floor(n)) / zeta(alpha + 1);
}

// ---- constant a_k = a, b_k = b -------------------------------------------------------------------------

/** Exact L_n for a_k = a, b_k = b and infinitely many quanta: a + (b - a) sum_{k>n} p_k. */
export function lossConstant(n: number, alpha: number, a: number, b: number): number {
  return a + (b - a) * unlearnedMass(n, alpha);
}

/** The paper's asymptotic form: L_n ~ a + (b - a) / (alpha zeta(alpha+1)) n^-alpha. */
export function lossConstantAsymptotic(n: number, alpha: number, a: number, b: number): number {
  checkAlpha(alpha);
  return a + ((b - a) / (alpha * zeta(alpha + 1))) * Math.pow(n, -alpha);
}

/**
 * Exact L_n for a_k = a, b_k = b and a FINITE number of quanta nQuanta, whose frequencies are renormalised
 * to sum to 1 (the multitask sparse parity setting).
 */
export function lossConstantFinite(n: number, alpha: number, a: number, b: number, nQuanta: number): number {
  checkAlpha(alpha);
  requireInt(nQuanta, 'number of quanta', 1, 1e8);
  let total = 0;
  let learned = 0;
  for (let k = 1; k <= nQuanta; k++) {
    const w = Math.pow(k, -(alpha + 1));
    total += w;
    if (k <= n) learned += w;
  }
  return a + ((b - a) * (total - learned)) / total;
}

// ---- Appendix A, case 1: b_k = -log p_k, a_k = 0 --------------------------------------------------------

/**
 * Exact L_n for b_k = -log p_k, a_k = 0 (infinitely many quanta):
 * sum_{k>n} p_k ((alpha+1) log k + log zeta(alpha+1)).
 */
export function lossLogCase1(n: number, alpha: number): number {
  checkAlpha(alpha);
  checkN(n);
  const s = alpha + 1;
  const z = zeta(s);
  const m = Math.floor(n);
  return (s * zetaLogTail(s, m) + Math.log(z) * zetaTail(s, m)) / z;
}

/**
 * The paper's asymptotic form of case 1 (Appendix A):
 * [(1 + alpha + alpha log zeta) / (alpha^2 zeta)] n^-alpha + [(alpha+1) / (alpha zeta)] n^-alpha log n.
 */
export function lossLogCase1Asymptotic(n: number, alpha: number): number {
  checkAlpha(alpha);
  const z = zeta(alpha + 1);
  const pow = Math.pow(n, -alpha);
  return (
    ((1 + alpha + alpha * Math.log(z)) / (alpha * alpha * z)) * pow +
    ((alpha + 1) / (alpha * z)) * pow * Math.log(n)
  );
}

// ---- Appendix A, case 2: b_k = -log p_k, a_k = -log(C p_k), C > 1 ---------------------------------------

/** The entropy of the quanta distribution, sum_k p_k (-log p_k) (nats). */
export function quantaEntropy(alpha: number): number {
  return lossLogCase1(0, alpha);
}

/**
 * Exact L_n for b_k = -log p_k and a_k = -log(C p_k), C > 1 (infinitely many quanta):
 * entropy - log C * sum_{k<=n} p_k.
 */
export function lossLogCase2(n: number, alpha: number, C: number): number {
  requireNumber(C, 'C', 1, Infinity, true);
  return quantaEntropy(alpha) - Math.log(C) * (1 - unlearnedMass(n, alpha));
}

/**
 * The paper's asymptotic form of case 2 (Appendix A), a power law plus a constant:
 * (log C) / (alpha zeta) n^-alpha - log C + (1 + alpha + alpha log zeta) / (alpha^2 zeta).
 * Its n-dependent part is asymptotically exact; its constant is the integral approximation of the entropy
 * (the exact limit is entropy - log C, see `lossLogCase2`).
 */
export function lossLogCase2Asymptotic(n: number, alpha: number, C: number): number {
  checkAlpha(alpha);
  requireNumber(C, 'C', 1, Infinity, true);
  const z = zeta(alpha + 1);
  return (
    (Math.log(C) / (alpha * z)) * Math.pow(n, -alpha) -
    Math.log(C) +
    (1 + alpha + alpha * Math.log(z)) / (alpha * alpha * z)
  );
}

// ---- quanta learned from data and steps (paper section 2) ------------------------------------------------

/**
 * Multi-epoch data: quantum k is learned once the training set holds at least tau of its examples, D p_k >=
 * tau. Returns that number of quanta (over infinitely many quanta): n = floor((D / (tau zeta))^(1/(alpha+1))).
 */
export function quantaLearnedFromData(D: number, alpha: number, tau: number): number {
  checkAlpha(alpha);
  requireNumber(D, 'D', 0);
  requireNumber(tau, 'tau', 0, Infinity, true);
  return Math.floor(Math.pow(D / (tau * zeta(alpha + 1)), 1 / (alpha + 1)) + 1e-9);
}

/**
 * Single-epoch steps: quantum k needs T / p_k * p_1 = T k^(alpha+1) steps (the first takes T), so after S
 * steps n = floor((S / T)^(1/(alpha+1))) quanta are learned.
 */
export function quantaLearnedFromSteps(S: number, alpha: number, T: number): number {
  checkAlpha(alpha);
  requireNumber(S, 'S', 0);
  requireNumber(T, 'T', 0, Infinity, true);
  return Math.floor(Math.pow(S / T, 1 / (alpha + 1)) + 1e-9);
}

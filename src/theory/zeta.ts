// The Riemann and Hurwitz zeta functions for real s > 1, by Euler-Maclaurin summation, with their derivative
// in s. The quantization model needs zeta(alpha+1) for the normalisation of p_k = k^-(alpha+1)/zeta(alpha+1)
// and the tails sum_{k>n} k^-s and sum_{k>n} k^-s log k for the exact L_n (SPEC.md 3.1).
import { require } from '../core/errors.js';

/** B_{2j} / (2j)! for j = 1..10 (Bernoulli numbers over factorials). */
const BERNOULLI_OVER_FACTORIAL = [
  1 / 12,
  -1 / 720,
  1 / 30240,
  -1 / 1209600,
  1 / 47900160,
  -691 / 1307674368000,
  1 / 74724249600,
  -3617 / 10670622842880000,
  43867 / 5109094217170944000,
  -174611 / 802857662698291200000,
];

/** Terms summed directly before the Euler-Maclaurin remainder takes over at x = q + DIRECT_TERMS. */
const DIRECT_TERMS = 16;

export interface HurwitzValue {
  /** zeta(s, q) = sum_{k>=0} (q + k)^-s */
  value: number;
  /** d/ds zeta(s, q) = -sum_{k>=0} (q + k)^-s log(q + k) */
  derivative: number;
}

/**
 * Hurwitz zeta zeta(s, q) = sum_{k>=0} (q+k)^-s and its s-derivative, for s > 1 and q > 0. Relative error
 * below about 1e-14 (16 direct terms, then the Euler-Maclaurin formula at X = q + 16 with 10 Bernoulli
 * corrections, each term j being B_2j/(2j)! * s(s+1)...(s+2j-2) * X^(-s-2j+1)).
 */
export function hurwitzZeta(s: number, q: number): HurwitzValue {
  require(Number.isFinite(s) && s > 1, `zeta needs s > 1 (alpha > 0), got s = ${s}`);
  require(Number.isFinite(q) && q > 0, `Hurwitz zeta needs q > 0, got ${q}`);
  let value = 0;
  let derivative = 0;
  for (let k = 0; k < DIRECT_TERMS; k++) {
    const x = q + k;
    const t = Math.pow(x, -s);
    value += t;
    derivative -= t * Math.log(x);
  }
  const x = q + DIRECT_TERMS;
  const logX = Math.log(x);
  const xs = Math.pow(x, -s);
  // integral_X^inf x^-s dx and f(X)/2
  value += (x * xs) / (s - 1) + xs / 2;
  derivative += -(x * xs) * (logX / (s - 1) + 1 / ((s - 1) * (s - 1))) - (xs * logX) / 2;
  // Bernoulli corrections: T_j = c_j * (s)_{2j-1} * X^(-s-2j+1); dT_j/ds = T_j * (sum_i 1/(s+i) - log X)
  let pochhammer = s; // (s)_{1}
  let pochLogDerivative = 1 / s; // d/ds log (s)_{2j-1}
  let power = xs / x; // X^(-s-1)
  for (let j = 0; j < BERNOULLI_OVER_FACTORIAL.length; j++) {
    const term = BERNOULLI_OVER_FACTORIAL[j] * pochhammer * power;
    value += term;
    derivative += term * (pochLogDerivative - logX);
    if (Math.abs(term) < 1e-17 * Math.abs(value)) break;
    const a = s + 2 * j + 1;
    const b = s + 2 * j + 2;
    pochhammer *= a * b;
    pochLogDerivative += 1 / a + 1 / b;
    power /= x * x;
  }
  return { value, derivative };
}

/** Riemann zeta(s) for real s > 1. */
export function zeta(s: number): number {
  return hurwitzZeta(s, 1).value;
}

/** sum_{k>n} k^-s, the tail of the zeta series after n terms (n >= 0), accurate even when it is tiny. */
export function zetaTail(s: number, n: number): number {
  return hurwitzZeta(s, n + 1).value;
}

/** sum_{k>n} k^-s log k (n >= 0). */
export function zetaLogTail(s: number, n: number): number {
  return -hurwitzZeta(s, n + 1).derivative;
}

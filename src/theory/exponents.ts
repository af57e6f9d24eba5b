// Predicted scaling exponents of the quantization model (paper section 2; SPEC.md 3.1), the paper's own
// measured exponents (SPEC.md 3.6: Figs. 8, 9, 10) and the published (alpha_N, alpha_D) pairs of Fig. 18
// (SPEC.md 5). alpha is the paper's alpha throughout: p_k ~ k^-(alpha+1).
import { requireNumber } from '../core/errors.js';

function checkAlpha(alpha: number): void {
  requireNumber(alpha, 'alpha (the paper convention p_k ~ k^-(alpha+1))', 0, 1000, true);
}

/** alpha_N = alpha: every quantum needs the same number of parameters. */
export function predictedAlphaN(alpha: number): number {
  checkAlpha(alpha);
  return alpha;
}

/** alpha_S = alpha / (alpha + 1): quantum k needs a number of steps proportional to 1 / p_k. */
export function predictedAlphaS(alpha: number): number {
  checkAlpha(alpha);
  return alpha / (alpha + 1);
}

/** alpha_D = alpha / (alpha + 1): quantum k needs tau examples of it in the training set. */
export function predictedAlphaD(alpha: number): number {
  checkAlpha(alpha);
  return alpha / (alpha + 1);
}

/** The exponent of the number of learned quanta, n ~ D^(1 / (alpha + 1)) (Fig. 9). */
export function predictedLearnedExponent(alpha: number): number {
  checkAlpha(alpha);
  return 1 / (alpha + 1);
}

/** alpha_D from alpha_N: alpha_D = alpha_N / (alpha_N + 1) (Fig. 18's solid curve). */
export function alphaDFromAlphaN(alphaN: number): number {
  requireNumber(alphaN, 'alpha_N', 0, Infinity, true);
  return alphaN / (alphaN + 1);
}

/** Convergence step of quantum k against its frequency: S_k ~ p_k^-1 in theory (slope -1, Fig. 8). */
export const PREDICTED_CONVERGENCE_SLOPE = -1;

/** Fig. 8 left (SPEC 3.5, 3.6): the paper's measured slope of log convergence step on log p_k. */
export const PAPER_CONVERGENCE_SLOPE = -0.81;

/** Fig. 8 right (SPEC 3.3): the paper's fitted alpha_S of the width-500 single run (alpha 0.4). */
export const PAPER_FIG8_ALPHA_S = 0.45;

export interface PaperExponents {
  alpha: number;
  alphaN: number;
  alphaS: number;
  alphaD: number;
  /** Fig. 9: fitted exponent of n(D). */
  learnedExponent: number;
}

/**
 * The paper's measured exponents, read off the plotted points of Fig. 10 (alpha_N, alpha_S, alpha_D; about
 * +-0.01-0.02) and Fig. 9 (exponent of n(D)), as transcribed in SPEC.md 3.6.
 */
export const PAPER_MEASURED_EXPONENTS: readonly PaperExponents[] = [
  { alpha: 0.1, alphaN: 0.22, alphaS: 0.23, alphaD: 0.27, learnedExponent: 0.88 },
  { alpha: 0.2, alphaN: 0.28, alphaS: 0.27, alphaD: 0.27, learnedExponent: 0.77 },
  { alpha: 0.3, alphaN: 0.34, alphaS: 0.31, alphaD: 0.29, learnedExponent: 0.74 },
  { alpha: 0.4, alphaN: 0.38, alphaS: 0.35, alphaD: 0.31, learnedExponent: 0.68 },
  { alpha: 0.5, alphaN: 0.45, alphaS: 0.38, alphaD: 0.33, learnedExponent: 0.68 },
  { alpha: 0.6, alphaN: 0.5, alphaS: 0.42, alphaD: 0.35, learnedExponent: 0.65 },
  { alpha: 0.7, alphaN: 0.57, alphaS: 0.47, alphaD: 0.37, learnedExponent: 0.62 },
  { alpha: 0.8, alphaN: 0.61, alphaS: 0.48, alphaD: 0.4, learnedExponent: 0.58 },
];

/** The paper's measured exponents at this alpha (within 1e-6), or undefined when the paper has none. */
export function paperExponents(alpha: number): PaperExponents | undefined {
  return PAPER_MEASURED_EXPONENTS.find((e) => Math.abs(e.alpha - alpha) < 1e-6);
}

export interface PublishedScalingLaw {
  study: string;
  /** Row index (0-based, header excluded) in Epoch's scaling-laws.csv (QM: scaling-laws.csv). */
  rows: number[];
  alphaN: number;
  alphaD: number;
}

/**
 * Fig. 18: (alpha_N, alpha_D) pairs of published studies, from Epoch's scaling-law database
 * (QM: scaling-laws.csv, columns "Exponent 1" / "Exponent 2"; rows named in SPEC.md 5 and the notebook
 * scaling-exponents-scatter.ipynb). Ardalani's pair (alpha_N 4.0) lies off the paper's axes.
 */
export const PUBLISHED_SCALING_LAWS: readonly PublishedScalingLaw[] = [
  { study: 'Rosenfeld et al. (AWD-LSTM, PTB)', rows: [0], alphaN: 0.81, alphaD: 0.34 },
  { study: 'Rosenfeld et al. (AWD-LSTM, WikiText-2)', rows: [1], alphaN: 1.01, alphaD: 0.22 },
  { study: 'Rosenfeld et al. (Transformer-XL, WikiText-103)', rows: [2], alphaN: 0.74, alphaD: 0.56 },
  { study: 'Rosenfeld et al. (ResNet-50, ImageNet)', rows: [3], alphaN: 0.75, alphaD: 0.61 },
  { study: 'Rosenfeld et al. (WRN-44-16, CIFAR10)', rows: [4], alphaN: 0.66, alphaD: 0.53 },
  { study: 'Rosenfeld et al. (WRN-44-16, CIFAR100)', rows: [5], alphaN: 0.7, alphaD: 0.51 },
  { study: 'Rosenfeld et al. (WRN-44-16, DTD)', rows: [6], alphaN: 0.4, alphaD: 1.16 },
  { study: 'Rosenfeld et al. (WRN-44-16, Aircraft)', rows: [7], alphaN: 1.1, alphaD: 0.83 },
  { study: 'Rosenfeld et al. (WRN-44-16, UCF101)', rows: [8], alphaN: 0.93, alphaD: 0.54 },
  { study: 'Kaplan et al.', rows: [12], alphaN: 0.076, alphaD: 0.095 },
  { study: 'Hoffmann et al. (Chinchilla)', rows: [36], alphaN: 0.34, alphaD: 0.28 },
  { study: 'Ardalani et al. (DLRM)', rows: [123, 122], alphaN: 4.0, alphaD: 0.1 },
  { study: 'Gordon et al. (Ru-En)', rows: [128], alphaN: 0.11, alphaD: 0.38 },
  { study: 'Gordon et al. (De-En)', rows: [129], alphaN: 0.13, alphaD: 0.35 },
  { study: 'Gordon et al. (Zh-En)', rows: [130], alphaN: 0.12, alphaD: 0.43 },
  { study: 'Droppo & Elibol (acoustic)', rows: [134, 135], alphaN: 0.016, alphaD: 0.019 },
];

export interface AlphaRelationRow extends PublishedScalingLaw {
  /** alpha_N / (alpha_N + 1): the quantization model's prediction of alpha_D. */
  predictedAlphaD: number;
  /** measured alpha_D minus predicted. */
  residual: number;
}

/** Fig. 18 as a table: each study's alpha_D beside the alpha_D = alpha_N/(alpha_N+1) prediction. */
export function alphaRelationTable(): AlphaRelationRow[] {
  return PUBLISHED_SCALING_LAWS.map((law) => {
    const predicted = alphaDFromAlphaN(law.alphaN);
    return { ...law, rows: [...law.rows], predictedAlphaD: predicted, residual: law.alphaD - predicted };
  });
}

export interface ExponentPredictions {
  alpha: number;
  alphaN: number;
  alphaS: number;
  alphaD: number;
  learnedExponent: number;
  convergenceSlope: number;
}

export function predictedExponents(alpha: number): ExponentPredictions {
  return {
    alpha,
    alphaN: predictedAlphaN(alpha),
    alphaS: predictedAlphaS(alpha),
    alphaD: predictedAlphaD(alpha),
    learnedExponent: predictedLearnedExponent(alpha),
    convergenceSlope: PREDICTED_CONVERGENCE_SLOPE,
  };
}

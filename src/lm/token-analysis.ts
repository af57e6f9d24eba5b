// The paper's analyses of per-token losses (section 4; SPEC.md section 5), on any tokens x models matrix:
//   - mean-loss scaling L(N) ~ N^-alpha_N by least squares of ln mean loss on ln N (Fig. 3 left);
//   - p(L) and L p(L) of each model, in bits (Fig. 3 middle and right);
//   - the same over training checkpoints, with alpha_S (Fig. 11);
//   - monogenic and polygenic tokens by the paper's criteria, their shares (Figs. 4 and 12).
import { require } from '../core/errors.js';
import { linearFit, powerLawFit, type PowerLawFit } from '../scaling/fit.js';
import { NATS_PER_BIT as LN2 } from '../core/units.js';

/** Monogenic: above 5.0 nats for every model before some index j, below 0.3 nats from j on (SPEC.md 5). */
export const MONOGENIC_HIGH_NATS = 5.0;
export const MONOGENIC_LOW_NATS = 0.3;
/** Polygenic: slope of loss (nats) on ln N below -0.3 with R^2 above 0.98 (SPEC.md 5, Figs. 4 and 12). */
export const POLYGENIC_MAX_SLOPE = -0.3;
export const POLYGENIC_MIN_R2 = 0.98;
/** The paper scans the first 100,000 tokens for polygenic ones. */
export const POLYGENIC_ROWS = 100_000;
/** p(L): np.histogram(bits, bins=1000, range=(0, 18), density=True) in the paper; 0.1-bit bins here. */
export const HISTOGRAM_MAX_BITS = 18;
export const HISTOGRAM_BINS = 180;
/**
 * alpha_S window: Pythia's fit uses steps 11k..100k of 143k (SPEC.md 5, Fig. 11), i.e. fractions 0.077..0.70 of
 * training; checkpoints in that window are used (all checkpoints when fewer than 3 fall in it).
 */
export const ALPHA_S_WINDOW: [number, number] = [11 / 143, 100 / 143];

/** Mean of each column of a rows x cols matrix, in f64. */
export function columnMeans(losses: Float32Array, rows: number, cols: number): number[] {
  const sum = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) sum[c] += losses[r * cols + c];
  return Array.from(sum, (s) => s / rows);
}

export interface MeanLossScaling {
  /** Mean loss (nats) per model. */
  meanLoss: number[];
  fit: PowerLawFit;
  /** -slope of ln mean loss on ln N. */
  alphaN: number;
  /** How many of the smallest models the fit used (the paper leaves its largest out). */
  modelsFitted: number;
}

/** Fig. 3 left: alpha_N from the mean loss of each model (optionally leaving the largest out, as the paper). */
export function meanLossScaling(
  losses: Float32Array,
  rows: number,
  parameters: number[],
  excludeLargest = false,
): MeanLossScaling {
  const M = parameters.length;
  const meanLoss = columnMeans(losses, rows, M);
  const k = excludeLargest ? M - 1 : M;
  require(k >= 2, 'the mean-loss fit needs at least 2 models');
  const fit = powerLawFit(parameters.slice(0, k), meanLoss.slice(0, k));
  return { meanLoss, fit, alphaN: -fit.slope, modelsFitted: k };
}

export interface LossHistogram {
  /** Left edges of the bins, bits. */
  edges: number[];
  /** density[c][b]: p(L) of column c in bin b (1/bits), as np.histogram(density=True). */
  density: number[][];
  /** Share of each column's losses beyond the range (left out, as np.histogram does). */
  outside: number[];
}

/** p(L) of every column, in bits, over [0, maxBits) in `bins` equal bins (Fig. 3 middle). */
export function lossHistograms(
  losses: Float32Array,
  rows: number,
  cols: number,
  bins = HISTOGRAM_BINS,
  maxBits = HISTOGRAM_MAX_BITS,
): LossHistogram {
  const width = maxBits / bins;
  const counts = Array.from({ length: cols }, () => new Float64Array(bins));
  const inside = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const bits = losses[r * cols + c] / LN2;
      if (bits > maxBits) continue;
      counts[c][Math.min(bins - 1, Math.floor(bits / width))]++;
      inside[c]++;
    }
  }
  return {
    edges: Array.from({ length: bins }, (_, b) => b * width),
    density: counts.map((cnt, c) => Array.from(cnt, (n) => (inside[c] > 0 ? n / (inside[c] * width) : 0))),
    outside: Array.from(inside, (n) => 1 - n / rows),
  };
}

export interface TrainingScaling {
  steps: number[];
  meanLoss: number[];
  fit: PowerLawFit | null;
  /** -slope of ln mean loss on ln step over the window. */
  alphaS: number | null;
  /** Steps the fit used. */
  window: [number, number] | null;
}

/** Fig. 11 left: the mean loss at each checkpoint and alpha_S over the paper's window (fractions of the last step). */
export function trainingScaling(losses: Float32Array, rows: number, steps: number[]): TrainingScaling {
  const meanLoss = columnMeans(losses, rows, steps.length);
  const last = steps[steps.length - 1];
  let idx = steps
    .map((_, i) => i)
    .filter((i) => steps[i] >= ALPHA_S_WINDOW[0] * last && steps[i] <= ALPHA_S_WINDOW[1] * last);
  if (idx.length < 3) idx = steps.map((_, i) => i);
  if (idx.length < 2) return { steps, meanLoss, fit: null, alphaS: null, window: null };
  const fit = powerLawFit(
    idx.map((i) => steps[i]),
    idx.map((i) => meanLoss[i]),
  );
  return { steps, meanLoss, fit, alphaS: -fit.slope, window: [steps[idx[0]], steps[idx[idx.length - 1]]] };
}

export interface MonogenicToken {
  row: number;
  /** The first model index at which the token is below 0.3 nats (every smaller model is above 5.0). */
  transition: number;
}

/** Rows whose losses drop from above 5.0 nats to below 0.3 nats at one model index j in 1..M-1 (Figs. 4, 12). */
export function monogenicTokens(losses: Float32Array, rows: number, cols: number): MonogenicToken[] {
  const out: MonogenicToken[] = [];
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    // j = the number of leading models above the high threshold; the rest must all be below the low one
    let j = 0;
    while (j < cols && losses[o + j] > MONOGENIC_HIGH_NATS) j++;
    if (j === 0 || j === cols) continue;
    let low = true;
    for (let c = j; c < cols && low; c++) low = losses[o + c] < MONOGENIC_LOW_NATS;
    if (low) out.push({ row: r, transition: j });
  }
  return out;
}

export interface PolygenicToken {
  row: number;
  /** d loss (nats) / d ln N. */
  slope: number;
  r2: number;
}

/** Rows among the first `scanRows` whose loss falls smoothly with ln N: slope < -0.3, R^2 > 0.98. */
export function polygenicTokens(
  losses: Float32Array,
  rows: number,
  parameters: number[],
  scanRows = POLYGENIC_ROWS,
): PolygenicToken[] {
  const M = parameters.length;
  const lnN = parameters.map(Math.log);
  const out: PolygenicToken[] = [];
  const y = new Float64Array(M);
  const n = Math.min(rows, scanRows);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < M; c++) y[c] = losses[r * M + c];
    let spread = 0;
    for (let c = 1; c < M; c++) spread = Math.max(spread, Math.abs(y[c] - y[0]));
    if (spread === 0) continue;
    const fit = linearFit(lnN, y);
    if (fit.slope < POLYGENIC_MAX_SLOPE && fit.r2 > POLYGENIC_MIN_R2)
      out.push({ row: r, slope: fit.slope, r2: fit.r2 });
  }
  return out;
}

export interface TokenScalingAnalysis {
  rows: number;
  parameters: number[];
  scaling: MeanLossScaling;
  histograms: LossHistogram;
  monogenic: MonogenicToken[];
  polygenic: PolygenicToken[];
  /** Monogenic rows / all rows; polygenic rows / rows scanned. */
  monogenicShare: number;
  polygenicShare: number;
  polygenicRowsScanned: number;
  /** Rows that first fall below 0.3 nats at model m (m >= 1) and stay below at every larger model, per m (SPEC.md 5 side statistic). */
  staysLearnedShare: (number | null)[];
  training?: TrainingScaling & { histograms: LossHistogram };
}

/** Of the rows first below 0.3 nats at model m, the share that stays below at every larger model. */
export function staysLearnedShare(losses: Float32Array, rows: number, cols: number): (number | null)[] {
  const first = new Float64Array(cols);
  const stays = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    let m = 0;
    while (m < cols && !(losses[o + m] < MONOGENIC_LOW_NATS)) m++;
    if (m >= cols) continue;
    first[m]++;
    let ok = true;
    for (let c = m + 1; c < cols && ok; c++) ok = losses[o + c] < MONOGENIC_LOW_NATS;
    if (ok) stays[m]++;
  }
  return Array.from(first, (f, m) => (m < cols - 1 && f > 0 ? stays[m] / f : null));
}

export interface TokenAnalysisInput {
  losses: Float32Array;
  rows: number;
  parameters: number[];
  excludeLargest?: boolean;
  polygenicRows?: number;
  checkpoints?: { losses: Float32Array; rows: number; steps: number[] };
}

/** Every analysis of section 4 on one matrix (and optionally one model's checkpoints). */
export function analyseTokenLosses(input: TokenAnalysisInput): TokenScalingAnalysis {
  const { losses, rows, parameters } = input;
  const M = parameters.length;
  const scanRows = Math.min(rows, input.polygenicRows ?? POLYGENIC_ROWS);
  const monogenic = monogenicTokens(losses, rows, M);
  const polygenic = polygenicTokens(losses, rows, parameters, scanRows);
  const a: TokenScalingAnalysis = {
    rows,
    parameters,
    scaling: meanLossScaling(losses, rows, parameters, input.excludeLargest),
    histograms: lossHistograms(losses, rows, M),
    monogenic,
    polygenic,
    monogenicShare: monogenic.length / rows,
    polygenicShare: polygenic.length / scanRows,
    polygenicRowsScanned: scanRows,
    staysLearnedShare: staysLearnedShare(losses, rows, M),
  };
  const ck = input.checkpoints;
  if (ck) {
    a.training = {
      ...trainingScaling(ck.losses, ck.rows, ck.steps),
      histograms: lossHistograms(ck.losses, ck.rows, ck.steps.length),
    };
  }
  return a;
}

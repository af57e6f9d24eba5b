// Rank-frequency analysis of QDG clusterings (SPEC.md 4.2; paper section 5.1 and Figure 5 right).
//
// For each cluster count K the cluster sizes are sorted in descending order and plotted against rank 1..K on
// log-log axes. The envelope at rank r is the largest r-th cluster size over every K. Its slope, fitted by
// ordinary least squares of ln(size) on ln(rank) over a window of ranks, estimates -(1 + alpha_N): under the
// quantization hypothesis quanta are used with frequencies p_k ~ k^-(alpha+1) and alpha = alpha_N.
//
// Window scaling: the paper fits ranks 101..1000 of S = 10,000 samples (QM: notebooks/llm-clustering-plot.ipynb,
// `xs[100:1000]`), i.e. ranks from S/100 + 1 to S/10. We keep those proportions for any S:
// ranks [round(S/100) + 1, round(S/10)] by default (defaultEnvelopeWindow), overridable by the caller
// (`--window a:b`). For S = 10,000 this is exactly the paper's window. When the largest K is below the
// window's end, the default window shrinks to the envelope (capWindowToClusters).
import { ConfigError } from '../core/errors.js';
import { linearFit } from '../scaling/fit.js';

/** The paper's measured slope on pythia-70m (Figure 5): -1.237. */
export const PAPER_ENVELOPE_SLOPE = -1.237;
/** The paper's alpha_N for LLMs (Figure 3; the Pythia mean-loss scaling exponent). */
export const PAPER_ALPHA_N = 0.083;
/** The paper's default cluster-count range: 10..1500 for 10,000 samples, so up to S/7 (SPEC.md 4.1 item 9). */
export const CLUSTER_COUNT_SPAN = 7;
/** Number of cluster counts in the paper's sweep (SPEC.md 4.1 item 9: 30 values). */
export const CLUSTER_COUNT_VALUES = 30;

/** An inclusive window of ranks (1-based). */
export interface RankWindow {
  first: number;
  last: number;
}

/** The envelope fit: ln(size) = intercept + slope * ln(rank) over the ranks used. */
export interface EnvelopeFit {
  /** The fitted slope (NaN when fewer than two usable ranks). */
  envelopeSlope: number;
  intercept: number;
  /** Coefficient of determination of the fit. */
  r2: number;
  /** The requested window. */
  window: RankWindow;
  /** The ranks actually used: inside the window, within the envelope's length and with size > 0. */
  ranksUsed: number;
}

/**
 * Cluster sizes of a labelling, sorted in descending order (empty clusters dropped).
 * `labels[i]` in [0, K). Returns the non-zero counts, largest first.
 */
export function clusterSizes(labels: ArrayLike<number>, K: number): number[] {
  const counts = new Array<number>(K).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= K) throw new RangeError(`label ${c} outside [0, ${K})`);
    counts[c]++;
  }
  return counts.filter((c) => c > 0).sort((a, b) => b - a);
}

/**
 * The envelope of several rank-frequency curves: envelope[r - 1] = max over curves of the r-th largest size
 * (curves shorter than r do not count). Each curve must be sorted in descending order.
 */
export function rankFrequencyEnvelope(curves: Iterable<ArrayLike<number>>): number[] {
  const envelope: number[] = [];
  for (const sizes of curves) {
    for (let r = 0; r < sizes.length; r++) {
      if (r >= envelope.length) envelope.push(sizes[r]);
      else if (sizes[r] > envelope[r]) envelope[r] = sizes[r];
    }
  }
  return envelope;
}

/**
 * The default fitting window for S samples: ranks [round(S/100) + 1, round(S/10)], the paper's ranks
 * 101..1000 of 10,000 samples scaled with S. At least two ranks wide.
 */
export function defaultEnvelopeWindow(samples: number): RankWindow {
  const first = Math.round(samples / 100) + 1;
  const last = Math.max(first + 1, Math.round(samples / 10));
  return { first, last };
}

/**
 * The default window when the cluster counts stop short of it: if the largest K is below the window's last
 * rank (the toy's K <= 500 of 7,069 points, or a short --clusters list), the envelope ends at rank K with a
 * "cliff" that a fit must not include. The paper's window ends at 1000 with K up to 1500 (two thirds) and
 * starts at a tenth of its end; keep those proportions: last = round(2 K / 3), first = min(first, round(last/10)).
 * A window that fits inside the envelope is returned unchanged.
 */
export function capWindowToClusters(window: RankWindow, maxK: number): RankWindow {
  if (window.last <= maxK) return window;
  const last = Math.max(2, Math.round((2 * maxK) / 3));
  const first = Math.max(1, Math.min(window.first, Math.round(last / 10), last - 1));
  return { first, last };
}

/**
 * Parses `a:b` (1-based inclusive ranks) into a window, or throws a ConfigError. Syntax only: the ranks are
 * checked (1 <= a < b) once, with every other option, by qdgConfig (./config.ts).
 */
export function parseWindow(text: string): RankWindow {
  const m = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--window must be 'a:b' with integer ranks 1 <= a < b, got '${text}'`);
  return { first: Number(m[1]), last: Number(m[2]) };
}

/**
 * Ordinary least squares of ln(envelope[r - 1]) on ln(r) over the ranks r of `window` that exist in the
 * envelope and have a positive size (SPEC.md 9: fits are OLS on logs, no offset term).
 */
export function envelopeSlope(envelope: ArrayLike<number>, window: RankWindow): EnvelopeFit {
  const xs: number[] = [];
  const ys: number[] = [];
  const last = Math.min(window.last, envelope.length);
  for (let r = Math.max(1, window.first); r <= last; r++) {
    const size = envelope[r - 1];
    if (size > 0) {
      xs.push(Math.log(r));
      ys.push(Math.log(size));
    }
  }
  const fit = leastSquaresLine(xs, ys);
  return { envelopeSlope: fit.slope, intercept: fit.intercept, r2: fit.r2, window, ranksUsed: xs.length };
}

/** y = intercept + slope * x by least squares (scaling/fit.ts linearFit); NaNs when fewer than two points or x is constant. */
export function leastSquaresLine(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
): { slope: number; intercept: number; r2: number } {
  const distinct = xs.length >= 2 && Array.prototype.some.call(xs, (x: number) => x !== xs[0]);
  if (!distinct) return { slope: NaN, intercept: NaN, r2: NaN };
  const { slope, intercept, r2 } = linearFit(xs, ys);
  return { slope, intercept, r2 };
}

/** The quantization model's prediction for the envelope slope: -(1 + alpha_N) (paper section 5.1). */
export function predictedEnvelopeSlope(alphaN: number): number {
  return -(1 + alphaN);
}

/**
 * The default list of cluster counts for S samples: CLUSTER_COUNT_VALUES log-spaced integers from 10 to S/7
 * (SPEC: 10..1500 for 10,000 samples), rounded and deduplicated, each in [2, S - 1].
 */
export function defaultClusterCounts(samples: number): number[] {
  const hi = Math.max(2, Math.min(samples - 1, Math.floor(samples / CLUSTER_COUNT_SPAN)));
  const lo = Math.min(10, hi);
  const out = new Set<number>();
  for (let i = 0; i < CLUSTER_COUNT_VALUES; i++) {
    const t = i / (CLUSTER_COUNT_VALUES - 1);
    out.add(Math.round(lo * Math.pow(hi / lo, t)));
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * The paper's cluster counts (SPEC.md 4.1 item 9: CLUSTER_COUNTS of compute_clusters_full_more.py, 30 values
 * from 10 to 1500 for 10,000 samples); `--clusters paper` on the command line.
 */
export const PAPER_CLUSTER_COUNTS: readonly number[] = [
  10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 125, 150, 175, 200, 225, 250, 275, 300, 350, 400, 500, 600, 700,
  800, 900, 1000, 1100, 1200, 1400, 1500,
];

/** Rows (K, rank, size) of every rank-frequency curve, for rank-frequency.csv. */
export function rankFrequencyCsv(curves: Map<number, ArrayLike<number>>): string {
  const lines = ['K,rank,size_samples'];
  for (const [K, sizes] of [...curves].sort((a, b) => a[0] - b[0])) {
    for (let r = 0; r < sizes.length; r++) lines.push(`${K},${r + 1},${sizes[r]}`);
  }
  return lines.join('\n') + '\n';
}

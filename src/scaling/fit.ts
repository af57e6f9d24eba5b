// Power-law fits as the paper makes them (SPEC.md 3.2-3.4, 9): ordinary least squares of ln y on ln x, with
// no irreducible-loss term and no weighting; a seeded percentile bootstrap for confidence intervals; and
// Spearman's rank correlation.
import { ConfigError } from '../core/errors.js';
import { CounterRandom, Stream } from '../core/rng.js';

export interface PowerLawFit {
  /** d ln y / d ln x. A scaling exponent is -slope. */
  slope: number;
  /** ln y at x = 1. */
  intercept: number;
  /** Coefficient of determination of the log-log regression. */
  r2: number;
  /** Points used (after dropping non-positive ones). */
  n: number;
}

/** OLS of y on x. Throws a ConfigError when fewer than 2 points or all x are equal. */
export function linearFit(x: ArrayLike<number>, y: ArrayLike<number>): PowerLawFit {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`linearFit: ${n} x values but ${y.length} y values`);
  if (n < 2) throw new ConfigError(`a fit needs at least 2 points, got ${n}`);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxx += dx * dx;
    sxy += dx * dy;
    syy += dy * dy;
  }
  if (!(sxx > 0)) throw new ConfigError('a fit needs at least 2 distinct x values');
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy > 0 ? (sxy * sxy) / (sxx * syy) : 1;
  return { slope, intercept, r2, n };
}

/** Keeps the points with x > 0 and y > 0 (a log-log fit cannot use the others). */
export function positivePoints(x: ArrayLike<number>, y: ArrayLike<number>): { x: number[]; y: number[] } {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 0 && y[i] > 0 && Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      xs.push(x[i]);
      ys.push(y[i]);
    }
  }
  return { x: xs, y: ys };
}

/** OLS of ln y on ln x (y ~ e^intercept x^slope). Points with x <= 0 or y <= 0 are dropped. */
export function powerLawFit(x: ArrayLike<number>, y: ArrayLike<number>): PowerLawFit {
  const p = positivePoints(x, y);
  return linearFit(p.x.map(Math.log), p.y.map(Math.log));
}

/** The fitted power law at x: e^intercept x^slope. */
export function powerLawAt(fit: Pick<PowerLawFit, 'slope' | 'intercept'>, x: number): number {
  return Math.exp(fit.intercept + fit.slope * Math.log(x));
}

export interface BootstrapOptions {
  /** Resamples (default 1000). */
  resamples?: number;
  /** Seed of the resampling (default 0): the same seed gives the same interval. */
  seed?: number;
  /**
   * Group of each point (e.g. the run's seed). With two or more distinct groups, whole groups are
   * resampled (a cluster bootstrap over runs/seeds); otherwise single points are.
   */
  groups?: ArrayLike<number | string>;
  /** Central coverage (default 0.95: the 2.5 and 97.5 percentiles). */
  level?: number;
}

export interface BootstrapInterval {
  /** Percentile interval of the slope. */
  slopeCi: [number, number];
  /** Resamples whose fit was defined (all x equal makes a resample unusable). */
  used: number;
}

/** The q-quantile (0..1) of sorted values, linear interpolation between order statistics. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Percentile bootstrap of the log-log slope: resample points (or groups of points) with replacement, refit,
 * and take the (1-level)/2 and (1+level)/2 percentiles of the slopes. Seeded and deterministic.
 */
export function bootstrapPowerLaw(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapInterval {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const lx: number[] = [];
  const ly: number[] = [];
  const g: (number | string)[] = [];
  for (let i = 0; i < x.length; i++) {
    if (x[i] > 0 && y[i] > 0 && Number.isFinite(x[i]) && Number.isFinite(y[i])) {
      lx.push(Math.log(x[i]));
      ly.push(Math.log(y[i]));
      g.push(options.groups ? options.groups[i] : i);
    }
  }
  const groupIds = [...new Set(g)];
  const clusters: number[][] = groupIds.length >= 2 ? groupIds.map(() => []) : lx.map((_, i) => [i]);
  if (groupIds.length >= 2) {
    const index = new Map(groupIds.map((id, j) => [id, j]));
    g.forEach((id, i) => clusters[index.get(id)!].push(i));
  }
  const rng = new CounterRandom(options.seed ?? 0, Stream.bootstrap);
  const slopes: number[] = [];
  const bx: number[] = [];
  const by: number[] = [];
  for (let r = 0; r < resamples && clusters.length > 0; r++) {
    bx.length = 0;
    by.length = 0;
    for (let c = 0; c < clusters.length; c++) {
      for (const i of clusters[rng.nextInt(clusters.length)]) {
        bx.push(lx[i]);
        by.push(ly[i]);
      }
    }
    const slope = olsSlope(bx, by);
    if (Number.isFinite(slope)) slopes.push(slope);
  }
  slopes.sort((a, b) => a - b);
  return {
    slopeCi: [quantileSorted(slopes, (1 - level) / 2), quantileSorted(slopes, (1 + level) / 2)],
    used: slopes.length,
  };
}

function olsSlope(x: number[], y: number[]): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  return sxx > 1e-300 ? sxy / sxx : NaN;
}

/** Ranks 1..n with ties given their average rank. */
export function averageRanks(values: ArrayLike<number>): number[] {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let t = i; t <= j; t++) ranks[order[t]] = rank;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's rank correlation: the Pearson correlation of the average ranks. NaN for constant input. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new RangeError(`spearman: ${x.length} vs ${y.length} values`);
  if (x.length < 2) return NaN;
  const rx = averageRanks(x);
  const ry = averageRanks(y);
  const n = rx.length;
  const m = (n + 1) / 2;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i] - m) * (ry[i] - m);
    sxx += (rx[i] - m) * (rx[i] - m);
    syy += (ry[i] - m) * (ry[i] - m);
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

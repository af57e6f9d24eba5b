// Over 450 lines by choice: every figure of the sweep report shares its axes, scales and anchoring rules here.
// Figures of a sweep folder's runs and fits, drawn as the paper draws them: mean loss against N, S and D on
// log-log axes with the fit and the theory line (Fig. 2 top, Fig. 10), per-subtask loss heatmaps (Fig. 2
// bottom), per-subtask learning curves (Fig. 7), convergence step against frequency (Fig. 8), learned
// subtasks n(D) (Fig. 9) and the exponents against alpha (Fig. 10). Losses are shown in bits.
import type { RunRecord } from '../train/record.js';
import type { AlphaFits, ExponentFit } from '../scaling/analysis.js';
import { earlyStopIndex, multiEpochRuns, singleEpochRuns, widestRuns } from '../scaling/analysis.js';
import type { CsvValue } from './csv.js';
import { dataScale, FIGURE_HEIGHT, FIGURE_WIDTH, type Figure, type VegaLiteSpec } from './vega.js';
import { NATS_PER_BIT as LN2 } from '../core/units.js';

export type Row = Record<string, CsvValue>;
type Variable = 'N' | 'S' | 'D';

export const AXIS_TITLE: Record<Variable, string> = {
  N: 'Parameters (N)',
  S: 'Steps (S)',
  D: 'Training samples (D)',
};
const THEORY_LABEL: Record<Variable, string> = {
  N: 'L ∝ N^-alpha',
  S: 'L ∝ S^-alpha/(alpha+1)',
  D: 'L ∝ D^-alpha/(alpha+1)',
};
/** Fig. 2 bottom shows subtasks 1..41 (SPEC 3.5). */
export const HEATMAP_RANKS = 41;
/** Most columns / points per curve drawn (log-evenly thinned beyond), to keep the SVG small. */
const MAX_COLUMNS = 150;

/** Keeps indices log-evenly spaced over positive steps. */
function thinLog(steps: number[], max: number): number[] {
  const idx = steps.map((s, i) => [s, i]).filter(([s]) => s > 0);
  if (idx.length <= max) return idx.map(([, i]) => i);
  const lo = Math.log(idx[0][0]);
  const hi = Math.log(idx[idx.length - 1][0]);
  const picked = new Set<number>();
  let j = 0;
  for (let t = 0; t < max; t++) {
    const target = lo + ((hi - lo) * t) / (max - 1);
    while (j < idx.length - 1 && Math.log(idx[j][0]) < target) j++;
    picked.add(idx[j][1]);
  }
  return [...picked].sort((a, b) => a - b);
}

/** A log scale over the data only (no padded decades), for facets whose panels each take their own domain. */
export const logScale = { type: 'log', nice: false, padding: 6 };

/** Fit and theory lines over a fit's window; the theory line is anchored to the fit at the window's middle. */
export function fitLines(fit: ExponentFit, alpha: number, sign: 1 | -1): Row[] {
  if (fit.slope === null || fit.intercept === null || !fit.window) return [];
  const [lo, hi] = fit.window;
  const mid = Math.sqrt(lo * hi);
  const at = (x: number) => Math.exp(fit.intercept! + fit.slope! * Math.log(x));
  const theorySlope = sign * fit.predicted;
  const theoryAt = (x: number) => at(mid) * Math.pow(x / mid, theorySlope);
  return [lo, hi].flatMap((x) => [
    { alpha, series: 'fit', x, y: at(x) },
    { alpha, series: 'theory', x, y: theoryAt(x) },
  ]);
}

/** How paperTheoryLine anchors each theory line (SPEC 3.2-3.4). */
const PAPER_ANCHOR: Record<Variable, string> = {
  N: 'from N = 1e4, ending at the largest N’s loss / 0.9',
  S: 'from the loss at step 1000, drawn at half the steps as the notebook does',
  D: 'from the loss at D = 6e4, where the paper’s leaves the 1-bit plateau',
};

/** The mean y of the points at the x nearest to `x` (in log), or null. */
function lossNear(points: { x: number; y: number }[], x: number): { x: number; y: number } | null {
  if (points.length === 0) return null;
  let best = points[0].x;
  for (const p of points) if (Math.abs(Math.log(p.x / x)) < Math.abs(Math.log(best / x))) best = p.x;
  const ys = points.filter((p) => p.x === best).map((p) => p.y);
  return { x: best, y: ys.reduce((a, b) => a + b, 0) / ys.length };
}

/**
 * The theory line drawn as the paper's Fig. 2 draws it (SPEC 3.2-3.4), not a fit: N: slope -alpha over
 * [1e4, N_max], scaled to end at (the largest N's loss) / 0.9; S: slope -alpha/(alpha+1) computed on steps
 * [1e3, 1e5] from the loss at step 1000 and plotted at half those steps (the notebook's xs/2); D: slope
 * -alpha/(alpha+1) from D = 6e4 (where the paper's loss leaves the 1-bit plateau) to the largest D.
 */
export function paperTheoryLine(variable: Variable, fit: ExponentFit, alpha: number): Row[] {
  const pts = fit.points.filter((p) => p.x > 0 && p.y > 0);
  if (pts.length < 2) return [];
  const slope = -fit.predicted;
  const xmax = Math.max(...pts.map((p) => p.x));
  const line = (x0: number, y0: number, from: number, to: number, shift = 1): Row[] =>
    from < to
      ? [from, to].map((x) => ({ alpha, series: 'theory', x: x * shift, y: y0 * Math.pow(x / x0, slope) }))
      : [];
  if (variable === 'N') {
    const last = lossNear(pts, xmax)!;
    // over [1e4, N_max] as the paper; a sweep that ends below 1e4 gets the line over its whole range
    return line(xmax, last.y / 0.9, xmax > 1e4 ? 1e4 : Math.min(...pts.map((p) => p.x)), xmax);
  }
  if (variable === 'S') {
    const start = lossNear(pts, 1000)!;
    return line(start.x, start.y, start.x, Math.min(100 * start.x, xmax), 0.5);
  }
  const first = lossNear(
    pts.filter((p) => p.x >= 6e4),
    6e4,
  );
  return first ? line(first.x, first.y, first.x, xmax) : [];
}

/** The CSV column of each variable's x (named with its unit). */
export const X_COLUMN: Record<Variable, string> = {
  N: 'parameters',
  S: 'steps',
  D: 'training_samples',
};
/** The legend entries of a series legend: what each line or point is. */
const SERIES_DASH: Record<string, number[]> = { measured: [1, 0], fit: [1, 0], theory: [6, 4] };

/**
 * Mean test loss against N, S or D: the measured points (S: the widest runs' curves), the least-squares fit
 * over the window (solid) and the theory line (dashed), with a legend naming each, one colour per alpha when
 * there are several. Both axes span the plotted values exactly (log, no padded decades).
 */
export function lossScalingFigure(variable: Variable, fits: AlphaFits[]): Figure | null {
  const xc = X_COLUMN[variable];
  const yc = 'mean_test_loss_bits';
  const measured: Row[] = [];
  const lines: Row[] = [];
  for (const f of fits) {
    const fit = f[variable];
    const pts = variable === 'S' ? fit.points.filter((p) => p.x > 0) : fit.points;
    for (const p of pts)
      measured.push({ alpha: f.alpha, series: 'measured', [xc]: p.x, [yc]: p.y, seed: p.seed, used: p.used });
    // the fit over its window, and the theory line anchored as the paper anchors it
    const drawn = [
      ...fitLines(fit, f.alpha, -1).filter((l) => l.series === 'fit'),
      ...paperTheoryLine(variable, fit, f.alpha),
    ];
    for (const l of drawn) lines.push({ alpha: l.alpha, series: l.series, [xc]: l.x, [yc]: l.y });
  }
  if (measured.length === 0) return null;
  const all = [...measured, ...lines];
  const several = fits.length > 1;
  const seriesDomain = ['measured', 'fit', 'theory'];
  const seriesColor = {
    field: 'series',
    type: 'nominal',
    scale: { domain: seriesDomain, range: ['#1fa8e0', '#000000', '#555555'] },
    title: null,
  };
  const color = several
    ? { field: 'alpha', type: 'ordinal', scale: { scheme: 'viridis' }, title: 'alpha' }
    : seriesColor;
  const x = {
    field: xc,
    type: 'quantitative',
    scale: dataScale(
      all.map((r) => r[xc]),
      true,
    ),
    title: AXIS_TITLE[variable],
  };
  const y = {
    field: yc,
    type: 'quantitative',
    scale: dataScale(
      all.map((r) => r[yc]),
      true,
    ),
    title: 'Mean test loss (bits)',
  };
  const dashDomain = variable === 'S' ? seriesDomain : ['fit', 'theory'];
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    scale: { domain: dashDomain, range: dashDomain.map((d) => SERIES_DASH[d]) },
    title: null,
  };
  const measuredLayer =
    variable === 'S'
      ? {
          data: { values: measured },
          mark: { type: 'line', strokeWidth: 2.5 },
          encoding: { x, y, color, strokeDash, detail: { field: 'seed' } },
        }
      : {
          data: { values: measured },
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x,
            y,
            color,
            ...(several
              ? {
                  shape: {
                    field: 'series',
                    type: 'nominal',
                    scale: { domain: ['measured'], range: ['circle'] },
                    title: null,
                  },
                }
              : {}),
            opacity: { condition: { test: 'datum.used', value: 1 }, value: 0.35 },
          },
        };
  const spec: VegaLiteSpec = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    title: `Mean test loss against ${variable}`,
    layer: [
      measuredLayer,
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: {
          x,
          y,
          color: several ? color : seriesColor,
          detail: { field: 'alpha' },
          strokeDash,
        },
      },
    ],
    resolve: { scale: { color: 'shared' } },
  };
  const exps = fits
    .map((f) =>
      f[variable].measured === null
        ? `alpha ${f.alpha}: no fit (${f[variable].note ?? 'no points'})`
        : `alpha ${f.alpha}: measured ${f[variable].measured!.toFixed(3)} [${f[variable].ci![0].toFixed(3)}, ${f[variable].ci![1].toFixed(3)}], theory ${f[variable].predicted.toFixed(3)}`,
    )
    .join('; ');
  return {
    id: `loss-vs-${variable}`,
    title: `Loss against ${variable} (Fig. 2 top, Fig. 10)`,
    group: 'Mean test loss against N, S and D (Fig. 2 top, Fig. 10)',
    caption: `${variable}: solid: least-squares fit of log loss on log ${variable} over the fit window (faded points are outside it); dashed: ${THEORY_LABEL[variable]}, anchored as the paper's Fig. 2 anchors it (${PAPER_ANCHOR[variable]}): a reference slope, not a fit. Exponents: ${exps}.`,
    spec,
    rows: all,
    x: xc,
  };
}

interface Column {
  x: number;
  losses: number[];
}

/**
 * Per-subtask loss heatmap (Fig. 2 bottom): rank on y, N/S/D on a log x axis spanning the columns, colour = loss
 * in bits with its colour bar (gradient legend).
 */
function heatmap(variable: Variable, columns: Column[], alpha: number): Figure | null {
  const cols = columns.filter((c) => c.x > 0).sort((a, b) => a.x - b.x);
  if (cols.length === 0) return null;
  const xc = X_COLUMN[variable];
  const lo = `${xc}_lo`;
  const hi = `${xc}_hi`;
  const rows: Row[] = [];
  cols.forEach((c, i) => {
    const prev = i > 0 ? cols[i - 1].x : c.x / (cols.length > 1 ? cols[1].x / c.x : 2);
    const next = i < cols.length - 1 ? cols[i + 1].x : c.x * (cols.length > 1 ? c.x / cols[i - 1].x : 2);
    const x0 = Math.sqrt(prev * c.x);
    const x1 = Math.sqrt(c.x * next);
    c.losses.slice(0, HEATMAP_RANKS).forEach((l, r) => {
      rows.push({ alpha, [xc]: c.x, [lo]: x0, [hi]: x1, subtask_rank: r + 1, loss_bits: l / LN2 });
    });
  });
  const ranks = Math.max(...rows.map((r) => r.subtask_rank as number));
  const spec: VegaLiteSpec = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    title: `Per-subtask loss against ${variable}`,
    data: { values: rows },
    mark: { type: 'rect' },
    encoding: {
      x: {
        field: lo,
        type: 'quantitative',
        // the columns' own extent: a 'nice' log axis would pad to whole decades and leave most of it empty
        scale: {
          type: 'log',
          nice: false,
          domain: [
            Math.min(...rows.map((r) => r[lo] as number)),
            Math.max(...rows.map((r) => r[hi] as number)),
          ],
        },
        title: AXIS_TITLE[variable],
      },
      x2: { field: hi },
      y: {
        field: 'rank0',
        type: 'quantitative',
        title: 'Subtask rank (decreasing frequency)',
        scale: { nice: false, zero: false, domain: [0.5, ranks + 0.5] },
      },
      y2: { field: 'rank1' },
      color: {
        field: 'loss_bits',
        type: 'quantitative',
        title: 'Test loss (bits)',
        // copper: black (learned) to light copper (chance), clipped to [0, 1] bits as in the paper
        scale: { domain: [0, 1], range: ['#000000', '#ffc77f'], clamp: true },
        legend: { type: 'gradient', gradientLength: FIGURE_HEIGHT - 60, values: [0, 0.2, 0.4, 0.6, 0.8, 1] },
      },
    },
    transform: [
      { calculate: 'datum.subtask_rank - 0.5', as: 'rank0' },
      { calculate: 'datum.subtask_rank + 0.5', as: 'rank1' },
    ],
  };
  return {
    id: `heatmap-${variable}-alpha-${alpha}`,
    title: `Emergence against ${variable} (Fig. 2 bottom), alpha ${alpha}`,
    group: `Emergence: per-subtask loss against N, S and D (Fig. 2 bottom), alpha ${alpha}`,
    caption: `Per-subtask test loss in bits (black = learned, copper = chance, clipped to [0, 1]; colour bar beside each) for the ${HEATMAP_RANKS} most frequent subtasks.`,
    spec,
    rows,
    x: xc,
  };
}

/** The three heatmaps for the runs of one alpha: N (final losses), S (widest run), D (at early stopping). */
export function heatmapFigures(records: RunRecord[], alpha: number): Figure[] {
  const firstSeed = (rs: RunRecord[]) => {
    const s = Math.min(...rs.map((r) => r.seed));
    return rs.filter((r) => r.seed === s);
  };
  const single = singleEpochRuns(records);
  const widest = widestRuns(records);
  const multi = multiEpochRuns(records);
  const out: (Figure | null)[] = [];
  if (single.length > 1) {
    out.push(
      heatmap(
        'N',
        firstSeed(single).map((r) => ({
          x: r.parameters,
          losses: r.log.subtaskLoss[r.log.subtaskLoss.length - 1],
        })),
        alpha,
      ),
    );
  }
  if (widest.length) {
    const r = widest[0];
    out.push(
      heatmap(
        'S',
        thinLog(r.log.steps, MAX_COLUMNS).map((i) => ({ x: r.log.steps[i], losses: r.log.subtaskLoss[i] })),
        alpha,
      ),
    );
  }
  if (multi.length > 1) {
    out.push(
      heatmap(
        'D',
        firstSeed(multi).map((r) => ({ x: r.config.data!, losses: r.log.subtaskLoss[earlyStopIndex(r)] })),
        alpha,
      ),
    );
  }
  return out.filter((f): f is Figure => f !== null);
}

/**
 * Per-subtask learning curves coloured by rank (magma, with its colour bar) with the mean loss in lime on top
 * (Fig. 7), for one run. For a multi-epoch run a red dashed rule marks the early-stopping step. The legend names
 * the mean curve and the early-stop line.
 */
export function subtaskCurvesFigure(r: RunRecord, label: string): Figure {
  const idx = thinLog(r.log.steps, MAX_COLUMNS);
  const rows: Row[] = [];
  const nTasks = r.log.subtaskLoss[0]?.length ?? 0;
  for (let k = 0; k < nTasks; k++) {
    for (const i of idx)
      rows.push({
        series: 'subtask',
        subtask_rank: k + 1,
        step: r.log.steps[i],
        test_loss_bits: r.log.subtaskLoss[i][k] / LN2,
      });
  }
  const mean: Row[] = idx.map((i) => ({
    series: 'mean test loss',
    subtask_rank: null,
    step: r.log.steps[i],
    test_loss_bits: r.log.meanLoss[i] / LN2,
  }));
  const stop = r.config.data !== null ? r.log.steps[earlyStopIndex(r)] : null;
  const stopRows: Row[] =
    stop !== null && stop > 0
      ? [{ series: 'early stop', subtask_rank: null, step: stop, test_loss_bits: null }]
      : [];
  const plotted = [...rows, ...mean];
  const x = {
    field: 'step',
    type: 'quantitative',
    scale: dataScale(
      plotted.map((q) => q.step),
      true,
    ),
    title: 'Step',
  };
  const y = {
    field: 'test_loss_bits',
    type: 'quantitative',
    scale: dataScale(
      plotted.map((q) => q.test_loss_bits),
      false,
    ),
    title: 'Test loss (bits)',
  };
  const lineSeries = ['mean test loss', ...(stopRows.length ? ['early stop'] : [])];
  const stroke = {
    field: 'series',
    type: 'nominal',
    scale: { domain: lineSeries, range: ['lime', 'red'].slice(0, lineSeries.length) },
    title: null,
  };
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    scale: {
      domain: lineSeries,
      range: [
        [1, 0],
        [6, 4],
      ].slice(0, lineSeries.length),
    },
    title: null,
  };
  const layer: VegaLiteSpec[] = [
    {
      data: { values: rows },
      mark: { type: 'line', strokeWidth: 0.7, opacity: 0.6 },
      encoding: {
        x,
        y,
        color: {
          field: 'subtask_rank',
          type: 'quantitative',
          scale: { scheme: 'magma' },
          title: 'Subtask rank',
          legend: { type: 'gradient' },
        },
        detail: { field: 'subtask_rank' },
      },
    },
    {
      data: { values: mean },
      mark: { type: 'line', strokeWidth: 3 },
      encoding: { x, y, stroke, strokeDash },
    },
  ];
  if (stopRows.length) {
    layer.push({
      data: { values: stopRows },
      mark: { type: 'rule', strokeWidth: 2 },
      encoding: { x, stroke, strokeDash },
    });
  }
  return {
    id: `subtask-curves-${label.replace(/[^a-zA-Z0-9.]+/g, '-')}`,
    title: `Per-subtask learning curves, ${label} (Fig. 7)`,
    group: 'Per-subtask learning curves (Fig. 7)',
    caption:
      `Each subtask's test loss against step, coloured by frequency rank; lime: mean test loss.` +
      (stop !== null ? ` Red dashed: early-stopping step ${stop} (minimum mean test loss).` : ''),
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      title: `Learning curves: ${label}`,
      layer,
      resolve: { scale: { stroke: 'shared', strokeDash: 'shared' } },
    },
    rows: [...rows, ...mean, ...stopRows],
    x: 'step',
  };
}

// Figures of the fitted exponents: convergence step against subtask frequency (Fig. 8), learned subtasks n(D)
// (Fig. 9) and the measured exponents against alpha beside theory and the paper (Fig. 10).
import type { AlphaFits, ExponentFit } from '../scaling/analysis.js';
import { AXIS_TITLE, fitLines, type Row } from './scaling-figures.js';
import { dataScale, FIGURE_HEIGHT, FIGURE_WIDTH, type Figure } from './vega.js';

/** Convergence step against subtask frequency p_k (Fig. 8 left), with the fit and a slope -1 line. */
export function convergenceFigure(fits: AlphaFits[]): Figure | null {
  const rows: Row[] = [];
  const lines: Row[] = [];
  for (const f of fits) {
    const c = f.convergence;
    for (const p of c.points)
      rows.push({
        alpha: f.alpha,
        series: 'measured',
        subtask_rank: p.rank,
        p_k: p.p,
        convergence_step: p.step,
        seed: p.seed,
      });
    if (c.slope !== null && c.points.length) {
      const ps = c.points.map((p) => p.p);
      const lo = Math.min(...ps);
      const hi = Math.max(...ps);
      const lx = c.points.map((p) => Math.log(p.p));
      const ly = c.points.map((p) => Math.log(p.step));
      const mx = lx.reduce((a, b) => a + b, 0) / lx.length;
      const my = ly.reduce((a, b) => a + b, 0) / ly.length;
      for (const p of [lo, hi]) {
        lines.push({
          alpha: f.alpha,
          series: 'fit',
          p_k: p,
          convergence_step: Math.exp(my + c.slope * (Math.log(p) - mx)),
        });
        lines.push({
          alpha: f.alpha,
          series: 'theory (slope -1)',
          p_k: p,
          convergence_step: Math.exp(my - (Math.log(p) - mx)),
        });
      }
    }
  }
  if (rows.length === 0) return null;
  const several = fits.length > 1;
  const all = [...rows, ...lines];
  const x = {
    field: 'p_k',
    type: 'quantitative',
    scale: dataScale(
      all.map((r) => r.p_k),
      true,
    ),
    title: 'Subtask frequency p_k',
  };
  const y = {
    field: 'convergence_step',
    type: 'quantitative',
    scale: dataScale(
      all.map((r) => r.convergence_step),
      true,
    ),
    title: 'Convergence step (loss < 0.1 bits)',
  };
  const series = ['measured', 'fit', 'theory (slope -1)'];
  const seriesColor = {
    field: 'series',
    type: 'nominal',
    scale: { domain: series, range: ['#1f77b4', '#000000', '#555555'] },
    title: null,
  };
  const color = several ? { field: 'alpha', type: 'ordinal', scale: { scheme: 'viridis' } } : seriesColor;
  const strokeDash = {
    field: 'series',
    type: 'nominal',
    scale: {
      domain: series,
      range: [
        [1, 0],
        [1, 0],
        [6, 4],
      ],
    },
    title: null,
  };
  const text = fits
    .map(
      (f) =>
        `alpha ${f.alpha}: slope ${f.convergence.slope?.toFixed(3) ?? 'n/a'}${f.convergence.ci ? ` [${f.convergence.ci[0].toFixed(3)}, ${f.convergence.ci[1].toFixed(3)}]` : ''}`,
    )
    .join('; ');
  return {
    id: 'convergence-vs-frequency',
    title: 'Steps to learn each subtask against its frequency (Fig. 8)',
    group: 'Convergence and learned subtasks (Figs. 8, 9)',
    caption: `First log step with subtask loss below 0.1 bits against p_k. Solid: fit; dashed: theory S_k ∝ 1/p_k. Paper: slope -0.81 (theory -1). ${text}.`,
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      title: 'Convergence step against frequency',
      layer: [
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 25 },
          encoding: { x, y, color },
        },
        {
          data: { values: lines },
          mark: { type: 'line' },
          encoding: {
            x,
            y,
            color: several ? { value: '#000' } : seriesColor,
            detail: { field: 'alpha' },
            strokeDash,
          },
        },
      ],
    },
    rows: all,
    x: 'p_k',
  };
}

/** Learned subtasks n(D) against D (Fig. 9), one colour per alpha, with the fits. */
export function learnedVsDataFigure(fits: AlphaFits[]): Figure | null {
  const rows: Row[] = [];
  for (const f of fits) {
    for (const p of f.learnedVsData.points)
      rows.push({
        alpha: f.alpha,
        series: 'measured',
        training_samples: p.x,
        subtasks_learned: p.y,
        seed: p.seed,
        used: p.used,
      });
    for (const l of fitLines(f.learnedVsData, f.alpha, 1))
      if (l.series === 'fit')
        rows.push({ alpha: f.alpha, series: 'fit', training_samples: l.x, subtasks_learned: l.y });
  }
  const shown = rows.filter((r) => r.series === 'fit' || (r.subtasks_learned as number) > 0);
  if (!shown.some((r) => r.series === 'measured')) return null;
  const x = {
    field: 'training_samples',
    type: 'quantitative',
    scale: dataScale(
      shown.map((r) => r.training_samples),
      true,
    ),
    title: AXIS_TITLE.D,
  };
  const y = {
    field: 'subtasks_learned',
    type: 'quantitative',
    scale: dataScale(
      shown.map((r) => r.subtasks_learned),
      true,
    ),
    title: 'Subtasks learned n (loss < 0.1 nats)',
  };
  const color = { field: 'alpha', type: 'ordinal', scale: { scheme: 'viridis' }, title: 'alpha' };
  const seriesLegend = (channel: 'shape' | 'strokeDash', domain: string[]) => ({
    [channel]: {
      field: 'series',
      type: 'nominal',
      scale: { domain, range: channel === 'shape' ? ['circle'] : [[1, 0]] },
      title: null,
    },
  });
  const text = fits
    .map(
      (f) =>
        `alpha ${f.alpha}: ${f.learnedVsData.measured?.toFixed(3) ?? 'n/a'} (theory 1/(alpha+1) = ${f.learnedVsData.predicted.toFixed(3)})`,
    )
    .join('; ');
  return {
    id: 'learned-vs-data',
    title: 'Number of subtasks learned against D (Fig. 9)',
    group: 'Convergence and learned subtasks (Figs. 8, 9)',
    caption: `Subtasks whose loss ever falls below 0.1 nats, against the training-set size; lines: fits from the first D with n > 0. Exponents: ${text}.`,
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      title: 'Learned subtasks n(D)',
      layer: [
        {
          data: { values: shown.filter((r) => r.series === 'measured') },
          mark: { type: 'point', filled: true },
          encoding: { x, y, color, ...seriesLegend('shape', ['measured']) },
        },
        {
          data: { values: shown.filter((r) => r.series === 'fit') },
          mark: 'line',
          encoding: { x, y, color, ...seriesLegend('strokeDash', ['fit']) },
        },
      ],
    },
    rows,
    x: 'training_samples',
  };
}

/** Measured exponents against alpha beside the theory and the paper's values (Fig. 10, Fig. 9 right). */
export function exponentsFigure(fits: AlphaFits[]): Figure | null {
  if (fits.length < 2) return null;
  const rows: Row[] = [];
  const quantities: [string, (f: AlphaFits) => ExponentFit][] = [
    ['alpha_N', (f) => f.N],
    ['alpha_S', (f) => f.S],
    ['alpha_D', (f) => f.D],
    ['n(D) exponent', (f) => f.learnedVsData],
  ];
  for (const f of fits) {
    for (const [quantity, get] of quantities) {
      const e = get(f);
      rows.push({ alpha: f.alpha, quantity, series: 'theory', value: e.predicted });
      if (e.measured !== null)
        rows.push({
          alpha: f.alpha,
          quantity,
          series: 'measured',
          value: e.measured,
          lo: e.ci?.[0],
          hi: e.ci?.[1],
        });
      if (e.paper !== null) rows.push({ alpha: f.alpha, quantity, series: 'paper', value: e.paper });
    }
  }
  const seriesColor = {
    field: 'series',
    type: 'nominal',
    scale: { domain: ['measured', 'paper', 'theory'], range: ['#d62728', '#888888', '#000000'] },
    title: null,
  };
  const panels = quantities.map(([quantity]) => {
    const data = rows.filter((r) => r.quantity === quantity);
    const x = { field: 'alpha', type: 'quantitative', title: 'alpha' };
    const y = { field: 'value', type: 'quantitative', title: quantity, scale: { zero: false } };
    return {
      width: 220,
      height: 200,
      title: quantity,
      layer: [
        {
          data: { values: data.filter((r) => r.series === 'theory') },
          mark: { type: 'line', strokeDash: [6, 4] },
          encoding: { x, y, color: seriesColor },
        },
        {
          data: { values: data.filter((r) => r.series === 'paper') },
          mark: { type: 'point', size: 50 },
          encoding: { x, y, color: seriesColor },
        },
        {
          data: { values: data.filter((r) => r.series === 'measured') },
          mark: { type: 'rule', color: '#d62728' },
          encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
        },
        {
          data: { values: data.filter((r) => r.series === 'measured') },
          mark: { type: 'point', filled: true, size: 50 },
          encoding: { x, y, color: seriesColor },
        },
      ],
    };
  });
  return {
    id: 'exponents-vs-alpha',
    title: 'Scaling exponents against alpha (Fig. 10)',
    caption:
      'Red: measured here with 95% bootstrap intervals; grey circles: the paper’s measured values (read off its Fig. 10 and Fig. 9); dashed: theory (alpha, alpha/(alpha+1), alpha/(alpha+1), 1/(alpha+1)).',
    spec: { hconcat: panels, resolve: { scale: { color: 'shared' } } },
    rows,
    x: 'alpha',
  };
}

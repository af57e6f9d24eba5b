// Figures that need no runs: the quantization model's L_n curves (Fig. 6 = A1) and the published
// (alpha_N, alpha_D) pairs against alpha_D = alpha_N / (alpha_N + 1) (Fig. 18 = A12).
import { PUBLISHED_SCALING_LAWS, alphaDFromAlphaN } from '../theory/exponents.js';
import { lossConstant, lossLogCase1 } from '../theory/quantization.js';
import type { CsvValue } from './csv.js';
import { dataScale, FIGURE_HEIGHT, FIGURE_WIDTH, type Figure, type VegaLiteSpec } from './vega.js';

/** The alphas of Fig. 6. */
export const FIG6_ALPHAS = [0.1, 0.3, 0.5, 1.0];

function logSpaced(lo: number, hi: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => lo * Math.pow(hi / lo, i / (count - 1)));
}

/**
 * Fig. 6: L_n for b_k = -log p_k (solid) against b_k = 1 (dashed), a_k = 0, for several alpha, over
 * n = 1..1e6 quanta learned (exact sums over infinitely many quanta; nats).
 */
export function theoryCurvesFigure(alphas: number[] = FIG6_ALPHAS): Figure {
  const rows: Record<string, CsvValue>[] = [];
  const ns = [...new Set(logSpaced(1, 1e6, 61).map((n) => Math.round(n)))];
  for (const alpha of alphas) {
    for (const n of ns) {
      rows.push({ alpha, quanta_learned: n, law: 'b_k = -log p_k', loss_nats: lossLogCase1(n, alpha) });
      rows.push({ alpha, quanta_learned: n, law: 'b_k = 1', loss_nats: lossConstant(n, alpha, 0, 1) });
    }
  }
  const spec: VegaLiteSpec = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    title: 'Quantization model: L_n against quanta learned',
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x: {
        field: 'quanta_learned',
        type: 'quantitative',
        scale: dataScale(
          rows.map((r) => r.quanta_learned),
          true,
        ),
        title: 'Quanta learned n',
      },
      y: {
        field: 'loss_nats',
        type: 'quantitative',
        scale: dataScale(
          rows.map((r) => r.loss_nats),
          true,
        ),
        title: 'L_n (nats)',
      },
      color: { field: 'alpha', type: 'ordinal', scale: { scheme: 'viridis' }, title: 'alpha' },
      strokeDash: {
        field: 'law',
        type: 'nominal',
        scale: {
          domain: ['b_k = -log p_k', 'b_k = 1'],
          range: [
            [1, 0],
            [6, 4],
          ],
        },
        title: 'a_k = 0',
      },
      detail: { field: 'law' },
    },
  };
  return {
    id: 'fig6-theory-curves',
    group: 'Theory (Figs. 6, 18)',
    title: 'Theory: L_n for b_k = -log p_k and b_k = 1 (Fig. 6)',
    caption:
      'Exact sums of the quantization model with a_k = 0 over infinitely many quanta, p_k = k^-(alpha+1)/zeta(alpha+1). ' +
      'With b_k = -log p_k (solid) the law is a power law n^-alpha times a log correction; with b_k = 1 (dashed) it is ' +
      'asymptotically (1/(alpha zeta(alpha+1))) n^-alpha.',
    spec,
    rows,
    x: 'quanta_learned',
  };
}

/** Fig. 18: published (alpha_N, alpha_D) pairs against alpha_D = alpha_N/(alpha_N+1) and alpha_D = alpha_N. */
export function alphaRelationFigure(): Figure {
  const points = PUBLISHED_SCALING_LAWS.map((l) => ({
    series: 'published',
    study: l.study,
    alphaN: l.alphaN,
    alphaD: l.alphaD,
    predictedAlphaD: alphaDFromAlphaN(l.alphaN),
  }));
  const curve: Record<string, CsvValue>[] = [];
  for (let i = 0; i <= 60; i++) {
    const aN = (1.2 * i) / 60;
    curve.push({ series: 'alpha_D = alpha_N/(alpha_N+1)', alphaN: aN, alphaD: aN / (aN + 1) });
    curve.push({ series: 'alpha_D = alpha_N', alphaN: aN, alphaD: aN });
  }
  const onAxes = points.filter((p) => p.alphaN <= 1.2 && p.alphaD <= 1.2);
  const spec: VegaLiteSpec = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT + 60,
    title: 'Published scaling exponents (alpha_N, alpha_D)',
    layer: [
      {
        data: { values: curve },
        mark: { type: 'line', color: '#333', clip: true },
        encoding: {
          x: { field: 'alphaN', type: 'quantitative', scale: { domain: [0, 1.2] }, title: 'alpha_N' },
          y: { field: 'alphaD', type: 'quantitative', scale: { domain: [0, 1.2] }, title: 'alpha_D' },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            scale: {
              domain: ['alpha_D = alpha_N/(alpha_N+1)', 'alpha_D = alpha_N'],
              range: [
                [1, 0],
                [6, 4],
              ],
            },
            title: null,
          },
        },
      },
      {
        data: { values: onAxes },
        mark: { type: 'point', filled: true, size: 60, clip: true },
        encoding: {
          x: { field: 'alphaN', type: 'quantitative' },
          y: { field: 'alphaD', type: 'quantitative' },
          color: {
            field: 'author',
            type: 'nominal',
            title: 'study',
            scale: { scheme: 'tableau10' },
          },
          tooltip: [{ field: 'study' }, { field: 'alphaN' }, { field: 'alphaD' }],
        },
        transform: [{ calculate: "split(datum.study, ' (')[0]", as: 'author' }],
      },
    ],
    resolve: { legend: { strokeDash: 'independent', color: 'independent' } },
  };
  const offAxes = points
    .filter((p) => !onAxes.includes(p))
    .map((p) => `${p.study} (${p.alphaN}, ${p.alphaD})`);
  return {
    id: 'fig18-alpha-relation',
    group: 'Theory (Figs. 6, 18)',
    title: 'alpha_D against alpha_N across published studies (Fig. 18)',
    caption:
      'Pairs of exponents from Epoch’s scaling-law database (the rows the paper uses), against the quantization ' +
      'model’s alpha_D = alpha_N/(alpha_N+1) (solid) and alpha_D = alpha_N (dashed).' +
      (offAxes.length ? ` Off the axes: ${offAxes.join('; ')}.` : ''),
    spec,
    rows: [...points, ...curve],
    x: 'alphaN',
  };
}

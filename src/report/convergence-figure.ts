// The convergence of each measured exponent with compute (src/scaling/convergence.ts): alpha_N, alpha_S and
// alpha_D against the core-hours they took, with the paper's measured value and the theory's as lines.
import type { ConvergenceStudy, ExponentConvergence } from '../scaling/convergence.js';
import { logScale, type Row } from './scaling-figures.js';
import type { Figure } from './vega.js';

const LABEL: Record<ExponentConvergence['exponent'], string> = {
  alpha_N: 'alpha_N (N fit at each step budget)',
  alpha_S: 'alpha_S (S fit window end)',
  alpha_D: 'alpha_D (D fit at each step budget)',
};

/** Rows of the study (also its CSV): one per exponent and budget, plus the reference values. */
export function convergenceRows(studies: ConvergenceStudy[]): Row[] {
  const rows: Row[] = [];
  for (const s of studies)
    for (const e of [s.alphaN, s.alphaS, s.alphaD])
      for (const p of e.points)
        rows.push({
          alpha: s.alpha,
          exponent: e.exponent,
          budget_steps: p.budget,
          core_hours: p.coreHours,
          measured: p.measured,
          ci_lo: p.ci?.[0] ?? null,
          ci_hi: p.ci?.[1] ?? null,
          theory: e.predicted,
          paper: e.paper,
        });
  return rows;
}

export function exponentConvergenceFigure(studies: ConvergenceStudy[]): Figure | null {
  const rows = convergenceRows(studies).filter((r) => r.measured !== null && (r.core_hours as number) > 0);
  if (rows.length === 0) return null;
  const refs: Row[] = [];
  for (const s of studies)
    for (const e of [s.alphaN, s.alphaS, s.alphaD]) {
      const hs = e.points.map((p) => p.coreHours).filter((h) => h > 0);
      if (hs.length === 0) continue;
      for (const h of [Math.min(...hs), Math.max(...hs)]) {
        refs.push({
          alpha: s.alpha,
          exponent: e.exponent,
          core_hours: h,
          value: e.predicted,
          line: 'theory',
        });
        if (e.paper !== null)
          refs.push({
            alpha: s.alpha,
            exponent: e.exponent,
            core_hours: h,
            value: e.paper,
            line: 'paper (measured)',
          });
      }
    }
  const x = { field: 'core_hours', type: 'quantitative', scale: logScale, title: 'Compute (core-hours)' };
  const facet = { field: 'exponent', type: 'nominal', title: null, header: { labelExpr: `datum.value` } };
  const notes = studies
    .flatMap((s) =>
      [s.alphaN, s.alphaS, s.alphaD].map(
        (e) =>
          `${e.exponent} (alpha ${s.alpha}) ends at ${e.final?.toFixed(3) ?? 'n/a'}` +
          (e.within005FromCoreHours !== null
            ? `, within 0.05 of that from ${e.within005FromCoreHours.toPrecision(2)} core-hours`
            : '') +
          (e.changeOverLastDoubling !== null
            ? `, ${e.changeOverLastDoubling >= 0 ? '+' : ''}${e.changeOverLastDoubling.toFixed(3)} over its last doubling of compute` +
              (Math.abs(e.changeOverLastDoubling) > 0.02 ? ' (not converged)' : '')
            : ''),
      ),
    )
    .join('; ');
  return {
    id: 'exponent-convergence',
    title: 'How each exponent converges with compute',
    caption:
      `Each exponent refitted from the same records as if the sweep had stopped earlier: ${Object.values(LABEL).join('; ')}. ` +
      `Points: measured, with 95% bootstrap intervals; solid line: theory; dashed: the paper's measured value. ${notes}.`,
    spec: {
      data: {
        values: [
          ...rows.map((r) => ({ ...r, kind: 'measured' })),
          ...refs.map((r) => ({ ...r, kind: 'ref' })),
        ],
      },
      facet,
      columns: 3,
      resolve: { scale: { x: 'independent' } },
      spec: {
        width: 240,
        height: 220,
        layer: [
          {
            transform: [{ filter: "datum.kind === 'measured'" }],
            mark: { type: 'rule' },
            encoding: { x, y: { field: 'ci_lo', type: 'quantitative' }, y2: { field: 'ci_hi' } },
          },
          {
            transform: [{ filter: "datum.kind === 'measured'" }],
            mark: { type: 'line', point: true },
            encoding: {
              x,
              y: { field: 'measured', type: 'quantitative', title: 'Measured exponent' },
              color: {
                field: 'alpha',
                type: 'ordinal',
                scale: { scheme: 'viridis' },
                title: 'measured, alpha',
              },
            },
          },
          {
            transform: [{ filter: "datum.kind === 'ref'" }],
            mark: { type: 'line', color: '#555' },
            encoding: {
              x,
              y: { field: 'value', type: 'quantitative' },
              detail: { field: 'alpha' },
              strokeDash: {
                field: 'line',
                type: 'nominal',
                scale: {
                  domain: ['theory', 'paper (measured)'],
                  range: [
                    [1, 0],
                    [6, 4],
                  ],
                },
                title: null,
              },
            },
          },
        ],
      },
    },
    rows: convergenceRows(studies),
    x: 'core_hours',
  };
}

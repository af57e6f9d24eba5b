// The figures of QDG reports, as Vega-Lite specs drawn like the sweep report's: the cluster rank-frequency
// curves of every K (labelled by a K colour bar), their envelope, its fit and the predicted slope (Figure 5
// right, Figure 15); the similarity picture (a PNG written beside the report) with its CMRmap colour bar
// (Figure 5 left); the toy model's estimated against true exponent (Figure 17); and the recovery study's ARI
// against subtasks learned (beyond the paper).
import type { QdgAnalysis } from '../qdg/pipeline.js';
import { choiceName, type RecoveryPoint } from '../qdg/recovery.js';
import { cmrmapCss } from '../qdg/similarity-image.js';
import type { CsvValue } from './csv.js';
import { dataScale, FIGURE_HEIGHT, FIGURE_WIDTH, type Figure, type VegaLiteSpec } from './vega.js';

type Row = Record<string, CsvValue>;

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** A curve drawn beside the clusterings (e.g. the toy model's true subtask sizes). */
export interface ExtraCurve {
  label: string;
  points: [number, number][];
  color: string;
}

/** CMRmap as 9 colour stops, t = 0, 1/8, ..., 1 (the PNGs' colour map, for colour bars). */
export const CMRMAP_STOPS = Array.from({ length: 9 }, (_, i) => cmrmapCss(i / 8));

/**
 * Rank-frequency of cluster sizes: one thin curve per K (colour = K, with its colour bar), the envelope (max
 * over K), its least-squares fit over the window and the predicted slope drawn through the fit's centre (so
 * only slopes are compared), each named in the legend. Log axes spanning the plotted values.
 */
export function rankFrequencyFigure(
  a: QdgAnalysis,
  opts: { id?: string; title?: string; predictionLabel?: string; extra?: ExtraCurve[] } = {},
): Figure {
  const title = opts.title ?? 'Cluster rank-frequency';
  const predictionLabel = opts.predictionLabel ?? 'prediction -(1+alpha_N)';
  const Ks = a.clusterings.map((c) => c.K);
  const curves: Row[] = [];
  for (const c of a.clusterings)
    c.sizes.forEach((s, r) => {
      if (s > 0) curves.push({ series: 'clusters at K', K: c.K, rank: r + 1, cluster_size_samples: s });
    });
  const lines: Row[] = [];
  a.envelope.forEach((s, r) => {
    if (s > 0) lines.push({ series: 'envelope (max over K)', K: null, rank: r + 1, cluster_size_samples: s });
  });
  const { first, last } = a.fit.window;
  const end = Math.min(last, a.envelope.length);
  const fitLabel = `fit, ranks ${first}..${end}: slope ${fmt(a.fit.envelopeSlope)}`;
  const predLabel = `${predictionLabel}: ${fmt(a.predictedSlope)}`;
  // every line's legend entry, colour and dash
  const legend: { label: string; color: string; dash: number[] }[] = [
    { label: 'envelope (max over K)', color: '#000000', dash: [1, 0] },
  ];
  if (Number.isFinite(a.fit.envelopeSlope) && end > first) {
    const mid = Math.sqrt(first * end);
    const yMid = a.fit.intercept + a.fit.envelopeSlope * Math.log(mid);
    for (const r of [first, end]) {
      lines.push({
        series: fitLabel,
        K: null,
        rank: r,
        cluster_size_samples: Math.exp(a.fit.intercept + a.fit.envelopeSlope * Math.log(r)),
      });
      lines.push({
        series: predLabel,
        K: null,
        rank: r,
        cluster_size_samples: Math.exp(yMid + a.predictedSlope * (Math.log(r) - Math.log(mid))),
      });
    }
    legend.push(
      { label: fitLabel, color: '#d62728', dash: [6, 3] },
      { label: predLabel, color: '#1f77b4', dash: [2, 3] },
    );
  }
  for (const e of opts.extra ?? []) {
    for (const [r, s] of e.points)
      if (r > 0 && s > 0) lines.push({ series: e.label, K: null, rank: r, cluster_size_samples: s });
    legend.push({ label: e.label, color: e.color, dash: [1, 0] });
  }
  const series = legend.map((l) => l.label);
  const all = [...curves, ...lines];
  const x = {
    field: 'rank',
    type: 'quantitative',
    scale: dataScale(
      all.map((r) => r.rank),
      true,
    ),
    title: 'Rank',
  };
  const y = {
    field: 'cluster_size_samples',
    type: 'quantitative',
    scale: dataScale(
      all.map((r) => r.cluster_size_samples),
      true,
    ),
    title: 'Cluster size (samples)',
  };
  const spec: VegaLiteSpec = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT + 60,
    title: `${title} (K = ${Math.min(...Ks)}..${Math.max(...Ks)})`,
    layer: [
      {
        data: { values: curves },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.8 },
        encoding: {
          x,
          y,
          color: {
            field: 'K',
            type: 'quantitative',
            // CMRmap between dark and light, as the picture; the colour bar names the K of each curve
            scale: { type: 'log', range: CMRMAP_STOPS.slice(1, 8) },
            title: 'clusters at K',
            legend: { type: 'gradient', values: Ks.length <= 8 ? Ks : undefined },
          },
          detail: { field: 'K' },
        },
      },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 2 },
        encoding: {
          x,
          y,
          stroke: {
            field: 'series',
            type: 'nominal',
            scale: { domain: series, range: legend.map((l) => l.color) },
            title: null,
            legend: { labelLimit: 320 },
          },
          strokeDash: {
            field: 'series',
            type: 'nominal',
            scale: { domain: series, range: legend.map((l) => l.dash) },
            title: null,
          },
        },
      },
    ],
  };
  return {
    id: opts.id ?? 'rank-frequency',
    title,
    caption:
      `Cluster sizes against rank for every K (colour bar: K), their envelope (the largest r-th cluster over all K), ` +
      `its least-squares fit over ranks ${first}..${end} and the predicted slope ${fmt(a.predictedSlope)} drawn through the fit's centre.`,
    spec,
    rows: all,
    x: 'rank',
  };
}

/**
 * A similarity picture (the PNG `file`, relative to the report, with its own colour bar on the right: CMRmap
 * from the smallest to the largest block mean, as similarityPng drew it), shown at its aspect ratio.
 */
export function similarityFigure(
  file: string,
  image: { n: number; width: number; min: number; max: number },
  opts: { id: string; title: string; caption: string; ordering: string },
): Figure {
  const height = FIGURE_WIDTH - 60;
  const width = Math.max(FIGURE_WIDTH, Math.round((height * image.width) / image.n));
  const shownHeight = Math.round((width * image.n) / image.width);
  const spec: VegaLiteSpec = {
    width,
    height: shownHeight,
    title: opts.title,
    data: { values: [{ x: 0, y: 0, url: file }] },
    mark: { type: 'image', width, height: shownHeight, align: 'left', baseline: 'top', aria: false },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { domain: [0, 1] }, axis: null },
      y: { field: 'y', type: 'quantitative', scale: { domain: [0, 1], reverse: true }, axis: null },
      url: { field: 'url', type: 'nominal' },
    },
    config: { view: { stroke: null } },
  };
  return {
    id: opts.id,
    title: opts.title,
    caption: opts.caption,
    spec,
    rows: [
      { file, pixels: image.n, affinity_min: image.min, affinity_max: image.max, ordering: opts.ordering },
    ],
  };
}

/** Estimated against true exponent with the line y = x (Figure 17). */
export function estimateScatterFigure(
  points: [number, number][],
  opts: { id: string; title: string; xTitle: string; yTitle: string; caption: string },
): Figure {
  const rows: Row[] = points
    .filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y))
    .map(([x, y]) => ({ series: 'measured', true_alpha: x, estimated_alpha: y }));
  const e = [...rows.map((r) => r.true_alpha as number), ...rows.map((r) => r.estimated_alpha as number)];
  const lo = Math.min(...e);
  const hi = Math.max(...e);
  const line: Row[] = [lo, hi].map((v) => ({ series: 'y = x', true_alpha: v, estimated_alpha: v }));
  const domain = [lo, hi];
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain: ['measured', 'y = x'], range: ['#d62728', '#888888'] },
    title: null,
  };
  const x = {
    field: 'true_alpha',
    type: 'quantitative',
    scale: { domain, nice: false, zero: false, padding: 8 },
    title: opts.xTitle,
  };
  const y = {
    field: 'estimated_alpha',
    type: 'quantitative',
    scale: { domain, nice: false, zero: false, padding: 8 },
    title: opts.yTitle,
  };
  return {
    id: opts.id,
    title: opts.title,
    caption: opts.caption,
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_WIDTH - 80,
      title: opts.title,
      layer: [
        { data: { values: line }, mark: { type: 'line', strokeDash: [4, 3] }, encoding: { x, y, color } },
        {
          data: { values: rows },
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y, color },
        },
      ],
    },
    rows: [...rows, ...line],
    x: 'true_alpha',
  };
}

const CHOICE_COLORS = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

/**
 * The recovery study (src/qdg/recovery.ts): ARI of the clusters against the true subtasks as a function of the
 * subtasks the model has learned, one colour per gradient choice; solid at K = the subtasks present among the
 * samples, dashed the best ARI over every K. Snapshots that could not be clustered are left out.
 */
export function recoveryFigure(
  points: readonly RecoveryPoint[],
  opts: { id?: string; title?: string } = {},
): Figure {
  const title = opts.title ?? 'Do the clusters recover the subtasks?';
  const rows: Row[] = [];
  const names: string[] = [];
  for (const p of points)
    for (const s of p.scores) {
      const name = choiceName(s);
      if (!names.includes(name)) names.push(name);
      for (const [measure, ari] of [
        ['K = subtasks present', s.ari],
        ['best K', s.bestAri],
      ] as const)
        rows.push({
          choice: name,
          measure,
          series: `${name}, ${measure}`,
          subtasks_learned: p.learned,
          step: p.step,
          K: measure === 'best K' ? s.bestK : s.K,
          ari,
        });
    }
  const x = {
    field: 'subtasks_learned',
    type: 'quantitative',
    title: 'Subtasks learned (test loss < 0.1 bits)',
    axis: { tickMinStep: 1 },
  };
  const y = { field: 'ari', type: 'quantitative', title: 'ARI against the true subtasks' };
  const color = {
    field: 'choice',
    type: 'nominal',
    scale: { domain: names, range: CHOICE_COLORS.slice(0, Math.max(1, names.length)) },
    title: 'gradient / cosine',
  };
  const strokeDash = {
    field: 'measure',
    type: 'nominal',
    scale: {
      domain: ['K = subtasks present', 'best K'],
      range: [
        [1, 0],
        [5, 3],
      ],
    },
    title: 'ARI at',
    legend: { labelLimit: 300 },
  };
  const spec: VegaLiteSpec = {
    width: FIGURE_WIDTH,
    height: FIGURE_HEIGHT,
    title,
    data: { values: rows },
    layer: [
      {
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y, color, strokeDash, detail: { field: 'series' } },
      },
      {
        mark: { type: 'point', filled: true, size: 40 },
        encoding: { x, y, color, tooltip: [{ field: 'step' }, { field: 'K' }, { field: 'ari' }] },
      },
    ],
  };
  return {
    id: opts.id ?? 'recovery',
    title,
    caption:
      'Adjusted Rand index between the spectral clusters of per-sample gradients and the true subtasks, at ' +
      'snapshots along one training run, against the number of subtasks learned by then. Solid: K = the ' +
      'subtasks present among the clustered samples (each holding at least 1% of them), the K at which clusters ' +
      'that were the quanta would give ARI 1; dashed: the best ARI over every K clustered.',
    spec,
    rows,
    x: 'subtasks_learned',
  };
}

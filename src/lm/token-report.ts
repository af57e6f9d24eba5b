// Over 450 lines by choice: the token report's five figure families share their rows, units and captions here.
// Figures and the report section of the token analyses (Figs. 3, 4, 11, 12): Vega-Lite specs with the rows of
// every series (for CSVs), and `languageModelSections` for report.html. Losses are shown in bits, as the paper.
import { htmlTable, escapeHtml, type ReportSection } from '../report/html.js';
import { dataScale, FIGURE_HEIGHT, FIGURE_WIDTH, type Figure } from '../report/vega.js';
import type { CsvValue } from '../report/csv.js';
import type { LossHistogram, TokenScalingAnalysis } from './token-analysis.js';
import { shownToken, tokenContext, type TokenInfo } from './token-losses.js';
import { isJsonObject } from '../io/read.js';
import { natsToBits as bits } from '../core/units.js';

const fmtN = (n: number) =>
  n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`;

/** Up to n rows, at most one per token when the side file names them (examples of different tokens). */
export function distinctExamples(rows: number[], n: number, tokens?: TokenInfo[]): number[] {
  if (!tokens) return rows.slice(0, n);
  const seen = new Set<string>();
  const out: number[] = [];
  for (const r of rows) {
    const key = tokens[r].word ?? tokens[r].token;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(r);
    if (out.length === n) break;
  }
  return out;
}

/** Fig. 3 left: mean loss (bits) against N, log-log, with the fitted power law. */
export function meanLossFigure(a: TokenScalingAnalysis): Figure {
  const { scaling, parameters } = a;
  const rows: Record<string, CsvValue>[] = parameters.map((N, m) => ({
    parameters: N,
    mean_loss_bits: bits(scaling.meanLoss[m]),
    series: m < scaling.modelsFitted ? 'measured (fitted)' : 'measured (left out)',
    fit_bits: bits(Math.exp(scaling.fit.intercept) * Math.pow(N, scaling.fit.slope)),
  }));
  // log axes over the data only (a decade of padding would flatten small exponents)
  const x = {
    field: 'parameters',
    type: 'quantitative',
    scale: dataScale(
      rows.map((r) => r.parameters),
      true,
    ),
    title: 'parameters N',
  };
  const yScale = dataScale(
    rows.flatMap((r) => [r.mean_loss_bits, r.fit_bits]),
    true,
  );
  const series = ['measured (fitted)', 'measured (left out)', 'power-law fit'];
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain: series, range: ['#1f77b4', '#999999', '#d62728'] },
    title: null,
  };
  return {
    id: 'lm-mean-loss-scaling',
    title: 'Mean test loss against parameters (Fig. 3 left)',
    caption:
      `alpha_N = ${scaling.alphaN.toFixed(4)} (least squares of ln mean loss on ln N over ${scaling.modelsFitted} models, ` +
      `R^2 ${scaling.fit.r2.toFixed(3)}); Pythia: 0.083.`,
    rows,
    x: 'parameters',
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      data: { values: rows },
      layer: [
        {
          transform: [{ calculate: "'power-law fit'", as: 'line' }],
          mark: { type: 'line', strokeDash: [5, 3] },
          encoding: {
            x,
            y: { field: 'fit_bits', type: 'quantitative', scale: yScale, title: 'mean loss (bits)' },
            color: { ...color, field: 'line' },
          },
        },
        {
          mark: { type: 'point', filled: true, size: 60 },
          encoding: { x, y: { field: 'mean_loss_bits', type: 'quantitative', scale: yScale }, color },
        },
      ],
    },
  };
}

/** p(L) (log x) or L p(L) (linear x) of several columns, one line each. */
export function histogramFigure(
  id: string,
  title: string,
  caption: string,
  h: LossHistogram,
  labels: string[],
  weighted: boolean,
): Figure {
  const width = h.edges.length > 1 ? h.edges[1] - h.edges[0] : 1;
  // p(L) is a density per bit of loss; L p(L) is in bits per bit
  const valueColumn = weighted ? 'loss_times_density' : 'density_per_bit';
  const rows: Record<string, CsvValue>[] = [];
  h.density.forEach((d, c) =>
    d.forEach((p, b) => {
      const x = h.edges[b] + width / 2;
      rows.push({ series: labels[c], order: c, loss_bits: x, [valueColumn]: weighted ? x * p : p });
    }),
  );
  const plotted = weighted ? rows : rows.filter((r) => (r[valueColumn] as number) > 0);
  return {
    id,
    title,
    caption,
    rows,
    x: 'loss_bits',
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      data: { values: plotted },
      mark: { type: 'line', strokeWidth: 1.2 },
      encoding: {
        x: {
          field: 'loss_bits',
          type: 'quantitative',
          scale: dataScale(
            plotted.map((r) => r.loss_bits),
            !weighted,
          ),
          title: 'loss (bits)',
        },
        y: {
          field: valueColumn,
          type: 'quantitative',
          scale: dataScale(
            plotted.map((r) => r[valueColumn]),
            !weighted,
          ),
          title: weighted ? 'L p(L) (bits per bit)' : 'p(L) (per bit)',
        },
        color: { field: 'series', type: 'nominal', sort: labels, scale: { scheme: 'viridis' }, title: null },
        order: { field: 'order' },
      },
    },
  };
}

/** Fig. 11 left: mean loss against training step, log-log, with the alpha_S fit over its window. */
export function trainingFigure(a: TokenScalingAnalysis): Figure | undefined {
  const t = a.training;
  if (!t) return undefined;
  const rows: Record<string, CsvValue>[] = t.steps.map((s, i) => ({
    step: s,
    mean_loss_bits: bits(t.meanLoss[i]),
    in_window: t.window !== null && s >= t.window[0] && s <= t.window[1],
    fit_bits: t.fit ? bits(Math.exp(t.fit.intercept) * Math.pow(s, t.fit.slope)) : null,
  }));
  const x = {
    field: 'step',
    type: 'quantitative',
    scale: dataScale(
      rows.map((r) => r.step),
      true,
    ),
    title: 'step',
  };
  const yScale = dataScale(
    rows.flatMap((r) => [r.mean_loss_bits, r.in_window ? r.fit_bits : null]),
    true,
  );
  const color = {
    field: 'series',
    type: 'nominal',
    scale: { domain: ['measured', 'alpha_S fit'], range: ['#1f77b4', '#d62728'] },
    title: null,
  };
  return {
    id: 'lm-training-scaling',
    title: 'Mean test loss over training (Fig. 11 left)',
    caption:
      t.alphaS === null
        ? 'Too few checkpoints for alpha_S.'
        : `alpha_S = ${t.alphaS.toFixed(4)} over steps ${t.window![0]}..${t.window![1]} (the paper's 11k..100k of 143k); ` +
          'Pythia: 0.037 to 0.060.',
    rows,
    x: 'step',
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      data: { values: rows },
      layer: [
        {
          transform: [{ filter: 'datum.in_window' }, { calculate: "'alpha_S fit'", as: 'series' }],
          mark: { type: 'line', strokeDash: [5, 3] },
          encoding: {
            x,
            y: { field: 'fit_bits', type: 'quantitative', scale: yScale, title: 'mean loss (bits)' },
            color,
          },
        },
        {
          transform: [{ calculate: "'measured'", as: 'series' }],
          mark: { type: 'line', point: true },
          encoding: { x, y: { field: 'mean_loss_bits', type: 'quantitative', scale: yScale }, color },
        },
      ],
    },
  };
}

/** Figs. 4 and 12: per-token loss (bits) against N for a few example rows. */
export function tokenCurvesFigure(
  id: string,
  title: string,
  a: TokenScalingAnalysis,
  losses: Float32Array,
  examples: number[],
  tokens?: TokenInfo[],
): Figure {
  const M = a.parameters.length;
  const rows: Record<string, CsvValue>[] = [];
  for (const r of examples) {
    const label = `row ${r}${tokens ? `: ${shownToken(tokens[r])}` : ''}`;
    for (let m = 0; m < M; m++)
      rows.push({ token: label, parameters: a.parameters[m], loss_bits: bits(losses[r * M + m]) });
  }
  return {
    id,
    title,
    caption: 'Loss of single test tokens against model size.',
    rows,
    x: 'parameters',
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      data: { values: rows },
      mark: { type: 'line', point: true },
      encoding: {
        x: {
          field: 'parameters',
          type: 'quantitative',
          scale: dataScale(
            rows.map((q) => q.parameters),
            true,
          ),
          title: 'parameters N',
        },
        y: {
          field: 'loss_bits',
          type: 'quantitative',
          scale: dataScale(
            rows.map((q) => q.loss_bits),
            false,
          ),
          title: 'loss (bits)',
        },
        color: { field: 'token', type: 'nominal', title: null },
      },
    },
  };
}

/** Every figure of the analysis (without SVG: render with vegaLiteToSvg). */
export function tokenFigures(
  a: TokenScalingAnalysis,
  losses: Float32Array,
  tokens?: TokenInfo[],
  examplesPerKind = 4,
): Figure[] {
  const labels = a.parameters.map((N) => `N = ${fmtN(N)}`);
  const figs: Figure[] = [
    meanLossFigure(a),
    histogramFigure(
      'lm-loss-density',
      'p(L) per model (Fig. 3 middle)',
      'Density of per-token losses in bits (0.1-bit bins, log axes). Low losses dominate the count.',
      a.histograms,
      labels,
      false,
    ),
    histogramFigure(
      'lm-loss-integrand',
      'L p(L) per model (Fig. 3 right)',
      'The integrand of the mean loss: where the mean loss sits.',
      a.histograms,
      labels,
      true,
    ),
  ];
  const tf = trainingFigure(a);
  if (tf && a.training) {
    const stepLabels = a.training.steps.map((s) => `step ${s}`);
    figs.push(
      tf,
      histogramFigure(
        'lm-training-density',
        'p(L) over training (Fig. 11 middle)',
        'Per-token loss density at each checkpoint.',
        a.training.histograms,
        stepLabels,
        false,
      ),
      histogramFigure(
        'lm-training-integrand',
        'L p(L) over training (Fig. 11 right)',
        'The mean-loss integrand at each checkpoint.',
        a.training.histograms,
        stepLabels,
        true,
      ),
    );
  }
  const mono = distinctExamples(
    a.monogenic.map((t) => t.row),
    examplesPerKind,
    tokens,
  );
  const poly = distinctExamples(
    [...a.polygenic].sort((x, y) => x.slope - y.slope).map((t) => t.row),
    examplesPerKind,
    tokens,
  );
  if (mono.length > 0)
    figs.push(
      tokenCurvesFigure('lm-monogenic-examples', 'Monogenic tokens (Figs. 4, 12)', a, losses, mono, tokens),
    );
  if (poly.length > 0)
    figs.push(
      tokenCurvesFigure('lm-polygenic-examples', 'Polygenic tokens (Figs. 4, 12)', a, losses, poly, tokens),
    );
  return figs;
}

/** A table of example tokens in context (the token in bold), with their losses per model in bits. */
export function contextTable(
  rows: number[],
  a: TokenScalingAnalysis,
  losses: Float32Array,
  tokens?: TokenInfo[],
): string {
  const M = a.parameters.length;
  const body = rows.map((r) => {
    const ctx = tokens ? tokenContext(tokens, r) : ['', `row ${r}`];
    const tag = tokens?.[r]?.tag ? ` <small>/${escapeHtml(tokens[r].tag!)}</small>` : '';
    const cells = Array.from({ length: M }, (_, m) => `<td>${bits(losses[r * M + m]).toFixed(2)}</td>`).join(
      '',
    );
    return `<tr><td>${r}</td><td style="text-align:left">&hellip; ${escapeHtml(ctx[0])} <b style="background:#ffe08a">${escapeHtml(ctx[1])}</b>${tag}</td>${cells}</tr>`;
  });
  const head = `<tr><th>row</th><th>context &rarr; token</th>${a.parameters.map((N) => `<th>${fmtN(N)}</th>`).join('')}</tr>`;
  return `<table>\n${head}\n${body.join('\n')}\n</table>`;
}

/** The language-model sections of a report: figures (SVG already rendered, in `svgs` by figure id) and tables. */
export function languageModelSections(
  a: TokenScalingAnalysis,
  losses: Float32Array,
  svgs: Map<string, string>,
  tokens?: TokenInfo[],
  examplesPerKind = 6,
): ReportSection[] {
  const svg = (id: string) => (svgs.has(id) ? [svgs.get(id)!] : []);
  const link = (id: string) => ({ href: `${id}.csv`, label: `${id}.csv` });
  const sections: ReportSection[] = [
    {
      title: 'Language models: mean-loss scaling and loss distributions (Fig. 3)',
      svgs: [...svg('lm-mean-loss-scaling'), ...svg('lm-loss-density'), ...svg('lm-loss-integrand')],
      html: htmlTable(
        ['model', 'parameters N', 'mean loss (nats)', 'mean loss (bits)', 'losses > 18 bits'],
        a.parameters.map((N, m) => [
          String(m),
          N,
          a.scaling.meanLoss[m],
          bits(a.scaling.meanLoss[m]),
          a.histograms.outside[m],
        ]),
        4,
      ),
      caption:
        `${a.rows} tokens. alpha_N = ${a.scaling.alphaN.toFixed(4)} (R^2 ${a.scaling.fit.r2.toFixed(3)}, ` +
        `${a.scaling.modelsFitted} models); Pythia 0.083.`,
      links: ['lm-mean-loss-scaling', 'lm-loss-density', 'lm-loss-integrand'].map(link),
    },
  ];
  if (a.training) {
    const t = a.training;
    sections.push({
      title: 'Language models: training dynamics (Fig. 11)',
      svgs: [...svg('lm-training-scaling'), ...svg('lm-training-density'), ...svg('lm-training-integrand')],
      caption:
        t.alphaS === null
          ? 'Too few checkpoints for alpha_S.'
          : `alpha_S = ${t.alphaS.toFixed(4)} over steps ${t.window![0]}..${t.window![1]}; Pythia 0.037 to 0.060.`,
      links: ['lm-training-scaling', 'lm-training-density', 'lm-training-integrand'].map(link),
    });
  }
  const mono = distinctExamples(
    a.monogenic.map((t) => t.row),
    examplesPerKind,
    tokens,
  );
  const poly = distinctExamples(
    [...a.polygenic].sort((x, y) => x.slope - y.slope).map((t) => t.row),
    examplesPerKind,
    tokens,
  );
  sections.push({
    title: 'Language models: monogenic and polygenic tokens (Figs. 4, 12)',
    svgs: [...svg('lm-monogenic-examples'), ...svg('lm-polygenic-examples')],
    html:
      htmlTable(
        ['kind', 'criterion', 'tokens', 'share'],
        [
          [
            'monogenic',
            'above 5.0 nats before some size, below 0.3 nats from it on',
            a.monogenic.length,
            a.monogenicShare,
          ],
          [
            'polygenic',
            `slope < -0.3 nats per ln N, R^2 > 0.98 (first ${a.polygenicRowsScanned} rows)`,
            a.polygenic.length,
            a.polygenicShare,
          ],
        ],
        3,
      ) +
      '\n<h3>Monogenic examples</h3>\n' +
      (mono.length ? contextTable(mono, a, losses, tokens) : '<p>None.</p>') +
      '\n<h3>Polygenic examples (steepest first)</h3>\n' +
      (poly.length ? contextTable(poly, a, losses, tokens) : '<p>None.</p>') +
      '\n<p class="caption">Of the tokens first below 0.3 nats at model m, the share that stays below at every larger model: ' +
      a.staysLearnedShare
        .map((s, m) => (s === null ? '' : `${fmtN(a.parameters[m])}: ${(100 * s).toFixed(1)}%`))
        .filter(Boolean)
        .join(', ') +
      ' (Pythia: 88.9% at 19M down to 53-67%).</p>',
    caption:
      "The paper's caveat holds here too: a sharp per-token transition across sizes could be seed noise; one seed per size is not a test of it.",
    links: [link('lm-monogenic-examples'), link('lm-polygenic-examples')].filter(
      () => mono.length + poly.length > 0,
    ),
  });
  return sections;
}

/** What `quanta lm qdg` leaves in clusters.json that the language-model report shows. */
export interface LmQdgDocument {
  samples: number;
  envelope: {
    envelopeSlope: number;
    predictedSlope: number;
    alphaN: number;
    window: [number, number];
    r2: number;
  };
  purity?: { K: number; tag: number; tagRandom: number; token: number; tokenRandom: number };
  clustersShown?: {
    rank: number;
    size: number;
    topToken: string;
    tokenPurity: number;
    topTag: string;
    tagPurity: number;
  }[];
  source?: { width?: number; parameters?: number; lossThreshold?: number; candidates?: number };
}

/**
 * Whether `x` has the fields lmQdgSection reads, of the right types: a clusters.json of `quanta lm qdg`, not a
 * damaged or foreign one (which would fail inside the report instead of as bad input).
 */
export function isLmQdgDocument(x: unknown): x is LmQdgDocument {
  const obj = isJsonObject;
  const num = (v: unknown) => typeof v === 'number';
  if (!obj(x) || !obj(x.envelope)) return false;
  const e = x.envelope;
  if (!num(e.envelopeSlope) || !num(e.predictedSlope)) return false;
  if (!Array.isArray(e.window) || e.window.length !== 2 || !e.window.every(num)) return false;
  const p = x.purity;
  if (
    p !== undefined &&
    !(obj(p) && ['K', 'tag', 'tagRandom', 'token', 'tokenRandom'].every((k) => num(p[k])))
  )
    return false;
  const c = x.clustersShown;
  if (
    c !== undefined &&
    !(
      Array.isArray(c) &&
      c.every(
        (r) =>
          obj(r) &&
          ['rank', 'size', 'tokenPurity', 'tagPurity'].every((k) => num(r[k])) &&
          typeof r.topToken === 'string' &&
          typeof r.topTag === 'string',
      )
    )
  )
    return false;
  return x.source === undefined || obj(x.source);
}

/** The QDG-on-tokens section of the report (Figs. 1, 5, 13): envelope slope, purity, the largest clusters. */
export function lmQdgSection(doc: LmQdgDocument, qdgReportHref: string): ReportSection {
  const e = doc.envelope;
  const p = doc.purity;
  const rows: (string | number)[][] = [
    ['envelope slope', e.envelopeSlope],
    ['prediction -(1 + alpha_N)', e.predictedSlope],
    ['fit ranks', `${e.window[0]}..${e.window[1]}`],
  ];
  if (p) {
    rows.push(
      [`tag purity (K = ${p.K})`, `${p.tag.toFixed(3)} (random ${p.tagRandom.toFixed(3)})`],
      [`predicted-token purity (K = ${p.K})`, `${p.token.toFixed(3)} (random ${p.tokenRandom.toFixed(3)})`],
    );
  }
  const clusters = (doc.clustersShown ?? []).map(
    (c) => [c.rank, c.size, c.topToken, c.tokenPurity, c.topTag, c.tagPurity] as (string | number)[],
  );
  return {
    title: 'Language models: QDG on tokens (Figs. 1, 5, 13)',
    html:
      htmlTable(['measure', 'value'], rows, 4) +
      (clusters.length
        ? '\n' +
          htmlTable(['cluster', 'size', 'top predicted token', 'share', 'top tag', 'share'], clusters, 3)
        : ''),
    caption:
      `${doc.samples} low-loss test tokens` +
      (doc.source?.parameters ? ` of the ${doc.source.parameters}-parameter model` : '') +
      `. Pythia: slope -1.237 against -1.083. The clusters with their contexts are in the QDG report.`,
    links: [{ href: qdgReportHref, label: 'QDG report (clusters in context)' }],
  };
}

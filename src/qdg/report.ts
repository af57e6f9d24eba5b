// QDG outputs: clusters.json, rank-frequency.csv, the similarity picture(s) and report.html with the
// rank-frequency curves of every K, their envelope, its least-squares fit and the prediction -(1 + alpha_N)
// (Figure 5 right; Figure 15 for sparse parity). Figures are Vega-Lite (src/report/qdg-figures.ts), rendered
// and laid out as the sweep report's.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { RunConfig } from '../train/config.js';
import { recordJsonLayout } from '../train/record.js';
import type { QdgConfig } from './config.js';
import type { QdgAnalysis } from './pipeline.js';
import { choiceName, type RecoveryChoice, type RecoveryPoint } from './recovery.js';
import { rankFrequencyCsv } from './rank-frequency.js';
import { htmlPage, htmlTable, type ReportSection } from '../report/html.js';
import { rankFrequencyFigure, recoveryFigure, similarityFigure } from '../report/qdg-figures.js';
import { vegaLiteToSvg } from '../report/vega.js';

/** What the envelope window rule is, in words (for clusters.json and the report). */
export const WINDOW_RULE =
  'ranks [round(S/100)+1, round(S/10)] by default (the paper fits ranks 101..1000 of S = 10,000 samples), ' +
  'shrunk to end at round(2K/3) when the largest K is below round(S/10) (the paper: 1000 of K up to 1500)';

/** What a model's per-sample gradients are, in words (report.html's notes): "per-sample gradients of ...". */
export function gradientDescription(config: Pick<QdgConfig, 'gradientOf' | 'layers'>): string {
  const of = config.gradientOf === 'logit' ? 'the logit difference z_1 - z_0' : 'the loss';
  const wrt = config.layers === null ? 'every weight and bias' : config.layers.join(', ');
  return `per-sample gradients of ${of} with respect to ${wrt}`;
}

/** The machine-readable summary (`--json` on stdout). */
export interface QdgSummary {
  samples: number;
  clusters: number[];
  envelopeSlope: number | null;
  window: [number, number];
  ranksUsed: number;
  predictedSlope: number;
  alphaN: number;
  ari?: Record<string, number>;
  nmi?: Record<string, number>;
  timing: Record<string, number>;
  out: string;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

export function qdgSummary(a: QdgAnalysis, out: string): QdgSummary {
  const summary: QdgSummary = {
    samples: a.samples,
    clusters: a.clusterings.map((c) => c.K),
    envelopeSlope: finiteOrNull(a.fit.envelopeSlope),
    window: [a.fit.window.first, a.fit.window.last],
    ranksUsed: a.fit.ranksUsed,
    predictedSlope: a.predictedSlope,
    alphaN: a.alphaN,
    timing: Object.fromEntries(Object.entries(a.timing).map(([k, v]) => [k, round(v ?? 0, 3)])),
    out,
  };
  if (a.clusterings.some((c) => c.ari !== undefined)) {
    summary.ari = Object.fromEntries(a.clusterings.map((c) => [String(c.K), round(c.ari ?? NaN)]));
    summary.nmi = Object.fromEntries(a.clusterings.map((c) => [String(c.K), round(c.nmi ?? NaN)]));
  }
  return summary;
}

/** JSON with one key per line but number arrays kept on one line (labels of 10,000 samples stay readable). */
export function compactJson(value: unknown): string {
  return recordJsonLayout(value) + '\n';
}

/** The clusters.json document. */
export function clustersDocument(a: QdgAnalysis, extra: Record<string, unknown> = {}): unknown {
  return {
    samples: a.samples,
    eigenvalues: a.eigenvalues,
    clusterings: Object.fromEntries(
      a.clusterings.map((c) => [
        String(c.K),
        {
          labels: Array.from(c.labels),
          sizes: c.sizes,
          inertia: c.inertia,
          ...(c.ari !== undefined ? { ari: c.ari, nmi: c.nmi } : {}),
        },
      ]),
    ),
    envelope: {
      sizes: a.envelope,
      window: [a.fit.window.first, a.fit.window.last],
      windowRule: WINDOW_RULE,
      ranksUsed: a.fit.ranksUsed,
      envelopeSlope: a.fit.envelopeSlope,
      intercept: a.fit.intercept,
      r2: a.fit.r2,
      alphaN: a.alphaN,
      predictedSlope: a.predictedSlope,
    },
    eigensolver: a.eigensolver,
    timing: a.timing,
    ...extra,
  };
}

/** Writes clusters.json and rank-frequency.csv into `out`; returns the paths written. */
export function writeClusterFiles(
  out: string,
  a: QdgAnalysis,
  extra: Record<string, unknown> = {},
): string[] {
  const json = join(out, 'clusters.json');
  const csv = join(out, 'rank-frequency.csv');
  writeFileAtomic(json, compactJson(clustersDocument(a, extra)));
  writeFileAtomic(csv, rankFrequencyCsv(new Map(a.clusterings.map((c) => [c.K, c.sizes]))));
  return [json, csv];
}

const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

/** A similarity picture written beside the report, with the colour range similarityPng used. */
export interface ReportImage {
  file: string;
  caption: string;
  /** Block-mean pixels a side, the PNG's width (with its colour bar) and the colour range (CMRmap, min to max). */
  image: { n: number; width: number; min: number; max: number };
  ordering: string;
}

/** The rank-frequency figure rendered to SVG (Vega-Lite, as every report figure). */
export async function rankFrequencySvg(a: QdgAnalysis, opts: Parameters<typeof rankFrequencyFigure>[1] = {}) {
  return vegaLiteToSvg(rankFrequencyFigure(a, opts).spec);
}

/** The similarity pictures as figures with their colour bars, rendered to SVG. */
export async function similaritySvgs(images: ReportImage[]): Promise<string[]> {
  return Promise.all(
    images.map((im, i) =>
      vegaLiteToSvg(
        similarityFigure(im.file, im.image, {
          id: `similarity-${i}`,
          title: `Affinity ordered by ${im.ordering}`,
          caption: im.caption,
          ordering: im.ordering,
        }).spec,
      ),
    ),
  );
}

/** The report page: summary, rank-frequency figure, similarity pictures, per-K table, timing. */
export async function qdgReportHtml(
  a: QdgAnalysis,
  opts: { title: string; notes: string[]; images: ReportImage[] },
): Promise<string> {
  const hasTruth = a.clusterings.some((c) => c.ari !== undefined);
  const table = htmlTable(
    ['K', 'non-empty', 'largest', 'smallest', 'inertia', ...(hasTruth ? ['ARI', 'NMI'] : [])],
    a.clusterings.map((c) => [
      c.K,
      c.sizes.length,
      c.sizes[0],
      c.sizes[c.sizes.length - 1],
      c.inertia,
      ...(hasTruth ? [c.ari ?? null, c.nmi ?? null] : []),
    ]),
    4,
  );
  const timing = htmlTable(
    ['stage', 'seconds'],
    Object.entries(a.timing).map(([k, v]) => [k, fmt(v ?? 0, 2)]),
  );
  const sections: ReportSection[] = [
    {
      title: 'Rank-frequency of cluster sizes (Figs. 5 right, 15)',
      svgs: [await rankFrequencySvg(a)],
      caption:
        `Envelope slope ${fmt(a.fit.envelopeSlope)} (least squares of ln size on ln rank over ranks ` +
        `${a.fit.window.first}..${a.fit.window.last}, ${a.fit.ranksUsed} ranks used, R^2 ${fmt(a.fit.r2)}); ` +
        `prediction -(1 + alpha_N) = ${fmt(a.predictedSlope)} with alpha_N = ${a.alphaN}. The window is ` +
        `${WINDOW_RULE}, unless set with --window.`,
      links: [{ href: 'rank-frequency.csv', label: 'data: rank-frequency.csv' }],
    },
  ];
  if (opts.images.length)
    sections.push({
      title: 'Similarity matrix (Figs. 5 left, 15)',
      svgs: await similaritySvgs(opts.images),
      caption: opts.images.map((im) => im.caption).join(' '),
      links: opts.images.map((im) => ({ href: im.file, label: im.file })),
    });
  sections.push(
    { title: 'Clusterings', html: table, links: [{ href: 'clusters.json', label: 'clusters.json' }] },
    {
      title: 'Eigensolver and timing',
      html:
        `<p>Lanczos iterations ${a.eigensolver.iterations}` +
        `${a.eigensolver.block === 2 ? ' (two basis vectors per pass)' : ''}` +
        `${a.eigensolver.simd === 'relaxed' ? ', fused multiply-adds (QUANTA_SIMD=relaxed)' : ''}; largest eigenpair residual ` +
        `${a.eigensolver.maxResidual.toExponential(2)}` +
        `${a.eigensolver.converged ? '' : ' (<b>not every eigenpair met the tolerance</b>)'}; smallest Laplacian ` +
        `eigenvalues ${a.eigenvalues
          .slice(0, 5)
          .map((v) => v.toExponential(2))
          .join(', ')} ...</p>\n${timing}`,
    },
  );
  return htmlPage({
    title: opts.title,
    intro:
      `${a.samples} samples; K = ${a.clusterings.map((c) => c.K).join(', ')}. ` +
      `Envelope slope ${fmt(a.fit.envelopeSlope)} against the predicted ${fmt(a.predictedSlope)}. ` +
      opts.notes.join(' '),
    sections,
  });
}

/** What the recovery study ran (recovery.json beside its points). */
export interface RecoveryStudy {
  run: RunConfig;
  choices: readonly RecoveryChoice[];
  layers: readonly string[] | 'all';
  samples: number;
  lossThreshold: number;
  /** K from clusters[0] to clusters[1]. */
  clusters: [number, number];
  nInit: number;
  seed: number;
  points: RecoveryPoint[];
}

/**
 * The choices whose clusterings scored the same at every snapshot, in words (their lines coincide). For a
 * one-hidden-layer ReLU net logit/signed, logit/abs and loss/abs are one choice: the Gram of the logit
 * difference has no negative entry, and the loss gradient is it times a label sign.
 */
function sameScores(study: RecoveryStudy): string {
  const key = (c: RecoveryChoice) =>
    study.points
      .map((p) => p.scores.find((s) => choiceName(s) === choiceName(c)))
      .map((s) => (s ? `${s.K}:${s.ari}:${s.bestAri}` : '-'))
      .join(',');
  const groups = new Map<string, string[]>();
  for (const c of study.choices) groups.set(key(c), [...(groups.get(key(c)) ?? []), choiceName(c)]);
  const same = [...groups.values()].filter((g) => g.length > 1);
  return same.length
    ? ` Identical at every snapshot (one line hides the others): ${same.map((g) => g.join(' = ')).join('; ')}.`
    : '';
}

/** The recovery study's page: the figure of ARI against subtasks learned, and a table of every score. */
export async function recoveryReportHtml(study: RecoveryStudy): Promise<string> {
  const figure = recoveryFigure(study.points);
  const r = study.run;
  const table = htmlTable(
    [
      'step',
      'learned',
      'samples',
      'present',
      'choice',
      'K',
      'ARI',
      'NMI',
      'best ARI (K)',
      'ARI (subtask, label) at 2K',
      'slope',
    ],
    study.points.flatMap((p) =>
      p.scores.length
        ? p.scores.map((s) => [
            p.step,
            p.learned,
            p.samples,
            p.presentSubtasks,
            choiceName(s),
            s.K,
            s.ari,
            s.nmi,
            `${fmt(s.bestAri)} (${s.bestK})`,
            s.ariSubtaskAndLabel,
            s.envelopeSlope,
          ])
        : [[p.step, p.learned, p.samples, p.presentSubtasks, p.note ?? '', '', '', '', '', '', '']],
    ),
    3,
  );
  return htmlPage({
    title: 'QDG recovery: do the clusters find the subtasks?',
    intro:
      `One run (${r.nTasks} subtasks, n ${r.n}, k ${r.k}, alpha ${r.alpha}, width ${r.width}, ` +
      `${r.steps} steps of ${r.batch}, lr ${r.lr}, seed ${r.seed}) snapshotted at ` +
      `${study.points.length} steps. At each snapshot ${study.samples} samples with loss below ` +
      `${study.lossThreshold} nats are clustered (per-sample gradients with respect to ` +
      `${study.layers === 'all' ? 'every weight and bias' : study.layers.join(', ')}; ${study.nInit} k-means ` +
      `restarts for every K from ${study.clusters[0]} to ${study.clusters[1]}) and scored against their true subtasks.`,
    sections: [
      {
        title: 'ARI against the subtasks learned',
        svgs: [await vegaLiteToSvg(figure.spec)],
        caption: figure.caption + sameScores(study),
        links: [
          { href: 'recovery.csv', label: 'data: recovery.csv' },
          { href: 'recovery.json', label: 'recovery.json' },
        ],
      },
      {
        title: 'Every snapshot and choice',
        html: table,
        caption:
          'present: subtasks holding at least 1% of the samples; K: the clusters scored (= present); ARI (subtask, ' +
          'label): against (subtask, parity label) pairs at twice that K; slope: the envelope slope of the sweep. ' +
          'Each snapshot is a run record under snapshots/ that `quanta qdg --run` takes.',
      },
    ],
  });
}

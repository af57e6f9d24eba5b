// The report section of the ground-truth scoring (./ground-truth.ts): precision and recall of the paper's
// monogenic and polygenic criteria per seed and on the seed-mean losses, seed agreement, monogenic transition
// widths, and alpha_N against the skills' Zipf exponent.
import { htmlTable, type ReportSection } from '../report/html.js';
import { dataScale, FIGURE_HEIGHT, FIGURE_WIDTH, type Figure } from '../report/vega.js';
import type { CsvValue } from '../report/csv.js';
import { natsToBits as bits } from '../core/units.js';
import {
  trueMonogenicRows,
  type ClassScore,
  type GroundTruthScore,
  type TruthLabels,
} from './ground-truth.js';
import { TokenClass } from './skills.js';

const row = (what: string, c: ClassScore) => [
  what,
  c.precision,
  c.recall,
  c.found,
  c.correct,
  c.trueTokens,
  c.trueFound,
];

export function groundTruthSection(g: GroundTruthScore, svgs: string[] = []): ReportSection {
  const header = [
    'criterion on',
    'precision',
    'recall',
    'found',
    'found of the class',
    'true tokens',
    'true found',
  ];
  const table = (pick: (s: { monogenic: ClassScore; polygenic: ClassScore }) => ClassScore) =>
    htmlTable(
      header,
      [
        ...g.perSeed.map((s) => row(`seed ${s.seed}`, pick(s))),
        row('mean over seeds', pick(g)),
        row('seed-mean losses', pick(g.seedMean)),
      ],
      3,
    );
  const s = g.scaling;
  const fmt = (x: number | null | undefined, d = 4) => (x === null || x === undefined ? 'n/a' : x.toFixed(d));
  const t = g.transitions;
  return {
    title: 'Ground truth: the criteria against the skills language',
    svgs,
    links: svgs.length > 0 ? [{ href: 'lm-truth-examples.csv', label: 'lm-truth-examples.csv' }] : undefined,
    html:
      `<p>${g.counts.rows} test tokens: ${g.counts.monogenic} monogenic, ${g.counts.polygenic} polygenic and ` +
      `${g.counts.irreducible} irreducible by construction. True monogenic tokens: those of skills learned inside the ` +
      `family's range in that seed (skill mean loss &ge; ${g.definitions.unlearnedAtSmallest.toFixed(2)} nats at the ` +
      `smallest model and &le; ${g.definitions.learnedAtLargest.toFixed(2)} at the largest); true polygenic tokens: every ` +
      `polygenic token of the first ${g.definitions.polygenicRows} rows.</p>` +
      `<h3>Monogenic (above 5.0 nats for every smaller model, below 0.3 from one size on)</h3>` +
      table((x) => x.monogenic) +
      `<h3>Polygenic (slope of loss on ln N below -0.3, R^2 above 0.98)</h3>` +
      table((x) => x.polygenic) +
      htmlTable(
        ['quantity', 'value'],
        [
          ['seed agreement, monogenic (found in every seed / in some seed)', fmt(g.agreement.monogenic, 3)],
          ['seed agreement, polygenic', fmt(g.agreement.polygenic, 3)],
          ['seed agreement, every scanned token (same class in all seeds)', fmt(g.agreement.overall, 3)],
          [
            'monogenic transitions: median width ln N(0.3 nats) - ln N(5.0 nats)',
            `${fmt(t.medianWidth, 2)} (${t.tokens} crossings; the family's median step is ${t.medianStep.toFixed(2)})`,
          ],
          ['share of crossings narrower than one step', fmt(t.narrowerThanStep, 3)],
          ["the skills' Zipf exponent alpha (predicted alpha_N)", String(s.predicted)],
          [
            "alpha_N, mean loss (the paper's fit, no offset)",
            `${fmt(s.raw.alphaN)} (R^2 ${fmt(s.raw.r2, 3)})`,
          ],
          [
            `alpha_N, mean loss minus the Bayes loss ${s.bayesLoss.toFixed(4)} nats`,
            s.reducible ? `${fmt(s.reducible.alphaN)} (R^2 ${fmt(s.reducible.r2, 3)})` : 'n/a',
          ],
          [
            'alpha_N, mean loss of the monogenic tokens',
            s.monogenic ? `${fmt(s.monogenic.alphaN)} (R^2 ${fmt(s.monogenic.r2, 3)})` : 'n/a',
          ],
          [
            `monogenic skills learned per size (of ${s.skillsWithTokens})`,
            s.learnedSkills.join(', ') +
              (s.learnedExponent
                ? `; n ~ N^${fmt(s.learnedExponent.beta, 3)}, so alpha beta = ${fmt(s.predicted * s.learnedExponent.beta, 3)}`
                : ''),
          ],
          [
            'the quantization model given those sets: alpha_N of the unlearned use share sum p_k',
            s.unlearnedShareFit
              ? `${fmt(s.unlearnedShareFit.alphaN)} (R^2 ${fmt(s.unlearnedShareFit.r2, 3)})`
              : 'n/a',
          ],
        ],
      ),
    caption:
      "Precision: share of the tokens a criterion finds whose class is that criterion's. Recall: share of the true " +
      'tokens it finds. A monogenic transition can only pass the criterion when its loss goes from above 5.0 to below ' +
      '0.3 nats between two adjacent sizes; the transition widths say how often that can happen.',
  };
}

/**
 * Figs. 4 and 12 with seed bands: a few true monogenic tokens (of different skills) and true polygenic tokens,
 * one line per seed, so that a transition that only one seed shows is visible as such.
 */
export function groundTruthExamplesFigure(
  losses: Float32Array[],
  seeds: number[],
  rows: number,
  parameters: number[],
  truth: TruthLabels,
  perKind = 3,
): Figure {
  const M = parameters.length;
  const mono: number[] = [];
  const skills = new Set<number>();
  for (const r of [...trueMonogenicRows(losses[0], rows, M, truth)]) {
    if (skills.has(truth.skill[r])) continue;
    skills.add(truth.skill[r]);
    mono.push(r);
  }
  // spread over the skills found (their rows come in stream order)
  const pick = (xs: number[]) =>
    xs.length <= perKind
      ? xs
      : Array.from({ length: perKind }, (_, i) => xs[Math.floor(((i + 0.5) * xs.length) / perKind)]);
  const poly: number[] = [];
  for (let r = 0; r < rows && poly.length < perKind; r++)
    if (truth.cls[r] === TokenClass.polygenic) poly.push(r);
  const out: Record<string, CsvValue>[] = [];
  for (const [kind, list] of [
    ['monogenic', pick(mono)],
    ['polygenic', poly],
  ] as const) {
    for (const r of list) {
      const token = `${kind} row ${r}${kind === 'monogenic' ? ` (skill ${truth.skill[r]})` : ''}`;
      losses.forEach((l, s) => {
        for (let m = 0; m < M; m++)
          out.push({ token, kind, seed: seeds[s], parameters: parameters[m], loss_bits: bits(l[r * M + m]) });
      });
    }
  }
  return {
    id: 'lm-truth-examples',
    title: 'True monogenic and polygenic tokens, one line per seed (Figs. 4, 12)',
    caption:
      'Loss of single test tokens against model size, every seed. The monogenic criterion needs a drop from above ' +
      '7.2 bits (5 nats) to below 0.43 bits (0.3 nats) between two adjacent sizes, in every seed.',
    rows: out,
    x: 'parameters',
    spec: {
      width: FIGURE_WIDTH,
      height: FIGURE_HEIGHT,
      data: { values: out },
      mark: { type: 'line', point: true, opacity: 0.8 },
      encoding: {
        x: {
          field: 'parameters',
          type: 'quantitative',
          scale: dataScale(
            out.map((q) => q.parameters),
            true,
          ),
          title: 'parameters N',
        },
        y: {
          field: 'loss_bits',
          type: 'quantitative',
          scale: dataScale(
            out.map((q) => q.loss_bits),
            false,
          ),
          title: 'loss (bits)',
        },
        color: { field: 'token', type: 'nominal', title: null },
        detail: { field: 'seed', type: 'nominal' },
        strokeDash: { field: 'kind', type: 'nominal', title: null },
      },
    },
  };
}

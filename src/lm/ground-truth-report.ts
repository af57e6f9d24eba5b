// The report section of the ground-truth scoring (./ground-truth.ts): precision and recall of the paper's
// monogenic and polygenic criteria per seed and on the seed-mean losses, seed agreement, monogenic transition
// widths, and alpha_N against the skills' Zipf exponent.
import { htmlTable, type ReportSection } from '../report/html.js';
import type { ClassScore, GroundTruthScore } from './ground-truth.js';

const row = (what: string, c: ClassScore) => [what, c.precision, c.recall, c.found, c.correct, c.trueTokens, c.trueFound];

export function groundTruthSection(g: GroundTruthScore): ReportSection {
  const header = ['criterion on', 'precision', 'recall', 'found', 'found of the class', 'true tokens', 'true found'];
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
          ['alpha_N, mean loss (the paper\'s fit, no offset)', `${fmt(s.raw.alphaN)} (R^2 ${fmt(s.raw.r2, 3)})`],
          [
            `alpha_N, mean loss minus the Bayes loss ${s.bayesLoss.toFixed(4)} nats`,
            s.reducible ? `${fmt(s.reducible.alphaN)} (R^2 ${fmt(s.reducible.r2, 3)})` : 'n/a',
          ],
          [
            'alpha_N, mean loss of the monogenic tokens',
            s.monogenic ? `${fmt(s.monogenic.alphaN)} (R^2 ${fmt(s.monogenic.r2, 3)})` : 'n/a',
          ],
        ],
      ),
    caption:
      'Precision: share of the tokens a criterion finds whose class is that criterion\'s. Recall: share of the true ' +
      'tokens it finds. A monogenic transition can only pass the criterion when its loss goes from above 5.0 to below ' +
      '0.3 nats between two adjacent sizes; the transition widths say how often that can happen.',
  };
}

// The page's view of a QDG result: the summary (envelope slope beside -(1 + alpha_N), the best ARI), the
// affinity ordered by the clusters of a chosen K and by the true labels (./similarity.ts), the rank-frequency
// plot of every K with the envelope, its fit and the prediction (./plots.ts), and a table of every K. State
// that the end-to-end test reads is mirrored on <body data-qdg-*>.
import { PAPER_ALPHA_N } from 'quanta/qdg';
import type { QdgResultMessage } from './qdg-protocol.js';
import { renderLogLog, type Series } from './plots.js';
import { renderSimilarity } from './similarity.js';

const COLORS = { each: '#c4c4c8', envelope: '#1f5fa8', fit: '#d9730d', theory: '#555' };
/** Largest clusters listed per K in the table. */
const LISTED_SIZES = 5;

const $ = <T extends Element>(selector: string) => document.querySelector(selector) as T;

/**
 * The K whose clusters order the first picture: the best ARI when there are true labels, else the K closest to
 * S/25 (the rule of `quanta qdg`'s similarity-by-cluster.png, src/qdg/write.ts).
 */
export function defaultOrderingK(result: QdgResultMessage): number {
  const cs = result.clusterings;
  if (cs.every((c) => c.ari !== undefined)) {
    return cs.reduce((best, c) => (c.ari! > best.ari! ? c : best), cs[0]).K;
  }
  const target = result.samples / 25;
  return cs.reduce((best, c) => (Math.abs(c.K - target) < Math.abs(best.K - target) ? c : best), cs[0]).K;
}

function fixed(x: number | undefined, digits = 3): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function rankFrequencySeries(r: QdgResultMessage): Series[] {
  const series: Series[] = r.clusterings.map((c, i) => ({
    label: 'each K',
    color: COLORS.each,
    strokeWidth: 1,
    legend: i === 0,
    points: c.sizes.map((size, rank) => [rank + 1, size] as const),
  }));
  series.push({
    label: 'envelope',
    color: COLORS.envelope,
    strokeWidth: 2.4,
    points: r.envelope.map((size, rank) => [rank + 1, size] as const),
  });
  const { fit } = r;
  const last = Math.min(fit.last, r.envelope.length);
  if (Number.isFinite(fit.slope) && last > fit.first) {
    const at = (rank: number) => Math.exp(fit.intercept) * Math.pow(rank, fit.slope);
    series.push({
      label: `fit, slope ${fit.slope.toFixed(2)} (ranks ${fit.first}–${last})`,
      color: COLORS.fit,
      dashed: true,
      points: [
        [fit.first, at(fit.first)],
        [last, at(last)],
      ],
    });
    // the prediction is placed, not fitted: through the fit's value at the window's first rank
    const y0 = at(fit.first);
    series.push({
      label: `−(1 + αN) = ${r.predictedSlope.toFixed(2)}`,
      color: COLORS.theory,
      dashed: true,
      points: [
        [fit.first, y0],
        [last, y0 * Math.pow(last / fit.first, r.predictedSlope)],
      ],
    });
  }
  return series;
}

/** Draws `result` with its first picture ordered by the clusters of `K`. */
export function renderQdgResult(r: QdgResultMessage, K: number): void {
  const body = document.body;
  const clustering = r.clusterings.find((c) => c.K === K) ?? r.clusterings[0];
  const hasTruth = r.trueLabels !== undefined;
  const bestAri = hasTruth
    ? r.clusterings.reduce((best, c) => (c.ari! > best.ari! ? c : best), r.clusterings[0])
    : undefined;

  $('#qdg-slope').textContent = fixed(r.fit.slope);
  $('#qdg-slope-window').textContent = Number.isFinite(r.fit.slope)
    ? `ranks ${r.fit.first}–${r.fit.last} (${r.fit.ranksUsed} used), R² ${r.fit.r2.toFixed(2)}`
    : 'too few ranks to fit';
  $('#qdg-predicted').textContent = r.predictedSlope.toFixed(3);
  $('#qdg-alpha-n').textContent =
    r.source === 'model'
      ? `α_N = α = ${r.alphaN} of the task`
      : `α_N = ${r.alphaN}${r.alphaN === PAPER_ALPHA_N ? ' (the paper’s, for LLMs)' : ''}`;
  $('#qdg-ari').textContent = bestAri ? fixed(bestAri.ari) : '–';
  $('#qdg-ari-note').textContent = bestAri
    ? `at K = ${bestAri.K}` +
      (r.source === 'model'
        ? `; against (subtask, parity label) pairs up to ${fixed(Math.max(...r.clusterings.map((c) => c.ariSubtaskAndLabel ?? -1)))}: a gradient flips sign with the label`
        : '')
    : 'no true labels (give a labels .npy)';

  const select = $<HTMLSelectElement>('#qdg-k');
  const options = r.clusterings.map((c) => String(c.K));
  if (Array.from(select.options, (o) => o.value).join() !== options.join()) {
    select.replaceChildren(...options.map((k) => new Option(k, k)));
  }
  select.value = String(clustering.K);
  select.disabled = false;

  $('#qdg-truth-caption').textContent =
    r.source === 'model'
      ? 'Affinity ordered by true subtask, most frequent first, then by parity label'
      : 'Affinity ordered by your labels, largest group first';
  const image = (pixels: Float32Array) => ({ n: r.imageSide, pixels });
  const blocks = r.imageSide < r.samples ? `, ${r.imageSide} × ${r.imageSide} block means` : '';
  renderSimilarity(
    $<HTMLCanvasElement>('#qdg-by-cluster'),
    image(clustering.image),
    `${r.samples} samples by the K = ${clustering.K} clusters${blocks}`,
  );
  renderSimilarity(
    $<HTMLCanvasElement>('#qdg-by-truth'),
    r.truthImage ? image(r.truthImage) : null,
    r.truthImage
      ? `${r.samples} samples by ${r.source === 'model' ? 'subtask, then label' : 'label'}${blocks}`
      : 'no true labels',
  );
  renderLogLog($<SVGSVGElement>('#qdg-rank-frequency'), {
    xLabel: 'rank',
    yLabel: 'cluster size (samples)',
    series: rankFrequencySeries(r),
  });

  $('#qdg-pair-head').toggleAttribute('hidden', r.source !== 'model');
  const rows = r.clusterings.map((c) => {
    const tr = document.createElement('tr');
    if (c.K === clustering.K) tr.className = 'selected';
    const sizes = c.sizes.slice(0, LISTED_SIZES).join(' ') + (c.sizes.length > LISTED_SIZES ? ' …' : '');
    const cells = [String(c.K), sizes, fixed(c.ari)];
    if (r.source === 'model') cells.push(fixed(c.ariSubtaskAndLabel));
    cells.push(fixed(c.nmi));
    for (const text of cells) tr.append(Object.assign(document.createElement('td'), { textContent: text }));
    return tr;
  });
  $('#qdg-per-k tbody').replaceChildren(...rows);

  body.dataset.qdgSource = r.source;
  body.dataset.qdgSamples = String(r.samples);
  body.dataset.qdgClusterings = String(r.clusterings.length);
  body.dataset.qdgSlope = Number.isFinite(r.fit.slope) ? r.fit.slope.toFixed(4) : 'NaN';
  body.dataset.qdgPredictedSlope = r.predictedSlope.toFixed(4);
  body.dataset.qdgOrderK = String(clustering.K);
  if (bestAri) {
    body.dataset.qdgAri = bestAri.ari!.toFixed(4);
    body.dataset.qdgAriK = String(bestAri.K);
  } else {
    delete body.dataset.qdgAri;
    delete body.dataset.qdgAriK;
  }
}

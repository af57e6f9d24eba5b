// QDG outputs: clusters.json, rank-frequency.csv, the similarity picture(s) and report.html with the
// rank-frequency curves of every K, their envelope, its least-squares fit and the prediction -(1 + alpha_N)
// (Figure 5 right; Figure 15 for sparse parity). Plots are plain inline SVG, no dependencies.
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { recordJsonLayout } from '../train/record.js';
import type { QdgAnalysis } from './pipeline.js';
import { rankFrequencyCsv } from './rank-frequency.js';
import { cmrmapCss } from './similarity-image.js';

/** What the envelope window rule is, in words (for clusters.json and the report). */
export const WINDOW_RULE =
  'ranks [round(S/100)+1, round(S/10)] by default (the paper fits ranks 101..1000 of S = 10,000 samples), ' +
  'shrunk to end at round(2K/3) when the largest K is below round(S/10) (the paper: 1000 of K up to 1500)';

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

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

export interface LogLogCurve {
  points: [number, number][];
  color: string;
  width?: number;
  dash?: string;
  label?: string;
}

/** A log-log line plot as inline SVG (axes at powers of ten, curves as polylines, an optional legend). */
export function logLogSvg(curves: LogLogCurve[], xLabel: string, yLabel: string, title = ''): string {
  const W = 640;
  const H = 440;
  const m = { left: 64, right: 16, top: 28, bottom: 48 };
  const pts = curves.flatMap((c) => c.points).filter(([x, y]) => x > 0 && y > 0);
  if (pts.length === 0) return `<p>(nothing to plot)</p>`;
  const lx = pts.map(([x]) => Math.log10(x));
  const ly = pts.map(([, y]) => Math.log10(y));
  const x0 = Math.floor(Math.min(...lx));
  const x1 = Math.max(x0 + 1, Math.ceil(Math.max(...lx)));
  const y0 = Math.floor(Math.min(...ly));
  const y1 = Math.max(y0 + 1, Math.ceil(Math.max(...ly)));
  const sx = (x: number) => m.left + ((Math.log10(x) - x0) / (x1 - x0)) * (W - m.left - m.right);
  const sy = (y: number) => H - m.bottom - ((Math.log10(y) - y0) / (y1 - y0)) * (H - m.top - m.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ` +
      `font-family="sans-serif" font-size="12">`,
    `<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" ` +
      `fill="none" stroke="#444"/>`,
    `<text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${esc(title)}</text>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  for (let e = x0; e <= x1; e++) {
    const x = sx(10 ** e);
    parts.push(`<line x1="${x}" x2="${x}" y1="${m.top}" y2="${H - m.bottom}" stroke="#eee"/>`);
    parts.push(`<text x="${x}" y="${H - m.bottom + 16}" text-anchor="middle">10^${e}</text>`);
  }
  for (let e = y0; e <= y1; e++) {
    const y = sy(10 ** e);
    parts.push(`<line x1="${m.left}" x2="${W - m.right}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${m.left - 6}" y="${y + 4}" text-anchor="end">10^${e}</text>`);
  }
  let legendY = m.top + 16;
  for (const c of curves) {
    const p = c.points.filter(([x, y]) => x > 0 && y > 0);
    if (p.length === 0) continue;
    const d = p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline points="${d}" fill="none" stroke="${c.color}" stroke-width="${c.width ?? 1}"` +
        `${c.dash ? ` stroke-dasharray="${c.dash}"` : ''}/>`,
    );
    if (c.label) {
      const lxp = W - m.right - 230;
      parts.push(
        `<line x1="${lxp}" x2="${lxp + 24}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${c.color}" ` +
          `stroke-width="${c.width ?? 1}"${c.dash ? ` stroke-dasharray="${c.dash}"` : ''}/>`,
        `<text x="${lxp + 30}" y="${legendY}">${esc(c.label)}</text>`,
      );
      legendY += 16;
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The rank-frequency figure: one curve per K (coloured by K), the envelope, its fit and the prediction. */
export function rankFrequencySvg(
  a: QdgAnalysis,
  title = 'Cluster rank-frequency',
  extraCurves: LogLogCurve[] = [],
  predictionLabel = 'prediction -(1+alpha_N)',
): string {
  const Ks = a.clusterings.map((c) => c.K);
  const kMin = Math.min(...Ks);
  const kMax = Math.max(...Ks);
  const curves: LogLogCurve[] = a.clusterings.map((c) => ({
    points: c.sizes.map((s, r) => [r + 1, s] as [number, number]),
    color: cmrmapCss(0.1 + (0.75 * (c.K - kMin)) / Math.max(1, kMax - kMin)),
  }));
  curves.push({
    points: a.envelope.map((s, r) => [r + 1, s] as [number, number]),
    color: '#000',
    width: 2,
    label: 'envelope (max over K)',
  });
  const { first, last } = a.fit.window;
  const end = Math.min(last, a.envelope.length);
  if (Number.isFinite(a.fit.envelopeSlope) && end > first) {
    const line = (slope: number, intercept: number): [number, number][] =>
      [first, end].map((r) => [r, Math.exp(intercept + slope * Math.log(r))]);
    curves.push({
      points: line(a.fit.envelopeSlope, a.fit.intercept),
      color: '#d62728',
      width: 2,
      dash: '6 3',
      label: `fit, ranks ${first}..${end}: slope ${fmt(a.fit.envelopeSlope)}`,
    });
    // The prediction drawn through the fit's centre, so only the slopes are compared.
    const mid = Math.sqrt(first * end);
    const yMid = a.fit.intercept + a.fit.envelopeSlope * Math.log(mid);
    curves.push({
      points: line(a.predictedSlope, yMid - a.predictedSlope * Math.log(mid)),
      color: '#1f77b4',
      width: 2,
      dash: '2 3',
      label: `${predictionLabel}: ${fmt(a.predictedSlope)}`,
    });
  }
  curves.push(...extraCurves);
  return logLogSvg(curves, 'rank', 'cluster size (samples)', `${title} (K = ${kMin}..${kMax})`);
}

/** A linear scatter plot with the line y = x, as inline SVG (Fig. 17: estimated against true alpha). */
export function linearScatterSvg(points: [number, number][], xLabel: string, yLabel: string): string {
  const W = 480;
  const H = 400;
  const m = { left: 60, right: 16, top: 16, bottom: 48 };
  const finite = points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const all = finite.flat();
  if (all.length === 0) return '<p>(nothing to plot)</p>';
  const lo = Math.min(...all) - 0.1;
  const hi = Math.max(...all) + 0.1;
  const sx = (x: number) => m.left + ((x - lo) / (hi - lo)) * (W - m.left - m.right);
  const sy = (y: number) => H - m.bottom - ((y - lo) / (hi - lo)) * (H - m.top - m.bottom);
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect x="${m.left}" y="${m.top}" width="${W - m.left - m.right}" height="${H - m.top - m.bottom}" fill="none" stroke="#444"/>`,
    `<line x1="${sx(lo)}" y1="${sy(lo)}" x2="${sx(hi)}" y2="${sy(hi)}" stroke="#888" stroke-dasharray="4 3"/>`,
    `<text x="${W / 2}" y="${H - 8}" text-anchor="middle">${esc(xLabel)}</text>`,
    `<text transform="translate(16 ${H / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`,
  ];
  const step = hi - lo > 2 ? 0.5 : 0.1;
  for (let t = Math.ceil(lo / step) * step; t <= hi; t += step) {
    parts.push(`<text x="${sx(t)}" y="${H - m.bottom + 16}" text-anchor="middle">${t.toFixed(1)}</text>`);
    parts.push(`<text x="${m.left - 6}" y="${sy(t) + 4}" text-anchor="end">${t.toFixed(1)}</text>`);
  }
  for (const [x, y] of finite) parts.push(`<circle cx="${sx(x)}" cy="${sy(y)}" r="4" fill="#d62728"/>`);
  parts.push('</svg>');
  return parts.join('\n');
}

export interface ReportImage {
  file: string;
  caption: string;
}

/** The report page: summary, rank-frequency figure, similarity pictures, per-K table, timing. */
export function qdgReportHtml(
  a: QdgAnalysis,
  opts: { title: string; notes: string[]; images: ReportImage[] },
): string {
  const rows = a.clusterings
    .map(
      (c) =>
        `<tr><td>${c.K}</td><td>${c.sizes.length}</td><td>${c.sizes[0]}</td><td>${c.sizes[c.sizes.length - 1]}` +
        `</td><td>${fmt(c.inertia, 4)}</td>` +
        (c.ari !== undefined ? `<td>${fmt(c.ari)}</td><td>${fmt(c.nmi ?? NaN)}</td>` : '') +
        '</tr>',
    )
    .join('\n');
  const hasTruth = a.clusterings.some((c) => c.ari !== undefined);
  const timing = Object.entries(a.timing)
    .map(([k, v]) => `<tr><td>${esc(k)}</td><td>${fmt(v ?? 0, 2)} s</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(opts.title)}</title>
<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}
figure{display:inline-block;margin:1em}</style></head><body>
<h1>${esc(opts.title)}</h1>
<p>${a.samples} samples; K = ${a.clusterings.map((c) => c.K).join(', ')}.</p>
<p><b>Envelope slope ${fmt(a.fit.envelopeSlope)}</b> (least squares of ln size on ln rank over ranks
${a.fit.window.first}..${a.fit.window.last}, ${a.fit.ranksUsed} ranks used, R<sup>2</sup> ${fmt(a.fit.r2)});
prediction -(1 + alpha_N) = ${fmt(a.predictedSlope)} with alpha_N = ${a.alphaN}.
The window is ${esc(WINDOW_RULE)}, unless set with --window.</p>
${opts.notes.map((n) => `<p>${esc(n)}</p>`).join('\n')}
<figure>${rankFrequencySvg(a)}</figure>
${opts.images
  .map(
    (im) =>
      `<figure><img src="${esc(im.file)}" width="440" height="440"><figcaption>${esc(im.caption)}</figcaption></figure>`,
  )
  .join('\n')}
<h2>Clusterings</h2>
<table><tr><th>K</th><th>non-empty</th><th>largest</th><th>smallest</th><th>inertia</th>
${hasTruth ? '<th>ARI</th><th>NMI</th>' : ''}</tr>
${rows}</table>
<h2>Eigensolver and timing</h2>
<p>Lanczos iterations ${a.eigensolver.iterations}; largest eigenpair residual ${a.eigensolver.maxResidual.toExponential(2)}
${a.eigensolver.converged ? '' : ' (<b>not every eigenpair met the tolerance</b>)'};
smallest Laplacian eigenvalues ${a.eigenvalues
    .slice(0, 5)
    .map((v) => v.toExponential(2))
    .join(', ')} ...</p>
<table>${timing}</table>
</body></html>
`;
}

// `quanta report DIR`: one self-contained HTML page of a sweep folder's figures (Figs. 2, 6, 7, 8, 9, 10, 18)
// and a CSV of every plotted series beside it, written atomically: DIR/report.html and DIR/report-data/*.csv.
import { join } from 'node:path';
import { convergenceStudy } from '../scaling/convergence.js';
import { exponentConvergenceFigure } from './convergence-figure.js';
import { writeFileAtomic } from '../io/atomic.js';
import {
  alphaFitsOf,
  analyseFolder,
  exponentTable,
  groupByAlpha,
  loadSweepFolder,
  multiEpochRuns,
  widestRuns,
  type AlphaFits,
  type SweepFolder,
} from '../scaling/analysis.js';
import { toCsv } from './csv.js';
import { htmlPage, htmlTable, type ReportSection } from './html.js';
import { heatmapFigures, lossScalingFigure, subtaskCurvesFigure } from './scaling-figures.js';
import { convergenceFigure, exponentsFigure, learnedVsDataFigure } from './exponent-figures.js';
import { alphaRelationFigure, theoryCurvesFigure } from './theory-figures.js';
import { figureCsv, vegaLiteToSvg, type Figure } from './vega.js';
import { checkOutputsIn } from '../io/output.js';

/** Folder (inside the sweep folder) of the CSV files. */
export const REPORT_DATA_DIR = 'report-data';

export interface RenderedReport {
  html: string;
  /** CSV file name -> text. */
  csvs: Map<string, string>;
}

/**
 * Renders figures into report sections, one CSV per figure. Consecutive figures with the same `group` share
 * one section (figures side by side, captions joined).
 */
export async function figureSections(
  figures: Figure[],
  csvs: Map<string, string>,
  dataDir = REPORT_DATA_DIR,
): Promise<ReportSection[]> {
  const sections: ReportSection[] = [];
  let last: Figure | null = null;
  for (const f of figures) {
    const name = `${f.id}.csv`;
    csvs.set(name, figureCsv(f));
    const svg = await vegaLiteToSvg(f.spec);
    const link = { href: `${dataDir}/${name}`, label: `data: ${name}` };
    const current = sections[sections.length - 1];
    if (last && f.group !== undefined && f.group === last.group && current) {
      current.svgs!.push(svg);
      current.links!.push(link);
      if (f.caption !== last.caption) current.caption = `${current.caption} ${f.caption}`;
    } else {
      sections.push({ title: f.group ?? f.title, svgs: [svg], caption: f.caption, links: [link] });
    }
    last = f;
  }
  return sections;
}

function fmt(x: number | null | undefined, digits = 3): string | null {
  return x === null || x === undefined ? null : x.toFixed(digits);
}

function ciText(e: { measured: number | null; ci: [number, number] | null }): string | null {
  if (e.measured === null) return null;
  return e.ci ? `${fmt(e.measured)} [${fmt(e.ci[0])}, ${fmt(e.ci[1])}]` : fmt(e.measured);
}

/** The measured-vs-predicted exponent table (SPEC 3.6) as HTML. */
export function exponentTableHtml(fits: AlphaFits[]): string {
  const table = exponentTable(fits);
  return htmlTable(
    [
      'alpha',
      'alpha_N (95% CI)',
      'theory',
      'paper',
      'alpha_S (95% CI)',
      'theory',
      'paper',
      'alpha_D (95% CI)',
      'theory',
      'paper',
      'n(D) exponent',
      'theory',
      'paper',
      'convergence slope',
      'learn-order Spearman',
    ],
    fits.map((f, i) => {
      const t = table[i];
      return [
        f.alpha,
        ciText(f.N),
        t.alphaNPredicted,
        t.alphaNPaper,
        ciText(f.S),
        t.alphaSPredicted,
        t.alphaSPaper,
        ciText(f.D),
        t.alphaDPredicted,
        t.alphaDPaper,
        ciText(f.learnedVsData),
        t.learnedExponentPredicted,
        t.learnedExponentPaper,
        f.convergence.slope === null ? null : ciText({ measured: f.convergence.slope, ci: f.convergence.ci }),
        t.learnOrderSpearman,
      ];
    }),
  );
}

/** The figures that need no runs: Fig. 6 and Fig. 18. */
export function theoryFigures(): Figure[] {
  return [theoryCurvesFigure(), alphaRelationFigure()];
}

/** The flag an unfinished sweep's fits and report carry: which planned runs have no record yet. */
export function unfinishedNote(missing: string[], recorded: number): string {
  const shown = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', ...' : '');
  return (
    `UNFINISHED SWEEP: ${missing.length} of ${missing.length + recorded} planned runs have no record yet ` +
    `(${shown}); these fits use the ${recorded} that do.`
  );
}

/** Builds the report of a sweep folder in memory. Throws a ConfigError for a missing or empty folder. */
export async function renderSweepReport(
  dir: string,
  folder: SweepFolder = loadSweepFolder(dir),
): Promise<RenderedReport> {
  const fits = alphaFitsOf(analyseFolder(folder));
  const byAlpha = groupByAlpha(folder.records);
  const figures: Figure[] = [];
  for (const v of ['N', 'S', 'D'] as const) {
    const f = lossScalingFigure(v, fits);
    if (f) figures.push(f);
  }
  for (const [alpha, runs] of byAlpha) {
    figures.push(...heatmapFigures(runs, alpha));
  }
  // Fig. 7: the first alpha's widest single-epoch run and largest-D multi-epoch run
  const [firstAlpha, firstRuns] = [...byAlpha][0];
  const widest = widestRuns(firstRuns)[0];
  if (widest)
    figures.push(
      subtaskCurvesFigure(widest, `single-epoch, width ${widest.config.width}, alpha ${firstAlpha}`),
    );
  const multi = multiEpochRuns(firstRuns);
  const largest = multi[multi.length - 1];
  if (largest)
    figures.push(
      subtaskCurvesFigure(largest, `multi-epoch, D = ${largest.config.data}, alpha ${firstAlpha}`),
    );
  for (const f of [convergenceFigure(fits), learnedVsDataFigure(fits), exponentsFigure(fits)])
    if (f) figures.push(f);
  // how each exponent would have come out had the sweep stopped earlier (issue 12, part 2)
  const studies = [...byAlpha].map(([alpha, runs]) => convergenceStudy(runs, alpha, folder.fitWindows));
  const converging = exponentConvergenceFigure(studies);
  if (converging) figures.push(converging);
  figures.push(...theoryFigures());

  const csvs = new Map<string, string>();
  csvs.set('exponents.csv', toCsv(exponentTable(fits) as unknown as Record<string, number | null>[]));
  const sections: ReportSection[] = [
    {
      title: 'Exponents: measured against predicted',
      html: exponentTableHtml(fits),
      caption:
        'Measured exponents (fits of log loss in bits on log N, S, D; SPEC 3.2-3.4 windows) with 95% bootstrap ' +
        'intervals, beside the quantization model’s predictions and the paper’s own measurements where it has them.',
      links: [{ href: `${REPORT_DATA_DIR}/exponents.csv`, label: 'data: exponents.csv' }],
    },
    ...(await figureSections(figures, csvs)),
  ];
  const counts = fits.map(
    (f) => `alpha ${f.alpha}: ${f.runs.single} single-epoch and ${f.runs.multi} multi-epoch runs`,
  );
  const html = htmlPage({
    title: `quanta report: ${dir}`,
    intro:
      `${folder.records.length} run records (${counts.join('; ')}). Losses in bits; alpha is the paper’s (p_k ∝ k^-(alpha+1)).` +
      (folder.missing.length > 0 ? ' ' + unfinishedNote(folder.missing, folder.records.length) : ''),
    sections,
  });
  return { html, csvs };
}

/** Writes DIR/report.html and DIR/report-data/*.csv (each atomically). Returns the paths written. */
export async function writeSweepReport(dir: string, folder?: SweepFolder): Promise<string[]> {
  checkOutputsIn(dir, ['report.html'], [REPORT_DATA_DIR], 'quanta report');
  const report = await renderSweepReport(dir, folder);
  const written: string[] = [];
  for (const [name, text] of report.csvs) {
    const path = join(dir, REPORT_DATA_DIR, name);
    writeFileAtomic(path, text);
    written.push(path);
  }
  const htmlPath = join(dir, 'report.html');
  writeFileAtomic(htmlPath, report.html);
  written.unshift(htmlPath);
  return written;
}

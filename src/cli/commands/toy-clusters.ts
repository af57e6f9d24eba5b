// `quanta toy-clusters`: the toy model of spectral-clustering bias (paper Figs. 16-17; SPEC.md 4.4). Points in
// Gaussian clusters whose sizes follow floor(1000 / i^alpha), clustered spectrally with the affinity
// 1 + cosine for several K; the envelope slope of the cluster sizes is compared with the true -alpha.
// Every comma list (--alpha, --d, --sigma) is swept as a Cartesian product: Fig. 16 is
// `--alpha 1 --d 30,100,1000 --sigma 0,0.5,2 --clusters 100,200,500`, Fig. 17 is
// `--alpha 0.8,0.9,1,1.1,1.2,1.3,1.4,1.5 --d 1000 --sigma 2`.
import type { Command } from 'commander';
import { join } from 'node:path';
import { getCore } from '../../core/arena.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFolder } from '../../io/output.js';
import type { QdgAnalysis } from '../../qdg/pipeline.js';
import { parseWindow } from '../../qdg/rank-frequency.js';
import { compactJson, rankFrequencySvg } from '../../qdg/report.js';
import { estimateScatterFigure } from '../../report/qdg-figures.js';
import { htmlPage, type ReportSection } from '../../report/html.js';
import { vegaLiteToSvg } from '../../report/vega.js';
import { planQdg, runQdg, type QdgPlan, type QdgSource } from '../../qdg/run.js';
import {
  TOY_CLUSTERS,
  TOY_DEFAULTS,
  TOY_N_INIT,
  TOY_POINTS_SCALE,
  toyEstimate,
  toyPointCounts,
  toySource,
  type ToyConfig,
} from '../../qdg/toy.js';
import { parseFloatOption, parseIntOption, parseListOption, runCommand } from '../common.js';
import { parseClusters, parseInteger, stageProgress } from '../qdg-options.js';

interface ToyCliOptions {
  alpha: number[];
  d: number[];
  sigma: number[];
  clusters: number[] | 'paper';
  subtasks: number;
  scale: number;
  nInit: number;
  seed: number;
  window?: string;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

export interface ToyRun {
  config: ToyConfig;
  analysis: QdgAnalysis;
  estimatedAlpha: number;
  estimationError: number;
}

function runDocument(r: ToyRun): Record<string, unknown> {
  const a = r.analysis;
  return {
    ...r.config,
    samples: a.samples,
    nonEmptySubtasks: toyPointCounts(r.config.subtasks, r.config.alpha, r.config.scale).filter((n) => n > 0)
      .length,
    clusters: a.clusterings.map((c) => c.K),
    envelopeSlope: a.fit.envelopeSlope,
    window: [a.fit.window.first, a.fit.window.last],
    ranksUsed: a.fit.ranksUsed,
    predictedSlope: -r.config.alpha,
    estimatedAlpha: r.estimatedAlpha,
    estimationError: r.estimationError,
    ari: Object.fromEntries(a.clusterings.map((c) => [String(c.K), c.ari])),
    nmi: Object.fromEntries(a.clusterings.map((c) => [String(c.K), c.nmi])),
    sizes: Object.fromEntries(a.clusterings.map((c) => [String(c.K), c.sizes])),
    envelope: a.envelope,
    timing: a.timing,
  };
}

async function toyReportHtml(runs: ToyRun[]): Promise<string> {
  const sections: ReportSection[] = [];
  const alphas = new Set(runs.map((r) => r.config.alpha));
  if (alphas.size > 1)
    sections.push({
      title: 'Envelope slope against alpha (Fig. 17)',
      svgs: [
        await vegaLiteToSvg(
          estimateScatterFigure(
            runs.map((r) => [r.config.alpha, -r.analysis.fit.envelopeSlope]),
            {
              id: 'toy-estimates',
              title: 'Estimated against true exponent',
              xTitle: 'true alpha (cluster-size exponent)',
              yTitle: 'estimated alpha = -envelope slope',
              caption: '',
            },
          ).spec,
        ),
      ],
      caption: `Mean absolute estimation error ${meanAbsError(runs).toFixed(3)} (the paper: about 0.2).`,
    });
  for (const r of runs) {
    const c = r.config;
    const title = `alpha ${c.alpha}, d ${c.d}, sigma ${c.sigma}`;
    const truth = toyPointCounts(c.subtasks, c.alpha, c.scale).filter((n) => n > 0);
    sections.push({
      title,
      svgs: [
        await rankFrequencySvg(r.analysis, {
          title,
          predictionLabel: 'true slope -alpha',
          extra: [
            {
              label: 'true subtask sizes',
              points: truth.map((n, i) => [i + 1, n]),
              color: '#2ca02c',
            },
          ],
        }),
      ],
      caption:
        `${r.analysis.samples} points; envelope slope ${r.analysis.fit.envelopeSlope.toFixed(3)} (true -${c.alpha}); ARI ` +
        r.analysis.clusterings.map((k) => `K=${k.K}: ${(k.ari ?? NaN).toFixed(3)}`).join(', '),
    });
  }
  return htmlPage({
    title: 'QDG toy model (Figs. 16-17)',
    intro:
      `Subtask i has floor(${runs[0].config.scale ?? TOY_POINTS_SCALE} / i^alpha) points from N(m_i, sigma^2 I_d), ` +
      'm_i ~ N(0, I_d); here alpha is the exponent of the cluster sizes themselves, so an unbiased clustering would ' +
      'give an envelope slope of -alpha. Affinity 1 + cosine; one spectral embedding per configuration, k-means per K.',
    sections,
  });
}

function meanAbsError(runs: ToyRun[]): number {
  const errs = runs.map((r) => Math.abs(r.estimationError)).filter(Number.isFinite);
  return errs.reduce((a, b) => a + b, 0) / Math.max(1, errs.length);
}

export async function toyClustersCommand(o: ToyCliOptions): Promise<void> {
  // --- validation of every configuration before any work or output ---
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const window = o.window !== undefined ? parseWindow(o.window) : undefined;
  const configs: ToyConfig[] = [];
  for (const alpha of o.alpha) {
    for (const d of o.d) {
      for (const sigma of o.sigma)
        configs.push({ subtasks: o.subtasks, alpha, d, sigma, seed: o.seed, scale: o.scale });
    }
  }
  const core = getCore();
  const planned: { config: ToyConfig; source: QdgSource; plan: QdgPlan }[] = configs.map((config) => {
    const source = toySource(config);
    const plan = planQdg(source, { clusters: o.clusters, nInit: o.nInit, seed: config.seed, window }, core);
    return { config, source, plan };
  });

  // --- work ---
  const runs: ToyRun[] = planned.map(({ config: c, source, plan }, i) => {
    if (!o.quiet) {
      process.stderr.write(`toy ${i + 1}/${configs.length}: alpha ${c.alpha}, d ${c.d}, sigma ${c.sigma}\n`);
    }
    const { analysis } = runQdg(source, plan, stageProgress(!!o.quiet), core);
    return { config: c, analysis, ...toyEstimate(c.alpha, analysis.fit.envelopeSlope) };
  });

  // --- outputs ---
  const docs = runs.map(runDocument);
  writeFileAtomic(
    join(out, 'toy.json'),
    compactJson({ runs: docs, meanAbsoluteEstimationError: meanAbsError(runs), nInit: o.nInit }),
  );
  const csv = ['alpha,d,sigma,K,rank,size_samples'];
  for (const r of runs) {
    for (const c of r.analysis.clusterings) {
      c.sizes.forEach((s, i) =>
        csv.push(`${r.config.alpha},${r.config.d},${r.config.sigma},${c.K},${i + 1},${s}`),
      );
    }
  }
  writeFileAtomic(join(out, 'rank-frequency.csv'), csv.join('\n') + '\n');
  writeFileAtomic(join(out, 'report.html'), await toyReportHtml(runs));

  if (o.json) {
    const summary = docs.map((d) => {
      const { sizes: _s, envelope: _e, ...rest } = d;
      return rest;
    });
    process.stdout.write(
      JSON.stringify(
        summary.length === 1
          ? { ...summary[0], runs: summary }
          : { runs: summary, meanAbsoluteEstimationError: meanAbsError(runs) },
      ) + '\n',
    );
  } else {
    for (const r of runs) {
      const c = r.config;
      process.stdout.write(
        `alpha ${c.alpha} d ${c.d} sigma ${c.sigma}: ${r.analysis.samples} points, envelope slope ` +
          `${r.analysis.fit.envelopeSlope.toFixed(3)} (true -${c.alpha}, error ${r.estimationError.toFixed(3)}); ARI ` +
          `${r.analysis.clusterings.map((k) => `K=${k.K} ${(k.ari ?? NaN).toFixed(3)}`).join(', ')}\n`,
      );
    }
    process.stdout.write(`wrote toy.json, rank-frequency.csv and report.html to ${out}\n`);
  }
}

export function registerToyClusters(program: Command): void {
  const floats = (name: string, min: number, open: boolean) =>
    parseListOption(name, parseFloatOption(name, min, Infinity, open));
  program
    .command('toy-clusters')
    .description(
      'the toy model of spectral-clustering bias (paper Figs. 16-17): Gaussian clusters with Zipfian sizes, ' +
        'spectral clustering, and the envelope slope against the true exponent; comma lists are swept',
    )
    .option(
      '--alpha <list>',
      'the CLUSTER-SIZE exponent: subtask i has floor(1000 / i^alpha) points (not the Zipf alpha of sparse ' +
        'parity; alpha = 1 imitates the LLM slope 1.08)',
      floats('--alpha', 0, true),
      [TOY_DEFAULTS.alpha],
    )
    .option('--d <list>', 'dimension of the points', parseListOption('--d', parseIntOption('--d', 1)), [
      TOY_DEFAULTS.d,
    ])
    .option('--sigma <list>', 'within-cluster standard deviation', floats('--sigma', 0, false), [
      TOY_DEFAULTS.sigma,
    ])
    .option('--clusters <list>', 'cluster counts K (Fig. 16: 100,200,500)', parseClusters, [...TOY_CLUSTERS])
    .option(
      '--subtasks <int>',
      'number of subtasks',
      parseIntOption('--subtasks', 1, 1_000_000),
      TOY_DEFAULTS.subtasks,
    )
    .option(
      '--scale <int>',
      'A in floor(A / i^alpha): points of the largest subtask (the paper: 1000)',
      parseIntOption('--scale', 1, 1_000_000),
      TOY_POINTS_SCALE,
    )
    .option(
      '--n-init <int>',
      'k-means restarts per K (sklearn default 10)',
      parseInteger('--n-init'),
      TOY_N_INIT,
    )
    .option('--seed <int>', 'seed of the points, the eigensolver and k-means', parseInteger('--seed'), 0)
    .option(
      '--window <a:b>',
      'ranks of the envelope fit (default [round(S/100)+1, round(S/10)], shrunk to [.., round(2K/3)] ' +
        'when the largest K is below its end)',
    )
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output directory')
    .action(async (o: ToyCliOptions) => runCommand(() => toyClustersCommand(o)));
}

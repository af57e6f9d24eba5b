// `quanta qdg`: quanta discovery from gradients (paper section 5; SPEC.md 4.1-4.3) on a trained sparse-parity
// run or on gradients / similarities / affinities brought as .npy. Validates everything before any work,
// then source -> cosine -> angular affinity -> one spectral embedding -> k-means per K -> rank-frequency
// envelope and slope, written to --out as clusters.json, rank-frequency.csv, PNG pictures and report.html.
import { CORPUS_PACKAGES, requireOptionalPackages } from '../../core/optional.js';
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { getCore } from '../../core/arena.js';
import { require } from '../../core/errors.js';
import { DEFAULT_N_INIT, type CosineKind, type GradientOf } from '../../qdg/config.js';
import { parseWindow, type RankWindow } from '../../qdg/rank-frequency.js';
import { gradientDescription, qdgSummary } from '../../qdg/report.js';
import { planQdg, runQdg, type QdgSource } from '../../qdg/run.js';
import { chooseSource, loadLabels, npySource, planNpySource } from '../../qdg/sources/npy.js';
import {
  planRunSource,
  runSource,
  RUN_LOSS_THRESHOLD,
  RUN_SAMPLES,
  type LoadedRunSource,
} from '../../qdg/sources/run.js';
import { writeQdgOutputs, writeRunSamples } from '../../qdg/write.js';
import { adjustedRandIndex } from '../../qdg/metrics.js';
import { checkOutputFolder } from '../../io/output.js';
import { parseFloatOption, parseIntOption, runCommand } from '../common.js';
import { lmQdgCommand, LM_QDG_SAMPLES } from '../lm-qdg.js';
import {
  COSINE_HELP,
  GRADIENT_OF_HELP,
  LAYERS_HELP,
  parseClusters,
  parseInteger,
  parseLayers,
  parseNumber,
  stageProgress,
} from '../qdg-options.js';

interface QdgCliOptions {
  run?: string;
  lmRun?: string;
  gradients?: string;
  similarity?: string;
  affinity?: string;
  labels?: string;
  samples?: number;
  lossThreshold: number;
  clusters?: number[] | 'paper';
  nInit: number;
  seed: number;
  window?: string;
  alphaN?: number;
  saveAffinity?: boolean;
  saveEmbedding?: boolean;
  saveSamples?: boolean;
  gradientOf?: GradientOf;
  layers?: string[];
  cosine?: CosineKind;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

export async function qdgCommand(o: QdgCliOptions): Promise<void> {
  // --- validation: nothing is computed or written before all of it passes ---
  if (o.lmRun) {
    require(![o.run, o.gradients, o.similarity, o.affinity].some(
      Boolean,
    ), '--lm-run cannot be combined with another source');
    require(!o.labels, '--labels cannot be used with --lm-run');
    requireOptionalPackages(CORPUS_PACKAGES, 'quanta qdg --lm-run');
    return lmQdgCommand({
      run: o.lmRun,
      samples: o.samples ?? LM_QDG_SAMPLES,
      lossThreshold: o.lossThreshold,
      clusters: o.clusters,
      nInit: o.nInit,
      seed: o.seed,
      window: o.window,
      alphaN: o.alphaN,
      gradientOf: o.gradientOf,
      layers: o.layers,
      cosine: o.cosine,
      showClusters: 12,
      json: o.json,
      quiet: o.quiet,
      out: o.out,
    });
  }
  const { kind, path } = chooseSource(o);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const runPlan = kind === 'run' ? planRunSource(path, o.samples, o.lossThreshold) : undefined;
  const npyPlan = kind !== 'run' ? planNpySource(kind, path, o.samples) : undefined;
  require(!(
    runPlan && o.labels
  ), '--labels cannot be used with --run: the subtask of each sample is its label');
  require(!o.saveSamples ||
    runPlan !== undefined, '--save-samples needs --run (the samples of a trained run)');
  const source: QdgSource = runPlan
    ? runSource(runPlan)
    : npySource(
        npyPlan!,
        o.labels ? loadLabels(o.labels, npyPlan!.fileSamples, npyPlan!.samples) : undefined,
      );
  const core = getCore();
  const window: RankWindow | undefined = o.window !== undefined ? parseWindow(o.window) : undefined;
  const plan = planQdg(
    source,
    {
      clusters: o.clusters,
      nInit: o.nInit,
      seed: o.seed,
      window,
      alphaN: o.alphaN,
      gradientOf: o.gradientOf,
      layers: o.layers,
      cosine: o.cosine,
      keepAffinity: true,
      keepEmbedding: !!o.saveEmbedding,
    },
    core,
  );
  const { config } = plan;
  const S = config.samples;

  // --- work ---
  const result = runQdg(source, plan, stageProgress(!!o.quiet), core);
  const { analysis } = result;

  // --- outputs ---
  const run = runPlan ? (result.loaded as LoadedRunSource) : undefined;
  const sourceInfo: Record<string, unknown> = run
    ? {
        kind,
        path: resolve(path),
        candidates: run.candidates,
        lossThreshold: o.lossThreshold,
        alpha: run.alpha,
      }
    : { kind, path: resolve(path), fileSamples: npyPlan!.fileSamples };
  const notes = [
    run
      ? `Source: --run ${path}: ${S} samples with loss below ${o.lossThreshold} nats (of ` +
        `${run.candidates} drawn); ${gradientDescription(config)}, factored Gram.`
      : `Source: --${kind} ${path} (${npyPlan!.fileSamples} samples in the file, ${S} used).`,
    ...(config.cosine === 'abs' ? ['Affinity: 1 - arccos(|cos|)/pi (--cosine abs).'] : []),
    `k-means: ${config.nInit} seeded restarts per K (seed ${config.seed}); one Lanczos eigensolve for ` +
      `K = ${config.maxClusters} serves every K.`,
  ];
  const files = await writeQdgOutputs(out, result, {
    document: {
      source: sourceInfo,
      options: {
        nInit: config.nInit,
        seed: config.seed,
        alphaN: config.alphaN,
        labels: o.labels ? resolve(o.labels) : null,
        ...(run ? { gradientOf: config.gradientOf, layers: config.layers ?? 'all' } : {}),
        cosine: config.cosine,
      },
    },
    notes,
    saveAffinity: !!o.saveAffinity,
  });
  if (run) {
    const inputs = runPlan!.record.config.nTasks + runPlan!.record.config.n;
    files.push(...writeRunSamples(out, run, analysis, inputs, !!o.saveSamples));
  }
  const summary: ReturnType<typeof qdgSummary> & { ariSubtaskAndLabel?: Record<string, number> } = qdgSummary(
    analysis,
    out,
  );
  if (run) {
    // sparse parity: a sample's gradient flips sign with its parity label, so clusters may split a subtask by
    // label; the ARI against (subtask, label) pairs measures that (beside the ARI against subtasks)
    const pairs = run.trueLabels.map((t, i) => 2 * t + run.parityLabels[i]);
    summary.ariSubtaskAndLabel = Object.fromEntries(
      analysis.clusterings.map((c) => [String(c.K), Number(adjustedRandIndex(pairs, c.labels).toFixed(4))]),
    );
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  const slope = summary.envelopeSlope === null ? 'n/a' : summary.envelopeSlope.toFixed(3);
  const perK = (m: Record<string, number>) =>
    Object.entries(m)
      .map(([K, v]) => `K=${K}: ${v}`)
      .join(', ');
  process.stdout.write(
    `qdg: ${S} samples, K = ${config.clusters.join(',')}\n` +
      `envelope slope ${slope} over ranks ${config.window.first}..${config.window.last} (${analysis.fit.ranksUsed} used); ` +
      `predicted -(1 + alpha_N) = ${analysis.predictedSlope.toFixed(3)}\n` +
      (summary.ari ? `ARI vs labels: ${perK(summary.ari)}\n` : '') +
      (summary.ariSubtaskAndLabel
        ? `ARI vs (subtask, parity label): ${perK(summary.ariSubtaskAndLabel)}\n`
        : '') +
      `wrote ${files.length} files to ${out}\n`,
  );
}

export function registerQdg(program: Command): void {
  program
    .command('qdg')
    .description(
      'quanta discovery from gradients: spectral clustering of per-sample gradients and the rank-frequency ' +
        'envelope of cluster sizes (paper section 5, Figs. 5 and 15)',
    )
    .option('--run <RUN.json>', 'a sparse-parity run record with saved weights (quanta train)')
    .option('--lm-run <DIR>', 'a language-model family (quanta lm train): QDG on its low-loss test tokens')
    .option('--gradients <G.npy>', 'per-sample gradients, samples x parameters')
    .option('--similarity <C.npy>', 'cosine similarities, S x S')
    .option('--affinity <A.npy>', 'an affinity (symmetric, >= 0), S x S, used as is')
    .option('--labels <L.npy>', 'true labels (integers, one per sample): ARI and NMI per K')
    .option(
      '--samples <int>',
      `use the first S samples (--run: samples to keep, default ${RUN_SAMPLES}; the paper 10,000)`,
      parseIntOption('--samples', 3),
    )
    .option(
      '--loss-threshold <nats>',
      '--run: keep samples whose loss is below this (nats; default 0.01: the paper keeps samples of ~0 loss)',
      parseFloatOption('--loss-threshold', 0, Infinity, true),
      RUN_LOSS_THRESHOLD,
    )
    .option(
      '--clusters <list>',
      "cluster counts K, or 'paper' for the paper's 30 values 10..1500 (default: 30 log-spaced values " +
        'from 10 to S/7, as the paper 10..1500 of 10,000)',
      parseClusters,
    )
    .option(
      '--n-init <int>',
      'k-means restarts per K (the paper: 30)',
      parseInteger('--n-init'),
      DEFAULT_N_INIT,
    )
    .option('--seed <int>', 'seed of the eigensolver start and of k-means++', parseInteger('--seed'), 0)
    .option(
      '--window <a:b>',
      'ranks of the envelope fit (default [round(S/100)+1, round(S/10)], the paper 101..1000 of 10,000; ' +
        'shrunk to [.., round(2K/3)] when the largest K is below its end)',
    )
    .option(
      '--alpha-n <num>',
      'alpha_N of the predicted slope -(1 + alpha_N) (default 0.083, the LLM value; --run: the run alpha)',
      parseNumber('--alpha-n'),
    )
    .option('--save-affinity', 'also write the affinity matrix as affinity.npy (f32 S x S)')
    .option('--save-embedding', 'also write the spectral embedding as embedding.npy (f64 S x Kmax)')
    .option(
      '--save-samples',
      "with --run: also write the samples' dense 0/1 inputs as samples.npy (uint8 S x (nTasks + n)); " +
        'samples.csv (subtask, parity label, loss, cluster at each K) is always written with --run, and ' +
        "clusters.json's options name the gradient (gradientOf, layers, cosine): with the run's weights, " +
        'enough to recompute the Gram elsewhere',
    )
    .option('--gradient-of <loss|logit>', `--run: ${GRADIENT_OF_HELP} (default: loss)`)
    .option('--layers <list>', `--run, --lm-run: ${LAYERS_HELP}`, parseLayers)
    .option('--cosine <signed|abs>', `${COSINE_HELP} (default: signed)`)
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output directory')
    .action(async (o: QdgCliOptions) => runCommand(() => qdgCommand(o)));
}

// `quanta qdg`: quanta discovery from gradients (paper section 5; SPEC.md 4.1-4.3) on a trained sparse-parity
// run or on gradients / similarities / affinities brought as .npy. Validates everything before any work,
// then source -> cosine -> angular affinity -> one spectral embedding -> k-means per K -> rank-frequency
// envelope and slope, written to --out as clusters.json, rank-frequency.csv, PNG pictures and report.html.
import type { Command } from 'commander';
import { resolve, join } from 'node:path';
import { getCore } from '../../core/arena.js';
import { require } from '../../core/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { writeNpy } from '../../io/npy.js';
import {
  affinityFromCosine,
  DEFAULT_N_INIT,
  spectralClusterings,
  orderByCluster,
} from '../../qdg/pipeline.js';
import type { QdgStage, StageTiming, QdgAnalysis } from '../../qdg/pipeline.js';
import {
  capWindowToClusters,
  defaultClusterCounts,
  defaultEnvelopeWindow,
  parseWindow,
  PAPER_ALPHA_N,
  PAPER_CLUSTER_COUNTS,
} from '../../qdg/rank-frequency.js';
import { qdgReportHtml, qdgSummary, writeClusterFiles, type ReportImage } from '../../qdg/report.js';
import { similarityPng } from '../../qdg/similarity-image.js';
import { qdgOnLmRun } from '../../lm/qdg.js';
import { loadRunSource, planRunSource, RUN_LOSS_THRESHOLD, RUN_SAMPLES } from '../../qdg/run-source.js';
import {
  chooseSource,
  gradientScratchBytes,
  loadLabels,
  loadNpySource,
  planNpySource,
  requireFits,
} from '../../qdg/sources.js';
import { parseFloatOption, parseIntOption, parseListOption, Progress, runCommand } from '../common.js';
import { adjustedRandIndex } from '../../qdg/metrics.js';
import { checkOutputFolder } from '../../io/output.js';

/** Progress bars per stage on stderr (a new bar when the stage changes). */
export function stageProgress(quiet: boolean): (stage: QdgStage, done: number, total: number) => void {
  let current: { stage: QdgStage; bar: Progress } | undefined;
  return (stage, done, total) => {
    if (quiet) return;
    if (!current || current.stage !== stage) {
      current?.bar.stop();
      current = { stage, bar: new Progress(`qdg ${stage}`, total) };
    }
    current.bar.update(done);
    if (done >= total) current.bar.stop();
  };
}

/** The cluster count whose ordering the picture uses: the paper shows K = 400 of 10,000 samples (S/25). */
export function pictureClusterCount(clusters: number[], S: number): number {
  const target = S / 25;
  return clusters.reduce(
    (best, K) => (Math.abs(K - target) < Math.abs(best - target) ? K : best),
    clusters[0],
  );
}

/** Writes the pictures of the affinity, ordered by clusters (and by true subtask). */
export function writePictures(
  out: string,
  affinity: Float32Array,
  a: QdgAnalysis,
  trueLabels?: ArrayLike<number>,
): ReportImage[] {
  const S = a.samples;
  const K = pictureClusterCount(
    a.clusterings.map((c) => c.K),
    S,
  );
  const labels = a.clusterings.find((c) => c.K === K)!.labels;
  const images: ReportImage[] = [];
  const byCluster = similarityPng(affinity, S, orderByCluster(labels));
  writeFileAtomic(join(out, 'similarity-by-cluster.png'), byCluster.png);
  images.push({
    file: 'similarity-by-cluster.png',
    caption:
      `Affinity ordered by the K = ${K} clusters, largest first (${byCluster.n} x ${byCluster.n}` +
      `${byCluster.n < S ? ' block means' : ''}; CMRmap from ${byCluster.min.toFixed(3)} to ${byCluster.max.toFixed(3)}).`,
    image: byCluster,
    ordering: `the K = ${K} clusters`,
  });
  if (trueLabels) {
    const bySubtask = similarityPng(affinity, S, orderByCluster(trueLabels));
    writeFileAtomic(join(out, 'similarity-by-subtask.png'), bySubtask.png);
    images.push({
      file: 'similarity-by-subtask.png',
      caption: `Affinity ordered by true subtask, most frequent first (Fig. 15; ${bySubtask.n} x ${bySubtask.n}).`,
      image: bySubtask,
      ordering: 'true subtask',
    });
  }
  return images;
}

interface QdgCliOptions {
  run?: string;
  lmRun?: string;
  gradients?: string;
  similarity?: string;
  affinity?: string;
  labels?: string;
  samples?: number;
  lossThreshold: number;
  clusters?: number[];
  nInit: number;
  seed: number;
  window?: string;
  alphaN?: number;
  saveAffinity?: boolean;
  saveEmbedding?: boolean;
  saveSamples?: boolean;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

export async function qdgCommand(o: QdgCliOptions): Promise<void> {
  // --- validation: nothing is computed or written before all of it passes ---
  if (o.lmRun) return qdgOnLmRun({ ...o, lmRun: o.lmRun });
  const { kind, path } = chooseSource(o);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const runPlan = kind === 'run' ? planRunSource(path, o.samples, o.lossThreshold) : undefined;
  const npyPlan = kind !== 'run' ? planNpySource(kind, path, o.samples) : undefined;
  const S = runPlan ? runPlan.samples : npyPlan!.samples;
  require(!(
    runPlan && o.labels
  ), '--labels cannot be used with --run: the subtask of each sample is its label');
  require(!o.saveSamples ||
    runPlan !== undefined, '--save-samples needs --run (the samples of a trained run)');
  let trueLabels = o.labels ? loadLabels(o.labels, npyPlan!.fileSamples, S) : undefined;
  const clusters = o.clusters ?? defaultClusterCounts(S);
  for (const K of clusters) {
    require(K >= 2 && K < S, `--clusters values must be in [2, ${S - 1}] for ${S} samples, got ${K}`);
  }
  const maxK = Math.max(...clusters);
  const window =
    o.window !== undefined ? parseWindow(o.window) : capWindowToClusters(defaultEnvelopeWindow(S), maxK);
  // sparse parity: frequencies p_k ~ k^-(alpha+1), so the prediction is -(1 + the run's alpha)
  const alphaN = o.alphaN ?? (runPlan ? runPlan.record.config.alpha : PAPER_ALPHA_N);
  const core = getCore();
  if (runPlan) requireFits(core, S, maxK, runPlan.scratchBytes, runPlan.persistentBytes);
  else requireFits(core, S, maxK, kind === 'gradients' ? gradientScratchBytes(S, npyPlan!.columns) : 0);

  // --- work ---
  const progress = stageProgress(!!o.quiet);
  const timing: StageTiming = {};
  const mark = core.mark();
  try {
    let loaded: { matrixPtr: number; isAffinity: boolean };
    let sourceInfo: Record<string, unknown> = { kind, path: resolve(path) };
    // sparse parity: a sample's gradient flips sign with its parity label, so clusters may split a subtask by
    // label; the ARI against (subtask, label) pairs measures that (beside the ARI against subtasks)
    let subtaskAndLabel: Int32Array | undefined;
    let runSamples: ReturnType<typeof loadRunSource> | undefined;
    if (runPlan) {
      const run = loadRunSource(core, runPlan, timing, progress);
      runSamples = run;
      loaded = { matrixPtr: run.matrixPtr, isAffinity: false };
      trueLabels = run.trueLabels;
      subtaskAndLabel = run.trueLabels.map((t, i) => 2 * t + run.parityLabels[i]);
      sourceInfo = {
        ...sourceInfo,
        candidates: run.candidates,
        lossThreshold: o.lossThreshold,
        alpha: run.alpha,
      };
    } else {
      loaded = loadNpySource(core, npyPlan!, timing, progress);
      sourceInfo = { ...sourceInfo, fileSamples: npyPlan!.fileSamples };
    }
    if (!loaded.isAffinity) {
      progress('affinity', 0, 1);
      affinityFromCosine(core, loaded.matrixPtr, S, timing);
      progress('affinity', 1, 1);
    }
    // The embedding overwrites the affinity: keep a copy (outside Wasm memory) for the pictures and --save-affinity.
    const affinity = core.f32(loaded.matrixPtr, S * S).slice();
    const analysis = spectralClusterings(core, loaded.matrixPtr, S, {
      clusters,
      nInit: o.nInit,
      seed: o.seed,
      window,
      alphaN,
      trueLabels,
      onProgress: progress,
      timing,
      keepEmbedding: !!o.saveEmbedding,
    });

    // --- outputs ---
    const files = writeClusterFiles(out, analysis, {
      source: sourceInfo,
      options: { nInit: o.nInit, seed: o.seed, alphaN, labels: o.labels ? resolve(o.labels) : null },
    });
    const images = writePictures(out, affinity, analysis, trueLabels);
    if (o.saveAffinity) {
      writeNpy(join(out, 'affinity.npy'), affinity, [S, S]);
      files.push(join(out, 'affinity.npy'));
    }
    if (runSamples) {
      // each sample's subtask, parity label, loss and cluster at every K (the labels of clusters.json), so that
      // ARI can be recomputed and clusters inspected elsewhere
      const csv = join(out, 'samples.csv');
      const cs = analysis.clusterings;
      const rows = [
        ['sample,subtask_rank,parity_label,loss_nats', ...cs.map((c) => `cluster_K${c.K}`)].join(','),
      ];
      for (let i = 0; i < S; i++)
        rows.push(
          [
            i,
            runSamples.trueLabels[i] + 1,
            runSamples.parityLabels[i],
            runSamples.losses[i],
            ...cs.map((c) => c.labels[i]),
          ].join(','),
        );
      writeFileAtomic(csv, rows.join('\n') + '\n');
      files.push(csv);
      if (o.saveSamples) {
        // the dense 0/1 inputs (control bits, then task bits), S x (nTasks + n), uint8
        const width = runPlan!.record.config.nTasks + runPlan!.record.config.n;
        const dense = new Uint8Array(S * width);
        const { offsets, indices } = runSamples.inputs;
        for (let i = 0; i < S; i++)
          for (let e = offsets[i]; e < offsets[i + 1]; e++) dense[i * width + indices[e]] = 1;
        writeNpy(join(out, 'samples.npy'), dense, [S, width]);
        files.push(join(out, 'samples.npy'));
      }
    }
    if (o.saveEmbedding && analysis.embedding) {
      writeNpy(join(out, 'embedding.npy'), analysis.embedding, [S, analysis.eigenvalues.length]);
      files.push(join(out, 'embedding.npy'));
    }
    const notes = [
      runPlan
        ? `Source: --run ${path}: ${S} samples with loss below ${o.lossThreshold} nats (of ` +
          `${String(sourceInfo.candidates)} drawn); per-sample gradients of every weight and bias, factored Gram.`
        : `Source: --${kind} ${path} (${npyPlan!.fileSamples} samples in the file, ${S} used).`,
      `k-means: ${o.nInit} seeded restarts per K (seed ${o.seed}); one Lanczos eigensolve for K = ${maxK} serves every K.`,
    ];
    writeFileAtomic(
      join(out, 'report.html'),
      await qdgReportHtml(analysis, { title: 'QDG clusters', notes, images }),
    );
    const summary: ReturnType<typeof qdgSummary> & { ariSubtaskAndLabel?: Record<string, number> } =
      qdgSummary(analysis, out);
    if (subtaskAndLabel) {
      const pairs = subtaskAndLabel;
      summary.ariSubtaskAndLabel = Object.fromEntries(
        analysis.clusterings.map((c) => [String(c.K), Number(adjustedRandIndex(pairs, c.labels).toFixed(4))]),
      );
    }
    if (o.json) {
      process.stdout.write(JSON.stringify(summary) + '\n');
    } else {
      const slope = summary.envelopeSlope === null ? 'n/a' : summary.envelopeSlope.toFixed(3);
      process.stdout.write(
        `qdg: ${S} samples, K = ${clusters.join(',')}\n` +
          `envelope slope ${slope} over ranks ${window.first}..${window.last} (${analysis.fit.ranksUsed} used); ` +
          `predicted -(1 + alpha_N) = ${analysis.predictedSlope.toFixed(3)}\n` +
          (summary.ari
            ? `ARI vs labels: ${Object.entries(summary.ari)
                .map(([K, v]) => `K=${K}: ${v}`)
                .join(', ')}\n`
            : '') +
          (summary.ariSubtaskAndLabel
            ? `ARI vs (subtask, parity label): ${Object.entries(summary.ariSubtaskAndLabel)
                .map(([K, v]) => `K=${K}: ${v}`)
                .join(', ')}\n`
            : '') +
          `wrote ${[...files, ...images.map((i) => join(out, i.file))].length + 1} files to ${out}\n`,
      );
    }
  } finally {
    core.release(mark);
  }
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
      (value: string) =>
        value.trim() === 'paper'
          ? [...PAPER_CLUSTER_COUNTS]
          : parseListOption('--clusters', parseIntOption('--clusters', 2))(value),
    )
    .option(
      '--n-init <int>',
      'k-means restarts per K (the paper: 30)',
      parseIntOption('--n-init', 1, 10_000),
      DEFAULT_N_INIT,
    )
    .option('--seed <int>', 'seed of the eigensolver start and of k-means++', parseIntOption('--seed', 0), 0)
    .option(
      '--window <a:b>',
      'ranks of the envelope fit (default [round(S/100)+1, round(S/10)], the paper 101..1000 of 10,000; ' +
        'shrunk to [.., round(2K/3)] when the largest K is below its end)',
    )
    .option(
      '--alpha-n <num>',
      'alpha_N of the predicted slope -(1 + alpha_N) (default 0.083, the LLM value; --run: the run alpha)',
      parseFloatOption('--alpha-n', 0),
    )
    .option('--save-affinity', 'also write the affinity matrix as affinity.npy (f32 S x S)')
    .option('--save-embedding', 'also write the spectral embedding as embedding.npy (f64 S x Kmax)')
    .option(
      '--save-samples',
      "with --run: also write the samples' dense 0/1 inputs as samples.npy (uint8 S x (nTasks + n)); " +
        'samples.csv (subtask, parity label, loss, cluster at each K) is always written with --run',
    )
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output directory')
    .action(async (o: QdgCliOptions) => runCommand(() => qdgCommand(o)));
}

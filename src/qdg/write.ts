// Writing a QDG run's outputs to disk (Node only; the computation, ./run.ts, has no file system): clusters.json
// and rank-frequency.csv (./report.ts), the pictures of the affinity ordered by cluster and by true subtask,
// the optional .npy matrices, the per-sample table of a sparse-parity run, and report.html. Every file is
// written atomically (temporary file, then rename).
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { writeNpy } from '../io/npy.js';
import { orderByCluster, type QdgAnalysis } from './pipeline.js';
import {
  compactJson,
  qdgReportHtml,
  recoveryReportHtml,
  writeClusterFiles,
  type RecoveryStudy,
  type ReportImage,
} from './report.js';
import { recoveryFigure } from '../report/qdg-figures.js';
import { toCsv } from '../report/csv.js';
import type { QdgResult } from './run.js';
import { similarityPng } from './similarity-image.js';
import type { LoadedRunSource } from './sources/run.js';

/** The cluster count whose ordering the picture uses: the paper shows K = 400 of 10,000 samples (S/25). */
export function pictureClusterCount(clusters: readonly number[], S: number): number {
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

/**
 * samples.csv (each sample's subtask rank, parity label, loss in nats and cluster at every K: the labels of
 * clusters.json, so that ARI can be recomputed and clusters inspected elsewhere) and, with `dense`, samples.npy
 * (the dense 0/1 inputs, control bits then task bits, uint8 S x inputs) of a sparse-parity run's samples.
 */
export function writeRunSamples(
  out: string,
  run: LoadedRunSource,
  analysis: QdgAnalysis,
  inputs: number,
  dense: boolean,
): string[] {
  const S = run.samples;
  const csv = join(out, 'samples.csv');
  const cs = analysis.clusterings;
  const rows = [
    ['sample,subtask_rank,parity_label,loss_nats', ...cs.map((c) => `cluster_K${c.K}`)].join(','),
  ];
  for (let i = 0; i < S; i++)
    rows.push(
      [i, run.trueLabels[i] + 1, run.parityLabels[i], run.losses[i], ...cs.map((c) => c.labels[i])].join(','),
    );
  writeFileAtomic(csv, rows.join('\n') + '\n');
  if (!dense) return [csv];
  const bits = new Uint8Array(S * inputs);
  const { offsets, indices } = run.inputs;
  for (let i = 0; i < S; i++)
    for (let e = offsets[i]; e < offsets[i + 1]; e++) bits[i * inputs + indices[e]] = 1;
  writeNpy(join(out, 'samples.npy'), bits, [S, inputs]);
  return [csv, join(out, 'samples.npy')];
}

export interface QdgOutputOptions {
  /** Extra fields of clusters.json (the source, the options). */
  document: Record<string, unknown>;
  /** Lines of report.html's introduction. */
  notes: string[];
  /** Also write affinity.npy (needs result.affinity). */
  saveAffinity?: boolean;
}

/**
 * Writes clusters.json, rank-frequency.csv, the pictures (when the result kept its affinity), affinity.npy and
 * embedding.npy on request, and report.html into the existing folder `out`. Returns the paths written.
 */
export async function writeQdgOutputs(
  out: string,
  result: QdgResult,
  o: QdgOutputOptions,
): Promise<string[]> {
  const { analysis, affinity } = result;
  const S = analysis.samples;
  const files = writeClusterFiles(out, analysis, o.document);
  const images = affinity ? writePictures(out, affinity, analysis, result.loaded.trueLabels) : [];
  if (o.saveAffinity && affinity) {
    writeNpy(join(out, 'affinity.npy'), affinity, [S, S]);
    files.push(join(out, 'affinity.npy'));
  }
  if (analysis.embedding) {
    writeNpy(join(out, 'embedding.npy'), analysis.embedding, [S, analysis.eigenvalues.length]);
    files.push(join(out, 'embedding.npy'));
  }
  writeFileAtomic(
    join(out, 'report.html'),
    await qdgReportHtml(analysis, { title: 'QDG clusters', notes: o.notes, images }),
  );
  return [...files, ...images.map((i) => join(out, i.file)), join(out, 'report.html')];
}

/** The recovery study's recovery.json, recovery.csv (the figure's rows) and report.html; returns the paths. */
export async function writeRecoveryOutputs(out: string, study: RecoveryStudy): Promise<string[]> {
  const json = join(out, 'recovery.json');
  const csv = join(out, 'recovery.csv');
  const html = join(out, 'report.html');
  writeFileAtomic(json, compactJson(study));
  writeFileAtomic(csv, toCsv(recoveryFigure(study.points).rows));
  writeFileAtomic(html, await recoveryReportHtml(study));
  return [json, csv, html];
}

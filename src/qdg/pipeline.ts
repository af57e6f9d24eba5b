// The QDG clustering pipeline (SPEC.md 4.1 items 7-10 and 4.2; paper section 5): cosine similarities C ->
// clip to [-1, 1] -> angular affinity 1 - arccos(C)/pi -> ONE spectral embedding for the largest K (the K
// smallest eigenvectors of the normalised Laplacian serve every smaller K: DESIGN.md lever 3) -> for every K,
// k-means with nInit seeded restarts on the first K columns -> labels and sizes -> rank-frequency envelope and
// its slope, compared with the prediction -(1 + alpha_N).
//
// This file is the algorithm only (no files, no console), over a validated QdgConfig (./config.ts): ./run.ts
// (runQdg) loads a source, plans memory and calls it; ./write.ts writes outputs. Every stage is timed.
import type { Core } from '../core/arena.js';
import type { SimdMode } from '../core/wasm.js';
import { angularAffinity } from './affinity.js';
import type { CosineKind, QdgConfig } from './config.js';
import { embeddingColumns, spectralEmbedding } from './embedding.js';
import { kmeans } from './kmeans/kmeans.js';
import { gramRoutePays, kmeansBytes } from './kmeans/plan.js';
import { defaultKMeansWorkers, startKMeansThreads } from './kmeans/threads.js';
import { releaseSplitBuffers } from './eigen/split.js';
import { createGramStore, gramStoreBytes } from './kmeans/gram.js';
import type { GramStore } from './kmeans/types.js';
import { adjustedRandIndex, normalizedMutualInfo } from './metrics.js';
import {
  clusterSizes,
  envelopeSlope,
  predictedEnvelopeSlope,
  rankFrequencyEnvelope,
  type EnvelopeFit,
} from './rank-frequency.js';

/** Pipeline stages, in order, for progress and timing. */
export type QdgStage = 'load' | 'gram' | 'affinity' | 'embedding' | 'kmeans' | 'analysis';

/** Seconds spent in each stage (stages that did not run are absent) and in total. */
export type StageTiming = Partial<Record<QdgStage, number>> & { total?: number };

/** What one clustering run reports to, and is told besides its validated config. */
export interface ClusteringRun {
  /** True subtask of each sample, when known (sparse parity, the toy): ARI and NMI per K. */
  trueLabels?: ArrayLike<number>;
  /** Progress: stage, units done, units total (for an ETA per stage). */
  onProgress?: (stage: QdgStage, done: number, total: number) => void;
  /** Timing to extend (earlier stages of the caller, e.g. load and gram). */
  timing?: StageTiming;
  /**
   * Threads for k-means restarts and the eigensolver's products (default: every core in Node, 1 in a page or
   * a pool worker; the products use at most 2). The result does not depend on it.
   */
  threads?: number;
}

/** One clustering of the sweep. */
export interface Clustering {
  K: number;
  /** labels[i] in [0, K): cluster of sample i (k-means's numbering). */
  labels: Int32Array;
  /** Non-empty cluster sizes, largest first. */
  sizes: number[];
  /** k-means objective of the best restart. */
  inertia: number;
  /** Adjusted Rand index against the true labels, when given. */
  ari?: number;
  /** Normalised mutual information against the true labels, when given. */
  nmi?: number;
}

export interface QdgAnalysis {
  samples: number;
  /** The Laplacian's smallest eigenvalues, ascending (as many as the largest K). */
  eigenvalues: number[];
  /** One clustering per K, K ascending. */
  clusterings: Clustering[];
  /** envelope[r - 1] = max over K of the r-th largest cluster size. */
  envelope: number[];
  fit: EnvelopeFit;
  alphaN: number;
  /** -(1 + alpha_N). */
  predictedSlope: number;
  /**
   * Lanczos iterations and the largest eigenpair residual, for the report; `simd` is the core's kernels
   * (src/core/wasm.ts: 'relaxed' fuses the products' multiply-adds, so the last bits differ from 'baseline').
   */
  eigensolver: { iterations: number; maxResidual: number; converged: boolean; block: number; simd: SimdMode };
  timing: StageTiming;
  /** The spectral embedding, S x largest K row-major (only with keepEmbedding). */
  embedding?: Float64Array;
}

const now = () => performance.now() / 1000;

/**
 * Turns cosine similarities into the angular affinity 1 - arccos(clip(C, -1, 1))/pi, in place over the f32
 * S x S matrix at `matrixPtr` (SPEC.md 4.1 item 8); with `cosine` 'abs', of |C| (beyond the paper: a gradient
 * and its negative are one direction). Records the stage's time in `timing.affinity`.
 */
export function affinityFromCosine(
  core: Core,
  matrixPtr: number,
  S: number,
  timing: StageTiming = {},
  cosine: CosineKind = 'signed',
): void {
  const t0 = now();
  angularAffinity(core, matrixPtr, S, cosine === 'abs');
  timing.affinity = (timing.affinity ?? 0) + now() - t0;
}

/**
 * Spectral clustering of an affinity matrix for every K of `config` (validated by qdgConfig: nothing is checked
 * again here), then the rank-frequency analysis. `affinityPtr`: f32 S x S symmetric, non-negative, in Wasm
 * memory, S = config.samples; it is OVERWRITTEN by the embedding (copy it first if you need it). Allocates
 * scratch on `core` above the current mark and releases it before returning.
 */
export function spectralClusterings(
  core: Core,
  affinityPtr: number,
  config: QdgConfig,
  run: ClusteringRun = {},
): QdgAnalysis {
  const { samples: S, clusters, nInit, seed, window, alphaN, maxClusters: maxK } = config;
  const timing: StageTiming = run.timing ?? {};
  const progress = run.onProgress ?? (() => {});
  if (run.trueLabels && run.trueLabels.length !== S) {
    throw new RangeError(`quanta: ${run.trueLabels.length} true labels for ${S} samples`);
  }
  const mark = core.mark();
  try {
    // The k-means helper threads start loading now, so they are ready when the eigensolve is done.
    const threads = Math.min(run.threads ?? defaultKMeansWorkers(), nInit);
    startKMeansThreads(threads - 1);
    // One eigensolve for the largest K.
    let t0 = now();
    progress('embedding', 0, maxK);
    const embedding = spectralEmbedding(core, affinityPtr, S, maxK, {
      seed,
      threads: run.threads,
      onProgress: (done, total) => progress('embedding', done, total),
    });
    progress('embedding', maxK, maxK);
    releaseSplitBuffers(); // the one eigensolve of the run: its shared buffers' memory goes to k-means
    timing.embedding = (timing.embedding ?? 0) + now() - t0;

    // k-means per K on the first K columns. The K whose
    // k-means takes the Gram route (kmeans.ts) share one Gram matrix of the embedding's rows, extended by
    // the new columns from one K to the next (the embeddings are prefixes of one another).
    t0 = now();
    let gram: GramStore | undefined;
    const gramFits = gramStoreBytes(S) + kmeansBytes(S, maxK, maxK, 'gram') + 8 * S * maxK < core.available;
    if (gramFits && clusters.some((K) => gramRoutePays(S, K, K, nInit, 0, threads))) {
      gram = createGramStore(core, S);
    }
    // progress weights: a restart costs about S/60 + K units here (the Gram route's S^2 passes, then K)
    const work = clusters.map((K) => K + Math.round(S / 60));
    const totalWork = work.reduce((a, b) => a + b, 0);
    let done = 0;
    progress('kmeans', 0, totalWork);
    const clusterings: Clustering[] = [];
    // one buffer for every K's columns (fresh memory costs a page fault per 4 KiB)
    const columnBuffer = new Float64Array(S * maxK);
    for (let i = 0; i < clusters.length; i++) {
      const K = clusters[i];
      const columns = embeddingColumns(embedding, K, columnBuffer);
      const result = kmeans(core, columns, S, K, K, {
        nInit,
        seed,
        gram,
        workers: threads,
        // progress within a K: restarts started so far (by every thread)
        onRestart: (started) =>
          progress('kmeans', done + Math.floor((work[i] * (started - 1)) / nInit), totalWork),
      });
      const labels = Int32Array.from(result.labels);
      const clustering: Clustering = { K, labels, sizes: clusterSizes(labels, K), inertia: result.inertia };
      if (run.trueLabels) {
        clustering.ari = adjustedRandIndex(run.trueLabels, labels);
        clustering.nmi = normalizedMutualInfo(run.trueLabels, labels);
      }
      clusterings.push(clustering);
      done += work[i];
      progress('kmeans', done, totalWork);
    }
    timing.kmeans = (timing.kmeans ?? 0) + now() - t0;

    t0 = now();
    const envelope = rankFrequencyEnvelope(clusterings.map((c) => c.sizes));
    const fit = envelopeSlope(envelope, window);
    timing.analysis = (timing.analysis ?? 0) + now() - t0;
    timing.total = Object.entries(timing)
      .filter(([k]) => k !== 'total')
      .reduce((a, [, v]) => a + (v ?? 0), 0);
    return {
      samples: S,
      eigenvalues: Array.from(embedding.laplacianEigenvalues),
      clusterings,
      envelope,
      fit,
      alphaN,
      predictedSlope: predictedEnvelopeSlope(alphaN),
      eigensolver: {
        iterations: embedding.iterations,
        maxResidual: Math.max(0, ...Array.from(embedding.residuals)),
        converged: embedding.converged,
        block: embedding.block,
        simd: core.simd,
      },
      timing,
      ...(config.keepEmbedding ? { embedding: Float64Array.from(embedding.embedding) } : {}),
    };
  } finally {
    core.release(mark);
  }
}

/**
 * The order of samples for the similarity image: clusters by size (largest first), samples by index within a
 * cluster (Figure 5 left, SPEC.md 4.1 item 10). Works for true subtask labels too.
 */
export function orderByCluster(labels: ArrayLike<number>): Int32Array {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i], (counts.get(labels[i]) ?? 0) + 1);
  const rank = new Map<number, number>(
    [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([label], r) => [label, r] as const),
  );
  const idx = Array.from({ length: labels.length }, (_, i) => i);
  idx.sort((a, b) => rank.get(labels[a])! - rank.get(labels[b])! || a - b);
  return Int32Array.from(idx);
}

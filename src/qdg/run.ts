// One entry for a QDG experiment (paper section 5; SPEC.md 4.1-4.4): runQdg(source, options). `quanta qdg`
// (--run, --gradients, --similarity, --affinity), `quanta lm qdg` and `quanta qdg --lm-run`, `quanta
// toy-clusters` and a page all call it; what differs between them is the source, which says how many samples
// it has, what Wasm memory it needs and how it fills the S x S matrix.
//
//   planQdg:  options -> QdgConfig (./config.ts: defaults once, validation once) -> memory plan (./memory.ts)
//   runQdg:   plan -> source.load (cosine similarities or an affinity in Wasm memory) -> angular affinity
//             -> spectralClusterings (./pipeline.ts: one embedding, k-means per K, envelope and slope)
//
// Browser-safe: no file system here. Sources that read files live in ./sources/ (Node only), and writing the
// outputs to disk in ./write.ts (Node only); a page builds a source from arrays (matrixSource).
import { getCore, type Core } from '../core/arena.js';
import { qdgConfig, type QdgConfig, type QdgOptions, type SourceChoices } from './config.js';
import { allocatePlan } from '../core/buffers.js';
import { qdgMatrixPlan, requireQdgMemory } from './memory.js';
import {
  affinityFromCosine,
  spectralClusterings,
  type QdgAnalysis,
  type QdgStage,
  type StageTiming,
} from './pipeline.js';

/** Progress of a run: stage, units done, units total. */
export type QdgProgress = (stage: QdgStage, done: number, total: number) => void;

/** What a source leaves in Wasm memory: the S x S f32 matrix, and what it learnt about the samples. */
export interface LoadedMatrix {
  /** f32 S x S in Wasm memory: cosine similarities, or an affinity when isAffinity. */
  matrixPtr: number;
  /** An affinity used as is (no angular transform). */
  isAffinity: boolean;
  /** The true subtask of each sample, when known: ARI and NMI per K. */
  trueLabels?: ArrayLike<number>;
}

/** Where the S x S matrix of a QDG run comes from. */
export interface QdgSource<L extends LoadedMatrix = LoadedMatrix> {
  /** Samples S (known before any work). */
  samples: number;
  /** Wasm bytes the source keeps allocated through the clustering (a model, its batches), beside the matrix. */
  persistentBytes?: number;
  /** Wasm bytes of the source's temporaries while it fills the matrix (freed before the clustering). */
  scratchBytes?: number;
  /** The source's own alpha_N for the predicted slope (the default when the options give none). */
  alphaN?: number;
  /**
   * What the user may choose for this source (qdgConfig checks the options against it): cosines or an
   * affinity, and for a model its gradient outputs and parameter groups. Default: cosines, no model.
   */
  choices?: SourceChoices;
  /**
   * Allocates the matrix on `core` (the run releases it) and fills it; times its stages into `timing`. A model's
   * source takes its gradient choices (gradientOf, layers) from `config`.
   */
  load(core: Core, timing: StageTiming, progress: QdgProgress, config: QdgConfig): L;
}

declare const planned: unique symbol;

/** A validated config whose memory plan fits: runQdg runs it without checking anything again. */
export interface QdgPlan {
  readonly [planned]: true;
  readonly config: QdgConfig;
}

/** Validates `options` for `source` (./config.ts) and plans its memory; throws a ConfigError on bad input. */
export function planQdg(source: QdgSource, options: QdgOptions, core: Core = getCore()): QdgPlan {
  const config = qdgConfig(options, source.samples, source.alphaN, source.choices);
  requireQdgMemory(
    core,
    config.samples,
    config.maxClusters,
    source.scratchBytes ?? 0,
    source.persistentBytes ?? 0,
  );
  return { config } as QdgPlan;
}

export interface QdgResult<L extends LoadedMatrix = LoadedMatrix> {
  config: QdgConfig;
  analysis: QdgAnalysis;
  /** What the source loaded (its matrix pointer is released by the time runQdg returns). */
  loaded: L;
  /** The affinity, f32 S x S (with keepAffinity). */
  affinity?: Float32Array;
}

function isPlan(x: QdgOptions | QdgPlan): x is QdgPlan {
  return (x as QdgPlan).config !== undefined;
}

/**
 * A QDG experiment: plans it (unless given a plan from planQdg), loads the source, the angular affinity of its
 * cosine similarities, the spectral clusterings for every K, the envelope and its slope. All Wasm memory it
 * takes is released before it returns.
 */
export function runQdg<L extends LoadedMatrix>(
  source: QdgSource<L>,
  options: QdgOptions | QdgPlan,
  progress: QdgProgress = () => {},
  core: Core = getCore(),
): QdgResult<L> {
  const { config } = isPlan(options) ? options : planQdg(source, options, core);
  const S = config.samples;
  const timing: StageTiming = {};
  const mark = core.mark();
  try {
    const loaded = source.load(core, timing, progress, config);
    if (!loaded.isAffinity) {
      progress('affinity', 0, 1);
      affinityFromCosine(core, loaded.matrixPtr, S, timing, config.cosine);
      progress('affinity', 1, 1);
    }
    // the embedding overwrites the affinity: a copy (outside Wasm memory) for pictures and affinity.npy
    const affinity = config.keepAffinity ? core.f32(loaded.matrixPtr, S * S).slice() : undefined;
    const analysis = spectralClusterings(core, loaded.matrixPtr, config, {
      trueLabels: loaded.trueLabels,
      onProgress: progress,
      timing,
    });
    return { config, analysis, loaded, ...(affinity ? { affinity } : {}) };
  } finally {
    core.release(mark);
  }
}

/**
 * A source over a matrix the caller already holds (a page, a test): `matrix` is f32 S x S cosine similarities
 * (kind 'cosine') or an affinity (kind 'affinity'), symmetric; it is copied into Wasm memory.
 */
export function matrixSource(
  matrix: Float32Array,
  samples: number,
  kind: 'cosine' | 'affinity',
  trueLabels?: ArrayLike<number>,
): QdgSource {
  if (matrix.length !== samples * samples) {
    throw new RangeError(
      `quanta: a ${samples} x ${samples} matrix has ${samples * samples} values, not ${matrix.length}`,
    );
  }
  return {
    samples,
    choices: { cosine: kind === 'cosine' },
    load(core) {
      const { matrix: matrixPtr } = allocatePlan(core, qdgMatrixPlan(samples));
      core.f32(matrixPtr, samples * samples).set(matrix);
      return { matrixPtr, isAffinity: kind === 'affinity', trueLabels };
    },
  };
}

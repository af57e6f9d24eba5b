// QDG on a sparse-parity model already in Wasm memory (browser-safe: no file is read): the samples and the
// matrix of `quanta qdg --run` (SPEC.md 4.3). Candidates are drawn from the task on the Philox stream
// Stream.qdgSamples (chunk c of CANDIDATE_CHUNK samples is counter c1 = c, c0 = sample in the chunk), the first
// S whose loss is below the threshold are kept, and the cosine similarities of their per-sample gradients (of
// the loss or of the logit difference, over every parameter group or those of --layers) come from the factored
// Gram (DESIGN.md lever 2), never forming a gradient. ./run.ts reads a run record's weights into a model and
// calls this; the explorer (web/src/qdg-model.ts) calls it on the model it has just trained.
import type { Core } from '../../core/arena.js';
import { ConfigError } from '../../core/errors.js';
import { Stream } from '../../core/rng.js';
import { ParityBatch } from '../../parity/batch.js';
import type { SparseParityTask } from '../../parity/task.js';
import type { Mlp } from '../../train/model.js';
import { mlpParameterGroups, type QdgConfig, type SourceChoices } from '../config.js';
import { cosineFromGram } from '../gram.js';
import { parameterGroupMask, perSampleGradientGram } from '../factored-gram.js';
import type { StageTiming } from '../pipeline.js';
import type { LoadedMatrix } from '../run.js';

/** Candidates per forward pass while searching for low-loss samples (the model's batch must hold them). */
export const CANDIDATE_CHUNK = 4096;
/** Give up after this many candidates per wanted sample (the model must solve enough of the data). */
export const MAX_CANDIDATES_PER_SAMPLE = 200;
/** Default loss threshold, nats: only samples of learned subtasks (chance is ln 2 = 0.69 nats). */
export const MODEL_LOSS_THRESHOLD = 0.01;

export interface ModelSamples extends LoadedMatrix {
  samples: number;
  /** Subtask (0-based rank) of each kept sample: the true labels of the ARI. */
  trueLabels: Int32Array;
  /** The parity label (0/1, the model's target) of each kept sample. */
  parityLabels: Int32Array;
  /** Each kept sample's loss (nats). */
  losses: Float32Array;
  /** Each kept sample's active inputs (CSR: sample i's are indices[offsets[i]..offsets[i + 1]]). */
  inputs: { offsets: Int32Array; indices: Int32Array };
  /** Candidates drawn to find the S samples. */
  candidates: number;
}

export interface ModelSamplesOptions {
  /** Samples S to keep (>= 3). */
  samples: number;
  /** Keep samples whose loss is below this, nats (> 0; default MODEL_LOSS_THRESHOLD). */
  lossThreshold?: number;
  /** Gradient choices (default: the paper's loss gradient over every parameter group). */
  gradient?: Pick<QdgConfig, 'gradientOf' | 'layers'>;
  /** How the too-few-samples error names the remedies (the CLI names its flags). */
  remedy?: string;
  timing?: StageTiming;
  onProgress?: (stage: 'load' | 'gram', done: number, total: number) => void;
}

/** Throws a ConfigError (one line) unless samples and the threshold are sane. */
export function checkModelSamples(samples: number, lossThreshold: number): void {
  if (!(Number.isInteger(samples) && samples >= 3))
    throw new ConfigError(`--samples must be an integer >= 3, got ${samples}`);
  if (!(lossThreshold > 0)) throw new ConfigError(`--loss-threshold must be > 0 nats, got ${lossThreshold}`);
}

/**
 * Draws and keeps the samples of `model` (batch capacity >= CANDIDATE_CHUNK, trained on `task` with `seed`)
 * and fills the cosine matrix of their gradients. Allocates on `core` (the matrix stays allocated; the caller
 * releases with a mark); the model's activations and grads buffers are overwritten.
 */
export function modelSamples(
  core: Core,
  model: Mlp,
  task: SparseParityTask,
  seed: number,
  opts: ModelSamplesOptions,
): ModelSamples {
  const S = opts.samples;
  const lossThreshold = opts.lossThreshold ?? MODEL_LOSS_THRESHOLD;
  checkModelSamples(S, lossThreshold);
  const timing = opts.timing ?? {};
  const onProgress = opts.onProgress ?? (() => {});
  const gradient = opts.gradient ?? { gradientOf: 'loss', layers: null };
  const t0 = performance.now();
  const batch = new ParityBatch(core, task, CANDIDATE_CHUNK, seed);
  const lossPtr = core.allocF32(CANDIDATE_CHUNK);
  const offsets = new Int32Array(S + 1);
  const indices: number[] = [];
  const labels = new Int32Array(S);
  const subtasks = new Int32Array(S);
  const losses = new Float32Array(S);
  let kept = 0;
  let candidates = 0;
  const maxCandidates = MAX_CANDIDATES_PER_SAMPLE * S;
  for (let chunk = 0; kept < S; chunk++) {
    if (candidates >= maxCandidates) {
      throw new ConfigError(
        `only ${kept} of ${candidates} samples drawn have loss below ${lossThreshold} nats, ${S} wanted: ` +
          (opts.remedy ?? 'train longer, raise the loss threshold or lower the samples'),
      );
    }
    const B = CANDIDATE_CHUNK;
    batch.sample(B, Stream.qdgSamples, chunk);
    model.forward({ kind: 'sparse', offsets: batch.offsets, indices: batch.indices }, B);
    model.crossEntropy(batch.labels, B, { grad: false, perSampleLoss: lossPtr });
    const loss = core.f32(lossPtr, B);
    const off = core.i32(batch.offsets, B + 1);
    const idx = core.i32(batch.indices, off[B]);
    const lab = core.i32(batch.labels, B);
    const sub = core.i32(batch.subtasks, B);
    for (let s = 0; s < B && kept < S; s++) {
      if (!(loss[s] < lossThreshold)) continue;
      for (let e = off[s]; e < off[s + 1]; e++) indices.push(idx[e]);
      labels[kept] = lab[s];
      subtasks[kept] = sub[s];
      losses[kept] = loss[s];
      offsets[++kept] = indices.length;
    }
    candidates += B;
    onProgress('load', kept, S);
  }
  timing.load = (performance.now() - t0) / 1000;

  const t1 = performance.now();
  const offsetsPtr = core.allocI32(S + 1);
  core.i32(offsetsPtr, S + 1).set(offsets);
  const indicesPtr = core.allocI32(Math.max(1, indices.length));
  core.i32(indicesPtr, indices.length).set(indices);
  const labelsPtr = core.allocI32(S);
  core.i32(labelsPtr, S).set(labels);
  const { gramPtr } = perSampleGradientGram(
    core,
    model,
    { kind: 'sparse', offsets: offsetsPtr, indices: indicesPtr },
    labelsPtr,
    S,
    {
      onProgress: (done: number, total: number) => onProgress('gram', done, total),
      gradientOf: gradient.gradientOf,
      groups: parameterGroupMask(gradient.layers, model.depth),
    },
  );
  cosineFromGram(core, gramPtr, S);
  timing.gram = (performance.now() - t1) / 1000;
  return {
    matrixPtr: gramPtr,
    isAffinity: false,
    samples: S,
    trueLabels: subtasks,
    parityLabels: labels,
    losses,
    inputs: { offsets, indices: Int32Array.from(indices) },
    candidates,
  };
}

/** A sparse-parity model (two classes): the loss or the logit difference; W1, b1, ..., W<depth>, b<depth>. */
export function runChoices(depth: number): SourceChoices {
  return { cosine: true, gradient: { outputs: ['loss', 'logit'], groups: mlpParameterGroups(depth) } };
}

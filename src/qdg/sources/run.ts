// QDG on a sparse-parity model trained by `quanta train` (paper Fig. 15, Appendix "QDG on multitask sparse
// parity"; SPEC.md 4.3): samples drawn from the run's task distribution, kept where the model's loss is below
// a threshold, up to S of them; the cosine similarities of their per-sample gradients (every weight and
// bias, as the paper, or the groups of --layers) from the factored Gram (DESIGN.md lever 2), of the loss (the
// paper's) or of the label-independent logit difference z_1 - z_0 (--gradient-of logit); true labels = the subtask
// of each sample.
//
// Loss threshold: the paper takes "10,000 samples with approximately 0 loss" (SPEC.md 4.3). The default
// 0.01 nats (99% probability on the right label) keeps only samples of learned subtasks: an unlearned
// subtask sits at chance, ln 2 = 0.69 nats, and even the "learned" line of Fig. 9 (0.1 nats) is ten times
// higher. Sample count: the paper uses 10,000; the laptop default here is 2,000 (the S x S matrix and the
// eigensolve grow as S^2), `--samples 10000` reproduces the paper's size.
import { isJsonObject, readTextInput } from '../../io/read.js';
import type { Core } from '../../core/arena.js';
import { ConfigError, require } from '../../core/errors.js';
import { Stream } from '../../core/rng.js';
import { ParityBatch } from '../../parity/batch.js';
import { SparseParityTask } from '../../parity/task.js';
import { validateRunConfig } from '../../train/config.js';
import { Mlp, mlpBytes } from '../../train/model.js';
import { isRunRecord, type RunRecord } from '../../train/record.js';
import { modelConfigOf } from '../../train/trainer.js';
import { loadRunWeights } from '../../train/weights.js';
import { mlpParameterGroups, type QdgConfig, type SourceChoices } from '../config.js';
import { cosineFromGram } from '../gram.js';
import { parameterGroupMask, perSampleGradientGram } from '../factored-gram.js';
import type { StageTiming } from '../pipeline.js';
import type { LoadedMatrix, QdgSource } from '../run.js';

/** Default loss threshold for --run, nats (see the file comment). */
export const RUN_LOSS_THRESHOLD = 0.01;
/** Default number of samples for --run (the paper: 10,000). */
export const RUN_SAMPLES = 2000;
/** Candidates per forward pass while searching for low-loss samples. */
const CANDIDATE_CHUNK = 4096;
/** Give up after this many candidates per wanted sample (the model must solve enough of the data). */
const MAX_CANDIDATES_PER_SAMPLE = 200;

export interface RunPlan {
  path: string;
  record: RunRecord;
  samples: number;
  lossThreshold: number;
  /** Wasm bytes that stay allocated through the clustering: the model, the candidate batch, the kept CSR. */
  persistentBytes: number;
  /** Wasm bytes of the factored Gram's temporaries (per-layer factors, bitsets, row tiles), freed after it. */
  scratchBytes: number;
}

/** Validates --run: a run record with saved weights, a sane threshold and sample count (no work yet). */
export function planRunSource(
  path: string,
  samples = RUN_SAMPLES,
  lossThreshold = RUN_LOSS_THRESHOLD,
): RunPlan {
  let record: unknown;
  try {
    record = JSON.parse(readTextInput(path));
  } catch (e) {
    throw new ConfigError(`--run: ${path}: not a JSON run record (${(e as Error).message.split('\n')[0]})`);
  }
  require(isRunRecord(record) && isJsonObject(record.config), `--run: ${path}: not a quanta run record`);
  require(record.weights !==
    undefined, `--run: ${path} has no saved weights (train it again without --no-save-weights)`);
  // the layout loadRunWeights reads: a list of { inputs, outputs, offset } (sizes checked against the model there)
  const layers: unknown = record.weights?.layers;
  require(Array.isArray(layers) &&
    layers.every(
      (l) =>
        isJsonObject(l) &&
        [l.inputs, l.outputs, l.offset].every((v) => Number.isSafeInteger(v) && (v as number) >= 0),
    ), `--run: ${path}: weights.layers is not a list of { inputs, outputs, offset } (non-negative integers)`);
  validateRunConfig(record.config);
  require(Number.isInteger(samples) && samples >= 3, `--samples must be an integer >= 3, got ${samples}`);
  require(lossThreshold > 0, `--loss-threshold must be > 0 nats, got ${lossThreshold}`);
  const cfg = modelConfigOf(record.config);
  const widths = [cfg.inputSize, ...Array(cfg.depth - 1).fill(cfg.width), cfg.outputs];
  let layerBytes = 0;
  for (let l = 0; l + 1 < widths.length; l++) layerBytes += 4 * samples * (widths[l] + widths[l + 1]);
  const task = { config: record.config } as unknown as SparseParityTask;
  const persistentBytes =
    mlpBytes(cfg, CANDIDATE_CHUNK) +
    ParityBatch.bytes(task, CANDIDATE_CHUNK) +
    4 * CANDIDATE_CHUNK +
    4 * samples * (record.config.n + 4) +
    (1 << 20);
  // factored-gram.ts: per-layer deltas and inputs, the input bitsets, and row tiles of at most 64 MiB
  const scratchBytes = layerBytes + 8 * samples * Math.ceil(cfg.inputSize / 64) + 64 * 2 ** 20;
  return { path, record, samples, lossThreshold, persistentBytes, scratchBytes };
}

export interface LoadedRunSource extends LoadedMatrix {
  samples: number;
  /** Subtask (0-based rank) of each kept sample. */
  trueLabels: Int32Array;
  /** The parity label (0/1, the model's target) of each kept sample. */
  parityLabels: Int32Array;
  /** Each kept sample's loss (nats) under the run's weights. */
  losses: Float32Array;
  /** Each kept sample's active inputs (CSR: sample i's are indices[offsets[i]..offsets[i + 1]]). */
  inputs: { offsets: Int32Array; indices: Int32Array };
  /** Candidates drawn to find the S samples. */
  candidates: number;
  /** The run's alpha (the predicted envelope slope is -(1 + alpha)). */
  alpha: number;
}

/**
 * Draws candidates from the run's task (Stream.qdgSamples, c1 = chunk index, c0 = sample in the chunk),
 * keeps the first S whose loss is below the threshold, and fills the cosine matrix of their gradients.
 * Allocates on `core` (the model and the matrix stay allocated; the caller releases with a mark).
 */
export function loadRunSource(
  core: Core,
  plan: RunPlan,
  timing: StageTiming,
  onProgress: (stage: 'load' | 'gram', done: number, total: number) => void = () => {},
  gradient: Pick<QdgConfig, 'gradientOf' | 'layers'> = { gradientOf: 'loss', layers: null },
): LoadedRunSource {
  const t0 = performance.now();
  const { record, samples: S, lossThreshold } = plan;
  const config = record.config;
  const task = new SparseParityTask({
    nTasks: config.nTasks,
    n: config.n,
    k: config.k,
    alpha: config.alpha,
    seed: config.seed,
  });
  const mlp = new Mlp(core, modelConfigOf(config), CANDIDATE_CHUNK);
  loadRunWeights(plan.path, record.weights!, mlp);
  const batch = new ParityBatch(core, task, CANDIDATE_CHUNK, config.seed);
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
        `--run: only ${kept} of ${candidates} samples drawn have loss below ${lossThreshold} nats, ` +
          `${S} wanted: train longer, raise --loss-threshold or lower --samples`,
      );
    }
    const B = CANDIDATE_CHUNK;
    batch.sample(B, Stream.qdgSamples, chunk);
    const input = { kind: 'sparse', offsets: batch.offsets, indices: batch.indices } as const;
    mlp.forward(input, B);
    mlp.crossEntropy(batch.labels, B, { grad: false, perSampleLoss: lossPtr });
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
    mlp,
    { kind: 'sparse', offsets: offsetsPtr, indices: indicesPtr },
    labelsPtr,
    S,
    {
      onProgress: (done: number, total: number) => onProgress('gram', done, total),
      gradientOf: gradient.gradientOf,
      groups: parameterGroupMask(gradient.layers, config.depth),
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
    alpha: config.alpha,
  };
}

/**
 * The QdgSource of a planned run: its alpha is the default alpha_N (sparse parity's frequencies are
 * p_k ~ k^-(alpha+1), so the prediction is -(1 + alpha)), its subtasks the true labels.
 */
export function runSource(plan: RunPlan): QdgSource<LoadedRunSource> {
  return {
    samples: plan.samples,
    persistentBytes: plan.persistentBytes,
    scratchBytes: plan.scratchBytes,
    alphaN: plan.record.config.alpha,
    choices: runChoices(plan.record.config.depth),
    load: (core, timing, progress, config) => loadRunSource(core, plan, timing, progress, config),
  };
}

/** A sparse-parity model (two classes): the loss or the logit difference; W1, b1, ..., W<depth>, b<depth>. */
export function runChoices(depth: number): SourceChoices {
  return { cosine: true, gradient: { outputs: ['loss', 'logit'], groups: mlpParameterGroups(depth) } };
}

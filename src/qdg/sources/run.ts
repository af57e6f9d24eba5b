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
import { ParityBatch } from '../../parity/batch.js';
import { SparseParityTask } from '../../parity/task.js';
import { validateRunConfig } from '../../train/config.js';
import { Mlp, mlpBytes } from '../../train/model.js';
import { isRunRecord, type RunRecord } from '../../train/record.js';
import { modelConfigOf } from '../../train/trainer.js';
import { loadRunWeights } from '../../train/weights.js';
import type { QdgConfig } from '../config.js';
import type { StageTiming } from '../pipeline.js';
import type { QdgSource } from '../run.js';
import {
  CANDIDATE_CHUNK,
  checkModelSamples,
  MODEL_LOSS_THRESHOLD,
  modelSamples,
  runChoices,
  type ModelSamples,
} from './model.js';

export { runChoices };

/** Default loss threshold for --run, nats (see the file comment). */
export const RUN_LOSS_THRESHOLD = MODEL_LOSS_THRESHOLD;
/** Default number of samples for --run (the paper: 10,000). */
export const RUN_SAMPLES = 2000;

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
  checkModelSamples(samples, lossThreshold);
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

export interface LoadedRunSource extends ModelSamples {
  /** The run's alpha (the predicted envelope slope is -(1 + alpha)). */
  alpha: number;
}

/**
 * Reads the run's weights into a model and draws its samples (./model.ts: Stream.qdgSamples, c1 = chunk
 * index, c0 = sample in the chunk; the first S below the threshold), filling the cosine matrix of their
 * gradients. Allocates on `core` (the model and the matrix stay allocated; the caller releases with a mark).
 */
export function loadRunSource(
  core: Core,
  plan: RunPlan,
  timing: StageTiming,
  onProgress: (stage: 'load' | 'gram', done: number, total: number) => void = () => {},
  gradient: Pick<QdgConfig, 'gradientOf' | 'layers'> = { gradientOf: 'loss', layers: null },
): LoadedRunSource {
  const t0 = performance.now();
  const config = plan.record.config;
  const task = new SparseParityTask({
    nTasks: config.nTasks,
    n: config.n,
    k: config.k,
    alpha: config.alpha,
    seed: config.seed,
  });
  const mlp = new Mlp(core, modelConfigOf(config), CANDIDATE_CHUNK);
  loadRunWeights(plan.path, plan.record.weights!, mlp);
  const weightsSeconds = (performance.now() - t0) / 1000;
  const loaded = modelSamples(core, mlp, task, config.seed, {
    samples: plan.samples,
    lossThreshold: plan.lossThreshold,
    gradient,
    remedy: 'train longer, raise --loss-threshold or lower --samples',
    timing,
    onProgress,
  });
  timing.load = (timing.load ?? 0) + weightsSeconds;
  return { ...loaded, alpha: config.alpha };
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

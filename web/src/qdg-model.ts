// The QDG source of a model trained in the page: the samples and the cosine matrix `quanta qdg --run` takes
// from the same model (the library's modelSamples, src/qdg/sources/model.ts, which the CLI's --run source also
// calls after reading the weights from a run record's files; this one takes the model already in Wasm memory).
// test/package/web-qdg.test.ts checks that the same weights give the same samples and matrix, bit for bit.
import { type Mlp, type SparseParityTask } from 'quanta';
import {
  checkModelSamples,
  MODEL_LOSS_THRESHOLD,
  modelSamples,
  runChoices,
  type ModelSamples,
  type QdgSource,
} from 'quanta/qdg';

export type { ModelSamples };
/** The CLI's default loss threshold, nats: only samples of learned subtasks (chance is ln 2 = 0.69 nats). */
export const DEFAULT_LOSS_THRESHOLD = MODEL_LOSS_THRESHOLD;

/**
 * The QDG source of `model` (batch capacity >= CANDIDATE_CHUNK) trained on `task` with `seed`: S samples below
 * `lossThreshold` nats, their true subtasks, and the cosine similarities of their gradients (the config's
 * gradient choices). alphaN is the task's alpha (the predicted envelope slope -(1 + alpha)). The model's
 * activation and grads buffers are overwritten.
 */
export function modelSamplesSource(
  model: Mlp,
  task: SparseParityTask,
  seed: number,
  samples: number,
  lossThreshold = DEFAULT_LOSS_THRESHOLD,
): QdgSource<ModelSamples> {
  checkModelSamples(samples, lossThreshold);
  return {
    samples,
    alphaN: task.config.alpha,
    choices: runChoices(model.depth),
    load: (core, timing, progress, config) =>
      modelSamples(core, model, task, seed, {
        samples,
        lossThreshold,
        gradient: config,
        timing,
        onProgress: progress,
      }),
  };
}

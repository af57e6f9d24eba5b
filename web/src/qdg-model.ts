// The QDG source of a model trained in the page: the samples `quanta qdg --run` would take from the same model
// (src/qdg/sources/run.ts, SPEC.md 4.3): candidates drawn from the run's task on the Philox stream
// Stream.qdgSamples (chunk c of 4096 samples is counter c1 = c), the first S whose loss is below the threshold
// kept, and the cosine similarities of their per-sample gradients (every weight and bias) from the library's
// factored Gram, perSampleGradientGram (DESIGN.md lever 2), never forming a gradient. The CLI's source reads
// the weights from a run record's files; this one takes a model already in Wasm memory.
// test/package/web-qdg.test.ts holds the two together: the same weights give the same samples and the same
// matrix, bit for bit.
import { ConfigError, ParityBatch, Stream, type Mlp, type SparseParityTask } from 'quanta';
import { cosineFromGram, perSampleGradientGram, type LoadedMatrix, type QdgSource } from 'quanta/qdg';

/** Candidates per forward pass while searching for low-loss samples (the CLI's chunk: the same draws). */
export const CANDIDATE_CHUNK = 4096;
/** Give up after this many candidates per wanted sample (the CLI's limit). */
export const MAX_CANDIDATES_PER_SAMPLE = 200;
/** The CLI's default loss threshold, nats: only samples of learned subtasks (chance is ln 2 = 0.69 nats). */
export const DEFAULT_LOSS_THRESHOLD = 0.01;

export interface ModelSamples extends LoadedMatrix {
  /** Subtask (0-based rank) of each kept sample: the true labels of the ARI. */
  trueLabels: Int32Array;
  /** The parity label (0/1, the model's target) of each kept sample. */
  parityLabels: Int32Array;
  /** Each kept sample's loss (nats). */
  losses: Float32Array;
  /** Candidates drawn to find the S samples. */
  candidates: number;
}

/**
 * The QDG source of `model` (maxBatch >= CANDIDATE_CHUNK) trained on `task` with `seed`: S samples below
 * `lossThreshold` nats, their true subtasks, and the cosine similarities of their gradients. alphaN is the
 * task's alpha (the predicted envelope slope -(1 + alpha)). The model's grads buffer is overwritten.
 */
export function modelSamplesSource(
  model: Mlp,
  task: SparseParityTask,
  seed: number,
  samples: number,
  lossThreshold = DEFAULT_LOSS_THRESHOLD,
): QdgSource<ModelSamples> {
  if (!(Number.isInteger(samples) && samples >= 3))
    throw new ConfigError(`samples must be an integer >= 3, got ${samples}`);
  if (!(lossThreshold > 0))
    throw new ConfigError(`the loss threshold must be > 0 nats, got ${lossThreshold}`);
  return {
    samples,
    alphaN: task.config.alpha,
    load(core, timing, progress) {
      const S = samples;
      const t0 = performance.now();
      const batch = new ParityBatch(core, task, CANDIDATE_CHUNK, seed);
      const lossPtr = core.allocF32(CANDIDATE_CHUNK);
      const offsets = new Int32Array(S + 1);
      const indices: number[] = [];
      const parityLabels = new Int32Array(S);
      const trueLabels = new Int32Array(S);
      const losses = new Float32Array(S);
      let kept = 0;
      let candidates = 0;
      for (let chunk = 0; kept < S; chunk++) {
        if (candidates >= MAX_CANDIDATES_PER_SAMPLE * S) {
          throw new ConfigError(
            `only ${kept} of ${candidates} samples drawn have loss below ${lossThreshold} nats, ${S} wanted: ` +
              'train longer, raise the loss threshold or lower the samples',
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
          parityLabels[kept] = lab[s];
          trueLabels[kept] = sub[s];
          losses[kept] = loss[s];
          offsets[++kept] = indices.length;
        }
        candidates += B;
        progress('load', kept, S);
      }
      timing.load = (performance.now() - t0) / 1000;

      const t1 = performance.now();
      const offsetsPtr = core.allocI32(S + 1);
      core.i32(offsetsPtr, S + 1).set(offsets);
      const indicesPtr = core.allocI32(Math.max(1, indices.length));
      core.i32(indicesPtr, indices.length).set(indices);
      const labelsPtr = core.allocI32(S);
      core.i32(labelsPtr, S).set(parityLabels);
      const { gramPtr } = perSampleGradientGram(
        core,
        model,
        { kind: 'sparse', offsets: offsetsPtr, indices: indicesPtr },
        labelsPtr,
        S,
        { onProgress: (done, total) => progress('gram', done, total) },
      );
      cosineFromGram(core, gramPtr, S);
      timing.gram = (performance.now() - t1) / 1000;
      return { matrixPtr: gramPtr, isAffinity: false, trueLabels, parityLabels, losses, candidates };
    },
  };
}

// Training one member of the language-model family on the Wasm core: minibatches from the corpus (./corpora.ts:
// a pure function of (model seed, step), so every width of a seed sees the same batches); AdamW; at each
// checkpoint step the weights (.npy, one flat f32 array laid out as src/train/weights.ts) and the loss of every
// test token (nats) under the model. Writes model.json last, so a folder with model.json is complete.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getCore, type Core } from '../core/arena.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readNpyF32, writeNpy } from '../io/npy.js';
import { Mlp } from '../train/model.js';
import { AdamW } from '../train/optimizer.js';
import { serializeRecord, type SavedWeights } from '../train/record.js';
import { lmCorpus, type LmCorpus } from './corpora.js';
import { type ContextSource, LmBatch } from './data.js';
import { checkpointSteps, familySeeds, lmModelConfig, memberDirName, type LmFamilyConfig } from './family.js';

/** Test tokens per evaluation forward pass. */
export const EVAL_BATCH = 1024;

export { prepareLmData, type LmData } from './corpora.js';

export interface LmModelRecord {
  width: number;
  /** Model seed (skills families train every width once per seed; Brown: the family's seed). */
  seed?: number;
  parameters: number;
  config: LmFamilyConfig;
  checkpointSteps: number[];
  /** Mean test loss (nats) at each checkpoint. */
  meanTestLoss: number[];
  /** Mean training-batch loss (nats) over each stretch between checkpoints. */
  meanTrainLoss: number[];
  /** Checkpoint weight files (relative to the model folder), one per checkpoint step. */
  weightFiles: string[];
  weightLayout: SavedWeights['layers'];
  /** test-losses.npy: f32 [test tokens x checkpoints]. */
  testLossFile: string;
  testTokens: number;
  seconds: number;
  trainSeconds: number;
  evalSeconds: number;
}

/** Per-token losses (nats) of every token of `stream` under `mlp`, into `out` (f32, stream.length). */
export function streamLosses(core: Core, mlp: Mlp, stream: ContextSource, out: Float32Array): void {
  const mark = core.mark();
  try {
    const B = Math.min(mlp.maxBatch, EVAL_BATCH);
    const batch = new LmBatch(core, B, mlp.cfg.inputSize / mlp.cfg.outputs, mlp.cfg.outputs);
    const lossPtr = core.allocF32(B);
    const positions = new Int32Array(B);
    for (let p0 = 0; p0 < stream.length; p0 += B) {
      const n = Math.min(B, stream.length - p0);
      for (let i = 0; i < n; i++) positions[i] = p0 + i;
      batch.fill(stream, positions.subarray(0, n));
      mlp.forward({ kind: 'sparse', offsets: batch.offsets, indices: batch.indices }, n);
      mlp.crossEntropy(batch.labels, n, { grad: false, perSampleLoss: lossPtr });
      out.set(core.f32(lossPtr, n), p0);
    }
  } finally {
    core.release(mark);
  }
}

/** Flat weights (every layer's W then b) and their layout, as src/train/weights.ts saves them. */
function flatWeights(mlp: Mlp): { flat: Float32Array; layout: SavedWeights['layers'] } {
  const layers = mlp.getLayers();
  const total = layers.reduce((s, l) => s + l.W.length + l.b.length, 0);
  const flat = new Float32Array(total);
  const layout: SavedWeights['layers'] = [];
  let offset = 0;
  for (const l of layers) {
    layout.push({ inputs: l.inputs, outputs: l.outputs, offset });
    flat.set(l.W, offset);
    flat.set(l.b, offset + l.W.length);
    offset += l.W.length + l.b.length;
  }
  return { flat, layout };
}

/** Loads a checkpoint's flat weights into a model of the same shape. */
export function loadCheckpoint(mlp: Mlp, path: string, layout: SavedWeights['layers']): void {
  const { data } = readNpyF32(path);
  mlp.setLayers(
    layout.map((l) => ({
      W: data.subarray(l.offset, l.offset + l.inputs * l.outputs),
      b: data.subarray(l.offset + l.inputs * l.outputs, l.offset + l.inputs * l.outputs + l.outputs),
    })),
  );
}

export interface TrainLmOptions {
  /** Called with the steps done (every few hundred ms). */
  onProgress?: (steps: number) => void;
  corpus?: LmCorpus;
  corpusDir?: string;
  /** Model seed (default: the family's first). */
  seed?: number;
}

/** Trains the member of width `width` (and model seed) and writes its folder under `dir`. Returns its record. */
export function trainLanguageModel(
  cfg: LmFamilyConfig,
  width: number,
  dir: string,
  opts: TrainLmOptions = {},
): LmModelRecord {
  const t0 = performance.now();
  const corpus = opts.corpus ?? lmCorpus(cfg, opts.corpusDir);
  const seed = opts.seed ?? familySeeds(cfg)[0];
  const core = getCore();
  const mark = core.mark();
  const modelDir = join(dir, memberDirName(cfg, width, seed));
  mkdirSync(modelDir, { recursive: true });
  try {
    const mlpCfg = lmModelConfig(cfg, width, seed);
    const mlp = new Mlp(core, mlpCfg, Math.max(cfg.batch, EVAL_BATCH));
    const optimizer = new AdamW(core, mlp, { lr: cfg.lr });
    const batch = new LmBatch(core, cfg.batch, cfg.context, corpus.vocabSize);
    const input = { kind: 'sparse', offsets: batch.offsets, indices: batch.indices } as const;
    const stops = checkpointSteps(cfg.steps, cfg.checkpoints);
    const test = corpus.test;
    const testLosses = new Float32Array(test.length * stops.length);
    const column = new Float32Array(test.length);
    const record: LmModelRecord = {
      width,
      ...(cfg.corpus === 'skills' ? { seed } : {}),
      parameters: mlp.parameterCount,
      config: cfg,
      checkpointSteps: stops,
      meanTestLoss: [],
      meanTrainLoss: [],
      weightFiles: [],
      weightLayout: [],
      testLossFile: 'test-losses.npy',
      testTokens: test.length,
      seconds: 0,
      trainSeconds: 0,
      evalSeconds: 0,
    };
    let trainSum = 0;
    let trainCount = 0;
    let lastReport = 0;
    let next = 0;
    for (let step = 1; step <= cfg.steps; step++) {
      const ts = performance.now();
      corpus.trainBatch(batch, seed, step);
      mlp.forward(input, cfg.batch);
      trainSum += mlp.crossEntropy(batch.labels, cfg.batch, { grad: true }).meanLoss;
      trainCount++;
      mlp.backward(input, cfg.batch);
      optimizer.step();
      record.trainSeconds += (performance.now() - ts) / 1000;
      if (step === stops[next]) {
        const te = performance.now();
        streamLosses(core, mlp, test, column);
        let sum = 0;
        for (let p = 0; p < column.length; p++) {
          testLosses[p * stops.length + next] = column[p];
          sum += column[p];
        }
        record.meanTestLoss.push(sum / column.length);
        record.meanTrainLoss.push(trainSum / trainCount);
        trainSum = 0;
        trainCount = 0;
        const { flat, layout } = flatWeights(mlp);
        const file = `checkpoint-${step}.weights.npy`;
        writeNpy(join(modelDir, file), flat);
        record.weightFiles.push(file);
        record.weightLayout = layout;
        record.evalSeconds += (performance.now() - te) / 1000;
        next++;
      }
      if (opts.onProgress && performance.now() - lastReport > 300) {
        lastReport = performance.now();
        opts.onProgress(step);
      }
    }
    opts.onProgress?.(cfg.steps);
    writeNpy(join(modelDir, record.testLossFile), testLosses, [test.length, stops.length]);
    record.seconds = (performance.now() - t0) / 1000;
    writeFileAtomic(join(modelDir, 'model.json'), serializeRecord(record));
    return record;
  } finally {
    core.release(mark);
  }
}

// The QDG worker: owns one Wasm core and runs the library's QDG entry, runQdg (src/qdg/run.ts), on one of two
// sources: the model the page trained (./qdg-model.ts: its low-loss samples and their factored
// per-sample-gradient Gram) or a matrix the user dropped on the page (matrixSource over the .npy's values). It
// then draws the affinity's pictures (block means, ./similarity.ts) and sends everything back. It speaks
// ./qdg-protocol.ts; like the training worker, a request cannot be interrupted (the page terminates the worker).
import { ConfigError, Core, MemoryLimitError, Trainer } from 'quanta';
import {
  adjustedRandIndex,
  checkSimilarity,
  matrixSource,
  orderByCluster,
  runQdg,
  type LoadedMatrix,
  type QdgResult,
  type QdgSource,
  type QdgStage,
} from 'quanta/qdg';
import { decodeNpyF32, decodeNpyF64 } from 'quanta/io';
import { modelSamplesSource, type ModelSamples } from './qdg-model.js';
import type {
  QdgClusteringSummary,
  QdgMatrixRequest,
  QdgModelRequest,
  QdgRequest,
  QdgResultMessage,
  QdgWorkerMessage,
} from './qdg-protocol.js';
import { blockMeans, IMAGE_SIDE, truthOrder } from './similarity.js';

/** Minimum milliseconds between two progress messages. */
const PROGRESS_INTERVAL_MS = 100;

const scope = self as unknown as {
  postMessage(message: QdgWorkerMessage, transfer?: Transferable[]): void;
  onmessage: ((event: MessageEvent<QdgRequest>) => void) | null;
};

function post(message: QdgWorkerMessage, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer);
}

let core: Core | undefined;
function workerCore(): Core {
  if (!core) core = new Core();
  return core;
}

function progressOf(id: number) {
  let last = 0;
  return (stage: QdgStage, done: number, total: number) => {
    const now = performance.now();
    if (now - last < PROGRESS_INTERVAL_MS && done < total) return;
    last = now;
    post({ type: 'qdg-progress', id, stage, done, total });
  };
}

/** The result message of a run: per-K summaries with their pictures, the envelope, the picture by true label. */
function resultMessage<L extends LoadedMatrix>(
  id: number,
  source: 'model' | 'matrix',
  name: string,
  result: QdgResult<L>,
  extra: { parityLabels?: Int32Array; candidates?: number },
): QdgResultMessage {
  const { analysis, affinity, loaded } = result;
  const S = analysis.samples;
  const trueLabels = loaded.trueLabels ? Int32Array.from(loaded.trueLabels) : undefined;
  const pairs =
    trueLabels && extra.parityLabels ? trueLabels.map((t, i) => 2 * t + extra.parityLabels![i]) : undefined;
  const clusterings: QdgClusteringSummary[] = analysis.clusterings.map((c) => ({
    K: c.K,
    labels: c.labels,
    sizes: c.sizes,
    ...(c.ari !== undefined ? { ari: c.ari, nmi: c.nmi } : {}),
    ...(pairs ? { ariSubtaskAndLabel: adjustedRandIndex(pairs, c.labels) } : {}),
    image: Float32Array.from(blockMeans(affinity!, S, orderByCluster(c.labels), IMAGE_SIDE).pixels),
  }));
  const { fit } = analysis;
  return {
    type: 'qdg-result',
    id,
    source,
    name,
    samples: S,
    clusterings,
    envelope: analysis.envelope,
    fit: {
      slope: fit.envelopeSlope,
      intercept: fit.intercept,
      r2: fit.r2,
      first: fit.window.first,
      last: fit.window.last,
      ranksUsed: fit.ranksUsed,
    },
    alphaN: analysis.alphaN,
    predictedSlope: analysis.predictedSlope,
    imageSide: Math.min(S, IMAGE_SIDE),
    ...(trueLabels
      ? {
          trueLabels,
          truthImage: Float32Array.from(
            blockMeans(affinity!, S, truthOrder(trueLabels, extra.parityLabels), IMAGE_SIDE).pixels,
          ),
        }
      : {}),
    ...(extra.candidates !== undefined ? { candidates: extra.candidates } : {}),
    timing: analysis.timing,
  };
}

function transfers(m: QdgResultMessage): Transferable[] {
  const out: Transferable[] = [];
  for (const c of m.clusterings) out.push(c.labels.buffer, c.image.buffer);
  if (m.trueLabels) out.push(m.trueLabels.buffer);
  if (m.truthImage) out.push(m.truthImage.buffer);
  return out;
}

function clusterModel(r: QdgModelRequest): QdgResultMessage {
  const c = workerCore();
  // the model exactly as the run's Trainer built it (shapes, task, seed), with the trained weights
  const trainer = new Trainer(r.config, c);
  try {
    trainer.model.setLayers(r.layers);
    const source: QdgSource<ModelSamples> = modelSamplesSource(
      trainer.model,
      trainer.task,
      r.config.seed,
      r.samples,
      r.lossThreshold,
    );
    const result = runQdg(
      source,
      { clusters: r.clusters, nInit: r.nInit, gradientOf: r.gradientOf, keepAffinity: true },
      progressOf(r.id),
      c,
    );
    return resultMessage(r.id, 'model', 'the trained model', result, {
      parityLabels: result.loaded.parityLabels,
      candidates: result.loaded.candidates,
    });
  } finally {
    trainer.dispose();
  }
}

/** The user's labels: a 1-D .npy (or S x 1) of S integers. */
function readLabels(file: QdgMatrixRequest['labels'], S: number): Int32Array | undefined {
  if (!file) return undefined;
  const { data, shape } = decodeNpyF64(new Uint8Array(file.bytes), file.name);
  const count = shape.reduce((a, b) => a * b, 1);
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1)) || count !== S)
    throw new ConfigError(
      `${file.name}: labels must be ${S} integers (one per sample), got shape (${shape.join(', ')})`,
    );
  const labels = new Int32Array(S);
  for (let i = 0; i < S; i++) {
    if (!Number.isInteger(data[i]) || Math.abs(data[i]) > 2 ** 31 - 1)
      throw new ConfigError(`${file.name}: label ${i} is ${data[i]}, not an integer`);
    labels[i] = data[i];
  }
  return labels;
}

function clusterMatrixFile(r: QdgMatrixRequest): QdgResultMessage {
  const c = workerCore();
  const { data, shape } = decodeNpyF32(new Uint8Array(r.matrix.bytes), r.matrix.name);
  if (shape.length !== 2 || shape[0] !== shape[1] || shape[0] < 3)
    throw new ConfigError(
      `${r.matrix.name}: a similarity matrix must be square (S x S, S >= 3), got shape (${shape.join(', ')})`,
    );
  const S = shape[0];
  checkSimilarity(data, S, r.kind, r.matrix.name);
  const labels = readLabels(r.labels, S);
  // the page's default K list reaches 64: a smaller matrix is clustered at the counts below its S
  const clusters = r.clusters.filter((K) => K < S);
  if (clusters.length === 0)
    throw new ConfigError(`every cluster count is at least S = ${S} samples: give counts in [2, ${S - 1}]`);
  const result = runQdg(
    matrixSource(data, S, r.kind, labels),
    { clusters, nInit: r.nInit, keepAffinity: true, ...(r.alphaN !== undefined ? { alphaN: r.alphaN } : {}) },
    progressOf(r.id),
    c,
  );
  return resultMessage(r.id, 'matrix', r.matrix.name, result, {});
}

scope.onmessage = (event) => {
  const request = event.data;
  try {
    const message = request.type === 'qdg-model' ? clusterModel(request) : clusterMatrixFile(request);
    post(message, transfers(message));
  } catch (e) {
    // bad input, or a matrix too large for this tab's Wasm memory: the message is for the user as is
    const isConfig = e instanceof ConfigError || e instanceof MemoryLimitError;
    post({
      type: 'qdg-error',
      id: request.id,
      kind: isConfig ? 'config' : 'internal',
      message: e instanceof Error ? e.message : String(e),
    });
  }
};

try {
  workerCore();
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'qdg-error', id: -1, kind: 'internal', message: e instanceof Error ? e.message : String(e) });
}

// The run record: one JSON file per training run, holding its full config, the code version, the seed, the
// log and its timing (DESIGN.md "Conventions"). Losses are in nats; alpha is the paper's.
import type { RunConfig } from './config.js';

export interface RunLog {
  /** Steps at which the model was evaluated (before that step's update): 0, logEvery, 2 logEvery, ... */
  steps: number[];
  /** Mean test loss (nats) on the exact-frequency test batch, one per log step. */
  meanLoss: number[];
  /** Accuracy on that batch (correct / samples actually in the batch). */
  accuracy: number[];
  /** Per log step, nTasks mean losses (nats), subtask i = rank i + 1. */
  subtaskLoss: number[][];
  /** Per log step, nTasks accuracies. */
  subtaskAccuracy: number[][];
}

export interface RunRecord {
  kind: 'quanta-run';
  schema: 1;
  config: RunConfig;
  /** N: every weight and bias. (nTasks + n + 3) * width + 2 for one hidden layer. */
  parameters: number;
  version: string;
  seed: number;
  /** Samples seen in training: steps * batch (single-epoch) or the dataset size D (multi-epoch). */
  trainingSamples: number;
  log: RunLog;
  timing: {
    seconds: number;
    trainSeconds: number;
    evalSeconds: number;
    samplesPerSecond: number;
    stepsPerSecond: number;
  };
  /** The saved weights, when saved: a flat float32 .npy beside the record and the layout of its layers. */
  weights?: SavedWeights;
  createdAt: string;
}

export function isRunRecord(x: unknown): x is RunRecord {
  const r = x as RunRecord;
  return (
    typeof r === 'object' &&
    r !== null &&
    r.kind === 'quanta-run' &&
    typeof r.config === 'object' &&
    Array.isArray(r.log?.steps) &&
    Array.isArray(r.log?.meanLoss) &&
    Array.isArray(r.log?.subtaskLoss)
  );
}

/** Where a run's weights are: `file` (relative to the record's folder) holds every layer's W then b, flat. */
export interface SavedWeights {
  file: string;
  /** Per Linear layer: W is [inputs x outputs] row-major (row i = weights from input i), then b [outputs]. */
  layers: { inputs: number; outputs: number; offset: number }[];
}

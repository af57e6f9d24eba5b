// The messages between the page (main thread) and its training worker. The worker owns the Wasm core and
// runs the trainer synchronously; the page only draws. Losses cross this boundary in nats, as the trainer
// stores them; the page converts to bits for display.
import type { RunConfig } from 'quanta';

/** Page -> worker: train one run and stream its log. */
export interface TrainRequest {
  type: 'train';
  id: number;
  config: RunConfig;
}

/** Page -> worker: train one run per width (everything else fixed) and report each final loss. */
export interface SweepRequest {
  type: 'sweep';
  id: number;
  config: RunConfig;
  widths: number[];
}

export type WorkerRequest = TrainRequest | SweepRequest;

/** Worker -> page: the core loaded (or did not). */
export interface ReadyMessage {
  type: 'ready';
}

/** Worker -> page: one evaluation (before that step's update), losses in nats. */
export interface LogMessage {
  type: 'log';
  id: number;
  step: number;
  meanLoss: number;
  accuracy: number;
  /** nTasks per-subtask mean losses (nats), index i = rank i + 1. */
  subtaskLoss: Float64Array;
}

/** Worker -> page: training progress and throughput so far (training time only, evaluation excluded). */
export interface ProgressMessage {
  type: 'progress';
  id: number;
  stepsDone: number;
  steps: number;
  /** Training samples per second of training time. */
  samplesPerSecond: number;
  /** Index of the sweep run this progress is for (sweeps only). */
  run?: number;
}

/** Worker -> page: one sweep run finished. */
export interface SweepPointMessage {
  type: 'sweep-point';
  id: number;
  width: number;
  /** N: every weight and bias. */
  parameters: number;
  /** The last logged mean test loss, nats (SPEC.md 3.2: `info['losses'][-1]`). */
  finalLoss: number;
  samplesPerSecond: number;
}

/** A layer's trained weights: W [inputs x outputs] row-major and b [outputs] (Mlp.getLayers()). */
export interface LayerWeights {
  W: Float32Array;
  b: Float32Array;
}

/** Worker -> page: a request finished. */
export interface DoneMessage {
  type: 'done';
  id: number;
  parameters: number;
  trainSeconds: number;
  evalSeconds: number;
  samplesPerSecond: number;
  stepsPerSecond: number;
  /** A train request's trained weights (for QDG on the model); absent for a sweep. */
  layers?: LayerWeights[];
}

/** Worker -> page: a request failed; `kind` 'config' is bad input (the message is for the user as is). */
export interface ErrorMessage {
  type: 'error';
  id: number;
  kind: 'config' | 'internal';
  message: string;
}

export type WorkerMessage =
  ReadyMessage | LogMessage | ProgressMessage | SweepPointMessage | DoneMessage | ErrorMessage;

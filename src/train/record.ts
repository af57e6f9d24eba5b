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
  /**
   * `quanta train`: log.subtaskLoss as a float64 .npy beside the record (file name relative to the record's
   * folder), [log steps x nTasks], nats, row i at log.steps[i], column k = subtask rank k + 1.
   */
  subtaskLossFile?: string;
  /** The saved weights, when saved: a flat float32 .npy beside the record and the layout of its layers. */
  weights?: SavedWeights;
  /**
   * When config.stopAfterMinimum ended the run before config.steps: the log step it stopped at (its last log
   * and the steps trained) and the step of the lowest mean test loss then.
   */
  stoppedEarly?: { step: number; minimumStep: number };
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

/** Significant digits kept for every logged loss and accuracy in a written record (f32 precision). */
export const RECORD_DIGITS = 6;

function round6(x: number): number {
  return Number.isFinite(x) ? Number(x.toPrecision(RECORD_DIGITS)) : x;
}

// a record read from a file may lack a field or hold a non-number: left as it is
const roundAll = (xs: number[]): number[] =>
  Array.isArray(xs) ? xs.map((x) => (typeof x === 'number' ? round6(x) : x)) : xs;
export const roundRows = (rows: number[][]): number[][] =>
  Array.isArray(rows) ? rows.map((row) => roundAll(row)) : rows;

/** The record with every logged loss and accuracy rounded to 6 significant digits (steps stay exact). */
function roundedRunRecord(r: RunRecord): RunRecord {
  return {
    ...r,
    log: {
      ...r.log,
      meanLoss: roundAll(r.log.meanLoss),
      accuracy: roundAll(r.log.accuracy),
      subtaskLoss: roundRows(r.log.subtaskLoss),
      subtaskAccuracy: roundRows(r.log.subtaskAccuracy),
    },
  };
}

function isScalar(x: unknown): boolean {
  return x === null || typeof x !== 'object';
}

/**
 * JSON text laid out for records: one key per line (indent 1), an array of scalars on one line, an array of
 * arrays with one inner array per line (for a run record: one line per log entry). JSON.parse gives back what
 * JSON.stringify would have written (non-finite numbers as null, undefined object fields left out).
 */
export function recordJsonLayout(value: unknown, indent = ''): string {
  if (isScalar(value) || typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return JSON.stringify(value) ?? 'null';
  const inner = indent + ' ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every(isScalar)) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + recordJsonLayout(v === undefined ? null : v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(
    ([, v]) => v !== undefined && typeof v !== 'function',
  );
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${recordJsonLayout(v, inner)}`).join(',\n')}\n${indent}}`;
}

/**
 * THE record serialiser: the text every record writer puts in a file (`quanta train`, the sweep's records,
 * `quanta lm train`'s model.json and family.json). A pure function of the parsed record, so an old record
 * (read with JSON.parse, gunzipped if need be) is re-serialised by `serializeRecord(JSON.parse(text))`. A run
 * record's logged losses and accuracies are rounded to 6 significant digits (f32 precision; idempotent); the
 * layout is `recordJsonLayout`'s: one key per line, one line per log entry, a trailing newline.
 */
export function serializeRecord(record: unknown): string {
  return recordJsonLayout(isRunRecord(record) ? roundedRunRecord(record) : record) + '\n';
}

// The size of a run's checkpoint at its end (the largest it gets): a JSON header, the parameters and both Adam
// moments (f32, padded as the model pads them), and the log so far as f64 (exact, so a resumed run's record
// is byte-identical): steps, mean loss, accuracy, and nTasks losses and accuracies per log step.
import { modelConfigOf, type RunConfig } from './config.js';
import { parameterLayout } from './layout.js';

/** Bytes reserved for the checkpoint's JSON header (config, counters, section table). */
export const CHECKPOINT_HEADER_BYTES = 16384;

/** Floats in the model's flat parameter buffer (every layer's W then b, each padded to 4 floats). */
export function paramFloatsOf(c: RunConfig): number {
  return parameterLayout(modelConfigOf(c)).floats;
}

/** Bytes of a run's checkpoint after `logs` log steps (default: all of them). */
export function checkpointBytes(c: RunConfig, logs = Math.ceil(c.steps / c.logEvery)): number {
  return CHECKPOINT_HEADER_BYTES + 3 * 4 * paramFloatsOf(c) + 8 * logs * (3 + 2 * c.nTasks);
}

// Files beside a run record, for numpy users (np.load): the trained weights, one flat float32 .npy (every
// layer's W [inputs x outputs] row-major, then b [outputs]) with the layout in the record's `weights` field,
// and the per-subtask losses of the log as a float64 [log steps x nTasks] .npy (saveSubtaskLosses).
import { basename, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { ConfigError } from '../core/errors.js';
import { readNpyF32, writeNpy } from '../io/npy.js';
import type { Mlp } from './model.js';
import { roundRows, type RunRecord, type SavedWeights } from './record.js';
import { insideFolder } from '../io/paths.js';

/** Writes the model's weights to `<record without .json>.weights.npy` and returns the record's `weights` field. */
export function saveRunWeights(recordPath: string, model: Mlp): SavedWeights {
  const layers = model.getLayers();
  let total = 0;
  for (const l of layers) total += l.W.length + l.b.length;
  const flat = new Float32Array(total);
  const layout: SavedWeights['layers'] = [];
  let offset = 0;
  for (const l of layers) {
    layout.push({ inputs: l.inputs, outputs: l.outputs, offset });
    flat.set(l.W, offset);
    flat.set(l.b, offset + l.W.length);
    offset += l.W.length + l.b.length;
  }
  const file = basename(recordPath).replace(/\.json$/i, '') + '.weights.npy';
  writeNpy(join(dirname(recordPath), file), flat, [total]);
  return { file, layers: layout };
}

/** Reads the weights of a run record at `recordPath` into `model` (whose shapes must match). */
export function loadRunWeights(recordPath: string, weights: SavedWeights, model: Mlp): void {
  const path = insideFolder(dirname(recordPath), weights?.file, "the run record's weights.file");
  if (!existsSync(path)) throw new ConfigError(`the run's weights file ${path} does not exist`);
  const { data } = readNpyF32(path);
  const layers = weights.layers.map((l) => {
    const end = l.offset + l.inputs * l.outputs + l.outputs;
    if (end > data.length) throw new ConfigError(`weights file ${path} is shorter than its layout`);
    return {
      W: data.slice(l.offset, l.offset + l.inputs * l.outputs),
      b: data.slice(l.offset + l.inputs * l.outputs, end),
    };
  });
  model.setLayers(layers);
}

/**
 * Writes log.subtaskLoss as `<record without .json>.subtask-loss.npy` beside the record: float64 [log steps x
 * nTasks], nats, rounded as the record rounds them (so the file and the record hold the same numbers). Returns
 * the file name for the record's `subtaskLossFile`.
 */
export function saveSubtaskLosses(recordPath: string, record: RunRecord): string {
  const rows = roundRows(record.log.subtaskLoss);
  const nTasks = record.config.nTasks;
  const data = new Float64Array(rows.length * nTasks);
  rows.forEach((row, i) => data.set(row, i * nTasks));
  const file = basename(recordPath).replace(/\.json$/i, '') + '.subtask-loss.npy';
  writeNpy(join(dirname(recordPath), file), data, [rows.length, nTasks]);
  return file;
}

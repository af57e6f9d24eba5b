// What one task of a sweep needs from a cluster scheduler: memory (every worker thread holds one Wasm core sized
// by the largest run's memory plan, plus Node's own heap) and disk for the checkpoints in flight. Used by
// `--dry-run` and by the generated Slurm / Kubernetes files (`--emit`), so the two always agree.
import type { RunConfig } from '../train/config.js';
import { checkpointBytes } from '../train/checkpoint-size.js';
import { trainerBytes } from '../train/config.js';

/** Node's own memory per process (V8 heap, code, the CLI's modules), measured RSS of an idle `quanta`: ~90 MB. */
export const PROCESS_OVERHEAD_BYTES = 256 * 2 ** 20;
/** Per worker thread beyond its Wasm memory (a V8 isolate, the run's log in JS arrays, a record being written). */
export const WORKER_OVERHEAD_BYTES = 128 * 2 ** 20;

export interface TaskResources {
  /** Peak memory of one task running `workers` runs at once (the largest runs). */
  memoryBytes: number;
  /** Disk for the checkpoints of the runs in flight (the largest), written beside the records. */
  checkpointBytes: number;
  /** The largest single run's checkpoint. */
  largestCheckpointBytes: number;
}

/** Resources of a task that trains `runs` on `workers` threads (a run's Wasm memory is its trainerBytes). */
export function taskResources(runs: RunConfig[], workers: number): TaskResources {
  const mem = runs.map(trainerBytes).sort((a, b) => b - a);
  const ckpt = runs.map(checkpointBytes).sort((a, b) => b - a);
  const w = Math.max(1, Math.min(workers, runs.length));
  let memoryBytes = PROCESS_OVERHEAD_BYTES;
  let checkpoint = 0;
  for (let i = 0; i < w; i++) {
    memoryBytes += (mem[i] ?? 0) + WORKER_OVERHEAD_BYTES;
    checkpoint += ckpt[i] ?? 0;
  }
  return { memoryBytes, checkpointBytes: checkpoint, largestCheckpointBytes: ckpt[0] ?? 0 };
}

// Sparse-parity batches in Wasm memory, as active input indices (CSR): see assembly/parity.ts for the layout.
import type { Core } from '../core/arena.js';
import { allocatePlan, planBytes, type BufferSpec } from '../core/buffers.js';
import { Allocation, DISPOSE } from '../core/disposable.js';
import { seedKey, Stream } from '../core/rng.js';
import { exactCounts, type SparseParityTask, type TaskConfig } from './task.js';

export type ParityBatchBuffer = 'offsets' | 'indices' | 'labels' | 'subtasks' | 'ids' | 'cdf' | 'subsets';

/** The buffers of a batch of up to `capacity` samples of a task of these sizes, in allocation order. */
export function parityBatchPlan(
  task: Pick<TaskConfig, 'nTasks' | 'n' | 'k'>,
  capacity: number,
): BufferSpec<ParityBatchBuffer>[] {
  const { nTasks, n, k } = task;
  return [
    { name: 'offsets', bytes: 4 * (capacity + 1) }, // i32 CSR row offsets
    { name: 'indices', bytes: 4 * capacity * (1 + n) }, // i32 active inputs: the control bit, then task bits
    { name: 'labels', bytes: 4 * capacity }, // i32 in {0, 1}
    { name: 'subtasks', bytes: 4 * capacity }, // i32 0-based rank
    { name: 'ids', bytes: 4 * capacity }, // u32 sample counters
    { name: 'cdf', bytes: 8 * nTasks }, // f64 the subtask distribution's CDF
    { name: 'subsets', bytes: 4 * nTasks * k }, // i32 each subtask's k task bits
  ];
}

/** Wasm-side buffers for up to `capacity` samples of one task. */
export class ParityBatch {
  /** i32[capacity + 1] CSR row offsets. */
  readonly offsets: number;
  /** i32[capacity * (1 + n)] active input indices. */
  readonly indices: number;
  /** i32[capacity] labels in {0, 1}. */
  readonly labels: number;
  /** i32[capacity] subtask of each sample (0-based rank). */
  readonly subtasks: number;
  /** u32[capacity] sample counters, for datasets and reshuffled epochs. */
  readonly ids: number;
  /** Samples currently held. */
  size = 0;
  private readonly cdf: number;
  private readonly subsetsPtr: number;
  private readonly key: [number, number];
  private readonly allocation: Allocation;

  constructor(
    readonly core: Core,
    readonly task: SparseParityTask,
    readonly capacity: number,
    seed: number,
  ) {
    const { nTasks, k } = task.config;
    const start = core.mark();
    const buf = allocatePlan(core, parityBatchPlan(task.config, capacity));
    [this.offsets, this.indices, this.labels, this.subtasks, this.ids] = [
      buf.offsets,
      buf.indices,
      buf.labels,
      buf.subtasks,
      buf.ids,
    ];
    this.cdf = buf.cdf;
    core.f64(this.cdf, nTasks).set(task.cdf);
    this.subsetsPtr = buf.subsets;
    core.i32(this.subsetsPtr, nTasks * k).set(task.subsets);
    this.allocation = new Allocation(core, start);
    this.key = seedKey(seed);
  }

  /**
   * Hands this batch's Wasm memory back to its core (newest object first: it refuses while newer allocations
   * sit above it). Unusable afterwards; a second call does nothing.
   */
  dispose(): void {
    this.allocation.release('ParityBatch');
  }

  [DISPOSE](): void {
    this.dispose();
  }

  /** Bytes that a batch of `capacity` samples of this task's sizes needs: the sum of parityBatchPlan. */
  static bytes(task: { config: Pick<TaskConfig, 'nTasks' | 'n' | 'k'> }, capacity: number): number {
    return planBytes(parityBatchPlan(task.config, capacity));
  }

  private check(size: number): void {
    if (size > this.capacity) throw new RangeError(`batch of ${size} exceeds capacity ${this.capacity}`);
  }

  /** Subtasks drawn from the task distribution, then inputs: counters (c0Base + s, c1) of `stream`. */
  sample(size: number, stream: number, c1: number, c0Base = 0): void {
    this.check(size);
    const k = this.core.kernels;
    const { nTasks } = this.task.config;
    k.parity_sample_subtasks(
      this.subtasks,
      size,
      this.cdf,
      nTasks,
      this.key[0],
      this.key[1],
      stream,
      c1,
      c0Base,
      0,
    );
    this.fill(size, stream, c1, c0Base, 0);
  }

  /** Inputs for the subtasks already in `subtasks` (the caller set them), counters (c0Base + s, c1). */
  fill(size: number, stream: number, c1: number, c0Base = 0, ids = 0): void {
    this.check(size);
    const { nTasks, n, k } = this.task.config;
    this.core.kernels.parity_fill_inputs(
      this.offsets,
      this.indices,
      this.labels,
      this.subtasks,
      size,
      nTasks,
      n,
      k,
      this.subsetsPtr,
      this.key[0],
      this.key[1],
      stream,
      c1,
      c0Base,
      ids,
    );
    this.size = size;
  }

  /** Online training batch of `size` fresh samples for optimiser step `step` (single-epoch training). */
  trainBatch(size: number, step: number): void {
    this.sample(size, Stream.trainBatch, step);
  }

  /**
   * Samples `ids` (u32 indices < D) of the fixed dataset `datasetId` of this seed: sample i always has the
   * same subtask and bits, so a dataset of any size costs no memory and any worker can regenerate it. The
   * trainer passes D itself as `datasetId` (the counter word c1), so datasets of different sizes are drawn
   * independently, as the reference's are, rather than nested prefixes of one another.
   */
  datasetBatch(ids: Uint32Array, datasetId = 0): void {
    const size = ids.length;
    this.check(size);
    this.core.u32(this.ids, size).set(ids);
    const k = this.core.kernels;
    const { nTasks } = this.task.config;
    k.parity_sample_subtasks(
      this.subtasks,
      size,
      this.cdf,
      nTasks,
      this.key[0],
      this.key[1],
      Stream.dataset,
      datasetId >>> 0,
      0,
      this.ids,
    );
    this.fill(size, Stream.dataset, datasetId >>> 0, 0, this.ids);
  }

  /** Sets the subtasks of the held samples: `subtasks[s]` for s < size. */
  setSubtasks(subtasks: Int32Array): void {
    this.check(subtasks.length);
    this.core.i32(this.subtasks, subtasks.length).set(subtasks);
  }

  labelsView(): Int32Array {
    return this.core.i32(this.labels, this.size);
  }
  subtasksView(): Int32Array {
    return this.core.i32(this.subtasks, this.size);
  }
  offsetsView(): Int32Array {
    return this.core.i32(this.offsets, this.size + 1);
  }
  indicesView(): Int32Array {
    const off = this.offsetsView();
    return this.core.i32(this.indices, off[this.size]);
  }
}

/** Subtask ids laid out in task order with exact counts floor(p_i * T) (the mean-test-loss batch). */
export function exactTestSubtasks(task: SparseParityTask, testPoints: number): Int32Array {
  const counts = exactCounts(task.probabilities, testPoints);
  let total = 0;
  for (const c of counts) total += c;
  const out = new Int32Array(total);
  let pos = 0;
  counts.forEach((c, i) => {
    out.fill(i, pos, pos + c);
    pos += c;
  });
  return out;
}

/** `perTask` samples of every subtask, in task order (the per-subtask evaluation batch). */
export function perSubtaskSubtasks(nTasks: number, perTask: number): Int32Array {
  const out = new Int32Array(nTasks * perTask);
  for (let i = 0; i < nTasks; i++) out.fill(i, i * perTask, (i + 1) * perTask);
  return out;
}

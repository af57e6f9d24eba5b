// Sparse-parity batches in Wasm memory, as active input indices (CSR): see assembly/parity.ts for the layout.
import type { Core } from '../core/arena.js';
import { Allocation, DISPOSE } from '../core/disposable.js';
import { seedKey, Stream } from '../core/rng.js';
import { exactCounts, type SparseParityTask } from './task.js';

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
    const { n, nTasks, k } = task.config;
    const start = core.mark();
    this.offsets = core.allocI32(capacity + 1);
    this.indices = core.allocI32(capacity * (1 + n));
    this.labels = core.allocI32(capacity);
    this.subtasks = core.allocI32(capacity);
    this.ids = core.allocI32(capacity);
    this.cdf = core.allocF64(nTasks);
    core.f64(this.cdf, nTasks).set(task.cdf);
    this.subsetsPtr = core.allocI32(nTasks * k);
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

  /** Bytes that a batch of `capacity` samples needs (for planning before allocation). */
  static bytes(task: SparseParityTask, capacity: number): number {
    const { n, nTasks, k } = task.config;
    return 4 * (capacity + 1 + capacity * (1 + n) + 3 * capacity) + 8 * nTasks + 4 * nTasks * k + 6 * 64;
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

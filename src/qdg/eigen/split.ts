// Lanczos's matrix-vector product on two threads (issue 15): the upper triangle of the f32 matrix is cut at row
// r = splitRow(S) into a leading block (rows 0..r-1, all their columns: r S entries, half the triangle's area)
// and a trailing block (rows r..S-1, columns r..S-1: the other half). Each block's share of y = A x is one
// lanczos_symv_upper_rows call, and y is their sum, taken in one fixed order (y_i = lead_i + trail_i). So a
// product is the same to the bit whether one thread computes both blocks or a helper thread computes the
// leading one: the bits depend on S only (below SPLIT_MIN_S there is no cut, and the product is
// lanczos_symv_upper's).
//
// The helper (./split-worker.ts, its own Wasm core) keeps a copy of the leading rows (r S f32: 117 MB at
// S = 10,000). Per product the caller writes x into shared memory, posts the step number, computes the
// trailing block, then either takes the leading block itself (when the helper has not claimed this step: it
// may still be starting, or absent, as in a browser or a pool worker) or waits in Atomics.wait for the helper's
// share. Claims are one compareExchange on a shared word, so each step's leading block is computed once.
// No event-loop turn is needed: largestEigenpairs stays synchronous.
import type { Worker } from 'node:worker_threads';
import type { Core } from '../../core/arena.js';
import { nodeBuiltin } from '../../core/node-builtin.js';
import { workerScript } from '../../core/worker-script.js';

const workerThreads = nodeBuiltin('node:worker_threads');
const os = nodeBuiltin('node:os');

/** Two threads where the machine has two cores and worker threads exist (Node's main thread), else one. */
export function defaultProductThreads(): number {
  return workerThreads?.isMainThread && (os?.availableParallelism() ?? 1) >= 2 ? 2 : 1;
}

/** The smallest S whose product is cut in two (below it a product costs less than a thread's wake-up). */
export const SPLIT_MIN_S = 1024;

/**
 * The first row of the trailing block: a multiple of 4 (lanczos_symv_upper_rows' row blocks) near
 * S (1 - 1/sqrt 2), where the two blocks hold equal parts of the triangle; 0 (no cut) below SPLIT_MIN_S.
 */
export function splitRow(S: number): number {
  if (S < SPLIT_MIN_S) return 0;
  return 4 * Math.floor((S * (1 - Math.SQRT1_2)) / 4);
}

/** Words of the shared control array. */
export const POSTED = 0; // the latest step the caller posted (-1: no more steps)
export const CLAIMED = 1; // the latest step whose leading block a thread took
export const DONE = 2; // the latest step whose leading block the helper finished

/** What the caller posts to the helper (./split-worker.ts). */
export interface SplitJob {
  S: number;
  r: number;
  /** Rows 0..r-1 of the matrix (r S f32), copied into the helper's core. */
  rows: SharedArrayBuffer;
  control: SharedArrayBuffer;
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
}

export interface SplitProduct {
  /** y = A x for f64[S] vectors at Core pointers x and y (not overlapping). */
  apply(x: number, y: number): void;
  /** Products whose leading block the helper thread computed (a diagnostic). */
  readonly helped: number;
  /** Tells the helper that no step will come; call once, after the last product. */
  close(): void;
}

let helper: Worker | undefined;

/** Ends the helper thread (it is unref'd: an exiting process does not wait for it). */
export async function closeSplitThread(): Promise<void> {
  const w = helper;
  helper = undefined;
  await w?.terminate();
}

function helperThread(): Worker {
  if (!helper) {
    helper = new workerThreads!.Worker(workerScript(import.meta.url, 'split-worker'));
    helper.unref();
  }
  return helper;
}

/**
 * The matrix-vector product of the S x S matrix at `matrixPtr` (f32, upper triangle read), cut at
 * splitRow(S), on `threads` threads (1 or 2; 2 only where worker threads exist and S is cut). `scratch` is an
 * f64[S] Core buffer for the leading block when this thread computes it.
 */
export function splitProduct(
  core: Core,
  matrixPtr: number,
  S: number,
  scratch: number,
  threads: number,
  r = splitRow(S),
): SplitProduct {
  const k = core.kernels;
  if (r <= 0 || r >= S) {
    return { apply: (x, y) => k.lanczos_symv_upper(matrixPtr, S, x, y), helped: 0, close() {} };
  }
  if (r % 4 !== 0) throw new RangeError(`quanta: split row ${r} is not a multiple of 4`);
  const combine = (lead: Float64Array, y: number) => {
    const out = core.f64(y, S);
    for (let i = 0; i < r; i++) out[i] = lead[i];
    for (let i = r; i < S; i++) out[i] = lead[i] + out[i];
  };
  const alone = (x: number, y: number) => {
    k.lanczos_symv_upper_rows(matrixPtr, S, S, r, S, x, y);
    k.lanczos_symv_upper_rows(matrixPtr, S, S, 0, r, x, scratch);
    combine(core.f64(scratch, S), y);
  };
  if (threads < 2 || !workerThreads?.isMainThread) return { apply: alone, helped: 0, close() {} };

  const rows = new SharedArrayBuffer(4 * r * S);
  new Float32Array(rows).set(core.f32(matrixPtr, r * S));
  const control = new Int32Array(new SharedArrayBuffer(4 * 4));
  const xs = new Float64Array(new SharedArrayBuffer(8 * S));
  const ys = new Float64Array(new SharedArrayBuffer(8 * S));
  const job: SplitJob = {
    S,
    r,
    rows,
    control: control.buffer as SharedArrayBuffer,
    x: xs.buffer as SharedArrayBuffer,
    y: ys.buffer as SharedArrayBuffer,
  };
  helperThread().postMessage(job);
  let step = 0;
  let helped = 0;
  return {
    apply(x, y) {
      step++;
      xs.set(core.f64(x, S));
      Atomics.store(control, POSTED, step);
      Atomics.notify(control, POSTED);
      k.lanczos_symv_upper_rows(matrixPtr, S, S, r, S, x, y);
      if (Atomics.compareExchange(control, CLAIMED, step - 1, step) === step - 1) {
        k.lanczos_symv_upper_rows(matrixPtr, S, S, 0, r, x, scratch);
        combine(core.f64(scratch, S), y);
        return;
      }
      for (;;) {
        const done = Atomics.load(control, DONE);
        if (done === step) break;
        if (done === -step) {
          // the helper failed (it said why on stderr) and has left: this step and the rest are ours
          k.lanczos_symv_upper_rows(matrixPtr, S, S, 0, r, x, scratch);
          combine(core.f64(scratch, S), y);
          return;
        }
        Atomics.wait(control, DONE, done);
      }
      helped++;
      combine(ys, y);
    },
    get helped() {
      return helped;
    },
    close() {
      Atomics.store(control, POSTED, -1);
      Atomics.notify(control, POSTED);
    },
  };
}

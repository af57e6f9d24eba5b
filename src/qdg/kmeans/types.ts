// The types the k-means files share (./kmeans.ts the entry, ./restarts.ts the Lloyd loop, ./gram.ts the Gram
// route, ./seeding.ts k-means++, ./threads.ts and ./worker.ts the helper threads): the result, the validated
// settings of one call, the working state of one thread, and the Gram route's store and state. Types only, so
// that no k-means file needs another one for its types (no import cycles).
import type { Core } from '../../core/arena.js';

export interface KMeansResult {
  /** i32[S] cluster of each row, in [0, k). */
  labels: Int32Array;
  /** Sum of squared distances of rows to their centres. */
  inertia: number;
  /** Lloyd iterations of the kept restart. */
  iterations: number;
  /** f64 k x d centres of the kept restart (in the input's coordinates). */
  centers: Float64Array;
  /** Restarts run by each thread (this one first), a diagnostic: the result does not depend on it. */
  restartsPerThread?: number[];
  /** The route the call took. */
  route?: 'bounded' | 'gram';
  /**
   * Gram route, one thread: its assignment steps as full passes over Pt and as incremental ones (the changed
   * clusters only), and the rows the incremental steps rescanned; a diagnostic, as restartsPerThread.
   */
  gramSteps?: GramSteps;
}

export interface GramSteps {
  full: number;
  incremental: number;
  rescanned: number;
}

/** The validated settings of one k-means call (what a helper thread needs besides the data). */
export interface KMeansSettings {
  S: number;
  d: number;
  k: number;
  nInit: number;
  maxIter: number;
  tol: number;
  seed: number;
  /** The route every thread takes. */
  route: 'bounded' | 'gram';
  /** The Gram route's store id (helper threads keep their own F per id). */
  gramId?: number;
}

/** The best of the restarts one thread ran, and their index. */
export interface RestartsOutcome {
  best?: KMeansResult;
  bestRestart: number;
  /** Restarts this thread ran. */
  ran: number;
  /** The Gram route's assignment steps on this thread. */
  gramSteps?: GramSteps;
}

/** The working buffers of one k-means call (pointers into Wasm memory) and its rounding allowances. */
export interface KMeansState {
  core: Core;
  X: number;
  /** f32 copy of X, for the f32 products whose results are checked against their error bound g. */
  X32: number;
  S: number;
  d: number;
  k: number;
  trials: number;
  xNorm: number;
  centers: number;
  centers32: number;
  cNorm: number;
  labels: number;
  minDist: number;
  closest: number;
  near: number;
  /** f64 S x k: lower[i][j] <= ||x_i - c_j|| (Elkan's bounds). */
  lower: number;
  shifts: number;
  cRoot: number;
  rows: number;
  block: number;
  dots: number;
  dist: number;
  cand: number;
  cand32: number;
  candNorm: number;
  candIdx: number;
  pots: number;
  candInfo: number;
  delta: number;
  eta: number;
  /** An f32 squared distance is within g |x| |c| of the true one (2^-24 per rounding, d + 4 of them, x 2). */
  g: number;
  /** The Gram route's state (then the bounded route's buffers X32, lower, near, ... are 0). */
  gram?: GramState;
}

/** F of one data set (S x S f64 in Wasm memory), with the columns folded into it so far. */
export interface GramStore {
  core: Core;
  S: number;
  /** F's address: S x S f64, row-major, symmetric (the accumulator the columns are folded into). */
  ptr: number;
  /** F rounded to f32 (S x S), what the kernels read: half the memory traffic. */
  ptr32: number;
  /** Identifies the data set across threads (helper threads keep their own F per id). */
  id: number;
  /** Columns of the (centred) data folded into F. */
  columns: number;
  /** A hash of every folded value, to check that a later call extends the same data. */
  fingerprint: number;
  /** The end of the store's memory: a core whose allocator is below it has released the store. */
  end: number;
}

/** The Gram route's buffers of one kmeans() call (pointers into Wasm memory). */
export interface GramState {
  /** F rounded to f32 (the store's ptr32). */
  F32: number;
  /** f64[S] row norms |x_i| (square roots of xNorm). */
  xRoot: number;
  /** f64 k x S: Pt[j][i] = sum of F_il over the members l of cluster j (the membership pmem). */
  Pt: number;
  pmem: number;
  ptCounts: number;
  terms: number;
  /** f64[k]: the centre c_j is within cerr_j R of the exact mean of its members. */
  cerr: number;
  /**
   * f64[4 S] scratch of the assignment; its first 3 S hold every row's least and second-least approximation
   * and the least one's centre, which the next assignment updates for the changed clusters only.
   */
  scratch: number;
  /** i32[k]: the clusters whose approximations changed since the last assignment (list, then 0/1 flags). */
  changed: number;
  changedFlags: number;
  /** i32[S] scratch (rows to rescan) and i32[2] (rescanned rows, whether the full pass ran). */
  rescan: number;
  info: number;
  /** Whether scratch holds the last assignment's least values (false after seeding: Pt was replaced). */
  rowsValid: boolean;
  /** The centres' squared norms the last assignment used (a centre whose norm changed has new values). */
  cNormUsed: Float64Array;
  /** Assignment steps of this state: full passes, incremental ones, and the rows the latter rescanned. */
  stats: GramSteps;
  /** i32[S] and i32[k + 1] scratch of the membership sync. */
  order: number;
  starts: number;
  /**
   * The k-means++ trials' scratch: tau f32[S] (each row's screening threshold), and per candidate the rows
   * whose closest distance it would lower (i32, trials x S; their values in the shared dist) and how many
   * (i32[trials]).
   */
  tau: number;
  trialRows: number;
  trialChanged: number;
  /** The largest row norm R. */
  R: number;
  /** True while Pt holds the k-means++ centres' own rows (before the first assignment). */
  seeds: boolean;
  /** Whether the last assignment filled minDist. */
  distances: boolean;
  /** The trials' rounding factor (4 gamma(d), F32's rounding and the additions). */
  bf: number;
}

/** One job for a helper thread (./worker.ts), posted by ./threads.ts. */
export interface KMeansJob {
  data: Float64Array;
  settings: KMeansSettings;
  /**
   * Int32Array over a SharedArrayBuffer: [0] the next restart to claim, [1 + w] the state of helper w
   * (0 not started, 2 running, 1 done, 3 not needed).
   */
  shared: SharedArrayBuffer;
  helper: number;
  /** A worker_threads MessagePort (typed by what the helper uses, so these types need no Node types). */
  port: { postMessage(value: unknown): void; close(): void };
  /** Record the (restart, iteration, inertia) trace for the caller's onIteration. */
  trace: boolean;
}

// Lanczos's vector work on two threads (issue 15), with the same bits on one thread or two.
//
// The matrix-vector product: the upper triangle of the f32 matrix is cut at row r = splitRow(S) into a leading
// block (rows 0..r-1, all their columns: r S entries, half the triangle's area) and a trailing block (rows
// r..S-1, columns r..S-1: the other half). Each block's share of y = A x is one lanczos_symv_upper_rows call,
// and y is their sum in one fixed order (y_i = lead_i + trail_i), so the bits depend on S only (below
// SPLIT_MIN_S there is no cut: the product is lanczos_symv_upper's).
//
// The reorthogonalisation: h = V w is cut by basis rows at a multiple of 4, w -= V h by coordinates at an even
// index. lanczos_project works in blocks of four rows and lanczos_subtract on coordinate pairs, so either cut
// gives exactly the bits of the uncut call: the eigenpairs are those of one thread, whatever the thread count.
//
// The helper thread (./split-worker.ts, its own Wasm core) keeps a copy of the leading rows (r S f32: 117 MB at
// S = 10,000) and of the basis (f64 and f32 rows, as many as the run takes). It joins when it is ready: until
// then this thread does every share itself; then it sends the basis rows made so far and, from there on, posts
// each share as a command in a one-slot mailbox (Atomics on a shared word; the helper answers in another) and
// does its own share meanwhile. No event-loop turn is needed, so largestEigenpairs stays synchronous. If the
// helper fails, it says why on stderr and this thread does every later share itself.
import type { Worker } from 'node:worker_threads';
import type { Core } from '../../core/arena.js';
import type { SimdMode } from '../../core/wasm.js';
import { nodeBuiltin } from '../../core/node-builtin.js';
import { workerScript } from '../../core/worker-script.js';
import { RITZ_ROWS } from './plan.js';

const workerThreads = nodeBuiltin('node:worker_threads');
const os = nodeBuiltin('node:os');

/** Two threads where the machine has two cores and worker threads exist (Node's main thread), else one. */
export function defaultProductThreads(): number {
  return workerThreads?.isMainThread && (os?.availableParallelism() ?? 1) >= 2 ? 2 : 1;
}

/** The smallest S whose work is cut in two (below it a product costs less than a thread's wake-up). */
export const SPLIT_MIN_S = 1024;

/**
 * The first row of the product's trailing block: a multiple of 4 (lanczos_symv_upper_rows' row blocks) near
 * S (1 - 1/sqrt 2), where the two blocks hold equal parts of the triangle; 0 (no cut) below SPLIT_MIN_S.
 */
export function splitRow(S: number): number {
  if (S < SPLIT_MIN_S) return 0;
  return 4 * Math.floor((S * (1 - Math.SQRT1_2)) / 4);
}

/** The first coordinate of the helper's share of w -= V h: even, about S / 2. */
export function splitCoordinate(S: number): number {
  return 2 * Math.floor(S / 4);
}

/** The basis rows 0..R-1 whose h = V w the helper takes, of m: a multiple of 4, about m / 2. */
export function splitBasisRows(m: number): number {
  return 4 * Math.floor(m / 8);
}

/**
 * Polls of the mailbox before a thread sleeps on it (Atomics.wait): about 20 to 100 microseconds, longer than
 * most shares take at S 2000, so that a handoff costs no futex wake-up (each of which took tens of
 * microseconds here: the caller waited for the helper 40% of a run at S 2000, K 285).
 */
export const SPIN = 1 << 14;

/** Words of the shared control array. */
export const Control = {
  /** The latest command posted (a sequence number; -1: the job is over). */
  posted: 0,
  /** The latest command the helper finished. */
  done: 1,
  /** 1 once the helper has its copy of the matrix rows and waits for commands. */
  ready: 2,
  /** 1 once the helper has failed (it computes nothing more). */
  failed: 3,
  /** The command's operation and arguments. */
  op: 4,
  arg0: 5,
  arg1: 6,
  /** During Op.ritz: the rows of the Ritz vectors the helper has put in `ritzOut` so far (its first row + n). */
  progress: 7,
} as const;

/** The helper's operations. */
export const Op = {
  /** Basis row arg0 from `row` (the rows made before the helper joined). */
  row: 1,
  /** Basis row arg0 from `row` (if arg0 >= 0), then the leading block's share of A x (x in `x`) into `y`. */
  product: 2,
  /** h[0..arg0) = V[0..arg0) w for w in `w`, into `h`. */
  project: 3,
  /** w[c..S) -= V[0..arg0)[c..S) h (w[c..S) in `w`, h in `h`; arg1 = 1: the f32 basis), into `w`. */
  subtract: 4,
  /** Basis rows arg0 and arg0 + 1 from `row` and `row2`, then the leading block's share of A X (X in `x2`) into `y2`. */
  product2: 5,
  /** h[2r + c] = V_r w_c for r < arg0, w_0 in `w` and w_1 in `w2`, into `h`. */
  project2: 6,
  /** w_c[c0..S) -= sum_r h[2r + c] V_r[c0..S) for r < arg0 (arg1 = 1: the f32 basis), into `w` and `w2`. */
  subtract2: 7,
  /**
   * Rows ritzCut..S-1 of the Ritz vectors V Y for arg0 basis rows (Y: arg0 x K in `ritzY`), into `ritzOut`,
   * RITZ_ROWS rows at a time, `progress` raised after each.
   */
  ritz: 8,
} as const;

/**
 * The first row of the helper's share of the Ritz vectors: a multiple of RITZ_ROWS. With the iteration's products
 * kept (`products`), the caller has its own S rows of work, the residuals' M Y = W S (as costly as V Y), so the
 * helper makes every Ritz row (0) and the caller every row of M Y meanwhile; without them the residuals follow
 * the Ritz vectors, and the rows are cut in half.
 */
export function ritzCut(S: number, products: boolean): number {
  return products ? 0 : RITZ_ROWS * Math.round(S / 2 / RITZ_ROWS);
}

/** What the caller posts to the helper (./split-worker.ts) when a run starts. */
export interface SplitJob {
  S: number;
  /** The product's cut (splitRow) and the subtraction's (splitCoordinate). */
  r: number;
  c: number;
  /** Most basis rows; their strides (f64 and f32 elements). */
  mMax: number;
  ld: number;
  ld32: number;
  /** Rows 0..r-1 of the matrix (r S f32), copied into the helper's core. */
  rows: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /**
   * f64[S] each: the product's input and output, a basis row, w; f64[2 mMax]: h. The block route's: f64[2S]
   * each, the interleaved input and output of a two-vector product; f64[S] each, a second row and w2.
   */
  x: SharedArrayBuffer;
  y: SharedArrayBuffer;
  row: SharedArrayBuffer;
  w: SharedArrayBuffer;
  h: SharedArrayBuffer;
  x2: SharedArrayBuffer;
  y2: SharedArrayBuffer;
  row2: SharedArrayBuffer;
  w2: SharedArrayBuffer;
  /** The Ritz step's: its first helper row, K, and Y (f64[mMax K]) and the helper's rows (f64[(S - cut) K]). */
  ritzCut: number;
  K: number;
  ritzY: SharedArrayBuffer;
  ritzOut: SharedArrayBuffer;
  /** The caller's core's SIMD mode: the helper's core runs the same kernels (the same bits on one thread or two). */
  simd: SimdMode;
  /** Tests: the helper throws at this command (a sequence number), to exercise the caller's fallback. */
  failAt?: number;
}

/** The vector operations of one Lanczos run, each cut in two (see the file comment). */
export interface SplitWork {
  /** y = A x for f64[S] vectors at Core pointers x and y (not overlapping); `basisRow` is the row just made. */
  product(x: number, y: number, basisRow: number): void;
  /** h[0..m) = V[0..m) w (lanczos_project over the basis at V, stride ld). */
  project(m: number, w: number, h: number): void;
  /** w -= V[0..m) h, with the f32 basis when `f32` (lanczos_subtract or lanczos_subtract_f32). */
  subtract(m: number, h: number, w: number, f32: boolean): void;
  /**
   * Y = A X for two vectors, interleaved f64[2S] at x2 and y2 (X[2j + c]); rowA and rowB are the two basis
   * rows just made (in order).
   */
  product2(x2: number, y2: number, rowA: number, rowB: number): void;
  /** h[2r + c] = V_r w_c for r < m (lanczos_project2), w_0 at w0 and w_1 at w1. */
  project2(m: number, w0: number, w1: number, h: number): void;
  /** w_c -= sum_r h[2r + c] V_r for r < m, with the f32 basis when `f32` (lanczos_subtract2 / _f32). */
  subtract2(m: number, h: number, w0: number, w1: number, f32: boolean): void;
  /**
   * The Ritz vectors out = V Y (S x K f64; Y m x K at Core pointer y), RITZ_ROWS rows per lanczos_ritz call:
   * rows 0..ritzCut-1 on this thread, the rest on the helper where there is one; `between` runs once rows
   * 0..ritzCut-1 are made, while the helper makes the others (the caller's residual work).
   */
  ritz(m: number, y: number, out: number, between: () => void): void;
  /**
   * The Ritz vectors out = V Y as ritz() makes them (the same calls), all of them on the helper where there is
   * one (a layout with `products`: ritzCut 0), else here, and for each RITZ_ROWS block of rows in order: `own`,
   * this thread's work that needs no Ritz row (while the helper makes them), then `use` once the block's rows
   * are in `out`.
   */
  ritzStream(
    m: number,
    y: number,
    out: number,
    own: (i0: number, i1: number) => void,
    use: (i0: number, i1: number) => void,
  ): void;
  /** Shares the helper thread computed (products, projections, subtractions: a diagnostic). */
  readonly helped: number;
  /** True once the helper is ready to join (it then joins at the next product). */
  readonly helperReady: boolean;
  /** Ends the helper's job; call once, after the last operation. */
  close(): void;
}

let helper: Worker | undefined;

/**
 * The jobs' large shared buffers (the leading rows, the Ritz coefficients and rows), kept for the next job that
 * fits in them: fresh pages cost a fault each (about 10 microseconds here; 117 MB of rows at S = 10,000 took
 * 0.3 s before the first step). A job's helper reads them only while the job runs, and jobs run one at a time.
 */
const keptBuffers = new Map<'rows' | 'ritzY' | 'ritzOut', SharedArrayBuffer>();

function keptBuffer(name: 'rows' | 'ritzY' | 'ritzOut', bytes: number): SharedArrayBuffer {
  let b = keptBuffers.get(name);
  if (!b || b.byteLength < bytes) {
    b = new SharedArrayBuffer(bytes);
    keptBuffers.set(name, b);
  }
  return b;
}

/** Lets the kept shared buffers go (the QDG pipeline does, after its one eigensolve, before its k-means). */
export function releaseSplitBuffers(): void {
  keptBuffers.clear();
}

/** Ends the helper thread (it is unref'd: an exiting process does not wait for it). */
export async function closeSplitThread(): Promise<void> {
  const w = helper;
  helper = undefined;
  releaseSplitBuffers();
  await w?.terminate();
}

function helperThread(): Worker {
  if (!helper) {
    helper = new workerThreads!.Worker(workerScript(import.meta.url, 'split-worker'));
    helper.unref();
  }
  return helper;
}

export interface SplitLayout {
  matrix: number;
  S: number;
  /** The basis (f64, stride ld) and its f32 copy (stride ld32), mMax rows. */
  V: number;
  V32: number;
  ld: number;
  ld32: number;
  mMax: number;
  /** An f64[S] Core buffer for the leading block's share when this thread computes it. */
  scratch: number;
  /** An f64[2S] Core buffer for the leading block's share of a two-vector product (the block route only). */
  scratch2?: number;
  /** Ritz vectors to be made (the width of Y); 0: ritz() runs on this thread only. */
  K?: number;
  /** The caller keeps its products and computes M Y meanwhile (ritzCut). */
  products?: boolean;
}

/**
 * The cut operations of one Lanczos run over the matrix and basis of `layout`, on `threads` threads (1 or 2;
 * 2 only where worker threads exist and S is cut). `r` overrides splitRow(S) (tests of the cut at small S);
 * `helperFailsAt` makes the helper throw at that command (tests of the fallback).
 */
export function splitWork(
  core: Core,
  layout: SplitLayout,
  threads: number,
  r = splitRow(layout.S),
  helperFailsAt?: number,
): SplitWork {
  const { matrix, S, V, V32, ld, ld32, mMax, scratch, scratch2 = 0, K = 0, products = false } = layout;
  const rc = ritzCut(S, products);
  const k = core.kernels;
  const rowBytes = ld * 8;
  const cut = r > 0 && r < S;
  if (cut && r % 4 !== 0) throw new RangeError(`quanta: split row ${r} is not a multiple of 4`);
  const c = cut ? splitCoordinate(S) : 0;

  const combine = (lead: Float64Array, y: number) => {
    const out = core.f64(y, S);
    for (let i = 0; i < r; i++) out[i] = lead[i];
    for (let i = r; i < S; i++) out[i] = lead[i] + out[i];
  };
  // this thread's shares, and the helper's when it computes them itself
  const combine2 = (lead: Float64Array, y2: number) => {
    const out = core.f64(y2, 2 * S);
    for (let i = 0; i < 2 * r; i++) out[i] = lead[i];
    for (let i = 2 * r; i < 2 * S; i++) out[i] = lead[i] + out[i];
  };
  const trailProduct = (x: number, y: number) => k.lanczos_symv_upper_rows(matrix, S, S, r, S, x, y);
  const trailProduct2 = (x2: number, y2: number) => k.lanczos_symv2_upper_rows(matrix, S, S, r, S, x2, y2);
  const leadProduct2 = (x2: number, y2: number) => {
    k.lanczos_symv2_upper_rows(matrix, S, S, 0, r, x2, scratch2);
    combine2(core.f64(scratch2, 2 * S), y2);
  };
  const projectRows2 = (r0: number, r1: number, w0: number, w1: number, h: number) => {
    if (r1 > r0) k.lanczos_project2(V + r0 * rowBytes, r1 - r0, ld, S, w0, w1, h + 16 * r0);
  };
  const subtractCoordinates2 = (
    i0: number,
    i1: number,
    m: number,
    h: number,
    w0: number,
    w1: number,
    f32: boolean,
  ) => {
    if (i1 <= i0) return;
    if (f32) k.lanczos_subtract2_f32(V32 + 4 * i0, m, ld32, i1 - i0, h, w0 + 8 * i0, w1 + 8 * i0);
    else k.lanczos_subtract2(V + 8 * i0, m, ld, i1 - i0, h, w0 + 8 * i0, w1 + 8 * i0);
  };
  const leadProduct = (x: number, y: number) => {
    k.lanczos_symv_upper_rows(matrix, S, S, 0, r, x, scratch);
    combine(core.f64(scratch, S), y);
  };
  const projectRows = (r0: number, r1: number, w: number, h: number) => {
    if (r1 > r0) k.lanczos_project(V + r0 * rowBytes, r1 - r0, ld, S, w, h + 8 * r0);
  };
  const subtractCoordinates = (i0: number, i1: number, m: number, h: number, w: number, f32: boolean) => {
    if (i1 <= i0) return;
    if (f32) k.lanczos_subtract_f32(V32 + 4 * i0, m, ld32, i1 - i0, h, w + 8 * i0);
    else k.lanczos_subtract(V + 8 * i0, m, ld, i1 - i0, h, w + 8 * i0);
  };
  /** Rows i0..i1-1 of out = V Y (m basis rows, Y m x K), on the RITZ_ROWS grid. */
  const ritzRows = (i0: number, i1: number, m: number, y: number, out: number) => {
    for (let i = i0; i < i1; i += RITZ_ROWS) {
      const rows = Math.min(RITZ_ROWS, i1 - i);
      // many short calls: a Wasm call runs in the tier it started in, so the engine can switch to optimised
      // code after the first few (one call over all S rows stays in baseline code)
      k.lanczos_ritz(V + i * 8, m, ld, rows, y, K, out + i * K * 8);
    }
  };
  const alone: SplitWork = {
    product(x, y) {
      if (!cut) return k.lanczos_symv_upper(matrix, S, x, y);
      trailProduct(x, y);
      leadProduct(x, y);
    },
    project(m, w, h) {
      if (!cut) return k.lanczos_project(V, m, ld, S, w, h);
      const R = splitBasisRows(m);
      projectRows(R, m, w, h);
      projectRows(0, R, w, h);
    },
    subtract(m, h, w, f32) {
      if (!cut) return subtractCoordinates(0, S, m, h, w, f32);
      subtractCoordinates(0, c, m, h, w, f32);
      subtractCoordinates(c, S, m, h, w, f32);
    },
    product2(x2, y2) {
      if (!cut) return k.lanczos_symv2_upper_rows(matrix, S, S, 0, S, x2, y2);
      trailProduct2(x2, y2);
      leadProduct2(x2, y2);
    },
    project2(m, w0, w1, h) {
      if (!cut) return k.lanczos_project2(V, m, ld, S, w0, w1, h);
      const R = splitBasisRows(m);
      projectRows2(R, m, w0, w1, h);
      projectRows2(0, R, w0, w1, h);
    },
    subtract2(m, h, w0, w1, f32) {
      if (!cut) return subtractCoordinates2(0, S, m, h, w0, w1, f32);
      subtractCoordinates2(0, c, m, h, w0, w1, f32);
      subtractCoordinates2(c, S, m, h, w0, w1, f32);
    },
    ritz(m, y, out, between) {
      ritzRows(0, rc, m, y, out);
      ritzRows(rc, S, m, y, out);
      between();
    },
    ritzStream(m, y, out, own, use) {
      for (let i = 0; i < S; i += RITZ_ROWS) {
        const i1 = Math.min(S, i + RITZ_ROWS);
        ritzRows(i, i1, m, y, out);
        own(i, i1);
        use(i, i1);
      }
    },
    helped: 0,
    helperReady: false,
    close() {},
  };
  if (!cut || threads < 2 || !workerThreads?.isMainThread) return alone;

  const rows = keptBuffer('rows', 4 * r * S);
  new Float32Array(rows, 0, r * S).set(core.f32(matrix, r * S));
  const shared = (n: number) => new SharedArrayBuffer(8 * n);
  const job: SplitJob = {
    S,
    r,
    c,
    mMax,
    ld,
    ld32,
    rows,
    control: new SharedArrayBuffer(4 * 8),
    x: shared(S),
    y: shared(S),
    row: shared(S),
    w: shared(S),
    h: shared(2 * mMax),
    x2: shared(2 * S),
    y2: shared(2 * S),
    row2: shared(S),
    w2: shared(S),
    ritzCut: rc,
    K,
    ritzY: keptBuffer('ritzY', K > 0 ? 8 * mMax * K : 0),
    ritzOut: keptBuffer('ritzOut', K > 0 ? 8 * (S - rc) * K : 0), // S K with `products` (rc 0)
    simd: core.simd,
    failAt: helperFailsAt,
  };
  const control = new Int32Array(job.control);
  const xs = new Float64Array(job.x);
  const ys = new Float64Array(job.y);
  const rowS = new Float64Array(job.row);
  const ws = new Float64Array(job.w);
  const hs = new Float64Array(job.h);
  const x2s = new Float64Array(job.x2);
  const y2s = new Float64Array(job.y2);
  const row2S = new Float64Array(job.row2);
  const w2s = new Float64Array(job.w2);
  helperThread().postMessage(job);

  let joined = false;
  let failed = false;
  let seq = 0;
  let helped = 0;
  let rowsMade = 0; // basis rows handed to product() so far (the helper needs all of them once it joins)
  const post = (op: number, a0 = 0, a1 = 0) => {
    control[Control.op] = op;
    control[Control.arg0] = a0;
    control[Control.arg1] = a1;
    Atomics.store(control, Control.posted, ++seq);
    Atomics.notify(control, Control.posted);
  };
  /** Waits for the posted command; false if the helper failed (then this thread does its share). */
  const answered = (): boolean => {
    for (let spin = 0; spin < SPIN && Atomics.load(control, Control.done) !== seq; spin++);
    for (;;) {
      const done = Atomics.load(control, Control.done);
      if (done === seq) break;
      Atomics.wait(control, Control.done, done);
    }
    if (Atomics.load(control, Control.failed) !== 0) {
      joined = false;
      failed = true;
      return false;
    }
    helped++;
    return true;
  };
  /** Waits until the helper's Ritz rows reach row i1 (Op.ritz's progress); false if it failed first. */
  const rowsReady = (i1: number): boolean => {
    for (let spin = 0; spin < SPIN && Atomics.load(control, Control.progress) < i1; spin++);
    for (;;) {
      const p = Atomics.load(control, Control.progress);
      if (p >= i1) return true;
      if (Atomics.load(control, Control.failed) !== 0) return false;
      Atomics.wait(control, Control.progress, p, 10);
    }
  };
  /** Joins the helper once it is ready: it gets every basis row made so far, one by one through `row`. */
  const tryJoin = () => {
    if (joined || failed || Atomics.load(control, Control.ready) !== 1) return;
    joined = true;
    for (let j = 0; j < rowsMade && joined; j++) {
      rowS.set(core.f64(V + j * rowBytes, S));
      post(Op.row, j);
      joined = answered();
    }
  };

  return {
    product(x, y, basisRow) {
      tryJoin();
      rowsMade++;
      if (!joined) return alone.product(x, y, basisRow);
      xs.set(core.f64(x, S));
      rowS.set(core.f64(basisRow, S));
      post(Op.product, rowsMade - 1);
      trailProduct(x, y);
      if (answered()) combine(ys, y);
      else leadProduct(x, y);
    },
    project(m, w, h) {
      const R = splitBasisRows(m);
      if (!joined || R === 0) return alone.project(m, w, h);
      ws.set(core.f64(w, S));
      post(Op.project, R);
      projectRows(R, m, w, h);
      if (answered()) core.f64(h, R).set(hs.subarray(0, R));
      else projectRows(0, R, w, h);
    },
    subtract(m, h, w, f32) {
      if (!joined) return alone.subtract(m, h, w, f32);
      hs.set(core.f64(h, m));
      ws.set(core.f64(w + 8 * c, S - c), c);
      post(Op.subtract, m, f32 ? 1 : 0);
      subtractCoordinates(0, c, m, h, w, f32);
      if (answered()) core.f64(w + 8 * c, S - c).set(ws.subarray(c, S));
      else subtractCoordinates(c, S, m, h, w, f32);
    },
    product2(x2, y2, rowA, rowB) {
      tryJoin();
      rowsMade += 2;
      if (!joined) return alone.product2(x2, y2, rowA, rowB);
      x2s.set(core.f64(x2, 2 * S));
      rowS.set(core.f64(rowA, S));
      row2S.set(core.f64(rowB, S));
      post(Op.product2, rowsMade - 2);
      trailProduct2(x2, y2);
      if (answered()) combine2(y2s, y2);
      else leadProduct2(x2, y2);
    },
    project2(m, w0, w1, h) {
      const R = splitBasisRows(m);
      if (!joined || R === 0) return alone.project2(m, w0, w1, h);
      ws.set(core.f64(w0, S));
      w2s.set(core.f64(w1, S));
      post(Op.project2, R);
      projectRows2(R, m, w0, w1, h);
      if (answered()) core.f64(h, 2 * R).set(hs.subarray(0, 2 * R));
      else projectRows2(0, R, w0, w1, h);
    },
    subtract2(m, h, w0, w1, f32) {
      if (!joined) return alone.subtract2(m, h, w0, w1, f32);
      hs.set(core.f64(h, 2 * m));
      ws.set(core.f64(w0 + 8 * c, S - c), c);
      w2s.set(core.f64(w1 + 8 * c, S - c), c);
      post(Op.subtract2, m, f32 ? 1 : 0);
      subtractCoordinates2(0, c, m, h, w0, w1, f32);
      if (answered()) {
        core.f64(w0 + 8 * c, S - c).set(ws.subarray(c, S));
        core.f64(w1 + 8 * c, S - c).set(w2s.subarray(c, S));
      } else subtractCoordinates2(c, S, m, h, w0, w1, f32);
    },
    ritz(m, y, out, between) {
      if (!joined || K === 0 || rc >= S) return alone.ritz(m, y, out, between);
      new Float64Array(job.ritzY, 0, m * K).set(core.f64(y, m * K));
      post(Op.ritz, m);
      ritzRows(0, rc, m, y, out);
      between();
      if (answered())
        core.f64(out + rc * K * 8, (S - rc) * K).set(new Float64Array(job.ritzOut, 0, (S - rc) * K));
      else ritzRows(rc, S, m, y, out);
    },
    ritzStream(m, y, out, own, use) {
      if (!joined || K === 0 || rc !== 0) return alone.ritzStream(m, y, out, own, use);
      new Float64Array(job.ritzY, 0, m * K).set(core.f64(y, m * K));
      Atomics.store(control, Control.progress, 0);
      post(Op.ritz, m);
      const shared = new Float64Array(job.ritzOut, 0, S * K);
      let helperOk = true;
      for (let i = 0; i < S; i += RITZ_ROWS) {
        const i1 = Math.min(S, i + RITZ_ROWS);
        own(i, i1);
        if (helperOk) helperOk = rowsReady(i1);
        if (helperOk) core.f64(out + i * K * 8, (i1 - i) * K).set(shared.subarray(i * K, i1 * K));
        else ritzRows(i, i1, m, y, out); // the helper failed: this block and the rest here, the same calls
        use(i, i1);
      }
      answered();
    },
    get helped() {
      return helped;
    },
    get helperReady() {
      return Atomics.load(control, Control.ready) === 1;
    },
    close() {
      Atomics.store(control, Control.posted, -1);
      Atomics.notify(control, Control.posted);
    },
  };
}

// The Gram route of kmeans() (./kmeans.ts): k-means through the S x S Gram matrix F = X X^T of the centred
// rows (assembly/kmeans-gram.ts). Same labels, inertia, iterations and centres as the bounded route, bit for
// bit (every close decision is re-made in f64 in the bounded route's operation order), with far less work
// when k d is large against S, as in QDG's spectral sweeps (k = d = K up to 1500, S = 10,000):
//
//   bounded route, per restart: (2 + ln k) k S d for the k-means++ trials + about S k d per Lloyd step;
//   Gram route: S^2 d / 2 once for F (shared by every restart, and extended column by column across the K of
//   a sweep, whose embeddings are prefixes of one another), then k (2 + ln k) S for the trials, S^2 for the
//   first membership sums and S k per Lloyd step, plus 2 S per row that changes cluster. Once few clusters
//   change in a step (late Lloyd steps), the assignment reads only their rows of Pt: S per changed cluster
//   (kmeans_gram_assign_changed), plus k per row whose least two values it cannot settle from those alone.
//
// A GramStore is F for one data set, kept between kmeans() calls: the caller (e.g. the spectral sweep in
// ./pipeline.ts) owns one for its thread; each helper thread keeps its own, keyed by the store's id. A store
// promises that the data of successive calls extend one another by columns (the first columns unchanged);
// a cheap fingerprint check (three rows) rebuilds F when they do not.
import type { Core } from '../../core/arena.js';
import { MemoryLimitError, formatBytes } from '../../core/arena.js';
import { allocatePlan, planBytes, type BufferPlan } from '../../core/buffers.js';
import type { GramState, GramStore, KMeansState } from './types.js';

const U = 2 ** -53;
const gamma = (n: number) => (n * U) / (1 - n * U);

let nextId = 1;

/** A store's buffers for S rows: F (f64 S x S) and F rounded to f32. */
export function gramStorePlan(S: number): BufferPlan<'F' | 'F32'> {
  return [
    { name: 'F', bytes: 8 * S * S },
    { name: 'F32', bytes: 4 * S * S },
  ];
}

/** Bytes of a store's F (f64) and F32 for S rows. */
export function gramStoreBytes(S: number): number {
  return planBytes(gramStorePlan(S));
}

/**
 * Allocates F for S rows on `core` (above its current mark: the caller releases it with its own mark).
 * Throws MemoryLimitError when it does not fit, leaving `reserve` bytes for the k-means working memory.
 */
export function createGramStore(core: Core, S: number, reserve = 0, id = nextId++): GramStore {
  const need = gramStoreBytes(S);
  if (need + reserve > core.available) {
    throw new MemoryLimitError(`the Gram route's ${S} x ${S} matrices need ${formatBytes(need)}`);
  }
  const { F: ptr, F32: ptr32 } = allocatePlan(core, gramStorePlan(S));
  return { core, S, ptr, ptr32, id, columns: 0, fingerprint: 0, end: core.mark() };
}

/** A fresh id for a store made elsewhere (a helper thread's store takes the id of the caller's). */
export function newGramId(): number {
  return nextId++;
}

/** A 32-bit hash (FNV-1a over the two words of each value) of the first c columns of S x d f64 rows. */
function prefixHash(x: Float64Array, S: number, d: number, c: number): number {
  const w = new Uint32Array(x.buffer, x.byteOffset, 2 * S * d);
  let h = 0x811c9dc5;
  for (let i = 0; i < S; i++) {
    const row = 2 * i * d;
    for (let e = row; e < row + 2 * c; e++) h = Math.imul(h ^ w[e], 0x01000193);
  }
  return h >>> 0;
}

/** Throws unless `store` belongs to `core` and its memory is still allocated. */
export function requireLiveStore(store: GramStore, core: Core, S: number): void {
  if (store.core !== core)
    throw new RangeError('kmeans: a Gram store is used with another Core than its own');
  if (core.mark() < store.end)
    throw new RangeError('kmeans: the Gram store was released (core.release below it)');
  if (store.S !== S) throw new RangeError(`kmeans: Gram store of ${store.S} rows, data of ${S}`);
}

/**
 * Makes F = X X^T for the S x d centred data at X (Wasm f64, ld = d): folds in the columns beyond
 * store.columns, or rebuilds F from zero when the data do not extend the folded columns (a hash of every
 * folded value is compared: O(S d), against S^2 d / 2 for F).
 */
export function extendGram(store: GramStore, X: number, S: number, d: number): void {
  const { core } = store;
  requireLiveStore(store, core, S);
  const x = core.f64(X, S * d);
  const c = store.columns;
  if (c > d || (c > 0 && prefixHash(x, S, d, c) !== store.fingerprint)) {
    core.f64(store.ptr, S * S).fill(0);
    store.columns = 0;
  }
  if (store.columns < d) {
    core.kernels.gram_extend_f64(store.ptr, store.ptr32, S, X, d, store.columns, d);
  }
  store.columns = d;
  store.fingerprint = prefixHash(x, S, d, d);
}

/** The Gram route's own buffers of one thread's restarts (the GramState fields of the same names). */
export function gramStatePlan(
  S: number,
  k: number,
): BufferPlan<
  | 'xRoot'
  | 'Pt'
  | 'pmem'
  | 'ptCounts'
  | 'terms'
  | 'cerr'
  | 'scratch'
  | 'order'
  | 'starts'
  | 'changed'
  | 'changedFlags'
  | 'rescan'
  | 'info'
  | 'tau'
  | 'trialRows'
  | 'trialChanged'
> {
  const trials = 2 + Math.floor(Math.log(k));
  return [
    { name: 'xRoot', bytes: 8 * S },
    { name: 'Pt', bytes: 8 * k * S },
    { name: 'pmem', bytes: 4 * S },
    { name: 'ptCounts', bytes: 8 * k },
    { name: 'terms', bytes: 8 * k },
    { name: 'cerr', bytes: 8 * k },
    { name: 'scratch', bytes: 8 * 4 * S },
    { name: 'order', bytes: 4 * S },
    { name: 'starts', bytes: 4 * (k + 1) },
    { name: 'changed', bytes: 4 * k },
    { name: 'changedFlags', bytes: 4 * k },
    { name: 'rescan', bytes: 4 * S },
    { name: 'info', bytes: 8 },
    { name: 'tau', bytes: 4 * (S + 2 * trials) + 8 * (trials + 1) }, // the trials' scratch
    { name: 'trialRows', bytes: 4 * trials * S },
    { name: 'trialChanged', bytes: 4 * trials },
  ];
}

/** Wasm bytes the Gram route needs besides F and the buffers both routes share. */
export function gramStateBytes(S: number, k: number): number {
  return planBytes(gramStatePlan(S, k));
}

export function allocGramState(core: Core, store: GramStore, S: number, d: number, k: number): GramState {
  return {
    F32: store.ptr32,
    ...allocatePlan(core, gramStatePlan(S, k)),
    R: 0,
    seeds: false,
    distances: false,
    rowsValid: false,
    cNormUsed: new Float64Array(k),
    stats: { full: 0, incremental: 0, rescanned: 0 },
    bf: 1.01 * (4 * gamma(d) + 2 ** -23 + 32 * U),
  };
}

/** Row norms and R from the state's xNorm; called once the data are centred. */
export function prepareGramState(c: KMeansState, g: GramState): void {
  const xn = c.core.f64(c.xNorm, c.S);
  const xr = c.core.f64(g.xRoot, c.S);
  let R = 0;
  for (let i = 0; i < c.S; i++) R = Math.max(R, (xr[i] = Math.sqrt(xn[i])));
  g.R = R * (1 + 4 * U);
}

/**
 * k-means++ trials through F (kmeans_gram_trials); returns the best candidate (its potential in c.pots).
 * `full`: the kernel's thresholds from closest anew (the seeding's first trial), else as the last gramAccept
 * left them; `base` the sum of closest in row order (Infinity before the first centre).
 */
export function gramTrials(c: KMeansState, g: GramState, t: number, full: boolean, base: number): number {
  const { core } = c;
  return core.kernels.kmeans_gram_trials(
    c.X,
    c.S,
    c.d,
    c.xNorm,
    g.xRoot,
    g.F32,
    c.candIdx,
    t,
    c.closest,
    c.dist,
    g.trialRows,
    g.trialChanged,
    c.pots,
    g.bf,
    g.R,
    g.tau,
    full ? 1 : 0,
    base,
  );
}

/** Accepts candidate c of the last gramTrials: the rows it comes closer to take its distances. */
export function gramAccept(c: KMeansState, g: GramState, bestT: number): void {
  // prettier-ignore
  c.core.kernels.kmeans_gram_accept(
    c.S, bestT, c.dist, g.trialRows, g.trialChanged, c.closest, c.xNorm, g.xRoot, g.bf, g.R, g.tau,
  );
}

/** After the seeding: Pt holds the chosen rows (singleton clusters), exact centres. */
export function gramSeeded(c: KMeansState, g: GramState, seedRows: Int32Array): void {
  const { core, S, k } = c;
  core.i32(c.rows, k).set(seedRows);
  core.kernels.kmeans_gram_rows(g.F32, S, c.rows, k, g.Pt);
  core.f64(g.ptCounts, k).fill(1);
  core.f64(g.terms, k).fill(1);
  core.f64(g.cerr, k).fill(0);
  core.i32(g.pmem, S).fill(-1);
  g.seeds = true;
  g.rowsValid = false;
}

/**
 * After kmeans_update_moves, for the clusters it recomputed (flags[j] != 0): each centre is a sum of member
 * rows times 1/n_j, a sum that has had t_j = terms[j] additions and subtractions of rows (norm <= R) since it
 * was built from zero (t_j = n_j then). Recursive summation of t terms is within gamma(t - 1) times the sum of
 * their norms of the exact sum (Higham, Accuracy and Stability, 4.2), so within gamma(t_j) t_j R; divided
 * by n_j, and one rounding each of 1/n_j and of the product: within (gamma(t_j) t_j / n_j + gamma(2)) R of the
 * exact mean, which is gamma(n_j) + gamma(2) <= gamma(n_j + 2) for a sum built from zero.
 */
export function gramCentresUpdated(
  c: KMeansState,
  g: GramState,
  countsPtr: number,
  termsPtr: number,
  flagsPtr: number,
): void {
  const counts = c.core.f64(countsPtr, c.k);
  const terms = c.core.f64(termsPtr, c.k);
  const flags = c.core.i32(flagsPtr, c.k);
  const cerr = c.core.f64(g.cerr, c.k);
  for (let j = 0; j < c.k; j++) {
    if (flags[j] === 0) continue;
    const t = terms[j];
    cerr[j] = 1.01 * ((gamma(t) * t) / Math.max(1, counts[j]) + gamma(2));
  }
}

/**
 * A relocation moved a row out of cluster `from` (n members before) into the empty cluster `to`:
 * c_from = (c_from n - x) / (n - 1) scales its error by n / (n - 1) and adds three roundings of values
 * up to (n + 1) R; c_to is the row itself (exact).
 */
export function gramRelocated(c: KMeansState, g: GramState, from: number, to: number, n: number): void {
  const cerr = c.core.f64(g.cerr, c.k);
  cerr[from] = (1.01 * (n * cerr[from] + 3 * (n + 1) * U)) / (n - 1);
  cerr[to] = 0;
}

/**
 * The exact assignment step through Pt; returns the inertia, or NaN without `distances` (then minDist is
 * not computed: Lloyd's loop needs only the labels; see ensureDistances).
 */
export function gramAssign(c: KMeansState, g: GramState, distances: boolean): number {
  const { core, S, d, k } = c;
  const K = core.kernels;
  const nc = g.rowsValid ? changedClusters(c, g) : k;
  if (!g.seeds) {
    K.kmeans_gram_sync(g.F32, S, c.labels, g.pmem, k, g.Pt, g.ptCounts, g.terms, g.order, g.starts);
  }
  g.seeds = false;
  K.kmeans_row_norms(c.centers, k, d, c.cNorm);
  const cNorm = core.f64(c.cNorm, k);
  let changed = nc;
  if (nc < k) {
    // a cluster whose centre moved without a change of members (the mean recomputed after a relocation)
    const flags = core.i32(g.changedFlags, k);
    for (let j = 0; j < k; j++) {
      if (flags[j] === 0 && !Object.is(cNorm[j], g.cNormUsed[j])) {
        flags[j] = 1;
        changed++;
      }
    }
  }
  // the arguments both assignment kernels take, in their order
  const args = [
    c.X,
    S,
    d,
    g.xRoot,
    g.R,
    c.centers,
    k,
    c.cNorm,
    g.Pt,
    g.ptCounts,
    g.terms,
    g.cerr,
    c.labels,
    c.minDist,
    g.scratch,
    distances ? 1 : 0,
  ] as const;
  if (changed * INCREMENTAL_SHARE <= k) {
    const flags = core.i32(g.changedFlags, k);
    const list = core.i32(g.changed, k);
    let n = 0;
    for (let j = 0; j < k; j++) if (flags[j] !== 0) list[n++] = j;
    K.kmeans_gram_assign_changed(...args, g.changed, n, g.changedFlags, g.rescan, g.info);
    const info = core.i32(g.info, 2);
    if (info[1]) g.stats.full++;
    else {
      g.stats.incremental++;
      g.stats.rescanned += info[0];
    }
  } else {
    K.kmeans_gram_assign(...args);
    g.stats.full++;
  }
  g.cNormUsed.set(cNorm);
  g.rowsValid = true;
  g.distances = distances;
  if (!distances) return NaN;
  const dist = core.f64(c.minDist, S);
  let inertia = 0;
  for (let i = 0; i < S; i++) inertia += dist[i];
  return inertia;
}

/**
 * An incremental assignment pays while at most 1 / INCREMENTAL_SHARE of the clusters changed: it reads the
 * changed clusters' rows of Pt and a few rows' columns, against the whole of Pt for the full pass.
 */
const INCREMENTAL_SHARE = 2;

/**
 * Before the sync: flags (g.changedFlags) the clusters whose members the sync is about to change (each
 * changed row's old and new cluster) and returns their number, or k when the sync rebuilds Pt (more than
 * S / 2 rows changed, as kmeans_gram_sync decides), when every cluster's values change.
 */
function changedClusters(c: KMeansState, g: GramState): number {
  const { core, S, k } = c;
  const labels = core.i32(c.labels, S);
  const pmem = core.i32(g.pmem, S);
  const flags = core.i32(g.changedFlags, k);
  flags.fill(0);
  let rows = 0;
  let n = 0;
  for (let i = 0; i < S; i++) {
    const a = labels[i];
    const b = pmem[i];
    if (a === b) continue;
    if (b < 0) return k;
    rows++;
    if (flags[a] === 0) n++;
    flags[a] = 1;
    if (flags[b] === 0) n++;
    flags[b] = 1;
  }
  return rows * 2 > S ? k : n;
}

/**
 * minDist for the last assignment (the squared distances to the centres it used, as kmeans_assign_bounded
 * leaves them), computing them now if that assignment skipped them: for the relocation of empty clusters.
 */
export function ensureDistances(c: KMeansState, g: GramState): void {
  if (g.distances) return;
  c.core.kernels.kmeans_label_distances(c.X, c.S, c.d, c.centers, c.labels, c.minDist);
  g.distances = true;
}

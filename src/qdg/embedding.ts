// The spectral embedding of an affinity matrix, as scikit-learn's
// `spectral_embedding(affinity, n_components=K, drop_first=False, norm_laplacian=True)` computes it
// (sklearn/manifold/_spectral_embedding.py, with scipy.sparse.csgraph.laplacian for the Laplacian):
//
//   1. the diagonal of the affinity A is ignored (set to zero);
//   2. degrees d_i = sum_j A_ij; the normalised Laplacian L = I - D^-1/2 A D^-1/2;
//   3. the K smallest eigenpairs of L, found as the K largest of M = D^-1/2 A D^-1/2 by one Lanczos run
//      (./eigen/lanczos.ts);
//   4. embedding = eigenvectors / sqrt(d_i) (sklearn's `embedding / dd`), then a deterministic sign flip:
//      the entry of largest absolute value of each column is made positive (the first such entry on ties,
//      as numpy's argmax; sklearn `_deterministic_vector_sign_flip`).
//
// Departure from the brief, for accuracy: M is not formed in f32. The affinity stays as given (only its
// diagonal is overwritten) and D^-1/2 is applied in f64 around each f32 matrix-vector product, so M is exact
// to f64 for the given f32 affinity at the same cost and memory.
//
// Isolated samples (degree 0) are handled exactly as scipy's normed Laplacian does: their dd is 1 (not 0),
// their row and column of L are zero (L_ii = 0), so each one is a connected component of its own with a zero
// Laplacian eigenvalue and never produces a NaN. A graph that is not connected (sklearn warns "Graph is not
// fully connected") has one zero Laplacian eigenvalue per component; `isolatedSamples` counts degree-0 rows.
//
// One eigensolve for all K (DESIGN.md lever 3): the embedding for any K' < K is the first K' columns
// (embeddingColumns), because Lanczos returns the eigenvectors in order.
import type { Core } from '../core/arena.js';
import { MAX_MEMORY_BYTES } from '../core/wasm.js';
import { ConfigError, assertInt } from '../core/errors.js';
import { largestEigenpairs } from './eigen/lanczos.js';
import { defaultLanczosSteps, lanczosBytes } from './eigen/plan.js';

export interface SpectralEmbedding {
  /** S, the number of samples (rows). */
  samples: number;
  /** K, the number of columns. */
  components: number;
  /** The K smallest eigenvalues of the normalised Laplacian, ascending (1 - eigenvalues of M). */
  laplacianEigenvalues: Float64Array;
  /** S x K row-major: embedding[i*K + j] = sample i's coordinate on the j-th smallest eigenvector. */
  embedding: Float64Array;
  /** Explicit relative residuals of the eigenpairs of M (see largestEigenpairs). */
  residuals: Float64Array;
  /** Lanczos steps taken. */
  iterations: number;
  /** Products with the matrix (Lanczos steps plus the K explicit residual checks). */
  matvecs: number;
  /** Samples with zero degree (each its own component). */
  isolatedSamples: number;
  /** True when every eigenpair met the tolerance. */
  converged: boolean;
  /** Basis vectors per pass over the matrix in the eigensolver's route (2: the block route, from S 4096). */
  block: number;
}

export interface SpectralEmbeddingOptions {
  /** Relative residual tolerance of the eigenpairs (default 1e-10). */
  tol?: number;
  /** Seed of the Lanczos start vector (default 0): the embedding is a deterministic function of it. */
  seed?: number;
  onProgress?: (done: number, total: number) => void;
  /** Threads for the eigensolver's matrix-vector products (see LanczosOptions.threads; same result). */
  threads?: number;
}

/**
 * Wasm bytes of work space the embedding needs beside the S x S f32 affinity: the eigensolver's (its plans,
 * ./eigen/lanczos.ts); the degrees, scaling and sign flips live in JavaScript arrays. What it needs; with
 * `products`, what it uses when the eigensolver's products fit beside it (it keeps them then).
 */
export function embeddingWorkBytes(S: number, K: number, products = false): number {
  return lanczosBytes(S, K, defaultLanczosSteps(S, K), products);
}

/** Wasm bytes a spectral embedding of S samples into K columns needs in all: matrix + basis + work. */
export function embeddingBytes(S: number, K: number): number {
  return S * S * 4 + embeddingWorkBytes(S, K);
}

/** The largest S whose embedding into min(K, S) columns fits in `available` bytes (default wasm32's 4 GiB). */
export function largestEmbeddableSamples(K: number, available = MAX_MEMORY_BYTES): number {
  let lo = 0;
  let hi = 65536;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (embeddingBytes(mid, Math.min(K, mid)) <= available) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Throws a ConfigError (one line) unless an embedding of S samples into K columns fits in `available`. */
export function requireEmbeddingFits(S: number, K: number, available = MAX_MEMORY_BYTES): void {
  const need = embeddingBytes(S, K);
  if (need > available) {
    const best = largestEmbeddableSamples(K, available);
    throw new ConfigError(
      `spectral embedding of ${S} samples into ${K} components needs ${(need / 2 ** 30).toFixed(2)} GiB of ` +
        `Wasm memory, above the ${(available / 2 ** 30).toFixed(2)} GiB available; the largest S that fits for ` +
        `K = ${K} is ${best}`,
    );
  }
}

/**
 * The spectral embedding of the symmetric, non-negative affinity at `affinityPtr` (f32 S x S, row-major, in
 * Wasm memory). Its diagonal is overwritten (zero, or 1 for an isolated sample); the rest is only read, and
 * only its upper triangle: the matrix is taken to be symmetric (the lower triangle mirrors the upper).
 * K <= S columns. See the file comment.
 */
export function spectralEmbedding(
  core: Core,
  affinityPtr: number,
  S: number,
  K: number,
  opts: SpectralEmbeddingOptions = {},
): SpectralEmbedding {
  assertInt(S, 'number of samples S', 1);
  assertInt(K, 'number of components K', 1, S);
  const work = embeddingWorkBytes(S, K);
  if (work > core.available) requireEmbeddingFits(S, K, core.available + S * S * 4);

  // Degrees with the diagonal ignored, in f64, from the upper triangle (mirrored), the one the eigensolver
  // reads: an affinity computed in f32 can be asymmetric in the last bit, and degrees from the same triangle
  // keep D^1/2 1 an exact eigenvector of the operator. dd = sqrt(degree), or 1 for an isolated sample (scipy).
  const a = core.f32(affinityPtr, S * S);
  const dd = new Float64Array(S);
  const degree = new Float64Array(S);
  const isolated = new Uint8Array(S);
  let isolatedSamples = 0;
  for (let i = 0; i < S; i++) {
    a[i * S + i] = 0;
    const row = i * S;
    let t = degree[i];
    for (let j = i + 1; j < S; j++) {
      const x = a[row + j];
      t += x;
      degree[j] += x;
    }
    degree[i] = t;
  }
  for (let i = 0; i < S; i++) {
    const d = degree[i];
    if (!(d >= 0) || !Number.isFinite(d)) {
      throw new ConfigError(
        `affinity row ${i} has a negative or non-finite sum (${d}): affinities must be >= 0`,
      );
    }
    if (d === 0) {
      isolated[i] = 1;
      isolatedSamples++;
    }
    dd[i] = d === 0 ? 1 : Math.sqrt(d);
  }
  if (isolatedSamples === S && S > 1)
    throw new ConfigError(
      `the affinity has no edges (every off-diagonal entry is 0): there is nothing to cluster`,
    );
  // M = D^-1/2 A D^-1/2, with M_ii = 1 for isolated samples (L_ii = 0) and 0 otherwise. A stays f32 and the
  // scaling is applied in f64 around each product, so M is exact to f64 for the given f32 affinity (forming
  // M in f32 would move the Laplacian's zero eigenvalues of a disconnected graph to about 1e-8).
  for (let i = 0; i < S; i++) if (isolated[i]) a[i * S + i] = 1;
  const scale = Float64Array.from(dd, (x) => 1 / x);
  const eig = largestEigenpairs(core, affinityPtr, S, K, {
    tol: opts.tol,
    seed: opts.seed,
    onProgress: opts.onProgress,
    scale,
    threads: opts.threads,
  });
  const laplacianEigenvalues = Float64Array.from(eig.values, (theta) => 1 - theta);
  const embedding = new Float64Array(S * K);
  for (let i = 0; i < S; i++) {
    const s = 1 / dd[i];
    for (let j = 0; j < K; j++) embedding[i * K + j] = eig.vectors[i * K + j] * s;
  }
  flipSigns(embedding, S, K);
  return {
    samples: S,
    components: K,
    laplacianEigenvalues,
    embedding,
    residuals: eig.residuals,
    iterations: eig.iterations,
    matvecs: eig.matvecs,
    isolatedSamples,
    converged: eig.converged,
    block: eig.block,
  };
}

/** Makes the entry of largest |value| of each column positive (the first one on ties), in place. */
export function flipSigns(embedding: Float64Array, S: number, K: number): void {
  for (let j = 0; j < K; j++) {
    let best = 0;
    let at = 0;
    for (let i = 0; i < S; i++) {
      const v = Math.abs(embedding[i * K + j]);
      if (v > best) {
        best = v;
        at = i;
      }
    }
    if (embedding[at * K + j] < 0) for (let i = 0; i < S; i++) embedding[i * K + j] = -embedding[i * K + j];
  }
}

/**
 * The embedding for k <= K clusters: the first k columns, as an S x k row-major copy, into `into` (its first
 * S k values; a sweep over k reuses one buffer) or a new array.
 */
export function embeddingColumns(e: SpectralEmbedding, k: number, into?: Float64Array): Float64Array {
  assertInt(k, 'number of columns k', 1, e.components);
  const { samples: S, components: K } = e;
  if (into && into.length < S * k) {
    throw new RangeError(`embeddingColumns: ${into.length} values cannot hold ${S} x ${k}`);
  }
  const out = into ? into.subarray(0, S * k) : new Float64Array(S * k);
  for (let i = 0; i < S; i++) for (let j = 0; j < k; j++) out[i * k + j] = e.embedding[i * K + j];
  return out;
}

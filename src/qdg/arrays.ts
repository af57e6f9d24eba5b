// QDG on a caller's own arrays, in Node or a browser: typed arrays in, typed arrays out, Wasm memory never
// seen. Each function copies its input into the core above the allocator's current mark, runs the pointer-level
// stages (./gram.ts, ./affinity.ts, ./embedding.ts, ./pipeline.ts) and releases everything before returning,
// so nothing stays allocated between calls and there is nothing to dispose.
import { getCore, MemoryLimitError, formatBytes, type Core } from '../core/arena.js';
import { ConfigError, requireInt } from '../core/errors.js';
import { angularAffinity, checkSimilarity, type SimilarityKind } from './affinity.js';
import { spectralEmbedding, type SpectralEmbeddingOptions } from './embedding.js';
import { cosineFromGram, mirrorGram, syrkAccumulate } from './gram.js';
import { qdgConfig, type QdgOptions } from './config.js';
import { spectralClusterings, type QdgAnalysis } from './pipeline.js';

function requireMemory(core: Core, bytes: number, what: string): void {
  if (bytes > core.available)
    throw new MemoryLimitError(
      `quanta: ${what} needs ${formatBytes(bytes)} of Wasm memory, ${formatBytes(core.available)} is free`,
    );
}

function requireSquare(matrix: ArrayLike<number>, S: number, name: string): void {
  requireInt(S, 'number of samples S', 1);
  if (matrix.length !== S * S)
    throw new ConfigError(`${name}: ${matrix.length} values, an S x S matrix for S = ${S} has ${S * S}`);
}

/** Runs `body` with f32 S x S `matrix` copied into the core, releasing it afterwards. */
function withMatrix<T>(core: Core, matrix: ArrayLike<number>, S: number, body: (ptr: number) => T): T {
  requireMemory(core, 4 * S * S + 64, `an ${S} x ${S} matrix`);
  const mark = core.mark();
  try {
    const ptr = core.allocF32(S * S);
    core.f32(ptr, S * S).set(matrix);
    return body(ptr);
  } finally {
    core.release(mark);
  }
}

/**
 * Cosine similarities of the rows of an S x P row-major matrix (per-sample gradients, say): C_ij = <a_i, a_j> /
 * (|a_i| |a_j|), f32 S x S, diagonal 1 (a zero row gets cosine 0). The Gram matrix by the SIMD SYRK kernel.
 */
export function cosineSimilarityOfRows(
  rows: Float32Array | Float64Array,
  S: number,
  P: number,
  core: Core = getCore(),
): Float32Array {
  requireInt(S, 'number of rows S', 1);
  requireInt(P, 'number of columns P', 1);
  if (rows.length !== S * P) throw new ConfigError(`rows: ${rows.length} values, ${S} x ${P} has ${S * P}`);
  for (let i = 0; i < rows.length; i++)
    if (!Number.isFinite(rows[i]))
      throw new ConfigError(`rows: non-finite value ${rows[i]} at (${Math.floor(i / P)}, ${i % P})`);
  requireMemory(core, 4 * S * S + 4 * S * P + 128, `the cosine similarities of ${S} x ${P} rows`);
  const mark = core.mark();
  try {
    const gramPtr = core.allocF32(S * S);
    const blockPtr = core.allocF32(S * P);
    core.f32(blockPtr, S * P).set(rows);
    syrkAccumulate(core, gramPtr, S, blockPtr, P);
    mirrorGram(core, gramPtr, S);
    cosineFromGram(core, gramPtr, S);
    return core.f32(gramPtr, S * S).slice();
  } finally {
    core.release(mark);
  }
}

/** The angular affinity 1 - arccos(clip(C, -1, 1))/pi of an S x S cosine-similarity matrix (a new array). */
export function angularAffinityOf(
  cosine: ArrayLike<number>,
  S: number,
  core: Core = getCore(),
): Float32Array {
  requireSquare(cosine, S, 'cosine');
  return withMatrix(core, cosine, S, (ptr) => {
    angularAffinity(core, ptr, S);
    return core.f32(ptr, S * S).slice();
  });
}

/** The spectral embedding of an affinity matrix, as spectralEmbedding (./embedding.ts) computes it. */
export interface EmbeddingOf {
  /** S x K, row-major (scikit-learn's spectral_embedding: scaled by 1/sqrt(degree), deterministic signs). */
  embedding: Float64Array;
  /** The K smallest eigenvalues of the normalised Laplacian, ascending. */
  laplacianEigenvalues: Float64Array;
  converged: boolean;
}

/** The K-column spectral embedding of a symmetric, non-negative S x S affinity matrix (not modified). */
export function spectralEmbeddingOf(
  affinity: ArrayLike<number>,
  S: number,
  K: number,
  opts: SpectralEmbeddingOptions = {},
  core: Core = getCore(),
): EmbeddingOf {
  requireSquare(affinity, S, 'affinity');
  return withMatrix(core, affinity, S, (ptr) => {
    checkSimilarity(core.f32(ptr, S * S), S, 'affinity', 'affinity');
    const e = spectralEmbedding(core, ptr, S, K, opts);
    return {
      embedding: Float64Array.from(e.embedding),
      laplacianEigenvalues: Float64Array.from(e.laplacianEigenvalues),
      converged: e.converged,
    };
  });
}

export interface ClusterMatrixOptions extends QdgOptions {
  /** 'cosine' (values in [-1, 1], turned into the angular affinity) or 'affinity' (non-negative, as is). */
  kind: SimilarityKind;
  /** True labels of the samples: each clustering then carries its ARI (and NMI) against them. */
  trueLabels?: ArrayLike<number>;
}

/**
 * The whole QDG clustering of an S x S similarity matrix, as `quanta qdg --similarity` / `--affinity` runs it:
 * the matrix is checked (finite, symmetric, in range), turned into the angular affinity if it holds cosines,
 * embedded once for the largest K, clustered by k-means for every K, and the rank-frequency envelope fitted.
 */
export function clusterMatrix(
  matrix: ArrayLike<number>,
  S: number,
  opts: ClusterMatrixOptions,
  core: Core = getCore(),
): QdgAnalysis {
  requireSquare(matrix, S, opts.kind);
  return withMatrix(core, matrix, S, (ptr) => {
    checkSimilarity(core.f32(ptr, S * S), S, opts.kind, opts.kind);
    const config = qdgConfig(opts, S, undefined, { cosine: opts.kind === 'cosine' });
    if (opts.kind === 'cosine') angularAffinity(core, ptr, S, config.cosine === 'abs');
    return spectralClusterings(core, ptr, config, { trueLabels: opts.trueLabels });
  });
}

// Inputs of the QDG pipeline (SPEC.md 4.1 items 5-8): exactly one of
//   --gradients G.npy   per-sample gradients, S x P (any float dtype): Gram, then cosine similarities;
//   --similarity C.npy  cosine similarities, S x S: clipped, then the angular affinity;
//   --affinity A.npy    an affinity, S x S, symmetric and >= 0, used as is;
//   --run RUN.json      a sparse-parity model trained by `quanta train` (./run.ts).
// planNpySource() validates everything it can from the headers (shape, dtype) before any work or output;
// npySource() makes it a QdgSource for runQdg (../run.ts), whose load fills an f32 S x S matrix in Wasm memory,
// cosine similarities or an affinity. Node only (reads files).
import { existsSync, statSync } from 'node:fs';
import { MemoryLimitError, formatBytes, type Core } from '../../core/arena.js';
import { ConfigError, require } from '../../core/errors.js';
import { NpyReader, readNpyLabels } from '../../io/npy.js';
import { angularAffinity, checkSimilarity, type SimilarityKind } from '../affinity.js';
import { allocatePlan, planBytes } from '../../core/buffers.js';
import {
  cosineFromGram,
  DEFAULT_BLOCK_BYTES,
  gradientBlockPlan,
  mirrorGram,
  syrkAccumulate,
} from '../gram.js';
import { qdgMatrixPlan } from '../memory.js';
import type { StageTiming } from '../pipeline.js';
import type { LoadedMatrix, QdgProgress, QdgSource } from '../run.js';

export type SourceKind = 'gradients' | 'similarity' | 'affinity' | 'run';

export interface SourceOptions {
  gradients?: string;
  similarity?: string;
  affinity?: string;
  run?: string;
}

export interface SourcePlan {
  kind: SourceKind;
  path: string;
  /** Samples in the file (rows). */
  fileSamples: number;
  /** Samples used: the first `samples` rows (and columns) of the file. */
  samples: number;
  /** Columns of a gradient matrix (parameters), else S. */
  columns: number;
}

/** Exactly one source; returns its kind and path (ConfigError otherwise). */
export function chooseSource(o: SourceOptions): { kind: SourceKind; path: string } {
  const given = (['run', 'gradients', 'similarity', 'affinity'] as const).filter((k) => o[k] !== undefined);
  require(given.length > 0, 'give exactly one source: --run, --gradients, --similarity or --affinity');
  require(given.length === 1, `give exactly one source, got ${given.map((k) => `--${k}`).join(' and ')}`);
  const kind = given[0];
  const path = o[kind]!;
  require(existsSync(path), `--${kind}: ${path}: no such file`);
  require(statSync(path).isFile(), `--${kind}: ${path}: not a file`);
  return { kind, path };
}

/** Scratch bytes of the dense Gram route: one S x blockCols block of gradients (gradientBlockPlan, ../gram.ts). */
export function gradientScratchBytes(S: number, columns: number): number {
  return planBytes(gradientBlockPlan(S, columns));
}

/** Validates a .npy source from its header: shape, sample count; `samples` caps S (the leading rows). */
export function planNpySource(kind: Exclude<SourceKind, 'run'>, path: string, samples?: number): SourcePlan {
  const reader = new NpyReader(path);
  try {
    const shape = reader.header.shape;
    require(shape.length === 2, `--${kind}: ${path}: expected a 2-D array, got shape (${shape.join(', ')})`);
    const [rows, cols] = shape;
    if (kind !== 'gradients') {
      require(rows === cols, `--${kind}: ${path}: expected a square S x S matrix, got ${rows} x ${cols}`);
    } else {
      require(cols >= 1, `--gradients: ${path}: no columns`);
    }
    require(rows >= 3, `--${kind}: ${path}: need at least 3 samples, got ${rows}`);
    if (samples !== undefined) {
      require(samples >= 3, `--samples must be at least 3, got ${samples}`);
      require(samples <= rows, `--samples ${samples} is more than the ${rows} samples in ${path}`);
    }
    return {
      kind,
      path,
      fileSamples: rows,
      samples: samples ?? rows,
      columns: kind === 'gradients' ? cols : rows,
    };
  } finally {
    reader.close();
  }
}

/** Reads --labels: 1-D integers, one per sample of the file; returns the first S. */
export function loadLabels(path: string, fileSamples: number, S: number): Int32Array {
  require(existsSync(path), `--labels: ${path}: no such file`);
  const labels = readNpyLabels(path);
  require(labels.length === fileSamples ||
    labels.length === S, `--labels: ${path} has ${labels.length} labels for ${fileSamples} samples`);
  for (let i = 0; i < S; i++)
    require(labels[i] >= 0, `--labels: ${path}: label ${labels[i]} at ${i} is negative`);
  return labels.slice(0, S);
}

/** The Gram of the first S rows of a gradient .npy (gramFromNpy reads every row), by column blocks. */
function leadingRowsGram(
  core: Core,
  plan: SourcePlan,
  onProgress: (done: number, total: number) => void,
): number {
  const S = plan.samples;
  const P = plan.columns;
  const { matrix: gramPtr } = allocatePlan(core, qdgMatrixPlan(S));
  const mark = core.mark();
  const reader = new NpyReader(plan.path);
  try {
    const blockPlan = gradientBlockPlan(S, P);
    const blockCols = blockPlan[0].bytes / (4 * S);
    const { block: blockPtr } = allocatePlan(core, blockPlan);
    for (let c0 = 0; c0 < P; c0 += blockCols) {
      const nc = Math.min(blockCols, P - c0);
      reader.readBlock(0, S, c0, nc, core.f32(blockPtr, S * nc), nc);
      syrkAccumulate(core, gramPtr, S, blockPtr, nc);
      onProgress(c0 + nc, P);
    }
    mirrorGram(core, gramPtr, S);
  } finally {
    reader.close();
    core.release(mark);
  }
  return gramPtr;
}

/** Reads the leading S x S block of a square .npy into the f32 matrix at ptr, in row chunks. */
function readSquare(
  core: Core,
  plan: SourcePlan,
  ptr: number,
  onProgress: (done: number, total: number) => void,
) {
  const S = plan.samples;
  const reader = new NpyReader(plan.path);
  try {
    const chunk = Math.max(1, Math.floor((1 << 24) / S));
    for (let r0 = 0; r0 < S; r0 += chunk) {
      const rows = Math.min(chunk, S - r0);
      reader.readBlock(r0, rows, 0, S, core.f32(ptr + r0 * S * 4, rows * S), S);
      onProgress(r0 + rows, S);
    }
  } finally {
    reader.close();
  }
}

/** Checks a loaded matrix: finite, symmetric, and in range (cosines within [-1, 1], affinities >= 0). */
function checkMatrix(core: Core, plan: SourcePlan, ptr: number): void {
  const S = plan.samples;
  const M = core.f32(ptr, S * S);
  const what = plan.kind === 'affinity' ? 'affinity' : 'cosine similarity';
  for (let i = 0; i < S; i++) {
    for (let j = 0; j <= i; j++) {
      const a = M[i * S + j];
      const b = M[j * S + i];
      if (!Number.isFinite(a))
        throw new ConfigError(`--${plan.kind}: ${plan.path}: non-finite value ${a} at (${i}, ${j})`);
      if (!Number.isFinite(b))
        throw new ConfigError(`--${plan.kind}: ${plan.path}: non-finite value ${b} at (${j}, ${i})`);
      if (Math.abs(a - b) > 1e-4 * Math.max(1, Math.abs(a))) {
        throw new ConfigError(`--${plan.kind}: ${plan.path}: not symmetric at (${i}, ${j}): ${a} vs ${b}`);
      }
      if (plan.kind === 'affinity' ? a < 0 : Math.abs(a) > 1 + 1e-3) {
        throw new ConfigError(`--${plan.kind}: ${plan.path}: ${a} at (${i}, ${j}) is not a ${what}`);
      }
    }
  }
}

/**
 * Loads a planned .npy source into Wasm memory (allocated on `core`). Times 'load' and, for gradients, 'gram'.
 */
export function loadNpySource(
  core: Core,
  plan: SourcePlan,
  timing: StageTiming,
  onProgress: (stage: 'load' | 'gram', done: number, total: number) => void = () => {},
): LoadedMatrix {
  const S = plan.samples;
  const t0 = performance.now();
  if (plan.kind === 'gradients') {
    const gramPtr =
      S === plan.fileSamples
        ? gramFromNpy(core, plan.path, { onProgress: (d, t) => onProgress('gram', d, t) }).gramPtr
        : leadingRowsGram(core, plan, (d, t) => onProgress('gram', d, t));
    cosineFromGram(core, gramPtr, S);
    timing.gram = (performance.now() - t0) / 1000;
    return { matrixPtr: gramPtr, isAffinity: false };
  }
  const { matrix: ptr } = allocatePlan(core, qdgMatrixPlan(S));
  readSquare(core, plan, ptr, (d, t) => onProgress('load', d, t));
  checkMatrix(core, plan, ptr);
  timing.load = (performance.now() - t0) / 1000;
  return { matrixPtr: ptr, isAffinity: plan.kind === 'affinity' };
}

/** The QdgSource of a planned .npy file, with the true labels of its samples when given (--labels). */
export function npySource(plan: SourcePlan, trueLabels?: Int32Array): QdgSource {
  return {
    samples: plan.samples,
    scratchBytes: plan.kind === 'gradients' ? gradientScratchBytes(plan.samples, plan.columns) : 0,
    // gradients or cosines: --cosine abs applies; no model here, so neither --gradient-of nor --layers
    choices: { cosine: plan.kind !== 'affinity' },
    load(core: Core, timing: StageTiming, progress: QdgProgress): LoadedMatrix {
      return { ...loadNpySource(core, plan, timing, progress), ...(trueLabels ? { trueLabels } : {}) };
    },
  };
}

export interface GramOptions {
  /** Bytes of Wasm memory for one S x blockCols block of gradients (default 64 MiB). */
  blockBytes?: number;
  /** Called after each block with (columns done, total columns). */
  onProgress?: (done: number, total: number) => void;
}

export interface GramResult {
  /** S: rows of the gradient matrix. */
  samples: number;
  /** f32 S x S, row-major, symmetric (both triangles filled), allocated on `core`. */
  gramPtr: number;
}

/**
 * The Gram matrix G = A A^T of the S x P gradient matrix stored in the .npy file at `path` (dtype <f4, <f2
 * or <f8, C order; rows are samples). Reads column blocks of A with one positioned read per row and block,
 * so it never holds more than S x blockCols floats of A. Returns the f32 S x S matrix in Wasm memory
 * (allocated on `core`; release it with core.release(mark) taken before the call).
 */
export function gramFromNpy(core: Core, path: string, opts: GramOptions = {}): GramResult {
  const reader = new NpyReader(path);
  try {
    const { shape } = reader.header;
    if (shape.length !== 2)
      throw new ConfigError(
        `${path}: gradients must be a 2-D (samples x parameters) array, got shape (${shape.join(', ')})`,
      );
    const S = reader.rows;
    const P = reader.cols;
    if (S < 1 || P < 1) throw new ConfigError(`${path}: empty gradient matrix (${S} x ${P})`);
    const blockPlan = gradientBlockPlan(S, P, opts.blockBytes ?? DEFAULT_BLOCK_BYTES);
    const blockCols = blockPlan[0].bytes / (4 * S);
    const need = planBytes(qdgMatrixPlan(S)) + planBytes(blockPlan);
    if (need > core.available) {
      throw new MemoryLimitError(
        `${path}: the ${S} x ${S} Gram and a ${S} x ${blockCols} block need ${formatBytes(need)}, ${formatBytes(core.available)} of Wasm memory is free`,
      );
    }
    const { matrix: gramPtr } = allocatePlan(core, qdgMatrixPlan(S));
    const mark = core.mark();
    try {
      const { block: blockPtr } = allocatePlan(core, blockPlan);
      for (let c0 = 0; c0 < P; c0 += blockCols) {
        const nc = Math.min(blockCols, P - c0);
        reader.readBlock(0, S, c0, nc, core.f32(blockPtr, S * nc), nc);
        syrkAccumulate(core, gramPtr, S, blockPtr, nc);
        opts.onProgress?.(c0 + nc, P);
      }
      mirrorGram(core, gramPtr, S);
      // a NaN or an infinity anywhere in row i makes G_ii non-finite: find it only then (no cost otherwise)
      const G = core.f32(gramPtr, S * S);
      for (let i = 0; i < S; i++)
        if (!Number.isFinite(G[i * S + i])) throw badGradientRow(core, reader, path, i, P);
    } finally {
      core.release(mark);
    }
    return { samples: S, gramPtr };
  } finally {
    reader.close();
  }
}

/** The error for gradient row i whose sum of squares is not finite: its first non-finite value, named. */
function badGradientRow(core: Core, reader: NpyReader, path: string, i: number, P: number): ConfigError {
  const mark = core.mark();
  try {
    const cols = Math.min(P, 1 << 16);
    const ptr = core.allocF32(cols);
    for (let c0 = 0; c0 < P; c0 += cols) {
      const nc = Math.min(cols, P - c0);
      const row = core.f32(ptr, nc);
      reader.readBlock(i, 1, c0, nc, row, nc);
      const k = row.findIndex((x) => !Number.isFinite(x));
      if (k >= 0)
        return new ConfigError(`--gradients: ${path}: non-finite value ${row[k]} at (${i}, ${c0 + k})`);
    }
  } finally {
    core.release(mark);
  }
  return new ConfigError(
    `--gradients: ${path}: row ${i}'s squared norm overflows float32 (values near 1e19 or larger): rescale the gradients`,
  );
}

export interface SimilarityMatrix {
  samples: number;
  /** f32 S x S affinity in Wasm memory (allocated on `core`). */
  affinityPtr: number;
}

/**
 * Reads an S x S similarity matrix from .npy into Wasm memory as the affinity spectral clustering needs.
 * kind 'cosine': values must lie in [-1 - 1e-3, 1 + 1e-3]; converted by angularAffinity. kind 'affinity':
 * used as is; it must be finite and non-negative. Either way it must be square and symmetric (to 1e-4
 * relative), checked before anything is returned; a bad matrix is a ConfigError naming the file.
 */
export function similarityFromNpy(core: Core, path: string, kind: SimilarityKind): SimilarityMatrix {
  const reader = new NpyReader(path);
  let S: number;
  try {
    const { shape } = reader.header;
    if (shape.length !== 2 || shape[0] !== shape[1] || shape[0] < 1) {
      throw new ConfigError(
        `${path}: a similarity matrix must be square (S x S), got shape (${shape.join(', ')})`,
      );
    }
    S = shape[0];
    const need = 4 * S * S + 64;
    if (need > core.available) {
      throw new MemoryLimitError(`${path}: the ${S} x ${S} matrix needs ${formatBytes(need)} of Wasm memory`);
    }
    const mark = core.mark();
    const ptr = core.allocF32(S * S);
    try {
      const rowsPerRead = Math.max(1, Math.floor(2 ** 24 / S));
      for (let r0 = 0; r0 < S; r0 += rowsPerRead) {
        const nr = Math.min(rowsPerRead, S - r0);
        reader.readBlock(r0, nr, 0, S, core.f32(ptr + 4 * r0 * S, nr * S));
      }
      checkSimilarity(core.f32(ptr, S * S), S, kind, path);
    } catch (e) {
      core.release(mark);
      throw e;
    }
    if (kind === 'cosine') angularAffinity(core, ptr, S);
    return { samples: S, affinityPtr: ptr };
  } finally {
    reader.close();
  }
}

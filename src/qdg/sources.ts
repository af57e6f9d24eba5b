// Inputs of the QDG pipeline (SPEC.md 4.1 items 5-8): exactly one of
//   --gradients G.npy   per-sample gradients, S x P (any float dtype): Gram, then cosine similarities;
//   --similarity C.npy  cosine similarities, S x S: clipped, then the angular affinity;
//   --affinity A.npy    an affinity, S x S, symmetric and >= 0, used as is;
//   --run RUN.json      a sparse-parity model trained by `quanta train` (run-source.ts).
// planSource() validates everything it can from the headers (shape, dtype, memory) before any work or output;
// loadSource() then fills an f32 S x S matrix in Wasm memory, cosine similarities or an affinity.
import { existsSync, statSync } from 'node:fs';
import { formatBytes, type Core } from '../core/arena.js';
import { ConfigError, require } from '../core/errors.js';
import { NpyReader, readNpyLabels } from '../io/npy.js';
import { embeddingWorkBytes } from './embedding.js';
import { cosineFromGram, DEFAULT_BLOCK_BYTES, gramFromNpy, mirrorGram, syrkAccumulate } from './gram.js';
import type { StageTiming } from './pipeline.js';

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

/**
 * Bytes of Wasm memory a QDG run over S samples needs: the S x S matrix, plus the larger of the source's
 * scratch (`sourceScratch`, e.g. a block of gradients) and the clustering's working set (the embedding for
 * the largest K and k-means's columns, centres and distances, with a margin).
 */
export function qdgBytes(S: number, maxK: number, sourceScratch = 0): number {
  const matrix = S * S * 4;
  const kmeansWork = 8 * (S * maxK + 2 * maxK * maxK + 4 * S + 256 * maxK) + (1 << 20);
  return matrix + Math.max(sourceScratch, embeddingWorkBytes(S, maxK) + kmeansWork);
}

/** The largest S (<= upper) whose qdgBytes fits in `available` bytes. */
export function largestFittingSamples(
  available: number,
  maxK: number,
  upper: number,
  sourceScratch = 0,
): number {
  let lo = 0;
  let hi = upper;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (qdgBytes(mid, Math.min(maxK, Math.max(1, mid - 1)), sourceScratch) <= available) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Refuses a run that does not fit in Wasm memory, naming the largest S that does. */
export function requireFits(core: Core, S: number, maxK: number, sourceScratch = 0, reserved = 0): void {
  const need = qdgBytes(S, maxK, sourceScratch) + reserved;
  if (need > core.available) {
    const best = largestFittingSamples(core.available - reserved, maxK, S, sourceScratch);
    throw new ConfigError(
      `${S} samples with K up to ${maxK} need ${formatBytes(need)} of Wasm memory, but only ` +
        `${formatBytes(core.available)} is free (wasm32 addresses 4 GiB); the largest S that fits is ${best} ` +
        `(use --samples)`,
    );
  }
}

/** Scratch bytes of the dense Gram route: one S x blockCols block of gradients (gram.ts). */
export function gradientScratchBytes(S: number, columns: number): number {
  return 4 * S * Math.max(1, Math.min(columns, Math.floor(DEFAULT_BLOCK_BYTES / (4 * S)))) + 256;
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
  const blockCols = Math.max(1, Math.min(P, Math.floor(DEFAULT_BLOCK_BYTES / (4 * S))));
  const gramPtr = core.allocF32(S * S);
  const mark = core.mark();
  const reader = new NpyReader(plan.path);
  try {
    const blockPtr = core.allocF32(S * blockCols);
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

export interface LoadedSource {
  /** f32 S x S in Wasm memory: cosine similarities (gradients, similarity) or an affinity (affinity). */
  matrixPtr: number;
  samples: number;
  isAffinity: boolean;
}

/**
 * Loads a planned .npy source into Wasm memory (allocated on `core`). Times 'load' and, for gradients, 'gram'.
 */
export function loadNpySource(
  core: Core,
  plan: SourcePlan,
  timing: StageTiming,
  onProgress: (stage: 'load' | 'gram', done: number, total: number) => void = () => {},
): LoadedSource {
  const S = plan.samples;
  const t0 = performance.now();
  if (plan.kind === 'gradients') {
    const gramPtr =
      S === plan.fileSamples
        ? gramFromNpy(core, plan.path, { onProgress: (d, t) => onProgress('gram', d, t) }).gramPtr
        : leadingRowsGram(core, plan, (d, t) => onProgress('gram', d, t));
    cosineFromGram(core, gramPtr, S);
    timing.gram = (performance.now() - t0) / 1000;
    return { matrixPtr: gramPtr, samples: S, isAffinity: false };
  }
  const ptr = core.allocF32(S * S);
  readSquare(core, plan, ptr, (d, t) => onProgress('load', d, t));
  checkMatrix(core, plan, ptr);
  timing.load = (performance.now() - t0) / 1000;
  return { matrixPtr: ptr, samples: S, isAffinity: plan.kind === 'affinity' };
}

// The factored per-sample-gradient Gram (DESIGN.md lever 2, the "ghost norm" trick of DP-SGD, used for QDG).
// For an MLP whose layer l computes z_l = x_l W_l + b_l, sample a's gradient with respect to (W_l, b_l) is
// (x_l,a^T delta_l,a, delta_l,a), with delta_l,a = dL_a/dz_l, so
//     <g_a, g_b> = sum_l (delta_l,a . delta_l,b) (x_l,a . x_l,b + 1)
// and the S x S Gram is a sum over layers of Hadamard products of two small Grams, each a SYRK over the
// layer's width, without ever forming a gradient: for the paper's width-500 QDG run about 1,100 multiply-adds
// per pair instead of P = 301,502.
//
// A selection of parameter groups (--layers) is a selection of terms: a layer's weights alone drop the "+ 1", its
// bias alone keeps only the "1", and a layer left out drops its term. The gradient of another output than the
// loss (--gradient-of logit: z_1 - z_0) changes only the last layer's delta, dOut/dlogits, before the backward.
//
// Work is done in row tiles (rows [r0, r0 + m) of the lower triangle), so the temporaries are two m x S
// matrices, not S x S. A sparse 0/1 input (layer 0 of sparse parity: CSR active indices) is packed into u64
// bitsets and its Gram is popcount(a & b): (nTasks + n) / 64 words per pair (10 for 500 + 100) instead of
// (nTasks + n) / 4 SIMD multiply-adds on a densified 0/1 matrix, about 15x less work, and 16x less memory.
import type { Core } from '../core/arena.js';
import { MemoryLimitError, formatBytes } from '../core/arena.js';
import type { Mlp, ModelInput } from '../train/model.js';
import type { GradientOf } from './config.js';
import { mirrorGram } from './gram.js';

/** A layer's input for every sample, in Wasm memory. */
export type LayerInputPtr =
  /** f32 S x width, row-major (row stride `width`). */
  | { kind: 'dense'; ptr: number; width: number }
  /** 0/1 inputs as u64 bitsets, S x words (bit i of a row = input i). */
  | { kind: 'bits'; ptr: number; words: number };

const tileRowsOf = (S: number, opts: FactoredGramOptions): number =>
  Math.max(1, Math.min(S, opts.tileRows ?? Math.max(4, Math.floor(2 ** 23 / S))));

/** One layer's factors in Wasm memory. */
export interface FactoredLayerPtrs {
  input: LayerInputPtr;
  /** f32 S x outWidth: delta_l = dL_a/dz_l of each sample (per-sample, not scaled by 1/B). */
  deltaPtr: number;
  outWidth: number;
  /** Whether the layer's bias is in the gradient (its input is extended by a constant 1). Default true. */
  bias?: boolean;
  /** Whether the layer's weights are in the gradient. Default true. */
  weights?: boolean;
}

export interface FactoredGramOptions {
  /** Rows per tile (default: as many as keep the two m x S temporaries within 64 MiB). */
  tileRows?: number;
  /** Called after each row tile with (rows done, S). */
  onProgress?: (done: number, total: number) => void;
}

export interface FactoredGramResult {
  samples: number;
  /** f32 S x S Gram of per-sample gradients, symmetric, allocated on `core`. */
  gramPtr: number;
}

/**
 * The Gram of per-sample gradients G_ab = sum_l (D_l D_l^T)_ab ((X_l X_l^T)_ab + 1) from factors already in
 * Wasm memory. Allocates the f32 S x S result on `core` (temporaries are released before returning).
 */
export function factoredGramFromPointers(
  core: Core,
  S: number,
  layers: FactoredLayerPtrs[],
  opts: FactoredGramOptions = {},
): FactoredGramResult {
  const tileRows = tileRowsOf(S, opts);
  const need = 4 * S * S + 8 * tileRows * S + 256;
  if (need > core.available) {
    throw new MemoryLimitError(
      `the ${S} x ${S} per-sample-gradient Gram needs ${formatBytes(need)}, ${formatBytes(core.available)} of Wasm memory is free`,
    );
  }
  const gramPtr = core.allocF32(S * S);
  fillFactoredGram(core, gramPtr, S, layers, tileRows, opts.onProgress);
  return { samples: S, gramPtr };
}

/** Accumulates the factored Gram into the zeroed f32 S x S matrix at gramPtr (temporaries released). */
function fillFactoredGram(
  core: Core,
  gramPtr: number,
  S: number,
  layers: FactoredLayerPtrs[],
  tileRows: number,
  onProgress?: (done: number, total: number) => void,
): void {
  const K = core.kernels;
  const mark = core.mark();
  try {
    const deltaGram = core.allocF32(tileRows * S);
    const inputGram = core.allocF32(tileRows * S);
    for (let r0 = 0; r0 < S; r0 += tileRows) {
      const m = Math.min(tileRows, S - r0);
      const n = r0 + m; // columns of the lower triangle of these rows
      for (const layer of layers) {
        const bias = layer.bias !== false;
        if (layer.weights === false && !bias) continue; // the layer is not in the gradient
        const O = layer.outWidth;
        core.f32(deltaGram, m * S).fill(0);
        K.gemm_abt_f32(deltaGram, S, layer.deltaPtr + 4 * r0 * O, O, layer.deltaPtr, O, m, n, O, r0);
        const input = layer.input;
        if (layer.weights === false) {
          core.f32(inputGram, m * S).fill(0); // the bias alone: (delta_a . delta_b) (0 + 1)
        } else if (input.kind === 'dense') {
          const W = input.width;
          core.f32(inputGram, m * S).fill(0);
          K.gemm_abt_f32(inputGram, S, input.ptr + 4 * r0 * W, W, input.ptr, W, m, n, W, r0);
        } else {
          K.bits_gram(inputGram, S, input.ptr + 8 * r0 * input.words, input.ptr, input.words, m, n, r0);
        }
        K.gram_hadamard_add(gramPtr + 4 * r0 * S, deltaGram, inputGram, S, m, n, bias ? 1 : 0);
      }
      onProgress?.(n, S);
    }
    mirrorGram(core, gramPtr, S);
  } finally {
    core.release(mark);
  }
}

/** 0/1 inputs as CSR active indices (each row's indices distinct, all values 1). */
export interface CsrInput {
  /** i32[S + 1] row offsets into indices. */
  offsets: ArrayLike<number>;
  indices: ArrayLike<number>;
}

/** One layer's factors as plain arrays. */
export interface FactoredLayer {
  /** The layer's input: f32 S x inWidth dense, or sparse 0/1 CSR. */
  input: Float32Array | CsrInput;
  inWidth: number;
  /** f32 S x outWidth per-sample dL/dz. */
  delta: Float32Array;
  outWidth: number;
  /** Whether the bias is in the gradient (default true). */
  bias?: boolean;
  /** Whether the weights are in the gradient (default true). */
  weights?: boolean;
}

/** u64 words per row of a bitset of `width` bits. */
export const bitsetWords = (width: number): number => Math.max(1, Math.ceil(width / 64));

/** Packs CSR 0/1 rows into u64 bitsets (S x words) at `ptr` (zeroed by the caller), rows from `row0`. */
export function packBits(
  core: Core,
  ptr: number,
  words: number,
  csr: CsrInput,
  rows: number,
  row0 = 0,
  width = 64 * words,
): void {
  const u = core.u32(ptr + 8 * row0 * words, rows * words * 2);
  for (let s = 0; s < rows; s++) {
    for (let p = csr.offsets[s]; p < csr.offsets[s + 1]; p++) {
      const i = csr.indices[p];
      if (!(i >= 0 && i < width)) throw new RangeError(`active index ${i} outside [0, ${width})`);
      u[s * words * 2 + (i >>> 5)] |= 1 << (i & 31);
    }
  }
}

/**
 * The Gram of per-sample gradients from plain per-layer arrays (copied into Wasm memory). Returns the
 * f32 S x S matrix on `core`; everything else is released.
 */
export function factoredGram(
  core: Core,
  S: number,
  layers: FactoredLayer[],
  opts: FactoredGramOptions = {},
): FactoredGramResult {
  const gramPtr = core.allocF32(S * S);
  const mark = core.mark();
  try {
    const ptrs: FactoredLayerPtrs[] = layers.map((layer) => {
      if (layer.delta.length !== S * layer.outWidth)
        throw new RangeError('factoredGram: delta is not S x outWidth');
      const deltaPtr = core.allocF32(S * layer.outWidth);
      core.f32(deltaPtr, S * layer.outWidth).set(layer.delta);
      if (layer.input instanceof Float32Array) {
        if (layer.input.length !== S * layer.inWidth)
          throw new RangeError('factoredGram: input is not S x inWidth');
        const ptr = core.allocF32(S * layer.inWidth);
        core.f32(ptr, S * layer.inWidth).set(layer.input);
        return {
          input: { kind: 'dense', ptr, width: layer.inWidth },
          deltaPtr,
          outWidth: layer.outWidth,
          bias: layer.bias,
          weights: layer.weights,
        };
      }
      const words = bitsetWords(layer.inWidth);
      const ptr = core.alloc(8 * S * words);
      packBits(core, ptr, words, layer.input, S, 0, layer.inWidth);
      return {
        input: { kind: 'bits', ptr, words },
        deltaPtr,
        outWidth: layer.outWidth,
        bias: layer.bias,
        weights: layer.weights,
      };
    });
    fillFactoredGram(core, gramPtr, S, ptrs, tileRowsOf(S, opts), opts.onProgress);
  } finally {
    core.release(mark);
  }
  return { samples: S, gramPtr };
}

export interface PerSampleGramOptions extends FactoredGramOptions {
  /**
   * Rescale each sample's gradient by c_a = 1 / max_o |dL_a/dlogit_o| (default true). Cosines are unchanged,
   * and the Gram stays far from f32 underflow for the near-zero-loss samples QDG selects (a loss of 1e-20
   * gives deltas of 1e-20 and Gram entries of 1e-40, below f32's normal range). The true Gram is
   * G_ab = gram_ab / (c_a c_b), with c in `sampleScales`.
   */
  rescale?: boolean;
  /**
   * The output whose per-sample gradient is taken: 'loss' (default: the cross-entropy of the sample's label)
   * or 'logit', the logit difference z_1 - z_0 of a two-class model (dOut/dlogits = (-1, 1) for every sample;
   * its scale c_a is 1).
   */
  gradientOf?: GradientOf;
  /**
   * The parameter groups in the gradient, per Linear layer (parameterGroupMask): default every weight and bias.
   */
  groups?: readonly LayerGroups[];
}

/** Which of a Linear layer's parameters are in the gradient. */
export interface LayerGroups {
  weights: boolean;
  bias: boolean;
}

/**
 * Per-layer groups from the names qdgConfig resolved (`W1`, `b1`, ...; the names of mlpParameterGroups in
 * ./config.ts); null = every weight and bias of the `depth` layers.
 */
export function parameterGroupMask(names: readonly string[] | null, depth: number): LayerGroups[] {
  return Array.from({ length: depth }, (_, l) => ({
    weights: names === null || names.includes(`W${l + 1}`),
    bias: names === null || names.includes(`b${l + 1}`),
  }));
}

export interface PerSampleGramResult extends FactoredGramResult {
  /** c_a of each sample (all 1 without rescaling). */
  sampleScales: Float64Array;
}

/**
 * dL/dlogits of one sample in f64: p_c for c != y and -(sum of the others) for the label y, so that the
 * row sums to zero even when p_y rounds to 1 (the f32 form p_y - 1 is then 0, a wrong direction).
 */
export function logitGradient(logits: ArrayLike<number>, y: number, out: Float64Array): void {
  let zmax = -Infinity;
  for (let c = 0; c < out.length; c++) zmax = Math.max(zmax, logits[c]);
  let sum = 0;
  for (let c = 0; c < out.length; c++) sum += out[c] = Math.exp(logits[c] - zmax);
  let others = 0;
  for (let c = 0; c < out.length; c++) {
    if (c === y) continue;
    out[c] /= sum;
    others += out[c];
  }
  out[y] = -others;
}

/**
 * The Gram of per-sample gradients of every weight and bias of `mlp` (or of the chosen groups, opts.groups) on
 * B samples (S = B), of the loss or of the logit difference (opts.gradientOf): runs the model's forward and
 * backward in chunks of mlp.maxBatch, with each sample's dL/dlogits computed here in f64 (see logitGradient;
 * optionally rescaled, see PerSampleGramOptions.rescale), collects each layer's input and
 * per-sample dL/dz, and fills the f32 B x B Gram in Wasm memory (allocated on `core`; working buffers are
 * released). `input` holds all B samples (CSR offsets absolute into indices, as ParityBatch writes them; or
 * dense f32 B x inputSize); `labels` is i32[B] in Wasm memory. The model's grads buffer is overwritten.
 */
export function perSampleGradientGram(
  core: Core,
  mlp: Mlp,
  input: ModelInput,
  labels: number,
  B: number,
  opts: PerSampleGramOptions = {},
): PerSampleGramResult {
  const shapes = mlp.getLayers().map((l) => [l.inputs, l.outputs] as const);
  const L = shapes.length;
  const C = shapes[L - 1][1];
  const rescale = opts.rescale ?? true;
  const logit = (opts.gradientOf ?? 'loss') === 'logit';
  if (logit && C !== 2) throw new RangeError(`the logit difference needs 2 classes, the model has ${C}`);
  const groups = opts.groups ?? parameterGroupMask(null, L);
  if (groups.length !== L) throw new RangeError(`${groups.length} layer groups for ${L} layers`);
  let need = 4 * B * B + 256 * (2 * L + 2);
  for (const [I, O] of shapes) need += 4 * B * (O + I);
  if (need > core.available) {
    throw new MemoryLimitError(
      `the per-sample-gradient Gram of ${B} samples needs ${formatBytes(need)} of Wasm memory`,
    );
  }
  const sampleScales = new Float64Array(B).fill(1);
  const gramPtr = core.allocF32(B * B);
  const mark = core.mark();
  try {
    const deltas = shapes.map(([, O]) => core.allocF32(B * O));
    const hidden = shapes.map(([I], l) => (l === 0 ? 0 : core.allocF32(B * I)));
    const words = bitsetWords(shapes[0][0]);
    const bits = input.kind === 'sparse' ? core.alloc(8 * B * words) : 0;
    if (input.kind === 'sparse') {
      const offsets = core.i32(input.offsets, B + 1);
      const total = offsets[B];
      const csr = { offsets: offsets.slice(), indices: core.i32(input.indices, total).slice() };
      packBits(core, bits, words, csr, B, 0, shapes[0][0]);
    }
    const chunk = mlp.maxBatch;
    const d = new Float64Array(C);
    for (let s0 = 0; s0 < B; s0 += chunk) {
      const c = Math.min(chunk, B - s0);
      const part: ModelInput =
        input.kind === 'sparse'
          ? { kind: 'sparse', offsets: input.offsets + 4 * s0, indices: input.indices }
          : { kind: 'dense', data: input.data + 4 * s0 * shapes[0][0] };
      mlp.forward(part, c);
      mlp.crossEntropy(labels + 4 * s0, c, { grad: true });
      // per-sample dL/dlogits (not the batch mean's 1/c), accurate in f64, optionally rescaled
      const logits = core.f32(mlp.logits, c * C);
      const lab = core.i32(labels + 4 * s0, c);
      const dlogits = core.f32(mlp.layerOutputGradPtr(L - 1), c * C);
      for (let s = 0; s < c; s++) {
        if (logit) {
          // d(z_1 - z_0)/dlogits, the same for every sample
          dlogits[s * C] = -1;
          dlogits[s * C + 1] = 1;
          continue;
        }
        logitGradient(logits.subarray(s * C, s * C + C), lab[s], d);
        let big = 0;
        for (let o = 0; o < C; o++) big = Math.max(big, Math.abs(d[o]));
        const scale = rescale && big > 0 ? 1 / big : 1;
        sampleScales[s0 + s] = scale;
        for (let o = 0; o < C; o++) dlogits[s * C + o] = d[o] * scale;
      }
      mlp.backward(part, c);
      for (let l = 0; l < L; l++) {
        const [I, O] = shapes[l];
        core.f32(deltas[l] + 4 * s0 * O, c * O).set(core.f32(mlp.layerOutputGradPtr(l), c * O));
        if (l > 0) core.f32(hidden[l] + 4 * s0 * I, c * I).set(core.f32(mlp.layerInputPtr(l), c * I));
      }
    }
    const layers: FactoredLayerPtrs[] = shapes.map(([I, O], l) => ({
      input:
        l > 0
          ? { kind: 'dense', ptr: hidden[l], width: I }
          : input.kind === 'sparse'
            ? { kind: 'bits', ptr: bits, words }
            : { kind: 'dense', ptr: input.data, width: I },
      deltaPtr: deltas[l],
      outWidth: O,
      weights: groups[l].weights,
      bias: groups[l].bias,
    }));
    fillFactoredGram(core, gramPtr, B, layers, tileRowsOf(B, opts), opts.onProgress);
  } finally {
    core.release(mark);
  }
  return { samples: B, gramPtr, sampleScales };
}

// The MLP of the paper (SPEC.md section 2): Linear(inputSize -> width) -> act -> ... -> Linear(width ->
// outputs), softmax cross-entropy, PyTorch nn.Linear initialisation. Every buffer lives in the Wasm core and
// is planned in the constructor; a training step is forward, crossEntropy(grad), backward (then AdamW).
//
// Parameter layout (one f32 buffer, gradients in a parallel buffer of the same layout, so Adam runs over one
// flat buffer): for each layer l in order, W_l [in x out] row-major (row i = the weights from input i), then
// b_l [out]; each piece starts on a 16-byte boundary and is padded with zeros to a multiple of 4 floats. The
// padding stays exactly zero (no kernel writes it, so its gradient is zero and AdamW leaves it at zero).
import type { Core } from '../core/arena.js';
import { Allocation, DISPOSE } from '../core/disposable.js';
import { ConfigError, require, requireInt } from '../core/errors.js';
import { CounterRandom, Stream } from '../core/rng.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid';

export interface MlpConfig {
  /** Input width (nTasks + n for sparse parity). */
  inputSize: number;
  /** Hidden width. */
  width: number;
  /** Number of Linear layers (2 = one hidden layer, every paper experiment). */
  depth: number;
  /** Number of classes (2 for sparse parity). */
  outputs: number;
  /** Hidden activation, ReLU by default (the paper's). */
  activation?: Activation;
  /** Seed of the initial weights (stream Stream.init). */
  seed: number;
  /**
   * Optional speed hint: the last `denseBits` inputs are i.i.d. 0/1 bits, about half set (the n task bits of
   * sparse parity: pass n). Sparse inputs then go through byte tables (assembly/bitsparse.ts), about 3x less
   * work in the first layer. Results equal the plain path up to f32 summation order. Default 0 (off).
   */
  denseBits?: number;
}

/** A model input in Wasm memory: a CSR batch of 0/1 inputs (assembly/parity.ts) or a dense f32[B x inputSize]. */
export type ModelInput =
  { kind: 'sparse'; offsets: number; indices: number } | { kind: 'dense'; data: number };

type SparseInput = { kind: 'sparse'; offsets: number; indices: number };

/**
 * Copies a strip-major f32[B * O] (strip j = outputs [32 j, min(32 j + 32, O)) as a row-major B x w_j block at
 * float 32 j B; see sparse_bits_forward_strips) into the row-major dst [B x O].
 */
export function stripsToRows(dst: Float32Array, src: Float32Array, B: number, O: number): void {
  for (let o0 = 0; o0 < O; o0 += 32) {
    const w = Math.min(32, O - o0);
    const base = o0 * B;
    for (let s = 0; s < B; s++) {
      const from = base + s * w;
      const to = s * O + o0;
      for (let c = 0; c < w; c++) dst[to + c] = src[from + c];
    }
  }
}

/** Samples per call of the sparse first-layer kernels: the per-pass slices of a chunk stay in L2 cache. */
const SPARSE_CHUNK = 2048;

/** The layer shapes [inputs, outputs] of a config, first layer first. */
export function layerShapes(cfg: MlpConfig): [number, number][] {
  const dims = [cfg.inputSize];
  for (let l = 1; l < cfg.depth; l++) dims.push(cfg.width);
  dims.push(cfg.outputs);
  const out: [number, number][] = [];
  for (let l = 0; l < cfg.depth; l++) out.push([dims[l], dims[l + 1]]);
  return out;
}

/** Throws a ConfigError for a config that cannot be built. */
export function validateMlpConfig(cfg: MlpConfig): void {
  requireInt(cfg.inputSize, 'inputSize', 1, 2 ** 26);
  requireInt(cfg.width, 'width', 1, 2 ** 20);
  requireInt(cfg.depth, 'depth (number of Linear layers)', 1, 64);
  requireInt(cfg.outputs, 'outputs', 1, 2 ** 20);
  requireInt(cfg.seed, 'seed', 0, 2 ** 53 - 1);
  requireInt(cfg.denseBits ?? 0, 'denseBits', 0, cfg.inputSize);
  const act = cfg.activation ?? 'relu';
  require(['relu', 'tanh', 'sigmoid'].includes(act), `activation must be relu, tanh or sigmoid, got ${act}`);
}

/** Every weight and bias: (in+1) w + (depth-2)(w+1) w + (w+1) outputs; (nTasks+n+3) w + 2 for the paper's net. */
export function parameterCount(cfg: MlpConfig): number {
  let n = 0;
  for (const [i, o] of layerShapes(cfg)) n += (i + 1) * o;
  return n;
}

const pad4 = (x: number): number => Math.ceil(x / 4) * 4;
const ALIGN = 64;

/** The allocations of a model, in bytes, in allocation order. */
function allocationPlan(cfg: MlpConfig, maxBatch: number): number[] {
  const shapes = layerShapes(cfg);
  let paramFloats = 0;
  for (const [i, o] of shapes) paramFloats += pad4(i * o) + pad4(o);
  const plan = [4 * paramFloats, 4 * paramFloats]; // params, grads
  for (let l = 0; l < shapes.length - 1; l++) plan.push(4 * maxBatch * shapes[l][1]); // hidden activations
  plan.push(4 * maxBatch * cfg.outputs); // logits
  for (const [, o] of shapes) plan.push(4 * maxBatch * o); // output gradients per layer
  plan.push(16); // correct count
  const nGroups = Math.ceil((cfg.denseBits ?? 0) / 8);
  if (nGroups > 0) {
    plan.push(4 * maxBatch * (nGroups + 1)); // byte codes
    plan.push(4 * nGroups * 256 * 32); // table slab
    plan.push(4 * nGroups * Math.min(maxBatch, SPARSE_CHUNK), 4 * nGroups * 257); // buckets
    plan.push(4 * Math.min(maxBatch, SPARSE_CHUNK), 4 * (cfg.inputSize - (cfg.denseBits ?? 0) + 1)); // plain buckets
    plan.push(4 * 32 * Math.min(maxBatch, SPARSE_CHUNK)); // backward strip
    if (stripPathPossible(cfg)) {
      const n = 4 * cfg.width * Math.min(maxBatch, SPARSE_CHUNK);
      plan.push(n, n); // strip-major hidden activations and their gradient
    }
  }
  return plan;
}

/** Whether a config can take the strip-major depth-2 path (one ReLU hidden layer, two outputs, byte tables). */
function stripPathPossible(cfg: MlpConfig): boolean {
  return (
    cfg.depth === 2 && cfg.outputs === 2 && (cfg.activation ?? 'relu') === 'relu' && (cfg.denseBits ?? 0) > 0
  );
}

/** Wasm bytes the model and its activations need for batches up to maxBatch (to validate before allocating). */
export function mlpBytes(cfg: MlpConfig, maxBatch: number): number {
  let total = 0;
  for (const b of allocationPlan(cfg, maxBatch)) total += Math.ceil(b / ALIGN) * ALIGN + ALIGN;
  return total;
}

export interface LayerWeights {
  W: Float32Array;
  b: Float32Array;
  inputs: number;
  outputs: number;
}

export class Mlp {
  readonly parameterCount: number;
  /** f32[paramFloats]: every layer's W then b, each padded to 4 floats. */
  readonly params: number;
  /** f32[paramFloats], same layout: d(mean loss)/d params after backward(). */
  readonly grads: number;
  /** Length of params and grads in floats, padding included (a multiple of 4). */
  readonly paramFloats: number;
  /** f32[maxBatch * outputs]: the last forward's logits. */
  readonly logits: number;
  readonly activation: Activation;
  private readonly shapes: [number, number][];
  /** Float offsets of W_l and b_l within params. */
  private readonly wOffset: number[] = [];
  private readonly bOffset: number[] = [];
  /** Post-activation of hidden layer l (the input of layer l + 1), f32[maxBatch * width]. */
  private readonly hidden: number[] = [];
  /** dL/d(pre-activation output) of layer l, f32[maxBatch * out_l]; the last one is dlogits. */
  private readonly outputGrad: number[] = [];
  private readonly correctCount: number;
  private lastInput: ModelInput | undefined;
  /** Byte-table path of the first layer (cfg.denseBits > 0): codes i32[maxBatch * (nGroups + 1)], slab, buckets. */
  private readonly denseBits: number;
  private readonly bitCodes: number = 0;
  private readonly bitSlab: number = 0;
  /** Samples of a chunk grouped by byte code: i32[nGroups * min(maxBatch, SPARSE_CHUNK)], i32[nGroups * 257]. */
  private readonly bitBuckets: number = 0;
  private readonly bitBucketOffsets: number = 0;
  /** Samples of a chunk grouped by their one plain input: i32[min(maxBatch, SPARSE_CHUNK)], i32[plain + 1]. */
  private readonly plainBuckets: number = 0;
  private readonly plainOffsets: number = 0;
  /** f32[min(maxBatch, SPARSE_CHUNK) * 32]: the dout columns of one backward pass, contiguous. */
  private readonly bitStrip: number = 0;
  /** Whether the last forward's sparse input went through the byte tables (backward must match it). */
  private usedBits = false;
  /**
   * The depth-2 fast path (stripPathPossible, B <= SPARSE_CHUNK, one plain input a sample): the hidden
   * pre-activations and their gradient live strip-major in hiddenStrips / gradStrips (f32[min(maxBatch,
   * SPARSE_CHUNK) * width]); the row-major hidden[0] and outputGrad[0] are built only on demand
   * (layerInputPtr(1), layerOutputGradPtr(0)).
   */
  private readonly hiddenStrips: number = 0;
  private readonly gradStrips: number = 0;
  /** Batch size of the last forward when it took the strip path, else 0. */
  private stripB = 0;
  private hiddenRowsStale = false;
  /** This model's span of its core's memory (dispose()). */
  private readonly allocation: Allocation;
  private gradRowsStale = false;

  constructor(
    readonly core: Core,
    readonly cfg: MlpConfig,
    readonly maxBatch: number,
  ) {
    validateMlpConfig(cfg);
    requireInt(maxBatch, 'maxBatch', 1, 2 ** 26);
    const start = core.mark();
    this.activation = cfg.activation ?? 'relu';
    this.shapes = layerShapes(cfg);
    this.parameterCount = parameterCount(cfg);
    let off = 0;
    for (const [i, o] of this.shapes) {
      this.wOffset.push(off);
      off += pad4(i * o);
      this.bOffset.push(off);
      off += pad4(o);
    }
    this.paramFloats = off;
    this.params = core.allocF32(off);
    this.grads = core.allocF32(off);
    for (let l = 0; l < this.shapes.length - 1; l++)
      this.hidden.push(core.allocF32(maxBatch * this.shapes[l][1]));
    this.logits = core.allocF32(maxBatch * cfg.outputs);
    for (const [, o] of this.shapes) this.outputGrad.push(core.allocF32(maxBatch * o));
    this.correctCount = core.allocI32(4);
    this.denseBits = cfg.denseBits ?? 0;
    const nGroups = Math.ceil(this.denseBits / 8);
    if (nGroups > 0) {
      this.bitCodes = core.allocI32(maxBatch * (nGroups + 1));
      this.bitSlab = core.allocF32(nGroups * 256 * 32);
      this.bitBuckets = core.allocI32(nGroups * Math.min(maxBatch, SPARSE_CHUNK));
      this.bitBucketOffsets = core.allocI32(nGroups * 257);
      this.plainBuckets = core.allocI32(Math.min(maxBatch, SPARSE_CHUNK));
      this.plainOffsets = core.allocI32(cfg.inputSize - this.denseBits + 1);
      this.bitStrip = core.allocF32(Math.min(maxBatch, SPARSE_CHUNK) * 32);
      if (stripPathPossible(cfg)) {
        this.hiddenStrips = core.allocF32(cfg.width * Math.min(maxBatch, SPARSE_CHUNK));
        this.gradStrips = core.allocF32(cfg.width * Math.min(maxBatch, SPARSE_CHUNK));
      }
    }
    this.allocation = new Allocation(core, start);
    this.initialise(cfg.seed);
  }

  /**
   * Hands this model's Wasm memory back to its core (newest object first: it refuses while newer allocations
   * sit above it). Unusable afterwards; a second call does nothing.
   */
  dispose(): void {
    this.allocation.release('Mlp');
  }

  [DISPOSE](): void {
    this.dispose();
  }

  /** PyTorch nn.Linear default: W and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from CounterRandom(seed, Stream.init). */
  initialise(seed: number): void {
    const rng = new CounterRandom(seed, Stream.init);
    const p = this.core.f32(this.params, this.paramFloats);
    p.fill(0);
    this.shapes.forEach(([i, o], l) => {
      const bound = 1 / Math.sqrt(i);
      for (let j = 0; j < i * o; j++) p[this.wOffset[l] + j] = (2 * rng.nextDouble() - 1) * bound;
      for (let j = 0; j < o; j++) p[this.bOffset[l] + j] = (2 * rng.nextDouble() - 1) * bound;
    });
  }

  get depth(): number {
    return this.shapes.length;
  }

  private checkBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch)
      throw new RangeError(`quanta: batch ${B} outside [1, ${this.maxBatch}] of this model`);
  }

  private wPtr(l: number): number {
    return this.params + 4 * this.wOffset[l];
  }
  private bPtr(l: number): number {
    return this.params + 4 * this.bOffset[l];
  }

  /** Fills `logits` for B samples, keeping the activations for backward(). */
  forward(input: ModelInput, B: number): void {
    this.checkBatch(B);
    const k = this.core.kernels;
    const L = this.shapes.length;
    this.lastInput = input;
    // With ReLU, each layer l >= 1 applies the ReLU to its input (hidden[l - 1], left as a pre-activation by
    // layer l - 1) in place, in the same pass as its own product: no separate activation pass. The last
    // layer's output (the logits) is never activated.
    const relu = this.activation === 'relu';
    this.stripB = 0;
    this.hiddenRowsStale = false;
    this.gradRowsStale = false;
    if (
      this.hiddenStrips !== 0 &&
      input.kind === 'sparse' &&
      B <= SPARSE_CHUNK &&
      this.stripForward(input, B)
    )
      return;
    for (let l = 0; l < L; l++) {
      const [I, O] = this.shapes[l];
      const out = l < L - 1 ? this.hidden[l] : this.logits;
      if (l === 0 && input.kind === 'sparse') {
        this.sparseForward(out, input, B, I, O);
      } else if (l > 0 && relu) {
        k.relu_linear_forward(out, this.hidden[l - 1], this.wPtr(l), this.bPtr(l), B, I, O);
      } else {
        const inp = l === 0 ? (input as { data: number }).data : this.hidden[l - 1];
        k.linear_forward(out, inp, this.wPtr(l), this.bPtr(l), B, I, O);
      }
      if (l < L - 1 && !relu) {
        if (this.activation === 'tanh') k.tanh_forward(out, out, B * O);
        else k.sigmoid_forward(out, out, B * O);
      }
    }
  }

  /**
   * Mean softmax cross-entropy (nats) of the last forward's logits against labels (i32[B] in Wasm memory, each in
   * [0, outputs)), and the count of samples whose argmax equals the label. With grad, writes dlogits for
   * backward(). perSampleLoss (f32[B], nats) and correct (i32[B], 0/1) are optional output pointers.
   */
  crossEntropy(
    labels: number,
    B: number,
    opts: { grad: boolean; perSampleLoss?: number; correct?: number; gradScale?: number },
  ): { meanLoss: number; correct: number } {
    this.checkBatch(B);
    const sum = this.core.kernels.cross_entropy_forward(
      this.logits,
      labels,
      B,
      this.cfg.outputs,
      opts.grad ? this.outputGrad[this.shapes.length - 1] : 0,
      // dlogits of the mean over B samples; a slice of a larger batch scales by 1 / (the whole batch)
      opts.gradScale ?? 1 / B,
      opts.perSampleLoss ?? 0,
      opts.correct ?? 0,
      this.correctCount,
    );
    return { meanLoss: sum / B, correct: this.core.i32(this.correctCount, 1)[0] };
  }

  /**
   * Whether a batch can be trained as slices of at most SPARSE_CHUNK samples through the strip-major path
   * (depth 2, ReLU, two outputs, byte tables): its kernels accumulate into grads, so slices share one zeroing.
   */
  get sliceable(): boolean {
    return this.hiddenStrips !== 0;
  }

  /** The largest slice of a batch that the strip-major path takes. */
  static readonly SLICE = SPARSE_CHUNK;

  /** grads = 0, before the slices of one batch are accumulated (backward with accumulate). */
  zeroGrads(): void {
    this.core.f32(this.grads, this.paramFloats).fill(0);
  }

  /**
   * grads = d(mean loss)/d params (overwritten). Needs forward() and crossEntropy({grad: true}) on this batch.
   * With accumulate, grads += instead (after zeroGrads()): only for a slice that went the strip-major path.
   */
  backward(input: ModelInput, B: number, opts: { accumulate?: boolean } = {}): void {
    this.checkBatch(B);
    const k = this.core.kernels;
    const L = this.shapes.length;
    if (opts.accumulate) {
      if (!(this.stripB !== 0 && this.stripB === B && input.kind === 'sparse'))
        throw new Error('quanta: backward accumulates only after a strip-major forward of the same slice');
      this.stripBackward(input, B);
      return;
    }
    this.core.f32(this.grads, this.paramFloats).fill(0);
    if (this.stripB !== 0 && this.stripB === B && input.kind === 'sparse') {
      this.stripBackward(input, B);
      return;
    }
    for (let l = L - 1; l >= 0; l--) {
      const [I, O] = this.shapes[l];
      const dW = this.grads + 4 * this.wOffset[l];
      const db = this.grads + 4 * this.bOffset[l];
      const dout = this.outputGrad[l];
      if (l === 0 && input.kind === 'sparse') {
        this.sparseBackward(dW, db, dout, input, B, I, O);
        continue;
      }
      const inp = l === 0 ? (input as { data: number }).data : this.hidden[l - 1];
      const dinp = l > 0 ? this.outputGrad[l - 1] : 0;
      if (l > 0 && this.activation === 'relu') {
        // the ReLU backward of this layer's input in the same pass (inp = hidden[l - 1] is the ReLU output)
        k.linear_backward_relu(dinp, dW, db, dout, inp, this.wPtr(l), B, I, O);
        continue;
      }
      k.linear_backward(dinp, dW, db, dout, inp, this.wPtr(l), B, I, O);
      if (l > 0) {
        const a = this.hidden[l - 1];
        const n = B * I;
        if (this.activation === 'relu') k.relu_backward(dinp, dinp, a, n);
        else if (this.activation === 'tanh') k.tanh_backward(dinp, dinp, a, n);
        else k.sigmoid_backward(dinp, dinp, a, n);
      }
    }
  }

  /**
   * The depth-2 forward through strip-major hidden buffers, when this batch allows it (byte tables usable and
   * exactly one plain input a sample); returns false (having done nothing but the recode) otherwise.
   */
  private stripForward(input: SparseInput, B: number): boolean {
    const k = this.core.kernels;
    const [I, O] = this.shapes[0];
    const nBits = this.denseBits;
    const from = I - nBits;
    if (k.sparse_bits_recode(this.bitCodes, input.offsets, input.indices, B, from, nBits) !== 0) return false;
    const plain1 =
      k.sparse_bits_plain_buckets(
        this.plainBuckets,
        this.plainOffsets,
        input.offsets,
        input.indices,
        this.bitCodes,
        B,
        from,
        nBits,
      ) === 0;
    if (!plain1) return false;
    this.usedBits = true;
    k.sparse_bits_forward_strips(
      this.hiddenStrips,
      input.offsets,
      input.indices,
      this.bitCodes,
      this.wPtr(0),
      this.bPtr(0),
      B,
      O,
      from,
      nBits,
      this.bitSlab,
    );
    k.relu_linear_forward_strips(this.logits, this.hiddenStrips, this.wPtr(1), this.bPtr(1), B, O, 2);
    this.stripB = B;
    this.hiddenRowsStale = true;
    return true;
  }

  /** The depth-2 backward of a stripForward batch (grads already zeroed). */
  private stripBackward(input: SparseInput, B: number): void {
    const k = this.core.kernels;
    const [I, O] = this.shapes[0];
    const nBits = this.denseBits;
    const from = I - nBits;
    k.linear_backward_relu_strips(
      this.gradStrips,
      this.grads + 4 * this.wOffset[1],
      this.grads + 4 * this.bOffset[1],
      this.outputGrad[1],
      this.hiddenStrips,
      this.wPtr(1),
      B,
      O,
      2,
    );
    k.sparse_bits_buckets(this.bitBuckets, this.bitBucketOffsets, this.bitCodes, B, nBits);
    k.sparse_bits_backward_plain1_strips(
      this.grads + 4 * this.wOffset[0],
      this.grads + 4 * this.bOffset[0],
      this.gradStrips,
      input.offsets,
      input.indices,
      this.bitCodes,
      this.bitBuckets,
      this.bitBucketOffsets,
      this.plainBuckets,
      this.plainOffsets,
      B,
      O,
      from,
      nBits,
      this.bitSlab,
    );
    this.gradRowsStale = true;
  }

  /** Layer 0 forward of a sparse input, in chunks of SPARSE_CHUNK samples (keeps the per-pass data in cache). */
  private sparseForward(out: number, input: SparseInput, B: number, I: number, O: number): void {
    const k = this.core.kernels;
    const nBits = this.denseBits;
    const from = I - nBits;
    const stride = 4 * (Math.ceil(nBits / 8) + 1);
    this.usedBits =
      nBits > 0 && k.sparse_bits_recode(this.bitCodes, input.offsets, input.indices, B, from, nBits) === 0;
    for (let s0 = 0; s0 < B; s0 += SPARSE_CHUNK) {
      const n = Math.min(SPARSE_CHUNK, B - s0);
      const offsets = input.offsets + 4 * s0;
      const y = out + 4 * s0 * O;
      if (this.usedBits) {
        const codes = this.bitCodes + stride * s0;
        k.sparse_bits_forward(
          y,
          offsets,
          input.indices,
          codes,
          this.wPtr(0),
          this.bPtr(0),
          n,
          O,
          from,
          nBits,
          this.bitSlab,
        );
      } else {
        k.sparse_linear_forward(y, offsets, input.indices, this.wPtr(0), this.bPtr(0), n, O);
      }
    }
  }

  /** Layer 0 backward of a sparse input (accumulates into dW, db), chunked like sparseForward. */
  private sparseBackward(
    dW: number,
    db: number,
    dout: number,
    input: SparseInput,
    B: number,
    I: number,
    O: number,
  ): void {
    const k = this.core.kernels;
    const nBits = this.denseBits;
    const from = I - nBits;
    const stride = 4 * (Math.ceil(nBits / 8) + 1);
    for (let s0 = 0; s0 < B; s0 += SPARSE_CHUNK) {
      const n = Math.min(SPARSE_CHUNK, B - s0);
      const offsets = input.offsets + 4 * s0;
      const d = dout + 4 * s0 * O;
      if (this.usedBits) {
        const codes = this.bitCodes + stride * s0;
        k.sparse_bits_buckets(this.bitBuckets, this.bitBucketOffsets, codes, n, nBits);
        const plain1 =
          k.sparse_bits_plain_buckets(
            this.plainBuckets,
            this.plainOffsets,
            offsets,
            input.indices,
            codes,
            n,
            from,
            nBits,
          ) === 0;
        if (plain1) {
          // one plain input a sample (the control bit): every dout row is gathered, none scattered
          k.sparse_bits_backward_plain1(
            dW,
            db,
            d,
            offsets,
            input.indices,
            codes,
            this.bitBuckets,
            this.bitBucketOffsets,
            this.plainBuckets,
            this.plainOffsets,
            n,
            O,
            from,
            nBits,
            this.bitSlab,
            this.bitStrip,
          );
          continue;
        }
        k.sparse_bits_backward(
          dW,
          db,
          d,
          offsets,
          input.indices,
          codes,
          this.bitBuckets,
          this.bitBucketOffsets,
          n,
          O,
          from,
          nBits,
          this.bitSlab,
        );
      } else {
        k.sparse_linear_backward(dW, db, d, offsets, input.indices, n, O);
      }
    }
  }

  /** Copies of every layer's W [in x out] and b [out]. */
  getLayers(): LayerWeights[] {
    const p = this.core.f32(this.params, this.paramFloats);
    return this.shapes.map(([i, o], l) => ({
      W: p.slice(this.wOffset[l], this.wOffset[l] + i * o),
      b: p.slice(this.bOffset[l], this.bOffset[l] + o),
      inputs: i,
      outputs: o,
    }));
  }

  /** Sets every layer's weights (shapes as getLayers()); the padding stays zero. */
  setLayers(layers: { W: ArrayLike<number>; b: ArrayLike<number> }[]): void {
    if (layers.length !== this.shapes.length)
      throw new ConfigError(`model has ${this.shapes.length} layers, got weights for ${layers.length}`);
    layers.forEach((layer, l) => {
      const [i, o] = this.shapes[l];
      if (layer.W.length !== i * o || layer.b.length !== o)
        throw new ConfigError(
          `layer ${l}: expected W of ${i}x${o} and b of ${o}, got ${layer.W.length} and ${layer.b.length}`,
        );
    });
    const p = this.core.f32(this.params, this.paramFloats);
    layers.forEach((layer, l) => {
      p.set(layer.W, this.wOffset[l]);
      p.set(layer.b, this.bOffset[l]);
    });
  }

  /** Float offsets of W_l and b_l inside params / grads (for code that reads the flat buffers). */
  layerOffsets(l: number): { W: number; b: number } {
    this.checkLayer(l);
    return { W: this.wOffset[l], b: this.bOffset[l] };
  }

  private checkLayer(l: number): void {
    if (!Number.isInteger(l) || l < 0 || l >= this.shapes.length)
      throw new RangeError(`quanta: layer ${l} outside [0, ${this.shapes.length})`);
  }

  /**
   * The input of layer l for the last batch, f32[B * in_l] (post-activation for l >= 1). Layer 0's input is
   * the model input itself: its data pointer when dense; for a sparse input there is no f32 matrix (use its
   * offsets/indices: x_a . x_b is the number of shared active indices), and this throws.
   */
  layerInputPtr(l: number): number {
    this.checkLayer(l);
    if (l > 0) {
      if (this.hiddenRowsStale) {
        const O = this.shapes[0][1];
        const B = this.stripB;
        stripsToRows(this.core.f32(this.hidden[0], B * O), this.core.f32(this.hiddenStrips, B * O), B, O);
        this.hiddenRowsStale = false;
      }
      return this.hidden[l - 1];
    }
    const input = this.lastInput;
    if (!input) throw new RangeError('quanta: layerInputPtr(0) before any forward()');
    if (input.kind === 'dense') return input.data;
    throw new RangeError('quanta: layer 0 input is sparse (CSR): use its offsets and indices');
  }

  /** dL/d(pre-activation output) of layer l, f32[B * out_l], as used by backward (scaled by 1/B). */
  layerOutputGradPtr(l: number): number {
    this.checkLayer(l);
    if (l === 0 && this.gradRowsStale) {
      const O = this.shapes[0][1];
      const B = this.stripB;
      stripsToRows(this.core.f32(this.outputGrad[0], B * O), this.core.f32(this.gradStrips, B * O), B, O);
      this.gradRowsStale = false;
    }
    return this.outputGrad[l];
  }
}

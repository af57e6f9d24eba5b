// The MLP of the paper (SPEC.md section 2): Linear(inputSize -> width) -> act -> ... -> Linear(width ->
// outputs), softmax cross-entropy, PyTorch nn.Linear initialisation. llm.c style: every buffer is named in
// one plan (./layout.ts: mlpPlan, which mlpBytes also sums) and allocated here from it; a training step is
// forward, crossEntropy(grad), backward (then AdamW). The first layer on a sparse input, with its byte-table
// and strip-major routes, is ./sparse-first-layer.ts; the kernels are assembly/linear.ts (dense layers),
// assembly/activation.ts and assembly/cross-entropy.ts.
import type { Core } from '../core/arena.js';
import { allocatePlan } from '../core/buffers.js';
import { ConfigError } from '../core/errors.js';
import { Allocation, DISPOSE } from '../core/disposable.js';
import { CounterRandom, Stream } from '../core/rng.js';
import {
  assertMlpConfig,
  layerShapes,
  mlpPlan,
  parameterCount,
  parameterLayout,
  type Activation,
  type MlpConfig,
  type ModelInput,
} from './layout.js';
import { SPARSE_CHUNK, SparseFirstLayer, stripsToRows, type LayerPtrs } from './sparse-first-layer.js';

export {
  ACTIVATIONS,
  layerShapes,
  mlpBytes,
  mlpPlan,
  parameterCount,
  type Activation,
  type MlpConfig,
  type ModelInput,
} from './layout.js';
export { stripsToRows } from './sparse-first-layer.js';

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
  private readonly wOffset: number[];
  private readonly bOffset: number[];
  /** Output of hidden layer l (the input of layer l + 1), f32[maxBatch * width]. */
  private readonly hidden: number[] = [];
  /** dL/d(pre-activation output) of layer l, f32[maxBatch * out_l]; the last one is dlogits. */
  private readonly outputGrad: number[] = [];
  private readonly correctCount: number;
  private readonly sparse: SparseFirstLayer;
  private lastInput: ModelInput | undefined;
  /** After a strip-path batch, hidden[0] / outputGrad[0] are built from the strips only on demand. */
  private hiddenRowsStale = false;
  /** This model's span of its core's memory (dispose()). */
  private readonly allocation: Allocation;
  private gradRowsStale = false;

  constructor(
    readonly core: Core,
    readonly cfg: MlpConfig,
    readonly maxBatch: number,
  ) {
    assertMlpConfig(cfg, maxBatch);
    const start = core.mark();
    this.activation = cfg.activation ?? 'relu';
    this.shapes = layerShapes(cfg);
    this.parameterCount = parameterCount(cfg);
    const layout = parameterLayout(cfg);
    [this.wOffset, this.bOffset, this.paramFloats] = [layout.wOffset, layout.bOffset, layout.floats];
    const buf = allocatePlan(core, mlpPlan(cfg, maxBatch));
    [this.params, this.grads, this.logits, this.correctCount] = [
      buf.params,
      buf.grads,
      buf.logits,
      buf.correctCount,
    ];
    for (let l = 0; l < this.shapes.length; l++) {
      if (l < this.shapes.length - 1) this.hidden.push(buf[`hidden${l}`]);
      this.outputGrad.push(buf[`outputGrad${l}`]);
    }
    this.sparse = new SparseFirstLayer(core, cfg, buf);
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

  /** Batch size of the last forward when it took the strip-major path, else 0. */
  get stripBatch(): number {
    return this.sparse.stripB;
  }

  get depth(): number {
    return this.shapes.length;
  }

  private checkBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch)
      throw new RangeError(`quanta: batch ${B} outside [1, ${this.maxBatch}] of this model`);
  }

  /** W_l and b_l (or, with grads, their gradients). */
  private layer(l: number, grads = false): LayerPtrs {
    const base = grads ? this.grads : this.params;
    return { W: base + 4 * this.wOffset[l], b: base + 4 * this.bOffset[l] };
  }

  /** Fills `logits` for B samples, keeping the activations for backward(). */
  forward(input: ModelInput, B: number): void {
    this.checkBatch(B);
    const k = this.core.kernels;
    const L = this.shapes.length;
    this.lastInput = input;
    this.hiddenRowsStale = this.gradRowsStale = false;
    this.sparse.stripB = 0;
    if (input.kind === 'sparse') {
      const [I, O] = this.shapes[0];
      if (this.sparse.stripForward(input, B, I, O, this.layer(0), this.layer(1), this.logits)) {
        this.hiddenRowsStale = true; // hidden[0] lives strip-major: rows on demand (layerInputPtr)
        return;
      }
    }
    // With ReLU, each layer l >= 1 applies the ReLU to its input (hidden[l - 1], left as a pre-activation by
    // layer l - 1) in place, in the same pass as its own product: no separate activation pass. The last
    // layer's output (the logits) is never activated.
    const relu = this.activation === 'relu';
    for (let l = 0; l < L; l++) {
      const [I, O] = this.shapes[l];
      const out = l < L - 1 ? this.hidden[l] : this.logits;
      const { W, b } = this.layer(l);
      if (l === 0 && input.kind === 'sparse') this.sparse.forward(out, input, B, I, O, this.layer(0));
      else if (l > 0 && relu) k.relu_linear_forward(out, this.hidden[l - 1], W, b, B, I, O);
      else
        k.linear_forward(out, l === 0 ? (input as { data: number }).data : this.hidden[l - 1], W, b, B, I, O);
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
    return this.sparse.hasStrips;
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
    const strip = this.sparse.stripB !== 0 && this.sparse.stripB === B && input.kind === 'sparse';
    if (opts.accumulate && !strip)
      throw new Error('quanta: backward accumulates only after a strip-major forward of the same slice');
    if (!opts.accumulate) this.zeroGrads();
    if (strip) {
      const [I, O] = this.shapes[0];
      const dlogits = this.outputGrad[1];
      this.sparse.stripBackward(
        input,
        B,
        I,
        O,
        this.layer(0, true),
        this.layer(1, true),
        dlogits,
        this.layer(1).W,
      );
      this.gradRowsStale = true; // outputGrad[0] lives strip-major: rows on demand (layerOutputGradPtr)
      return;
    }
    for (let l = L - 1; l >= 0; l--) {
      const [I, O] = this.shapes[l];
      const { W: dW, b: db } = this.layer(l, true);
      const dout = this.outputGrad[l];
      if (l === 0 && input.kind === 'sparse') {
        this.sparse.backward(dout, input, B, I, O, this.layer(0, true));
        continue;
      }
      const inp = l === 0 ? (input as { data: number }).data : this.hidden[l - 1];
      const dinp = l > 0 ? this.outputGrad[l - 1] : 0;
      if (l > 0 && this.activation === 'relu') {
        // the ReLU backward of this layer's input in the same pass (inp = hidden[l - 1] is the ReLU output)
        k.linear_backward_relu(dinp, dW, db, dout, inp, this.layer(l).W, B, I, O);
        continue;
      }
      k.linear_backward(dinp, dW, db, dout, inp, this.layer(l).W, B, I, O);
      if (l > 0) {
        if (this.activation === 'tanh') k.tanh_backward(dinp, dinp, this.hidden[l - 1], B * I);
        else k.sigmoid_backward(dinp, dinp, this.hidden[l - 1], B * I);
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
        this.rowsFromStrips(this.hidden[0], this.sparse.strips('hidden'));
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
      this.rowsFromStrips(this.outputGrad[0], this.sparse.strips('grad'));
      this.gradRowsStale = false;
    }
    return this.outputGrad[l];
  }

  /** The strip-major f32[B x O] of the last strip-path batch into the row-major dst (B = that batch). */
  private rowsFromStrips(dst: number, strips: number): void {
    const O = this.shapes[0][1];
    const B = this.sparse.stripB;
    stripsToRows(this.core.f32(dst, B * O), this.core.f32(strips, B * O), B, O);
  }
}

// The MLP's first layer on a sparse input (a CSR batch of 0/1 inputs, assembly/parity.ts): which kernels run,
// over which chunks, with which buffers. Three routes, mathematically the same product:
//   plain       sparse_linear_forward/backward (assembly/sparse-linear.ts): b + the W rows of the active inputs
//   byte tables the last `denseBits` inputs are i.i.d. fair bits (sparse parity's task bits): groups of 8 bits
//               go through per-byte tables (assembly/byte-table*.ts), about 3x less work; f32 order differs
//   strips      depth 2, ReLU, two outputs, byte tables, one plain input a sample (the control bit): the hidden
//               layer lives strip-major (32 outputs a strip) from the first layer through the head and back,
//               with no row-major copy; a batch of up to SPARSE_CHUNK samples is one slice
// The buffers are named in sparseLayerPlan; the Mlp allocates them with its own (./layout.ts, mlpPlan).
import type { Core } from '../core/arena.js';
import type { Allocated, BufferSpec } from '../core/buffers.js';

/** A model input in Wasm memory: the CSR offsets i32[B + 1] and active indices of B samples. */
export type SparseInput = { kind: 'sparse'; offsets: number; indices: number };

/** Samples per call of the sparse first-layer kernels: the per-pass slices of a chunk stay in L2 cache. */
export const SPARSE_CHUNK = 2048;

/** The shape facts the first layer needs (a subset of MlpConfig). */
export interface SparseLayerShape {
  inputSize: number;
  width: number;
  depth: number;
  outputs: number;
  activation?: 'relu' | 'tanh' | 'sigmoid';
  denseBits?: number;
}

/** Whether a config can take the strip-major depth-2 path (one ReLU hidden layer, two outputs, byte tables). */
export function stripPathPossible(cfg: SparseLayerShape): boolean {
  return (
    cfg.depth === 2 && cfg.outputs === 2 && (cfg.activation ?? 'relu') === 'relu' && (cfg.denseBits ?? 0) > 0
  );
}

export type SparseBuffer =
  | 'bitCodes'
  | 'bitSlab'
  | 'bitBuckets'
  | 'bitBucketOffsets'
  | 'plainBuckets'
  | 'plainOffsets'
  | 'bitStrip'
  | 'hiddenStrips'
  | 'gradStrips';

/** The byte-table and strip buffers (none without denseBits): their names and sizes, in allocation order. */
export function sparseLayerPlan(cfg: SparseLayerShape, maxBatch: number): BufferSpec<SparseBuffer>[] {
  const denseBits = cfg.denseBits ?? 0;
  const nGroups = Math.ceil(denseBits / 8);
  if (nGroups === 0) return [];
  const chunk = Math.min(maxBatch, SPARSE_CHUNK);
  const plan: BufferSpec<SparseBuffer>[] = [
    { name: 'bitCodes', bytes: 4 * maxBatch * (nGroups + 1) }, // i32: plain count, then one code per group
    { name: 'bitSlab', bytes: 4 * nGroups * 256 * 32 }, // f32: the tables of one 32-output pass
    { name: 'bitBuckets', bytes: 4 * nGroups * chunk }, // i32: the samples of a chunk by (group, code)
    { name: 'bitBucketOffsets', bytes: 4 * nGroups * 257 },
    { name: 'plainBuckets', bytes: 4 * chunk }, // i32: the samples of a chunk by their one plain input
    { name: 'plainOffsets', bytes: 4 * (cfg.inputSize - denseBits + 1) },
    { name: 'bitStrip', bytes: 4 * 32 * chunk }, // f32: the dout columns of one backward pass
  ];
  if (stripPathPossible(cfg)) {
    plan.push({ name: 'hiddenStrips', bytes: 4 * cfg.width * chunk }); // f32, strip-major
    plan.push({ name: 'gradStrips', bytes: 4 * cfg.width * chunk });
  }
  return plan;
}

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

/** Pointers of one Linear layer's weights and bias (or of their gradients). */
export interface LayerPtrs {
  W: number;
  b: number;
}

export class SparseFirstLayer {
  /** Task bits at the end of the input (byte tables), 0 for the plain route. */
  readonly denseBits: number;
  /** Whether this model has the strip buffers (stripPathPossible). */
  readonly hasStrips: boolean;
  /** Whether the last forward went through the byte tables (backward must match it). */
  private usedBits = false;
  /** Batch size of the last forward when it took the strip path, else 0. */
  stripB = 0;
  private readonly buf: Partial<Allocated<SparseBuffer>>;

  constructor(
    private readonly core: Core,
    cfg: SparseLayerShape,
    buffers: Partial<Allocated<SparseBuffer>>,
  ) {
    this.denseBits = cfg.denseBits ?? 0;
    this.buf = buffers;
    this.hasStrips = buffers.hiddenStrips !== undefined;
  }

  private ptr(name: SparseBuffer): number {
    return this.buf[name] ?? 0;
  }

  /** f32[B * width] strip-major hidden pre-activations (hidden) or their gradient (grad) of the strip path. */
  strips(which: 'hidden' | 'grad'): number {
    return this.ptr(which === 'hidden' ? 'hiddenStrips' : 'gradStrips');
  }

  /**
   * Depth-2 forward through strip-major hidden buffers when this batch allows it (byte tables usable, exactly
   * one plain input a sample): layer 0 (I -> O) then the ReLU head (O -> 2) into logits. Returns false, having
   * done nothing but the recode, otherwise.
   */
  stripForward(
    input: SparseInput,
    B: number,
    I: number,
    O: number,
    l0: LayerPtrs,
    l1: LayerPtrs,
    logits: number,
  ) {
    this.stripB = 0;
    if (!this.hasStrips || B > SPARSE_CHUNK) return false;
    const k = this.core.kernels;
    const nBits = this.denseBits;
    const from = I - nBits;
    const codes = this.ptr('bitCodes');
    if (k.sparse_bits_recode(codes, input.offsets, input.indices, B, from, nBits) !== 0) return false;
    const plainBuckets = this.ptr('plainBuckets');
    const plainOffsets = this.ptr('plainOffsets');
    if (
      k.sparse_bits_plain_buckets(
        plainBuckets,
        plainOffsets,
        input.offsets,
        input.indices,
        codes,
        B,
        from,
        nBits,
      ) !== 0
    )
      return false;
    this.usedBits = true;
    const hidden = this.ptr('hiddenStrips');
    const slab = this.ptr('bitSlab');
    k.sparse_bits_forward_strips(
      hidden,
      input.offsets,
      input.indices,
      codes,
      l0.W,
      l0.b,
      B,
      O,
      from,
      nBits,
      slab,
    );
    k.relu_linear_forward_strips(logits, hidden, l1.W, l1.b, B, O, 2);
    this.stripB = B;
    return true;
  }

  /** The depth-2 backward of a stripForward batch: accumulates into the gradients d0 (layer 0) and d1 (head). */
  stripBackward(
    input: SparseInput,
    B: number,
    I: number,
    O: number,
    d0: LayerPtrs,
    d1: LayerPtrs,
    dlogits: number,
    W1: number,
  ) {
    const k = this.core.kernels;
    const nBits = this.denseBits;
    const from = I - nBits;
    const grad = this.ptr('gradStrips');
    const [codes, buckets, bucketOffsets] = [
      this.ptr('bitCodes'),
      this.ptr('bitBuckets'),
      this.ptr('bitBucketOffsets'),
    ];
    k.linear_backward_relu_strips(grad, d1.W, d1.b, dlogits, this.ptr('hiddenStrips'), W1, B, O, 2);
    k.sparse_bits_buckets(buckets, bucketOffsets, codes, B, nBits);
    k.sparse_bits_backward_plain1_strips(
      d0.W,
      d0.b,
      grad,
      input.offsets,
      input.indices,
      codes,
      buckets,
      bucketOffsets,
      this.ptr('plainBuckets'),
      this.ptr('plainOffsets'),
      B,
      O,
      from,
      nBits,
      this.ptr('bitSlab'),
    );
  }

  /** Layer 0 forward (out [B x O] row-major), in chunks of SPARSE_CHUNK samples (keeps each pass in cache). */
  forward(out: number, input: SparseInput, B: number, I: number, O: number, l0: LayerPtrs): void {
    const k = this.core.kernels;
    const nBits = this.denseBits;
    const from = I - nBits;
    const stride = 4 * (Math.ceil(nBits / 8) + 1);
    const codes = this.ptr('bitCodes');
    this.usedBits =
      nBits > 0 && k.sparse_bits_recode(codes, input.offsets, input.indices, B, from, nBits) === 0;
    for (let s0 = 0; s0 < B; s0 += SPARSE_CHUNK) {
      const n = Math.min(SPARSE_CHUNK, B - s0);
      const offsets = input.offsets + 4 * s0;
      const y = out + 4 * s0 * O;
      if (this.usedBits) {
        const c = codes + stride * s0;
        k.sparse_bits_forward(
          y,
          offsets,
          input.indices,
          c,
          l0.W,
          l0.b,
          n,
          O,
          from,
          nBits,
          this.ptr('bitSlab'),
        );
      } else {
        k.sparse_linear_forward(y, offsets, input.indices, l0.W, l0.b, n, O);
      }
    }
  }

  /** Layer 0 backward of the last forward (accumulates into dW, db), chunked like forward. */
  backward(dout: number, input: SparseInput, B: number, I: number, O: number, d0: LayerPtrs): void {
    const k = this.core.kernels;
    const nBits = this.denseBits;
    const from = I - nBits;
    const stride = 4 * (Math.ceil(nBits / 8) + 1);
    const [buckets, bucketOffsets] = [this.ptr('bitBuckets'), this.ptr('bitBucketOffsets')];
    const [plainBuckets, plainOffsets] = [this.ptr('plainBuckets'), this.ptr('plainOffsets')];
    const slab = this.ptr('bitSlab');
    for (let s0 = 0; s0 < B; s0 += SPARSE_CHUNK) {
      const n = Math.min(SPARSE_CHUNK, B - s0);
      const offsets = input.offsets + 4 * s0;
      const d = dout + 4 * s0 * O;
      if (!this.usedBits) {
        k.sparse_linear_backward(d0.W, d0.b, d, offsets, input.indices, n, O);
        continue;
      }
      const codes = this.ptr('bitCodes') + stride * s0;
      k.sparse_bits_buckets(buckets, bucketOffsets, codes, n, nBits);
      if (
        k.sparse_bits_plain_buckets(
          plainBuckets,
          plainOffsets,
          offsets,
          input.indices,
          codes,
          n,
          from,
          nBits,
        ) === 0
      ) {
        // one plain input a sample (the control bit): every dout row is gathered, none scattered
        k.sparse_bits_backward_plain1(
          d0.W,
          d0.b,
          d,
          offsets,
          input.indices,
          codes,
          buckets,
          bucketOffsets,
          plainBuckets,
          plainOffsets,
          n,
          O,
          from,
          nBits,
          slab,
          this.ptr('bitStrip'),
        );
      } else {
        k.sparse_bits_backward(
          d0.W,
          d0.b,
          d,
          offsets,
          input.indices,
          codes,
          buckets,
          bucketOffsets,
          n,
          O,
          from,
          nBits,
          slab,
        );
      }
    }
  }
}

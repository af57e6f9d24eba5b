// The MLP's shape and memory (SPEC.md section 2): its config, layer shapes, parameter count, the layout of
// the flat parameter buffer and the one buffer plan that both sizes (mlpBytes) and allocates (the Mlp
// constructor) a model.
//
// Parameter layout (one f32 buffer, gradients in a parallel buffer of the same layout, so Adam runs over one
// flat buffer): for each layer l in order, W_l [in x out] row-major (row i = the weights from input i), then
// b_l [out]; each piece starts on a 16-byte boundary and is padded with zeros to a multiple of 4 floats. The
// padding stays exactly zero (no kernel writes it, so its gradient is zero and AdamW leaves it at zero).
import { planBytes, type BufferSpec } from '../core/buffers.js';
import { sparseLayerPlan, type SparseBuffer, type SparseInput } from './sparse-first-layer.js';

/** The hidden activations, the one list every layer of the code base refers to. */
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/** The widest hidden layer a model may have (a run's --width, a sweep's --widths and --data-width). */
export const MAX_WIDTH = 2 ** 20;

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
   * sparse parity: pass n). Sparse inputs then go through byte tables (./sparse-first-layer.ts), about 3x less
   * work in the first layer. Results equal the plain path up to f32 summation order. Default 0 (off).
   */
  denseBits?: number;
}

/** A model input in Wasm memory: a CSR batch of 0/1 inputs (assembly/parity.ts) or a dense f32[B x inputSize]. */
export type ModelInput = SparseInput | { kind: 'dense'; data: number };

/** The layer shapes [inputs, outputs] of a config, first layer first. */
export function layerShapes(cfg: MlpConfig): [number, number][] {
  const dims = [cfg.inputSize];
  for (let l = 1; l < cfg.depth; l++) dims.push(cfg.width);
  dims.push(cfg.outputs);
  const out: [number, number][] = [];
  for (let l = 0; l < cfg.depth; l++) out.push([dims[l], dims[l + 1]]);
  return out;
}

/**
 * Throws a RangeError (a caller's bug: user input is validated where it enters, e.g. validateRun) for a config
 * the model cannot be built from.
 */
export function assertMlpConfig(cfg: MlpConfig, maxBatch: number): void {
  const int = (x: number, name: string, min: number, max: number) => {
    if (!Number.isInteger(x) || x < min || x > max)
      throw new RangeError(`quanta: Mlp ${name} must be an integer in [${min}, ${max}], got ${x}`);
  };
  int(cfg.inputSize, 'inputSize', 1, 2 ** 26);
  int(cfg.width, 'width', 1, MAX_WIDTH);
  int(cfg.depth, 'depth', 1, 64);
  int(cfg.outputs, 'outputs', 1, 2 ** 20);
  int(cfg.seed, 'seed', 0, 2 ** 53 - 1);
  int(cfg.denseBits ?? 0, 'denseBits', 0, cfg.inputSize);
  int(maxBatch, 'maxBatch', 1, 2 ** 26);
  const act = cfg.activation ?? 'relu';
  if (!(ACTIVATIONS as readonly string[]).includes(act))
    throw new RangeError(`quanta: Mlp activation must be one of ${ACTIVATIONS.join(', ')}, got ${act}`);
}

/** Every weight and bias: (in+1) w + (depth-2)(w+1) w + (w+1) outputs; (nTasks+n+3) w + 2 for the paper's net. */
export function parameterCount(cfg: MlpConfig): number {
  let n = 0;
  for (const [i, o] of layerShapes(cfg)) n += (i + 1) * o;
  return n;
}

const pad4 = (x: number): number => Math.ceil(x / 4) * 4;

/** Float offsets of every W_l and b_l in the flat parameter buffer, and its length (padding included). */
export function parameterLayout(cfg: MlpConfig): { wOffset: number[]; bOffset: number[]; floats: number } {
  const wOffset: number[] = [];
  const bOffset: number[] = [];
  let off = 0;
  for (const [i, o] of layerShapes(cfg)) {
    wOffset.push(off);
    off += pad4(i * o);
    bOffset.push(off);
    off += pad4(o);
  }
  return { wOffset, bOffset, floats: off };
}

export type MlpBuffer =
  'params' | 'grads' | `hidden${number}` | 'logits' | `outputGrad${number}` | 'correctCount' | SparseBuffer;

/** Every buffer of a model for batches up to maxBatch, named, in allocation order. */
export function mlpPlan(cfg: MlpConfig, maxBatch: number): BufferSpec<MlpBuffer>[] {
  const shapes = layerShapes(cfg);
  const paramBytes = 4 * parameterLayout(cfg).floats;
  return [
    { name: 'params', bytes: paramBytes }, // f32: every W_l then b_l
    { name: 'grads', bytes: paramBytes }, // f32, the same layout
    // f32[maxBatch x out_l]: the output of hidden layer l (the input of layer l + 1)
    ...shapes.slice(0, -1).map(([, o], l) => ({ name: `hidden${l}` as const, bytes: 4 * maxBatch * o })),
    { name: 'logits', bytes: 4 * maxBatch * cfg.outputs },
    // f32[maxBatch x out_l]: dL/d(pre-activation output) of layer l; the last one is dlogits
    ...shapes.map(([, o], l) => ({ name: `outputGrad${l}` as const, bytes: 4 * maxBatch * o })),
    { name: 'correctCount', bytes: 16 }, // i32: the last crossEntropy's correct count
    ...sparseLayerPlan(cfg, maxBatch),
  ];
}

/** Wasm bytes the model and its activations need for batches up to maxBatch (to validate before allocating). */
export function mlpBytes(cfg: MlpConfig, maxBatch: number): number {
  return planBytes(mlpPlan(cfg, maxBatch));
}

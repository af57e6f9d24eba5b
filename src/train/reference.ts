// Plain, slow, obviously-correct f64 twins of the training kernels, each named ref + the kernel it checks:
// refLinearForward/Backward (assembly/linear.ts; with refDenseFromSparse also the sparse and byte-table first
// layers, assembly/sparse-linear.ts and byte-table*.ts), refActivationForward/Backward (activation.ts),
// refCrossEntropyForward (cross-entropy.ts), refAdamwStep (adam.ts) and refMlpLossAndGrads (the whole Mlp).
// Test oracles only: no production module imports this file and the package entry does not export it.
//
// Shapes as in the kernels: inp [B x I], W [I x O] (row i = weights from input i), b [O], out [B x O],
// all row-major in flat arrays.

import type { Activation } from './layout.js';

type Floats = ArrayLike<number>;

/** out = inp . W + b. */
export function refLinearForward(
  inp: Floats,
  W: Floats,
  b: Floats,
  B: number,
  I: number,
  O: number,
): Float64Array {
  const out = new Float64Array(B * O);
  for (let s = 0; s < B; s++)
    for (let o = 0; o < O; o++) {
      let a = b[o];
      for (let i = 0; i < I; i++) a += inp[s * I + i] * W[i * O + o];
      out[s * O + o] = a;
    }
  return out;
}

/** Gradients of out = inp . W + b given dout: dW = inp^T dout, db = sum_s dout, dinp = dout W^T. */
export function refLinearBackward(
  dout: Floats,
  inp: Floats,
  W: Floats,
  B: number,
  I: number,
  O: number,
): { dinp: Float64Array; dW: Float64Array; db: Float64Array } {
  const dinp = new Float64Array(B * I);
  const dW = new Float64Array(I * O);
  const db = new Float64Array(O);
  for (let s = 0; s < B; s++)
    for (let o = 0; o < O; o++) {
      const d = dout[s * O + o];
      db[o] += d;
      for (let i = 0; i < I; i++) {
        dW[i * O + o] += inp[s * I + i] * d;
        dinp[s * I + i] += d * W[i * O + o];
      }
    }
  return { dinp, dW, db };
}

/** The dense 0/1 matrix [B x I] of a CSR batch. */
export function refDenseFromSparse(offsets: Floats, indices: Floats, B: number, I: number): Float64Array {
  const x = new Float64Array(B * I);
  for (let s = 0; s < B; s++) for (let p = offsets[s]; p < offsets[s + 1]; p++) x[s * I + indices[p]] = 1;
  return x;
}

export function refActivationForward(kind: Activation, x: number): number {
  if (kind === 'relu') return x > 0 ? x : 0;
  if (kind === 'tanh') return Math.tanh(x);
  return 1 / (1 + Math.exp(-x));
}

/** d activation / d input, written as a function of the activation's output y. */
export function refActivationBackward(kind: Activation, y: number): number {
  if (kind === 'relu') return y > 0 ? 1 : 0;
  if (kind === 'tanh') return 1 - y * y;
  return y * (1 - y);
}

/** Softmax cross-entropy per sample (nats), its gradient (softmax - onehot) * scale, and argmax correctness. */
export function refCrossEntropyForward(
  logits: Floats,
  labels: Floats,
  B: number,
  C: number,
  scale = 1 / B,
): { losses: Float64Array; dlogits: Float64Array; correct: Int32Array; sum: number } {
  const losses = new Float64Array(B);
  const dlogits = new Float64Array(B * C);
  const correct = new Int32Array(B);
  let sum = 0;
  for (let s = 0; s < B; s++) {
    let zmax = -Infinity;
    let arg = 0;
    for (let c = 0; c < C; c++)
      if (logits[s * C + c] > zmax) {
        zmax = logits[s * C + c];
        arg = c;
      }
    let z = 0;
    for (let c = 0; c < C; c++) z += Math.exp(logits[s * C + c] - zmax);
    const y = labels[s];
    losses[s] = Math.log(z) - (logits[s * C + y] - zmax);
    sum += losses[s];
    for (let c = 0; c < C; c++)
      dlogits[s * C + c] = (Math.exp(logits[s * C + c] - zmax) / z - (c === y ? 1 : 0)) * scale;
    correct[s] = arg === y ? 1 : 0;
  }
  return { losses, dlogits, correct, sum };
}

export interface RefLayer {
  W: Float64Array | Float32Array;
  b: Float64Array | Float32Array;
  inputs: number;
  outputs: number;
}

/**
 * The whole MLP in f64: Linear -> act -> ... -> Linear, mean softmax cross-entropy.
 * x [B x inputs of layer 0] dense. Returns the mean loss, the logits, and d(mean loss)/d(W_l, b_l).
 */
export function refMlpLossAndGrads(
  layers: RefLayer[],
  activation: Activation,
  x: Floats,
  labels: Floats,
  B: number,
): { loss: number; logits: Float64Array; dW: Float64Array[]; db: Float64Array[] } {
  const acts: Float64Array[] = [Float64Array.from(x)];
  let h = acts[0];
  for (let l = 0; l < layers.length; l++) {
    const L = layers[l];
    const z = refLinearForward(h, L.W, L.b, B, L.inputs, L.outputs);
    if (l < layers.length - 1)
      for (let j = 0; j < z.length; j++) z[j] = refActivationForward(activation, z[j]);
    acts.push(z);
    h = z;
  }
  const C = layers[layers.length - 1].outputs;
  const ce = refCrossEntropyForward(h, labels, B, C);
  const dW: Float64Array[] = [];
  const db: Float64Array[] = [];
  let dz = ce.dlogits;
  for (let l = layers.length - 1; l >= 0; l--) {
    const L = layers[l];
    const g = refLinearBackward(dz, acts[l], L.W, B, L.inputs, L.outputs);
    dW[l] = g.dW;
    db[l] = g.db;
    if (l > 0) {
      const a = acts[l];
      for (let j = 0; j < g.dinp.length; j++) g.dinp[j] *= refActivationBackward(activation, a[j]);
      dz = g.dinp;
    }
  }
  return { loss: ce.sum / B, logits: h, dW, db };
}

export interface RefAdamState {
  t: number;
  m: Float64Array;
  v: Float64Array;
}

/** One torch.optim.AdamW step in f64, in place on p and state (t is incremented first). */
export function refAdamwStep(
  p: Float64Array,
  g: ArrayLike<number>,
  state: RefAdamState,
  cfg: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number },
): void {
  state.t += 1;
  const bc1 = 1 - Math.pow(cfg.beta1, state.t);
  const bc2 = 1 - Math.pow(cfg.beta2, state.t);
  for (let i = 0; i < p.length; i++) {
    p[i] *= 1 - cfg.lr * cfg.weightDecay;
    state.m[i] = cfg.beta1 * state.m[i] + (1 - cfg.beta1) * g[i];
    state.v[i] = cfg.beta2 * state.v[i] + (1 - cfg.beta2) * g[i] * g[i];
    const mhat = state.m[i] / bc1;
    const vhat = state.v[i] / bc2;
    p[i] -= (cfg.lr * mhat) / (Math.sqrt(vhat) + cfg.eps);
  }
}

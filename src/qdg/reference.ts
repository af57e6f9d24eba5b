// The plain twins of the QDG similarity kernels, test oracles and nothing else (no production file imports
// this one): referenceGram (syrkAccumulate, gemm_abt_f32), referenceCosine (cosineFromGram, ./gram.ts),
// referenceAngularAffinity (angularAffinity, ./affinity.ts), referenceFactoredGram (perSampleGradientGram and
// factoredGram, ./factored-gram.ts), referencePerSampleGradient (one sample's gradient of an MLP, materialised:
// the oracle of perSampleGradientGram). The twins of the engines are beside them: ./eigen/reference.ts and
// ./kmeans/reference.ts.
import type { Activation } from '../train/layout.js';
import {
  refActivationBackward,
  refActivationForward,
  refLinearBackward,
  refLinearForward,
  type RefLayer,
} from '../train/reference.js';
import type { GradientOf } from './config.js';
import type { FactoredLayer, LayerGroups } from './factored-gram.js';

/** Plain twin (test oracle): G = A A^T of a row-major S x P matrix, in f64. */
export function referenceGram(a: ArrayLike<number>, S: number, P: number): Float64Array {
  const g = new Float64Array(S * S);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      let s = 0;
      for (let k = 0; k < P; k++) s += a[i * P + k] * a[j * P + k];
      g[i * S + j] = s;
    }
  }
  return g;
}

/** Plain twin (test oracle) of cosineFromGram. */
export function referenceCosine(g: ArrayLike<number>, S: number): Float64Array {
  const c = new Float64Array(S * S);
  for (let i = 0; i < S; i++) {
    for (let j = 0; j < S; j++) {
      const d = g[i * S + i] * g[j * S + j];
      c[i * S + j] = g[i * S + i] > 0 && g[j * S + j] > 0 ? g[i * S + j] / Math.sqrt(d) : 0;
    }
    if (g[i * S + i] > 0) c[i * S + i] = 1;
  }
  return c;
}

/** Plain twin (test oracle) of angularAffinity (of |C| with `absolute`), in f64. */
export function referenceAngularAffinity(c: ArrayLike<number>, S: number, absolute = false): Float64Array {
  const a = new Float64Array(S * S);
  for (let i = 0; i < S * S; i++) {
    const x = absolute ? Math.abs(c[i]) : c[i];
    a[i] = 1 - Math.acos(Math.min(1, Math.max(-1, x))) / Math.PI;
  }
  for (let i = 0; i < S; i++) a[i * S + i] = 1;
  return a;
}

/**
 * Plain twin (test oracle): the Gram of explicitly materialised per-sample gradients, in f64. Each sample's
 * gradient is the concatenation over layers of vec(x_l^T delta_l) (unless weights is false) and delta_l (unless
 * bias is false).
 */
export function referenceFactoredGram(S: number, layers: FactoredLayer[]): Float64Array {
  const grads: Float64Array[] = [];
  for (let a = 0; a < S; a++) {
    const parts: number[] = [];
    for (const layer of layers) {
      const x = new Float64Array(layer.inWidth);
      if (layer.input instanceof Float32Array) {
        for (let i = 0; i < layer.inWidth; i++) x[i] = layer.input[a * layer.inWidth + i];
      } else {
        for (let p = layer.input.offsets[a]; p < layer.input.offsets[a + 1]; p++)
          x[layer.input.indices[p]] = 1;
      }
      if (layer.weights !== false) {
        for (let i = 0; i < layer.inWidth; i++) {
          for (let o = 0; o < layer.outWidth; o++) parts.push(x[i] * layer.delta[a * layer.outWidth + o]);
        }
      }
      if (layer.bias !== false)
        for (let o = 0; o < layer.outWidth; o++) parts.push(layer.delta[a * layer.outWidth + o]);
    }
    grads.push(Float64Array.from(parts));
  }
  const g = new Float64Array(S * S);
  for (let a = 0; a < S; a++) {
    for (let b = 0; b < S; b++) {
      let s = 0;
      for (let e = 0; e < grads[a].length; e++) s += grads[a][e] * grads[b][e];
      g[a * S + b] = s;
    }
  }
  return g;
}

/**
 * Plain twin (test oracle) of the gradients whose Gram perSampleGradientGram computes: one sample's gradient,
 * materialised in f64, of its loss (softmax cross-entropy of `label`) or of the logit difference z_1 - z_0
 * (`gradientOf` 'logit'), with respect to the chosen groups of every Linear layer (default: every weight and
 * bias), concatenated as W1 (row-major [inputs x outputs]), b1, W2, b2, ... . `x` is the sample's dense input.
 */
export function referencePerSampleGradient(
  layers: RefLayer[],
  activation: Activation,
  x: ArrayLike<number>,
  label: number,
  gradientOf: GradientOf = 'loss',
  groups?: readonly LayerGroups[],
): Float64Array {
  // forward: acts[l] is layer l's input
  const acts: Float64Array[] = [Float64Array.from(x)];
  for (let l = 0; l < layers.length; l++) {
    const L = layers[l];
    const z = refLinearForward(acts[l], L.W, L.b, 1, L.inputs, L.outputs);
    if (l < layers.length - 1)
      for (let j = 0; j < z.length; j++) z[j] = refActivationForward(activation, z[j]);
    acts.push(z);
  }
  const logits = acts[layers.length];
  const C = logits.length;
  // dOut/dlogits
  let dz: Float64Array = new Float64Array(C);
  if (gradientOf === 'logit') {
    dz[0] = -1;
    dz[1] = 1;
  } else {
    const zmax = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - zmax));
    const sum = e.reduce((a, v) => a + v, 0);
    // p_c for c != label, and minus their sum for the label (softmax - onehot, exact when p_label rounds to 1)
    for (let c = 0; c < C; c++) dz[c] = c === label ? 0 : e[c] / sum;
    dz[label] = -dz.reduce((a, v) => a + v, 0);
  }
  // backward, layer by layer from the last
  const parts: Float64Array[][] = [];
  for (let l = layers.length - 1; l >= 0; l--) {
    const L = layers[l];
    const g = refLinearBackward(dz, acts[l], L.W, 1, L.inputs, L.outputs);
    const chosen = groups?.[l] ?? { weights: true, bias: true };
    parts[l] = [...(chosen.weights ? [g.dW] : []), ...(chosen.bias ? [g.db] : [])];
    if (l > 0) {
      dz = g.dinp;
      for (let j = 0; j < dz.length; j++) dz[j] *= refActivationBackward(activation, acts[l][j]);
    }
  }
  const flat = parts.flat();
  const out = new Float64Array(flat.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of flat) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

// The plain twins of the QDG similarity kernels, test oracles and nothing else (no production file imports
// this one): referenceGram (syrkAccumulate, gemm_abt_f32), referenceCosine (cosineFromGram, ./gram.ts),
// referenceAngularAffinity (angularAffinity, ./affinity.ts), referenceFactoredGram (perSampleGradientGram and
// factoredGram, ./factored-gram.ts). The twins of the engines are beside them: ./eigen/reference.ts and
// ./kmeans/reference.ts.
import type { FactoredLayer } from './factored-gram.js';

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

/** Plain twin (test oracle) of angularAffinity, in f64. */
export function referenceAngularAffinity(c: ArrayLike<number>, S: number): Float64Array {
  const a = new Float64Array(S * S);
  for (let i = 0; i < S * S; i++) a[i] = 1 - Math.acos(Math.min(1, Math.max(-1, c[i]))) / Math.PI;
  for (let i = 0; i < S; i++) a[i * S + i] = 1;
  return a;
}

/**
 * Plain twin (test oracle): the Gram of explicitly materialised per-sample gradients, in f64. Each sample's
 * gradient is the concatenation over layers of vec(x_l^T delta_l) and (with a bias) delta_l.
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
      for (let i = 0; i < layer.inWidth; i++) {
        for (let o = 0; o < layer.outWidth; o++) parts.push(x[i] * layer.delta[a * layer.outWidth + o]);
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

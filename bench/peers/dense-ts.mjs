// Plain-TypeScript peer (written as plain JS so the bench needs no compile step): the dense training step a
// user would write without Wasm, on Float32Arrays. Linear(d -> width) -> ReLU -> Linear(width -> 2), mean
// softmax cross-entropy, Adam (AdamW with weight decay 0, lr 1e-3, betas 0.9/0.999, eps 1e-8). Weights in
// PyTorch layout (out x in, row-major); inner loops run over contiguous memory.
import { denseParityBatch } from './tfjs-wasm.mjs';

export function denseTsTrainStep(config) {
  const { nTasks, n, width: W, batch: B } = config;
  const d = nTasks + n;
  const { x, y } = denseParityBatch(config);
  // parameters, gradients and Adam moments in one flat array each: [w1 (W*d), b1 (W), w2 (2*W), b2 (2)]
  const P = W * d + W + 2 * W + 2;
  const params = new Float32Array(P);
  const grads = new Float32Array(P);
  const m = new Float32Array(P);
  const v = new Float32Array(P);
  const oW1 = 0;
  const oB1 = W * d;
  const oW2 = oB1 + W;
  const oB2 = oW2 + 2 * W;
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296) * 2 - 1;
  for (let i = 0; i < oW2; i++) params[i] = rand() / Math.sqrt(d);
  for (let i = oW2; i < P; i++) params[i] = rand() / Math.sqrt(W);
  const h = new Float32Array(B * W); // hidden activations after ReLU
  const dh = new Float32Array(B * W);
  const dlogits = new Float32Array(B * 2);
  let t = 0;

  const step = () => {
    grads.fill(0);
    let loss = 0;
    // forward: h = relu(x W1^T + b1), logits = h W2^T + b2, then softmax cross-entropy and its gradient
    for (let s = 0; s < B; s++) {
      const xo = s * d;
      for (let j = 0; j < W; j++) {
        let acc = params[oB1 + j];
        const wo = oW1 + j * d;
        for (let i = 0; i < d; i++) acc += x[xo + i] * params[wo + i];
        h[s * W + j] = acc > 0 ? acc : 0;
      }
      let z0 = params[oB2];
      let z1 = params[oB2 + 1];
      for (let j = 0; j < W; j++) {
        z0 += h[s * W + j] * params[oW2 + j];
        z1 += h[s * W + j] * params[oW2 + W + j];
      }
      const mx = Math.max(z0, z1);
      const e0 = Math.exp(z0 - mx);
      const e1 = Math.exp(z1 - mx);
      const lse = mx + Math.log(e0 + e1);
      loss += lse - (y[s] === 0 ? z0 : z1);
      dlogits[2 * s] = (e0 / (e0 + e1) - (y[s] === 0 ? 1 : 0)) / B;
      dlogits[2 * s + 1] = (e1 / (e0 + e1) - (y[s] === 1 ? 1 : 0)) / B;
    }
    // backward: dW2, db2, dh (masked by the ReLU), then dW1 = dh^T x and db1
    for (let s = 0; s < B; s++) {
      const g0 = dlogits[2 * s];
      const g1 = dlogits[2 * s + 1];
      grads[oB2] += g0;
      grads[oB2 + 1] += g1;
      for (let j = 0; j < W; j++) {
        const hj = h[s * W + j];
        grads[oW2 + j] += g0 * hj;
        grads[oW2 + W + j] += g1 * hj;
        dh[s * W + j] = hj > 0 ? g0 * params[oW2 + j] + g1 * params[oW2 + W + j] : 0;
      }
    }
    for (let s = 0; s < B; s++) {
      const xo = s * d;
      for (let j = 0; j < W; j++) {
        const g = dh[s * W + j];
        if (g === 0) continue;
        grads[oB1 + j] += g;
        const wo = oW1 + j * d;
        for (let i = 0; i < d; i++) grads[wo + i] += g * x[xo + i];
      }
    }
    // Adam
    t++;
    const lr = 1e-3;
    const b1 = 0.9;
    const b2 = 0.999;
    const c1 = 1 - Math.pow(b1, t);
    const c2 = 1 - Math.pow(b2, t);
    for (let i = 0; i < P; i++) {
      const g = grads[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      params[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + 1e-8);
    }
    return loss / B;
  };
  return { step, dispose: () => {}, info: {} };
}

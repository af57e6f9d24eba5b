// tfjs peer: the same dense training step (Linear -> ReLU -> Linear, mean softmax cross-entropy, Adam lr 1e-3,
// which is AdamW with weight decay 0) with @tensorflow/tfjs on its WebAssembly backend, loaded offline from
// node_modules. The batch is a fixed dense float32 tensor (the step alone is timed, as for the PyTorch peer).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
let tfPromise;

/** Loads tfjs with the wasm backend once; resolves { tf, info } or throws if the packages are missing. */
export function loadTfjsWasm() {
  tfPromise ??= (async () => {
    const tf = require('@tensorflow/tfjs');
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
    wasm.setWasmPaths(join(dist, 'dist') + '/');
    await tf.setBackend('wasm');
    await tf.ready();
    const env = tf.env();
    const threads = env.getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? (wasm.getThreadsCount?.() ?? 1) : 1;
    return {
      tf,
      info: {
        version: tf.version.tfjs,
        simd: env.getBool('WASM_HAS_SIMD_SUPPORT'),
        threads,
      },
    };
  })();
  return tfPromise;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A dense float32 sparse-parity batch: { x: Float32Array[B * (nTasks + n)], y: Int32Array[B] }. */
export function denseParityBatch({ nTasks, n, k, batch, seed = 0 }) {
  const rand = mulberry32(seed + 1);
  const d = nTasks + n;
  const subsets = [];
  for (let t = 0; t < nTasks; t++) {
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(rand() * (n - i));
      [pool[i], pool[j]] = [pool[j], pool[i]];
    }
    subsets.push(pool.slice(0, k));
  }
  const x = new Float32Array(batch * d);
  const y = new Int32Array(batch);
  for (let s = 0; s < batch; s++) {
    const t = Math.floor(rand() * nTasks);
    x[s * d + t] = 1;
    for (let b = 0; b < n; b++) x[s * d + nTasks + b] = rand() < 0.5 ? 0 : 1;
    let parity = 0;
    for (const b of subsets[t]) parity ^= x[s * d + nTasks + b];
    y[s] = parity;
  }
  return { x, y };
}

/** Sets up a tfjs-wasm step for `config` ({ nTasks, n, k, width, batch, seed }); returns { step, dispose, info }. */
export async function tfjsTrainStep(config) {
  const { tf, info } = await loadTfjsWasm();
  const { nTasks, n, width, batch } = config;
  const d = nTasks + n;
  const { x: xs, y: ys } = denseParityBatch(config);
  const x = tf.tensor2d(xs, [batch, d]);
  const labels = tf.oneHot(tf.tensor1d(ys, 'int32'), 2);
  const bound1 = 1 / Math.sqrt(d);
  const bound2 = 1 / Math.sqrt(width);
  const w1 = tf.variable(tf.randomUniform([d, width], -bound1, bound1));
  const b1 = tf.variable(tf.randomUniform([width], -bound1, bound1));
  const w2 = tf.variable(tf.randomUniform([width, 2], -bound2, bound2));
  const b2 = tf.variable(tf.randomUniform([2], -bound2, bound2));
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const step = () => {
    const loss = optimizer.minimize(
      () => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        const logits = tf.add(tf.matMul(h, w2), b2);
        return tf.losses.softmaxCrossEntropy(labels, logits);
      },
      true,
      [w1, b1, w2, b2],
    );
    loss.dataSync(); // wait for the step to finish
    loss.dispose();
  };
  const dispose = () => {
    tf.dispose([x, labels, w1, b1, w2, b2]);
    optimizer.dispose();
  };
  return { step, dispose, info };
}

// Cross-check against PyTorch: 5 AdamW steps (lr 1e-2, weight decay 0.1) of our Wasm MLP on sparse-parity
// batches, then the same steps in torch from the same initial weights and inputs. Run:
//   npm run build && node scripts/crosscheck/torch-adamw.mjs && /usr/bin/python3 scripts/crosscheck/torch-adamw.py
// (needs apt-get install -y python3-torch). Prints both loss sequences and the max weight difference.
import { mkdirSync } from 'node:fs';
const out = new URL('./out/', import.meta.url).pathname;
mkdirSync(out, { recursive: true });
import { Core } from '../../dist/core/arena.js';
import { SparseParityTask } from '../../dist/parity/task.js';
import { ParityBatch } from '../../dist/parity/batch.js';
import { Mlp } from '../../dist/train/model.js';
import { AdamW } from '../../dist/train/optimizer.js';
import { writeNpy } from '../../dist/io/npy.js';
const core = new Core();
const task = new SparseParityTask({ nTasks: 20, n: 16, k: 3, alpha: 0.4, seed: 3 });
const cfg = { inputSize: 36, width: 24, depth: 2, outputs: 2, seed: 3, denseBits: 16 };
const mlp = new Mlp(core, cfg, 64);
const opt = new AdamW(core, mlp, { lr: 1e-2, weightDecay: 0.1 });
const L0 = mlp.getLayers();
writeNpy(out + 'W0.npy', L0[0].W, [36, 24]);
writeNpy(out + 'b0.npy', L0[0].b, [24]);
writeNpy(out + 'W1.npy', L0[1].W, [24, 2]);
writeNpy(out + 'b1.npy', L0[1].b, [2]);
const batch = new ParityBatch(core, task, 64, 3);
const X = new Float32Array(5 * 64 * 36),
  Y = new Int32Array(5 * 64);
const losses = [];
for (let s = 0; s < 5; s++) {
  batch.trainBatch(64, s);
  const off = batch.offsetsView(),
    idx = batch.indicesView(),
    lab = batch.labelsView();
  for (let i = 0; i < 64; i++) {
    for (let j = off[i]; j < off[i + 1]; j++) X[(s * 64 + i) * 36 + idx[j]] = 1;
    Y[s * 64 + i] = lab[i];
  }
  const input = { kind: 'sparse', offsets: batch.offsets, indices: batch.indices };
  mlp.forward(input, 64);
  losses.push(mlp.crossEntropy(batch.labels, 64, { grad: true }).meanLoss);
  mlp.backward(input, 64);
  opt.step();
}
writeNpy(out + 'X.npy', X, [5, 64, 36]);
writeNpy(out + 'Y.npy', Y, [5, 64]);
const L = mlp.getLayers();
writeNpy(out + 'W0f.npy', L[0].W, [36, 24]);
writeNpy(out + 'W1f.npy', L[1].W, [24, 2]);
writeNpy(out + 'b0f.npy', L[0].b, [24]);
console.log(JSON.stringify(losses));

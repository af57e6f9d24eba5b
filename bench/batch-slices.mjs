// The paper's batch (20000) against batch 2000 per sample, our core alone, interleaved 2 s rounds in one
// process (the ratio is robust to the drift between processes that absolute rates show here). Before the
// slicing of big batches (before commit e73d0b0) the ratio was 0.89; the issue measured 0.58-0.80.
// Usage: npm run build && node bench/batch-slices.mjs   (prints one JSON line)
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const ROOT = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const { Trainer } = await import(pathToFileURL(join(ROOT, 'dist', 'train', 'trainer.js')).href);
const base = {
  nTasks: 500,
  n: 100,
  k: 3,
  alpha: 0.4,
  width: 500,
  depth: 2,
  activation: 'relu',
  batch: 2000,
  steps: 1e9,
  lr: 1e-3,
  weightDecay: 0,
  seed: 0,
  logEvery: 1000,
  testPoints: 1e6,
  testPointsPerTask: 1000,
  data: null,
};
const tr = { 2000: new Trainer({ ...base, batch: 2000 }), 20000: new Trainer({ ...base, batch: 20000 }) };
for (const t of Object.values(tr)) for (let i = 0; i < 3; i++) t.step();
const res = { 2000: [], 20000: [] };
for (let round = 0; round < 6; round++)
  for (const b of [2000, 20000]) {
    const t = tr[b];
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < 2000) {
      t.step();
      n++;
    }
    res[b].push((n * b) / ((performance.now() - t0) / 1000));
  }
const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(
  JSON.stringify({
    width: 500,
    loadAverage: +loadavg()[0].toFixed(2),
    batch2000: Math.round(med(res[2000])),
    batch20000: Math.round(med(res[20000])),
    ratio: +(med(res[20000]) / med(res[2000])).toFixed(3),
    all: res,
  }),
);

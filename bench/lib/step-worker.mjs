// A worker thread that holds one Trainer (its own Wasm core) and runs training steps on request: the 2-core
// "sweep throughput" side of bench/train-step.mjs (two independent runs, one per core).
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';

const { distTrainer, config } = workerData;
const { Trainer } = await import(pathToFileURL(distTrainer).href);
const trainer = new Trainer(config);
parentPort.on('message', ({ steps }) => {
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) trainer.step();
  parentPort.postMessage({ seconds: (performance.now() - t0) / 1000 });
});
parentPort.postMessage({ ready: true });

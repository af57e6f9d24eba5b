// Training step of the paper's MLP (nTasks 500, n 100, k 3; width 100 and 500; batch 2000 and 20000): samples
// per second for our core (sparse first layer, SIMD kernels, batch generation included) against PyTorch CPU
// (1 and 2 threads), tfjs on its wasm backend and a plain TypeScript dense step (peers: fixed dense batch, the
// step alone). Ours on 1 thread is compared with the 1-thread peers; ours as a 2-worker pool (two independent
// runs, a sweep's throughput) with PyTorch on 2 threads.
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { alternate, calibrate, measurement, round } from './lib/harness.mjs';
import { loadOurs, ROOT } from './lib/ours.mjs';
import { PythonPeer } from './lib/python.mjs';
import { denseTsTrainStep } from './peers/dense-ts.mjs';
import { tfjsTrainStep } from './peers/tfjs-wasm.mjs';

export const description = 'training steps/s and samples/s: ours vs PyTorch CPU, tfjs-wasm, plain TS';

const TASK = { nTasks: 500, n: 100, k: 3, alpha: 0.4 };
/** Goals of the issue: >= 5x PyTorch and >= 50x tfjs-wasm at equal threads. */
const GOALS = { 'pytorch-cpu': 5, 'tfjs-wasm': 50 };

/** Seconds per step of `step`, one repetition = `calls` steps. */
function perStep(step, calls) {
  return () => {
    const t0 = performance.now();
    for (let i = 0; i < calls; i++) step();
    return (performance.now() - t0) / 1000 / calls;
  };
}

/** Dense-equivalent flops of one sample: forward 2P and weight gradient 2P (the convention of the issue's
 * 97 GFLOP/s for PyTorch), P = (nTasks + n + 3) width + 2. */
function denseFlopsPerSample(width) {
  return 4 * ((TASK.nTasks + TASK.n + 3) * width + 2);
}

/** Flops our sparse step really does per sample: first layer forward and gradient touch 1 + n/2 rows each
 * (one add per element), the output layer (2 outputs) costs about 12 width, plus the ReLU mask. */
function sparseFlopsPerSample(width) {
  return (2 * (1 + TASK.n / 2) + 14) * width;
}

async function openPool(runConfig, workers) {
  const distTrainer = join(ROOT, 'dist', 'train', 'trainer.js');
  const pool = [];
  for (let w = 0; w < workers; w++) {
    const worker = new Worker(new URL('./lib/step-worker.mjs', import.meta.url), {
      workerData: { distTrainer, config: { ...runConfig, seed: w } },
    });
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    pool.push(worker);
  }
  const stepsOn = (steps) =>
    Promise.all(
      pool.map(
        (worker) =>
          new Promise((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.postMessage({ steps });
          }),
      ),
    );
  return {
    /** Seconds per step-equivalent: wall time of `steps` steps on every worker, divided by the total steps. */
    rep: (steps) => async () => {
      const t0 = performance.now();
      await stepsOn(steps);
      return (performance.now() - t0) / 1000 / (steps * workers);
    },
    close: () => Promise.all(pool.map((w) => w.terminate())),
  };
}

export async function run(ctx) {
  const widths = [100, 500];
  const batches = [2000, 20000];
  const ours = await loadOurs('train/trainer.js', ['Trainer'], 'src/train/trainer.ts');
  const cfgMod = await loadOurs('train/config.js', ['DEFAULT_RUN'], 'src/train/config.ts');
  const limits = await ctx.getLimits();
  for (const width of widths) {
    for (const batch of batches) {
      const config = { ...TASK, width, batch };
      ctx.note(`train-step width ${width} batch ${batch}`);
      const contenders = {};
      const closers = [];
      const skips = {};
      const info = {};
      let ourSteps = 0;
      // ours, one thread (this one)
      let runConfig = null;
      if (ours.skipped || cfgMod.skipped) skips.ours = ours.skipped ?? cfgMod.skipped;
      else {
        runConfig = {
          ...cfgMod.mod.DEFAULT_RUN,
          ...TASK,
          width,
          batch,
          steps: 1e9,
          logEvery: 1e9,
          testPoints: 1000,
          testPointsPerTask: 1,
          seed: 0,
        };
        try {
          const trainer = new ours.mod.Trainer(runConfig);
          const step = () => trainer.step();
          ourSteps = await calibrate(step, 0.3);
          contenders.ours = perStep(step, ourSteps);
        } catch (e) {
          skips.ours = `ours: ${e.message}`;
          runConfig = null;
        }
      }
      // ours, a 2-worker pool (two independent runs)
      if (runConfig) {
        try {
          const pool = await openPool(runConfig, 2);
          closers.push(pool.close);
          contenders['ours-pool2'] = pool.rep(ourSteps);
        } catch (e) {
          skips['ours-pool2'] = `ours pool: ${e.message}`;
        }
      }
      // PyTorch, 1 and 2 threads
      for (const threads of [1, 2]) {
        const name = `pytorch-cpu-${threads}t`;
        const peer = new PythonPeer('train_step_torch.py', { OMP_NUM_THREADS: String(threads) });
        closers.push(() => peer.close());
        const r = await peer.setup({ ...config, threads, seed: 0, minSeconds: 0.3 });
        if (r.skipped) skips[name] = r.skipped;
        else {
          info[name] = r;
          contenders[name] = () => peer.run();
        }
      }
      // tfjs-wasm and plain TS (slow: plain TS at batch 20000 only with --full)
      try {
        const tf = await tfjsTrainStep(config);
        closers.push(tf.dispose);
        info['tfjs-wasm'] = tf.info;
        contenders['tfjs-wasm'] = perStep(tf.step, await calibrate(tf.step, 0.3, 1000));
      } catch (e) {
        skips['tfjs-wasm'] = `@tensorflow/tfjs-backend-wasm unavailable: ${e.message}`;
      }
      if (batch <= 2000 || ctx.full) {
        const ts = denseTsTrainStep(config);
        contenders['plain-ts'] = perStep(ts.step, 1);
      } else skips['plain-ts'] = 'plain-ts at batch 20000 takes ~20 s a step: run with --full';

      const { medians, seconds, errors } = await alternate(contenders, {
        warmup: ctx.warmup,
        reps: ctx.reps,
      });
      for (const close of closers) await close();

      const rate = (name) => (medians[name] === undefined ? null : batch / medians[name]);
      const pairs = [
        ['ours', 'pytorch-cpu-1t', 'pytorch-cpu', 1],
        ['ours-pool2', 'pytorch-cpu-2t', 'pytorch-cpu', 2],
        ['ours', 'tfjs-wasm', 'tfjs-wasm', 1],
        ['ours', 'plain-ts', 'plain-ts', 1],
      ];
      for (const [ourName, peerName, kind, threads] of pairs) {
        const skipped = skips[ourName] ?? skips[peerName] ?? errors[ourName] ?? errors[peerName];
        const rec = measurement(ctx, {
          bench: 'train-step',
          config: { ...config, oursAs: ourName },
          ours: rate(ourName),
          peer: rate(peerName),
          peerName,
          unit: 'samples/s',
          threads,
          extra: {
            oursStepsPerSec: round(medians[ourName] ? 1 / medians[ourName] : null),
            peerStepsPerSec: round(medians[peerName] ? 1 / medians[peerName] : null),
            goal: GOALS[kind] ? `>= ${GOALS[kind]}x` : null,
            reps: seconds[ourName]?.length ?? 0,
            ...(info[peerName] ? { peerInfo: info[peerName] } : {}),
            ...(skipped ? { skipped } : {}),
          },
        });
        if (GOALS[kind] && rec.ratio !== null) rec.goalMet = rec.ratio >= GOALS[kind];
        if (ourName === 'ours' && rate('ours') !== null) {
          rec.oursDenseEquivalentGflops = round((rate('ours') * denseFlopsPerSample(width)) / 1e9);
          rec.oursSparseGflops = round((rate('ours') * sparseFlopsPerSample(width)) / 1e9);
          if (!limits.skipped) rec.oursFractionOfF32Peak = round(rec.oursSparseGflops / limits.f32Gflops, 3);
        }
        if (kind === 'pytorch-cpu' && rate(peerName) !== null) {
          rec.peerDenseGflops = round((rate(peerName) * denseFlopsPerSample(width)) / 1e9);
        }
        ctx.emit(rec);
      }
    }
  }
}

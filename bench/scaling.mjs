// Scaling: (1) the worker pool's sweep throughput on all cores against one worker (src/scaling/pool.ts
// TrainingPool, a sweep of independent runs; goal >= 1.8x on 2 cores); (2) how the training step and the QDG
// stages grow with width, batch and S, as log-log slopes against the expected complexity.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { alternate, calibrate, logLogSlope, measurement, median, round } from './lib/harness.mjs';
import { loadOurs } from './lib/ours.mjs';

export const description =
  'worker-pool efficiency of a sweep; growth of the training step and QDG stages (log-log)';

const TASK = { nTasks: 500, n: 100, k: 3, alpha: 0.4 };

async function poolEfficiency(ctx) {
  const pool = await loadOurs('scaling/pool.js', ['TrainingPool'], 'src/scaling/pool.ts');
  const cfg = await loadOurs('train/config.js', ['DEFAULT_RUN'], 'src/train/config.ts');
  const cores = availableParallelism();
  const runs = 2 * cores;
  const config = { runs, cores, run: 'nTasks 500, n 100, width 100, batch 2000, 150 steps, 3 log steps' };
  const skipped = pool.skipped ?? cfg.skipped;
  if (skipped) return ctx.emit({ bench: 'scaling', config: { ...config, series: 'pool' }, skipped });
  const dir = mkdtempSync(join(tmpdir(), 'quanta-bench-pool-'));
  const pools = {};
  try {
    for (const workers of [1, cores]) pools[workers] = await pool.mod.TrainingPool.open({ workers });
    const sweep = (workers) => async () => {
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: runs }, (_, i) =>
          pools[workers].train({
            id: `w${workers}-r${i}`,
            recordPath: join(dir, `w${workers}-r${i}.json`),
            config: {
              ...cfg.mod.DEFAULT_RUN,
              ...TASK,
              width: 100,
              batch: 2000,
              steps: 150,
              logEvery: 50,
              testPoints: 2000,
              testPointsPerTask: 10,
              seed: i,
            },
          }),
        ),
      );
      return (performance.now() - t0) / 1000;
    };
    const { medians, errors } = await alternate(
      { one: sweep(1), all: sweep(cores) },
      { warmup: ctx.warmup, reps: ctx.reps },
    );
    const rec = measurement(ctx, {
      bench: 'scaling',
      config: { ...config, series: 'pool' },
      ours: medians.all,
      peer: medians.one,
      peerName: 'the same sweep on 1 worker',
      unit: 's',
      threads: cores,
      extra: {
        goal: `>= ${(0.9 * cores).toFixed(1)}x on ${cores} cores`,
        efficiency: null,
        ...(errors.one || errors.all ? { skipped: errors.all ?? errors.one } : {}),
      },
    });
    if (rec.ratio !== null) {
      rec.efficiency = round(rec.ratio / cores, 3);
      rec.goalMet = rec.ratio >= 0.9 * cores;
    }
    ctx.emit(rec);
  } finally {
    for (const p of Object.values(pools)) await p.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Emits each point and the series' log-log slope against the expected exponent. */
function emitSeries(ctx, series, xName, xs, seconds, expected, fixed) {
  for (let i = 0; i < xs.length; i++) {
    ctx.emit({
      bench: 'scaling',
      config: { series, ...fixed, [xName]: xs[i] },
      ours: round(seconds[i]),
      peer: null,
      peerName: null,
      ratio: null,
      unit: 's',
      threads: 1,
    });
  }
  ctx.emit({
    bench: 'scaling',
    config: { series, ...fixed, [xName]: xs },
    ours: round(logLogSlope(xs, seconds), 3),
    peer: null,
    peerName: null,
    ratio: null,
    unit: 'log-log slope',
    threads: 1,
    expected,
  });
}

async function stepGrowth(ctx) {
  const tr = await loadOurs('train/trainer.js', ['Trainer'], 'src/train/trainer.ts');
  const cfg = await loadOurs('train/config.js', ['DEFAULT_RUN'], 'src/train/config.ts');
  if (tr.skipped || cfg.skipped)
    return ctx.emit({
      bench: 'scaling',
      config: { series: 'train-step' },
      skipped: tr.skipped ?? cfg.skipped,
    });
  const stepSeconds = async (width, batch) => {
    const trainer = new tr.mod.Trainer({
      ...cfg.mod.DEFAULT_RUN,
      ...TASK,
      width,
      batch,
      steps: 1e9,
      logEvery: 1e9,
      testPoints: 1000,
      testPointsPerTask: 1,
    });
    const step = () => trainer.step();
    const calls = await calibrate(step, 0.2);
    const xs = [];
    for (let r = 0; r < ctx.reps; r++) {
      const t0 = performance.now();
      for (let i = 0; i < calls; i++) step();
      xs.push((performance.now() - t0) / 1000 / calls);
    }
    return median(xs);
  };
  const widths = ctx.full ? [50, 100, 200, 500, 1000] : [100, 200, 500, 1000];
  const wSeconds = [];
  for (const w of widths) wSeconds.push(await stepSeconds(w, 2000));
  emitSeries(ctx, 'train-step vs width', 'width', widths, wSeconds, 1, { ...TASK, batch: 2000 });
  const batches = ctx.full ? [500, 2000, 8000, 20000] : [500, 2000, 8000];
  const bSeconds = [];
  for (const b of batches) bSeconds.push(await stepSeconds(500, b));
  emitSeries(ctx, 'train-step vs batch', 'batch', batches, bSeconds, 1, { ...TASK, width: 500 });
}

async function qdgGrowth(ctx) {
  const arena = await loadOurs('core/arena.js', ['Core'], 'src/core/arena.ts');
  const fg = await loadOurs('qdg/factored-gram.js', ['perSampleGradientGram'], 'src/qdg/factored-gram.ts');
  const gram = await loadOurs('qdg/gram.js', ['cosineFromGram'], 'src/qdg/gram.ts');
  const pipe = await loadOurs(
    'qdg/pipeline.js',
    ['spectralClusterings', 'affinityFromCosine'],
    'src/qdg/pipeline.ts',
  );
  const config = await loadOurs('qdg/config.js', ['qdgConfig'], 'src/qdg/config.ts');
  const model = await loadOurs('train/model.js', ['Mlp'], 'src/train/model.ts');
  const task = await loadOurs('parity/task.js', ['SparseParityTask'], 'src/parity/task.ts');
  const batch = await loadOurs('parity/batch.js', ['ParityBatch'], 'src/parity/batch.ts');
  const skipped = [arena, fg, gram, pipe, config, model, task, batch].find((m) => m.skipped)?.skipped;
  if (skipped) return ctx.emit({ bench: 'scaling', config: { series: 'qdg stages' }, skipped });
  const sizes = ctx.full ? [1000, 2000, 4000, 8000] : [1000, 2000, 4000];
  const clusters = [10, 20, 40];
  const width = 100;
  const stages = { gram: [], affinity: [], embedding: [], kmeans: [] };
  for (const S of sizes) {
    const runs = { gram: [], affinity: [], embedding: [], kmeans: [] };
    const core = new arena.mod.Core();
    const t = new task.mod.SparseParityTask({ ...TASK, seed: 0 });
    const b = new batch.mod.ParityBatch(core, t, S, 0);
    b.trainBatch(S, 0);
    const mlp = new model.mod.Mlp(
      core,
      {
        inputSize: TASK.nTasks + TASK.n,
        width,
        depth: 2,
        outputs: 2,
        activation: 'relu',
        seed: 0,
        denseBits: TASK.n,
      },
      Math.min(S, 8192),
    );
    for (let r = 0; r < ctx.reps; r++) {
      const mark = core.mark();
      let t0 = performance.now();
      const { gramPtr } = fg.mod.perSampleGradientGram(
        core,
        mlp,
        { kind: 'sparse', offsets: b.offsets, indices: b.indices },
        b.labels,
        S,
      );
      gram.mod.cosineFromGram(core, gramPtr, S);
      runs.gram.push((performance.now() - t0) / 1000);
      const timing = {};
      pipe.mod.affinityFromCosine(core, gramPtr, S, timing);
      const a = pipe.mod.spectralClusterings(
        core,
        gramPtr,
        config.mod.qdgConfig({ clusters, nInit: 10, seed: 0 }, S),
        { timing },
      );
      runs.affinity.push(a.timing.affinity);
      runs.embedding.push(a.timing.embedding);
      runs.kmeans.push(a.timing.kmeans);
      core.release(mark);
    }
    for (const k of Object.keys(stages)) stages[k].push(median(runs[k]));
  }
  const fixed = { width, clusters, nInit: 10 };
  emitSeries(ctx, 'qdg factored gram + cosine vs S', 'S', sizes, stages.gram, 2, fixed);
  emitSeries(ctx, 'qdg affinity vs S', 'S', sizes, stages.affinity, 2, fixed);
  emitSeries(ctx, 'qdg embedding (Lanczos, K 40) vs S', 'S', sizes, stages.embedding, 2, fixed);
  emitSeries(ctx, 'qdg k-means (3 K values) vs S', 'S', sizes, stages.kmeans, 1, fixed);
}

export async function run(ctx) {
  ctx.note('scaling: worker pool');
  await poolEfficiency(ctx);
  ctx.note('scaling: training step growth');
  await stepGrowth(ctx);
  ctx.note('scaling: QDG stage growth');
  await qdgGrowth(ctx);
}

// `quanta sweep --dry-run`: how many core-hours a plan needs, from measured throughput. For each distinct run
// shape (task size, width, depth, samples per step) a short calibration run times a few optimiser steps and one
// reduced evaluation on this machine; each run's time is then steps x step time + logs x evaluation samples x
// time per evaluation sample. Nothing is written. The schedule of those seconds onto cores, array tasks and their
// workers is ./estimate.ts.
import { Core } from '../core/arena.js';
import { parseRunConfig, trainBatchSize, type RunConfig } from '../train/config.js';
import { Trainer } from '../train/trainer.js';
import { evalSamples, logCount, type PlannedRun } from './plan.js';

/** Calibration time per shape: steps are timed until this many seconds have passed (at least 2 steps). */
export const CALIBRATION_SECONDS = 0.3;

export interface CalibrationOptions {
  /** Seconds of timed steps per shape (default CALIBRATION_SECONDS; at least 2 steps are timed anyway). */
  secondsPerShape?: number;
}

/** Evaluation samples in a calibration (the cost of an evaluation is linear in its samples). */
const CALIBRATION_EVAL_SAMPLES = 8192;

export interface ShapeTiming {
  shape: string;
  stepSeconds: number;
  evalSampleSeconds: number;
  /** Training samples per second at this shape. */
  samplesPerSecond: number;
}

export interface SweepEstimate {
  runs: number;
  coreSeconds: number;
  coreHours: number;
  perRun: { id: string; seconds: number }[];
  shapes: ShapeTiming[];
  /** The timed-steps budget per shape that was used (--calibration-seconds). */
  calibrationSecondsPerShape: number;
  /** How long the whole calibration took here (warm-up, steps and evaluations of every shape). */
  calibrationWallSeconds: number;
  /**
   * The share of one core the calibration got: this process's CPU seconds over its wall seconds (Node only;
   * absent in a browser). Well below 1, other work was running and every time above is longer than an idle
   * machine's by about 1 / share.
   */
  calibrationCpuShare?: number;
}

function shapeOf(c: RunConfig): string {
  return `nTasks ${c.nTasks}, n ${c.n}, k ${c.k}, width ${c.width}, depth ${c.depth} ${c.activation}, batch ${trainBatchSize(c)}`;
}

function calibrate(c: RunConfig, core: Core, seconds: number): ShapeTiming {
  const batch = trainBatchSize(c);
  const config: RunConfig = {
    ...c,
    data: null,
    batch,
    steps: 1e9,
    testPoints: Math.min(c.testPoints, CALIBRATION_EVAL_SAMPLES / 2),
    testPointsPerTask: Math.max(
      1,
      Math.min(c.testPointsPerTask, Math.floor(CALIBRATION_EVAL_SAMPLES / 2 / c.nTasks)),
    ),
  };
  const mark = core.mark();
  try {
    const trainer = new Trainer(parseRunConfig(config, core), core);
    trainer.step(); // warm-up: first touches of memory, JIT
    trainer.evaluate(0);
    const t0 = performance.now();
    let steps = 0;
    while (steps < 2 || (performance.now() - t0) / 1000 < seconds) {
      trainer.step();
      steps++;
    }
    const stepSeconds = (performance.now() - t0) / 1000 / steps;
    const e0 = performance.now();
    trainer.evaluate(1);
    const evalSampleSeconds = (performance.now() - e0) / 1000 / evalSamples(config);
    return { shape: shapeOf(c), stepSeconds, evalSampleSeconds, samplesPerSecond: batch / stepSeconds };
  } finally {
    core.release(mark);
  }
}

/** Estimates the core time of `runs` by calibrating each distinct shape once on this machine. */
export function estimateSweep(
  runs: PlannedRun[],
  onShape?: (done: number, total: number) => void,
  options: CalibrationOptions = {},
): SweepEstimate {
  const secondsPerShape = options.secondsPerShape ?? CALIBRATION_SECONDS;
  if (!(secondsPerShape >= 0 && Number.isFinite(secondsPerShape)))
    throw new RangeError(
      `calibration seconds per shape must be a finite number >= 0, got ${secondsPerShape}`,
    );
  const start = performance.now();
  const cpu0 = cpuSeconds();
  const byShape = new Map<string, RunConfig>();
  for (const r of runs) if (!byShape.has(shapeOf(r.config))) byShape.set(shapeOf(r.config), r.config);
  const core = new Core();
  const timings = new Map<string, ShapeTiming>();
  let done = 0;
  for (const [shape, config] of byShape) {
    timings.set(shape, calibrate(config, core, secondsPerShape));
    onShape?.(++done, byShape.size);
  }
  const perRun = runs.map((r) => {
    const t = timings.get(shapeOf(r.config)) as ShapeTiming;
    const seconds =
      r.config.steps * t.stepSeconds + logCount(r.config) * evalSamples(r.config) * t.evalSampleSeconds;
    return { id: r.id, seconds };
  });
  const coreSeconds = perRun.reduce((a, r) => a + r.seconds, 0);
  const wall = (performance.now() - start) / 1000;
  const cpu1 = cpuSeconds();
  return {
    runs: runs.length,
    coreSeconds,
    coreHours: coreSeconds / 3600,
    perRun,
    shapes: [...timings.values()],
    calibrationSecondsPerShape: secondsPerShape,
    calibrationWallSeconds: wall,
    ...(cpu0 !== undefined && cpu1 !== undefined && wall > 0
      ? { calibrationCpuShare: (cpu1 - cpu0) / wall }
      : {}),
  };
}

/** This process's user + system CPU seconds (Node), or undefined (a browser). */
function cpuSeconds(): number | undefined {
  const usage = (
    globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }
  ).process?.cpuUsage?.();
  return usage ? (usage.user + usage.system) / 1e6 : undefined;
}

// Synthetic run records with planted power laws and planted emergence, for the analysis and report tests.
// Quantum k (rank k) drops from chance (ln 2 nats) to ~0 at a planted time: step T k^(alpha+1) in
// single-epoch runs (so alpha_S = alpha/(alpha+1) and convergence ~ p_k^-1), and once D p_k >= tau in
// multi-epoch runs (so alpha_D = alpha/(alpha+1) and n(D) ~ D^(1/(alpha+1))).
import { DEFAULT_RUN, type RunConfig } from '../src/train/config.js';
import type { RunRecord } from '../src/train/record.js';
import { subtaskProbabilities } from '../src/parity/task.js';
import { CounterRandom } from '../src/core/rng.js';

const LEARNED_NATS = 0.001;

export function syntheticRecord(config: RunConfig, subtaskLoss: number[][], meanLoss?: number[]): RunRecord {
  const p = subtaskProbabilities(config.nTasks, config.alpha);
  const means = meanLoss ?? subtaskLoss.map((row) => row.reduce((acc, l, i) => acc + p[i] * l, 0));
  const steps = subtaskLoss.map((_, i) => i * config.logEvery);
  return {
    kind: 'quanta-run',
    schema: 1,
    config,
    parameters: (config.nTasks + config.n + 3) * config.width + 2,
    version: 'test',
    seed: config.seed,
    trainingSamples: config.data ?? config.steps * config.batch,
    log: {
      steps,
      meanLoss: means,
      accuracy: means.map(() => 0.5),
      subtaskLoss,
      subtaskAccuracy: subtaskLoss.map((row) => row.map(() => 0.5)),
    },
    timing: { seconds: 1, trainSeconds: 1, evalSeconds: 0, samplesPerSecond: 1, stepsPerSecond: 1 },
    createdAt: '2024-01-01T00:00:00.000Z',
  };
}

export interface PlantOptions {
  alpha: number;
  nTasks?: number;
  seeds?: number[];
  /** Multiplicative log-normal noise on the planted N losses (sigma of ln). */
  noise?: number;
}

/**
 * Single-epoch N sweep: the last logged mean loss of width w is planted as c N^-alpha bits; the widest run
 * carries a planted emergence curve (quantum k learned at step T k^(alpha+1), T = 50).
 */
export function plantedSingleEpoch(o: PlantOptions): RunRecord[] {
  const nTasks = o.nTasks ?? 200;
  const widths = [8, 16, 32, 64, 128, 256];
  const out: RunRecord[] = [];
  for (const seed of o.seeds ?? [0]) {
    const rng = new CounterRandom(seed, 77);
    for (const width of widths) {
      const config: RunConfig = {
        ...DEFAULT_RUN,
        nTasks,
        alpha: o.alpha,
        width,
        seed,
        steps: 20_000,
        logEvery: 100,
        data: null,
      };
      const logs = config.steps / config.logEvery;
      const rows: number[][] = [];
      for (let j = 0; j < logs; j++) {
        const step = j * config.logEvery;
        rows.push(
          Array.from({ length: nTasks }, (_, i) =>
            step >= 50 * Math.pow(i + 1, o.alpha + 1) ? LEARNED_NATS : Math.LN2,
          ),
        );
      }
      // the mean curve is planted as an exact power law in S (2 S^-(alpha/(alpha+1)) bits, chance at step 0);
      // the per-subtask curves carry the planted emergence
      const sExponent = o.alpha / (o.alpha + 1);
      const mean = rows.map((_, j) =>
        j === 0 ? Math.LN2 : 2 * Math.pow(j * config.logEvery, -sExponent) * Math.LN2,
      );
      const record = syntheticRecord(config, rows, mean);
      // plant the N law on the last logged loss (the S curve keeps every earlier step)
      const bits = 20 * Math.pow(record.parameters, -o.alpha) * Math.exp((o.noise ?? 0) * rng.nextGaussian());
      record.log.meanLoss[record.log.meanLoss.length - 1] = bits * Math.LN2;
      out.push(record);
    }
  }
  return out;
}

/**
 * Multi-epoch D sweep: quantum k is learned when D p_k >= tau (tau 20). The mean loss is lowest at log index 1
 * (the early-stopping point) and rises after it, where the rare subtasks overfit; with `lateLearner`, the first
 * unlearned subtask is learned only after the early-stopping point (it counts in n(D), SPEC 3.4).
 */
export function plantedMultiEpoch(o: PlantOptions & { lateLearner?: boolean }): RunRecord[] {
  const nTasks = o.nTasks ?? 200;
  const p = subtaskProbabilities(nTasks, o.alpha);
  const Ds = Array.from({ length: 14 }, (_, i) => Math.round(200 * Math.pow(10, i * 0.25)));
  const out: RunRecord[] = [];
  for (const seed of o.seeds ?? [0]) {
    for (const D of Ds) {
      const config: RunConfig = {
        ...DEFAULT_RUN,
        nTasks,
        alpha: o.alpha,
        width: 256,
        seed,
        steps: 300,
        logEvery: 100,
        data: D,
      };
      const chance = Array.from({ length: nTasks }, () => Math.LN2);
      const atMin = chance.map((l, i) => (D * p[i] >= 20 ? LEARNED_NATS : l));
      const firstUnlearned = atMin.findIndex((l) => l > LEARNED_NATS);
      const after = atMin.map((l, i) =>
        o.lateLearner && i === firstUnlearned ? LEARNED_NATS : l > LEARNED_NATS ? 1.2 * l : l,
      );
      // the minimum mean loss is planted: chance (1 bit) up to D = 2000, then exactly (D/2000)^-(alpha/(alpha+1))
      const lowest = Math.min(1, Math.pow(D / 2000, -o.alpha / (o.alpha + 1))) * Math.LN2;
      out.push(syntheticRecord(config, [chance, atMin, after], [Math.LN2 * 1.01, lowest, lowest + 0.05]));
    }
  }
  return out;
}

// A training run's configuration: every field of `quanta train`, with the reference script's defaults where
// the paper does not override them (SPEC.md 1.1 and 2), and validation that rejects impossible runs before
// any work starts.
import { require, requireInt, requireNumber } from '../core/errors.js';
import { validateTask } from '../parity/task.js';

export type Activation = 'relu' | 'tanh' | 'sigmoid';

export interface RunConfig {
  /** Number of subtasks (quanta). */
  nTasks: number;
  /** Task bits. */
  n: number;
  /** Parity arity. */
  k: number;
  /** The paper's alpha: p_k proportional to k^-(alpha+1). */
  alpha: number;
  /** Hidden width. */
  width: number;
  /** Number of Linear layers (2 = one hidden layer, as in every paper experiment). */
  depth: number;
  activation: Activation;
  /** Samples per optimiser step. */
  batch: number;
  /** Optimiser steps. */
  steps: number;
  lr: number;
  weightDecay: number;
  /** One seed for the subsets, the init, the batches and the test sets. */
  seed: number;
  /** Evaluate every this many steps (before that step's update); the first log is step 0. */
  logEvery: number;
  /** Size of the exact-frequency test batch for the mean test loss (counts floor(p_i * testPoints)). */
  testPoints: number;
  /** Fresh samples of each subtask for the per-subtask losses. */
  testPointsPerTask: number;
  /** Multi-epoch training on one fixed set of this many samples, or null for fresh samples every step. */
  data: number | null;
}

/**
 * Defaults for `quanta train`: the paper's task (500 subtasks, 100 bits, k 3, alpha 0.4) is too slow for a
 * first run on a laptop, so the default is a scaled-down task that still shows emergence in about a minute.
 */
export const DEFAULT_RUN: RunConfig = {
  nTasks: 100,
  n: 30,
  k: 3,
  alpha: 0.4,
  width: 128,
  depth: 2,
  activation: 'relu',
  batch: 2000,
  steps: 6000,
  lr: 1e-3,
  weightDecay: 0,
  seed: 0,
  logEvery: 50,
  testPoints: 30_000,
  testPointsPerTask: 200,
  data: null,
};

export function validateRunConfig(c: RunConfig): void {
  validateTask({ nTasks: c.nTasks, n: c.n, k: c.k, alpha: c.alpha, seed: c.seed });
  requireInt(c.width, 'width (--width)', 1, 1_000_000);
  requireInt(c.depth, 'depth (--depth, number of Linear layers)', 2, 64);
  require(['relu', 'tanh', 'sigmoid'].includes(
    c.activation,
  ), `activation must be relu, tanh or sigmoid, got ${c.activation}`);
  requireInt(c.batch, 'batch (--batch)', 1, 10_000_000);
  requireInt(c.steps, 'steps (--steps)', 1, 1e12);
  requireNumber(c.lr, 'lr (--lr)', 0, Infinity, true);
  requireNumber(c.weightDecay, 'weight decay (--weight-decay)', 0);
  requireInt(c.logEvery, 'log interval (--log-every)', 1, 1e12);
  requireInt(c.testPoints, 'test points (--test-points)', 1, 1e9);
  requireInt(c.testPointsPerTask, 'test points per task (--test-points-per-task)', 1, 1e7);
  if (c.data !== null) requireInt(c.data, 'dataset size (--data)', 1, 2 ** 32 - 1);
}

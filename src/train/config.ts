// A training run's configuration: every field of `quanta train`, with the reference script's defaults where
// the paper does not override them (SPEC.md 1.1 and 2), and the one edge where a run is validated
// (DESIGN.md, "validate once, at the edge"): validateRun turns a RunConfig into a ValidRunConfig, every field
// in range by the rules below (one bound and one wording each, whichever command the value came from) and its
// buffers within Wasm's 4 GiB. The Trainer, the sweep pool and the estimates take ValidRunConfig and check
// nothing again.
import { formatBytes, type Core } from '../core/arena.js';
import { planBytes, type BufferPlan, type BufferSpec } from '../core/buffers.js';
import { MAX_MEMORY_BYTES } from '../core/wasm.js';
import { require, requireInt, requireNumber } from '../core/errors.js';
import { parityBatchPlan } from '../parity/batch.js';
import { validateTask } from '../parity/task.js';
import {
  ACTIVATIONS,
  MAX_WIDTH,
  mlpPlan,
  parameterLayout,
  type Activation,
  type MlpConfig,
} from './layout.js';
import { adamwPlan } from './optimizer.js';

export type { Activation } from './layout.js';

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
  /**
   * Stop early, at the first log step t with t >= factor * t_min + extra, t_min the step of the lowest mean
   * test loss logged so far (the first on ties). For multi-epoch runs, whose D fit takes the minimum over time:
   * a departure from the reference, which runs every step (README, "Stopping a multi-epoch run after its
   * minimum"). Absent (the default): every step runs, and the config's JSON has no such key.
   */
  stopAfterMinimum?: StopAfterMinimum;
}

/** The early-stopping rule of RunConfig.stopAfterMinimum. */
export interface StopAfterMinimum {
  /** At least 1. */
  factor: number;
  /** Steps, an integer >= 0. */
  extra: number;
}

/** Two values of one config field are the same: equal scalars, or objects whose JSON is the same. */
function sameFieldValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  return typeof a === 'object' && typeof b === 'object' && a !== null && b !== null
    ? JSON.stringify(a) === JSON.stringify(b)
    : false;
}

/**
 * The fields in which two run configs differ, each as `name <have> there, <want> <asked>` (empty when they are
 * the same run). Fields compare by value, so a config read back from JSON equals the one it was written from.
 */
export function runConfigDifferences(have: RunConfig, want: RunConfig, asked: string): string[] {
  const h = have as unknown as Record<string, unknown>;
  const w = want as unknown as Record<string, unknown>;
  const diffs: string[] = [];
  for (const key of new Set([...Object.keys(h), ...Object.keys(w)])) {
    if (!sameFieldValue(h[key], w[key]))
      diffs.push(`${key} ${JSON.stringify(h[key])} there, ${JSON.stringify(w[key])} ${asked}`);
  }
  return diffs;
}

/** True when the rule stops a run at log step `step` whose lowest logged mean test loss was at `minStep`. */
export function stopsAfterMinimum(rule: StopAfterMinimum, step: number, minStep: number): boolean {
  return step >= rule.factor * minStep + rule.extra;
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

declare const valid: unique symbol;

/** A RunConfig that passed validateRun: every field in range and its buffers fit in Wasm memory. */
export type ValidRunConfig = RunConfig & { readonly [valid]: true };

type IntField =
  'width' | 'depth' | 'batch' | 'steps' | 'logEvery' | 'testPoints' | 'testPointsPerTask' | 'data';

/** The integer fields' rules: the name users see (with every flag that sets it) and the inclusive range. */
const INT_FIELDS: Record<IntField, [label: string, min: number, max: number]> = {
  width: ["width (--width; a sweep's --widths, --data-width)", 1, MAX_WIDTH],
  depth: ['depth (--depth, number of Linear layers)', 2, 64],
  batch: ['batch (--batch)', 1, 10_000_000],
  steps: ['steps (--steps)', 1, 1e12],
  logEvery: ['log interval (--log-every)', 1, 1e12],
  testPoints: ['test points (--test-points)', 1, 1e9],
  testPointsPerTask: ['test points per task (--test-points-per-task)', 1, 1e7],
  data: ["dataset size (--data; a sweep's --data-sizes)", 1, 2 ** 32 - 1],
};

/**
 * Checks the given fields of a run (not the task's: validateTask), each by its one rule. A sweep checks the
 * values of its lists with it (a width list's values, say, even those no planned run uses).
 */
export function checkRunFields(c: Partial<RunConfig>): void {
  for (const [field, [label, min, max]] of Object.entries(INT_FIELDS) as [
    IntField,
    [string, number, number],
  ][]) {
    const x = c[field];
    if (x !== undefined && x !== null) requireInt(x, label, min, max);
  }
  if (c.lr !== undefined) requireNumber(c.lr, 'lr (--lr)', 0, Infinity, true);
  if (c.weightDecay !== undefined) requireNumber(c.weightDecay, 'weight decay (--weight-decay)', 0);
  if (c.stopAfterMinimum !== undefined) {
    const r = c.stopAfterMinimum;
    require(typeof r === 'object' &&
      r !== null, 'stopAfterMinimum (--stop-after-minimum) must be { factor, extra }');
    requireNumber(r.factor, 'the factor of --stop-after-minimum', 1, 1e6);
    requireInt(r.extra, 'the extra steps of --stop-after-minimum', 1, 1e12);
  }
  if (c.activation !== undefined)
    require((ACTIVATIONS as readonly string[]).includes(
      c.activation,
    ), `activation (--activation) must be ${ACTIVATIONS.join(', ')}, got '${c.activation}'`);
}

/** Every field of a run (the task's and the trainer's), without the memory plan. */
export function validateRunConfig(c: RunConfig): void {
  validateTask({ nTasks: c.nTasks, n: c.n, k: c.k, alpha: c.alpha, seed: c.seed });
  checkRunFields(c);
  require(c.stopAfterMinimum === undefined ||
    c.data !==
      null, '--stop-after-minimum stops multi-epoch runs (--data D), whose loss is the minimum over time; this run has fresh samples every step');
}

/** Samples evaluated per forward pass at log steps (bounds the evaluation buffers). */
export const EVAL_CHUNK = 8192;

/** The model of a run: the sparse-parity MLP, with the task bits through the byte-table first layer. */
export function modelConfigOf(c: RunConfig): MlpConfig {
  return {
    inputSize: c.nTasks + c.n,
    width: c.width,
    depth: c.depth,
    outputs: 2,
    activation: c.activation,
    seed: c.seed,
    // the task bits are i.i.d. fair bits: the byte-table first layer (src/train/sparse-first-layer.ts) applies
    denseBits: c.n,
  };
}

/** Samples per training step: the batch, or the whole dataset when it is smaller (multi-epoch). */
export function trainBatchSize(c: RunConfig): number {
  return c.data === null ? c.batch : Math.min(c.batch, c.data);
}

/** The Trainer's own buffers (beside its model's, optimiser's and batches'), in allocation order. */
export function trainerOwnPlan(
  c: RunConfig,
): BufferSpec<'loss' | 'correct' | 'permutation' | 'shuffleWords'>[] {
  return [
    { name: 'loss', bytes: 4 * EVAL_CHUNK }, // f32 per-sample losses of an evaluation chunk
    { name: 'correct', bytes: 4 * EVAL_CHUNK }, // i32 0/1 per sample
    ...(c.data === null
      ? []
      : [
          { name: 'permutation' as const, bytes: 4 * c.data }, // u32: this epoch's order of the dataset
          { name: 'shuffleWords' as const, bytes: 16 * Math.ceil(c.data / 4) }, // u32: its random words
        ]),
  ];
}

/**
 * Every buffer a run allocates, component by component in the Trainer's order: the model (mlpPlan), AdamW's
 * moments (adamwPlan), the training and evaluation batches (parityBatchPlan) and the trainer's own. Each
 * component allocates its part from the same function, so trainerBytes cannot drift from what is allocated.
 */
export function trainerPlan(c: RunConfig): BufferPlan {
  const model = modelConfigOf(c);
  const batch = trainBatchSize(c);
  const prefix = (p: string, plan: BufferPlan) => plan.map((b) => ({ ...b, name: `${p}.${b.name}` }));
  return [
    ...prefix('model', mlpPlan(model, Math.max(batch, EVAL_CHUNK))),
    ...prefix('adamw', adamwPlan(parameterLayout(model).floats)),
    ...prefix('train', parityBatchPlan(c, batch)),
    ...prefix('eval', parityBatchPlan(c, EVAL_CHUNK)),
    ...trainerOwnPlan(c),
  ];
}

/** Wasm bytes that a run needs: model, optimiser state, training and evaluation buffers. */
export function trainerBytes(c: RunConfig): number {
  return planBytes(trainerPlan(c));
}

/** Bytes a fresh core can give a run: 4 GiB less 1 MiB for the module's static data and stack. */
const FRESH_CORE_BYTES = MAX_MEMORY_BYTES - (1 << 20);

/**
 * The edge: validates a run completely (every field, then the memory plan against `core`'s free memory, or a
 * fresh core's) before any work starts, and returns it as a ValidRunConfig. Throws a ConfigError (exit 2).
 */
export function parseRunConfig(c: RunConfig, core?: Core): ValidRunConfig {
  validateRunConfig(c);
  const need = trainerBytes(c);
  const available = core ? core.available : FRESH_CORE_BYTES;
  require(need <=
    available, `this run needs about ${formatBytes(need)} of Wasm memory and only ${formatBytes(available)} is addressable; reduce --width, --batch or --data`);
  parsed.add(c);
  return c as ValidRunConfig;
}

/** Configs that came through parseRunConfig (the library edge: a JavaScript caller may skip it). */
const parsed = new WeakSet<RunConfig>();

/**
 * The config as a ValidRunConfig: as is when it came through parseRunConfig, else parsed now. For the public
 * constructors (Trainer, trainRun), whose JavaScript callers the type system cannot hold to the edge.
 */
export function asValidRunConfig(c: RunConfig, core?: Core): ValidRunConfig {
  return parsed.has(c) ? (c as ValidRunConfig) : parseRunConfig(c, core);
}

/** parseRunConfig as an assertion: after `validateRun(config)`, `config` is a ValidRunConfig. */
export function validateRun(c: RunConfig, core?: Core): asserts c is ValidRunConfig {
  parseRunConfig(c, core);
}

// The sweep plan: a preset plus the user's overrides, expanded into the list of runs, each with a readable id
// that is a pure function of its config (N-a0.4-w128-s0, D-a0.4-D100000-s0). The plan is what DIR/sweep.json
// holds. Sharding (`--shard i/n`) splits the plan's runs into n disjoint slices by a stable assignment over
// the naturally sorted run ids, so every shard of a Slurm array or Kubernetes indexed Job agrees on it.
import { ConfigError, require } from '../core/errors.js';
import { checkAlpha, checkSeed } from '../parity/task.js';
import {
  checkRunFields,
  parseRunConfig,
  trainBatchSize,
  type RunConfig,
  type ValidRunConfig,
  type StopAfterMinimum,
} from '../train/config.js';
import { presetSettings, PRESETS, type FitWindows, type PresetName } from './presets.js';

export const SWEEP_KINDS = ['N', 'S', 'D', 'alpha', 'all'] as const;
export type SweepKind = (typeof SWEEP_KINDS)[number];

export interface PlannedRun {
  id: string;
  config: ValidRunConfig;
}

/** DIR/sweep.json: the layout agreed with the analysis (src/scaling/analysis.ts). */
export interface SweepPlan {
  kind: SweepKind;
  preset: PresetName;
  /** The single-epoch base config (N and S runs: width varies). */
  base: RunConfig;
  /** The multi-epoch base config (D runs: data varies at a fixed width). */
  dataBase: RunConfig;
  alphas: number[];
  widths: number[];
  dataSizes: number[];
  seeds: number[];
  dataAlphas: number[];
  dataSeeds: number[];
  runs: PlannedRun[];
  fitWindows?: FitWindows;
}

/** The user's changes to a preset. Lists replace the preset's; `base` patches both base configs (API only). */
export interface SweepOverrides {
  alphas?: number[];
  widths?: number[];
  dataSizes?: number[];
  seeds?: number[];
  steps?: number;
  logEvery?: number;
  dataWidth?: number;
  /** The early-stopping rule of the multi-epoch (D) runs (RunConfig.stopAfterMinimum); none by default. */
  stopAfterMinimum?: StopAfterMinimum;
  base?: Partial<RunConfig>;
  fitWindows?: FitWindows;
}

/** A readable id that is a function of the config: the swept variables (alpha, width or D, seed). */
export function runId(c: RunConfig): string {
  return c.data === null ? `N-a${c.alpha}-w${c.width}-s${c.seed}` : `D-a${c.alpha}-D${c.data}-s${c.seed}`;
}

function checkKind(kind: string): asserts kind is SweepKind {
  require((SWEEP_KINDS as readonly string[]).includes(
    kind,
  ), `unknown sweep kind '${kind}': use one of ${SWEEP_KINDS.join(', ')}`);
}

function checkPreset(preset: string): asserts preset is PresetName {
  require((PRESETS as readonly string[]).includes(
    preset,
  ), `unknown preset '${preset}': use one of ${PRESETS.join(', ')}`);
}

function checkList(xs: number[] | undefined, name: string, check: (x: number) => void): void {
  if (xs === undefined) return;
  require(Array.isArray(xs) && xs.length > 0, `${name} must not be empty`);
  xs.forEach(check);
}

/** Sorted, without duplicates (int() of a log grid can repeat a value at the low end). */
function uniqueSorted(xs: number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

/**
 * Expands a preset and overrides into the plan: the sweep's edge. Validates everything (kind, preset, every
 * value of every list by the run field's one rule, every run's config and memory: validateRun) and throws a
 * ConfigError before any work starts; the plan's runs are ValidRunConfigs.
 */
export function planSweep(kind: string, preset: string = 'quick', o: SweepOverrides = {}): SweepPlan {
  checkKind(kind);
  checkPreset(preset);
  checkList(o.alphas, 'the alpha list (--alpha)', checkAlpha);
  checkList(o.widths, 'the width list (--widths)', (width) => checkRunFields({ width }));
  checkList(o.dataSizes, 'the data size list (--data-sizes)', (data) => checkRunFields({ data }));
  checkList(o.seeds, 'the seed list (--seeds)', checkSeed);
  checkRunFields({
    steps: o.steps,
    logEvery: o.logEvery,
    width: o.dataWidth,
    stopAfterMinimum: o.stopAfterMinimum,
  });

  const s = presetSettings(preset, kind);
  const patch: Partial<RunConfig> = {
    ...o.base,
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.logEvery !== undefined ? { logEvery: o.logEvery } : {}),
  };
  const base: RunConfig = { ...s.base, ...patch, data: null };
  const dataBase: RunConfig = { ...s.dataBase, ...patch };
  if (o.dataWidth !== undefined) dataBase.width = o.dataWidth;
  if (o.stopAfterMinimum !== undefined) dataBase.stopAfterMinimum = { ...o.stopAfterMinimum };
  const alphas = uniqueSorted(o.alphas ?? s.alphas);
  const seeds = uniqueSorted(o.seeds ?? s.seeds);
  const widths = uniqueSorted(o.widths ?? s.widths);
  const dataSizes = uniqueSorted(o.dataSizes ?? s.dataSizes);
  // Fig. 10's D row has its own alpha grid and one seed; a user's --alpha or --seeds applies to every run
  const dataAlphas = uniqueSorted(o.alphas ?? s.dataAlphas);
  const dataSeeds = uniqueSorted(o.seeds ?? s.dataSeeds);

  const runs: PlannedRun[] = [];
  const add = (config: RunConfig) => runs.push({ id: runId(config), config: parseRunConfig(config) });
  const single = (ws: number[]) => {
    for (const alpha of alphas)
      for (const seed of seeds) for (const width of ws) add({ ...base, alpha, seed, width, data: null });
  };
  const multi = () => {
    for (const alpha of dataAlphas)
      for (const seed of dataSeeds) for (const data of dataSizes) add({ ...dataBase, alpha, seed, data });
  };
  if (kind === 'N' || kind === 'all' || kind === 'alpha') single(widths);
  // the S sweep is the learning curve of the widest single-epoch run(s): already in an N sweep
  if (kind === 'S') single([widths[widths.length - 1]]);
  if (kind === 'D' || kind === 'all' || kind === 'alpha') multi();

  const fitWindows = o.fitWindows ?? s.fitWindows;
  return {
    kind,
    preset,
    base,
    dataBase,
    alphas,
    widths,
    dataSizes,
    seeds,
    dataAlphas,
    dataSeeds,
    runs,
    ...(fitWindows ? { fitWindows } : {}),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Sharding

export interface Shard {
  /** 0-based: a Slurm array's SLURM_ARRAY_TASK_ID or a Kubernetes indexed Job's JOB_COMPLETION_INDEX. */
  index: number;
  count: number;
}

/** Parses `i/n` with 0 <= i < n. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new ConfigError(`--shard must be i/n (0-based index i of n shards, e.g. 0/4), got '${text}'`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  require(count >= 1 &&
    count <= 1_000_000, `--shard: the shard count must be in [1, 1000000], got '${text}'`);
  require(index < count, `--shard: the index must be in [0, ${count - 1}] (0-based), got '${text}'`);
  return { index, count };
}

/** Compares strings with their digit runs as numbers: w9 < w11, D9999 < D12389. */
export function naturalCompare(a: string, b: string): number {
  const ta = a.match(/\d+|\D+/g) ?? [];
  const tb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === y) continue;
    const nx = /^\d/.test(x);
    const ny = /^\d/.test(y);
    if (nx && ny) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return ta.length - tb.length;
}

/**
 * The runs of one shard: run j of the naturally sorted ids goes to shard j mod n. The slices are disjoint, cover
 * the plan, and deal each shard every n-th width or data size, so their costs are close.
 */
export function shardRuns(runs: PlannedRun[], shard: Shard): PlannedRun[] {
  const sorted = [...runs].sort((a, b) => naturalCompare(a.id, b.id));
  return sorted.filter((_, j) => j % shard.count === shard.index);
}

// ---------------------------------------------------------------------------------------------------------
// Cost model (for ordering, progress and ETA; `--dry-run` calibrates it with measured step times)

/** Expected logged evaluations: steps 0, logEvery, ... below steps (SPEC.md 1.2). */
export function logCount(c: RunConfig): number {
  return Math.ceil(c.steps / c.logEvery);
}

/** Samples in one evaluation: the exact-frequency test batch (at most testPoints) plus the per-subtask sets. */
export function evalSamples(c: RunConfig): number {
  return c.testPoints + c.nTasks * c.testPointsPerTask;
}

/**
 * A relative cost (multiply-adds, roughly) of a run: sparse first layer over about 1 + n/2 active inputs,
 * forward and backward (x3) in training, forward only in evaluation, plus AdamW over every parameter.
 */
export function runCost(c: RunConfig): number {
  const active = 1 + c.n / 2;
  const perSample = c.width * (active + 4) + (c.depth - 2) * c.width * c.width;
  const params = (c.nTasks + c.n + 3) * c.width + 2;
  const train = c.steps * (3 * trainBatchSize(c) * perSample + 4 * params);
  const evaluate = logCount(c) * evalSamples(c) * perSample;
  return train + evaluate;
}

/** The runs ordered longest first (for packing a pool), ties by natural id order. */
export function longestFirst(runs: PlannedRun[]): PlannedRun[] {
  return [...runs].sort((a, b) => runCost(b.config) - runCost(a.config) || naturalCompare(a.id, b.id));
}

// Over 450 lines by choice: every fit of a sweep folder (N, S, D, emergence) over one loaded record set.
// Analysis of a folder of run records into the paper's scaling exponents (SPEC.md 3.2-3.6 and 9): alpha_N,
// alpha_S, alpha_D, the learned-subtask exponent n(D), the convergence-step slope against frequency and the
// learning-order rank correlation. It depends only on the records: runs are grouped by config.alpha;
// single-epoch runs (config.data === null) give N and S, multi-epoch runs give D and n(D). Losses are stored
// in nats and fitted in bits, as the paper plots them (the exponent is the same).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { isRunRecord, type RunRecord } from '../train/record.js';
import type { RunConfig } from '../train/config.js';
import { isJsonObject, readJsonInput } from '../io/read.js';
import type { PlannedRun } from './plan.js';
import { sameConfig } from './store.js';
import { subtaskProbabilities } from '../parity/task.js';
import {
  PAPER_CONVERGENCE_SLOPE,
  PREDICTED_CONVERGENCE_SLOPE,
  paperExponents,
  predictedAlphaD,
  predictedAlphaN,
  predictedAlphaS,
  predictedLearnedExponent,
  PAPER_FIG8_ALPHA_S,
} from '../theory/exponents.js';
import { bootstrapPowerLaw, powerLawFit, spearman } from './fit.js';
import { natsToBits as toBits } from '../core/units.js';

/** Fig. 10 middle row (SPEC 3.3): alpha_S is fitted on log steps 500 <= step < 15000. */
export const S_FIT_WINDOW: readonly [number, number] = [500, 15_000];
/** Fig. 8 right (SPEC 3.3): the Fig. 2 run's S fit, log_steps[4:90] at log every 100 = steps [400, 9000). */
export const S_FIT_WINDOW_FIG8: readonly [number, number] = [400, 9_000];
/** Fig. 10 bottom row (SPEC 3.4): the D fit starts at the first D whose min mean loss is below 0.95 bits. */
export const D_FIT_START_BITS = 0.95;
/** Fig. 9 (SPEC 3.4): a subtask is learned when its loss ever falls below 0.1 NATS (as stored). */
export const LEARNED_THRESHOLD_NATS = 0.1;
/** Fig. 8 (SPEC 3.5): a subtask's convergence step is its first log step with loss below 0.1 BITS. */
export const CONVERGED_THRESHOLD_BITS = 0.1;
/** Bootstrap resamples for every confidence interval (percentiles 2.5 / 97.5). */
export const BOOTSTRAP_RESAMPLES = 1000;

/** Window overrides (sweep.json `fitWindows`), each [lo, hi) on its scaling variable. */
export interface FitWindows {
  N?: [number, number];
  S?: [number, number];
  D?: [number, number];
}

export interface SweepFolder {
  dir: string;
  /** sweep.json, when the folder has one. */
  sweep: Record<string, unknown> | null;
  records: RunRecord[];
  fitWindows: FitWindows;
  /** Planned runs (sweep.json) that have no record yet: the sweep is unfinished. */
  missing: string[];
}

// a folder, a FIFO or /dev/zero named *.json is refused too (reading would fail or never end)
const readJson = readJsonInput;

/** sweep.json's planned runs, each checked to be { id: string, config: object } (exit 2 otherwise). */
function plannedRuns(
  sweep: Record<string, unknown> | null,
  sweepPath: string,
): Map<string, RunConfig> | null {
  if (!Array.isArray(sweep?.runs)) return null;
  return new Map(
    (sweep.runs as unknown[]).map((r, i) => {
      const run = r as Partial<PlannedRun> | null;
      if (!isJsonObject(run) || typeof run.id !== 'string' || !isJsonObject(run.config))
        throw new ConfigError(`${sweepPath}: runs[${i}] is not a planned run ({ id, config })`);
      return [run.id, run.config as RunConfig];
    }),
  );
}

function parseWindow(v: unknown, name: string): [number, number] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.length !== 2 || !v.every((x) => typeof x === 'number') || !(v[0] < v[1]))
    throw new ConfigError(
      `sweep.json fitWindows.${name} must be [lo, hi] with lo < hi, got ${JSON.stringify(v)}`,
    );
  return [v[0], v[1]];
}

/** The first non-number in a record's losses (null from a NaN written as JSON, a string, ...), or null. */
function badLoss(r: RunRecord): string | null {
  const bad = (x: unknown) => typeof x !== 'number' || !Number.isFinite(x);
  const i = r.log.meanLoss.findIndex(bad);
  if (i >= 0) return `log.meanLoss[${i}] is ${JSON.stringify(r.log.meanLoss[i])}`;
  if (r.log.subtaskLoss.length !== r.log.meanLoss.length)
    return `log.subtaskLoss has ${r.log.subtaskLoss.length} rows for ${r.log.meanLoss.length} log steps`;
  if (r.log.steps.length !== r.log.meanLoss.length)
    return `log.steps has ${r.log.steps.length} entries for ${r.log.meanLoss.length} losses`;
  for (let j = 0; j < r.log.steps.length; j++) {
    const step = r.log.steps[j];
    if (!Number.isInteger(step) || step < 0 || (j > 0 && step <= r.log.steps[j - 1]))
      return `log.steps[${j}] is ${JSON.stringify(step)}, not an increasing step count`;
  }
  const nTasks = (r.config as { nTasks?: unknown }).nTasks;
  for (let j = 0; j < r.log.subtaskLoss.length; j++) {
    const row = r.log.subtaskLoss[j];
    if (!Array.isArray(row)) return `log.subtaskLoss[${j}] is not a list`;
    if (row.length !== nTasks)
      return `log.subtaskLoss[${j}] has ${row.length} losses for ${String(nTasks)} subtasks`;
    const k = row.findIndex(bad);
    if (k >= 0) return `log.subtaskLoss[${j}][${k}] is ${JSON.stringify(row[k])}`;
  }
  return null;
}

/**
 * Reads a sweep folder: DIR/sweep.json (optional) and the run records in DIR/runs/*.json (and DIR/*.json).
 * Throws a ConfigError when DIR is missing or holds no run record, when a file in DIR/runs is not a run
 * record, when a record holds a loss that is not a number, and when the folder has a plan and a record does
 * not belong to it (another config, or a run the plan does not have). Planned runs without a record yet are
 * listed in `missing`.
 */
export function loadSweepFolder(dir: string): SweepFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new ConfigError(`no such directory: ${dir}`);
  const sweepPath = join(dir, 'sweep.json');
  const sweep = existsSync(sweepPath) ? (readJson(sweepPath) as Record<string, unknown>) : null;
  const planned = plannedRuns(isJsonObject(sweep) ? sweep : null, sweepPath);
  const records: RunRecord[] = [];
  const seen = new Set<string>();
  for (const sub of [join(dir, 'runs'), dir]) {
    if (!existsSync(sub) || !statSync(sub).isDirectory()) continue;
    const inRuns = sub !== dir;
    for (const name of readdirSync(sub).sort()) {
      // a record is <id>.json, or <id>.json.gz when committed compressed
      const isJson = name.endsWith('.json') || (inRuns && name.endsWith('.json.gz'));
      if (!isJson || name.startsWith('.') || name === 'sweep.json' || name === 'fits.json') continue;
      const path = join(sub, name);
      const x = readJson(path);
      // a record's config is an object (isRunRecord lets a null through)
      if (!isRunRecord(x) || !isJsonObject(x.config)) {
        // DIR/runs holds only records; other JSON files may sit beside sweep.json
        if (inRuns) throw new ConfigError(`${path} is not a run record: move it out of ${sub}`);
        continue;
      }
      const why = badLoss(x);
      if (why !== null) throw new ConfigError(`${path}: ${why}: the run diverged or its record is damaged`);
      if (planned !== null) {
        const id = name.replace(/\.json(\.gz)?$/, '');
        if (seen.has(id))
          throw new ConfigError(`${sub} holds run '${id}' twice (${id}.json and ${id}.json.gz): keep one`);
        const config = planned.get(id);
        if (config === undefined || !sameConfig(config, x.config))
          throw new ConfigError(
            `${path} does not belong to the sweep in ${sweepPath} (` +
              (config === undefined
                ? `no planned run '${id}'`
                : `a different config than planned run '${id}'`) +
              `): move it out or fit it in a folder of its own`,
          );
        seen.add(id);
      }
      records.push(x);
    }
  }
  if (records.length === 0)
    throw new ConfigError(`no run records in ${dir} (expected ${dir}/runs/<id>.json)`);
  const fw = (sweep?.fitWindows ?? {}) as Record<string, unknown>;
  const fitWindows: FitWindows = {
    N: parseWindow(fw.N, 'N'),
    S: parseWindow(fw.S, 'S'),
    D: parseWindow(fw.D, 'D'),
  };
  const missing = planned === null ? [] : [...planned.keys()].filter((id) => !seen.has(id));
  return { dir, sweep, records, fitWindows, missing };
}

// ---- per-run measurements --------------------------------------------------------------------------------

/** Index of the log step with the minimum mean test loss (the paper's early stopping, SPEC 3.4). */
export function earlyStopIndex(r: RunRecord): number {
  let best = 0;
  for (let i = 1; i < r.log.meanLoss.length; i++) if (r.log.meanLoss[i] < r.log.meanLoss[best]) best = i;
  return best;
}

/** Per-subtask losses (nats) at one log index. */
export function subtaskLossesAt(r: RunRecord, index: number): number[] {
  return r.log.subtaskLoss[index] ?? [];
}

/** n(D): subtasks whose loss ever falls below 0.1 nats over all logged steps (Fig. 9). */
export function learnedSubtaskCount(r: RunRecord): number {
  const nTasks = r.log.subtaskLoss[0]?.length ?? 0;
  let count = 0;
  for (let i = 0; i < nTasks; i++) {
    if (r.log.subtaskLoss.some((row) => row[i] < LEARNED_THRESHOLD_NATS)) count++;
  }
  return count;
}

/** Per subtask (rank i+1), the first log step with loss below 0.1 bits, or null if never (Fig. 8). */
export function convergenceSteps(r: RunRecord): (number | null)[] {
  const nTasks = r.log.subtaskLoss[0]?.length ?? 0;
  const out: (number | null)[] = [];
  for (let i = 0; i < nTasks; i++) {
    const j = r.log.subtaskLoss.findIndex((row) => toBits(row[i]) < CONVERGED_THRESHOLD_BITS);
    out.push(j < 0 ? null : r.log.steps[j]);
  }
  return out;
}

/** The single-epoch runs that form the N sweep: the (steps, logEvery) group with the most runs. */
export function singleEpochRuns(records: RunRecord[]): RunRecord[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of records) {
    if (r.config.data !== null) continue;
    const key = `${r.config.steps}/${r.config.logEvery}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  let best: RunRecord[] = [];
  for (const g of groups.values()) if (g.length > best.length) best = g;
  return best;
}

/** The widest single-epoch runs (every seed of the largest width): the S sweep (SPEC 3.3). */
export function widestRuns(records: RunRecord[]): RunRecord[] {
  const single = singleEpochRuns(records);
  if (single.length === 0) return [];
  const width = Math.max(...single.map((r) => r.config.width));
  return single.filter((r) => r.config.width === width).sort((a, b) => a.seed - b.seed);
}

export function multiEpochRuns(records: RunRecord[]): RunRecord[] {
  return records.filter((r) => r.config.data !== null).sort((a, b) => a.config.data! - b.config.data!);
}

// ---- fits ------------------------------------------------------------------------------------------------

export interface FitPoint {
  x: number;
  y: number;
  seed: number;
  /** Whether the point lies in the fit window. */
  used: boolean;
}

export interface ExponentFit {
  /** The measured exponent (-slope for losses, +slope for n(D)), or null when there was nothing to fit. */
  measured: number | null;
  /** 95% percentile bootstrap interval of the measured exponent. */
  ci: [number, number] | null;
  predicted: number;
  /** The paper's measured value at this alpha (SPEC 3.6), when it has one. */
  paper: number | null;
  slope: number | null;
  intercept: number | null;
  r2: number | null;
  /** [lo, hi] of the x values in the fit. */
  window: [number, number] | null;
  points: FitPoint[];
  note?: string;
}

function fitPoints(
  points: FitPoint[],
  sign: 1 | -1,
  predicted: number,
  paper: number | null,
  seed: number,
  resampleRuns: boolean,
): ExponentFit {
  const used = points.filter((p) => p.used && p.x > 0 && p.y > 0);
  const empty = { measured: null, ci: null, predicted, paper, slope: null, intercept: null, r2: null };
  const distinctUsed = new Set(used.map((p) => p.x)).size;
  if (used.length < 2 || distinctUsed < 2)
    return { ...empty, window: null, points, note: fewPointsNote(points, distinctUsed, 'no fit') };
  const x = used.map((p) => p.x);
  const y = used.map((p) => p.y);
  const fit = powerLawFit(x, y);
  const boot = bootstrapPowerLaw(x, y, {
    resamples: BOOTSTRAP_RESAMPLES,
    seed,
    // points that are whole runs are resampled one by one; points of a few runs' curves by run (seed)
    groups: resampleRuns ? used.map((p) => p.seed) : undefined,
  });
  const ci: [number, number] = sign === 1 ? boot.slopeCi : [-boot.slopeCi[1], -boot.slopeCi[0]];
  return {
    measured: sign * fit.slope,
    ci,
    predicted,
    paper,
    slope: fit.slope,
    intercept: fit.intercept,
    r2: fit.r2,
    window: [Math.min(...x), Math.max(...x)],
    points,
    // two points make a line, not a fit: their r2 is 1 and their interval empty whatever the data
    ...(distinctUsed < MIN_FIT_POINTS
      ? {
          note: fewPointsNote(
            points,
            distinctUsed,
            'a line through them, not a fit (r2 and interval mean nothing)',
          ),
        }
      : {}),
  };
}

/**
 * The note of a fit through fewer than MIN_FIT_POINTS distinct x values: says whether the fit window left too
 * few of the points there are (and which window), or there are too few points at all.
 */
function fewPointsNote(points: FitPoint[], distinctUsed: number, consequence: string): string {
  const usable = points.filter((p) => p.x > 0 && p.y > 0);
  const distinctAll = new Set(usable.map((p) => p.x)).size;
  const outside = usable.filter((p) => !p.used);
  if (outside.length > 0 && distinctAll > distinctUsed) {
    const inside = usable.filter((p) => p.used).map((p) => p.x);
    const span = inside.length ? ` (${Math.min(...inside)}..${Math.max(...inside)})` : '';
    return (
      `the fit window leaves only ${distinctUsed} of ${distinctAll} distinct points${span}, fewer than ` +
      `${MIN_FIT_POINTS}: ${consequence}`
    );
  }
  if (distinctAll === 0) return 'no points to fit';
  return `only ${distinctUsed} distinct point(s) to fit, fewer than ${MIN_FIT_POINTS}: ${consequence}`;
}

/**
 * One line per fit that is not to be trusted (too few points, a window that left too few, no D below the
 * plateau), naming the exponent and alpha; fits of a kind the sweep has no runs of are left out.
 */
export function fitWarnings(fits: AlphaFits[]): string[] {
  const out: string[] = [];
  for (const f of fits)
    for (const [name, e] of [
      ['alpha_N', f.N],
      ['alpha_S', f.S],
      ['alpha_D', f.D],
      ['n(D) exponent', f.learnedVsData],
    ] as const)
      if (e.note && e.points.length > 0) out.push(`${name} (alpha ${f.alpha}): ${e.note}`);
  return out;
}

/** Fewer distinct x values than this in a fit window are flagged in the fit's note. */
export const MIN_FIT_POINTS = 3;

const inWindow = (x: number, w: readonly [number, number] | undefined) => !w || (x >= w[0] && x < w[1]);

/** First x (ascending) whose mean y over seeds satisfies `ok`, or null. */
function firstX(points: { x: number; y: number }[], ok: (meanY: number) => boolean): number | null {
  const byX = new Map<number, number[]>();
  for (const p of points) byX.set(p.x, [...(byX.get(p.x) ?? []), p.y]);
  for (const x of [...byX.keys()].sort((a, b) => a - b)) {
    const ys = byX.get(x)!;
    if (ok(ys.reduce((a, b) => a + b, 0) / ys.length)) return x;
  }
  return null;
}

export interface ConvergenceFit {
  /** Slope of log convergence step on log p_k (theory -1, paper -0.81). */
  slope: number | null;
  ci: [number, number] | null;
  predicted: number;
  paper: number;
  points: { rank: number; p: number; step: number; seed: number }[];
  /** Subtasks never converged (over all runs used). */
  notConverged: number;
}

export interface AlphaFits {
  alpha: number;
  N: ExponentFit;
  S: ExponentFit;
  D: ExponentFit;
  learnedVsData: ExponentFit;
  convergence: ConvergenceFit;
  /** Rank correlation of learning order (convergence step) with frequency rank, over converged subtasks. */
  learnOrderSpearman: number | null;
  runs: { single: number; multi: number };
}

/** All fits for the runs of one alpha (SPEC 3.2-3.6, 9). */
export function analyseAlpha(records: RunRecord[], alpha: number, windows: FitWindows = {}): AlphaFits {
  const paper = paperExponents(alpha);
  const single = singleEpochRuns(records);
  const widest = widestRuns(records);
  const multi = multiEpochRuns(records);

  // N (Fig. 2 left, Fig. 10 top): last logged mean test loss per run, pooled over seeds, all widths.
  const nPoints = single.map((r) => ({
    x: r.parameters,
    y: toBits(r.log.meanLoss[r.log.meanLoss.length - 1]),
    seed: r.seed,
    used: inWindow(r.parameters, windows.N),
  }));
  const N = fitPoints(nPoints, -1, predictedAlphaN(alpha), paper?.alphaN ?? null, 1, false);

  // S (Fig. 2 middle, Fig. 10 middle): learning curves of the widest runs, steps in [500, 15000).
  const sWindow = windows.S ?? S_FIT_WINDOW;
  const sPoints = widest.flatMap((r) =>
    r.log.steps.map((step, i) => ({
      x: step,
      y: toBits(r.log.meanLoss[i]),
      seed: r.seed,
      used: step > 0 && inWindow(step, sWindow),
    })),
  );
  // the paper's value for this window: Fig. 8's 0.45 on its own window, else Fig. 10's table (SPEC 3.6)
  const isFig8Window = sWindow[0] === S_FIT_WINDOW_FIG8[0] && sWindow[1] === S_FIT_WINDOW_FIG8[1];
  const sPaper = isFig8Window && alpha === 0.4 ? PAPER_FIG8_ALPHA_S : (paper?.alphaS ?? null);
  const S = fitPoints(sPoints, -1, predictedAlphaS(alpha), sPaper, 2, true);

  // D (Fig. 2 right, Fig. 10 bottom): min over log steps of the mean test loss, from the first D < 0.95 bits.
  const dRaw = multi.map((r) => ({
    x: r.config.data!,
    y: toBits(r.log.meanLoss[earlyStopIndex(r)]),
    seed: r.seed,
  }));
  const dStart = windows.D ? windows.D[0] : firstX(dRaw, (y) => y < D_FIT_START_BITS);
  const dPoints = dRaw.map((p) => ({
    ...p,
    used: dStart !== null && p.x >= dStart && (!windows.D || p.x < windows.D[1]),
  }));
  const D = fitPoints(dPoints, -1, predictedAlphaD(alpha), paper?.alphaD ?? null, 3, false);
  if (dStart === null && dRaw.length > 0) D.note = `no D reaches a loss below ${D_FIT_START_BITS} bits`;

  // n(D) (Fig. 9): subtasks ever below 0.1 nats, fitted from the first D with n > 0.
  const nRaw = multi.map((r) => ({ x: r.config.data!, y: learnedSubtaskCount(r), seed: r.seed }));
  const nStart = firstX(nRaw, (y) => y > 0);
  const learnedPoints = nRaw.map((p) => ({
    ...p,
    used: nStart !== null && p.x >= nStart && inWindow(p.x, windows.D),
  }));
  const learnedVsData = fitPoints(
    learnedPoints,
    1,
    predictedLearnedExponent(alpha),
    paper?.learnedExponent ?? null,
    4,
    false,
  );

  // Convergence (Fig. 8): widest single-epoch runs, else the largest-D multi-epoch runs.
  const maxD = multi.length ? multi[multi.length - 1].config.data : null;
  const convRuns = widest.length ? widest : multi.filter((r) => r.config.data === maxD);
  const convergence = convergenceFit(convRuns, alpha);
  const ranks = convergence.points.map((p) => p.rank);
  const steps = convergence.points.map((p) => p.step);
  const rho = spearman(ranks, steps);

  return {
    alpha,
    N,
    S,
    D,
    learnedVsData,
    convergence,
    learnOrderSpearman: Number.isFinite(rho) ? rho : null,
    runs: { single: single.length, multi: multi.length },
  };
}

function convergenceFit(runs: RunRecord[], alpha: number): ConvergenceFit {
  const points: ConvergenceFit['points'] = [];
  let notConverged = 0;
  for (const r of runs) {
    const p = subtaskProbabilities(r.config.nTasks, alpha);
    convergenceSteps(r).forEach((step, i) => {
      if (step === null || step <= 0) notConverged++;
      else points.push({ rank: i + 1, p: p[i], step, seed: r.seed });
    });
  }
  const base = {
    predicted: PREDICTED_CONVERGENCE_SLOPE,
    paper: PAPER_CONVERGENCE_SLOPE,
    points,
    notConverged,
  };
  if (points.length < 2 || new Set(points.map((q) => q.p)).size < 2)
    return { slope: null, ci: null, ...base };
  const x = points.map((q) => q.p);
  const y = points.map((q) => q.step);
  const fit = powerLawFit(x, y);
  const boot = bootstrapPowerLaw(x, y, {
    resamples: BOOTSTRAP_RESAMPLES,
    seed: 5,
    groups: points.map((q) => q.seed),
  });
  return { slope: fit.slope, ci: boot.slopeCi, ...base };
}

// ---- the whole folder ------------------------------------------------------------------------------------

/** One row of the exponent table (SPEC 3.6): measured beside predicted and the paper's measured values. */
export interface ExponentTableRow {
  alpha: number;
  alphaN: number | null;
  alphaNPredicted: number;
  alphaNPaper: number | null;
  alphaS: number | null;
  alphaSPredicted: number;
  alphaSPaper: number | null;
  alphaD: number | null;
  alphaDPredicted: number;
  alphaDPaper: number | null;
  learnedExponent: number | null;
  learnedExponentPredicted: number;
  learnedExponentPaper: number | null;
  convergenceSlope: number | null;
  learnOrderSpearman: number | null;
}

export type FitsJson = AlphaFits | { alphas: AlphaFits[]; table: ExponentTableRow[] };

export function exponentTable(fits: AlphaFits[]): ExponentTableRow[] {
  return fits.map((f) => ({
    alpha: f.alpha,
    alphaN: f.N.measured,
    alphaNPredicted: f.N.predicted,
    alphaNPaper: f.N.paper,
    alphaS: f.S.measured,
    alphaSPredicted: f.S.predicted,
    alphaSPaper: f.S.paper,
    alphaD: f.D.measured,
    alphaDPredicted: f.D.predicted,
    alphaDPaper: f.D.paper,
    learnedExponent: f.learnedVsData.measured,
    learnedExponentPredicted: f.learnedVsData.predicted,
    learnedExponentPaper: f.learnedVsData.paper,
    convergenceSlope: f.convergence.slope,
    learnOrderSpearman: f.learnOrderSpearman,
  }));
}

/** Runs grouped by config.alpha (ascending). */
export function groupByAlpha(records: RunRecord[]): Map<number, RunRecord[]> {
  const groups = new Map<number, RunRecord[]>();
  for (const r of [...records].sort((a, b) => a.config.alpha - b.config.alpha)) {
    const key = Math.round(r.config.alpha * 1e9) / 1e9;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return groups;
}

/** Analyses every alpha of a folder: one AlphaFits for one alpha, else { alphas, table }. */
export function analyseFolder(folder: Pick<SweepFolder, 'records' | 'fitWindows'>): FitsJson {
  const fits = [...groupByAlpha(folder.records)].map(([alpha, runs]) =>
    analyseAlpha(runs, alpha, folder.fitWindows),
  );
  return fits.length === 1 ? fits[0] : { alphas: fits, table: exponentTable(fits) };
}

/** The per-alpha fits of a FitsJson, whichever shape it has. */
export function alphaFitsOf(fits: FitsJson): AlphaFits[] {
  return 'alphas' in fits ? fits.alphas : [fits];
}

// Over 450 lines by choice: the dry-run estimate and its formatting for one machine and for an array.
// `quanta sweep --dry-run`: the schedule arithmetic behind its wall times, and its report. A run is never split
// and takes its calibrated seconds (./calibrate.ts). On one machine of C cores, and in each task of an array of
// A tasks (the `--shard i/A` slices of ./plan.ts) with W worker threads, the runs are scheduled longest first,
// each onto the worker that is free first: the longest-processing-time (LPT) list schedule. That is what the
// pool does (./sweep.ts hands the runs out longest first; a thread takes the next run when it is free), except
// that the pool ranks runs by the cost model of ./plan.ts and this by the calibrated times (both grow with width,
// batch, steps and evaluations, so they can differ only among runs of about the same time). No schedule of whole
// runs is shorter than max(longest run, total / workers), and a list schedule is never longer than total /
// workers + longest run (Graham 1969); LPT is within 4/3 of the best schedule. The estimate assumes every core
// runs as fast as the one calibrated here, alone.
import { formatBytes } from '../core/arena.js';
import type { RunConfig } from '../train/config.js';
import { checkpointBytes } from '../train/checkpoint-size.js';
import { trainerBytes } from '../train/config.js';
import type { SweepEstimate } from './calibrate.js';
import { naturalCompare, type PlannedRun, type Shard } from './plan.js';
import { taskResources } from './resources.js';

// ---------------------------------------------------------------------------------------------------------
// Schedules

export interface TimedRun {
  id: string;
  /** Seconds on one core (finite, >= 0). */
  seconds: number;
}

export interface Schedule {
  /** Workers asked for; at most min(workers, runs) of them ever get a run. */
  workers: number;
  /** When the last run ends (0 without runs). */
  makespanSeconds: number;
  totalSeconds: number;
  /** The longest run (the first by natural id among equals), or null without runs. */
  longest: TimedRun | null;
  /** max(longest run, total / workers): no schedule of whole runs on `workers` workers ends sooner. */
  lowerBoundSeconds: number;
  /** The longest run alone is longer than total / workers: it, not the number of workers, bounds the time. */
  boundByLongestRun: boolean;
  /** Busy seconds of each worker that gets a run (min(workers, runs) of them). */
  loads: number[];
  /** The worker (an index into `loads`) of each run, in the order of the input. */
  assignment: number[];
}

/** Longest first; equal times in natural id order (w9 before w11). */
export function longestRunFirst(a: TimedRun, b: TimedRun): number {
  return b.seconds - a.seconds || naturalCompare(a.id, b.id);
}

function checkWorkers(workers: number, name: string): void {
  if (!Number.isSafeInteger(workers) || workers < 1)
    throw new RangeError(`${name} must be an integer >= 1, got ${workers}`);
}

/**
 * The LPT schedule of `runs` on `workers` workers: runs longest first, each onto the least-loaded worker (the
 * lowest index among equals). O(n log n).
 */
export function lptSchedule(runs: readonly TimedRun[], workers: number): Schedule {
  checkWorkers(workers, 'workers');
  for (const r of runs)
    if (!(Number.isFinite(r.seconds) && r.seconds >= 0))
      throw new RangeError(`run ${r.id}: seconds must be finite and >= 0, got ${r.seconds}`);
  const order = runs.map((_, i) => i).sort((i, j) => longestRunFirst(runs[i], runs[j]));
  const busy = Math.min(workers, runs.length);
  const loads = new Array<number>(busy).fill(0);
  const assignment = new Array<number>(runs.length).fill(0);
  // a binary min-heap of worker indices by (load, index)
  const heap = loads.map((_, w) => w);
  const less = (a: number, b: number) => loads[a] < loads[b] || (loads[a] === loads[b] && a < b);
  for (const i of order) {
    const w = heap[0];
    assignment[i] = w;
    loads[w] += runs[i].seconds;
    // sift the root down
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < heap.length && less(heap[l], heap[m])) m = l;
      if (r < heap.length && less(heap[r], heap[m])) m = r;
      if (m === p) break;
      [heap[p], heap[m]] = [heap[m], heap[p]];
      p = m;
    }
  }
  let totalSeconds = 0;
  for (const r of runs) totalSeconds += r.seconds;
  const longest = order.length > 0 ? runs[order[0]] : null;
  const longestSeconds = longest?.seconds ?? 0;
  return {
    workers,
    makespanSeconds: loads.reduce((a, b) => Math.max(a, b), 0),
    totalSeconds,
    longest,
    lowerBoundSeconds: Math.max(longestSeconds, totalSeconds / workers),
    boundByLongestRun: longestSeconds > totalSeconds / workers,
    loads,
    assignment,
  };
}

/**
 * The runs of every task of an array of `count` tasks, as `--shard i/count` takes them (./plan.ts shardRuns: run
 * j of the naturally sorted ids goes to task j mod count), in one sort. Tasks at or beyond the number of runs
 * get nothing and are left out: the result has min(count, runs) slices, slice i being task i's.
 */
export function arraySlices<T extends { id: string }>(runs: readonly T[], count: number): T[][] {
  checkWorkers(count, 'the task count');
  const sorted = [...runs].sort((a, b) => naturalCompare(a.id, b.id));
  const slices: T[][] = Array.from({ length: Math.min(count, sorted.length) }, () => []);
  sorted.forEach((r, j) => slices[j % count].push(r));
  return slices;
}

export interface ArrayTaskSchedule {
  /** The task's index: its `--shard index/count`, SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX. */
  index: number;
  /** The task's runs still to do, in natural id order. */
  runs: TimedRun[];
  schedule: Schedule;
}

export interface ArraySchedule {
  count: number;
  workers: number;
  /** Tasks index 0..min(count, plan runs) - 1 (the others have nothing to do). */
  tasks: ArrayTaskSchedule[];
  /** The array's wall time: the longest task's makespan (tasks run at once). */
  wallSeconds: number;
  /** The index of the (first) longest task. */
  longestTask: number;
  /** Tasks that have no run to do (beyond the plan's runs, or all done). */
  emptyTasks: number;
  /** Core time held: every task holds its `workers` cores until its own last run ends. */
  allocatedCoreSeconds: number;
}

/**
 * The schedule of an array of `count` tasks on `workers` workers each. The tasks are the slices of the whole
 * plan (`planRuns`: the slices do not depend on which runs are done); a task runs those of its runs that have
 * an entry in `seconds` (the runs to do), LPT on its workers.
 */
export function arraySchedule(
  planRuns: readonly { id: string }[],
  seconds: ReadonlyMap<string, number>,
  count: number,
  workers: number,
): ArraySchedule {
  checkWorkers(workers, 'workers per task');
  const tasks = arraySlices(planRuns, count).map((slice, index): ArrayTaskSchedule => {
    const runs = slice
      .filter((r) => seconds.has(r.id))
      .map((r) => ({ id: r.id, seconds: seconds.get(r.id) as number }));
    return { index, runs, schedule: lptSchedule(runs, workers) };
  });
  let wallSeconds = 0;
  let longestTask = 0;
  let allocatedCoreSeconds = 0;
  let busy = 0;
  for (const t of tasks) {
    if (t.schedule.makespanSeconds > wallSeconds) {
      wallSeconds = t.schedule.makespanSeconds;
      longestTask = t.index;
    }
    allocatedCoreSeconds += workers * t.schedule.makespanSeconds;
    if (t.runs.length > 0) busy++;
  }
  return { count, workers, tasks, wallSeconds, longestTask, emptyTasks: count - busy, allocatedCoreSeconds };
}

// ---------------------------------------------------------------------------------------------------------
// The dry run's estimate: schedules plus what a scheduler must grant (./resources.ts)

export interface DryRunRun extends TimedRun {
  /** The run's Wasm memory (trainerBytes). */
  wasmBytes: number;
  /** Its checkpoint at the end, the largest it gets. */
  checkpointBytes: number;
  /** The array task that runs it (with --array). */
  task?: number;
}

export interface MachineEstimate {
  cores: number;
  /** The LPT schedule's wall time on `cores` cores. */
  wallSeconds: number;
  /** total / cores: the wall time if runs could be split. */
  idealSeconds: number;
  /** max(longest run, total / cores). */
  lowerBoundSeconds: number;
  longestRun: TimedRun | null;
  /** The longest run is longer than total / cores: more cores cannot make the sweep shorter than it. */
  boundByLongestRun: boolean;
  /** Cores that get a run: min(cores, runs). */
  busyCores: number;
  /** Peak memory of one process training these runs on `cores` workers (./resources.ts). */
  memoryBytes: number;
  /** Disk for the checkpoints in flight. */
  checkpointBytes: number;
  largestCheckpointBytes: number;
}

export interface ArrayTaskEstimate {
  index: number;
  runs: number;
  coreSeconds: number;
  wallSeconds: number;
  memoryBytes: number;
  checkpointBytes: number;
}

export interface ArrayEstimate {
  tasks: number;
  workersPerTask: number;
  /** The longest task's wall time. */
  wallSeconds: number;
  longestTask: number;
  /** max(longest run, total / (tasks x workers)): no array of that many workers ends sooner. */
  lowerBoundSeconds: number;
  /** The array's wall time is its longest run's: more tasks or workers cannot make it shorter. */
  boundByLongestRun: boolean;
  emptyTasks: number;
  /** The largest task's memory and checkpoints in flight: the most any task needs. */
  memoryBytesPerTask: number;
  checkpointBytesPerTask: number;
  /**
   * The memory of the plan's `workers` largest runs at once, whichever tasks have them: what `--emit` asks for
   * every task (the same for all, and for any runs done or not), at least memoryBytesPerTask.
   */
  requestMemoryBytesPerTask: number;
  /** Checkpoints in flight when every task runs at once (on the shared store). */
  checkpointBytesInFlight: number;
  /** Core time the tasks hold (each its workers until its last run ends), and the busy share of it. */
  allocatedCoreSeconds: number;
  busyFraction: number;
  /** Every task that has runs to do (index order). */
  perTask: ArrayTaskEstimate[];
}

export interface DryRunEstimate {
  coreSeconds: number;
  machine: MachineEstimate;
  array?: ArrayEstimate;
  /** The runs to do, in the order given, with their memory and checkpoint (and array task). */
  perRun: DryRunRun[];
}

export interface DryRunOptions {
  /** Cores of the one machine. */
  cores: number;
  /** An array of `tasks` tasks with `workers` worker threads each. */
  array?: { tasks: number; workers: number };
}

/**
 * The dry run's numbers: the runs to do (`perRun`: their calibrated seconds; each id a run of `planRuns`) on one
 * machine of `cores` cores and, if asked, on an array whose tasks are the shards of the whole plan `planRuns`.
 */
export function dryRunEstimate(
  planRuns: readonly PlannedRun[],
  perRun: readonly TimedRun[],
  options: DryRunOptions,
): DryRunEstimate {
  checkWorkers(options.cores, 'cores');
  const configs = new Map<string, RunConfig>(planRuns.map((r) => [r.id, r.config]));
  const configOf = (id: string): RunConfig => {
    const c = configs.get(id);
    if (!c) throw new RangeError(`run ${id} is not in the plan`);
    return c;
  };
  const machineSchedule = lptSchedule(perRun, options.cores);
  const machineResources = taskResources(
    perRun.map((r) => configOf(r.id)),
    options.cores,
  );
  const coreSeconds = machineSchedule.totalSeconds;
  const machine: MachineEstimate = {
    cores: options.cores,
    wallSeconds: machineSchedule.makespanSeconds,
    idealSeconds: coreSeconds / options.cores,
    lowerBoundSeconds: machineSchedule.lowerBoundSeconds,
    longestRun: machineSchedule.longest,
    boundByLongestRun: machineSchedule.boundByLongestRun,
    busyCores: machineSchedule.loads.length,
    memoryBytes: machineResources.memoryBytes,
    checkpointBytes: machineResources.checkpointBytes,
    largestCheckpointBytes: machineResources.largestCheckpointBytes,
  };
  const runs: DryRunRun[] = perRun.map((r) => ({
    id: r.id,
    seconds: r.seconds,
    wasmBytes: trainerBytes(configOf(r.id)),
    checkpointBytes: checkpointBytes(configOf(r.id)),
  }));
  if (!options.array) return { coreSeconds, machine, perRun: runs };

  const { tasks, workers } = options.array;
  const seconds = new Map(perRun.map((r) => [r.id, r.seconds]));
  const s = arraySchedule(planRuns, seconds, tasks, workers);
  const taskOf = new Map<string, number>();
  const perTask: ArrayTaskEstimate[] = [];
  for (const t of s.tasks) {
    if (t.runs.length === 0) continue;
    for (const r of t.runs) taskOf.set(r.id, t.index);
    const res = taskResources(
      t.runs.map((r) => configOf(r.id)),
      workers,
    );
    perTask.push({
      index: t.index,
      runs: t.runs.length,
      coreSeconds: t.schedule.totalSeconds,
      wallSeconds: t.schedule.makespanSeconds,
      memoryBytes: res.memoryBytes,
      checkpointBytes: res.checkpointBytes,
    });
  }
  for (const r of runs) r.task = taskOf.get(r.id);
  const longestSeconds = machineSchedule.longest?.seconds ?? 0;
  const array: ArrayEstimate = {
    tasks,
    workersPerTask: workers,
    wallSeconds: s.wallSeconds,
    longestTask: s.longestTask,
    lowerBoundSeconds: Math.max(longestSeconds, coreSeconds / (tasks * workers)),
    boundByLongestRun: perRun.length > 0 && s.wallSeconds <= longestSeconds,
    emptyTasks: s.emptyTasks,
    memoryBytesPerTask: perTask.reduce((a, t) => Math.max(a, t.memoryBytes), 0),
    checkpointBytesPerTask: perTask.reduce((a, t) => Math.max(a, t.checkpointBytes), 0),
    requestMemoryBytesPerTask: taskResources(
      planRuns.map((r) => r.config),
      workers,
    ).memoryBytes,
    checkpointBytesInFlight: perTask.reduce((a, t) => a + t.checkpointBytes, 0),
    allocatedCoreSeconds: s.allocatedCoreSeconds,
    busyFraction: s.allocatedCoreSeconds > 0 ? coreSeconds / s.allocatedCoreSeconds : 1,
    perTask,
  };
  return { coreSeconds, machine, array, perRun: runs };
}

// ---------------------------------------------------------------------------------------------------------
// Text

/** Seconds for people: s below 2 min, min below 2 h, h below 2 days, then h = days. */
export function formatDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  if (s < 2 * 86400) return `${(s / 3600).toFixed(1)} h`;
  return `${Math.round(s / 3600).toLocaleString('en-US')} h = ${(s / 86400).toFixed(1)} days`;
}

/** `1 run`, `2 runs`. */
function count(n: number, what: string): string {
  return `${n.toLocaleString('en-US')} ${what}${n === 1 ? '' : 's'}`;
}

function formatCoreHours(h: number): string {
  return h < 10 ? h.toFixed(2) : Math.round(h).toLocaleString('en-US');
}

/** Per-run lines of the text report when the runs are more than this (and --per-run is not given). */
export const PER_RUN_LINES = 40;
/** The longest runs listed instead. */
export const LONGEST_LINES = 10;

export interface DryRunHeader {
  kind: string;
  preset: string;
  planned: number;
  /** With --shard: the shard and how many runs it has. */
  shard?: { shard: Shard; runs: number };
  toRun: number;
}

/** Below this share of a core during calibration, the dry run says the machine was busy (SweepEstimate). */
export const BUSY_CPU_SHARE = 0.8;

/** The text report of `quanta sweep ... --dry-run`. */
export function formatDryRun(
  head: DryRunHeader,
  estimate: SweepEstimate,
  dry: DryRunEstimate,
  options: { perRun?: boolean } = {},
): string {
  const { machine: m, array: a } = dry;
  const lines: string[] = [];
  lines.push(
    `quanta sweep ${head.kind} --preset ${head.preset} (dry run): ${head.planned} runs planned` +
      (head.shard
        ? `, ${head.shard.runs} in shard ${head.shard.shard.index}/${head.shard.shard.count}`
        : '') +
      `, ${head.toRun} to run`,
  );
  lines.push(
    `  ${formatCoreHours(estimate.coreHours)} core-hours` +
      (estimate.coreSeconds >= 2 * 86400
        ? ` (${(estimate.coreSeconds / 86400).toFixed(1)} days of one core)`
        : ` (${formatDuration(estimate.coreSeconds)} of one core)`) +
      `, from ${count(estimate.shapes.length, 'run shape')} calibrated here in ${formatDuration(estimate.calibrationWallSeconds)}`,
  );
  const share = estimate.calibrationCpuShare;
  if (share !== undefined && share < BUSY_CPU_SHARE) {
    lines.push(
      `  warning: the calibration got ${(100 * share).toFixed(0)}% of a core (other work is running): these times are` +
        ` about ${(1 / Math.max(share, 0.01)).toFixed(1)}x what an idle machine takes; for the idle figure, dry-run again with nothing else running`,
    );
  }
  if (head.toRun > 0) {
    lines.push(
      `  one machine, ${count(m.cores, 'core')}: ${formatDuration(m.wallSeconds)}` +
        ` (longest first onto the core free first; total / ${m.cores} = ${formatDuration(m.idealSeconds)})`,
    );
    if (m.boundByLongestRun && m.longestRun)
      lines.push(
        `    bounded below by its longest run, ${m.longestRun.id} (${formatDuration(m.longestRun.seconds)}): ` +
          `no number of cores finishes sooner`,
      );
    lines.push(
      `    memory ${formatBytes(m.memoryBytes)}, checkpoints in flight ${formatBytes(m.checkpointBytes)}` +
        ` (largest run's ${formatBytes(m.largestCheckpointBytes)})`,
    );
  }
  if (a && head.toRun > 0) {
    const t = a.perTask.find((x) => x.index === a.longestTask);
    const shortest = a.perTask.reduce((x, y) => Math.min(x, y.wallSeconds), Infinity);
    lines.push(
      `  array of ${count(a.tasks, 'task')} x ${count(a.workersPerTask, 'worker')}: ${formatDuration(a.wallSeconds)}` +
        (t
          ? ` (the longest task, ${t.index}: ${count(t.runs, 'run')}, ${formatCoreHours(t.coreSeconds / 3600)} core-hours;` +
            ` the shortest ${formatDuration(shortest)})`
          : ''),
    );
    lines.push(
      `    per task: memory ${formatBytes(a.memoryBytesPerTask)} at most (--emit asks ` +
        `${formatBytes(a.requestMemoryBytesPerTask)}: the plan's ${count(a.workersPerTask, 'largest run')} at once)`,
    );
    lines.push(
      `    per task: checkpoints in flight ${formatBytes(a.checkpointBytesPerTask)} at most ` +
        `(all tasks at once: ${formatBytes(a.checkpointBytesInFlight)})`,
    );
    lines.push(
      `    ${a.tasks * a.workersPerTask} cores held for ${formatCoreHours(a.allocatedCoreSeconds / 3600)} core-hours` +
        ` (${(100 * a.busyFraction).toFixed(0)}% busy)` +
        (a.emptyTasks > 0 ? `; ${count(a.emptyTasks, 'task')} with nothing to do` : ''),
    );
    if (a.boundByLongestRun && m.longestRun)
      lines.push(
        `    bounded below by the longest run, ${m.longestRun.id} (${formatDuration(m.longestRun.seconds)}): ` +
          `more tasks or workers do not finish sooner`,
      );
    else
      lines.push(
        `    no array of ${a.tasks * a.workersPerTask} workers finishes in less than ${formatDuration(a.lowerBoundSeconds)}`,
      );
  }
  if (dry.perRun.length > 0) {
    const all = options.perRun || dry.perRun.length <= PER_RUN_LINES;
    const shown = all
      ? [...dry.perRun].sort((x, y) => naturalCompare(x.id, y.id))
      : [...dry.perRun].sort(longestRunFirst).slice(0, LONGEST_LINES);
    lines.push(
      all ? '  runs:' : `  the ${LONGEST_LINES} longest of ${dry.perRun.length} runs (--per-run lists all):`,
    );
    const columns = `    ${'run'.padEnd(28)} ${'time'.padStart(20)} ${'Wasm memory'.padStart(12)} ${'checkpoint'.padStart(11)}`;
    lines.push(columns + (a ? '   task' : ''));
    for (const r of shown)
      lines.push(
        `    ${r.id.padEnd(28)} ${formatDuration(r.seconds).padStart(20)} ${formatBytes(r.wasmBytes).padStart(12)} ` +
          `${formatBytes(r.checkpointBytes).padStart(11)}` +
          (a ? `   ${String(r.task ?? '-').padStart(4)}` : ''),
      );
  }
  lines.push(`  measured here (${estimate.calibrationSecondsPerShape} s of steps per shape):`);
  for (const s of estimate.shapes)
    lines.push(
      `    ${s.shape}: ${(s.stepSeconds * 1000).toFixed(1)} ms/step (${Math.round(s.samplesPerSecond).toLocaleString('en-US')} samples/s), ` +
        `${(s.evalSampleSeconds * 1e9).toFixed(0)} ns per evaluation sample`,
    );
  return lines.join('\n');
}

// Running a sweep: the plan's runs (or one shard's slice of them) that have no record yet, longest first, on a
// pool of worker threads, each writing its record atomically into DIR/runs. Resumable: a re-run skips the runs
// whose record exists, and a killed sweep loses at most the runs in flight. The sweep.json written by every
// shard is the same, so shards of one sweep can share one store (a network folder) safely.
import type { Shard, SweepPlan, PlannedRun } from './plan.js';
import { longestFirst, runCost, shardRuns } from './plan.js';
import { SweepStore } from './store.js';
import { TrainingPool, defaultWorkers, type TrainJobResult } from './pool.js';

export interface SweepProgress {
  runsDone: number;
  runsTotal: number;
  /** Fraction of the estimated work done, in-flight runs included (0..1). */
  fraction: number;
  elapsedSeconds: number;
  /** Remaining seconds from the measured throughput (NaN until something is measured). */
  etaSeconds: number;
}

export interface SweepOptions {
  /** Worker threads (default: all cores; never more than the runs to do). */
  workers?: number;
  /** Only this slice of the plan's runs. */
  shard?: Shard;
  workerFile?: string;
  onProgress?: (p: SweepProgress) => void;
}

export interface SweepOutcome {
  dir: string;
  /** Runs in the plan, in this shard, already done (skipped), trained now, failed. */
  planned: number;
  inShard: number;
  skipped: string[];
  trained: TrainJobResult[];
  failed: { id: string; error: string }[];
  workers: number;
  seconds: number;
}

/** Which runs of the plan (or shard) still need training, after checking the store for conflicts. */
export function pendingRuns(plan: SweepPlan, store: SweepStore, shard?: Shard) {
  const slice = shard ? shardRuns(plan.runs, shard) : plan.runs;
  const statuses = store.statuses(slice);
  const todo: PlannedRun[] = [];
  const skipped: string[] = [];
  for (const run of slice) {
    if (statuses.get(run.id)?.state === 'done') skipped.push(run.id);
    else todo.push(run);
  }
  return { slice, todo: longestFirst(todo), skipped };
}

/**
 * Runs a sweep into `dir`. Everything that can be refused (a file in the way, records of a different sweep in
 * the folder) is refused before anything is written.
 */
export async function runSweep(
  plan: SweepPlan,
  dir: string,
  options: SweepOptions = {},
): Promise<SweepOutcome> {
  const start = performance.now();
  const store = new SweepStore(dir);
  store.checkWritable();
  const { slice, todo, skipped } = pendingRuns(plan, store, options.shard);
  store.writePlan(plan);

  const outcome: SweepOutcome = {
    dir: store.dir,
    planned: plan.runs.length,
    inShard: slice.length,
    skipped,
    trained: [],
    failed: [],
    workers: 0,
    seconds: 0,
  };
  if (todo.length === 0) {
    outcome.seconds = (performance.now() - start) / 1000;
    return outcome;
  }

  const workers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), todo.length));
  outcome.workers = workers;
  const cost = new Map(todo.map((r) => [r.id, runCost(r.config)]));
  const totalCost = [...cost.values()].reduce((a, b) => a + b, 0);
  const inFlight = new Map<string, number>(); // id -> fraction of its steps done
  let doneCost = 0;
  let runsDone = 0;
  let lastReport = 0;
  const report = (force = false) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < 250) return;
    lastReport = now;
    let partial = 0;
    for (const [id, f] of inFlight) partial += f * (cost.get(id) ?? 0);
    const fraction = totalCost > 0 ? Math.min(1, (doneCost + partial) / totalCost) : 1;
    const elapsedSeconds = (now - start) / 1000;
    options.onProgress({
      runsDone,
      runsTotal: todo.length,
      fraction,
      elapsedSeconds,
      etaSeconds: fraction > 0 ? (elapsedSeconds * (1 - fraction)) / fraction : NaN,
    });
  };

  const pool = await TrainingPool.open({ workers, workerFile: options.workerFile });
  try {
    report(true);
    await Promise.all(
      todo.map(async (run) => {
        try {
          const result = await pool.train(
            { id: run.id, config: run.config, recordPath: store.recordPath(run.id) },
            (steps) => {
              inFlight.set(run.id, steps / run.config.steps);
              report();
            },
          );
          outcome.trained.push(result);
        } catch (e) {
          outcome.failed.push({ id: run.id, error: e instanceof Error ? e.message : String(e) });
        } finally {
          inFlight.delete(run.id);
          doneCost += cost.get(run.id) ?? 0;
          runsDone++;
          report(true);
        }
      }),
    );
  } finally {
    await pool.close();
  }
  outcome.seconds = (performance.now() - start) / 1000;
  return outcome;
}

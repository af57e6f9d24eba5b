// Running a sweep: the plan's runs (or one shard's slice of them) that have no record yet, longest first, on a
// pool of worker threads, each writing its record atomically into DIR/runs.
//
//   plan --checkPlan (a folder holds one plan) --> pending runs (no record yet) --> checkpoints checked
//     --> sweep.json recorded once --> `workers` lanes: claim the next run (DIR/runs/<id>.claim, exclusive)
//         --> pool thread: resume from DIR/runs/<id>.ckpt if any, train, checkpoint every `checkpointEvery`,
//             write the record, remove the checkpoint --> release the claim
//
// Resumable at any moment: a re-run skips the runs whose record exists and resumes the others from their
// checkpoints, bit for bit. A stop request (the CLI sets it on SIGTERM/SIGINT) makes every run in flight write a
// checkpoint and stop, and no new run starts. Claims keep any number of writers (shards, array tasks, two
// identical sweeps started at once) from training a run twice.
import type { Shard, SweepPlan, PlannedRun } from './plan.js';
import { longestFirst, runCost, shardRuns } from './plan.js';
import { CLAIM_HEARTBEAT_SECONDS, SweepStore, type Claim } from './store.js';
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
  /** Seconds between a run's checkpoints (default Infinity: only when stopped). */
  checkpointEverySeconds?: number;
  /** Int32Array over a SharedArrayBuffer: element 0 set non-zero stops the sweep with checkpoints. */
  stopFlag?: Int32Array;
}

export interface SweepOutcome {
  dir: string;
  /** Runs in the plan, in this shard, already done (skipped), trained now, failed. */
  planned: number;
  inShard: number;
  skipped: string[];
  trained: TrainJobResult[];
  failed: { id: string; error: string }[];
  /** Runs stopped by a stop request after their checkpoint (they resume when the sweep runs again). */
  interrupted: { id: string; stepsDone: number }[];
  /** Runs that another live writer holds (claimed): left to it. */
  elsewhere: { id: string; heldBy: string }[];
  /** Runs of this shard not started because the sweep was stopped. */
  notStarted: string[];
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

/** A stop flag the sweep's threads can read (see SweepOptions.stopFlag). */
export function newStopFlag(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

/**
 * Runs a sweep into `dir`. Everything that can be refused (a file in the way, another plan in the folder,
 * records or checkpoints of different runs) is refused before anything is written.
 */
export async function runSweep(
  plan: SweepPlan,
  dir: string,
  options: SweepOptions = {},
): Promise<SweepOutcome> {
  const start = performance.now();
  const store = new SweepStore(dir);
  store.checkWritable();
  store.checkPlan(plan);
  const { slice, todo, skipped } = pendingRuns(plan, store, options.shard);
  store.checkCheckpoints(todo);
  store.writePlan(plan);
  store.removeStaleTemps();
  store.removeLeftovers(skipped);

  const outcome: SweepOutcome = {
    dir: store.dir,
    planned: plan.runs.length,
    inShard: slice.length,
    skipped,
    trained: [],
    failed: [],
    interrupted: [],
    elsewhere: [],
    notStarted: [],
    workers: 0,
    seconds: 0,
  };
  if (todo.length === 0) {
    outcome.seconds = (performance.now() - start) / 1000;
    return outcome;
  }

  const stopFlag = options.stopFlag ?? newStopFlag();
  const stopped = () => Atomics.load(stopFlag, 0) !== 0;
  const workers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), todo.length));
  outcome.workers = workers;
  const cost = new Map(todo.map((r) => [r.id, runCost(r.config)]));
  const totalCost = [...cost.values()].reduce((a, b) => a + b, 0);
  const inFlight = new Map<string, number>(); // id -> fraction of its steps done
  // where each run stood when this process first heard of it (a resumed run starts at its checkpoint): the
  // rate, and so the ETA, counts only the work done here
  const startedAt = new Map<string, number>();
  let doneCost = 0;
  let doneHere = 0;
  let runsDone = 0;
  let lastReport = 0;
  const report = (force = false) => {
    if (!options.onProgress) return;
    const now = performance.now();
    if (!force && now - lastReport < 250) return;
    lastReport = now;
    let partial = 0;
    let partialHere = 0;
    for (const [id, f] of inFlight) {
      partial += f * (cost.get(id) ?? 0);
      partialHere += (f - (startedAt.get(id) ?? f)) * (cost.get(id) ?? 0);
    }
    const fraction = totalCost > 0 ? Math.min(1, (doneCost + partial) / totalCost) : 1;
    const workHere = doneHere + partialHere;
    const elapsedSeconds = (now - start) / 1000;
    options.onProgress({
      runsDone,
      runsTotal: todo.length,
      fraction,
      elapsedSeconds,
      etaSeconds: workHere > 0 ? (elapsedSeconds * (1 - fraction) * totalCost) / workHere : NaN,
    });
  };

  const claims = new Set<Claim>();
  const heartbeat = setInterval(() => claims.forEach((c) => c.beat()), CLAIM_HEARTBEAT_SECONDS * 1000);
  heartbeat.unref();
  const queue = [...todo];
  const pool = await TrainingPool.open({ workers, workerFile: options.workerFile });

  /** One lane: claims the next run, trains it in a pool thread, releases it; until the queue is empty or a stop. */
  const lane = async () => {
    for (let run = queue.shift(); run !== undefined; run = queue.shift()) {
      if (stopped()) {
        outcome.notStarted.push(run.id);
        continue;
      }
      const claim = store.claim(run.id);
      if (!('release' in claim)) {
        outcome.elsewhere.push({ id: run.id, heldBy: claim.heldBy });
        doneCost += cost.get(run.id) ?? 0;
        continue;
      }
      claims.add(claim);
      // the share of the run's work that is done when the lane lets it go (less than all of it if stopped)
      let doneShare = 1;
      try {
        // another writer may have finished it between our look at the store and our claim
        if (store.status(run).state === 'done') {
          outcome.skipped.push(run.id);
          continue;
        }
        const result = await pool.train(
          {
            id: run.id,
            config: run.config,
            recordPath: store.recordPath(run.id),
            checkpointPath: store.checkpointPath(run.id),
            checkpointEverySeconds: options.checkpointEverySeconds ?? Infinity,
            stop: stopFlag,
          },
          (steps) => {
            if (!startedAt.has(run.id)) startedAt.set(run.id, steps / run.config.steps);
            inFlight.set(run.id, steps / run.config.steps);
            report();
          },
        );
        if (result.interrupted) {
          outcome.interrupted.push({ id: run.id, stepsDone: result.stepsDone });
          doneShare = result.stepsDone / run.config.steps;
        } else outcome.trained.push(result);
        // the share of this run done here: from where it resumed to where it stopped
        const c = cost.get(run.id) ?? 0;
        doneHere += ((result.stepsDone - result.resumedFrom) / run.config.steps) * c;
      } catch (e) {
        outcome.failed.push({ id: run.id, error: e instanceof Error ? e.message : String(e) });
      } finally {
        claims.delete(claim);
        claim.release();
        inFlight.delete(run.id);
        doneCost += doneShare * (cost.get(run.id) ?? 0);
        if (doneShare === 1) runsDone++;
        report(true);
      }
    }
  };

  try {
    report(true);
    await Promise.all(Array.from({ length: workers }, lane));
  } finally {
    clearInterval(heartbeat);
    for (const c of claims) c.release();
    await pool.close();
  }
  outcome.seconds = (performance.now() - start) / 1000;
  return outcome;
}

// `quanta sweep N|S|D|alpha|all`: a scaling sweep into a run store (DIR/sweep.json + DIR/runs/<id>.json), on a
// pool of worker threads, resumable, shardable over machines with --shard i/n, or costed with --dry-run.
import { InvalidArgumentError, type Command } from 'commander';
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { require } from '../../core/errors.js';
import { CALIBRATION_SECONDS, estimateSweep } from '../../scaling/calibrate.js';
import { dryRunEstimate, formatDryRun } from '../../scaling/estimate.js';
import {
  parseShard,
  planSweep,
  shardRuns,
  SWEEP_KINDS,
  type Shard,
  type SweepPlan,
} from '../../scaling/plan.js';
import { defaultWorkers } from '../../scaling/pool.js';
import { newStopFlag, pendingRuns, runSweep, type SweepOutcome } from '../../scaling/sweep.js';
import { DEFAULT_CHECKPOINT_EVERY, parseDuration } from '../../train/checkpoint.js';
import { SweepStore } from '../../scaling/store.js';
import { EMIT_TARGETS, emitSweep, type EmitFlags } from '../../scaling/emit.js';
import { VERSION } from '../../version.js';
import { natsToBits } from '../../core/units.js';
import {
  parseFloatOption,
  parseIntOption,
  parseStopAfterMinimum,
  parseListOption,
  Progress,
  runCommand,
  stopSignals,
} from '../common.js';

/** The parsed options: the plan's and the emitter's flags (EmitFlags), and the run's own. */
export interface SweepCliOptions extends EmitFlags {
  cores?: number;
  perRun?: boolean;
  calibrationSeconds?: number;
  json?: boolean;
  quiet?: boolean;
}

/** The plan a command line asks for (throws a ConfigError on bad input; writes nothing). */
export function planFromCli(kind: string, o: SweepCliOptions): SweepPlan {
  return planSweep(kind, o.preset, {
    alphas: o.alpha,
    widths: o.widths,
    dataSizes: o.dataSizes,
    seeds: o.seeds,
    steps: o.steps,
    logEvery: o.logEvery,
    dataWidth: o.dataWidth,
    stopAfterMinimum: o.stopAfterMinimum,
  });
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** Runs a sweep with a progress bar on stderr; returns the outcome. */
export async function sweepWithProgress(
  plan: SweepPlan,
  out: string,
  options: {
    workers?: number;
    shard?: Shard;
    quiet?: boolean;
    label?: string;
    checkpointEverySeconds?: number;
    stopFlag?: Int32Array;
  },
): Promise<SweepOutcome> {
  // progress in percent of the estimated work (runs differ in cost); the runs done are in the info
  const progress = new Progress(
    `${options.label ?? `sweep ${plan.kind}`} (% of work)`,
    100,
    Boolean(options.quiet),
  );
  try {
    return await runSweep(plan, out, {
      workers: options.workers,
      shard: options.shard,
      checkpointEverySeconds: options.checkpointEverySeconds,
      stopFlag: options.stopFlag,
      onProgress: (p) =>
        progress.update(
          Math.round(100 * p.fraction),
          `${p.runsDone}/${p.runsTotal} runs done`,
          // the sweep's ETA counts only the work done in this process (a resumed run starts part-way)
          Number.isFinite(p.etaSeconds) ? p.etaSeconds : undefined,
        ),
    });
  } finally {
    progress.stop();
  }
}

export function formatSweepOutcome(plan: SweepPlan, o: SweepOutcome, shard?: Shard): string {
  const lines: string[] = [];
  const where = shard ? ` (shard ${shard.index}/${shard.count}: ${o.inShard} of them)` : '';
  lines.push(`quanta sweep ${plan.kind} --preset ${plan.preset}: ${o.planned} runs planned${where}`);
  lines.push(
    `  trained ${o.trained.length}, already done ${o.skipped.length}, failed ${o.failed.length}` +
      (o.trained.length > 0 ? `, in ${formatSeconds(o.seconds)} on ${o.workers} worker(s)` : ''),
  );
  if (o.trained.length > 0) {
    const sorted = [...o.trained].sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    lines.push('');
    lines.push('  run                          last mean test loss (bits)   train samples/s   seconds');
    for (const r of sorted) {
      lines.push(
        `  ${r.id.padEnd(28)} ${natsToBits(r.finalLoss).toFixed(4).padStart(12)}               ` +
          `${Math.round(r.samplesPerSecond).toLocaleString('en-US').padStart(12)}   ${r.seconds.toFixed(1).padStart(7)}`,
      );
    }
  }
  for (const f of o.failed) lines.push(`  FAILED ${f.id}: ${f.error}`);
  for (const r of o.interrupted)
    lines.push(`  stopped ${r.id} at step ${r.stepsDone} (checkpointed: the same command resumes it)`);
  if (o.notStarted.length > 0) lines.push(`  not started (stopped): ${o.notStarted.length} runs`);
  for (const r of o.elsewhere) lines.push(`  left to another writer: ${r.id} (claimed by ${r.heldBy})`);
  lines.push('');
  lines.push(`  sweep: ${resolve(o.dir, 'sweep.json')}, records: ${resolve(o.dir, 'runs')}`);
  lines.push(`  next: quanta fit ${o.dir} && quanta report ${o.dir}`);
  return lines.join('\n');
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description(
      'run a scaling sweep (N: widths, S: steps of the widest run, D: dataset sizes, all: N+S+D for one alpha, ' +
        'alpha: N, S and D over a grid of alphas and seeds) into a resumable run store',
    )
    .argument('<kind>', `one of ${SWEEP_KINDS.join(', ')}`)
    .option(
      '--preset <name>',
      "quick (minutes on a laptop), paper (the paper's Fig. 2 / Fig. 10 runs) or faithful (Fig. 10's runs at " +
        'alpha 0.4 cut to a 2-core budget: 8 widths, 8 dataset sizes, one seed)',
      'quick',
    )
    .option(
      '--alpha <list>',
      "paper alpha(s), comma-separated (p_k ~ k^-(alpha+1)); default: the preset's",
      parseListOption('--alpha', parseFloatOption('--alpha')),
    )
    .option(
      '--widths <list>',
      'hidden widths of the N sweep, comma-separated',
      parseListOption('--widths', parseIntOption('--widths')),
    )
    .option(
      '--data-sizes <list>',
      'dataset sizes D of the D sweep, comma-separated',
      parseListOption('--data-sizes', parseIntOption('--data-sizes')),
    )
    .option('--seeds <list>', 'seeds, comma-separated', parseListOption('--seeds', parseIntOption('--seeds')))
    .option(
      '--steps <int>',
      'optimiser steps of every run (default: the preset steps)',
      parseIntOption('--steps'),
    )
    .option(
      '--log-every <int>',
      "evaluate every run every this many steps (default: the preset's: quick 200; paper 100 for Fig. 2, 500 for Fig. 10; faithful 500, its D runs 250)",
      parseIntOption('--log-every'),
    )
    .option('--data-width <int>', 'hidden width of the D sweep runs', parseIntOption('--data-width'))
    .option(
      '--stop-after-minimum <factor,steps>',
      'the D runs stop at the first log step t >= factor * t_min + steps, t_min the step of the lowest mean test loss so far (the D fit takes the minimum over time; a departure from the reference, see README; default: every step runs)',
      parseStopAfterMinimum('--stop-after-minimum'),
    )
    .option(
      '--workers <int>',
      `worker threads (default: all cores, here ${defaultWorkers()}; with --emit, threads a task: 1, as --cpus-per-task=1 ` +
        'packs single-threaded runs into any free core and a requeue stops one run)',
      parseIntOption('--workers', 1, 1024),
    )
    .option('--shard <i/n>', 'run only slice i (0-based) of n disjoint slices, e.g. $SLURM_ARRAY_TASK_ID/$N')
    .option(
      '--dry-run',
      'print the runs, the core-hours they need (measured here), wall times, memory and checkpoint sizes; write nothing',
    )
    .option(
      '--cores <int>',
      `with --dry-run: the wall time on one machine of this many cores (default: --workers without --array, else all cores, here ${defaultWorkers()})`,
      parseIntOption('--cores', 1, 1_000_000),
    )
    .option(
      '--array <A>',
      'with --emit: the number of array tasks or pods, task i running --shard i/A (default: ceil(runs / W), at most 1000); ' +
        'with --dry-run: also the wall time, memory and checkpoints per task of an array of A tasks (--shard i/A), each on --workers W threads (default 1)',
      parseIntOption('--array', 1, 1_000_000),
    )
    .option('--per-run', 'with --dry-run: a line for every run (default: up to 40 runs, else the 10 longest)')
    .option(
      '--calibration-seconds <s>',
      `with --dry-run: seconds of timed steps per run shape (default ${CALIBRATION_SECONDS})`,
      parseFloatOption('--calibration-seconds', 0, 60),
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--quiet', 'no progress on stderr')
    .option('--out <dir>', 'the run store folder (sweep.json + runs/)')
    .option(
      '--checkpoint-every <duration>',
      `checkpoint each run in flight this often and on SIGTERM/SIGINT (runs/<id>.ckpt); the same command ` +
        `resumes (10m, 30s, 500ms; 0 = every step; off)`,
      DEFAULT_CHECKPOINT_EVERY,
    )
    .option(
      '--emit <target>',
      `print the file that runs this sweep as --array A tasks sharing --out DIR, and write nothing: ` +
        `slurm (an sbatch job array) or k8s (an indexed Job)`,
      (v: string) => {
        if (!(EMIT_TARGETS as readonly string[]).includes(v))
          throw new InvalidArgumentError(`--emit must be one of ${EMIT_TARGETS.join(', ')}, got '${v}'`);
        return v;
      },
    )
    .option('--time <limit>', "with --emit: each task's time limit, HH:MM:SS or D-HH:MM:SS (default: none)")
    .action(async (kind: string, o: SweepCliOptions) =>
      runCommand(async () => {
        const plan = planFromCli(kind, o);
        if (o.emit !== undefined || o.time !== undefined || (o.array !== undefined && !o.dryRun)) {
          // the file that runs this sweep as --array A shards on a cluster, on stdout; nothing is written
          const cli = process.argv[1] ? realpathSync(process.argv[1]) : 'dist/cli/main.js';
          process.stdout.write(emitSweep(kind, o, plan, { node: process.execPath, cli, version: VERSION }));
          return;
        }
        const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
        if (o.dryRun) {
          const oneOf =
            '--dry-run: --array A estimates every task of an array (the --shard i/A slices), --shard i/n one slice; give one of them';
          require(o.array === undefined || shard === undefined, oneOf);
          const slice = shard ? shardRuns(plan.runs, shard) : plan.runs;
          // with --out, runs already in the store are not counted
          const todo = o.out ? pendingRuns(plan, new SweepStore(o.out), shard).todo : slice;
          let progress: Progress | undefined;
          const estimate = estimateSweep(
            todo,
            (done, total) => {
              progress ??= new Progress('calibrating run shapes', total, Boolean(o.quiet));
              progress.update(done);
            },
            { secondsPerShape: o.calibrationSeconds },
          );
          progress?.stop();
          // one machine: --cores, else the threads this command would use (--workers), else all cores; an array
          // task gets --workers W threads, 1 by default: its cores are the cluster's, unknown here, and one run
          // per task at a time is what --cpus-per-task=1 gives
          const cores = o.cores ?? (o.array === undefined ? o.workers : undefined) ?? defaultWorkers();
          const array = o.array !== undefined ? { tasks: o.array, workers: o.workers ?? 1 } : undefined;
          const dry = dryRunEstimate(plan.runs, estimate.perRun, { cores, array });
          if (o.json) {
            process.stdout.write(
              JSON.stringify({
                kind: plan.kind,
                preset: plan.preset,
                planned: plan.runs.length,
                inShard: slice.length,
                toRun: todo.length,
                ...estimate,
                perRun: dry.perRun,
                workers: cores,
                wallSecondsAtWorkers: estimate.coreSeconds / cores,
                machine: dry.machine,
                ...(dry.array ? { array: dry.array } : {}),
              }) + '\n',
            );
            return;
          }
          const head = {
            kind: plan.kind,
            preset: plan.preset,
            planned: plan.runs.length,
            shard: shard ? { shard, runs: slice.length } : undefined,
            toRun: todo.length,
          };
          process.stdout.write(formatDryRun(head, estimate, dry, { perRun: o.perRun }) + '\n');
          return;
        }
        require(o.out !== undefined, 'quanta sweep needs --out DIR (the run store folder)');
        const checkpointEverySeconds = parseDuration(o.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY);
        // SIGTERM (Slurm preemption and requeue, Kubernetes pod deletion) and SIGINT: every run in flight
        // writes a checkpoint and stops, no new run starts, and the command exits 143 / 130
        const stopFlag = newStopFlag();
        const stop = stopSignals((sig) => {
          Atomics.store(stopFlag, 0, 1);
          if (!o.quiet) process.stderr.write(`quanta sweep: ${sig}: checkpointing the runs in flight\n`);
        });
        let outcome: SweepOutcome;
        try {
          outcome = await sweepWithProgress(plan, o.out, {
            workers: o.workers,
            shard,
            quiet: o.quiet,
            checkpointEverySeconds,
            stopFlag,
          });
        } finally {
          stop.dispose();
        }
        if (o.json)
          process.stdout.write(JSON.stringify({ kind: plan.kind, preset: plan.preset, ...outcome }) + '\n');
        else process.stdout.write(formatSweepOutcome(plan, outcome, shard) + '\n');
        if (outcome.failed.length > 0) {
          // the summary on stdout lists them; stderr says it in one line, as every failure does
          process.stderr.write(
            `quanta sweep: ${outcome.failed.length} run(s) failed (${outcome.failed[0].id}: ${outcome.failed[0].error}); the others are recorded\n`,
          );
          process.exitCode = 1;
        }
        if (stop.signal !== null) process.exitCode = stop.exitCode;
      }),
    );
}

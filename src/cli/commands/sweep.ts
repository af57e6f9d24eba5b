// `quanta sweep N|S|D|alpha|all`: a scaling sweep into a run store (DIR/sweep.json + DIR/runs/<id>.json), on a
// pool of worker threads, resumable, shardable over machines with --shard i/n, or costed with --dry-run.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { require } from '../../core/errors.js';
import { estimateSweep } from '../../scaling/calibrate.js';
import {
  parseShard,
  planSweep,
  shardRuns,
  SWEEP_KINDS,
  type Shard,
  type SweepPlan,
} from '../../scaling/plan.js';
import { defaultWorkers } from '../../scaling/pool.js';
import { pendingRuns, runSweep, type SweepOutcome } from '../../scaling/sweep.js';
import { SweepStore } from '../../scaling/store.js';
import { parseFloatOption, parseIntOption, parseListOption, Progress, runCommand } from '../common.js';

export interface SweepCliOptions {
  preset: string;
  alpha?: number[];
  widths?: number[];
  dataSizes?: number[];
  seeds?: number[];
  steps?: number;
  dataWidth?: number;
  workers?: number;
  shard?: string;
  dryRun?: boolean;
  json?: boolean;
  quiet?: boolean;
  out?: string;
}

/** The plan a command line asks for (throws a ConfigError on bad input; writes nothing). */
export function planFromCli(kind: string, o: SweepCliOptions): SweepPlan {
  return planSweep(kind, o.preset, {
    alphas: o.alpha,
    widths: o.widths,
    dataSizes: o.dataSizes,
    seeds: o.seeds,
    steps: o.steps,
    dataWidth: o.dataWidth,
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
  options: { workers?: number; shard?: Shard; quiet?: boolean; label?: string },
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
      onProgress: (p) =>
        progress.update(Math.round(100 * p.fraction), `${p.runsDone}/${p.runsTotal} runs done`),
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
        `  ${r.id.padEnd(28)} ${(r.finalLoss / Math.LN2).toFixed(4).padStart(12)}               ` +
          `${Math.round(r.samplesPerSecond).toLocaleString('en-US').padStart(12)}   ${r.seconds.toFixed(1).padStart(7)}`,
      );
    }
  }
  for (const f of o.failed) lines.push(`  FAILED ${f.id}: ${f.error}`);
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
      "quick (minutes on a laptop) or paper (the paper's Fig. 2 / Fig. 10 runs)",
      'quick',
    )
    .option(
      '--alpha <list>',
      "paper alpha(s), comma-separated (p_k ~ k^-(alpha+1)); default: the preset's",
      parseListOption('--alpha', parseFloatOption('--alpha', 0, 100, true)),
    )
    .option(
      '--widths <list>',
      'hidden widths of the N sweep, comma-separated',
      parseListOption('--widths', parseIntOption('--widths', 1, 1_000_000)),
    )
    .option(
      '--data-sizes <list>',
      'dataset sizes D of the D sweep, comma-separated',
      parseListOption('--data-sizes', parseIntOption('--data-sizes', 1, 2 ** 32 - 1)),
    )
    .option(
      '--seeds <list>',
      'seeds, comma-separated',
      parseListOption('--seeds', parseIntOption('--seeds', 0)),
    )
    .option(
      '--steps <int>',
      'optimiser steps of every run (default: the preset steps)',
      parseIntOption('--steps', 1),
    )
    .option(
      '--data-width <int>',
      'hidden width of the D sweep runs',
      parseIntOption('--data-width', 1, 1_000_000),
    )
    .option(
      '--workers <int>',
      `worker threads (default: all cores, here ${defaultWorkers()})`,
      parseIntOption('--workers', 1, 1024),
    )
    .option('--shard <i/n>', 'run only slice i (0-based) of n disjoint slices, e.g. $SLURM_ARRAY_TASK_ID/$N')
    .option(
      '--dry-run',
      'print the number of runs and the core-hours they need (measured here); write nothing',
    )
    .option('--json', 'machine-readable output on stdout')
    .option('--quiet', 'no progress on stderr')
    .option('--out <dir>', 'the run store folder (sweep.json + runs/)')
    .action(async (kind: string, o: SweepCliOptions) =>
      runCommand(async () => {
        const plan = planFromCli(kind, o);
        const shard = o.shard !== undefined ? parseShard(o.shard) : undefined;
        if (o.dryRun) {
          const slice = shard ? shardRuns(plan.runs, shard) : plan.runs;
          // with --out, runs already in the store are not counted
          const todo = o.out ? pendingRuns(plan, new SweepStore(o.out), shard).todo : slice;
          let progress: Progress | undefined;
          const estimate = estimateSweep(todo, (done, total) => {
            progress ??= new Progress('calibrating run shapes', total, Boolean(o.quiet));
            progress.update(done);
          });
          progress?.stop();
          const workers = o.workers ?? defaultWorkers();
          if (o.json) {
            process.stdout.write(
              JSON.stringify({
                kind: plan.kind,
                preset: plan.preset,
                planned: plan.runs.length,
                inShard: slice.length,
                toRun: todo.length,
                ...estimate,
                workers,
                wallSecondsAtWorkers: estimate.coreSeconds / workers,
              }) + '\n',
            );
            return;
          }
          const lines = [
            `quanta sweep ${plan.kind} --preset ${plan.preset} (dry run): ${plan.runs.length} runs planned` +
              (shard ? `, ${slice.length} in shard ${shard.index}/${shard.count}` : '') +
              `, ${todo.length} to run`,
            `  about ${estimate.coreHours.toFixed(estimate.coreHours < 10 ? 2 : 0)} core-hours ` +
              `(${formatSeconds(estimate.coreSeconds)} of one core; ${formatSeconds(estimate.coreSeconds / workers)} on ${workers} workers)`,
            '  measured here:',
            ...estimate.shapes.map(
              (s) =>
                `    ${s.shape}: ${(s.stepSeconds * 1000).toFixed(1)} ms/step (${Math.round(s.samplesPerSecond).toLocaleString('en-US')} samples/s), ` +
                `${(s.evalSampleSeconds * 1e9).toFixed(0)} ns per evaluation sample`,
            ),
          ];
          process.stdout.write(lines.join('\n') + '\n');
          return;
        }
        require(o.out !== undefined, 'quanta sweep needs --out DIR (the run store folder)');
        const outcome = await sweepWithProgress(plan, o.out, { workers: o.workers, shard, quiet: o.quiet });
        if (o.json)
          process.stdout.write(JSON.stringify({ kind: plan.kind, preset: plan.preset, ...outcome }) + '\n');
        else process.stdout.write(formatSweepOutcome(plan, outcome, shard) + '\n');
        if (outcome.failed.length > 0) process.exitCode = 1;
      }),
    );
}

// `quanta train`: one multitask-sparse-parity run, written as a run record.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { DEFAULT_RUN, type RunConfig } from '../../train/config.js';
import { Trainer, validateRun } from '../../train/trainer.js';
import { writeJsonAtomic } from '../../io/atomic.js';
import { saveRunWeights } from '../../train/weights.js';
import { parseFloatOption, parseIntOption, Progress, runCommand } from '../common.js';
import { formatRunSummary, compactRecord } from '../../train/summary.js';

export function registerTrain(program: Command): void {
  const d = DEFAULT_RUN;
  program
    .command('train')
    .description('train one MLP on multitask sparse parity and write its run record (losses in nats)')
    .option('--n-tasks <int>', 'number of subtasks (quanta)', parseIntOption('--n-tasks', 1), d.nTasks)
    .option('--n <int>', 'number of task bits', parseIntOption('--n', 1), d.n)
    .option('--k <int>', 'parity arity (bits per subtask)', parseIntOption('--k', 1), d.k)
    .option(
      '--alpha <num>',
      "the paper's alpha: p_k ~ k^-(alpha+1)",
      parseFloatOption('--alpha', 0, Infinity, true),
      d.alpha,
    )
    .option('--width <int>', 'hidden width', parseIntOption('--width', 1), d.width)
    .option(
      '--depth <int>',
      'number of Linear layers (2 = one hidden layer)',
      parseIntOption('--depth', 2),
      d.depth,
    )
    .option('--activation <name>', 'relu, tanh or sigmoid', d.activation)
    .option('--batch <int>', 'samples per step', parseIntOption('--batch', 1), d.batch)
    .option('--steps <int>', 'optimiser steps', parseIntOption('--steps', 1), d.steps)
    .option('--lr <num>', 'AdamW learning rate', parseFloatOption('--lr', 0, Infinity, true), d.lr)
    .option(
      '--weight-decay <num>',
      'AdamW decoupled weight decay',
      parseFloatOption('--weight-decay', 0),
      d.weightDecay,
    )
    .option(
      '--seed <int>',
      'seed of subsets, init, batches and test sets',
      parseIntOption('--seed', 0),
      d.seed,
    )
    .option(
      '--log-every <int>',
      'evaluate every this many steps',
      parseIntOption('--log-every', 1),
      d.logEvery,
    )
    .option(
      '--test-points <int>',
      'exact-frequency test batch size',
      parseIntOption('--test-points', 1),
      d.testPoints,
    )
    .option(
      '--test-points-per-task <int>',
      'fresh samples per subtask for per-subtask losses',
      parseIntOption('--test-points-per-task', 1),
      d.testPointsPerTask,
    )
    .option(
      '--data <int>',
      'train multi-epoch on one fixed set of D samples (default: fresh samples every step)',
      parseIntOption('--data', 1),
    )
    .option('--out <file>', 'run record to write', 'quanta-out/run.json')
    .option('--no-save-weights', 'do not save the trained weights beside the record')
    .option('--json', 'print the run record as JSON on stdout instead of the summary')
    .option('--quiet', 'no progress on stderr')
    .action(async (o) =>
      runCommand(() => {
        const config: RunConfig = {
          nTasks: o.nTasks,
          n: o.n,
          k: o.k,
          alpha: o.alpha,
          width: o.width,
          depth: o.depth,
          activation: o.activation,
          batch: o.batch,
          steps: o.steps,
          lr: o.lr,
          weightDecay: o.weightDecay,
          seed: o.seed,
          logEvery: o.logEvery,
          testPoints: o.testPoints,
          testPointsPerTask: o.testPointsPerTask,
          data: o.data ?? null,
        };
        validateRun(config);
        const out = resolve(o.out as string);
        const trainer = new Trainer(config);
        const progress = new Progress('train', config.steps, Boolean(o.quiet));
        let lastLoss = NaN;
        const record = trainer.run({
          onLog: (_step, e) => (lastLoss = e.meanLoss),
          onProgress: (done) => progress.update(done, `loss ${(lastLoss / Math.LN2).toFixed(3)} bits`),
        });
        progress.stop();
        if (o.saveWeights) record.weights = saveRunWeights(out, trainer.model);
        writeJsonAtomic(out, compactRecord(record));
        if (o.json) process.stdout.write(JSON.stringify(record) + '\n');
        else process.stdout.write(formatRunSummary(record, out) + '\n');
      }),
    );
}

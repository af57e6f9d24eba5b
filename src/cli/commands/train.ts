// `quanta train`: one multitask-sparse-parity run, written as a run record.
import type { Command } from 'commander';
import { rmSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { DEFAULT_RUN, parseRunConfig } from '../../train/config.js';
import { RunInterrupted, Trainer } from '../../train/trainer.js';
import { removeStaleTemps, writeFileAtomic } from '../../io/atomic.js';
import {
  checkpointPathOf,
  DEFAULT_CHECKPOINT_EVERY,
  findCheckpoint,
  parseDuration,
  writeCheckpoint,
} from '../../train/checkpoint.js';
import { saveRunWeights, saveSubtaskLosses } from '../../train/weights.js';
import { parseIntOption, Progress, runCommand, stopSignals } from '../common.js';
import { addRunOptions } from '../run-options.js';
import { formatRunSummary } from '../../train/summary.js';
import { serializeRecord } from '../../train/record.js';
import { checkOutputFile } from '../../io/output.js';
import { natsToBits } from '../../core/units.js';

export function registerTrain(program: Command): void {
  const d = DEFAULT_RUN;
  const command = program
    .command('train')
    .description('train one MLP on multitask sparse parity and write its run record (losses in nats)');
  addRunOptions(command, d, [
    'nTasks',
    'n',
    'k',
    'alpha',
    'width',
    'depth',
    'activation',
    'batch',
    'steps',
    'lr',
    'weightDecay',
    'seed',
    'logEvery',
    'testPoints',
    'testPointsPerTask',
    'stopAfterMinimum',
  ])
    .option(
      '--data <int>',
      'train multi-epoch on one fixed set of D samples (default: fresh samples every step)',
      parseIntOption('--data'),
    )
    .option('--out <file>', 'run record to write', 'quanta-out/run.json')
    .option(
      '--checkpoint-every <duration>',
      'write a checkpoint (<out>.ckpt) this often and on SIGTERM/SIGINT; the same command resumes from it ' +
        '(10m, 30s, 500ms; 0 = every step; off)',
      DEFAULT_CHECKPOINT_EVERY,
    )
    .option('--no-save-weights', 'do not save the trained weights beside the record')
    .option('--json', 'print the run record as JSON on stdout instead of the summary')
    .option('--quiet', 'no progress on stderr')
    .action(async (o) =>
      runCommand(async () => {
        const checkpointEvery = parseDuration(o.checkpointEvery as string);
        // the edge: the flags were only parsed; every value is checked here, once (exit 2 with one line)
        const config = parseRunConfig({
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
          ...(o.stopAfterMinimum !== undefined ? { stopAfterMinimum: o.stopAfterMinimum } : {}),
        });
        // the record, its weights and its checkpoint go beside each other: checked before any work
        const out = checkOutputFile(o.out as string);
        const checkpointPath = checkpointPathOf(out);
        // a checkpoint of another run (or core) is refused here, before any work (exit 2)
        const resume = findCheckpoint(checkpointPath, config);
        removeStaleTemps(dirname(out), basename(out).replace(/\.json$/i, ''));
        const trainer = new Trainer(config);
        if (resume) {
          trainer.setState(resume.state);
          if (!o.quiet)
            process.stderr.write(
              `quanta train: resuming from ${checkpointPath} at step ${resume.state.stepsDone} of ${config.steps}\n`,
            );
        }
        const stop = stopSignals();
        const progress = new Progress('train', config.steps, Boolean(o.quiet));
        let lastLoss = resume ? (resume.state.log.meanLoss.at(-1) ?? NaN) : NaN;
        let record;
        try {
          record = await trainer.runAsync(
            {
              onLog: (_step, e) => (lastLoss = e.meanLoss),
              onProgress: (done) => progress.update(done, `loss ${natsToBits(lastLoss).toFixed(3)} bits`),
            },
            {
              checkpointEverySeconds: checkpointEvery,
              onCheckpoint: (state) => writeCheckpoint(checkpointPath, config, state),
              shouldStop: () => stop.signal !== null,
            },
          );
        } catch (e) {
          progress.stop();
          if (e instanceof RunInterrupted) {
            process.stderr.write(
              `quanta train: stopped by ${stop.signal} at step ${e.stepsDone}; checkpoint ${checkpointPath}; ` +
                `the same command resumes it\n`,
            );
            process.exit(stop.exitCode);
          }
          throw e;
        } finally {
          stop.dispose();
        }
        progress.stop();
        if (o.saveWeights) record.weights = saveRunWeights(out, trainer.model);
        record.subtaskLossFile = saveSubtaskLosses(out, record);
        writeFileAtomic(out, serializeRecord(record));
        rmSync(checkpointPath, { force: true });
        if (o.json) process.stdout.write(JSON.stringify(record) + '\n');
        else process.stdout.write(formatRunSummary(record, out) + '\n');
      }),
    );
}

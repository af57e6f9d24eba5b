// `quanta qdg-recovery`: the recovery study (beyond the paper; issue 15). Trains one sparse-parity run,
// snapshots it at several steps (each snapshot a run record with its weights, which `quanta qdg --run` takes),
// then clusters each snapshot's low-loss samples for every gradient choice and every K in 2..--max-clusters, and
// scores the clusters against the true subtasks (src/qdg/recovery.ts): ARI as a function of the subtasks learned,
// written as recovery.json, recovery.csv and report.html (the Vega-Lite figure of src/report/qdg-figures.ts).
import type { Command } from 'commander';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { getCore } from '../../core/arena.js';
import { ConfigError, require } from '../../core/errors.js';
import { natsToBits } from '../../core/units.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { checkOutputFolder } from '../../io/output.js';
import { qdgConfig, type CosineKind, type GradientOf } from '../../qdg/config.js';
import {
  choiceName,
  DEFAULT_RECOVERY_CHOICES,
  presentSubtasks,
  recoveryScore,
  type RecoveryChoice,
  type RecoveryPoint,
} from '../../qdg/recovery.js';
import { planQdg, runQdg } from '../../qdg/run.js';
import { planRunSource, runChoices, runSource, type LoadedRunSource } from '../../qdg/sources/run.js';
import { writeRecoveryOutputs } from '../../qdg/write.js';
import { DEFAULT_RUN, parseRunConfig, type ValidRunConfig } from '../../train/config.js';
import { serializeRecord } from '../../train/record.js';
import { LEARNED_BITS } from '../../train/summary.js';
import { Trainer, type Evaluation } from '../../train/trainer.js';
import { saveRunWeights } from '../../train/weights.js';
import { parseFloatOption, parseIntOption, parseListOption, Progress, runCommand } from '../common.js';
import { LAYERS_HELP, parseInteger, parseLayers } from '../qdg-options.js';
import { addRunOptions } from '../run-options.js';

/**
 * The study's run: 30 subtasks, n 20, width 256, lr 3e-3, 12,000 steps of 2000: it learns 24 of them, one
 * after another, in about a minute on a laptop core (the paper-setting run learns 4 or 5 in 15,000 steps).
 */
export const RECOVERY_RUN = {
  ...DEFAULT_RUN,
  nTasks: 30,
  n: 20,
  k: 3,
  alpha: 0.4,
  width: 256,
  batch: 2000,
  steps: 12_000,
  lr: 3e-3,
  logEvery: 250,
};
/** Snapshot steps as fractions of the run (rounded to log steps): log-spaced early, where subtasks emerge. */
const SNAPSHOT_FRACTIONS = [1 / 32, 1 / 16, 1 / 8, 1 / 4, 3 / 8, 1 / 2, 3 / 4, 1];

interface RecoveryCliOptions {
  nTasks: number;
  n: number;
  k: number;
  alpha: number;
  width: number;
  batch: number;
  steps: number;
  lr: number;
  seed: number;
  logEvery: number;
  at?: number[];
  samples: number;
  lossThreshold: number;
  maxClusters: number;
  nInit: number;
  qdgSeed: number;
  choices: string;
  layers?: string[];
  json?: boolean;
  quiet?: boolean;
  out: string;
}

/** `--choices`: `loss/signed,logit/signed,...` (the values are qdgConfig's to check). */
export function parseChoices(text: string): RecoveryChoice[] {
  const choices = text.split(',').map((part) => {
    const [gradientOf, cosine = 'signed', ...rest] = part.trim().split('/');
    require(rest.length === 0 &&
      gradientOf !==
        '', `--choices must be a comma-separated list of GRADIENT[/COSINE] (loss/signed,logit/abs,...), got '${text}'`);
    return { gradientOf: gradientOf as GradientOf, cosine: cosine as CosineKind };
  });
  const names = choices.map(choiceName);
  require(new Set(names).size === names.length, `--choices lists a choice twice: '${text}'`);
  return choices;
}

/** The snapshot steps: the given ones (each a log step in (0, steps]) or the default fractions of the run. */
function snapshotSteps(at: number[] | undefined, config: ValidRunConfig): number[] {
  const { steps, logEvery } = config;
  const list =
    at ?? SNAPSHOT_FRACTIONS.map((f) => Math.max(logEvery, Math.round((f * steps) / logEvery) * logEvery));
  for (const s of list)
    require(s > 0 &&
      s <= steps &&
      (s % logEvery === 0 ||
        s ===
          steps), `--at values must be multiples of --log-every (${logEvery}) in [${logEvery}, ${steps}] or --steps itself, got ${s}`);
  return [...new Set(list)].sort((a, b) => a - b);
}

export async function qdgRecoveryCommand(o: RecoveryCliOptions): Promise<void> {
  // --- validation: the run, the snapshots, every QDG option for every choice, the output folder ---
  const config = parseRunConfig({
    ...RECOVERY_RUN,
    nTasks: o.nTasks,
    n: o.n,
    k: o.k,
    alpha: o.alpha,
    width: o.width,
    batch: o.batch,
    steps: o.steps,
    lr: o.lr,
    seed: o.seed,
    logEvery: o.logEvery,
  });
  const steps = snapshotSteps(o.at, config);
  const choices = parseChoices(o.choices);
  require(Number.isInteger(o.maxClusters) &&
    o.maxClusters >= 2 &&
    o.maxClusters <
      o.samples, `--max-clusters must be an integer in [2, ${o.samples - 1}] for ${o.samples} samples, got ${o.maxClusters}`);
  const clusters = Array.from({ length: o.maxClusters - 1 }, (_, i) => i + 2);
  const qdgOptions = (c: RecoveryChoice) => ({
    clusters,
    nInit: o.nInit,
    seed: o.qdgSeed,
    gradientOf: c.gradientOf,
    cosine: c.cosine,
    layers: o.layers,
  });
  for (const c of choices) qdgConfig(qdgOptions(c), o.samples, config.alpha, runChoices(config.depth));
  const out = checkOutputFolder(o.out);
  const snapshots = join(out, 'snapshots');
  mkdirSync(snapshots, { recursive: true });
  const log = (line: string) => {
    if (!o.quiet) process.stderr.write(`qdg-recovery: ${line}\n`);
  };

  // --- training, with a run record and its weights at every snapshot step ---
  const taken: Omit<RecoveryPoint, 'samples' | 'presentSubtasks' | 'subtasksInSamples' | 'scores'>[] = [];
  const trainer = new Trainer(config);
  try {
    const t0 = performance.now();
    const snapshot = (step: number, e: Evaluation) => {
      const file = `step-${step}.json`;
      const path = join(snapshots, file);
      // a run of `step` steps: batches are functions of the step, so it is this run's prefix
      const record = trainer.toRecord((performance.now() - t0) / 1000);
      record.config = { ...record.config, steps: step };
      record.trainingSamples = step * config.batch;
      record.weights = saveRunWeights(path, trainer.model);
      writeFileAtomic(path, serializeRecord(record));
      const learned = e.subtaskLoss.filter((l) => natsToBits(l) < LEARNED_BITS).length;
      taken.push({ step, learned, meanLossBits: natsToBits(e.meanLoss), record: `snapshots/${file}` });
      log(`step ${step}: ${learned} of ${config.nTasks} subtasks learned, snapshot ${path}`);
    };
    const progress = new Progress('train', config.steps, Boolean(o.quiet));
    trainer.run({
      onLog: (step, e) => {
        if (steps.includes(step)) snapshot(step, e);
      },
      onProgress: (done) => progress.update(done),
    });
    progress.stop();
    if (steps.includes(config.steps)) snapshot(config.steps, trainer.evaluate(trainer.log.steps.length));
  } finally {
    trainer.dispose();
  }

  // --- QDG at every snapshot, for every choice ---
  const core = getCore();
  const points: RecoveryPoint[] = [];
  for (const t of taken) {
    const plan = planRunSource(join(out, t.record), o.samples, o.lossThreshold);
    const point: RecoveryPoint = { ...t, samples: 0, presentSubtasks: 0, subtasksInSamples: 0, scores: [] };
    for (const choice of choices) {
      const source = runSource(plan);
      let loaded: LoadedRunSource;
      let analysis;
      try {
        const result = runQdg(source, planQdg(source, qdgOptions(choice), core), () => {}, core);
        loaded = result.loaded;
        analysis = result.analysis;
      } catch (e) {
        // too few low-loss samples (an early snapshot): the point stays, without scores
        if (!(e instanceof ConfigError)) throw e;
        point.note = e.message;
        break;
      }
      point.samples = loaded.samples;
      point.presentSubtasks = presentSubtasks(loaded.trueLabels);
      point.subtasksInSamples = new Set(loaded.trueLabels).size;
      if (point.presentSubtasks < 2) {
        point.note = `the samples hold ${point.presentSubtasks} subtask(s) with 1% of them or more: nothing to recover`;
        break;
      }
      point.scores.push(recoveryScore(analysis, choice, loaded.trueLabels, loaded.parityLabels));
    }
    points.push(point);
    log(
      `step ${t.step}: ` +
        (point.scores.length
          ? point.scores.map((s) => `${choiceName(s)} ARI ${s.ari.toFixed(3)} at K ${s.K}`).join(', ')
          : (point.note ?? '')),
    );
  }

  // --- outputs ---
  const files = await writeRecoveryOutputs(out, {
    run: config,
    choices,
    layers: o.layers ?? 'all',
    samples: o.samples,
    lossThreshold: o.lossThreshold,
    clusters: [2, o.maxClusters],
    nInit: o.nInit,
    seed: o.qdgSeed,
    points,
  });
  if (o.json) {
    process.stdout.write(JSON.stringify({ points, files }) + '\n');
    return;
  }
  const head = ['step', 'learned', 'present', ...choices.map((c) => `ARI ${choiceName(c)}`)];
  const rows = points.map((p) => [
    p.step,
    p.learned,
    p.presentSubtasks,
    ...choices.map((c) => {
      const s = p.scores.find((x) => choiceName(x) === choiceName(c));
      return s ? s.ari.toFixed(3) : '-';
    }),
  ]);
  process.stdout.write(
    [head, ...rows].map((r) => r.map((v) => String(v).padStart(8)).join(' ')).join('\n') +
      `\nwrote ${files.length} files to ${out}\n`,
  );
}

export function registerQdgRecovery(program: Command): void {
  const d = RECOVERY_RUN;
  const command = program
    .command('qdg-recovery')
    .description(
      'the recovery study: ARI of QDG clusters against the true subtasks as a model learns more of them ' +
        '(one sparse-parity run, snapshots along training; beyond the paper)',
    );
  addRunOptions(command, d, [
    'nTasks',
    'n',
    'k',
    'alpha',
    'width',
    'batch',
    'steps',
    'lr',
    'seed',
    'logEvery',
  ])
    .option(
      '--at <steps>',
      'snapshot steps, multiples of --log-every (default: 1/32, 1/16, 1/8, 1/4, 3/8, 1/2, 3/4 and all of --steps)',
      parseListOption('--at', parseIntOption('--at')),
    )
    .option(
      '--samples <int>',
      'low-loss samples clustered at each snapshot',
      parseIntOption('--samples', 3),
      1000,
    )
    .option(
      '--loss-threshold <nats>',
      'keep samples whose loss is below this (nats), as qdg --run',
      parseFloatOption('--loss-threshold', 0, Infinity, true),
      0.01,
    )
    .option('--max-clusters <int>', 'cluster every K from 2 to this', parseIntOption('--max-clusters'), 60)
    .option('--n-init <int>', 'k-means restarts per K', parseInteger('--n-init'), 10)
    .option('--qdg-seed <int>', 'seed of the eigensolver start and k-means++', parseInteger('--qdg-seed'), 0)
    .option(
      '--choices <list>',
      "gradient choices, GRADIENT/COSINE comma-separated: loss or logit (qdg's --gradient-of), signed or abs " +
        "(qdg's --cosine)",
      DEFAULT_RECOVERY_CHOICES.map(choiceName).join(','),
    )
    .option('--layers <list>', LAYERS_HELP, parseLayers)
    .option('--json', 'print the points as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output folder (snapshots/, recovery.json, recovery.csv, report.html)')
    .action(async (o: RecoveryCliOptions) => runCommand(() => qdgRecoveryCommand(o)));
}

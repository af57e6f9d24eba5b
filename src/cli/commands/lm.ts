// `quanta lm train`: trains the family of n-gram MLP language models on the Brown corpus and writes its
// per-token loss matrices (src/lm/train-family.ts); `quanta lm qdg`: QDG on the low-loss test tokens of one
// member (src/cli/lm-qdg.ts).
import { CORPUS_PACKAGES, requireOptionalPackages } from '../../core/optional.js';
import type { Command } from 'commander';
import {
  DEFAULT_LM_FAMILY,
  lmParameterCount,
  validateLmFamily,
  type LmFamilyConfig,
} from '../../lm/family.js';
import { trainLanguageModelFamily } from '../../lm/train-family.js';
import { lmQdgCommand, registerLmQdgOptions, type LmQdgCliOptions } from '../lm-qdg.js';
import { parseFloatOption, parseIntOption, parseListOption, Progress, runCommand } from '../common.js';
import { checkOutputFolder } from '../../io/output.js';

interface LmTrainCliOptions {
  vocab: number;
  context: number;
  widths: number[];
  steps: number;
  batch: number;
  lr: number;
  seed: number;
  checkpoints: number;
  texts: number;
  workers?: number;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

async function lmTrainCommand(o: LmTrainCliOptions): Promise<void> {
  const cfg: LmFamilyConfig = {
    vocab: o.vocab,
    context: o.context,
    widths: o.widths,
    steps: o.steps,
    batch: o.batch,
    lr: o.lr,
    seed: o.seed,
    checkpoints: o.checkpoints,
    texts: o.texts,
  };
  validateLmFamily(cfg);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const params = cfg.widths.map((w) => lmParameterCount(cfg, w));
  if (!o.quiet) {
    process.stderr.write(
      `lm train: ${cfg.widths.length} models, N = ${params.join(', ')} ` +
        `(${Math.log10(params[params.length - 1] / params[0]).toFixed(2)} decades), ${cfg.steps} steps of ${cfg.batch}\n`,
    );
  }
  const bar = new Progress('lm train', cfg.widths.length * cfg.steps, !!o.quiet);
  const record = await trainLanguageModelFamily(cfg, out, {
    workers: o.workers,
    onProgress: (done) => bar.update(done),
  });
  bar.stop();
  if (o.json) {
    process.stdout.write(JSON.stringify({ ...record, out }) + '\n');
    return;
  }
  const lines = record.widths.map(
    (w, m) =>
      `  width ${String(w).padStart(4)}  N ${String(record.parameters[m]).padStart(9)}  ` +
      `test loss ${record.meanTestLoss[m][record.meanTestLoss[m].length - 1].toFixed(4)} nats  ` +
      `${record.memberSeconds[m].toFixed(0)} s`,
  );
  process.stdout.write(
    `lm train: ${record.testTokens} test tokens, ${record.trainTokens} training tokens, V = ${record.vocabularySize} ` +
      `(${(100 * record.unknownShare).toFixed(1)}% of test tokens <unk>)\n${lines.join('\n')}\n` +
      `total ${record.seconds.toFixed(0)} s on ${record.workers} workers; wrote ${out}\n`,
  );
}

export function registerLm(program: Command): void {
  const lm = program
    .command('lm')
    .description('language models on the Brown corpus: train the family, QDG on its tokens');
  const d = DEFAULT_LM_FAMILY;
  lm.command('train')
    .description(
      'train the family of n-gram MLP language models and write per-token test-loss matrices (.npy) for `quanta tokens`',
    )
    .option(
      '--vocab <int>',
      'vocabulary: the V most frequent training words (+ <s>, <unk>)',
      parseIntOption('--vocab', 2),
      d.vocab,
    )
    .option('--context <int>', 'previous tokens seen by the model', parseIntOption('--context', 1), d.context)
    .option(
      '--widths <list>',
      'hidden widths, one model each',
      parseListOption('--widths', parseIntOption('--widths', 1)),
      d.widths,
    )
    .option('--steps <int>', 'optimiser steps per model', parseIntOption('--steps', 1), d.steps)
    .option('--batch <int>', 'batch size', parseIntOption('--batch', 1), d.batch)
    .option('--lr <num>', 'AdamW learning rate', parseFloatOption('--lr', 0, 1, true), d.lr)
    .option('--seed <int>', 'seed of weights and batches', parseIntOption('--seed', 0), d.seed)
    .option(
      '--checkpoints <int>',
      'log-spaced checkpoints per model',
      parseIntOption('--checkpoints', 1),
      d.checkpoints,
    )
    .option(
      '--texts <int>',
      'use only the first N corpus texts (500 = all)',
      parseIntOption('--texts', 10, 500),
      d.texts,
    )
    .option('--workers <int>', 'worker threads (default: all cores)', parseIntOption('--workers', 0, 256))
    .option('--json', 'print the family record as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output folder (a finished member is reused when re-run)')
    .action(async (o: LmTrainCliOptions) =>
      runCommand(() => {
        requireOptionalPackages(CORPUS_PACKAGES, 'quanta lm train');
        return lmTrainCommand(o);
      }),
    );
  registerLmQdgOptions(
    lm
      .command('qdg')
      .description(
        'QDG on tokens: spectral clusters of per-token gradients of low-loss test tokens of a trained family member',
      ),
  ).action(async (o: LmQdgCliOptions) =>
    runCommand(() => {
      requireOptionalPackages(CORPUS_PACKAGES, 'quanta lm qdg');
      return lmQdgCommand(o);
    }),
  );
}

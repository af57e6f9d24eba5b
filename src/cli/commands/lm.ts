// `quanta lm train`: trains the family of n-gram MLP language models on the Brown corpus or the skills language
// and writes its per-token loss matrices (src/lm/train-family.ts); `quanta lm corpus`: a slice of the skills
// language with its ground truth (./lm-corpus.ts); `quanta lm qdg`: QDG on the low-loss test tokens of one
// member (src/cli/lm-qdg.ts).
import { CORPUS_PACKAGES, requireOptionalPackages } from '../../core/optional.js';
import type { Command } from 'commander';
import { require } from '../../core/errors.js';
import {
  DEFAULT_LM_FAMILY,
  familySeeds,
  lmParameterCount,
  SKILLS_PRESETS,
  skillsPreset,
  validateLmFamily,
  type LmFamilyConfig,
  type SkillsPreset,
} from '../../lm/family.js';
import {
  LANGUAGE_FLAGS,
  languageConfig,
  registerLanguageOptions,
  registerLmCorpus,
  type LanguageCliOptions,
} from './lm-corpus.js';
import { trainLanguageModelFamily } from '../../lm/train-family.js';
import { lmQdgCommand, registerLmQdgOptions, type LmQdgCliOptions } from '../lm-qdg.js';
import { parseFloatOption, parseIntOption, parseListOption, Progress, runCommand } from '../common.js';
import { checkOutputFolder } from '../../io/output.js';

interface LmTrainCliOptions extends LanguageCliOptions {
  corpus: string;
  preset?: string;
  seeds?: number[];
  testTokens?: number;
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

/** The flags of the family's fields that a skills preset sets and the command line may override. */
const PRESET_FIELDS = ['context', 'widths', 'steps', 'batch', 'lr', 'checkpoints'] as const;

/** The family config of the command line: Brown from the flags, skills from a preset and the flags given. */
export function lmFamilyFromFlags(o: LmTrainCliOptions, given: (name: string) => boolean): LmFamilyConfig {
  require(o.corpus === 'brown' ||
    o.corpus === 'skills', `--corpus must be brown or skills, got '${o.corpus}'`);
  const languageGiven = (Object.keys(LANGUAGE_FLAGS) as (keyof LanguageCliOptions)[]).filter((k) => given(k));
  if (o.corpus === 'brown') {
    for (const [k, flag] of [
      ['preset', '--preset'],
      ['seeds', '--seeds'],
      ['testTokens', '--test-tokens'],
      ...languageGiven.map((k) => [k, LANGUAGE_FLAGS[k]]),
    ])
      require(!given(k), `${flag} is for --corpus skills`);
    return {
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
  }
  for (const [k, flag] of [
    ['vocab', '--vocab'],
    ['texts', '--texts'],
    ['seed', '--seed'],
  ])
    require(!given(k), `${flag} is for --corpus brown (a skills family takes --seeds and --language-seed)`);
  const preset = o.preset ?? 'full';
  require(preset in
    SKILLS_PRESETS, `--preset must be one of ${Object.keys(SKILLS_PRESETS).join(', ')}, got '${preset}'`);
  const cfg = skillsPreset(preset as SkillsPreset);
  for (const k of PRESET_FIELDS) if (given(k)) (cfg as unknown as Record<string, unknown>)[k] = o[k];
  if (given('seeds')) cfg.seeds = o.seeds;
  if (given('testTokens')) cfg.testTokens = o.testTokens;
  if (languageGiven.length > 0) cfg.language = languageConfig(o);
  return cfg;
}

async function lmTrainCommand(o: LmTrainCliOptions, given: (name: string) => boolean): Promise<void> {
  const cfg = lmFamilyFromFlags(o, given);
  validateLmFamily(cfg);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const params = cfg.widths.map((w) => lmParameterCount(cfg, w));
  const seeds = familySeeds(cfg);
  if (!o.quiet) {
    process.stderr.write(
      `lm train (${cfg.corpus ?? 'brown'}): ${cfg.widths.length} models` +
        (cfg.corpus === 'skills' ? ` x ${seeds.length} seeds` : '') +
        `, N = ${params.join(', ')} ` +
        `(${Math.log10(params[params.length - 1] / params[0]).toFixed(2)} decades), ${cfg.steps} steps of ${cfg.batch}\n`,
    );
  }
  const bar = new Progress('lm train', seeds.length * cfg.widths.length * cfg.steps, !!o.quiet);
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
  const head =
    cfg.corpus === 'skills'
      ? `lm train (skills): ${record.testTokens} test tokens (mean Bayes loss ${record.bayesLoss!.toFixed(4)} nats), ` +
        `${record.trainTokens} training tokens per model, V = ${record.vocabularySize}, seeds ${seeds.join(',')} ` +
        `(losses of seed ${seeds[0]} below)`
      : `lm train: ${record.testTokens} test tokens, ${record.trainTokens} training tokens, V = ${record.vocabularySize} ` +
        `(${(100 * record.unknownShare).toFixed(1)}% of test tokens <unk>)`;
  process.stdout.write(
    `${head}\n${lines.join('\n')}\n` +
      `total ${record.seconds.toFixed(0)} s on ${record.workers} workers; wrote ${out}\n`,
  );
}

export function registerLm(program: Command): void {
  const lm = program
    .command('lm')
    .description(
      'language models on the Brown corpus or the skills language: the corpus, train the family, QDG on its tokens',
    );
  const d = DEFAULT_LM_FAMILY;
  registerLmCorpus(lm);
  const train = lm
    .command('train')
    .description(
      'train the family of n-gram MLP language models and write per-token test-loss matrices (.npy) for `quanta tokens`',
    )
    .option(
      '--corpus <name>',
      'brown (the Brown corpus) or skills (the skills language, known quanta)',
      'brown',
    )
    .option(
      '--preset <name>',
      `skills: ${Object.keys(SKILLS_PRESETS).join(' or ')} (default full); flags given override it`,
    )
    .option(
      '--seeds <list>',
      'skills: model seeds, each size trained once per seed (default 0,1,2)',
      parseListOption('--seeds', parseIntOption('--seeds')),
    )
    .option(
      '--test-tokens <int>',
      'skills: test tokens, the first positions of the stream',
      parseIntOption('--test-tokens'),
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
    .requiredOption('--out <DIR>', 'output folder (a finished member is reused when re-run)');
  registerLanguageOptions(train).action(async (o: LmTrainCliOptions, cmd: Command) =>
    runCommand(() => {
      if (o.corpus !== 'skills') requireOptionalPackages(CORPUS_PACKAGES, 'quanta lm train');
      return lmTrainCommand(o, (name) => cmd.getOptionValueSource(name) === 'cli');
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

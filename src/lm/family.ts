// The family of n-gram MLP language models (Bengio et al. 2003 style, without the shared embedding): the
// previous `context` tokens one-hot (context x V inputs, `context` of them active) -> one hidden ReLU layer
// of `width` units -> a softmax over the V tokens. Sizes differ only in width; every size sees the same
// batches (same seed, same steps), so the family is a clean N sweep (paper section 4, Fig. 3).
//
// Default scale (measured on the shared 2-core machine, see the README section "Language models"): V = 2000
// words + <s> + <unk>, context 3, widths 2..128 (N from 18,020 to 1,027,154 parameters: 1.76 decades), one
// pass over the 1.05M training tokens in batches of 256 (4096 steps). The output layer, width x V, dominates
// the cost: the family took 19 minutes on 2 workers of a 2-core machine shared with other jobs.
//
// The skills family (`--corpus skills`, ./skills.ts) trains the same models on the skills language, whose every
// token has a known quantum, online (fresh blocks of the infinite stream every step), once per model seed.
import { require, requireInt, requireNumber } from '../core/errors.js';
import { parameterCount, type MlpConfig } from '../train/model.js';
import {
  DEFAULT_SKILLS_LANGUAGE,
  skillsVocabSize,
  validateSkillsLanguage,
  type SkillsLanguageConfig,
} from './skills.js';

export interface LmFamilyConfig {
  /** Vocabulary size without <s> and <unk> (the V most frequent training words). */
  vocab: number;
  /** Previous tokens seen by the model. */
  context: number;
  /** Hidden widths, one model each (ascending). */
  widths: number[];
  /** Optimiser steps per model. */
  steps: number;
  batch: number;
  /** AdamW learning rate (weight decay 0, as the paper's sparse-parity runs). */
  lr: number;
  seed: number;
  /** Checkpoints per model (log-spaced steps, the last at `steps`): weights and per-token test losses. */
  checkpoints: number;
  /** Use only the first `texts` corpus texts (tests; 500 = all). Brown only, like `vocab`. */
  texts: number;
  /** The corpus: absent for Brown (so a Brown family's config is what it always was), 'skills' for ./skills.ts. */
  corpus?: 'skills';
  /** Skills family: the language. */
  language?: SkillsLanguageConfig;
  /** Skills family: the model seeds; every size is trained once per seed. Absent: [seed]. */
  seeds?: number[];
  /** Skills family: test tokens, the stream's first positions (training uses blocks after them). */
  testTokens?: number;
}

export const DEFAULT_LM_FAMILY: LmFamilyConfig = Object.freeze({
  vocab: 2000,
  context: 3,
  widths: [2, 4, 8, 16, 32, 64, 128],
  steps: 4096,
  batch: 256,
  lr: 1e-3,
  seed: 0,
  checkpoints: 10,
  texts: 500,
}) as LmFamilyConfig;

/**
 * The skills family's presets (README "The skills language"): 7 sizes over 2 decades of N, 3 seeds each. `quick`
 * fits in 3 minutes on 2 cores, `full` in 30.
 */
export const SKILLS_PRESETS = {
  quick: {
    ...DEFAULT_LM_FAMILY,
    corpus: 'skills',
    language: DEFAULT_SKILLS_LANGUAGE,
    context: DEFAULT_SKILLS_LANGUAGE.bands,
    widths: [2, 4, 8, 16, 32, 64, 128],
    steps: 2000,
    batch: 256,
    lr: 3e-3,
    seeds: [0, 1, 2],
    checkpoints: 6,
    testTokens: 16384,
  },
  full: {
    ...DEFAULT_LM_FAMILY,
    corpus: 'skills',
    language: DEFAULT_SKILLS_LANGUAGE,
    context: DEFAULT_SKILLS_LANGUAGE.bands,
    widths: [3, 7, 15, 31, 66, 143, 310],
    steps: 6000,
    batch: 256,
    lr: 3e-3,
    seeds: [0, 1, 2],
    checkpoints: 8,
    testTokens: 32768,
  },
} as const satisfies Record<string, LmFamilyConfig>;
export type SkillsPreset = keyof typeof SKILLS_PRESETS;

/** A family config from a preset (deep copies: callers may change fields). */
export function skillsPreset(name: SkillsPreset): LmFamilyConfig {
  const p = SKILLS_PRESETS[name];
  return { ...p, language: { ...p.language }, widths: [...p.widths], seeds: [...p.seeds] };
}

/** The model seeds of a family. */
export const familySeeds = (cfg: LmFamilyConfig): number[] => cfg.seeds ?? [cfg.seed];

/** Tokens the models see and predict: Brown's V words + <s> + <unk>, or the skills language's vocabulary. */
export function lmVocabSize(cfg: LmFamilyConfig): number {
  return cfg.corpus === 'skills' ? skillsVocabSize(cfg.language!) : cfg.vocab + 2;
}

/**
 * The MLP config of one member (inputs: context slots of V ids each; outputs: V). The Brown family's single seed
 * initialises width w with seed + w (as it always has); a skills member of model seed s with s * 65536 + w.
 */
export function lmModelConfig(cfg: LmFamilyConfig, width: number, seed = familySeeds(cfg)[0]): MlpConfig {
  const V = lmVocabSize(cfg);
  const init = cfg.corpus === 'skills' ? seed * 65536 + width : cfg.seed + width;
  return { inputSize: cfg.context * V, width, depth: 2, outputs: V, seed: init };
}

/** Every weight and bias of one member: (context V + 1) width + (width + 1) V. */
export function lmParameterCount(cfg: LmFamilyConfig, width: number): number {
  return parameterCount(lmModelConfig(cfg, width));
}

/** Throws a ConfigError for a family that cannot be trained. */
export function validateLmFamily(cfg: LmFamilyConfig): void {
  requireInt(cfg.vocab, '--vocab', 2, 100_000);
  requireInt(cfg.context, '--context', 1, 16);
  require(Array.isArray(cfg.widths) && cfg.widths.length >= 2, '--widths must list at least 2 widths');
  for (const w of cfg.widths) requireInt(w, '--widths values', 1, 4096);
  for (let i = 1; i < cfg.widths.length; i++)
    require(cfg.widths[i] > cfg.widths[i - 1], '--widths must be strictly increasing');
  requireInt(cfg.steps, '--steps', 1, 10_000_000);
  requireInt(cfg.batch, '--batch', 1, 65_536);
  requireNumber(cfg.lr, '--lr', 0, 1, true);
  requireInt(cfg.seed, '--seed', 0, 2 ** 31);
  requireInt(cfg.checkpoints, '--checkpoints', 1, 200);
  require(cfg.checkpoints <= cfg.steps, '--checkpoints cannot exceed --steps');
  requireInt(cfg.texts, '--texts', 10, 500);
  require(cfg.corpus === undefined ||
    cfg.corpus === 'skills', `--corpus must be brown or skills, got ${String(cfg.corpus)}`);
  if (cfg.corpus === 'skills') {
    require(typeof cfg.language === 'object' && cfg.language !== null, 'a skills family needs its language');
    validateSkillsLanguage(cfg.language);
    const seeds = familySeeds(cfg);
    require(Array.isArray(seeds) &&
      seeds.length >= 1 &&
      seeds.length <= 16, '--seeds must list 1 to 16 seeds');
    for (const s of seeds) requireInt(s, '--seeds values', 0, 32767);
    require(new Set(seeds).size === seeds.length, '--seeds must not repeat a seed');
    requireInt(cfg.testTokens ?? NaN, '--test-tokens', 64, 1_000_000);
    // every skill must be solvable from the window: a polygenic answer needs its `bands` cues in view
    require(cfg.context >=
      cfg.language
        .bands, `--context must be at least the language's cue bands (${cfg.language.bands}): a polygenic answer needs all its cues in view`);
    require(cfg.context <=
      cfg.language.block, `--context must be at most the language's block (${cfg.language.block})`);
  } else {
    require(cfg.seeds === undefined &&
      cfg.language === undefined, 'seeds and a language belong to a skills family');
  }
  // f32 parameters, gradients and two Adam moments of the largest member must fit in Wasm's 4 GiB with room
  const largest = lmParameterCount(cfg, cfg.widths[cfg.widths.length - 1]);
  require(16 * largest < 2 ** 31, `the largest model (${largest} parameters) does not fit in Wasm memory`);
}

/**
 * Checkpoint steps: `count` steps log-spaced from steps/64 (at least 1) to `steps`, distinct, ascending.
 * (Pythia's are linear every 1000 steps; log spacing gives the early dynamics points on a log axis.)
 */
export function checkpointSteps(steps: number, count: number): number[] {
  if (count === 1) return [steps];
  const first = Math.max(1, Math.round(steps / 64));
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    const s = Math.round(first * Math.pow(steps / first, i / (count - 1)));
    out.add(Math.min(steps, Math.max(1, s)));
  }
  out.add(steps);
  return [...out].sort((a, b) => a - b);
}

/** Folder of one member inside a family folder. */
export const modelDirName = (width: number): string => `width-${width}`;

/** Folder of one member of any family: width-W (Brown), seed-S/width-W (skills). */
export const memberDirName = (cfg: LmFamilyConfig, width: number, seed: number): string =>
  cfg.corpus === 'skills' ? `seed-${seed}/${modelDirName(width)}` : modelDirName(width);

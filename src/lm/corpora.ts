// The two corpora a language-model family trains on, behind one interface: what the trainer needs is the
// vocabulary size, the test stream, and the training batch of a step (a pure function of the model seed and the
// step, so every width of a seed sees the same batches and a run does not depend on workers).
//   Brown  (./corpus.ts, ./data.ts): training positions drawn uniformly with replacement from the training texts.
//   skills (./skills.ts): online, fresh blocks of the infinite stream after the test positions; a step's batch is
//          ceil(batch / block) random blocks, every position of each (its context reaches into the block before).
import { CounterRandom, Stream } from '../core/rng.js';
import { loadBrownCorpus, splitTexts, Vocabulary } from './corpus.js';
import { type ContextSource, type LmBatch, TokenStream } from './data.js';
import type { LmFamilyConfig } from './family.js';
import { emptyTokens, SkillsLanguage, type SkillsTokens } from './skills.js';

export interface LmCorpus {
  readonly kind: 'brown' | 'skills';
  readonly vocabSize: number;
  readonly test: ContextSource;
  /** Fills `batch` (its capacity is the family's batch size) with the training samples of step `step` of `seed`. */
  trainBatch(batch: LmBatch, seed: number, step: number): void;
}

export interface LmData {
  vocab: Vocabulary;
  train: TokenStream;
  test: TokenStream;
}

/** The Brown corpus split, vocabulary and token streams of a family config (deterministic). */
export function prepareLmData(cfg: Pick<LmFamilyConfig, 'vocab' | 'texts'>, corpusDir?: string): LmData {
  const texts = loadBrownCorpus(corpusDir, cfg.texts);
  const { train, test } = splitTexts(texts);
  const vocab = Vocabulary.fromTexts(train, cfg.vocab);
  return { vocab, train: new TokenStream(train, vocab), test: new TokenStream(test, vocab) };
}

export class BrownCorpus implements LmCorpus {
  readonly kind = 'brown';
  readonly vocabSize: number;
  readonly test: TokenStream;
  private positions = new Int32Array(0);

  constructor(readonly data: LmData) {
    this.vocabSize = data.vocab.size;
    this.test = data.test;
  }

  trainBatch(batch: LmBatch, seed: number, step: number): void {
    const B = batch.capacity;
    if (this.positions.length !== B) this.positions = new Int32Array(B);
    const rng = new CounterRandom(seed, Stream.lm, step);
    const n = this.data.train.length;
    for (let i = 0; i < B; i++) this.positions[i] = rng.nextInt(n);
    batch.fill(this.data.train, this.positions);
  }
}

/** Skills blocks used for training start this many blocks after the last test block. */
const TRAIN_GAP_BLOCKS = 1;
/** Training blocks are drawn from [trainStart, trainStart + TRAIN_BLOCKS). */
const TRAIN_BLOCKS = 2 ** 30;

export class SkillsCorpus implements LmCorpus {
  readonly kind = 'skills';
  readonly language: SkillsLanguage;
  readonly vocabSize: number;
  /** The test stream: tokens [0, testTokens) with their labels. */
  readonly testTokens: SkillsTokens;
  readonly test: ContextSource;
  /** First block that training may use. */
  readonly trainStart: number;
  private readonly pair: SkillsTokens;
  private windows = new Int32Array(0);

  constructor(readonly cfg: LmFamilyConfig) {
    this.language = new SkillsLanguage(cfg.language!);
    this.vocabSize = this.language.vocabSize;
    const T = cfg.testTokens!;
    this.testTokens = this.language.slice(0, T);
    const positionOf = Int32Array.from({ length: T }, (_, p) => p);
    this.test = { ids: this.testTokens.ids, positionOf, length: T };
    const L = this.language.config.block;
    this.trainStart = Math.ceil(T / L) + TRAIN_GAP_BLOCKS;
    this.pair = emptyTokens(2 * L, this.language.config.bands);
  }

  trainBatch(batch: LmBatch, seed: number, step: number): void {
    const B = batch.capacity;
    const c = batch.context;
    const L = this.language.config.block;
    if (this.windows.length !== B * (c + 1)) this.windows = new Int32Array(B * (c + 1));
    const rng = new CounterRandom(seed, Stream.lm, step);
    const ids = this.pair.ids;
    let n = 0;
    while (n < B) {
      const b = this.trainStart + rng.nextInt(TRAIN_BLOCKS);
      this.language.generateBlock(b - 1, this.pair, 0);
      this.language.generateBlock(b, this.pair, L);
      for (let i = 0; i < L && n < B; i++, n++) {
        const w = n * (c + 1);
        for (let j = 0; j <= c; j++) this.windows[w + j] = ids[L + i - c + j];
      }
    }
    batch.fillWindows(this.windows, B);
  }
}

/** The corpus of a family config. */
export function lmCorpus(cfg: LmFamilyConfig, corpusDir?: string): LmCorpus {
  return cfg.corpus === 'skills' ? new SkillsCorpus(cfg) : new BrownCorpus(prepareLmData(cfg, corpusDir));
}

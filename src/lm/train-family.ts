// Training the whole family (`quanta lm train`): the members (every width, once per model seed) in parallel on a
// piscina pool (largest first, so the long jobs start at once), then the family's per-token loss matrices:
//   losses.npy             f32 [test tokens x models]: each member's final checkpoint, models by size (first seed)
//   losses-seed-S.npy      the same for every further seed S (skills families)
//   checkpoint-losses.npy  f32 [test tokens x checkpoints] of the largest member, first seed (Fig. 11)
//   tokens.csv             one row per test token: Brown row, id, token, word, tag, text, position; skills row,
//                          id, token, class, kind, skill, families, bayes (the ground truth, ./skills.ts)
//   truth.json             skills families: the language and every test token's class, skill(s), Bayes loss
//   family.json            config, parameter counts, checkpoint steps, mean losses, timing
// Members whose model.json exists with the same config (widths and seeds aside) are reused: a killed run
// resumes, and a size or a seed added to the lists trains only that.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { workerScript } from '../core/worker-script.js';
import { writeFileAtomic } from '../io/atomic.js';
import { serializeRecord } from '../train/record.js';
import { isJsonObject, readJsonInput } from '../io/read.js';
import { ConfigError } from '../core/errors.js';
import { readNpyF32, writeNpy } from '../io/npy.js';
import { toCsv } from '../report/csv.js';
import { familySeeds, memberDirName, validateLmFamily, type LmFamilyConfig } from './family.js';
import type { LmTrainJob, LmTrainJobResult } from './pool-worker.js';
import runLmTrainJob from './pool-worker.js';
import type { LmModelRecord } from './train-model.js';
import { BrownCorpus, lmCorpus, SkillsCorpus, type LmData } from './corpora.js';
import { TOKEN_CLASS_NAMES, TOKEN_KIND_NAMES, type SkillsTokens } from './skills.js';

export interface LmFamilyRecord {
  config: LmFamilyConfig;
  widths: number[];
  parameters: number[];
  checkpointSteps: number[];
  /** meanTestLoss[m][c]: mean test loss (nats) of model m at checkpoint c. */
  meanTestLoss: number[][];
  testTokens: number;
  trainTokens: number;
  vocabularySize: number;
  /** Share of test tokens that are <unk>. */
  unknownShare: number;
  /** Seconds per member and for the whole command (wall clock). */
  memberSeconds: number[];
  seconds: number;
  workers: number;
  /** Skills families: the model seeds, and per seed the mean test losses and member seconds. */
  seeds?: number[];
  seedMeanTestLoss?: number[][][];
  seedMemberSeconds?: number[][];
  /** Skills families: the mean Bayes loss of the test tokens (nats), the loss no model can beat. */
  bayesLoss?: number;
  files: {
    losses: string;
    checkpointLosses: string;
    tokens: string;
    vocabulary: string;
    /** Skills families: one losses file per seed (the first is `losses`) and the ground truth. */
    seedLosses?: string[];
    truth?: string;
  };
}

function existingMember(
  dir: string,
  cfg: LmFamilyConfig,
  width: number,
  seed: number,
): LmModelRecord | undefined {
  const path = join(dir, memberDirName(cfg, width, seed), 'model.json');
  if (!existsSync(path)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as LmModelRecord;
    // a member depends on every setting but the lists of other widths and seeds: adding one reuses the rest
    const same = (c: LmFamilyConfig) => JSON.stringify({ ...c, widths: [], seeds: [] });
    return same(r.config) === same(cfg) ? r : undefined;
  } catch {
    return undefined;
  }
}

export interface TrainFamilyOptions {
  /** Worker threads (default all cores; 0 = train in this thread, for tests). */
  workers?: number;
  corpusDir?: string;
  /** Steps done summed over members, and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** The skills side file: one row per test token with its ground truth. */
export function skillsTokensCsv(corpus: SkillsCorpus): string {
  const t = corpus.testTokens;
  const G = corpus.language.config.bands;
  const rows = [];
  for (let p = 0; p < t.ids.length; p++) {
    const fams = Array.from(t.families.subarray(p * G, (p + 1) * G)).filter((f) => f >= 0);
    rows.push({
      row: p,
      id: t.ids[p],
      token: corpus.language.tokenName(t.ids[p]),
      class: TOKEN_CLASS_NAMES[t.cls[p]],
      kind: TOKEN_KIND_NAMES[t.kind[p]],
      skill: t.skill[p],
      families: fams.join(' '),
      bayes: Number(t.bayes[p].toFixed(6)),
    });
  }
  return toCsv(rows);
}

/** truth.json of a skills family: the language and the labels of every test token (./ground-truth.ts reads it). */
export interface SkillsTruth {
  language: import('./skills.js').SkillsLanguageConfig;
  vocabSize: number;
  skillProbabilities: number[];
  bandSizes: number[];
  classNames: string[];
  kindNames: readonly string[];
  cls: number[];
  kind: number[];
  skill: number[];
  /** bands entries per token (cue families of a polygenic answer, else -1). */
  families: number[];
  bayes: number[];
}

export function skillsTruth(corpus: SkillsCorpus): SkillsTruth {
  const t: SkillsTokens = corpus.testTokens;
  const lang = corpus.language;
  return {
    language: lang.config,
    vocabSize: lang.vocabSize,
    skillProbabilities: Array.from(lang.skillProbabilities),
    bandSizes: lang.bandSizes,
    classNames: TOKEN_CLASS_NAMES,
    kindNames: TOKEN_KIND_NAMES,
    cls: Array.from(t.cls),
    kind: Array.from(t.kind),
    skill: Array.from(t.skill),
    families: Array.from(t.families),
    bayes: Array.from(t.bayes, (b) => Number(b.toFixed(6))),
  };
}

/** The side file: one row per test token. */
export function tokensCsv(data: LmData): string {
  const rows = [];
  const s = data.test;
  for (let p = 0; p < s.length; p++) {
    rows.push({
      row: p,
      id: s.ids[p],
      token: data.vocab.words[s.ids[p]],
      word: s.words[p],
      tag: s.tags[p],
      text: s.textNames[s.textOf[p]],
      position: s.positionOf[p],
    });
  }
  return toCsv(rows);
}

/** Trains every member (or reuses finished ones) and writes the family's matrices and records into `dir`. */
export async function trainLanguageModelFamily(
  cfg: LmFamilyConfig,
  dir: string,
  opts: TrainFamilyOptions = {},
): Promise<LmFamilyRecord> {
  validateLmFamily(cfg);
  const t0 = performance.now();
  mkdirSync(dir, { recursive: true });
  const corpus = lmCorpus(cfg, opts.corpusDir);
  const workers = opts.workers ?? Math.max(1, availableParallelism());
  const seeds = familySeeds(cfg);
  const all = seeds.flatMap((seed) => cfg.widths.map((width) => ({ seed, width })));
  const key = (m: { seed: number; width: number }) => `${m.seed}/${m.width}`;
  const todo = all.filter((m) => !existingMember(dir, cfg, m.width, m.seed));
  const total = all.length * cfg.steps;
  const done = new Map<string, number>(all.map((m) => [key(m), todo.includes(m) ? 0 : cfg.steps]));
  const report = () =>
    opts.onProgress?.(
      [...done.values()].reduce((a, b) => a + b, 0),
      total,
    );
  report();
  // largest first (the long jobs start at once), seeds interleaved
  const order = [...todo].sort((a, b) => b.width - a.width || a.seed - b.seed);
  if (workers === 0) {
    for (const m of order) {
      runLmTrainJob({ config: cfg, width: m.width, seed: m.seed, dir, corpusDir: opts.corpusDir });
      done.set(key(m), cfg.steps);
      report();
    }
  } else if (order.length > 0) {
    const piscina = new Piscina({
      filename: workerScript(import.meta.url, 'pool-worker'),
      minThreads: Math.min(workers, order.length),
      maxThreads: Math.min(workers, order.length),
    });
    try {
      await Promise.all(
        order.map(async (m): Promise<LmTrainJobResult> => {
          const { port1, port2 } = new MessageChannel();
          port1.on('message', (steps: number) => {
            done.set(key(m), steps);
            report();
          });
          try {
            const job: LmTrainJob = {
              config: cfg,
              width: m.width,
              seed: m.seed,
              dir,
              corpusDir: opts.corpusDir,
              progress: port2,
            };
            return (await piscina.run(job, { transferList: [port2] })) as LmTrainJobResult;
          } finally {
            port1.close();
          }
        }),
      );
    } finally {
      await piscina.destroy();
    }
  }

  // --- the family's matrices ---
  const T = corpus.test.length;
  const M = cfg.widths.length;
  const skills = corpus instanceof SkillsCorpus;
  const seedLosses: string[] = [];
  const seedMembers = seeds.map((seed, si) => {
    const members = cfg.widths.map((w) => existingMember(dir, cfg, w, seed)!);
    const losses = new Float32Array(T * M);
    members.forEach((r, m) => {
      const { data: col, shape } = readNpyF32(join(dir, memberDirName(cfg, r.width, seed), r.testLossFile));
      const C = shape[1];
      for (let p = 0; p < T; p++) losses[p * M + m] = col[p * C + C - 1];
    });
    const file = si === 0 ? 'losses.npy' : `losses-seed-${seed}.npy`;
    writeNpy(join(dir, file), losses, [T, M]);
    seedLosses.push(file);
    return members;
  });
  const members = seedMembers[0];
  const largest = members[M - 1];
  const ck = readNpyF32(join(dir, memberDirName(cfg, largest.width, seeds[0]), largest.testLossFile));
  writeNpy(join(dir, 'checkpoint-losses.npy'), ck.data, ck.shape);
  let unknownShare = 0;
  let trainTokens = 0;
  let vocabulary: string[];
  let bayesLoss: number | undefined;
  if (corpus instanceof SkillsCorpus) {
    writeFileAtomic(join(dir, 'tokens.csv'), skillsTokensCsv(corpus));
    writeFileAtomic(join(dir, 'truth.json'), JSON.stringify(skillsTruth(corpus)) + '\n');
    vocabulary = Array.from({ length: corpus.vocabSize }, (_, id) => corpus.language.tokenName(id));
    bayesLoss = corpus.testTokens.bayes.reduce((a, b) => a + b, 0) / T;
    trainTokens = cfg.steps * cfg.batch;
  } else {
    const data = (corpus as BrownCorpus).data;
    writeFileAtomic(join(dir, 'tokens.csv'), tokensCsv(data));
    vocabulary = data.vocab.words;
    let unk = 0;
    for (let p = 0; p < T; p++) if (data.test.ids[p] === 1) unk++;
    unknownShare = unk / T;
    trainTokens = data.train.length;
  }
  writeFileAtomic(join(dir, 'vocabulary.txt'), vocabulary.join('\n') + '\n');
  const record: LmFamilyRecord = {
    config: cfg,
    widths: cfg.widths,
    parameters: members.map((r) => r.parameters),
    checkpointSteps: largest.checkpointSteps,
    meanTestLoss: members.map((r) => r.meanTestLoss),
    testTokens: T,
    trainTokens,
    vocabularySize: corpus.vocabSize,
    unknownShare,
    memberSeconds: members.map((r) => r.seconds),
    seconds: (performance.now() - t0) / 1000,
    workers,
    ...(skills
      ? {
          seeds,
          seedMeanTestLoss: seedMembers.map((ms) => ms.map((r) => r.meanTestLoss)),
          seedMemberSeconds: seedMembers.map((ms) => ms.map((r) => r.seconds)),
          bayesLoss,
        }
      : {}),
    files: {
      losses: 'losses.npy',
      checkpointLosses: 'checkpoint-losses.npy',
      tokens: 'tokens.csv',
      vocabulary: 'vocabulary.txt',
      ...(skills ? { seedLosses, truth: 'truth.json' } : {}),
    },
  };
  writeFileAtomic(join(dir, 'family.json'), serializeRecord(record));
  return record;
}

/**
 * Reads a family folder's family.json. A file that cannot be read, is not JSON, or lacks the fields its readers
 * use (config, widths, parameters, checkpointSteps, files) is a ConfigError naming it (exit 2, one line); the
 * values themselves are checked where they are used (validateAxis, insideFolder, validateLmFamily).
 */
export function readFamilyRecord(dir: string): LmFamilyRecord {
  const path = join(dir, 'family.json');
  const r = readJsonInput(path);
  const numbers = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v === 'number');
  const problem = !isJsonObject(r)
    ? 'not a JSON object'
    : !isJsonObject(r.config)
      ? 'config is not an object'
      : !numbers(r.widths)
        ? 'widths is not a list of numbers'
        : !numbers(r.parameters)
          ? 'parameters is not a list of numbers'
          : !numbers(r.checkpointSteps)
            ? 'checkpointSteps is not a list of numbers'
            : !isJsonObject(r.files)
              ? 'files is not an object'
              : null;
  if (problem !== null)
    throw new ConfigError(`${path} is not a family record (${problem}): run quanta lm train again`);
  return r as unknown as LmFamilyRecord;
}

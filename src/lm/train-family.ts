// Training the whole family (`quanta lm train`): the members in parallel on a piscina pool (largest first, so
// the long job starts at once), then the family's per-token loss matrices:
//   losses.npy             f32 [test tokens x models]: each member's final checkpoint, models by size
//   checkpoint-losses.npy  f32 [test tokens x checkpoints] of the largest member (Fig. 11)
//   tokens.csv             one row per test token: row, id, token, tag, text, position
//   family.json            config, parameter counts, checkpoint steps, mean losses, timing
// Members whose model.json exists with the same config (widths aside) are reused: a killed run resumes,
// and a size added to --widths trains only that size.
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
import { modelDirName, validateLmFamily, type LmFamilyConfig } from './family.js';
import type { LmTrainJob, LmTrainJobResult } from './pool-worker.js';
import runLmTrainJob from './pool-worker.js';
import { prepareLmData, type LmData, type LmModelRecord } from './train-model.js';

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
  files: { losses: string; checkpointLosses: string; tokens: string; vocabulary: string };
}

function existingMember(dir: string, cfg: LmFamilyConfig, width: number): LmModelRecord | undefined {
  const path = join(dir, modelDirName(width), 'model.json');
  if (!existsSync(path)) return undefined;
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as LmModelRecord;
    // a member depends on every setting but the list of other widths: adding a size reuses the rest
    const same = (c: LmFamilyConfig) => JSON.stringify({ ...c, widths: [] });
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
  const data = prepareLmData(cfg, opts.corpusDir);
  const workers = opts.workers ?? Math.max(1, availableParallelism());
  const todo = cfg.widths.filter((w) => !existingMember(dir, cfg, w));
  const total = cfg.widths.length * cfg.steps;
  const done = new Map<number, number>(cfg.widths.map((w) => [w, todo.includes(w) ? 0 : cfg.steps]));
  const report = () =>
    opts.onProgress?.(
      [...done.values()].reduce((a, b) => a + b, 0),
      total,
    );
  report();
  const order = [...todo].sort((a, b) => b - a);
  if (workers === 0) {
    for (const width of order) {
      runLmTrainJob({ config: cfg, width, dir, corpusDir: opts.corpusDir });
      done.set(width, cfg.steps);
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
        order.map(async (width): Promise<LmTrainJobResult> => {
          const { port1, port2 } = new MessageChannel();
          port1.on('message', (steps: number) => {
            done.set(width, steps);
            report();
          });
          try {
            const job: LmTrainJob = { config: cfg, width, dir, corpusDir: opts.corpusDir, progress: port2 };
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
  const members = cfg.widths.map((w) => existingMember(dir, cfg, w)!);
  const T = data.test.length;
  const M = members.length;
  const losses = new Float32Array(T * M);
  members.forEach((r, m) => {
    const { data: col, shape } = readNpyF32(join(dir, modelDirName(r.width), r.testLossFile));
    const C = shape[1];
    for (let p = 0; p < T; p++) losses[p * M + m] = col[p * C + C - 1];
  });
  writeNpy(join(dir, 'losses.npy'), losses, [T, M]);
  const largest = members[M - 1];
  const ck = readNpyF32(join(dir, modelDirName(largest.width), largest.testLossFile));
  writeNpy(join(dir, 'checkpoint-losses.npy'), ck.data, ck.shape);
  writeFileAtomic(join(dir, 'tokens.csv'), tokensCsv(data));
  writeFileAtomic(join(dir, 'vocabulary.txt'), data.vocab.words.join('\n') + '\n');
  let unk = 0;
  for (let p = 0; p < T; p++) if (data.test.ids[p] === 1) unk++;
  const record: LmFamilyRecord = {
    config: cfg,
    widths: cfg.widths,
    parameters: members.map((r) => r.parameters),
    checkpointSteps: largest.checkpointSteps,
    meanTestLoss: members.map((r) => r.meanTestLoss),
    testTokens: T,
    trainTokens: data.train.length,
    vocabularySize: data.vocab.size,
    unknownShare: unk / T,
    memberSeconds: members.map((r) => r.seconds),
    seconds: (performance.now() - t0) / 1000,
    workers,
    files: {
      losses: 'losses.npy',
      checkpointLosses: 'checkpoint-losses.npy',
      tokens: 'tokens.csv',
      vocabulary: 'vocabulary.txt',
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

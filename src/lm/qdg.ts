// QDG on tokens (paper section 5, Figs. 1, 5, 13; SPEC.md 4.1): per-token gradients of low-loss test tokens of
// one member of a trained family, with the paper's filters adapted (loss below a threshold; a token that
// completes a trigram already seen earlier in the same text is an "induction" token and is left out), every
// k-th candidate up to S samples, the factored per-sample-gradient Gram (every weight and bias: in a
// one-hidden-layer model the first layer is the embedding and the last the unembedding, which the paper
// drops for Pythia; here nothing would be left without them), then the QDG pipeline. Clusters are shown as
// lists of contexts with the predicted token highlighted, and measured for purity in part-of-speech tag and
// in predicted token against clusters of the same sizes drawn at random (beyond the paper: are clusters skills?).
//
// On a skills family (./skills.ts) the member is the first model seed's, there is no induction filter (an MLP over
// a fixed window cannot copy), and every token's true skill is kept, for the clusters' ARI and NMI against it.
//
// This file is the source (which tokens, their gradients' Gram) and the purity measures; the command is
// src/cli/lm-qdg.ts, the outputs ./qdg-report.ts, the clustering runQdg (src/qdg/run.ts).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, require } from '../core/errors.js';
import { CounterRandom, Stream } from '../core/rng.js';
import { readNpyF32 } from '../io/npy.js';
import { insideFolder } from '../io/paths.js';
import { isJsonObject, readJsonInput } from '../io/read.js';
import { mlpParameterGroups } from '../qdg/config.js';
import { parameterGroupMask, perSampleGradientGram } from '../qdg/factored-gram.js';
import { cosineFromGram } from '../qdg/gram.js';
import type { LoadedMatrix, QdgSource } from '../qdg/run.js';
import { Mlp } from '../train/model.js';
import { SkillsCorpus } from './corpora.js';
import { Vocabulary } from './corpus.js';
import { LmBatch, TokenStream } from './data.js';
import {
  familySeeds,
  lmModelConfig,
  memberDirName,
  validateLmFamily,
  type LmFamilyConfig,
} from './family.js';
import { TOKEN_KIND_NAMES, TokenClass } from './skills.js';
import { meanLossScaling } from './token-analysis.js';
import { readFamilyRecord, type LmFamilyRecord } from './train-family.js';
import { loadCheckpoint, prepareLmData, type LmData, type LmModelRecord } from './train-model.js';

/** Pythia: per-token loss below 0.1 nats (SPEC.md 4.1 item 3). */
export const LM_QDG_LOSS_THRESHOLD = 0.1;
/** Laptop default (the paper: 10,000). */
export const LM_QDG_SAMPLES = 2000;

/**
 * Induction tokens: position p (p >= 2 in its text) whose trigram (p-2, p-1, p) of token ids already occurred
 * earlier in the same text (SPEC.md 4.1 item 3: QM scripts/zero_and_induction_idxs.py).
 */
export function inductionTokens(stream: TokenStream): Uint8Array {
  const out = new Uint8Array(stream.length);
  let seen = new Set<string>();
  for (let p = 0; p < stream.length; p++) {
    if (stream.positionOf[p] === 0) seen = new Set();
    if (stream.positionOf[p] < 2) continue;
    const key = `${stream.ids[p - 2]},${stream.ids[p - 1]},${stream.ids[p]}`;
    if (seen.has(key)) out[p] = 1;
    else seen.add(key);
  }
  return out;
}

/**
 * Candidates (loss below threshold, not induction), then S of them: every `every`-th from the start (the
 * paper's [::50][:10000]), or by default spread evenly over all candidates.
 */
export function selectLowLossTokens(
  losses: ArrayLike<number>,
  induction: Uint8Array,
  threshold: number,
  samples: number,
  every?: number,
): { rows: number[]; candidates: number; every: number } {
  const candidates: number[] = [];
  for (let p = 0; p < losses.length; p++) if (losses[p] < threshold && !induction[p]) candidates.push(p);
  const rows: number[] = [];
  if (every !== undefined) {
    for (let i = 0; i < candidates.length && rows.length < samples; i += every) rows.push(candidates[i]);
    return { rows, candidates: candidates.length, every };
  }
  // spread evenly over all candidates (every text), not the first S
  const n = Math.min(samples, candidates.length);
  for (let i = 0; i < n; i++) rows.push(candidates[Math.floor((i * candidates.length) / n)]);
  return { rows, candidates: candidates.length, every: candidates.length / Math.max(1, n) };
}

/** Share of the most common value in each cluster, weighted by cluster size (1 = every cluster is one value). */
export function weightedPurity(labels: ArrayLike<number>, values: ArrayLike<string | number>): number {
  const byCluster = new Map<number, Map<string | number, number>>();
  for (let i = 0; i < labels.length; i++) {
    const m = byCluster.get(labels[i]) ?? new Map<string | number, number>();
    m.set(values[i], (m.get(values[i]) ?? 0) + 1);
    byCluster.set(labels[i], m);
  }
  let top = 0;
  for (const m of byCluster.values()) top += Math.max(...m.values());
  return labels.length > 0 ? top / labels.length : 0;
}

/** The purity of the same cluster sizes with samples assigned at random (seeded shuffle), averaged over `reps`. */
export function randomPurity(
  labels: ArrayLike<number>,
  values: ArrayLike<string | number>,
  seed: number,
  reps = 5,
): number {
  const n = labels.length;
  let sum = 0;
  for (let r = 0; r < reps; r++) {
    const rng = new CounterRandom(seed, Stream.qdgSamples, 1_000_000 + r);
    const perm = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [perm[i], perm[j]] = [perm[j], perm[i]];
    }
    sum += weightedPurity(
      labels,
      perm.map((i) => values[i]),
    );
  }
  return sum / reps;
}

/** Which member and which tokens (the flags of `quanta lm qdg` that choose the samples). */
export interface LmQdgSourceOptions {
  /** The family folder (quanta lm train). */
  run: string;
  /** The member (default: the largest). */
  width?: number;
  samples: number;
  lossThreshold: number;
  every?: number;
}

/** A planned token source: the member, its data and the tokens chosen, and the QdgSource over them. */
export interface LmQdgSource {
  source: QdgSource;
  dir: string;
  width: number;
  family: LmFamilyRecord;
  model: LmModelRecord;
  data: LmData;
  /** The chosen test tokens (positions in data.test), their count and the induction tokens left out. */
  selection: { rows: number[]; candidates: number; every: number };
  inductionExcluded: number;
  /** The family's mean-loss scaling exponent: the source's alpha_N. */
  alphaN: number;
  /** Skills families: every test token's true skill (see skillsQdgData). */
  truth?: Int32Array;
}

/**
 * Validates the family folder and the member, chooses the tokens (no gradient yet) and returns the source
 * whose load computes the cosine matrix of their per-token gradients. ConfigError on bad input.
 */
export function planLmQdgSource(o: LmQdgSourceOptions): LmQdgSource {
  const dir = resolve(o.run);
  require(existsSync(
    join(dir, 'family.json'),
  ), `--run: ${o.run} has no family.json (run quanta lm train first)`);
  const family = readFamilyRecord(dir);
  try {
    validateLmFamily(family.config);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(`--run: ${join(dir, 'family.json')}: config: ${e.message}`);
  }
  const skills = family.config.corpus === 'skills';
  // a skills family: the first model seed's member
  const memberDir = (w: number) => memberDirName(family.config, w, familySeeds(family.config)[0]);
  const width = o.width ?? family.widths[family.widths.length - 1];
  require(family.widths.includes(
    width,
  ), `--width ${width} is not in the family (widths ${family.widths.join(', ')})`);
  const modelPath = join(dir, memberDir(width), 'model.json');
  require(existsSync(modelPath), `--run: ${modelPath} is missing`);
  const model = readJsonInput(modelPath) as LmModelRecord;
  require(isJsonObject(model), `--run: ${modelPath} is not a model record`);
  const testLosses = readNpyF32(
    insideFolder(join(dir, memberDir(width)), model.testLossFile, 'model.json testLossFile'),
  );
  const C = testLosses.shape[1];
  const finalLoss = Float32Array.from(
    { length: testLosses.shape[0] },
    (_, p) => testLosses.data[p * C + C - 1],
  );
  const { data, truth } = skills
    ? skillsQdgData(family.config)
    : { data: prepareLmData(family.config), truth: undefined };
  require(data.test.length ===
    finalLoss.length, `--run: the test set (${data.test.length} tokens) does not match ${model.testLossFile}`);
  // an MLP over a fixed window cannot copy from earlier in the text: the skills language has no induction tokens
  const induction = skills ? new Uint8Array(data.test.length) : inductionTokens(data.test);
  const selection = selectLowLossTokens(finalLoss, induction, o.lossThreshold, o.samples, o.every);
  const S = selection.rows.length;
  if (S < Math.min(o.samples, 20)) {
    throw new ConfigError(
      `only ${S} test tokens have loss below ${o.lossThreshold} nats and are not induction tokens: raise --loss-threshold`,
    );
  }
  const cfg = lmModelConfig(family.config, width, familySeeds(family.config)[0]);
  const scaling = meanLossScaling(
    readNpyF32(insideFolder(dir, family.files?.losses, 'family.json files.losses')).data,
    family.testTokens,
    family.parameters,
  );
  const weights = insideFolder(
    join(dir, memberDir(width)),
    model.weightFiles?.[model.weightFiles.length - 1],
    'model.json weightFiles',
  );
  const source: QdgSource = {
    samples: S,
    // the factored Gram's per-layer deltas and inputs, input bitsets and row tiles; the model's parameters
    scratchBytes:
      4 * S * (cfg.width * 2 + cfg.outputs) + 8 * S * Math.ceil(cfg.inputSize / 64) + 64 * 2 ** 20,
    persistentBytes: 16 * (cfg.inputSize + cfg.outputs) * (cfg.width + 1),
    alphaN: scaling.alphaN,
    // the loss only (thousands of classes: no logit difference); --layers W1, b1 (the embedding side), W2, b2
    // (the unembedding)
    choices: { cosine: true, gradient: { outputs: ['loss'], groups: mlpParameterGroups(cfg.depth) } },
    load(core, timing, progress, config): LoadedMatrix {
      let t = performance.now();
      const mlp = new Mlp(core, cfg, 512);
      loadCheckpoint(mlp, weights, model.weightLayout);
      const batch = new LmBatch(core, S, family.config.context, data.vocab.size);
      batch.fill(data.test, selection.rows);
      timing.load = (performance.now() - t) / 1000;
      t = performance.now();
      const { gramPtr } = perSampleGradientGram(
        core,
        mlp,
        { kind: 'sparse', offsets: batch.offsets, indices: batch.indices },
        batch.labels,
        S,
        {
          onProgress: (done, total) => progress('gram', done, total),
          groups: parameterGroupMask(config.layers, cfg.depth),
        },
      );
      cosineFromGram(core, gramPtr, S);
      timing.gram = (performance.now() - t) / 1000;
      return { matrixPtr: gramPtr, isAffinity: false };
    },
  };
  return {
    source,
    dir,
    width,
    family,
    model,
    data,
    selection,
    inductionExcluded: induction.reduce((a, b) => a + b, 0),
    alphaN: scaling.alphaN,
    ...(truth ? { truth } : {}),
  };
}

/**
 * A skills family's test stream for QDG: the token names as words, each token's true skill as its tag
 * ('skill k' for a monogenic answer, 'polygenic' for a polygenic one, the kind for the rest), and the true skill as
 * a number (k; -1 polygenic; -2 and below irreducible kinds) for the ARI and NMI of the clusters.
 */
export function skillsQdgData(cfg: LmFamilyConfig): { data: LmData; truth: Int32Array } {
  const corpus = new SkillsCorpus(cfg);
  const t = corpus.testTokens;
  const lang = corpus.language;
  const names = Array.from({ length: lang.vocabSize }, (_, id) => lang.tokenName(id));
  const vocab = new Vocabulary(names.slice(2));
  vocab.words.splice(0, 2, names[0], names[1]);
  const truth = new Int32Array(t.ids.length);
  const tags = Array.from(t.ids, (_, p) => {
    if (t.cls[p] === TokenClass.monogenic) {
      truth[p] = t.skill[p];
      return `skill ${t.skill[p]}`;
    }
    if (t.cls[p] === TokenClass.polygenic) {
      truth[p] = -1;
      return 'polygenic';
    }
    truth[p] = -2 - t.kind[p];
    return TOKEN_KIND_NAMES[t.kind[p]];
  });
  const test = TokenStream.fromTokens(
    'skills',
    t.ids,
    Array.from(t.ids, (id) => names[id]),
    tags,
  );
  return { data: { vocab, train: test, test }, truth };
}

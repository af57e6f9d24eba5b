// QDG on tokens (paper section 5, Figs. 1, 5, 13; SPEC.md 4.1): per-token gradients of low-loss test tokens of
// one member of a trained family, with the paper's filters adapted (loss below a threshold; a token that
// completes a trigram already seen earlier in the same text is an "induction" token and is left out), every
// k-th candidate up to S samples, the factored per-sample-gradient Gram (every weight and bias: in a
// one-hidden-layer model the first layer is the embedding and the last the unembedding, which the paper
// drops for Pythia; here nothing would be left without them), then the QDG pipeline. Clusters are shown as
// lists of contexts with the predicted token highlighted, and measured for purity in part-of-speech tag and
// in predicted token against clusters of the same sizes drawn at random (beyond the paper: are clusters skills?).
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getCore } from '../core/arena.js';
import { ConfigError, require } from '../core/errors.js';
import { CounterRandom, Stream } from '../core/rng.js';
import { writeFileAtomic } from '../io/atomic.js';
import { readNpyF32 } from '../io/npy.js';
import { cosineFromGram } from '../qdg/gram.js';
import { perSampleGradientGram } from '../qdg/factored-gram.js';
import {
  affinityFromCosine,
  DEFAULT_N_INIT,
  orderByCluster,
  spectralClusterings,
  type QdgAnalysis,
  type StageTiming,
} from '../qdg/pipeline.js';
import { capWindowToClusters, defaultClusterCounts, defaultEnvelopeWindow } from '../qdg/rank-frequency.js';
import { qdgSummary, rankFrequencySvg, similaritySvgs, writeClusterFiles } from '../qdg/report.js';
import { similarityPng } from '../qdg/similarity-image.js';
import { requireFits } from '../qdg/sources.js';
import { escapeHtml, htmlPage, htmlTable } from '../report/html.js';
import { Mlp } from '../train/model.js';
import { parseFloatOption, parseIntOption, parseListOption, Progress } from '../cli/common.js';
import { LmBatch, type TokenStream } from './data.js';
import { lmModelConfig, modelDirName, validateLmFamily } from './family.js';
import { meanLossScaling } from './token-analysis.js';
import { readFamilyRecord } from './train-family.js';
import { loadCheckpoint, prepareLmData, type LmModelRecord } from './train-model.js';
import { insideFolder } from '../io/paths.js';
import { checkOutputFolder } from '../io/output.js';
import { isJsonObject, readJsonInput } from '../io/read.js';

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

export interface LmQdgCliOptions {
  run: string;
  width?: number;
  samples: number;
  lossThreshold: number;
  every?: number;
  clusters?: number[];
  nInit: number;
  seed: number;
  showClusters: number;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

export function registerLmQdgOptions(cmd: Command): Command {
  return cmd
    .requiredOption('--run <DIR>', 'a family folder written by quanta lm train')
    .option('--width <int>', 'the member to analyse (default: the largest)', parseIntOption('--width', 1))
    .option(
      '--samples <int>',
      `tokens to cluster (the paper: 10,000)`,
      parseIntOption('--samples', 3),
      LM_QDG_SAMPLES,
    )
    .option(
      '--loss-threshold <nats>',
      'keep test tokens whose loss is below this (the paper: 0.1 nats for Pythia)',
      parseFloatOption('--loss-threshold', 0, Infinity, true),
      LM_QDG_LOSS_THRESHOLD,
    )
    .option(
      '--every <int>',
      'take every k-th candidate (default: spread S over all candidates; the paper: 50)',
      parseIntOption('--every', 1),
    )
    .option(
      '--clusters <list>',
      'cluster counts K (default: log-spaced from 10 to S/7)',
      parseListOption('--clusters', parseIntOption('--clusters', 2)),
    )
    .option(
      '--n-init <int>',
      'k-means restarts per K (the paper: 30)',
      parseIntOption('--n-init', 1, 10_000),
      DEFAULT_N_INIT,
    )
    .option('--seed <int>', 'seed of the eigensolver and k-means', parseIntOption('--seed', 0), 0)
    .option(
      '--show-clusters <int>',
      'clusters listed with their contexts in the report',
      parseIntOption('--show-clusters', 1, 1000),
      12,
    )
    .option('--json', 'print a JSON summary on stdout')
    .option('--quiet', 'no progress on stderr')
    .requiredOption('--out <DIR>', 'output folder');
}

interface ClusterView {
  rank: number;
  size: number;
  tagPurity: number;
  tokenPurity: number;
  topTag: string;
  topToken: string;
  rows: number[];
}

function clusterViews(
  labels: Int32Array,
  rows: number[],
  stream: TokenStream,
  words: string[],
): ClusterView[] {
  const order = orderByCluster(labels);
  const views: ClusterView[] = [];
  let i = 0;
  while (i < order.length) {
    const label = labels[order[i]];
    const members: number[] = [];
    while (i < order.length && labels[order[i]] === label) members.push(rows[order[i++]]);
    const top = (vals: string[]): [string, number] => {
      const m = new Map<string, number>();
      for (const v of vals) m.set(v, (m.get(v) ?? 0) + 1);
      const best = [...m].sort((a, b) => b[1] - a[1])[0];
      return [best[0], best[1] / vals.length];
    };
    const [topTag, tagPurity] = top(members.map((p) => stream.tags[p]));
    const [topToken, tokenPurity] = top(members.map((p) => words[stream.ids[p]]));
    views.push({
      rank: views.length,
      size: members.length,
      tagPurity,
      tokenPurity,
      topTag,
      topToken,
      rows: members,
    });
  }
  return views;
}

function contextHtml(stream: TokenStream, p: number, before = 10): string {
  const start = Math.max(p - stream.positionOf[p], p - before);
  const ctx = stream.words.slice(start, p).join(' ');
  return `&hellip; ${escapeHtml(ctx)} <b style="background:#ffe08a">${escapeHtml(stream.words[p])}</b>`;
}

export async function lmQdgCommand(o: LmQdgCliOptions): Promise<void> {
  // --- validation ---
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
  const width = o.width ?? family.widths[family.widths.length - 1];
  require(family.widths.includes(
    width,
  ), `--width ${width} is not in the family (widths ${family.widths.join(', ')})`);
  const modelPath = join(dir, modelDirName(width), 'model.json');
  require(existsSync(modelPath), `--run: ${modelPath} is missing`);
  const model = readJsonInput(modelPath) as LmModelRecord;
  require(isJsonObject(model), `--run: ${modelPath} is not a model record`);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  const testLosses = readNpyF32(
    insideFolder(join(dir, modelDirName(width)), model.testLossFile, 'model.json testLossFile'),
  );
  const C = testLosses.shape[1];
  const finalLoss = Float32Array.from(
    { length: testLosses.shape[0] },
    (_, p) => testLosses.data[p * C + C - 1],
  );
  const data = prepareLmData(family.config);
  require(data.test.length ===
    finalLoss.length, `--run: the test set (${data.test.length} tokens) does not match ${model.testLossFile}`);
  const induction = inductionTokens(data.test);
  const sel = selectLowLossTokens(finalLoss, induction, o.lossThreshold, o.samples, o.every);
  const S = sel.rows.length;
  if (S < Math.min(o.samples, 20)) {
    throw new ConfigError(
      `only ${S} test tokens have loss below ${o.lossThreshold} nats and are not induction tokens: raise --loss-threshold`,
    );
  }
  const clusters = (o.clusters ?? defaultClusterCounts(S)).filter((K) => K < S);
  require(clusters.length > 0, `--clusters: every K must be below the ${S} samples`);
  const maxK = Math.max(...clusters);
  const core = getCore();
  const cfg = lmModelConfig(family.config, width);
  const scratch =
    4 * S * (cfg.width * 2 + cfg.outputs) + 8 * S * Math.ceil(cfg.inputSize / 64) + 64 * 2 ** 20;
  requireFits(core, S, maxK, scratch, 16 * (cfg.inputSize + cfg.outputs) * (cfg.width + 1));
  const scaling = meanLossScaling(
    readNpyF32(insideFolder(dir, family.files?.losses, 'family.json files.losses')).data,
    family.testTokens,
    family.parameters,
  );

  // --- work ---
  const bar = (label: string, total: number) => new Progress(`lm qdg ${label}`, total, !!o.quiet);
  const timing: StageTiming = {};
  const mark = core.mark();
  try {
    let t = performance.now();
    const mlp = new Mlp(core, cfg, 512);
    loadCheckpoint(
      mlp,
      insideFolder(
        join(dir, modelDirName(width)),
        model.weightFiles?.[model.weightFiles.length - 1],
        'model.json weightFiles',
      ),
      model.weightLayout,
    );
    const batch = new LmBatch(core, S, family.config.context, data.vocab.size);
    batch.fill(data.test, sel.rows);
    timing.load = (performance.now() - t) / 1000;
    t = performance.now();
    const gramBar = bar('gram', S);
    const { gramPtr } = perSampleGradientGram(
      core,
      mlp,
      { kind: 'sparse', offsets: batch.offsets, indices: batch.indices },
      batch.labels,
      S,
      { onProgress: (done) => gramBar.update(done) },
    );
    gramBar.stop();
    cosineFromGram(core, gramPtr, S);
    timing.gram = (performance.now() - t) / 1000;
    affinityFromCosine(core, gramPtr, S, timing);
    const affinity = core.f32(gramPtr, S * S).slice();
    let stage = '';
    let stageBar: Progress | undefined;
    const analysis: QdgAnalysis = spectralClusterings(core, gramPtr, S, {
      clusters,
      nInit: o.nInit,
      seed: o.seed,
      window: capWindowToClusters(defaultEnvelopeWindow(S), maxK),
      alphaN: scaling.alphaN,
      timing,
      onProgress: (s, done, total) => {
        if (s !== stage) {
          stageBar?.stop();
          stage = s;
          stageBar = bar(s, total);
        }
        stageBar?.update(done);
      },
    });
    stageBar?.stop();

    // --- outputs ---
    mkdirSync(out, { recursive: true });
    const Kshow = clusters.reduce(
      (b, K) => (Math.abs(K - S / 25) < Math.abs(b - S / 25) ? K : b),
      clusters[0],
    );
    const clustering = analysis.clusterings.find((c) => c.K === Kshow)!;
    const words = data.vocab.words;
    const views = clusterViews(clustering.labels, sel.rows, data.test, words);
    const tags = sel.rows.map((p) => data.test.tags[p]);
    const predicted = sel.rows.map((p) => words[data.test.ids[p]]);
    const purity = {
      K: Kshow,
      tag: weightedPurity(clustering.labels, tags),
      tagRandom: randomPurity(clustering.labels, tags, o.seed),
      token: weightedPurity(clustering.labels, predicted),
      tokenRandom: randomPurity(clustering.labels, predicted, o.seed),
    };
    const source = {
      kind: 'lm-run',
      path: dir,
      width,
      parameters: model.parameters,
      lossThreshold: o.lossThreshold,
      candidates: sel.candidates,
      every: sel.every,
      rows: sel.rows,
      inductionExcluded: induction.reduce((a, b) => a + b, 0),
    };
    const files = writeClusterFiles(out, analysis, {
      source,
      purity,
      clustersShown: views.slice(0, o.showClusters).map((v) => ({
        rank: v.rank,
        size: v.size,
        topToken: v.topToken,
        tokenPurity: v.tokenPurity,
        topTag: v.topTag,
        tagPurity: v.tagPurity,
        rows: v.rows,
      })),
    });
    const image = similarityPng(affinity, S, orderByCluster(clustering.labels));
    writeFileAtomic(join(out, 'similarity-by-cluster.png'), image.png);
    const clusterHtml = views
      .slice(0, o.showClusters)
      .map(
        (v) =>
          `<h3>Cluster ${v.rank} (${v.size} tokens): predicted "${escapeHtml(v.topToken)}" ${(100 * v.tokenPurity).toFixed(0)}%, ` +
          `tag ${escapeHtml(v.topTag)} ${(100 * v.tagPurity).toFixed(0)}%</h3>\n<ul>` +
          v.rows
            .slice(0, 10)
            .map((p) => `<li>${contextHtml(data.test, p)}</li>`)
            .join('') +
          '</ul>',
      )
      .join('\n');
    const summary = qdgSummary(analysis, out);
    const html = htmlPage({
      title: `QDG on tokens: width-${width} language model (${model.parameters} parameters)`,
      intro:
        `${S} test tokens with loss below ${o.lossThreshold} nats, not completing a trigram seen earlier in their text ` +
        `(${S} of ${sel.candidates} candidates, spread evenly); gradients of every weight and bias (factored Gram); ` +
        `${o.nInit} k-means restarts per K; one Lanczos eigensolve for K = ${maxK}.`,
      sections: [
        {
          title: 'Rank-frequency of cluster sizes (Fig. 5 right)',
          svgs: [await rankFrequencySvg(analysis, { title: 'Token clusters' })],
          caption:
            `Envelope slope ${analysis.fit.envelopeSlope.toFixed(3)} over ranks ${analysis.fit.window.first}..${analysis.fit.window.last}; ` +
            `prediction -(1 + alpha_N) = ${analysis.predictedSlope.toFixed(3)} with this family's alpha_N = ${scaling.alphaN.toFixed(4)} ` +
            '(Pythia: slope -1.237 against -1.083).',
        },
        {
          title: `Similarity ordered by the K = ${Kshow} clusters (Fig. 5 left)`,
          svgs: await similaritySvgs([
            {
              file: 'similarity-by-cluster.png',
              caption: '',
              image,
              ordering: `the K = ${Kshow} clusters`,
            },
          ]),
        },
        {
          title: 'Are clusters skills? Purity in part-of-speech tag and predicted token',
          html: htmlTable(
            ['measure', `clusters (K = ${Kshow})`, 'random clusters of the same sizes'],
            [
              ['tag purity', purity.tag, purity.tagRandom],
              ['predicted-token purity', purity.token, purity.tokenRandom],
            ],
            3,
          ),
          caption:
            'Purity: the share of each cluster held by its most common value, weighted by cluster size. Beyond the paper.',
        },
        { title: `Largest clusters (K = ${Kshow}; Figs. 1 and 13)`, html: clusterHtml },
      ],
    });
    writeFileAtomic(join(out, 'report.html'), html);
    const result = {
      ...summary,
      purity,
      candidates: sel.candidates,
      width,
      files: [...files, join(out, 'report.html')],
    };
    if (o.json) {
      process.stdout.write(JSON.stringify(result) + '\n');
      return;
    }
    process.stdout.write(
      `lm qdg: ${S} tokens (of ${sel.candidates} candidates), K = ${clusters.join(',')}\n` +
        `envelope slope ${analysis.fit.envelopeSlope.toFixed(3)}; predicted -(1 + alpha_N) = ${analysis.predictedSlope.toFixed(3)}\n` +
        `purity at K = ${Kshow}: tag ${purity.tag.toFixed(3)} (random ${purity.tagRandom.toFixed(3)}), ` +
        `predicted token ${purity.token.toFixed(3)} (random ${purity.tokenRandom.toFixed(3)})\n` +
        `wrote ${out}\n`,
    );
  } finally {
    core.release(mark);
  }
}

/** The options `quanta qdg` passes on for `--lm-run DIR` (its own flags, with their defaults). */
export interface QdgLmRunOptions {
  lmRun: string;
  run?: string;
  gradients?: string;
  similarity?: string;
  affinity?: string;
  labels?: string;
  samples?: number;
  lossThreshold: number;
  clusters?: number[];
  nInit: number;
  seed: number;
  json?: boolean;
  quiet?: boolean;
  out: string;
}

/** `quanta qdg --lm-run DIR`: the same as `quanta lm qdg --run DIR` with qdg's flags (largest member). */
export async function qdgOnLmRun(o: QdgLmRunOptions): Promise<void> {
  require(![o.run, o.gradients, o.similarity, o.affinity].some(
    Boolean,
  ), '--lm-run cannot be combined with another source');
  require(!o.labels, '--labels cannot be used with --lm-run');
  await lmQdgCommand({
    run: o.lmRun,
    samples: o.samples ?? LM_QDG_SAMPLES,
    lossThreshold: o.lossThreshold,
    clusters: o.clusters,
    nInit: o.nInit,
    seed: o.seed,
    showClusters: 12,
    json: o.json,
    quiet: o.quiet,
    out: o.out,
  });
}

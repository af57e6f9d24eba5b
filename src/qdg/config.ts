// The options of one QDG experiment, validated once (DESIGN.md lever 6: parse, don't validate). A caller (the
// CLI, a page, a test) hands `qdgConfig` what the user gave; it works out every default once (the cluster
// counts, the envelope window, alpha_N, the k-means restarts) and checks every value against the samples S,
// and returns a QdgConfig. Below this edge a QdgConfig is known good: the pipeline (./pipeline.ts), the
// spectral embedding and k-means take its values without checking them again (their wrappers keep only cheap
// internal asserts, RangeErrors, for library callers' bugs).
//
// How --clusters travels: the CLI parses the text into a list of integers or 'paper' (src/cli/qdg-options.ts,
// syntax only) -> QdgOptions.clusters -> qdgConfig: 'paper' or the default list resolved, each K checked to lie
// in [2, S - 1] (the one error message), sorted and deduplicated -> QdgConfig.clusters -> spectralClusterings:
// one embedding of maxClusters columns, then kmeans(core, columns, S, K, K) per K.
import { ConfigError, require } from '../core/errors.js';
import {
  capWindowToClusters,
  defaultClusterCounts,
  defaultEnvelopeWindow,
  PAPER_ALPHA_N,
  PAPER_CLUSTER_COUNTS,
  type RankWindow,
} from './rank-frequency.js';

/** k-means restarts per K: sklearn SpectralClustering's n_init = 30, as the paper (SPEC.md 4.1 item 9). */
export const DEFAULT_N_INIT = 30;
/** The most k-means restarts per K accepted (beyond it the result no longer changes, only the time). */
export const MAX_N_INIT = 10_000;

/** What a user may give; every field optional (the defaults are below, each with its reason). */
export interface QdgOptions {
  /**
   * Cluster counts K, each in [2, S - 1]; 'paper' for the paper's 30 values 10..1500. Default: 30 log-spaced
   * values from 10 to S/7 (defaultClusterCounts: the paper's 10..1500 of 10,000 samples).
   */
  clusters?: readonly number[] | 'paper';
  /** k-means restarts per K (default 30, the paper's n_init). */
  nInit?: number;
  /** Seed of the Lanczos start vector and of k-means++ (default 0; the paper's runs were unseeded). */
  seed?: number;
  /**
   * Ranks of the envelope fit. Default [round(S/100) + 1, round(S/10)] (the paper's 101..1000 of 10,000),
   * shrunk to end at round(2K/3) when the largest K is below its end (rank-frequency.ts).
   */
  window?: RankWindow;
  /**
   * alpha_N of the predicted slope -(1 + alpha_N). Default: the source's own (a sparse-parity run's alpha, a
   * language-model family's measured alpha_N, the toy's alpha - 1), else the paper's PAPER_ALPHA_N for LLMs.
   */
  alphaN?: number;
  /**
   * What the per-sample gradients are the gradient of (a source of a model's gradients only): 'loss' (default,
   * the paper's) or 'logit', the logit difference z_1 - z_0 of a two-class model, which does not depend on the
   * label (the loss gradient of a two-class model is this one times -+p_wrong: it flips sign with the label).
   */
  gradientOf?: GradientOf;
  /**
   * The parameter groups the gradient is taken with respect to (a source of a model's gradients only): names
   * of the source's groups (`W1`, `b1`, `W2`, `b2`, ...) or layer numbers (`2` = `W2` and `b2`). Default: every
   * weight and bias (the paper's).
   */
  layers?: readonly string[];
  /**
   * 'signed' (default, the paper's): the angular affinity of the cosine; 'abs': of its absolute value, so that a
   * gradient and its negative are one direction (a source of cosines only, not an affinity used as is).
   */
  cosine?: CosineKind;
  /** Return the affinity matrix (a copy, f32 S x S) with the result: for pictures and affinity.npy. */
  keepAffinity?: boolean;
  /** Return the spectral embedding (S x largest K, f64) with the result. */
  keepEmbedding?: boolean;
}

/** The output whose per-sample gradients QDG clusters (QdgOptions.gradientOf). */
export type GradientOf = 'loss' | 'logit';
export const GRADIENT_OF: readonly GradientOf[] = ['loss', 'logit'];
/** How cosines become the affinity (QdgOptions.cosine). */
export type CosineKind = 'signed' | 'abs';
export const COSINE_KINDS: readonly CosineKind[] = ['signed', 'abs'];

/** One parameter group of a model: its name (`W2`) and the number of its Linear layer (2; 1 = the first). */
export interface ParameterGroup {
  name: string;
  layer: number;
}

/**
 * What a source lets the user choose beyond the clustering, checked by qdgConfig before any work. A source
 * without `gradient` has no model (a matrix brought from elsewhere): --gradient-of and --layers are refused.
 */
export interface SourceChoices {
  /** The source gives cosine similarities (so --cosine abs applies), not an affinity used as is. */
  cosine: boolean;
  /** A model's per-sample gradients: the outputs they may be of, and the parameter groups (in model order). */
  gradient?: { outputs: readonly GradientOf[]; groups: readonly ParameterGroup[] };
}

/** The parameter groups of an MLP of `depth` Linear layers: W1, b1, ..., W<depth>, b<depth>. */
export function mlpParameterGroups(depth: number): ParameterGroup[] {
  const groups: ParameterGroup[] = [];
  for (let l = 1; l <= depth; l++) groups.push({ name: `W${l}`, layer: l }, { name: `b${l}`, layer: l });
  return groups;
}

declare const validated: unique symbol;

/** QdgOptions after qdgConfig: every default worked out, every value checked for S samples. */
export interface QdgConfig {
  readonly [validated]: true;
  readonly samples: number;
  /** Cluster counts, ascending, distinct, each in [2, samples - 1]. */
  readonly clusters: readonly number[];
  /** The largest K: the embedding's number of columns. */
  readonly maxClusters: number;
  readonly nInit: number;
  readonly seed: number;
  readonly window: RankWindow;
  readonly alphaN: number;
  readonly keepAffinity: boolean;
  readonly keepEmbedding: boolean;
  /** 'loss' unless the user chose otherwise (and the source offers it). */
  readonly gradientOf: GradientOf;
  /**
   * The chosen parameter groups, by name in model order, without duplicates; null = every parameter (the
   * default, and the only value for a source without a model).
   */
  readonly layers: readonly string[] | null;
  readonly cosine: CosineKind;
}

/** The one rule of a QDG seed (k-means++ and the Lanczos start; the toy's points use the same seed). */
export function checkSeed(seed: number): void {
  require(Number.isSafeInteger(seed) &&
    seed >= 0, `--seed must be an integer in [0, ${Number.MAX_SAFE_INTEGER}], got ${seed}`);
}

/** The one check of the cluster counts (CLI, page and library alike); sorted and deduplicated. */
function clusterCounts(clusters: QdgOptions['clusters'], S: number): number[] {
  const list =
    clusters === 'paper' ? [...PAPER_CLUSTER_COUNTS] : clusters ? [...clusters] : defaultClusterCounts(S);
  require(list.length > 0, '--clusters must list at least one cluster count');
  for (const K of list) {
    require(Number.isInteger(K) &&
      K >= 2 &&
      K < S, `--clusters values must be integers in [2, ${S - 1}] for ${S} samples, got ${K}`);
  }
  return [...new Set(list)].sort((a, b) => a - b);
}

/** The one check of --gradient-of against what the source offers. */
function gradientOfFor(gradientOf: GradientOf | undefined, choices: SourceChoices): GradientOf {
  if (gradientOf === undefined) return 'loss';
  require(GRADIENT_OF.includes(gradientOf), `--gradient-of must be loss or logit, got '${gradientOf}'`);
  const outputs = choices.gradient?.outputs;
  require(outputs !==
    undefined, '--gradient-of needs a model whose per-sample gradients QDG computes (--run or --lm-run)');
  require(outputs.includes(gradientOf), gradientOf === 'logit'
    ? '--gradient-of logit needs a two-class model (the gradient of the logit difference z_1 - z_0); ' +
        `this source offers ${outputs.join(', ')}`
    : `--gradient-of ${gradientOf} is not offered by this source (${outputs.join(', ')})`);
  return gradientOf;
}

/**
 * The one check of --layers against the source's parameter groups: each item a group's name or a layer number
 * (all that layer's groups). Returns the names in model order, deduplicated; null when every group is chosen
 * by default.
 */
function layersFor(layers: readonly string[] | undefined, choices: SourceChoices): string[] | null {
  if (layers === undefined) return null;
  const groups = choices.gradient?.groups;
  require(groups !==
    undefined, '--layers needs a model whose per-sample gradients QDG computes (--run or --lm-run)');
  require(layers.length > 0, '--layers must name at least one parameter group');
  const names = groups.map((g) => g.name);
  const chosen = new Set<string>();
  for (const item of layers) {
    const byName = groups.filter((g) => g.name === item);
    const byLayer = /^\d+$/.test(item) ? groups.filter((g) => g.layer === Number(item)) : [];
    const hit = byName.length > 0 ? byName : byLayer;
    require(hit.length >
      0, `--layers: unknown parameter group '${item}': this model has ${names.join(', ')} (a number l means W<l> and b<l>)`);
    for (const g of hit) chosen.add(g.name);
  }
  return names.filter((n) => chosen.has(n));
}

/**
 * Validates `options` for a source of `samples` samples and works out the defaults (see QdgOptions);
 * `sourceAlphaN` is the source's own alpha_N, `choices` what it lets the user choose (default: cosines, no
 * model). Throws a ConfigError (one line) on bad input.
 */
export function qdgConfig(
  options: QdgOptions,
  samples: number,
  sourceAlphaN?: number,
  choices: SourceChoices = { cosine: true },
): QdgConfig {
  require(Number.isInteger(samples) && samples >= 3, `QDG needs at least 3 samples, got ${samples}`);
  const clusters = clusterCounts(options.clusters, samples);
  const maxClusters = clusters[clusters.length - 1];
  const nInit = options.nInit ?? DEFAULT_N_INIT;
  require(Number.isInteger(nInit) &&
    nInit >= 1 &&
    nInit <= MAX_N_INIT, `--n-init must be an integer in [1, ${MAX_N_INIT}], got ${nInit}`);
  const seed = options.seed ?? 0;
  checkSeed(seed);
  const window = options.window ?? capWindowToClusters(defaultEnvelopeWindow(samples), maxClusters);
  if (!(Number.isInteger(window.first) && window.first >= 1 && window.last > window.first)) {
    throw new ConfigError(`--window must satisfy 1 <= a < b, got '${window.first}:${window.last}'`);
  }
  if (options.alphaN !== undefined) {
    require(Number.isFinite(options.alphaN) &&
      options.alphaN >= 0, `--alpha-n must be a number >= 0, got ${options.alphaN}`);
  }
  const alphaN = options.alphaN ?? sourceAlphaN ?? PAPER_ALPHA_N;
  const gradientOf = gradientOfFor(options.gradientOf, choices);
  const layers = layersFor(options.layers, choices);
  const cosine = options.cosine ?? 'signed';
  require(COSINE_KINDS.includes(cosine), `--cosine must be signed or abs, got '${cosine}'`);
  require(cosine === 'signed' ||
    choices.cosine, '--cosine abs needs cosine similarities (a model, --gradients or --similarity), not an affinity');
  return {
    samples,
    clusters,
    maxClusters,
    nInit,
    seed,
    window,
    alphaN,
    keepAffinity: options.keepAffinity ?? false,
    keepEmbedding: options.keepEmbedding ?? false,
    gradientOf,
    layers,
    cosine,
  } as unknown as QdgConfig;
}

// The toy model of spectral-clustering bias (SPEC.md 4.4; paper Figures 16-17, Appendix "QDG toy model"; the
// paper's code for it is not public, so this follows the text).
//
// `subtasks` subtasks; subtask i (rank i = 1, 2, ...) has n_i = floor(A / i^alpha) points, A = 1000. HERE alpha
// IS THE EXPONENT OF THE CLUSTER SIZES THEMSELVES (the rank-frequency exponent), not the paper's Zipf alpha
// of sparse parity: alpha = 1 imitates the LLM's 1.083. With alpha = 1 there are 7,069 points and all 1000
// subtasks are non-empty; with alpha = 1.5, 2,374 points in 100 non-empty subtasks.
// The points of subtask i are drawn from N(m_i, sigma^2 I_d) with centres m_i ~ N(0, I_d). The similarity of
// two points is 1 + cos(x, y) (not the arccos form of QDG), so the affinity lies in [0, 2]. Spectral
// clustering on that affinity for several K then gives rank-frequency curves and an envelope whose slope
// should be -alpha if clustering were unbiased; the paper finds an estimation error of about 0.2 (Fig. 17).
//
// Random numbers: Philox on Stream.toy through the Wasm kernel rng_fill_uniform (the same counter-based
// generator as CounterRandom, one uniform per block, fast enough for the 7 million Gaussians of d = 1000).
// Uniform j of centre i is block (2 d i + j, c1 = 0, Stream.toy, 0); of point p's noise, (2 d p + j, 1, ...).
// Gaussian e of a row is Box-Muller of uniforms (2e, 2e + 1): sqrt(-2 ln(1 - u)) cos(2 pi v).
import type { Core } from '../core/arena.js';
import { require, requireInt, requireNumber } from '../core/errors.js';
import { seedKey, Stream } from '../core/rng.js';
import { checkSeed } from './config.js';
import { mirrorGram, syrkAccumulate } from './gram.js';
import type { QdgSource } from './run.js';
import { allocatePlan, planBytes, type BufferPlan } from '../core/buffers.js';
import { qdgMatrixPlan } from './memory.js';

/** A in n_i = floor(A / i^alpha) (paper: 1000). */
export const TOY_POINTS_SCALE = 1000;

export interface ToyConfig {
  /** Number of subtasks (paper: 1000). Subtasks with floor(A / i^alpha) = 0 points are empty. */
  subtasks: number;
  /** The cluster-size exponent: subtask i has floor(A / i^alpha) points (paper: 1; Fig. 17 sweeps 0.8..1.5). */
  alpha: number;
  /** Dimension of the points (Fig. 16: 30, 100, 1000). */
  d: number;
  /** Within-subtask standard deviation (Fig. 16: 0, 0.5, 2). */
  sigma: number;
  /** Seed of the centres and points. */
  seed: number;
  /** A in n_i = floor(A / i^alpha) (default 1000, the paper's; smaller for quick tests). */
  scale?: number;
}

/** The paper's defaults: 1000 subtasks, alpha = 1, and Fig. 16's best match to the LLM, d = 1000, sigma = 2. */
export const TOY_DEFAULTS: Omit<ToyConfig, 'seed'> = { subtasks: 1000, alpha: 1, d: 1000, sigma: 2 };

/** The toy's points: unit-normalised rows in Wasm memory, and each point's true subtask (0-based rank). */
export interface ToyPoints {
  samples: number;
  d: number;
  /** f32[samples * d] row-major, each row x / |x| (only directions matter for 1 + cosine). */
  pointsPtr: number;
  /** labels[p] = subtask (0-based) of point p; points are grouped by subtask, most frequent first. */
  labels: Int32Array;
  /** n_i per subtask (0 for empty ones). */
  counts: number[];
}

/** n_i = floor(A / i^alpha) for i = 1..subtasks. */
export function toyPointCounts(subtasks: number, alpha: number, scale = TOY_POINTS_SCALE): number[] {
  // Round before flooring so that exact quotients (e.g. 1000 / 8^1) are not lost to pow's rounding.
  return Array.from({ length: subtasks }, (_, i) => Math.floor(scale / Math.pow(i + 1, alpha) + 1e-9));
}

/** Total number of points of a toy configuration. */
export function toySamples(subtasks: number, alpha: number, scale = TOY_POINTS_SCALE): number {
  return toyPointCounts(subtasks, alpha, scale).reduce((a, b) => a + b, 0);
}

/** Validates a toy configuration (ConfigError on bad input). */
export function validateToy(c: ToyConfig): void {
  requireInt(c.subtasks, '--subtasks', 1, 1_000_000);
  requireNumber(c.alpha, '--alpha (the cluster-size exponent)', 0, 10, true);
  requireInt(c.d, '--d', 1, 1_000_000);
  requireNumber(c.sigma, '--sigma', 0, 1e6);
  checkSeed(c.seed); // the same rule as the clustering's seed (./config.ts)
  requireInt(c.scale ?? TOY_POINTS_SCALE, '--scale', 1, 1_000_000);
  const S = toySamples(c.subtasks, c.alpha, c.scale);
  require(S >=
    2, `the toy with ${c.subtasks} subtasks and alpha ${c.alpha} has ${S} point(s); need at least 2`);
  require(2 * c.d * Math.max(S, c.subtasks) <
    2 ** 32, `--d ${c.d} times ${S} points is too many for the random-number counters`);
}

/** Box-Muller over pairs of uniforms: out[e] = sqrt(-2 ln(1 - u[2e])) cos(2 pi u[2e + 1]). */
function gaussiansFromUniforms(u: Float64Array, out: Float64Array): void {
  for (let e = 0; e < out.length; e++) {
    out[e] = Math.sqrt(-2 * Math.log(1 - u[2 * e])) * Math.cos(2 * Math.PI * u[2 * e + 1]);
  }
}

/** The buffers of the toy's points: S x d f32 unit rows, and one row of 2d f64 uniforms for Box-Muller. */
export function toyPointsPlan(S: number, d: number): BufferPlan<'points' | 'uniforms'> {
  return [
    { name: 'points', bytes: 4 * S * d },
    { name: 'uniforms', bytes: 8 * 2 * d },
  ];
}

/**
 * Draws the toy's points (of a configuration validateToy accepted) into Wasm memory (f32 S x d, rows unit-normalised). Allocates on `core`; the caller
 * releases with core.mark()/release() when done.
 */
export function toyPoints(core: Core, c: ToyConfig): ToyPoints {
  const counts = toyPointCounts(c.subtasks, c.alpha, c.scale);
  const samples = counts.reduce((a, b) => a + b, 0);
  const d = c.d;
  const [seedLo, seedHi] = seedKey(c.seed);
  const { points: pointsPtr, uniforms: uniformPtr } = allocatePlan(core, toyPointsPlan(samples, d));
  const fill = (c1: number, row: number): Float64Array => {
    core.kernels.rng_fill_uniform(uniformPtr, 2 * d, seedLo, seedHi, Stream.toy, c1, 2 * d * row);
    return core.f64(uniformPtr, 2 * d);
  };
  const labels = new Int32Array(samples);
  const centre = new Float64Array(d);
  const noise = new Float64Array(d);
  const x = new Float64Array(d);
  let p = 0;
  for (let i = 0; i < counts.length; i++) {
    if (counts[i] === 0) continue;
    gaussiansFromUniforms(fill(0, i), centre);
    for (let m = 0; m < counts[i]; m++, p++) {
      labels[p] = i;
      if (c.sigma > 0) gaussiansFromUniforms(fill(1, p), noise);
      let norm = 0;
      for (let j = 0; j < d; j++) {
        x[j] = centre[j] + (c.sigma > 0 ? c.sigma * noise[j] : 0);
        norm += x[j] * x[j];
      }
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      const row = core.f32(pointsPtr + p * d * 4, d);
      for (let j = 0; j < d; j++) row[j] = x[j] * inv;
    }
  }
  return { samples, d, pointsPtr, labels, counts };
}

/**
 * The toy's affinity 1 + cos(x_a, x_b) (values in [0, 2]) into the f32 S x S matrix at `affinityPtr` (zeroed,
 * e.g. fresh from core.allocF32), from the unit rows: the Gram X X^T by the SIMD SYRK of gram.ts, mirrored,
 * then clipped to [-1, 1] and shifted by 1.
 */
export function toyAffinityInto(core: Core, points: ToyPoints, affinityPtr: number): void {
  const { samples: S, d } = points;
  syrkAccumulate(core, affinityPtr, S, points.pointsPtr, d);
  mirrorGram(core, affinityPtr, S);
  const A = core.f32(affinityPtr, S * S);
  for (let p = 0; p < S * S; p++) A[p] = 1 + Math.max(-1, Math.min(1, A[p]));
}

/** toyAffinityInto a new matrix allocated on `core`; returns its pointer. */
export function toyAffinity(core: Core, points: ToyPoints): number {
  const affinityPtr = core.allocF32(points.samples * points.samples);
  toyAffinityInto(core, points, affinityPtr);
  return affinityPtr;
}

/** The paper's reading of a toy run: the estimate of alpha is minus the envelope slope. */
export function toyEstimate(
  alpha: number,
  envelopeSlope: number,
): { estimatedAlpha: number; estimationError: number } {
  return { estimatedAlpha: -envelopeSlope, estimationError: -envelopeSlope - alpha };
}

/** Fig. 16's cluster counts. */
export const TOY_CLUSTERS: readonly number[] = [100, 200, 500];
/**
 * k-means restarts for the toy: sklearn SpectralClustering's default n_init = 10 (the toy's code is not
 * public; the LLM run's 30 would triple the k-means time of the K = 500 clusterings for little change).
 */
export const TOY_N_INIT = 10;

/**
 * The QdgSource of a toy configuration (validated here, ConfigError on bad input): its affinity 1 + cosine
 * (used as is), its subtasks the true labels, and alpha_N = alpha - 1, so that the predicted slope
 * -(1 + alpha_N) is the true -alpha.
 */
export function toySource(c: ToyConfig): QdgSource {
  validateToy(c);
  const S = toySamples(c.subtasks, c.alpha, c.scale);
  return {
    samples: S,
    // the points, freed before the clustering
    scratchBytes: planBytes(toyPointsPlan(S, c.d)),
    alphaN: c.alpha - 1,
    choices: { cosine: false },
    load(core, timing) {
      const t0 = performance.now();
      const { matrix: affinityPtr } = allocatePlan(core, qdgMatrixPlan(S));
      const pointsMark = core.mark();
      const points = toyPoints(core, c);
      toyAffinityInto(core, points, affinityPtr);
      core.release(pointsMark);
      timing.affinity = (performance.now() - t0) / 1000;
      return { matrixPtr: affinityPtr, isAffinity: true, trueLabels: points.labels };
    },
  };
}

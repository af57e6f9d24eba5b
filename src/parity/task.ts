// Multitask sparse parity (SPEC.md 1.1; paper section 3.1): nTasks subtasks, each the parity of a fixed
// k-subset of n task bits; subtask i (rank 1 = most frequent) is used with probability p_i proportional to
// i^-(alpha+1), alpha being the PAPER's alpha. (The reference code's `alpha` is the paper's alpha + 1.)
import { ConfigError, require, requireInt, requireNumber } from '../core/errors.js';
import { CounterRandom, Stream } from '../core/rng.js';

export interface TaskConfig {
  /** Number of subtasks (quanta). */
  nTasks: number;
  /** Number of task bits. */
  n: number;
  /** Parity arity: bits per subtask. */
  k: number;
  /** The paper's Zipf exponent: p_i proportional to i^-(alpha+1). */
  alpha: number;
  /** Seed of the subsets (the reference re-seeds per run, so equal seeds give equal subsets). */
  seed: number;
}

/** The paper's headline setting (Figure 2): 500 subtasks, 100 bits, k 3, alpha 0.4. */
export const PAPER_TASK: Omit<TaskConfig, 'seed'> = { nTasks: 500, n: 100, k: 3, alpha: 0.4 };

/** log C(n, k), exactly enough for validation. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/** The paper's alpha (p_k ~ k^-(alpha+1)): the one rule for --alpha in every command. */
export function checkAlpha(alpha: number): void {
  requireNumber(alpha, "alpha (--alpha, the paper's: p_k ~ k^-(alpha+1))", 0, 100, true);
}

/** A run's seed: the one rule for --seed and a sweep's --seeds. */
export function checkSeed(seed: number): void {
  requireInt(seed, 'seed (--seed, --seeds)', 0, 2 ** 53 - 1);
}

/** The task's part of a run's validation (src/train/config.ts validateRun), at the edge. */
export function validateTask(c: TaskConfig): void {
  requireInt(c.nTasks, 'nTasks (--n-tasks)', 1, 1_000_000);
  requireInt(c.n, 'n (--n, task bits)', 1, 4096);
  requireInt(c.k, 'k (--k)', 1, c.n);
  checkAlpha(c.alpha);
  checkSeed(c.seed);
  const distinct = binomial(c.n, c.k);
  require(c.nTasks <=
    distinct, `nTasks ${c.nTasks} is more than the ${distinct} distinct ${c.k}-subsets of ${c.n} task bits`);
}

/** p_i for i = 1..nTasks, proportional to i^-(alpha+1) (paper convention), summing to 1. */
export function subtaskProbabilities(nTasks: number, alpha: number): Float64Array {
  const p = new Float64Array(nTasks);
  let z = 0;
  for (let i = 0; i < nTasks; i++) {
    p[i] = Math.pow(i + 1, -(alpha + 1));
    z += p[i];
  }
  for (let i = 0; i < nTasks; i++) p[i] /= z;
  return p;
}

/** Cumulative distribution of p, with the last entry set to exactly 1 (so no draw falls off the end). */
export function cumulative(p: Float64Array): Float64Array {
  const cdf = new Float64Array(p.length);
  let acc = 0;
  for (let i = 0; i < p.length; i++) {
    acc += p[i];
    cdf[i] = acc;
  }
  cdf[p.length - 1] = 1;
  return cdf;
}

/**
 * Subtask counts of an exact-frequency test batch of `testPoints` samples: floor(p_i * testPoints)
 * (SPEC.md 1.1, "Mean test loss"). Their sum is at most testPoints.
 */
export function exactCounts(p: Float64Array, testPoints: number): Int32Array {
  const counts = new Int32Array(p.length);
  for (let i = 0; i < p.length; i++) counts[i] = Math.floor(p[i] * testPoints);
  return counts;
}

/**
 * Draws nTasks distinct sorted k-subsets of [0, n), as the reference does: random k-samples, sorted, kept
 * when new, for up to nTasks*10 attempts. When subsets are so scarce that attempts run out, the remaining
 * ones are taken from a seeded shuffle of all subsets (deterministic, still distinct).
 * Returns i32[nTasks * k], row i = subtask i (rank i + 1). `c` has passed validateTask.
 */
export function drawSubsets(c: TaskConfig): Int32Array {
  const rng = new CounterRandom(c.seed, Stream.subsets);
  const seen = new Set<string>();
  const rows: number[][] = [];
  const pool = Array.from({ length: c.n }, (_, i) => i);
  for (let attempt = 0; attempt < c.nTasks * 10 && rows.length < c.nTasks; attempt++) {
    for (let j = 0; j < c.k; j++) {
      const r = j + rng.nextInt(c.n - j);
      [pool[j], pool[r]] = [pool[r], pool[j]];
    }
    const s = pool.slice(0, c.k).sort((a, b) => a - b);
    const key = s.join(',');
    if (!seen.has(key)) {
      seen.add(key);
      rows.push(s);
    }
  }
  if (rows.length < c.nTasks) {
    const all: number[][] = [];
    const cur: number[] = [];
    const rec = (start: number) => {
      if (cur.length === c.k) {
        if (!seen.has(cur.join(','))) all.push(cur.slice());
        return;
      }
      for (let i = start; i < c.n; i++) {
        cur.push(i);
        rec(i + 1);
        cur.pop();
      }
    };
    if (binomial(c.n, c.k) > 5_000_000) throw new ConfigError('could not draw enough distinct subsets');
    rec(0);
    for (let i = all.length - 1; i > 0; i--) {
      const j = rng.nextInt(i + 1);
      [all[i], all[j]] = [all[j], all[i]];
    }
    for (const s of all) {
      if (rows.length >= c.nTasks) break;
      rows.push(s);
    }
  }
  const out = new Int32Array(c.nTasks * c.k);
  rows.forEach((s, i) => out.set(s, i * c.k));
  return out;
}

/** A task with everything derived from its config. */
export class SparseParityTask {
  readonly probabilities: Float64Array;
  readonly cdf: Float64Array;
  readonly subsets: Int32Array;
  /** Input width: control bits then task bits. */
  readonly inputSize: number;

  /** `config` has passed validateTask (at the edge: validateRun, or a run record's check). */
  constructor(readonly config: TaskConfig) {
    this.probabilities = subtaskProbabilities(config.nTasks, config.alpha);
    this.cdf = cumulative(this.probabilities);
    this.subsets = drawSubsets(config);
    this.inputSize = config.nTasks + config.n;
  }
}

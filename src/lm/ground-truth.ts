// The paper's per-token criteria scored against the skills language's ground truth (./skills.ts): precision and
// recall of monogenic and polygenic tokens per model seed, on the seed-mean loss matrix, and the seed-to-seed
// agreement of each token's class; the width of monogenic transitions (why a token fails the criterion); and
// mean-loss scaling against the prediction from the skills' Zipf exponent. Pure functions of loss matrices and
// labels: `quanta tokens --lm-run` feeds them a skills family's files.
//
// Which true tokens count (the README states and justifies these):
//   monogenic  a monogenic-class token whose skill is learned inside the family's size range in that seed: the mean
//              loss of the skill's test tokens has recovered less than half of the log|Y| nats its answer carries
//              at the smallest model (>= ln|Y| / 2) and more than 90% at the largest (<= ln|Y| / 10). A token of a
//              skill learned before the smallest model or after the largest cannot show a transition on this family
//              under any criterion; the thresholds are the skill's, not the token's, and not the criterion's.
//   polygenic  every polygenic-class token among the rows the criterion scans: by construction each depends on one
//              cue from each band, the bands spread over the frequencies the family's sizes learn.
// Precision counts a found token as correct when its class is the one found (any skill).
import { powerLawFit, type PowerLawFit } from '../scaling/fit.js';
import {
  columnMeans,
  MONOGENIC_HIGH_NATS,
  MONOGENIC_LOW_NATS,
  monogenicTokens,
  polygenicTokens,
} from './token-analysis.js';
import { TokenClass } from './skills.js';
import { ConfigError } from '../core/errors.js';

/** What the scoring needs of a skills family's truth.json. */
export interface TruthLabels {
  language: { answers: number; alpha: number; bands: number };
  cls: ArrayLike<number>;
  skill: ArrayLike<number>;
  bayes: ArrayLike<number>;
  /** p_k of every monogenic skill (the language's Zipf law), when known. */
  skillProbabilities?: ArrayLike<number>;
}

export interface ClassScore {
  /** Found tokens whose class is right / found tokens (null when none is found). */
  precision: number | null;
  /** True tokens found / true tokens (null when there is none). */
  recall: number | null;
  found: number;
  correct: number;
  trueTokens: number;
  trueFound: number;
}

export interface SeedGroundTruth {
  seed: number;
  monogenic: ClassScore;
  polygenic: ClassScore;
}

export interface TransitionWidths {
  /** True monogenic tokens (over seeds) whose loss crosses 5.0 and then 0.3 nats along the sizes. */
  tokens: number;
  /** Median, over them, of ln N(loss = 0.3) - ln N(loss = 5.0), interpolated linearly in ln N. */
  medianWidth: number | null;
  /** Median ln(N_{m+1} / N_m) of the family: a transition wider than this spans a model and fails the criterion. */
  medianStep: number;
  /** Share of them whose crossing-width is below the family's median step. */
  narrowerThanStep: number | null;
}

export interface ScalingAgainstZipf {
  /** The skills' Zipf exponent alpha: the quantization model predicts alpha_N = alpha (SPEC.md 3.1). */
  predicted: number;
  /** -slope of ln(mean loss) on ln N, the paper's fit (no L_inf): over every token, seed-mean losses. */
  raw: PowerLawFit & { alphaN: number };
  /** The same on mean loss minus the mean Bayes loss of the test tokens (the loss no model can beat). */
  reducible: (PowerLawFit & { alphaN: number }) | null;
  /** The same on the mean loss of the monogenic tokens (their Bayes loss is 0). */
  monogenic: (PowerLawFit & { alphaN: number }) | null;
  bayesLoss: number;
  /**
   * Monogenic skills learned by each size (mean loss of their tokens at most ln|Y| / 10, seed-mean losses), of
   * the skills with test tokens, and the exponent beta of n ~ N^beta over the sizes where 0 < n < all: the
   * quantization model assumes beta = 1 (n = N / C), and with beta it predicts alpha_N = alpha beta on the
   * monogenic tokens (SPEC.md 3.1).
   */
  learnedSkills: number[];
  skillsWithTokens: number;
  learnedExponent: (PowerLawFit & { beta: number }) | null;
  /**
   * The quantization model's prediction given what each size learned: the use share sum_k p_k of the skills not
   * learned (L_mono would be b times it, SPEC.md 3.1), and -slope of its log on ln N. It differs from alpha when
   * n(N) is not proportional to N or the Zipf law is truncated (K skills).
   */
  unlearnedShare: number[] | null;
  unlearnedShareFit: (PowerLawFit & { alphaN: number }) | null;
}

export interface GroundTruthScore {
  /** Means over seeds (precision over the seeds that found any). */
  monogenic: ClassScore;
  polygenic: ClassScore;
  perSeed: SeedGroundTruth[];
  /** The criteria on the seed-mean loss matrix (each size's loss averaged over its seeds). */
  seedMean: { monogenic: ClassScore; polygenic: ClassScore };
  agreement: {
    /** Tokens found monogenic in some seed: share found so in every seed (null when none is found). */
    monogenic: number | null;
    polygenic: number | null;
    /** Share of all scanned tokens with the same class (monogenic, polygenic or neither) in every seed. */
    overall: number;
  };
  transitions: TransitionWidths;
  scaling: ScalingAgainstZipf;
  counts: { monogenic: number; polygenic: number; irreducible: number; rows: number };
  /** The thresholds of the truth definitions, in nats. */
  definitions: { unlearnedAtSmallest: number; learnedAtLargest: number; polygenicRows: number };
}

function score(found: Set<number>, cls: ArrayLike<number>, target: number, truth: Set<number>): ClassScore {
  let correct = 0;
  let trueFound = 0;
  for (const r of found) {
    if (cls[r] === target) correct++;
    if (truth.has(r)) trueFound++;
  }
  return {
    precision: found.size > 0 ? correct / found.size : null,
    recall: truth.size > 0 ? trueFound / truth.size : null,
    found: found.size,
    correct,
    trueTokens: truth.size,
    trueFound,
  };
}

function meanScore(s: ClassScore[]): ClassScore {
  const avg = (xs: (number | null)[]) => {
    const v = xs.filter((x): x is number => x !== null);
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : null;
  };
  const sum = (f: (c: ClassScore) => number) => s.reduce((a, c) => a + f(c), 0) / s.length;
  return {
    precision: avg(s.map((c) => c.precision)),
    recall: avg(s.map((c) => c.recall)),
    found: sum((c) => c.found),
    correct: sum((c) => c.correct),
    trueTokens: sum((c) => c.trueTokens),
    trueFound: sum((c) => c.trueFound),
  };
}

/**
 * Rows of monogenic-class tokens whose skill is learned inside the range (see the file comment), for one
 * [rows x models] matrix.
 */
export function trueMonogenicRows(
  losses: Float32Array,
  rows: number,
  models: number,
  truth: TruthLabels,
): Set<number> {
  const lnA = Math.log(truth.language.answers);
  const first = new Map<number, { sum0: number; sumLast: number; n: number }>();
  for (let r = 0; r < rows; r++) {
    if (truth.cls[r] !== TokenClass.monogenic) continue;
    const k = truth.skill[r];
    const e = first.get(k) ?? { sum0: 0, sumLast: 0, n: 0 };
    e.sum0 += losses[r * models];
    e.sumLast += losses[r * models + models - 1];
    e.n++;
    first.set(k, e);
  }
  const inRange = new Set<number>();
  for (const [k, e] of first) if (e.sum0 / e.n >= lnA / 2 && e.sumLast / e.n <= lnA / 10) inRange.add(k);
  const out = new Set<number>();
  for (let r = 0; r < rows; r++)
    if (truth.cls[r] === TokenClass.monogenic && inRange.has(truth.skill[r])) out.add(r);
  return out;
}

/** ln N where a curve (ln N, loss) first falls below `level` after index `from`, linearly interpolated. */
function crossing(lnN: number[], y: ArrayLike<number>, level: number, from = 0): number | null {
  for (let m = Math.max(1, from); m < lnN.length; m++) {
    if (y[m] < level && y[m - 1] >= level) {
      const t = (y[m - 1] - level) / (y[m - 1] - y[m]);
      return lnN[m - 1] + t * (lnN[m] - lnN[m - 1]);
    }
  }
  return null;
}

const median = (xs: number[]) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function withAlpha(fit: PowerLawFit): PowerLawFit & { alphaN: number } {
  return { ...fit, alphaN: -fit.slope };
}

export interface GroundTruthInput {
  seeds: number[];
  /** One f32 [rows x models] matrix per seed, nats. */
  losses: Float32Array[];
  rows: number;
  parameters: number[];
  truth: TruthLabels;
  /** Rows scanned for polygenic tokens (the paper: the first 100,000). */
  polygenicRows: number;
}

export function scoreGroundTruth(input: GroundTruthInput): GroundTruthScore {
  const { rows, parameters, truth } = input;
  const M = parameters.length;
  const scan = Math.min(rows, input.polygenicRows);
  const lnA = Math.log(truth.language.answers);
  const polyTruth = new Set<number>();
  for (let r = 0; r < scan; r++) if (truth.cls[r] === TokenClass.polygenic) polyTruth.add(r);

  const classify = (losses: Float32Array) => ({
    mono: new Set(monogenicTokens(losses, rows, M).map((t) => t.row)),
    poly: new Set(polygenicTokens(losses, rows, parameters, scan).map((t) => t.row)),
  });
  const perSeedFound = input.losses.map(classify);
  const perSeed: SeedGroundTruth[] = input.losses.map((losses, i) => ({
    seed: input.seeds[i],
    monogenic: score(
      perSeedFound[i].mono,
      truth.cls,
      TokenClass.monogenic,
      trueMonogenicRows(losses, rows, M, truth),
    ),
    polygenic: score(perSeedFound[i].poly, truth.cls, TokenClass.polygenic, polyTruth),
  }));

  // the seed-mean matrix
  const S = input.losses.length;
  const mean = new Float32Array(rows * M);
  for (const l of input.losses) for (let i = 0; i < mean.length; i++) mean[i] += l[i] / S;
  const meanFound = classify(mean);
  const seedMean = {
    monogenic: score(
      meanFound.mono,
      truth.cls,
      TokenClass.monogenic,
      trueMonogenicRows(mean, rows, M, truth),
    ),
    polygenic: score(meanFound.poly, truth.cls, TokenClass.polygenic, polyTruth),
  };

  // seed agreement over the scanned rows
  const everyAndSome = (get: (i: number) => Set<number>) => {
    let some = 0;
    let every = 0;
    for (let r = 0; r < scan; r++) {
      let n = 0;
      for (let i = 0; i < S; i++) if (get(i).has(r)) n++;
      if (n > 0) some++;
      if (n === S) every++;
    }
    return some > 0 ? every / some : null;
  };
  let same = 0;
  for (let r = 0; r < scan; r++) {
    const label = (i: number) => (perSeedFound[i].mono.has(r) ? 1 : perSeedFound[i].poly.has(r) ? 2 : 0);
    let ok = true;
    for (let i = 1; i < S && ok; i++) ok = label(i) === label(0);
    if (ok) same++;
  }
  const agreement = {
    monogenic: everyAndSome((i) => perSeedFound[i].mono),
    polygenic: everyAndSome((i) => perSeedFound[i].poly),
    overall: scan > 0 ? same / scan : 1,
  };

  // transition widths of the true monogenic tokens
  const lnN = parameters.map(Math.log);
  const widths: number[] = [];
  input.losses.forEach((losses) => {
    for (const r of trueMonogenicRows(losses, rows, M, truth)) {
      const y = losses.subarray(r * M, (r + 1) * M);
      const hi = crossing(lnN, y, MONOGENIC_HIGH_NATS);
      if (hi === null) continue;
      const from = lnN.findIndex((x) => x >= hi);
      const lo = crossing(lnN, y, MONOGENIC_LOW_NATS, from);
      if (lo !== null) widths.push(lo - hi);
    }
  });
  const steps = lnN.slice(1).map((x, m) => x - lnN[m]);
  const medianStep = median(steps) ?? 0;
  const transitions: TransitionWidths = {
    tokens: widths.length,
    medianWidth: median(widths),
    medianStep,
    narrowerThanStep: widths.length > 0 ? widths.filter((w) => w < medianStep).length / widths.length : null,
  };

  // mean-loss scaling against the Zipf exponent
  let bayes = 0;
  for (let r = 0; r < rows; r++) bayes += truth.bayes[r];
  bayes /= rows;
  const meanLoss = columnMeans(mean, rows, M);
  const reducible = meanLoss.map((l) => l - bayes);
  const monoRows: number[] = [];
  for (let r = 0; r < rows; r++) if (truth.cls[r] === TokenClass.monogenic) monoRows.push(r);
  const monoLoss = parameters.map(
    (_, m) => monoRows.reduce((a, r) => a + mean[r * M + m], 0) / monoRows.length,
  );
  // skills learned per size
  const bySkill = new Map<number, number[]>();
  for (const r of monoRows) {
    const k = truth.skill[r];
    const sums = bySkill.get(k) ?? new Array<number>(M + 1).fill(0);
    for (let m = 0; m < M; m++) sums[m] += mean[r * M + m];
    sums[M]++;
    bySkill.set(k, sums);
  }
  const learnedSkills = parameters.map(
    (_, m) => [...bySkill.values()].filter((v) => v[m] / v[M] <= lnA / 10).length,
  );
  const inside = parameters
    .map((_, m) => m)
    .filter((m) => learnedSkills[m] > 0 && learnedSkills[m] < bySkill.size);
  const learnedFit =
    inside.length >= 2
      ? powerLawFit(
          inside.map((m) => parameters[m]),
          inside.map((m) => learnedSkills[m]),
        )
      : null;
  let unlearnedShare: number[] | null = null;
  let unlearnedShareFit: (PowerLawFit & { alphaN: number }) | null = null;
  const pk = truth.skillProbabilities;
  if (pk && pk.length > 0) {
    unlearnedShare = parameters.map((_, m) => {
      let tail = 0;
      for (let k = 0; k < pk.length; k++) {
        const v = bySkill.get(k);
        // a skill without test tokens counts by what the sizes around it did: unlearned unless every seen skill is
        const learned = v ? v[m] / v[M] <= lnA / 10 : learnedSkills[m] === bySkill.size;
        if (!learned) tail += pk[k];
      }
      return tail;
    });
    const pos = parameters.map((_, m) => m).filter((m) => unlearnedShare![m] > 0);
    if (pos.length >= 2)
      unlearnedShareFit = withAlpha(
        powerLawFit(
          pos.map((m) => parameters[m]),
          pos.map((m) => unlearnedShare![m]),
        ),
      );
  }
  const scaling: ScalingAgainstZipf = {
    unlearnedShare,
    unlearnedShareFit,
    learnedSkills,
    skillsWithTokens: bySkill.size,
    learnedExponent: learnedFit ? { ...learnedFit, beta: learnedFit.slope } : null,
    predicted: truth.language.alpha,
    raw: withAlpha(powerLawFit(parameters, meanLoss)),
    reducible: reducible.every((x) => x > 0) ? withAlpha(powerLawFit(parameters, reducible)) : null,
    monogenic:
      monoRows.length > 0 && monoLoss.every((x) => x > 0)
        ? withAlpha(powerLawFit(parameters, monoLoss))
        : null,
    bayesLoss: bayes,
  };

  let nm = 0;
  let np = 0;
  for (let r = 0; r < rows; r++) {
    if (truth.cls[r] === TokenClass.monogenic) nm++;
    else if (truth.cls[r] === TokenClass.polygenic) np++;
  }
  return {
    monogenic: meanScore(perSeed.map((s) => s.monogenic)),
    polygenic: meanScore(perSeed.map((s) => s.polygenic)),
    perSeed,
    seedMean,
    agreement,
    transitions,
    scaling,
    counts: { monogenic: nm, polygenic: np, irreducible: rows - nm - np, rows },
    definitions: { unlearnedAtSmallest: lnA / 2, learnedAtLargest: lnA / 10, polygenicRows: scan },
  };
}

/**
 * Reads and checks a truth.json (of `quanta lm train --corpus skills`) for a matrix of `rows` tokens: a file that is
 * not one, or whose labels do not match the matrix, is a ConfigError naming it (exit 2, one line).
 */
export function readTruthLabels(path: string, rows: number, readJson: (p: string) => unknown): TruthLabels {
  const t = readJson(path) as Record<string, unknown> | null;
  const isObj = (x: unknown): x is Record<string, unknown> =>
    typeof x === 'object' && x !== null && !Array.isArray(x);
  const numbers = (x: unknown, n: number) =>
    Array.isArray(x) && x.length === n && x.every((v) => typeof v === 'number' && Number.isFinite(v));
  const lang = isObj(t) ? t.language : undefined;
  const problem = !isObj(t)
    ? 'not a JSON object'
    : !isObj(lang) || ![lang.answers, lang.alpha, lang.bands].every((v) => typeof v === 'number' && v > 0)
      ? 'language is not a skills language config'
      : !numbers(t.cls, rows)
        ? `cls is not ${rows} numbers (one per row of the loss matrix)`
        : !numbers(t.skill, rows)
          ? `skill is not ${rows} numbers`
          : !numbers(t.bayes, rows)
            ? `bayes is not ${rows} numbers`
            : null;
  if (problem !== null)
    throw new ConfigError(`${path} is not a skills ground truth (${problem}): run quanta lm train again`);
  return t as unknown as TruthLabels;
}

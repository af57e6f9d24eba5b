// The recovery study (beyond the paper; issue 15): do QDG's clusters recover the true subtasks, and does that
// change as a model learns more of them? One sparse-parity run is trained once and snapshotted at several steps
// (`quanta qdg-recovery`, src/cli/commands/qdg-recovery.ts); at each snapshot the low-loss samples are
// clustered for every gradient choice (--gradient-of, --cosine) and every K in 2..maxClusters, and scored here
// against their true subtasks. This file is the scoring only (no files, browser-safe).
//
// Which K: the number of subtasks "present" among the kept samples, those holding at least 1% of them (a
// subtask at the edge of being learned contributes a few stray low-loss samples, which are not a cluster to
// recover). If clusters were the quanta, K = present subtasks would give ARI 1. The best ARI over every K is
// reported beside it (an upper bound that peeks at the truth), and the ARI against (subtask, parity label) pairs
// at twice that K (a loss gradient flips sign with the label, so its clusters may split a subtask in two).
import type { CosineKind, GradientOf } from './config.js';
import { adjustedRandIndex } from './metrics.js';
import type { QdgAnalysis } from './pipeline.js';

/** One gradient choice of the study. */
export interface RecoveryChoice {
  gradientOf: GradientOf;
  cosine: CosineKind;
}

/** The paper's choice and the label-independent one (for a one-hidden-layer ReLU net the other two equal it). */
export const DEFAULT_RECOVERY_CHOICES: readonly RecoveryChoice[] = [
  { gradientOf: 'loss', cosine: 'signed' },
  { gradientOf: 'logit', cosine: 'signed' },
];

/** A subtask is present among the kept samples when it holds at least this share of them. */
export const PRESENT_SHARE = 0.01;

/** The name of a choice, as `--choices` writes it: `loss/signed`. */
export const choiceName = (c: RecoveryChoice): string => `${c.gradientOf}/${c.cosine}`;

/** Subtasks holding at least PRESENT_SHARE of the samples. */
export function presentSubtasks(subtasks: ArrayLike<number>): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < subtasks.length; i++) counts.set(subtasks[i], (counts.get(subtasks[i]) ?? 0) + 1);
  let present = 0;
  for (const n of counts.values()) if (n >= PRESENT_SHARE * subtasks.length) present++;
  return present;
}

/** How well one choice's clusterings recover the subtasks at one snapshot. */
export interface RecoveryScore extends RecoveryChoice {
  /** K = present subtasks (clamped to the clusterings' range). */
  K: number;
  /** ARI and NMI against the subtasks at K. */
  ari: number;
  nmi: number;
  /** The best ARI over every K clustered, and its K. */
  bestAri: number;
  bestK: number;
  /** ARI against (subtask, parity label) pairs at the K closest to 2 K. */
  ariSubtaskAndLabel: number;
  /** The envelope slope of this clustering sweep (over its own window). */
  envelopeSlope: number;
}

/** The clustering whose K is closest to `K`. */
function nearest(a: QdgAnalysis, K: number) {
  return a.clusterings.reduce((best, c) => (Math.abs(c.K - K) < Math.abs(best.K - K) ? c : best));
}

/**
 * Scores one choice's clusterings (`analysis`, made with the true subtasks as labels, so that every K carries
 * its ARI and NMI) against the true subtasks of its samples.
 */
export function recoveryScore(
  analysis: QdgAnalysis,
  choice: RecoveryChoice,
  subtasks: ArrayLike<number>,
  parityLabels: ArrayLike<number>,
): RecoveryScore {
  const present = presentSubtasks(subtasks);
  const atK = nearest(analysis, present);
  const best = analysis.clusterings.reduce((b, c) => ((c.ari ?? -Infinity) > (b.ari ?? -Infinity) ? c : b));
  const pairs = Array.from(subtasks, (t, i) => 2 * t + parityLabels[i]);
  return {
    ...choice,
    K: atK.K,
    ari: atK.ari ?? NaN,
    nmi: atK.nmi ?? NaN,
    bestAri: best.ari ?? NaN,
    bestK: best.K,
    ariSubtaskAndLabel: adjustedRandIndex(pairs, nearest(analysis, 2 * present).labels),
    envelopeSlope: analysis.fit.envelopeSlope,
  };
}

/** One snapshot of the study. */
export interface RecoveryPoint {
  step: number;
  /** Subtasks whose test loss is below 0.1 bits at this step (Fig. 8's "learned", as `quanta train` counts). */
  learned: number;
  /** Mean test loss, bits. */
  meanLossBits: number;
  /** Samples clustered (0 when too few samples had a low loss: `note` says why). */
  samples: number;
  /** Subtasks present among them (>= 1% of the samples), and all subtasks among them. */
  presentSubtasks: number;
  subtasksInSamples: number;
  /** One score per choice; empty when the snapshot could not be clustered (see `note`). */
  scores: RecoveryScore[];
  note?: string;
  /** The snapshot's run record, relative to the study's folder (`quanta qdg --run` takes it). */
  record: string;
}

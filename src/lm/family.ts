// The family of n-gram MLP language models (Bengio et al. 2003 style, without the shared embedding): the
// previous `context` tokens one-hot (context x V inputs, `context` of them active) -> one hidden ReLU layer
// of `width` units -> a softmax over the V tokens. Sizes differ only in width; every size sees the same
// batches (same seed, same steps), so the family is a clean N sweep (paper section 4, Fig. 3).
//
// Default scale (measured on the shared 2-core machine, see the README section "Language models"): V = 2000
// words + <s> + <unk>, context 3, widths 2..128 (N from 18,020 to 1,027,154 parameters: 1.76 decades), one
// pass over the 1.05M training tokens in batches of 256 (4096 steps). The output layer, width x V, dominates
// the cost: the family took 19 minutes on 2 workers of a 2-core machine shared with other jobs.
import { require, requireInt, requireNumber } from '../core/errors.js';
import { parameterCount, type MlpConfig } from '../train/model.js';

export interface LmFamilyConfig {
  /** Vocabulary size without <s> and <unk> (the V most frequent training words). */
  vocab: number;
  /** Previous tokens seen by the model. */
  context: number;
  /** Hidden widths, one model each (ascending). */
  widths: number[];
  /** Optimiser steps per model. */
  steps: number;
  batch: number;
  /** AdamW learning rate (weight decay 0, as the paper's sparse-parity runs). */
  lr: number;
  seed: number;
  /** Checkpoints per model (log-spaced steps, the last at `steps`): weights and per-token test losses. */
  checkpoints: number;
  /** Use only the first `texts` corpus texts (tests; 500 = all). */
  texts: number;
}

export const DEFAULT_LM_FAMILY: LmFamilyConfig = Object.freeze({
  vocab: 2000,
  context: 3,
  widths: [2, 4, 8, 16, 32, 64, 128],
  steps: 4096,
  batch: 256,
  lr: 1e-3,
  seed: 0,
  checkpoints: 10,
  texts: 500,
}) as LmFamilyConfig;

/** The MLP config of one member (inputs: context slots of vocab + 2 ids each; outputs: vocab + 2). */
export function lmModelConfig(cfg: LmFamilyConfig, width: number): MlpConfig {
  const V = cfg.vocab + 2;
  return { inputSize: cfg.context * V, width, depth: 2, outputs: V, seed: cfg.seed + width };
}

/** Every weight and bias of one member: (context V + 1) width + (width + 1) V. */
export function lmParameterCount(cfg: LmFamilyConfig, width: number): number {
  return parameterCount(lmModelConfig(cfg, width));
}

/** Throws a ConfigError for a family that cannot be trained. */
export function validateLmFamily(cfg: LmFamilyConfig): void {
  requireInt(cfg.vocab, '--vocab', 2, 100_000);
  requireInt(cfg.context, '--context', 1, 16);
  require(Array.isArray(cfg.widths) && cfg.widths.length >= 2, '--widths must list at least 2 widths');
  for (const w of cfg.widths) requireInt(w, '--widths values', 1, 4096);
  for (let i = 1; i < cfg.widths.length; i++)
    require(cfg.widths[i] > cfg.widths[i - 1], '--widths must be strictly increasing');
  requireInt(cfg.steps, '--steps', 1, 10_000_000);
  requireInt(cfg.batch, '--batch', 1, 65_536);
  requireNumber(cfg.lr, '--lr', 0, 1, true);
  requireInt(cfg.seed, '--seed', 0, 2 ** 31);
  requireInt(cfg.checkpoints, '--checkpoints', 1, 200);
  require(cfg.checkpoints <= cfg.steps, '--checkpoints cannot exceed --steps');
  requireInt(cfg.texts, '--texts', 10, 500);
  // f32 parameters, gradients and two Adam moments of the largest member must fit in Wasm's 4 GiB with room
  const largest = lmParameterCount(cfg, cfg.widths[cfg.widths.length - 1]);
  require(16 * largest < 2 ** 31, `the largest model (${largest} parameters) does not fit in Wasm memory`);
}

/**
 * Checkpoint steps: `count` steps log-spaced from steps/64 (at least 1) to `steps`, distinct, ascending.
 * (Pythia's are linear every 1000 steps; log spacing gives the early dynamics points on a log axis.)
 */
export function checkpointSteps(steps: number, count: number): number[] {
  if (count === 1) return [steps];
  const first = Math.max(1, Math.round(steps / 64));
  const out = new Set<number>();
  for (let i = 0; i < count; i++) {
    const s = Math.round(first * Math.pow(steps / first, i / (count - 1)));
    out.add(Math.min(steps, Math.max(1, s)));
  }
  out.add(steps);
  return [...out].sort((a, b) => a - b);
}

/** Folder of one member inside a family folder. */
export const modelDirName = (width: number): string => `width-${width}`;

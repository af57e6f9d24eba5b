// What the QDG commands share (`quanta qdg`, `quanta lm qdg`, `quanta toy-clusters`): the syntax of
// --clusters, --n-init, --seed, --alpha-n and --layers, the help of --gradient-of, --layers and --cosine, and
// progress bars per stage. Only syntax here: the values are checked once, against
// the number of samples, by qdgConfig (src/qdg/config.ts), with one error message for every command.
import { InvalidArgumentError } from 'commander';
import type { QdgStage } from '../qdg/pipeline.js';
import { Progress } from './common.js';

/** `--clusters`: 'paper', or a comma-separated list of integers (ranges are qdgConfig's). */
export function parseClusters(value: string): number[] | 'paper' {
  if (value.trim() === 'paper') return 'paper';
  const parts = value.split(',').map((s) => s.trim());
  if (!parts.every((p) => /^\d+$/.test(p) && Number.isSafeInteger(Number(p)))) {
    throw new InvalidArgumentError(
      `--clusters must be 'paper' or a comma-separated list of integers, got '${value}'`,
    );
  }
  return parts.map(Number);
}

/** An integer option's syntax (its range is qdgConfig's): `--n-init`, `--seed`. */
export function parseInteger(name: string): (value: string) => number {
  return (value: string) => {
    const x = Number(value);
    if (!/^-?\d+(e\d+)?$/i.test(value.trim()) || !Number.isSafeInteger(x)) {
      throw new InvalidArgumentError(`${name} must be an integer, got '${value}'`);
    }
    return x;
  };
}

/** A number option's syntax (its range is qdgConfig's): `--alpha-n`. */
export function parseNumber(name: string): (value: string) => number {
  return (value: string) => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x)) {
      throw new InvalidArgumentError(`${name} must be a number, got '${value}'`);
    }
    return x;
  };
}

/** `--layers`: a comma-separated list of parameter groups (W1, b1, ...) or layer numbers; the names are qdgConfig's. */
export function parseLayers(value: string): string[] {
  const parts = value.split(',').map((s) => s.trim());
  if (!parts.every((p) => /^[A-Za-z0-9_.]+$/.test(p))) {
    throw new InvalidArgumentError(
      `--layers must be a comma-separated list of parameter groups (W1,b1,W2,...) or layer numbers, got '${value}'`,
    );
  }
  return parts;
}

/** The help texts of the gradient options, one wording for every command. */
export const GRADIENT_OF_HELP =
  "what the per-sample gradients are of: 'loss' (the paper's) or 'logit', the label-independent logit " +
  'difference z_1 - z_0 of a two-class model (the loss gradient is it times -+p_wrong, flipping sign with the label)';
export const LAYERS_HELP =
  'parameter groups in the gradient, comma-separated: W<l> and b<l> for the weights and bias of Linear layer l ' +
  '(1 = the first; the last is the output layer), or a layer number l for both (default: every weight and bias)';
export const COSINE_HELP =
  "'signed' (the paper's angular affinity of the cosine) or 'abs' (of |cos|: a gradient and its negative are one " +
  'direction)';

/** Progress bars per stage on stderr (a new bar when the stage changes); silent with `quiet`. */
export function stageProgress(
  quiet: boolean,
  prefix = 'qdg',
): (stage: QdgStage, done: number, total: number) => void {
  let current: { stage: QdgStage; bar: Progress } | undefined;
  return (stage, done, total) => {
    if (quiet) return;
    if (!current || current.stage !== stage) {
      current?.bar.stop();
      current = { stage, bar: new Progress(`${prefix} ${stage}`, total) };
    }
    current.bar.update(done);
    if (done >= total) current.bar.stop();
  };
}

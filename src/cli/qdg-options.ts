// What the QDG commands share (`quanta qdg`, `quanta lm qdg`, `quanta toy-clusters`): the syntax of
// --clusters, --n-init, --seed and --alpha-n, and progress bars per stage. Only syntax here: the values are checked once, against
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

// The flags of one sparse-parity training run (`quanta train`, `quanta qdg-recovery`): one table, so that a
// run field is spelled, described and parsed the same way wherever a command trains a run.
import type { Command } from 'commander';
import type { RunConfig } from '../train/config.js';
import { parseFloatOption, parseIntOption, parseStopAfterMinimum } from './common.js';

type RunField = Exclude<keyof RunConfig, 'data'>;

const RUN_FLAGS: Record<RunField, { flag: string; help: string; parse?: (v: string) => unknown }> = {
  nTasks: {
    flag: '--n-tasks <int>',
    help: 'number of subtasks (quanta)',
    parse: parseIntOption('--n-tasks'),
  },
  n: { flag: '--n <int>', help: 'number of task bits', parse: parseIntOption('--n') },
  k: { flag: '--k <int>', help: 'parity arity (bits per subtask)', parse: parseIntOption('--k') },
  alpha: {
    flag: '--alpha <num>',
    help: "the paper's alpha: p_k ~ k^-(alpha+1)",
    parse: parseFloatOption('--alpha'),
  },
  width: { flag: '--width <int>', help: 'hidden width', parse: parseIntOption('--width') },
  depth: {
    flag: '--depth <int>',
    help: 'number of Linear layers (2 = one hidden layer)',
    parse: parseIntOption('--depth'),
  },
  activation: { flag: '--activation <name>', help: 'relu, tanh or sigmoid' },
  batch: { flag: '--batch <int>', help: 'samples per step', parse: parseIntOption('--batch') },
  steps: { flag: '--steps <int>', help: 'optimiser steps', parse: parseIntOption('--steps') },
  lr: { flag: '--lr <num>', help: 'AdamW learning rate', parse: parseFloatOption('--lr') },
  weightDecay: {
    flag: '--weight-decay <num>',
    help: 'AdamW decoupled weight decay',
    parse: parseFloatOption('--weight-decay'),
  },
  seed: {
    flag: '--seed <int>',
    help: 'seed of subsets, init, batches and test sets',
    parse: parseIntOption('--seed'),
  },
  logEvery: {
    flag: '--log-every <int>',
    help: 'evaluate every this many steps',
    parse: parseIntOption('--log-every'),
  },
  testPoints: {
    flag: '--test-points <int>',
    help: 'exact-frequency test batch size',
    parse: parseIntOption('--test-points'),
  },
  testPointsPerTask: {
    flag: '--test-points-per-task <int>',
    help: 'fresh samples per subtask for per-subtask losses',
    parse: parseIntOption('--test-points-per-task'),
  },
  stopAfterMinimum: {
    flag: '--stop-after-minimum <factor,steps>',
    help:
      'stop at the first log step t >= factor * t_min + steps, t_min the step of the lowest mean test loss ' +
      'so far (multi-epoch runs, whose D fit takes the minimum over time; default: every step runs)',
    parse: parseStopAfterMinimum('--stop-after-minimum'),
  },
};

/** Adds the flags of `fields` (in that order) to `command`, each defaulting to `defaults`' value. */
export function addRunOptions(command: Command, defaults: RunConfig, fields: readonly RunField[]): Command {
  for (const field of fields) {
    const { flag, help, parse } = RUN_FLAGS[field];
    const value = defaults[field];
    if (parse) command.option(flag, help, parse, value);
    else command.option(flag, help, value as string);
  }
  return command;
}

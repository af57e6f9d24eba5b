// `--window VAR:lo,hi` of `quanta fit` and `quanta report`: a fit window over a sweep.json's own (fitWindows),
// for instance Fig. 8's alpha_S window on a run planned without it (`--window S:400,9000`). Both commands take
// the same flags, so a report draws the fits that `quanta fit` wrote.
import { InvalidArgumentError, type Command } from 'commander';
import type { FitWindows, SweepFolder } from '../scaling/analysis.js';

const VARIABLES = ['N', 'S', 'D'] as const;

/** Parses one `VAR:lo,hi` (lo < hi, both finite and positive) and adds it to the windows given so far. */
export function parseWindowOption(value: string, previous: FitWindows = {}): FitWindows {
  const m = /^([NSD]):([^,]+),([^,]+)$/.exec(value.trim());
  const lo = m ? Number(m[2]) : NaN;
  const hi = m ? Number(m[3]) : NaN;
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo > 0) || !(lo < hi))
    throw new InvalidArgumentError(
      `--window must be VAR:lo,hi with VAR one of ${VARIABLES.join(', ')} and 0 < lo < hi, got '${value}'`,
    );
  return { ...previous, [m[1]]: [lo, hi] };
}

/** Adds `--window` (repeatable) to a command. */
export function addWindowOption(command: Command): Command {
  return command.option(
    '--window <VAR:lo,hi>',
    "fit window [lo, hi) of N, S or D over sweep.json's (repeatable), e.g. S:400,9000 (Fig. 8's alpha_S)",
    parseWindowOption,
  );
}

/** The folder with the command line's windows over its own. */
export function withWindows(folder: SweepFolder, windows: FitWindows | undefined): SweepFolder {
  return windows ? { ...folder, fitWindows: { ...folder.fitWindows, ...windows } } : folder;
}

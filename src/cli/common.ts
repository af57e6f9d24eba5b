// Shared CLI plumbing: option parsers that reject bad input with a ConfigError, the exit-code contract
// (0 success, 2 bad input with one line on stderr, 1 internal failure) and progress with ETA on stderr.
import { InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { ConfigError } from '../core/errors.js';
import { MemoryLimitError } from '../core/arena.js';
import { RunDiverged } from '../train/trainer.js';

/**
 * An integer flag. Without bounds this only parses (the value's rule lives where the value is used: a run's
 * fields in src/train/config.ts, a task's in src/parity/task.ts); bounds are for flags that only the CLI
 * reads (--workers, --cores, --array).
 */
export function parseIntOption(name: string, min = -Infinity, max = Infinity) {
  const range = min === -Infinity && max === Infinity ? '' : ` in [${min}, ${max}]`;
  return (value: string): number => {
    const x = Number(value);
    if (!/^-?\d+(e\d+)?$/i.test(value.trim()) || !Number.isSafeInteger(x) || x < min || x > max) {
      throw new InvalidArgumentError(`${name} must be an integer${range}, got '${value}'`);
    }
    return x;
  };
}

/**
 * `--stop-after-minimum FACTOR,STEPS`: the early-stopping rule { factor, extra } of a multi-epoch run (the values
 * are checked with the run's other fields, at the edge).
 */
export function parseStopAfterMinimum(name: string) {
  return (value: string): { factor: number; extra: number } => {
    const m = /^\s*([^,\s]+)\s*,\s*([^,\s]+)\s*$/.exec(value);
    if (!m)
      throw new InvalidArgumentError(`${name} must be FACTOR,STEPS (for example 2,2500), got '${value}'`);
    return { factor: Number(m[1]), extra: Number(m[2]) };
  };
}

/** A number flag: parses only without bounds, as parseIntOption. */
export function parseFloatOption(name: string, min = -Infinity, max = Infinity, minOpen = false) {
  const range =
    min === -Infinity ? '' : ` ${minOpen ? '>' : '>='} ${min}${max < Infinity ? ` and <= ${max}` : ''}`;
  return (value: string): number => {
    const x = Number(value);
    if (value.trim() === '' || !Number.isFinite(x) || (minOpen ? x <= min : x < min) || x > max) {
      throw new InvalidArgumentError(`${name} must be a number${range}, got '${value}'`);
    }
    return x;
  };
}

export function parseListOption(name: string, parse: (v: string) => number) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    if (parts.some((p) => p === '')) throw new InvalidArgumentError(`${name} must be a comma-separated list`);
    return parts.map(parse);
  };
}

/** The signals that stop long work with a checkpoint, and the exit code each ends with (128 + number). */
const STOP_SIGNALS = { SIGINT: 130, SIGTERM: 143 } as const;

export interface StopSignals {
  /** The first stop signal received, or null. */
  readonly signal: keyof typeof STOP_SIGNALS | null;
  readonly exitCode: number;
  dispose(): void;
}

/**
 * Catches SIGTERM (Slurm's preemption and requeue, Kubernetes' pod deletion) and SIGINT (Ctrl-C) so that long
 * work can checkpoint and stop; a second signal of the same kind exits at once.
 */
export function stopSignals(onStop?: (signal: keyof typeof STOP_SIGNALS) => void): StopSignals {
  const state = {
    signal: null as keyof typeof STOP_SIGNALS | null,
    get exitCode() {
      return state.signal ? STOP_SIGNALS[state.signal] : 0;
    },
    dispose() {
      for (const [sig, fn] of handlers) process.off(sig, fn);
    },
  };
  const handlers: [NodeJS.Signals, () => void][] = [];
  for (const sig of Object.keys(STOP_SIGNALS) as (keyof typeof STOP_SIGNALS)[]) {
    const fn = () => {
      if (state.signal !== null) process.exit(STOP_SIGNALS[sig]);
      state.signal = sig;
      onStop?.(sig);
    };
    handlers.push([sig, fn]);
    process.on(sig, fn);
  }
  return state;
}

/** Runs a command body with the exit-code contract. */
export async function runCommand(body: () => Promise<void> | void): Promise<void> {
  try {
    await body();
  } catch (e) {
    if (e instanceof ConfigError || e instanceof MemoryLimitError) {
      process.stderr.write(`quanta: error: ${e.message.replace(/^quanta: /, '')}\n`);
      process.exit(2);
    }
    if (e instanceof RunDiverged) {
      // not bad input, and not a bug: a failure of the run itself, said in one line
      process.stderr.write(`quanta: ${e.message}\n`);
      process.exit(1);
    }
    // a bug: one line, as every other failure (the stack trace with QUANTA_DEBUG=1)
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    process.stderr.write(
      process.env.QUANTA_DEBUG
        ? `quanta: internal error: ${e instanceof Error ? (e.stack ?? what) : what}\n`
        : `quanta: internal error: ${what.split('\n')[0].trim()} (a bug: QUANTA_DEBUG=1 shows where; please report it)\n`,
    );
    process.exit(1);
  }
}

/** A progress bar with ETA on stderr (silent when stderr is not a terminal, except for sparse lines). */
export class Progress {
  private bar?: cliProgress.SingleBar;
  private lastLine = 0;
  private readonly start = Date.now();

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly quiet = false,
  ) {
    if (!quiet && process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          format: `${label} [{bar}] {percentage}% | {value}/{total} | ETA {eta_formatted} | {info}`,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(total, 0, { info: '' });
    }
  }

  /** `etaSeconds`, when given, replaces the ETA from value / elapsed (which is wrong for resumed work). */
  update(value: number, info = '', etaSeconds?: number): void {
    if (this.quiet) return;
    if (this.bar) {
      this.bar.update(value, { info });
      return;
    }
    const now = Date.now();
    if (now - this.lastLine > 5000 || value >= this.total) {
      this.lastLine = now;
      const elapsed = (now - this.start) / 1000;
      const eta = etaSeconds ?? (value > 0 ? (elapsed * (this.total - value)) / value : NaN);
      process.stderr.write(
        `${this.label}: ${value}/${this.total} (${((100 * value) / this.total).toFixed(0)}%), ` +
          `${elapsed.toFixed(0)}s elapsed, ETA ${Number.isFinite(eta) ? eta.toFixed(0) + 's' : '?'} ${info}\n`,
      );
    }
  }

  stop(): void {
    this.bar?.stop();
  }
}

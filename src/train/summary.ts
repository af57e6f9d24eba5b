// Human-readable and compact forms of a run record.
import type { RunRecord } from './record.js';
import { natsToBits } from '../core/units.js';

/** A subtask counts as learned when its loss is below 0.1 bits (paper Fig. 8). */
export const LEARNED_BITS = 0.1;

/** Subtasks whose loss is below 0.1 bits at log entry i. */
export function learnedCount(r: RunRecord, i: number): number {
  return r.log.subtaskLoss[i].filter((l) => natsToBits(l) < LEARNED_BITS).length;
}

/** A one-screen summary: the config, N, the loss curve at a few log steps, emergence and speed. */
export function formatRunSummary(r: RunRecord, path: string): string {
  const c = r.config;
  const lines: string[] = [];
  lines.push(
    `quanta train: ${c.nTasks} subtasks, n ${c.n}, k ${c.k}, alpha ${c.alpha} (p_k ~ k^-${(c.alpha + 1).toFixed(2)}), ` +
      `width ${c.width}, depth ${c.depth}, N = ${r.parameters.toLocaleString('en-US')} parameters`,
  );
  lines.push(
    `  ${c.steps} steps x batch ${c.batch}` +
      (c.data === null ? ' (fresh samples every step)' : `, multi-epoch on D = ${c.data} samples`) +
      `, AdamW lr ${c.lr}, seed ${c.seed}`,
  );
  if (r.stoppedEarly) {
    const { factor, extra } = c.stopAfterMinimum!;
    lines.push(
      `  stopped at step ${r.stoppedEarly.step} (--stop-after-minimum ${factor},${extra}: ` +
        `lowest mean test loss at step ${r.stoppedEarly.minimumStep})`,
    );
  }
  lines.push('');
  lines.push('      step   mean test loss (bits)   accuracy   subtasks learned (< 0.1 bits)');
  const n = r.log.steps.length;
  const picks = new Set<number>();
  for (let j = 0; j < 10; j++) picks.add(Math.round((j * (n - 1)) / 9));
  for (const i of [...picks].sort((a, b) => a - b)) {
    const bits = natsToBits(r.log.meanLoss[i]);
    const bar = '#'.repeat(Math.max(0, Math.round(bits * 30)));
    lines.push(
      `${String(r.log.steps[i]).padStart(10)}   ${bits.toFixed(4).padStart(8)} ${bar.padEnd(30)}  ${(100 * r.log.accuracy[i]).toFixed(1).padStart(6)}%   ${learnedCount(r, i)}/${c.nTasks}`,
    );
  }
  // emergence order: the first log step each subtask falls below 0.1 bits, for the 10 most frequent
  const first: string[] = [];
  for (let t = 0; t < Math.min(10, c.nTasks); t++) {
    const i = r.log.subtaskLoss.findIndex((row) => natsToBits(row[t]) < LEARNED_BITS);
    first.push(i < 0 ? '-' : String(r.log.steps[i]));
  }
  lines.push('');
  lines.push(
    `  first step below 0.1 bits, subtasks 1..${Math.min(10, c.nTasks)} by frequency: ${first.join(' ')}`,
  );
  lines.push(
    `  ${r.timing.seconds.toFixed(1)} s (train ${r.timing.trainSeconds.toFixed(1)} s at ${Math.round(r.timing.samplesPerSecond).toLocaleString('en-US')} samples/s, eval ${r.timing.evalSeconds.toFixed(1)} s)`,
  );
  lines.push(
    `  run record: ${path}${r.weights ? `, weights: ${r.weights.file}` : ''}` +
      (r.subtaskLossFile ? `, per-subtask losses: ${r.subtaskLossFile}` : ''),
  );
  return lines.join('\n');
}

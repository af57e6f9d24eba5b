#!/usr/bin/env node
// What `--stop-after-minimum F,S` would have done to a sweep folder's finished multi-epoch (D) runs that ran every
// step: for each, where the rule (src/train/config.ts stopsAfterMinimum, applied to its logged mean test losses)
// stops it, whether its minimum over time comes at or before that step (so the D fit would read the same value),
// and the share of its recorded seconds the rule skips. Prints one line a run, then a JSON summary.
// usage: node scripts/stop-after-minimum-check.mjs DIR [F,S]   (default 2,2500; needs the build: npm run build)
import { loadSweepFolder } from '../dist/scaling/analysis.js';
import { stopsAfterMinimum } from '../dist/train/config.js';

const [dir, ruleText = '2,2500'] = process.argv.slice(2);
if (!dir) {
  process.stderr.write('usage: node scripts/stop-after-minimum-check.mjs DIR [F,S]\n');
  process.exit(2);
}
const [factor, extra] = ruleText.split(',').map(Number);
if (!(factor >= 1) || !Number.isInteger(extra) || extra < 1) {
  process.stderr.write(
    `stop-after-minimum-check: the rule must be F,S with F >= 1 and S >= 1, got '${ruleText}'\n`,
  );
  process.exit(2);
}
const rule = { factor, extra };
const runs = loadSweepFolder(dir).records.filter((r) => r.config.data !== null && !r.stoppedEarly);
let seconds = 0;
let skipped = 0;
let kept = 0;
for (const r of runs.sort((a, b) => a.config.alpha - b.config.alpha || a.config.data - b.config.data)) {
  const { steps, meanLoss } = r.log;
  let best = 0;
  let stop = null;
  for (let i = 0; i < steps.length; i++) {
    if (meanLoss[i] < meanLoss[best]) best = i;
    if (stopsAfterMinimum(rule, steps[i], steps[best])) {
      stop = steps[i];
      break;
    }
  }
  const min = meanLoss.indexOf(Math.min(...meanLoss));
  const keeps = stop === null || steps[min] <= stop;
  const share = stop === null ? 0 : 1 - stop / r.config.steps;
  seconds += r.timing.seconds;
  skipped += r.timing.seconds * share;
  if (keeps) kept++;
  process.stdout.write(
    `alpha ${r.config.alpha} D ${r.config.data}: minimum at step ${steps[min]}, the rule stops at ` +
      `${stop ?? 'never'}, keeps the minimum: ${keeps}, skips ${(100 * share).toFixed(0)}% of ${Math.round(r.timing.seconds)} s\n`,
  );
}
process.stdout.write(
  JSON.stringify({
    rule,
    runs: runs.length,
    minimumKept: kept,
    coreHours: seconds / 3600,
    skippedShare: seconds > 0 ? skipped / seconds : 0,
  }) + '\n',
);

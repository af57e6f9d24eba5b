#!/usr/bin/env node
// How a longer step budget for some D runs would move a sweep folder's alpha_D: for one alpha, each D run's minimum
// over time (SPEC 3.4), the window from the first D below 0.95 bits, the log-log least-squares slope (as `quanta fit`);
// then the same with the runs of OTHER_DIR (the same runs to more steps) in place of the sweep's. Prints JSON.
// usage: node scripts/d-budget-check.mjs SWEEP_DIR ALPHA OTHER_DIR   (needs the build: npm run build)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { linearFit } from '../dist/scaling/fit.js';

const [dir, alphaText, other] = process.argv.slice(2);
const alpha = Number(alphaText);
if (!dir || !other || !(alpha > 0)) {
  process.stderr.write('usage: node scripts/d-budget-check.mjs SWEEP_DIR ALPHA OTHER_DIR\n');
  process.exit(2);
}
/** D -> minimum mean test loss in bits, and its step, of the multi-epoch records at this alpha in a folder. */
function minima(folder) {
  const out = new Map();
  for (const f of readdirSync(join(folder, 'runs'))) {
    if (!/\.json(\.gz)?$/.test(f)) continue;
    const raw = readFileSync(join(folder, 'runs', f));
    const r = JSON.parse(f.endsWith('.gz') ? gunzipSync(raw) : raw);
    if (r.config.alpha !== alpha || r.config.data == null) continue;
    const m = r.log.meanLoss;
    let k = 0;
    for (let i = 1; i < m.length; i++) if (m[i] < m[k]) k = i;
    out.set(r.config.data, { bits: m[k] / Math.LN2, step: r.log.steps[k], steps: r.config.steps });
  }
  return out;
}
/** alpha_D as `quanta fit` makes it: -(OLS slope of ln loss on ln D) from the first D below 0.95 bits. */
function alphaD(byD) {
  const Ds = [...byD.keys()].sort((a, b) => a - b);
  const window = Ds.slice(Ds.findIndex((D) => byD.get(D).bits < 0.95));
  const fit = linearFit(
    window.map(Math.log),
    window.map((D) => Math.log(byD.get(D).bits)),
  );
  return { alphaD: -fit.slope, window: [window[0], window.at(-1)] };
}
const sweep = minima(dir);
const longer = minima(other);
const replaced = new Map(sweep);
for (const [D, v] of longer) replaced.set(D, v);
process.stdout.write(
  JSON.stringify(
    {
      alpha,
      sweep: { ...alphaD(sweep), runs: Object.fromEntries(sweep) },
      withLonger: { ...alphaD(replaced), replaced: Object.fromEntries(longer) },
    },
    null,
    1,
  ) + '\n',
);

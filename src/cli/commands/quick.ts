// `quanta quick` (what `npm start` runs): the quick preset's N, S and D sweeps for alpha 0.4, then the fits
// (`quanta fit`) and the report (`quanta report`), into one folder (default ./quanta-out). Resumable like any
// sweep: a second run re-uses the records and only refits and re-renders.
import type { Command } from 'commander';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../io/atomic.js';
import { alphaFitsOf, analyseFolder, loadSweepFolder } from '../../scaling/analysis.js';
import { planSweep } from '../../scaling/plan.js';
import { defaultWorkers } from '../../scaling/pool.js';
import { writeSweepReport } from '../../report/sweep-report.js';
import { parseIntOption, runCommand } from '../common.js';
import { PLOTTING_PACKAGES, requireOptionalPackages } from '../../core/optional.js';
import { fitsWithWarnings, formatFits } from './fit.js';
import { formatSweepOutcome, sweepWithProgress } from './sweep.js';
import { checkOutputFolder } from '../../io/output.js';

export function registerQuick(program: Command): void {
  program
    .command('quick')
    .description(
      'the quick pipeline (npm start): N, S and D sweeps of the quick preset (alpha 0.4, a few minutes on 2 cores), ' +
        'then quanta fit and quanta report',
    )
    .option('--out <dir>', 'output folder', 'quanta-out')
    .option(
      '--workers <int>',
      `worker threads (default: all cores, here ${defaultWorkers()})`,
      parseIntOption('--workers', 1, 1024),
    )
    .option('--json', 'print {sweep, fits, report} paths and the fits as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (o: { out: string; workers?: number; json?: boolean; quiet?: boolean }) =>
      runCommand(async () => {
        requireOptionalPackages(PLOTTING_PACKAGES, 'quanta quick');
        const start = performance.now();
        const out = checkOutputFolder(o.out);
        const plan = planSweep('all', 'quick');
        const outcome = await sweepWithProgress(plan, out, {
          workers: o.workers,
          quiet: o.quiet,
          label: 'quick sweep',
        });
        if (outcome.failed.length > 0) {
          process.stdout.write(formatSweepOutcome(plan, outcome) + '\n');
          throw new Error(`${outcome.failed.length} run(s) failed; fix and re-run (finished runs are kept)`);
        }
        if (!o.quiet) process.stderr.write('quick: fitting ...\n');
        const { fits, line } = fitsWithWarnings(analyseFolder(loadSweepFolder(out)));
        if (line !== null) process.stderr.write(`quanta quick: ${line}\n`);
        const fitsPath = join(out, 'fits.json');
        writeJsonAtomic(fitsPath, fits);
        if (!o.quiet) process.stderr.write('quick: rendering the report ...\n');
        const written = await writeSweepReport(out);
        const reportPath = written.find((p) => p.endsWith('.html')) ?? join(out, 'report.html');
        const seconds = (performance.now() - start) / 1000;
        if (o.json) {
          process.stdout.write(
            JSON.stringify({
              sweep: join(out, 'sweep.json'),
              fits: fitsPath,
              report: reportPath,
              seconds,
              outcome,
              fitsJson: fits,
            }) + '\n',
          );
          return;
        }
        const lines = [
          formatSweepOutcome(plan, outcome).split('\n').slice(0, 2).join('\n'),
          '',
          formatFits(alphaFitsOf(fits)).trimEnd(),
          '',
          `quanta quick: done in ${seconds.toFixed(0)} s`,
          `  report: ${reportPath}`,
          `  fits:   ${fitsPath}`,
          `  runs:   ${join(out, 'runs')} (${plan.runs.length} run records)`,
        ];
        process.stdout.write(lines.join('\n') + '\n');
      }),
    );
}

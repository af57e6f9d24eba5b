// `quanta report DIR`: DIR/report.html (self-contained, opens offline) and DIR/report-data/*.csv, one CSV per
// plotted series.
import type { Command } from 'commander';
import { REPORT_DATA_DIR, writeSweepReport } from '../../report/sweep-report.js';
import { checkOutputsIn } from '../../io/output.js';
import { runCommand } from '../common.js';
import { PLOTTING_PACKAGES, requireOptionalPackages } from '../../core/optional.js';
import { loadSweepFolder, type FitWindows } from '../../scaling/analysis.js';
import { addWindowOption, withWindows } from '../fit-windows.js';

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description(
      'write DIR/report.html with the scaling, emergence and theory figures, and their data as CSV',
    )
    .argument('<dir>', 'sweep folder (DIR/sweep.json and DIR/runs/*.json)')
    .option('--json', 'print the list of files written as JSON')
    .option('--quiet', 'no progress on stderr');
  addWindowOption(command).action(
    (dir: string, opts: { json?: boolean; quiet?: boolean; window?: FitWindows }) =>
      runCommand(async () => {
        requireOptionalPackages(PLOTTING_PACKAGES, 'quanta report');
        // the folder is read and checked before the progress line: a bad folder is one line on stderr
        const folder = withWindows(loadSweepFolder(dir), opts.window);
        checkOutputsIn(dir, ['report.html'], [REPORT_DATA_DIR], 'quanta report');
        if (!opts.quiet) process.stderr.write(`quanta report: rendering ${dir} ...\n`);
        const written = await writeSweepReport(dir, folder);
        process.stdout.write(
          opts.json
            ? JSON.stringify({ written }) + '\n'
            : `wrote ${written[0]} and ${written.length - 1} CSV files\n`,
        );
      }),
  );
}

// `quanta fit DIR`: fit the scaling exponents of a sweep folder's run records (SPEC 3.2-3.6) and write
// DIR/fits.json atomically; print a one-screen summary, or the JSON with --json.
import type { Command } from 'commander';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../io/atomic.js';
import {
  alphaFitsOf,
  analyseFolder,
  loadSweepFolder,
  type AlphaFits,
  type ExponentFit,
} from '../../scaling/analysis.js';
import { runCommand } from '../common.js';
import { unfinishedNote } from '../../report/sweep-report.js';

function exponentLine(name: string, e: ExponentFit): string {
  if (e.measured === null)
    return `  ${name}: no fit (${e.note ?? 'no runs of this kind'}); theory ${e.predicted.toFixed(3)}`;
  const ci = e.ci ? ` [${e.ci[0].toFixed(3)}, ${e.ci[1].toFixed(3)}]` : '';
  const paper = e.paper !== null ? `, paper ${e.paper.toFixed(2)}` : '';
  const used = e.points.filter((p) => p.used).length;
  return `  ${name}: ${e.measured.toFixed(3)}${ci}  theory ${e.predicted.toFixed(3)}${paper}  (${used} points, r2 ${e.r2!.toFixed(3)}, window ${e.window![0]}..${e.window![1]})`;
}

export function formatFits(fits: AlphaFits[]): string {
  const lines: string[] = [];
  for (const f of fits) {
    lines.push(`alpha ${f.alpha}: ${f.runs.single} single-epoch runs, ${f.runs.multi} multi-epoch runs`);
    lines.push(exponentLine('alpha_N', f.N));
    lines.push(exponentLine('alpha_S', f.S));
    lines.push(exponentLine('alpha_D', f.D));
    lines.push(exponentLine('n(D) exponent', f.learnedVsData));
    const c = f.convergence;
    lines.push(
      c.slope === null
        ? '  convergence slope: no fit'
        : `  convergence slope: ${c.slope.toFixed(3)} [${c.ci![0].toFixed(3)}, ${c.ci![1].toFixed(3)}]  theory -1, paper -0.81  (${c.points.length} subtasks converged, ${c.notConverged} not)`,
    );
    lines.push(`  learning order vs frequency rank (Spearman): ${f.learnOrderSpearman?.toFixed(3) ?? 'n/a'}`);
  }
  return lines.join('\n') + '\n';
}

export function registerFit(program: Command): void {
  program
    .command('fit')
    .description(
      'fit alpha_N, alpha_S, alpha_D, n(D) and convergence exponents of a sweep folder; writes DIR/fits.json',
    )
    .argument('<dir>', 'sweep folder (DIR/sweep.json and DIR/runs/*.json)')
    .option('--json', 'print fits.json on stdout instead of the summary')
    .action((dir: string, opts: { json?: boolean }) =>
      runCommand(() => {
        const folder = loadSweepFolder(dir);
        const fitted = analyseFolder(folder);
        // an unfinished sweep's fits say so in the file too
        const fits =
          folder.missing.length > 0
            ? { ...fitted, unfinished: { missingRuns: folder.missing, recordedRuns: folder.records.length } }
            : fitted;
        if (folder.missing.length > 0)
          process.stderr.write(`quanta fit: ${unfinishedNote(folder.missing, folder.records.length)}\n`);
        const path = join(dir, 'fits.json');
        writeJsonAtomic(path, fits);
        if (opts.json) process.stdout.write(JSON.stringify(fits, null, 1) + '\n');
        else process.stdout.write(formatFits(alphaFitsOf(fits)) + `wrote ${path}\n`);
      }),
    );
}

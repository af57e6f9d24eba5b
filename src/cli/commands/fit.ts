// `quanta fit DIR`: fit the scaling exponents of a sweep folder's run records (SPEC 3.2-3.6) and write
// DIR/fits.json atomically; print a one-screen summary, or the JSON with --json.
import type { Command } from 'commander';
import { join } from 'node:path';
import { writeJsonAtomic } from '../../io/atomic.js';
import {
  alphaFitsOf,
  analyseFolder,
  fitWarnings,
  groupByAlpha,
  loadSweepFolder,
  type FitWindows,
  type AlphaFits,
  type ExponentFit,
  type FitsJson,
} from '../../scaling/analysis.js';
import { runCommand } from '../common.js';
import { addWindowOption, withWindows } from '../fit-windows.js';
import { convergenceStudy, type ConvergenceStudy } from '../../scaling/convergence.js';
import { unfinishedNote } from '../../report/sweep-report.js';
import { checkOutputsIn } from '../../io/output.js';

function exponentLine(name: string, e: ExponentFit): string {
  if (e.measured === null)
    return `  ${name}: no fit (${e.note ?? 'no runs of this kind'}); theory ${e.predicted.toFixed(3)}`;
  const ci = e.ci ? ` [${e.ci[0].toFixed(3)}, ${e.ci[1].toFixed(3)}]` : '';
  const paper = e.paper !== null ? `, paper ${e.paper.toFixed(2)}` : '';
  const used = e.points.filter((p) => p.used).length;
  return (
    `  ${name}: ${e.measured.toFixed(3)}${ci}  theory ${e.predicted.toFixed(3)}${paper}  (${used} points, r2 ${e.r2!.toFixed(3)}, window ${e.window![0]}..${e.window![1]})` +
    (e.note ? `\n    WARNING: ${e.note}` : '')
  );
}

/**
 * The fits with their warnings (fitWarnings: too few points, a window that leaves too few) as `warnings` in
 * fits.json, and the one stderr line that names them (`WARNING: a; b`, after `note` when there is one), null
 * when there is nothing to say: a finished command writes at most one line on stderr.
 */
export function fitsWithWarnings<T extends FitsJson>(
  fits: T,
  note?: string,
): { fits: T & { warnings?: string[] }; line: string | null } {
  const warnings = fitWarnings(alphaFitsOf(fits));
  const parts = [...(note ? [note] : []), ...(warnings.length ? [`WARNING: ${warnings.join('; ')}`] : [])];
  return {
    fits: warnings.length > 0 ? { ...fits, warnings } : fits,
    line: parts.length ? parts.join(' ') : null,
  };
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

/** The convergence study as a table: each exponent at each compute budget, and where it settles. */
export function formatConvergence(studies: ConvergenceStudy[]): string {
  const lines: string[] = [];
  for (const s of studies) {
    lines.push(`convergence with compute, alpha ${s.alpha}:`);
    for (const e of [s.alphaN, s.alphaS, s.alphaD]) {
      const fitted = e.points.filter((p) => p.measured !== null);
      if (fitted.length === 0) {
        lines.push(`  ${e.exponent}: no fit at any budget`);
        continue;
      }
      const row = fitted
        .map((p) => `${(p.measured as number).toFixed(2)}@${p.coreHours.toPrecision(2)}h`)
        .join(' ');
      lines.push(
        `  ${e.exponent} (theory ${e.predicted.toFixed(3)}${e.paper !== null ? `, paper ${e.paper.toFixed(2)}` : ''}; ${e.budgetAxis}): ${row}`,
      );
      lines.push(
        `    final ${e.final?.toFixed(3)}; within 0.05 of it from ` +
          `${e.within005FromCoreHours !== null ? `${e.within005FromCoreHours.toPrecision(2)} core-hours` : 'n/a'}` +
          (e.changeOverLastDoubling !== null
            ? `; moved ${e.changeOverLastDoubling >= 0 ? '+' : ''}${e.changeOverLastDoubling.toFixed(3)} over the last doubling of compute` +
              (Math.abs(e.changeOverLastDoubling) > 0.02 ? ' (NOT CONVERGED)' : '')
            : ''),
      );
    }
  }
  return lines.join('\n') + '\n';
}

export function registerFit(program: Command): void {
  const command = program
    .command('fit')
    .description(
      'fit alpha_N, alpha_S, alpha_D, n(D) and convergence exponents of a sweep folder; writes DIR/fits.json',
    )
    .argument('<dir>', 'sweep folder (DIR/sweep.json and DIR/runs/*.json)')
    .option('--json', 'print fits.json on stdout instead of the summary')
    .option(
      '--convergence',
      'also refit every exponent as if the sweep had stopped earlier, against the compute it took; writes DIR/convergence.json',
    );
  addWindowOption(command).action(
    (dir: string, opts: { json?: boolean; convergence?: boolean; window?: FitWindows }) =>
      runCommand(() => {
        const folder = withWindows(loadSweepFolder(dir), opts.window);
        checkOutputsIn(
          dir,
          opts.convergence ? ['fits.json', 'convergence.json'] : ['fits.json'],
          [],
          'quanta fit',
        );
        const { fits: fitted, line } = fitsWithWarnings(
          analyseFolder(folder),
          folder.missing.length > 0 ? unfinishedNote(folder.missing, folder.records.length) : undefined,
        );
        // an unfinished sweep's fits say so in the file too
        const windowed = opts.window ? { ...fitted, fitWindowsGiven: opts.window } : fitted;
        const fits =
          folder.missing.length > 0
            ? {
                ...windowed,
                unfinished: { missingRuns: folder.missing, recordedRuns: folder.records.length },
              }
            : windowed;
        if (line !== null) process.stderr.write(`quanta fit: ${line}\n`);
        const path = join(dir, 'fits.json');
        writeJsonAtomic(path, fits);
        let studies: ConvergenceStudy[] = [];
        if (opts.convergence) {
          studies = [...groupByAlpha(folder.records)].map(([alpha, runs]) =>
            convergenceStudy(runs, alpha, folder.fitWindows),
          );
          writeJsonAtomic(join(dir, 'convergence.json'), { studies });
        }
        if (opts.json)
          process.stdout.write(
            JSON.stringify(opts.convergence ? { ...fits, convergence: studies } : fits, null, 1) + '\n',
          );
        else
          process.stdout.write(
            formatFits(alphaFitsOf(fitted)) +
              (opts.convergence ? formatConvergence(studies) : '') +
              `wrote ${path}${opts.convergence ? ` and ${join(dir, 'convergence.json')}` : ''}\n`,
          );
      }),
  );
}

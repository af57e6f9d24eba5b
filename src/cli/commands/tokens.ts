// `quanta tokens`: the paper's per-token loss analyses (section 4; Figs. 3, 4, 11, 12) on a tokens x models
// loss matrix: ours (`--lm-run DIR` of `quanta lm train`) or a user's (`--losses L.npy --parameters N1,...`,
// e.g. Pythia per-token losses saved from PyTorch). Writes report.html, CSVs of every figure and analysis.json.
import type { Command } from 'commander';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { require } from '../../core/errors.js';
import { writeFileAtomic, writeJsonAtomic } from '../../io/atomic.js';
import { htmlPage } from '../../report/html.js';
import { PLOTTING_PACKAGES, requireOptionalPackages } from '../../core/optional.js';
import { figureCsv, vegaLiteToSvg } from '../../report/vega.js';
import { analyseTokenLosses, POLYGENIC_ROWS } from '../../lm/token-analysis.js';
import { readLossMatrix, readTokenInfo, validateAxis, type TokenInfo } from '../../lm/token-losses.js';
import {
  isLmQdgDocument,
  languageModelSections,
  lmQdgSection,
  tokenFigures,
  type LmQdgDocument,
} from '../../lm/token-report.js';
import { readFamilyRecord } from '../../lm/train-family.js';
import { readTruthLabels, scoreGroundTruth, type GroundTruthScore } from '../../lm/ground-truth.js';
import { groundTruthExamplesFigure, groundTruthSection } from '../../lm/ground-truth-report.js';
import { parseIntOption, parseListOption, runCommand } from '../common.js';
import { insideFolder } from '../../io/paths.js';
import { checkOutputFolder } from '../../io/output.js';
import { readJsonInput } from '../../io/read.js';

export interface TokensCliOptions {
  lmRun?: string;
  losses?: string;
  parameters?: number[];
  checkpointLosses?: string;
  steps?: number[];
  tokens?: string;
  qdg?: string;
  excludeLargest?: boolean;
  polygenicRows: number;
  json?: boolean;
  out: string;
}

/** The inputs named by the options, resolved from a family folder when --lm-run is given. */
function resolveInputs(o: TokensCliOptions) {
  if (o.lmRun) {
    require(!o.losses && !o.parameters, '--lm-run and --losses/--parameters cannot be combined');
    const dir = resolve(o.lmRun);
    require(existsSync(
      join(dir, 'family.json'),
    ), `--lm-run: ${o.lmRun} has no family.json (run quanta lm train first)`);
    const f = readFamilyRecord(dir);
    if (f.files.truth !== undefined) {
      const nums = (x: unknown) => Array.isArray(x) && x.every((v) => typeof v === 'number');
      require(nums(f.seeds), `--lm-run: family.json seeds must be a list of numbers`);
      require(Array.isArray(
        f.files.seedLosses,
      ), `--lm-run: family.json files.seedLosses must be a list of file names`);
    }
    const truth =
      f.files.truth === undefined
        ? undefined
        : {
            path: insideFolder(dir, f.files.truth, 'family.json files.truth'),
            seeds: f.seeds ?? [],
            seedLosses: (f.files.seedLosses ?? []).map((file, i) =>
              insideFolder(dir, file, `family.json files.seedLosses[${i}]`),
            ),
          };
    return {
      losses: insideFolder(dir, f.files?.losses, 'family.json files.losses'),
      parameters: f.parameters,
      checkpointLosses: insideFolder(dir, f.files?.checkpointLosses, 'family.json files.checkpointLosses'),
      steps: f.checkpointSteps,
      tokens: insideFolder(dir, f.files?.tokens, 'family.json files.tokens'),
      truth,
    };
  }
  require(!!o.losses, 'give --losses L.npy with --parameters N1,N2,... (or --lm-run DIR)');
  require(!!o.parameters, '--parameters N1,N2,... is required with --losses (one count per column)');
  require(!o.checkpointLosses === !o.steps, '--checkpoint-losses and --steps go together');
  return {
    losses: o.losses,
    parameters: o.parameters,
    checkpointLosses: o.checkpointLosses,
    steps: o.steps,
    tokens: o.tokens,
    truth: undefined,
  };
}

export async function tokensCommand(o: TokensCliOptions): Promise<void> {
  requireOptionalPackages(PLOTTING_PACKAGES, 'quanta tokens');
  // --- validation: nothing is written before all of it passes ---
  const inp = resolveInputs(o);
  // every output location is checked (kind, folders, a real write probe) before any work
  const out = checkOutputFolder(o.out);
  validateAxis(inp.parameters, '--parameters', 2);
  const m = readLossMatrix(inp.losses, inp.parameters.length, 'models in --parameters');
  let checkpoints: { losses: Float32Array; rows: number; steps: number[] } | undefined;
  if (inp.checkpointLosses && inp.steps) {
    validateAxis(inp.steps, '--steps', 2);
    const c = readLossMatrix(
      inp.checkpointLosses,
      inp.steps.length,
      'checkpoints in --steps',
      '--checkpoint-losses',
    );
    checkpoints = { losses: c.losses, rows: c.rows, steps: inp.steps };
  }
  const tokens: TokenInfo[] | undefined = inp.tokens ? readTokenInfo(inp.tokens, m.rows) : undefined;
  require(!(o.excludeLargest && inp.parameters.length < 3), '--exclude-largest needs at least 3 models');
  // a skills family: every seed's matrix and the ground truth, checked before any output
  let truth:
    { labels: ReturnType<typeof readTruthLabels>; seeds: number[]; losses: Float32Array[] } | undefined;
  if (inp.truth) {
    const t = inp.truth;
    require(t.seedLosses.length >= 1 &&
      t.seedLosses.length ===
        t.seeds
          .length, `--lm-run: family.json lists ${t.seedLosses.length} seed loss files for ${t.seeds.length} seeds`);
    const losses = t.seedLosses.map((file, i) =>
      i === 0
        ? m.losses
        : readLossMatrix(file, inp.parameters.length, 'models in family.json parameters', '--lm-run').losses,
    );
    for (const [i, l] of losses.entries())
      require(l.length ===
        m.losses.length, `--lm-run: ${t.seedLosses[i]} has a different number of rows from ${inp.losses}`);
    truth = { labels: readTruthLabels(t.path, m.rows, readJsonInput), seeds: t.seeds, losses };
  }
  let qdgDoc: LmQdgDocument | undefined;
  if (o.qdg) {
    const path = join(resolve(o.qdg), 'clusters.json');
    require(existsSync(path), `--qdg: ${o.qdg} has no clusters.json (run quanta lm qdg first)`);
    const doc = readJsonInput(path);
    require(isLmQdgDocument(doc), `--qdg: ${path} is not a QDG clusters file (of quanta lm qdg)`);
    qdgDoc = doc;
  }

  // --- work ---
  const a = analyseTokenLosses({
    losses: m.losses,
    rows: m.rows,
    parameters: inp.parameters,
    excludeLargest: o.excludeLargest,
    polygenicRows: o.polygenicRows,
    checkpoints,
  });
  let groundTruth: GroundTruthScore | undefined;
  if (truth) {
    groundTruth = scoreGroundTruth({
      seeds: truth.seeds,
      losses: truth.losses,
      rows: m.rows,
      parameters: inp.parameters,
      truth: truth.labels,
      polygenicRows: o.polygenicRows,
    });
  }
  const figures = tokenFigures(a, m.losses, tokens);
  if (truth) {
    figures.push(groundTruthExamplesFigure(truth.losses, truth.seeds, m.rows, inp.parameters, truth.labels));
  }
  const svgs = new Map<string, string>();
  for (const f of figures) svgs.set(f.id, await vegaLiteToSvg({ title: f.title, ...f.spec }));

  // --- outputs ---
  mkdirSync(out, { recursive: true });
  for (const f of figures) writeFileAtomic(join(out, `${f.id}.csv`), figureCsv(f));
  const summary = {
    rows: a.rows,
    parameters: a.parameters,
    meanLoss: a.scaling.meanLoss,
    alphaN: a.scaling.alphaN,
    alphaNFit: { ...a.scaling.fit, modelsFitted: a.scaling.modelsFitted },
    alphaS: a.training?.alphaS ?? null,
    alphaSWindow: a.training?.window ?? null,
    monogenic: a.monogenic.map((t) => t.row),
    monogenicTransition: a.monogenic.map((t) => t.transition),
    polygenic: a.polygenic.map((t) => t.row),
    monogenicShare: a.monogenicShare,
    polygenicShare: a.polygenicShare,
    polygenicRowsScanned: a.polygenicRowsScanned,
    staysLearnedShare: a.staysLearnedShare,
    ...(groundTruth ? { groundTruth } : {}),
    out,
  };
  writeJsonAtomic(join(out, 'analysis.json'), summary);
  writeFileAtomic(
    join(out, 'report.html'),
    htmlPage({
      title: 'Per-token losses across model sizes',
      intro: `Source: ${inp.losses} (${m.rows} tokens x ${inp.parameters.length} models). Losses in nats are shown in bits.`,
      sections: [
        ...(groundTruth
          ? [
              groundTruthSection(
                groundTruth,
                svgs.has('lm-truth-examples') ? [svgs.get('lm-truth-examples')!] : [],
              ),
            ]
          : []),
        ...languageModelSections(a, m.losses, svgs, tokens),
        ...(qdgDoc ? [lmQdgSection(qdgDoc, relative(out, join(resolve(o.qdg!), 'report.html')))] : []),
      ],
    }),
  );
  if (o.json) {
    process.stdout.write(JSON.stringify(summary) + '\n');
    return;
  }
  process.stdout.write(
    `tokens: ${a.rows} tokens x ${a.parameters.length} models\n` +
      `alpha_N = ${a.scaling.alphaN.toFixed(4)} (R^2 ${a.scaling.fit.r2.toFixed(3)}; Pythia 0.083)\n` +
      (a.training?.alphaS != null ? `alpha_S = ${a.training.alphaS.toFixed(4)} (Pythia 0.037-0.060)\n` : '') +
      `monogenic ${a.monogenic.length} (${(100 * a.monogenicShare).toFixed(2)}%), ` +
      `polygenic ${a.polygenic.length} (${(100 * a.polygenicShare).toFixed(2)}% of ${a.polygenicRowsScanned})\n` +
      (groundTruth ? groundTruthLines(groundTruth) : '') +
      `wrote ${join(out, 'report.html')}\n`,
  );
}

const pct = (x: number | null) => (x === null ? 'n/a' : x.toFixed(3));

/** The ground-truth summary lines of the text output. */
function groundTruthLines(g: GroundTruthScore): string {
  const cls = (name: string, c: GroundTruthScore['monogenic']) =>
    `  ${name}: precision ${pct(c.precision)}, recall ${pct(c.recall)} ` +
    `(found ${c.found.toFixed(1)}, true ${c.trueTokens.toFixed(1)} per seed)`;
  const t = g.transitions;
  return (
    `ground truth (mean over ${g.perSeed.length} seeds):\n${cls('monogenic', g.monogenic)}\n${cls('polygenic', g.polygenic)}\n` +
    `  seed-mean losses: monogenic P ${pct(g.seedMean.monogenic.precision)} R ${pct(g.seedMean.monogenic.recall)}, ` +
    `polygenic P ${pct(g.seedMean.polygenic.precision)} R ${pct(g.seedMean.polygenic.recall)}\n` +
    `  seed agreement: monogenic ${pct(g.agreement.monogenic)}, polygenic ${pct(g.agreement.polygenic)}, all tokens ${pct(g.agreement.overall)}\n` +
    `  monogenic transitions: median width ${t.medianWidth === null ? 'n/a' : t.medianWidth.toFixed(2)} in ln N ` +
    `against a step of ${t.medianStep.toFixed(2)} between sizes (${t.tokens} crossings)\n` +
    `  alpha_N ${g.scaling.raw.alphaN.toFixed(4)} raw, ` +
    `${g.scaling.reducible ? g.scaling.reducible.alphaN.toFixed(4) : 'n/a'} above the Bayes loss ${g.scaling.bayesLoss.toFixed(3)}, ` +
    `${g.scaling.monogenic ? g.scaling.monogenic.alphaN.toFixed(4) : 'n/a'} on monogenic tokens; ` +
    `the skills' alpha ${g.scaling.predicted}\n` +
    `  monogenic skills learned per size: ${g.scaling.learnedSkills.join(', ')} of ${g.scaling.skillsWithTokens}` +
    (g.scaling.learnedExponent ? ` (n ~ N^${g.scaling.learnedExponent.beta.toFixed(3)})` : '') +
    (g.scaling.unlearnedShareFit
      ? `; their unlearned use share falls as N^-${g.scaling.unlearnedShareFit.alphaN.toFixed(3)}`
      : '') +
    '\n'
  );
}

export function registerTokens(program: Command): void {
  program
    .command('tokens')
    .description(
      'per-token loss analyses (paper section 4): mean-loss scaling alpha_N, p(L), alpha_S, monogenic and polygenic tokens',
    )
    .option('--lm-run <DIR>', 'a family folder written by quanta lm train')
    .option('--losses <L.npy>', 'per-token losses in nats, tokens x models (float16/32/64)')
    .option(
      '--parameters <list>',
      'parameter count of each column of --losses, ascending',
      parseListOption('--parameters', (v) => {
        const x = Number(v);
        return Number.isFinite(x) ? x : NaN;
      }),
    )
    .option(
      '--checkpoint-losses <C.npy>',
      'per-token losses of one model at checkpoints, tokens x checkpoints',
    )
    .option(
      '--steps <list>',
      'training step of each column of --checkpoint-losses, ascending',
      parseListOption('--steps', parseIntOption('--steps', 1)),
    )
    .option(
      '--tokens <tokens.csv>',
      "side file: one row per token with a 'token' column (optional word, tag, text, position)",
    )
    .option('--qdg <DIR>', 'add the QDG-on-tokens section from a quanta lm qdg output folder')
    .option(
      '--exclude-largest',
      'leave the largest model out of the alpha_N fit (the paper does for Pythia 6.4B)',
    )
    .option(
      '--polygenic-rows <int>',
      'rows scanned for polygenic tokens (the paper: the first 100,000)',
      parseIntOption('--polygenic-rows', 1),
      POLYGENIC_ROWS,
    )
    .option('--json', 'print { alphaN, alphaS, monogenic, polygenic, ... } as JSON on stdout')
    .requiredOption('--out <DIR>', 'output folder')
    .action(async (o: TokensCliOptions) => runCommand(() => tokensCommand(o)));
}
